"""Part of an ONNX graph, evaluated with torch ops so gradients flow back to one of its tensors.

onnxruntime computes no gradients. To tune a voice by gradient descent we re-run, in torch,
only the nodes downstream of the tensor being tuned (``seed``); everything upstream that
they read is computed once by onnxruntime and passed in (``external``). The ops are those the
graphs we tune use; any other op is named in the error.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch
import torch.nn.functional as F
from onnx import ModelProto, NodeProto, helper, numpy_helper

from livehost.errors import LivehostError


def _attrs(node: NodeProto) -> dict:
    return {a.name: helper.get_attribute_value(a) for a in node.attribute}


def _ints(t: torch.Tensor | None) -> list[int] | None:
    return None if t is None else [int(v) for v in t.reshape(-1).tolist()]


def _axes(ins: list, a: dict) -> list[int]:
    return _ints(ins[1]) if len(ins) > 1 and ins[1] is not None else list(a.get("axes", []))


def _div(x, y):
    if x.is_floating_point() or y.is_floating_point():
        return x / y
    return torch.div(x, y, rounding_mode="trunc")


def _reduce_mean(ins, a):
    axes = _axes(ins, a)
    return ins[0].mean(dim=axes, keepdim=bool(a.get("keepdims", 1))) if axes else ins[0].mean()


def _unsqueeze(ins, a):
    x = ins[0]
    for axis in sorted(_axes(ins, a)):
        x = x.unsqueeze(axis)
    return x


def _squeeze(ins, a):
    x, axes = ins[0], _axes(ins, a)
    if not axes:
        return x.squeeze()
    for axis in sorted((axis % x.dim() for axis in axes), reverse=True):
        x = x.squeeze(axis)
    return x


def _split(ins, a):
    x, axis = ins[0], a.get("axis", 0)
    sizes = _ints(ins[1]) if len(ins) > 1 and ins[1] is not None else a.get("split")
    if sizes is None:
        sizes = [-(-x.shape[axis] // a["outputs"])] * a["outputs"]
    return list(torch.split(x, list(sizes), dim=axis))


def _gather(ins, a):
    x = ins[0]
    axis = a.get("axis", 0) % x.dim()
    index = ins[1].long() % x.shape[axis]
    out = torch.index_select(x, axis, index.reshape(-1))
    return out.reshape(tuple(x.shape[:axis]) + tuple(index.shape) + tuple(x.shape[axis + 1:]))


def _reshape(ins, a):
    x, shape = ins[0], _ints(ins[1])
    if not a.get("allowzero", 0):
        shape = [x.shape[i] if s == 0 else s for i, s in enumerate(shape)]
    return x.reshape(shape)


def _slice(ins, a):
    x, starts, ends = ins[0], _ints(ins[1]), _ints(ins[2])
    axes = _ints(ins[3]) if len(ins) > 3 and ins[3] is not None else list(range(len(starts)))
    steps = _ints(ins[4]) if len(ins) > 4 and ins[4] is not None else [1] * len(starts)
    index = [slice(None)] * x.dim()
    for start, end, axis, step in zip(starts, ends, axes, steps):
        if step < 1:
            raise LivehostError("onnx_torch: Slice with a negative step is not supported")
        size = x.shape[axis]
        start, end = (max(0, min(size, v + size if v < 0 else v)) for v in (start, end))
        index[axis] = slice(start, end, step)
    return x[tuple(index)]


def _conv(ins, a):
    pads = a.get("pads", [0, 0])
    if len(pads) != 2:
        raise LivehostError("onnx_torch: only 1-d Conv is supported")
    x = F.pad(ins[0], (pads[0], pads[1]))
    return F.conv1d(x, ins[1], ins[2] if len(ins) > 2 else None, stride=a.get("strides", [1])[0],
                    dilation=a.get("dilations", [1])[0], groups=a.get("group", 1))


def _conv_transpose(ins, a):
    pads = a.get("pads", [0, 0])
    if len(pads) != 2 or pads[0] != pads[1]:
        raise LivehostError("onnx_torch: only 1-d ConvTranspose with even padding is supported")
    return F.conv_transpose1d(ins[0], ins[1], ins[2] if len(ins) > 2 else None, stride=a.get("strides", [1])[0],
                              padding=pads[0], output_padding=a.get("output_padding", [0])[0],
                              groups=a.get("group", 1), dilation=a.get("dilations", [1])[0])


def _pad(ins, a):
    x, pads = ins[0], _ints(ins[1])
    mode = a.get("mode", b"constant")
    mode = mode.decode() if isinstance(mode, bytes) else mode
    order = []
    for d in reversed(range(x.dim())):
        order += [pads[d], pads[d + x.dim()]]
    if mode == "constant":
        value = float(ins[2]) if len(ins) > 2 and ins[2] is not None else 0.0
        return F.pad(x, order, value=value)
    return F.pad(x, order[: 2 * (x.dim() - 2)], mode=mode)


def _resize(ins, a):
    mode = a.get("mode", b"nearest")
    if (mode.decode() if isinstance(mode, bytes) else mode) != "nearest":
        raise LivehostError(f"onnx_torch: Resize mode {mode!r} is not supported")
    x = ins[0]
    if len(ins) > 3 and ins[3] is not None:
        size = _ints(ins[3])[2:]
    else:
        size = [int(x.shape[2 + i] * float(ins[2][2 + i])) for i in range(x.dim() - 2)]
    return F.interpolate(x, size=size, mode="nearest")


def _scatter_nd(ins, a):
    out, index, updates = ins[0].clone(), ins[1].long(), ins[2]
    depth = index.shape[-1]
    out[tuple(index.reshape(-1, depth).t())] = updates.reshape(-1, *out.shape[depth:])
    return out


def _shape(ins, a):
    return torch.tensor(list(ins[0].shape)[a.get("start", 0): a.get("end")], dtype=torch.int64)


_OPS: dict[str, Callable] = {
    "Add": lambda i, a: i[0] + i[1], "Sub": lambda i, a: i[0] - i[1], "Mul": lambda i, a: i[0] * i[1],
    "Div": lambda i, a: _div(i[0], i[1]), "Pow": lambda i, a: torch.pow(i[0], i[1]),
    "Sqrt": lambda i, a: torch.sqrt(i[0]), "Sin": lambda i, a: torch.sin(i[0]), "Cos": lambda i, a: torch.cos(i[0]),
    "Exp": lambda i, a: torch.exp(i[0]), "LeakyRelu": lambda i, a: F.leaky_relu(i[0], a.get("alpha", 0.01)),
    "MatMul": lambda i, a: torch.matmul(i[0], i[1]), "ReduceMean": _reduce_mean,
    "Unsqueeze": _unsqueeze, "Squeeze": _squeeze, "Concat": lambda i, a: torch.cat(i, dim=a["axis"]),
    "Transpose": lambda i, a: i[0].permute(*a["perm"]), "Shape": _shape, "Gather": _gather,
    "Reshape": _reshape, "Slice": _slice, "Conv": _conv, "ConvTranspose": _conv_transpose, "Pad": _pad,
    "Resize": _resize, "ScatterND": _scatter_nd, "Split": _split,
    "Expand": lambda i, a: i[0].expand(torch.broadcast_shapes(i[0].shape, tuple(_ints(i[1])))),
    "Range": lambda i, a: torch.arange(i[0].item(), i[1].item(), i[2].item(), dtype=i[0].dtype),
    "Greater": lambda i, a: i[0] > i[1], "Equal": lambda i, a: i[0] == i[1],
    "NonZero": lambda i, a: torch.stack(torch.nonzero(i[0], as_tuple=True)).long(),
    "Where": lambda i, a: torch.where(i[0], i[1], i[2]),
}


class TorchSubgraph:
    """The nodes of ``model`` that ``output`` needs and that depend on ``seed``, as a function
    ``(seed_value, {external name: tensor}) -> output``. ``external`` lists the tensors they
    read from the rest of the graph: compute those with onnxruntime (as extra outputs)."""

    def __init__(self, model: ModelProto, seed: str, output: str) -> None:
        graph = model.graph
        self._initializers = {i.name: i for i in graph.initializer}
        self._constants = {n.output[0]: n.attribute[0].t for n in graph.node if n.op_type == "Constant"}
        downstream, nodes = {seed}, []
        for node in graph.node:  # ONNX keeps nodes in topological order
            if any(i in downstream for i in node.input):
                nodes.append(node)
                downstream.update(node.output)
        needed, kept = {output}, []
        for node in reversed(nodes):
            if needed.intersection(node.output):
                kept.append(node)
                needed.update(i for i in node.input if i)
        self.nodes = kept[::-1]
        # Attributes parsed once; "outputs" tells Split how many pieces to make.
        self._attrs = [{**_attrs(n), "outputs": len(n.output)} for n in self.nodes]
        if output not in {o for n in self.nodes for o in n.output}:
            raise LivehostError(f"onnx_torch: {output} does not depend on {seed}")
        unknown = sorted({n.op_type for n in self.nodes} - set(_OPS))
        if unknown:
            raise LivehostError(f"onnx_torch: unsupported ops {', '.join(unknown)}")
        made = {o for n in self.nodes for o in n.output} | {seed}
        self.external = sorted({i for n in self.nodes for i in n.input if i and i not in made
                                and i not in self._initializers and i not in self._constants})
        self.seed, self.output = seed, output
        self._static: dict[str, torch.Tensor] = {}

    def _weight(self, name: str) -> torch.Tensor:
        if name not in self._static:
            proto = self._initializers[name] if name in self._initializers else self._constants[name]
            self._static[name] = torch.from_numpy(np.array(numpy_helper.to_array(proto)))
        return self._static[name]

    def __call__(self, seed: torch.Tensor, external: dict[str, torch.Tensor]) -> torch.Tensor:
        values = {self.seed: seed, **external}
        for node, attrs in zip(self.nodes, self._attrs):
            ins = [None if not i else values[i] if i in values else self._weight(i) for i in node.input]
            out = _OPS[node.op_type](ins, attrs)
            for name, value in zip(node.output, out if isinstance(out, list) else [out]):
                values[name] = value
        return values[self.output]
