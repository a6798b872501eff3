import numpy as np
import onnxruntime as ort
import pytest

from kgraph.compiler import serde
from kgraph.compiler.builder import GraphBuilder
from kgraph.compiler.passes.nchwc_conv import NchwcConvPass
from kgraph.runtime.nchwc import nchwc_block_size

RNG = np.random.default_rng(12)
BLOCK = nchwc_block_size()
needs_nchwc = pytest.mark.skipif(BLOCK is None, reason="onnxruntime has no NCHWc kernels here")


def _conv_nchw(x, w, b, stride, pads):
    """Reference 2-D correlation in float64 numpy."""
    x = np.pad(x.astype(np.float64), [(0, 0), (0, 0), (pads[0], pads[2]), (pads[1], pads[3])])
    o, _, kh, kw = w.shape
    oh, ow = (x.shape[2] - kh) // stride + 1, (x.shape[3] - kw) // stride + 1
    y = np.zeros((x.shape[0], o, oh, ow))
    for i in range(kh):
        for j in range(kw):
            patch = x[:, :, i : i + stride * oh : stride, j : j + stride * ow : stride]
            y += np.einsum("nchw,oc->nohw", patch, w[:, :, i, j])
    return y + b[None, :, None, None]


def _run(model, feeds):
    data = serde.to_bytes(model, infer_shapes=False, check=False)
    session = ort.InferenceSession(data, providers=["CPUExecutionProvider"])
    return session.run(None, feeds)


def _graph(channels, filters, attrs, stride=1):
    b = GraphBuilder()
    x = b.input("x", ("batch", channels, 9, 8), "float32")
    w = b.input("w", (filters, channels, 3, 3), "float32")
    bias = b.input("b", (filters,), "float32")
    conv = b.op("Conv", [x, w, bias], {"kernel_shape": [3, 3], "strides": [stride] * 2, **attrs})
    b.output(b.op("Relu", [conv]), "y")
    return serde.to_model(b.graph)


@needs_nchwc
@pytest.mark.parametrize(("stride", "pads"), [(1, [1, 1, 1, 1]), (2, [0, 1, 1, 0])])
def test_conv_with_a_trained_kernel_runs_blocked(stride, pads):
    channels, filters = BLOCK, 2 * BLOCK
    model = _graph(channels, filters, {"pads": pads}, stride)
    feeds = {
        "x": RNG.standard_normal((3, channels, 9, 8)).astype(np.float32),
        "w": RNG.standard_normal((filters, channels, 3, 3)).astype(np.float32),
        "b": RNG.standard_normal(filters).astype(np.float32),
    }
    expected = np.maximum(_conv_nchw(feeds["x"], feeds["w"], feeds["b"], stride, pads), 0)
    result = NchwcConvPass(BLOCK)(model)
    assert result.modified and model.opset_imports["com.microsoft.nchwc"] == 1
    ops = [(n.domain, n.op_type) for n in model.graph]
    assert ("com.microsoft.nchwc", "Conv") in ops and ("", "Conv") not in ops
    (got,) = _run(model, feeds)
    np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-4)


@needs_nchwc
def test_convs_it_cannot_block_are_kept():
    odd = _graph(BLOCK + 4, BLOCK, {"pads": [1, 1, 1, 1]})  # channels not a block multiple
    assert not NchwcConvPass(BLOCK)(odd).modified
    grouped = _graph(2 * BLOCK, 2 * BLOCK, {"group": 2})
    assert not NchwcConvPass(BLOCK)(grouped).modified


def test_block_size_is_validated():
    with pytest.raises(ValueError, match="Received: block_size=1"):
        NchwcConvPass(1)


def test_float16_convs_are_kept():
    b = GraphBuilder()
    x = b.input("x", (1, 16, 4, 4), "float16")
    w = b.input("w", (16, 16, 3, 3), "float16")
    b.output(b.op("Conv", [x, w], {"kernel_shape": [3, 3]}), "y")
    assert not NchwcConvPass(16)(serde.to_model(b.graph)).modified


@needs_nchwc
@pytest.mark.parametrize(("stride", "kernel"), [(1, 3), (2, 5)])
def test_depthwise_conv_runs_blocked(stride, kernel):
    channels = 2 * BLOCK
    pads = [kernel // 2] * 4
    b = GraphBuilder()
    x = b.input("x", ("batch", channels, 9, 8), "float32")
    w = b.input("w", (channels, 1, kernel, kernel), "float32")
    bias = b.input("b", (channels,), "float32")
    attrs = {"kernel_shape": [kernel] * 2, "strides": [stride] * 2, "pads": pads}
    b.output(b.op("Conv", [x, w, bias], {**attrs, "group": channels}), "y")
    model = serde.to_model(b.graph)
    feeds = {
        "x": RNG.standard_normal((3, channels, 9, 8)).astype(np.float32),
        "w": RNG.standard_normal((channels, 1, kernel, kernel)).astype(np.float32),
        "b": RNG.standard_normal(channels).astype(np.float32),
    }
    dense = np.zeros((channels, channels, kernel, kernel), np.float32)  # block-diagonal
    dense[np.arange(channels), np.arange(channels)] = feeds["w"][:, 0]
    expected = _conv_nchw(feeds["x"], dense, feeds["b"], stride, pads)
    assert NchwcConvPass(BLOCK)(model).modified
    assert ("com.microsoft.nchwc", "Conv") in [(n.domain, n.op_type) for n in model.graph]
    (got,) = _run(model, feeds)
    np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-4)
