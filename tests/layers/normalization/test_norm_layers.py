"""LayerNormalization, GroupNormalization, RMSNormalization and UnitNormalization against
numpy references written from their definitions."""

from __future__ import annotations

import numpy as np
import pytest

from kgraph import layers
from tests.harness import run_layer_test


def _bcast(w, axes, rank):
    shape = [1] * rank
    for a, d in zip(axes, w.shape):
        shape[a] = d
    return w.reshape(shape)


@pytest.mark.parametrize(
    "kwargs, shape, axes",
    [
        (dict(), (3, 5), [1]),
        (dict(axis=[1, 2], epsilon=1e-5), (2, 3, 4, 2), [1, 2]),
        (dict(axis=1, center=False), (2, 4, 3), [1]),
        (dict(axis=-1, scale=False), (2, 3, 4), [2]),
    ],
)
def test_layer_normalization(kwargs, shape, axes):
    eps = kwargs.get("epsilon", 1e-3)
    center, scale = kwargs.get("center", True), kwargs.get("scale", True)

    def reference(x, w):
        mean = x.mean(tuple(axes), keepdims=True)
        var = x.var(tuple(axes), keepdims=True)
        y = (x - mean) / np.sqrt(var + eps)
        weights = iter(w)
        if scale:
            y = y * _bcast(next(weights), axes, x.ndim)
        if center:
            y = y + _bcast(next(weights), axes, x.ndim)
        return y

    result = run_layer_test(
        layers.LayerNormalization, kwargs, shape, shape, reference, atol=1e-4, rtol=1e-4
    )
    names = [w.name for w in result.layer.weights]
    assert names == [n for n, on in (("gamma", scale), ("beta", center)) if on]


@pytest.mark.parametrize(
    "kwargs, shape",
    [
        (dict(groups=2), (2, 3, 4, 6)),
        (dict(groups=-1, axis=1), (2, 3, 5)),
        (dict(groups=1, epsilon=1e-5), (2, 4, 3)),
    ],
)
def test_group_normalization(kwargs, shape):
    axis = kwargs.get("axis", -1) % len(shape)
    eps = kwargs.get("epsilon", 1e-3)

    def reference(x, w):
        moved = np.moveaxis(x, axis, -1)
        c = moved.shape[-1]
        g = c if kwargs["groups"] == -1 else kwargs["groups"]
        grouped = moved.reshape(*moved.shape[:-1], g, c // g)
        axes = tuple(i for i in range(1, grouped.ndim) if i != grouped.ndim - 2)
        mean = grouped.mean(axes, keepdims=True)
        var = grouped.var(axes, keepdims=True)
        y = ((grouped - mean) / np.sqrt(var + eps)).reshape(moved.shape) * w[0] + w[1]
        return np.moveaxis(y, -1, axis)

    run_layer_test(layers.GroupNormalization, kwargs, shape, shape, reference, atol=1e-4)


def test_group_normalization_checks_groups():
    with pytest.raises(ValueError, match="multiple"):
        run_layer_test(layers.GroupNormalization, dict(groups=4), (2, 6), (2, 6))
    with pytest.raises(ValueError, match="groups"):
        layers.GroupNormalization(groups=0)


@pytest.mark.parametrize(
    "kwargs, shape, axes", [(dict(), (3, 5), (1,)), (dict(axis=[1, 2]), (2, 3, 4), (1, 2))]
)
def test_rms_normalization(kwargs, shape, axes):
    def reference(x, w):
        rms = np.sqrt((x * x).mean(axes, keepdims=True) + 1e-6)
        return x / rms * _bcast(w[0], list(axes), x.ndim)

    result = run_layer_test(layers.RMSNormalization, kwargs, shape, shape, reference, atol=1e-4)
    assert [w.name for w in result.layer.weights] == ["scale"]


@pytest.mark.parametrize(
    "kwargs, shape, axes", [(dict(), (3, 5), (1,)), (dict(axis=[1, 2]), (2, 3, 4), (1, 2))]
)
def test_unit_normalization(kwargs, shape, axes):
    def reference(x, w):
        return x / np.maximum(np.sqrt((x * x).sum(axes, keepdims=True)), 1e-12)

    run_layer_test(layers.UnitNormalization, kwargs, shape, shape, reference)


def test_axis_out_of_range():
    with pytest.raises(ValueError, match="out of bounds"):
        run_layer_test(layers.LayerNormalization, dict(axis=3), (2, 3), (2, 3))


def test_onnxruntime_fuses_layer_normalization(tmp_path):
    """The exported chain is the one onnxruntime fuses into its LayerNormalization kernel."""
    import onnx
    import onnxruntime as ort

    import kgraph

    inputs = kgraph.Input((10, 16))
    model = kgraph.Model(inputs, layers.LayerNormalization()(layers.Dense(16)(inputs)))
    options = ort.SessionOptions()
    options.optimized_model_filepath = str(tmp_path / "optimized.onnx")
    ort.InferenceSession(model.to_onnx_bytes(), options, providers=["CPUExecutionProvider"])
    kinds = {n.op_type for n in onnx.load(options.optimized_model_filepath).graph.node}
    assert "LayerNormalization" in kinds and "ReduceMean" not in kinds
