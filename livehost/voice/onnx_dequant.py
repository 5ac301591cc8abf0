"""A dynamically quantized ONNX graph (onnxruntime's ``quantize_dynamic``) as float again.

Each ConvInteger / MatMulInteger, with the DynamicQuantizeLinear before it and the Cast and
rescaling after it, becomes one float Conv / MatMul on dequantized weights: the same maths up
to the activations' rounding, and differentiable (``onnx_torch``). Conv biases are taken in
float from before their dynamic quantization.
"""

from __future__ import annotations

import numpy as np
from onnx import ModelProto, NodeProto, helper, numpy_helper

from livehost.errors import LivehostError


def dequantize(model: ModelProto) -> ModelProto:
    """Rewrites ``model`` in place and returns it."""
    graph = model.graph
    initializers = {i.name: i for i in graph.initializer}
    consumers: dict[str, list[NodeProto]] = {}
    producer: dict[str, NodeProto] = {}
    for node in graph.node:
        for name in node.input:
            consumers.setdefault(name, []).append(node)
        for name in node.output:
            producer[name] = node

    def constant(name: str) -> np.ndarray:
        if name in initializers:
            return numpy_helper.to_array(initializers[name])
        node = producer.get(name)
        if node is None or node.op_type != "Constant":
            raise LivehostError(f"dequantize: {name} is not a constant")
        return numpy_helper.to_array(node.attribute[0].t)

    def only_consumer(name: str) -> NodeProto:
        found = consumers.get(name, [])
        if len(found) != 1:
            raise LivehostError(f"dequantize: {name} has {len(found)} consumers, expected 1")
        return found[0]

    dropped: set[int] = set()
    replacing: dict[int, NodeProto] = {}
    weights: dict[str, np.ndarray] = {}
    for node in graph.node:
        if node.op_type not in ("ConvInteger", "MatMulInteger"):
            continue
        quantize = producer[node.input[0]]
        after = only_consumer(node.output[0])
        bias = None
        if after.op_type == "Add":  # a conv bias, quantized with the input's scale
            source = producer[next(i for i in after.input if i != node.output[0])]
            while source.op_type != "Div":
                source = producer[source.input[0]]
            bias = source.input[0]
            dropped.add(id(after))
            after = only_consumer(after.output[0])
        rescale = only_consumer(after.output[0])
        if quantize.op_type != "DynamicQuantizeLinear" or after.op_type != "Cast" or rescale.op_type != "Mul":
            raise LivehostError(f"dequantize: {node.name} is not a dynamic quantization pattern")
        scales = producer[next(i for i in rescale.input if i != after.output[0])]
        weight_scale = constant(next(i for i in scales.input if i != quantize.output[1]))
        quantized = constant(node.input[1])
        zero = constant(node.input[3]) if len(node.input) > 3 and node.input[3] else np.zeros((), np.uint8)
        # Per output channel: axis 0 of a conv kernel, the columns of a matmul weight.
        shape = (-1,) + (1,) * (quantized.ndim - 1) if node.op_type == "ConvInteger" else (1, -1)
        name = f"{node.input[1]}_float"
        weights[name] = (quantized.astype(np.float32) - _per_channel(zero, shape)) * _per_channel(weight_scale, shape)
        op = "Conv" if node.op_type == "ConvInteger" else "MatMul"
        inputs = [quantize.input[0], name] + ([bias] if bias else [])
        replacement = helper.make_node(op, inputs, [rescale.output[0]], name=node.name)
        if op == "Conv":
            replacement.attribute.extend(node.attribute)
        replacing[id(rescale)] = replacement
        dropped.update({id(node), id(after)})
    nodes = [replacing.get(id(n), n) for n in graph.node if id(n) not in dropped]
    del graph.node[:]
    graph.node.extend(nodes)
    graph.initializer.extend(numpy_helper.from_array(w.astype(np.float32), n) for n, w in weights.items())
    _prune(model)
    return model


def _per_channel(values: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    return values.astype(np.float32).reshape(shape) if values.ndim else values.astype(np.float32)


def _prune(model: ModelProto) -> None:
    """Drop nodes and initializers nothing reads any more (the quantizers)."""
    graph = model.graph
    outputs = {o.name for o in graph.output}
    while True:
        read = {i for n in graph.node for i in n.input} | outputs
        dead = [n for n in graph.node if not read.intersection(n.output)]
        if not dead:
            break
        for node in dead:
            graph.node.remove(node)
    read = {i for n in graph.node for i in n.input}
    kept = [i for i in graph.initializer if i.name in read]
    del graph.initializer[:]
    graph.initializer.extend(kept)
