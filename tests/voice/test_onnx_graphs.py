"""The ONNX tools cloning relies on, on small graphs the tests build: a dynamically quantized
graph made float again, and part of a graph re-run in torch with gradients."""

import numpy as np
import onnx
import onnxruntime as ort
import pytest
import torch
from onnx import TensorProto, helper, numpy_helper
from onnxruntime.quantization import QuantType, quantize_dynamic

from livehost.errors import LivehostError
from livehost.voice.onnx_dequant import dequantize
from livehost.voice.onnx_torch import TorchSubgraph

RNG = np.random.default_rng(0)


def const(name, value):
    return numpy_helper.from_array(np.asarray(value), name)


def decoder_like() -> onnx.ModelProto:
    """x (1, 4, 32) and a style (1, 8): a conv, an instance norm whose scale comes from the
    style half through a linear layer (Kokoro's AdaIN), a snake-like activation, an upsampling
    transposed conv, and a few shape ops."""
    w = lambda *shape: (0.3 * RNG.standard_normal(shape)).astype(np.float32)
    nodes = [
        helper.make_node("Split", ["style", "halves"], ["timbre", "prosody"], axis=1),
        helper.make_node("Conv", ["x", "conv_w", "conv_b"], ["c"], pads=[1, 1], kernel_shape=[3]),
        helper.make_node("ReduceMean", ["c", "time"], ["mean"], keepdims=1),
        helper.make_node("Sub", ["c", "mean"], ["centred"]),
        helper.make_node("Pow", ["centred", "two"], ["sq"]),
        helper.make_node("ReduceMean", ["sq", "time"], ["var"], keepdims=1),
        helper.make_node("Add", ["var", "eps"], ["var_eps"]),
        helper.make_node("Sqrt", ["var_eps"], ["std"]),
        helper.make_node("Div", ["centred", "std"], ["normed"]),
        helper.make_node("MatMul", ["timbre", "fc_w"], ["gamma"]),
        helper.make_node("Unsqueeze", ["gamma", "last"], ["gamma3"]),
        helper.make_node("Mul", ["normed", "gamma3"], ["styled"]),
        helper.make_node("Sin", ["styled"], ["s"]),
        helper.make_node("Mul", ["s", "s"], ["s2"]),
        helper.make_node("Add", ["styled", "s2"], ["snake"]),
        helper.make_node("LeakyRelu", ["snake"], ["act"], alpha=0.2),
        helper.make_node("ConvTranspose", ["act", "up_w", "up_b"], ["up"], strides=[2], pads=[1, 1], kernel_shape=[4]),
        helper.make_node("Shape", ["up"], ["shape"]),
        helper.make_node("Gather", ["shape", "zero"], ["batch"], axis=0),
        helper.make_node("Reshape", ["up", "flat"], ["y"]),
    ]
    graph = helper.make_graph(
        nodes, "decoder_like",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 4, 32]),
         helper.make_tensor_value_info("style", TensorProto.FLOAT, [1, 8])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, None),
         helper.make_tensor_value_info("batch", TensorProto.INT64, None)],
        [const("halves", np.array([4, 4], np.int64)), const("conv_w", w(4, 4, 3)), const("conv_b", w(4)),
         const("two", np.float32(2)), const("eps", np.float32(1e-5)), const("fc_w", w(4, 4)),
         const("last", np.array([2], np.int64)), const("time", np.array([2], np.int64)), const("up_w", w(4, 2, 4)), const("up_b", w(2)),
         const("zero", np.array(0, np.int64)), const("flat", np.array([1, -1], np.int64))],
    )
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 18)], ir_version=8)


def run_ort(model, **inputs):
    session = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    return session.run(None, inputs)


def test_a_subgraph_in_torch_matches_onnxruntime_and_has_true_gradients():
    model = decoder_like()
    x = RNG.standard_normal((1, 4, 32)).astype(np.float32)
    style = RNG.standard_normal((1, 8)).astype(np.float32)
    expected = run_ort(model, x=x, style=style)[0]
    sub = TorchSubgraph(model, "timbre", "y")
    assert sub.external == ["normed"]  # depends on x only: computed upstream
    upstream = model.__deepcopy__()
    for name in sub.external:
        upstream.graph.output.append(helper.make_tensor_value_info(name, TensorProto.FLOAT, None))
    values = dict(zip([o.name for o in upstream.graph.output], run_ort(upstream, x=x, style=style)))
    external = {k: torch.from_numpy(values[k]) for k in sub.external}
    timbre = torch.from_numpy(style[:, :4].copy()).requires_grad_(True)
    y = sub(timbre, external)
    assert np.abs(y.detach().numpy() - expected).max() < 1e-5
    y.square().sum().backward()
    # The gradient agrees with finite differences of the onnxruntime graph.
    for i in range(4):
        bumped = [style.copy(), style.copy()]
        bumped[0][0, i] += 1e-2
        bumped[1][0, i] -= 1e-2
        plus, minus = (np.square(run_ort(model, x=x, style=b)[0]).sum() for b in bumped)
        assert timbre.grad[0, i].item() == pytest.approx((plus - minus) / 2e-2, rel=0.02, abs=1e-3)


def test_a_subgraph_names_what_it_cannot_run():
    model = decoder_like()
    model.graph.node.append(helper.make_node("Erf", ["y"], ["z"]))
    model.graph.output.append(helper.make_tensor_value_info("z", TensorProto.FLOAT, None))
    with pytest.raises(LivehostError, match="unsupported ops Erf"):
        TorchSubgraph(model, "timbre", "z")


def test_dequantize_makes_a_quantized_graph_float_again(tmp_path):
    source, quantized, original = tmp_path / "f.onnx", tmp_path / "q.onnx", decoder_like()
    onnx.save(original, source)
    quantize_dynamic(str(source), str(quantized), weight_type=QuantType.QUInt8, op_types_to_quantize=["Conv", "MatMul"])
    model = onnx.load(quantized)
    assert {"ConvInteger", "MatMulInteger"} <= {n.op_type for n in model.graph.node}
    x = RNG.standard_normal((1, 4, 32)).astype(np.float32)
    style = RNG.standard_normal((1, 8)).astype(np.float32)
    floats = run_ort(original, x=x, style=style)[0]
    restored = dequantize(model)
    ops = {n.op_type for n in restored.graph.node}
    assert not ops & {"ConvInteger", "MatMulInteger", "DynamicQuantizeLinear"}
    # The weights keep their 8-bit rounding; the activations are exact again.
    assert np.abs(run_ort(restored, x=x, style=style)[0] - floats).max() < 0.05 * np.abs(floats).max()


def test_a_graph_without_the_seed_is_refused_by_name():
    # Another export of the model: the clone then keeps its blend (clone.py).
    with pytest.raises(LivehostError, match="y does not depend on /decoder/Slice_output_0"):
        TorchSubgraph(decoder_like(), "/decoder/Slice_output_0", "y")
