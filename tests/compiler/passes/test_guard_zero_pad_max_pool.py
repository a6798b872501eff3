"""A zero Pad before a MaxPool must stay a zero Pad under onnxruntime's default optimizations
(its Pad_Fusion would pad with -inf instead); the reference is numpy's zero-pad-then-max."""

from __future__ import annotations

import numpy as np
import onnxruntime as ort
import pytest

from kgraph.compiler import serde
from kgraph.compiler.builder import GraphBuilder
from kgraph.compiler.passes import GuardZeroPadMaxPoolPass, layout_passes

TO_NCHW = [0, 3, 1, 2]
TO_NHWC = [0, 2, 3, 1]


def _ort(model, x, level=ort.GraphOptimizationLevel.ORT_ENABLE_ALL):
    """Runs ``model`` on the channels-last ``x`` (fed channels-first)."""
    options = ort.SessionOptions()
    options.graph_optimization_level = level
    data = serde.to_bytes(model)
    session = ort.InferenceSession(data, options, providers=["CPUExecutionProvider"])
    return session.run(None, {"x": _nchw(x)})


def _max_pool_reference(x_nhwc, pad=1, size=3, stride=2):
    """Zero padding, then a valid max pool, in float64 numpy (NHWC)."""
    padded = np.pad(x_nhwc.astype(np.float64), ((0, 0), (pad, pad), (pad, pad), (0, 0)))
    n, h, w, c = padded.shape
    rows = range(0, h - size + 1, stride)
    cols = range(0, w - size + 1, stride)
    out = np.empty((n, len(rows), len(cols), c))
    for i, r in enumerate(rows):
        for j, q in enumerate(cols):
            out[:, i, j] = padded[:, r : r + size, q : q + size].max(axis=(1, 2))
    return out


def _pad_then_pool(b, x, with_conv=False):
    """Channels-last ZeroPadding2D → MaxPooling2D as kgraph lowers it (Pad, Transpose,
    MaxPool); optionally a second zero Pad that feeds a Conv."""
    pads = b.constant(np.asarray([0, 1, 1, 0, 0, 1, 1, 0], np.int64))
    zero = b.constant(np.asarray(0.0, np.float32))
    padded = b.op("Pad", [x, pads, zero], {"mode": "constant"})
    pooled = b.op(
        "MaxPool",
        [b.op("Transpose", [padded], {"perm": TO_NCHW})],
        {"kernel_shape": [3, 3], "strides": [2, 2]},
    )
    b.output(pooled, "pooled")
    if with_conv:
        other = b.op("Pad", [x, pads, zero], {"mode": "constant"})
        w = b.constant(np.ones((2, 3, 3, 3), np.float32))
        conv = b.op("Conv", [b.op("Transpose", [other], {"perm": TO_NCHW}), w], {})
        b.output(conv, "conv")


def _model(with_conv=False):
    """The input is channels-first, as a preceding Conv's output: onnxruntime cancels the two
    layout Transposes around the Pad, which leaves the Pad next to the MaxPool."""
    b = GraphBuilder()
    x = b.op("Transpose", [b.input("x", (2, 3, 6, 6), "float32")], {"perm": TO_NHWC})
    _pad_then_pool(b, x, with_conv)
    return serde.to_model(b.graph)


def _nchw(x_nhwc):
    return np.ascontiguousarray(x_nhwc.transpose(0, 3, 1, 2))


def test_negative_windows_pool_the_zero_padding():
    x = -np.random.default_rng(0).uniform(0.1, 1.0, (2, 6, 6, 3)).astype(np.float32)
    expected = _max_pool_reference(x).transpose(0, 3, 1, 2)
    model = _model()
    result = GuardZeroPadMaxPoolPass()(model)
    assert result.modified
    (got,) = _ort(result.model, x)
    np.testing.assert_allclose(got, expected, rtol=1e-6, atol=0)
    assert (got[:, :, 0, :] == 0).all()  # the border windows see a padded zero


def test_without_the_pass_onnxruntime_pools_minus_infinity():
    """The defect the pass guards against: if this starts passing with the unguarded graph,
    onnxruntime fixed Pad_Fusion and the pass may go."""
    x = -np.ones((2, 6, 6, 3), np.float32)
    (got,) = _ort(_model(), x)
    (unoptimized,) = _ort(_model(), x, ort.GraphOptimizationLevel.ORT_DISABLE_ALL)
    assert (unoptimized[:, :, 0, 0] == 0).all()
    assert (got[:, :, 0, 0] == -1).all()


def test_pad_into_conv_keeps_positive_zero_and_values_match():
    x = np.random.default_rng(1).standard_normal((2, 6, 6, 3)).astype(np.float32)
    model = _model(with_conv=True)
    (before_pool, before_conv) = _ort(
        _model(with_conv=True), x, ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    )
    result = GuardZeroPadMaxPoolPass()(model)
    pads = [node for node in result.model.graph if node.op_type == "Pad"]
    signs = sorted(bool(np.signbit(p.inputs[2].const_value.numpy())) for p in pads)
    assert signs == [False, True]
    got_pool, got_conv = _ort(result.model, x)
    np.testing.assert_array_equal(got_pool, before_pool)
    np.testing.assert_allclose(got_conv, before_conv, rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(got_pool, _max_pool_reference(x).transpose(0, 3, 1, 2), rtol=1e-6)


@pytest.mark.parametrize("value", [1.0, -0.0])
def test_non_zero_or_already_guarded_values_are_left_alone(value):
    b = GraphBuilder()
    x = b.input("x", (2, 3, 6, 6), "float32")
    pads = b.constant(np.asarray([0, 0, 1, 1, 0, 0, 1, 1], np.int64))
    padded = b.op("Pad", [x, pads, b.constant(np.asarray(value, np.float32))], {"mode": "constant"})
    b.output(b.op("MaxPool", [padded], {"kernel_shape": [3, 3]}), "out")
    assert not GuardZeroPadMaxPoolPass()(serde.to_model(b.graph)).modified


def test_layout_passes_include_the_guard():
    assert any(isinstance(p, GuardZeroPadMaxPoolPass) for p in layout_passes())
