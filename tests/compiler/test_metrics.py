"""Tests for compiler.metrics: streaming metric state in onnxruntime against numpy references."""

from __future__ import annotations

import os

import numpy as np
import onnxruntime as ort
import pytest

from kgraph.compiler import serde
from kgraph.compiler.builder import GraphBuilder
from kgraph.compiler.metrics import (
    build_metric,
    canonical_metric_name,
    metric_state_specs,
    resolve_metric_name,
)

RNG = np.random.default_rng(1)
B, C = 5, 3


class MetricGraph:
    """inputs + state -> build_metric -> (new state, result), run batch after batch."""

    def __init__(self, spec, y_true, y_pred, sw=None, opset=21):
        b = GraphBuilder(opset=opset)
        yt = b.input("y_true", [None, *y_true.shape[1:]], y_true.dtype)
        yp = b.input("y_pred", [None, *y_pred.shape[1:]], y_pred.dtype)
        swv = b.input("sw", [None, *sw.shape[1:]], sw.dtype) if sw is not None else None
        self.specs = metric_state_specs(spec)
        state = {k: b.input(k, shape, dtype) for k, (shape, dtype) in self.specs.items()}
        new_state, result = build_metric(b, spec, yt, yp, swv, state)
        assert set(new_state) == set(state)
        for k, v in new_state.items():
            b.output(v, f"{k}:new")
        b.output(result, "result")
        self.ops = [n.op_type for n in b.graph]
        data = serde.to_bytes(serde.to_model(b.graph))
        self.sess = ort.InferenceSession(data, providers=["CPUExecutionProvider"])
        self.state = {k: np.zeros(shape, dtype) for k, (shape, dtype) in self.specs.items()}

    def update(self, y_true, y_pred, sw=None):
        feeds = {"y_true": y_true, "y_pred": y_pred, **self.state}
        if sw is not None:
            feeds["sw"] = sw
        outs = dict(zip([o.name for o in self.sess.get_outputs()], self.sess.run(None, feeds)))
        self.state = {k: outs[f"{k}:new"] for k in self.specs}
        return float(outs["result"])


def values(kind, y_true, y_pred, threshold=0.5):
    """Per-sample numpy references (elementwise matches or errors, last axis reduced)."""
    if kind == "sparse_categorical_accuracy":
        return (y_true.reshape(len(y_true)) == y_pred.argmax(-1)).astype(np.float64)
    if kind == "categorical_accuracy":
        return (y_true.argmax(-1) == y_pred.argmax(-1)).astype(np.float64)
    if kind == "binary_accuracy":
        return ((y_pred > threshold) == (y_true > 0.5)).astype(np.float64).mean(-1)
    err = y_true.astype(np.float64) - y_pred
    return (np.abs(err) if kind == "mean_absolute_error" else err**2).mean(-1)


def batch(kind):
    if kind == "sparse_categorical_accuracy":
        return RNG.integers(0, C, size=B).astype(np.int64), RNG.random((B, C), np.float32)
    if kind == "categorical_accuracy":
        onehot = np.eye(C, dtype=np.float32)[RNG.integers(0, C, size=B)]
        return onehot, RNG.random((B, C), np.float32)
    if kind == "binary_accuracy":
        return RNG.integers(0, 2, size=(B, 1)).astype(np.float32), RNG.random((B, 1), np.float32)
    return RNG.normal(size=(B, C)).astype(np.float32), RNG.normal(size=(B, C)).astype(np.float32)


KINDS = [
    "sparse_categorical_accuracy",
    "categorical_accuracy",
    "binary_accuracy",
    "mean_absolute_error",
    "mean_squared_error",
]


@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("kind", KINDS)
def test_streaming_matches_numpy(kind, weighted):
    y_true, y_pred = batch(kind)
    sw0 = RNG.uniform(size=B).astype(np.float32) if weighted else None
    graph = MetricGraph({"name": "m", "kind": kind}, y_true, y_pred, sw0)
    total = count = 0.0
    for size in (B, 2, 2 * B):  # dynamic batch sizes, state carried across batches
        (t1, p1), (t2, p2) = batch(kind), batch(kind)
        y_true, y_pred = np.concatenate([t1, t2])[:size], np.concatenate([p1, p2])[:size]
        sw = RNG.uniform(size=len(y_true)).astype(np.float32) if weighted else None
        v = values(kind, y_true, y_pred)
        total += (v * sw).sum() if weighted else v.sum()
        count += sw.sum() if weighted else len(v)
        got = graph.update(y_true, y_pred, sw)
        np.testing.assert_allclose(got, total / count, rtol=1e-5)
        np.testing.assert_allclose(graph.state["m/total"], total, rtol=1e-5)
        np.testing.assert_allclose(graph.state["m/count"], count, rtol=1e-5)


def test_state_specs():
    assert metric_state_specs({"name": "accuracy"}) == {
        "accuracy/total": ((), "float32"),
        "accuracy/count": ((), "float32"),
    }


def test_display_name_names_the_state():
    spec = {"name": "sparse_categorical_accuracy", "display_name": "acc"}
    assert set(metric_state_specs(spec)) == {"acc/total", "acc/count"}
    y_true, y_pred = batch("sparse_categorical_accuracy")
    graph = MetricGraph(spec, y_true, y_pred)
    got = graph.update(y_true, y_pred)
    np.testing.assert_allclose(got, values("sparse_categorical_accuracy", y_true, y_pred).mean())


def test_result_is_zero_before_any_sample():
    y_true, y_pred = batch("mean_absolute_error")
    graph = MetricGraph({"name": "mae"}, y_true, y_pred, np.ones(B, np.float32))
    assert graph.update(y_true, y_pred, np.zeros(B, np.float32)) == 0.0
    assert "Where" in graph.ops  # divide_no_nan


@pytest.mark.parametrize(
    "y_true_shape, y_pred_shape, kind",
    [
        ((B,), (B, C), "sparse_categorical_accuracy"),
        ((B, 1), (B, C), "sparse_categorical_accuracy"),
        ((B, C), (B, C), "categorical_accuracy"),
        ((B, 1), (B, 1), "binary_accuracy"),
    ],
)
def test_accuracy_resolved_from_shapes(y_true_shape, y_pred_shape, kind):
    """``{"name": "accuracy"}`` without a kind resolves exactly like Keras' compile."""
    if kind == "sparse_categorical_accuracy":
        y_true = RNG.integers(0, C, size=y_true_shape).astype(np.int32)
    elif kind == "categorical_accuracy":
        y_true = np.eye(C, dtype=np.float32)[RNG.integers(0, C, size=B)]
    else:
        y_true = RNG.integers(0, 2, size=y_true_shape).astype(np.float32)
    y_pred = RNG.random(y_pred_shape, np.float32)
    graph = MetricGraph({"name": "accuracy"}, y_true, y_pred)
    np.testing.assert_allclose(graph.update(y_true, y_pred), values(kind, y_true, y_pred).mean())


def test_binary_threshold_is_strict():
    y_true = np.array([[1], [0], [1], [0]], np.float32)
    y_pred = np.array([[0.7], [0.7], [0.71], [0.2]], np.float32)
    graph = MetricGraph({"name": "binary_accuracy", "threshold": 0.7}, y_true, y_pred)
    assert graph.update(y_true, y_pred) == 0.75  # 0.7 > 0.7 is False: row 0 misses


def test_argmax_ties_take_first_index():
    y_true = np.array([0, 1], np.int64)
    y_pred = np.array([[0.5, 0.5, 0.0], [0.5, 0.5, 0.0]], np.float32)
    graph = MetricGraph({"name": "acc", "kind": "sparse_categorical_accuracy"}, y_true, y_pred)
    assert graph.update(y_true, y_pred) == 0.5


def test_column_weights_and_sequence_values():
    y_true = RNG.normal(size=(B, 4, C)).astype(np.float32)
    y_pred = RNG.normal(size=(B, 4, C)).astype(np.float32)
    sw = RNG.uniform(size=(B, 1)).astype(np.float32)
    graph = MetricGraph({"name": "mse"}, y_true, y_pred, sw)
    per = ((y_true - y_pred) ** 2).mean(-1).mean(-1)
    np.testing.assert_allclose(
        graph.update(y_true, y_pred, sw), (per * sw[:, 0]).sum() / sw.sum(), rtol=1e-5
    )


@pytest.mark.parametrize("opset", [17, 23])
def test_opsets(opset):
    y_true, y_pred = batch("binary_accuracy")
    graph = MetricGraph({"name": "accuracy"}, y_true, y_pred, opset=opset)
    np.testing.assert_allclose(
        graph.update(y_true, y_pred), values("binary_accuracy", y_true, y_pred).mean()
    )


def test_names():
    assert canonical_metric_name("mae") == "mean_absolute_error"
    assert canonical_metric_name("MSE") == "mean_squared_error"
    assert canonical_metric_name("SparseCategoricalAccuracy") == "sparse_categorical_accuracy"
    with pytest.raises(ValueError, match="resolve_metric_name"):
        canonical_metric_name("accuracy")
    with pytest.raises(ValueError, match="Unsupported metric"):
        canonical_metric_name("not_a_metric")
    sparse = "sparse_categorical_crossentropy"
    assert resolve_metric_name("accuracy", sparse, (None, 10)) == "sparse_categorical_accuracy"
    assert resolve_metric_name("acc", "categorical_crossentropy", (None, 10)) == (
        "categorical_accuracy"
    )
    assert resolve_metric_name("Accuracy", "binary_crossentropy", (None, 1)) == "binary_accuracy"
    assert resolve_metric_name("accuracy", "mse", (None, 10), (None, 1)) == (
        "sparse_categorical_accuracy"
    )
    # Keras keeps categorical accuracy for multi-label sigmoid outputs
    assert resolve_metric_name("accuracy", "bce", (None, 4)) == "categorical_accuracy"
    assert resolve_metric_name("mae", None, (None, 1)) == "mean_absolute_error"


@pytest.mark.oracle
@pytest.mark.parametrize("kind", KINDS)
def test_matches_keras(kind):
    os.environ.setdefault("KERAS_BACKEND", "jax")
    keras = pytest.importorskip("keras")
    cls = {
        "sparse_categorical_accuracy": keras.metrics.SparseCategoricalAccuracy,
        "categorical_accuracy": keras.metrics.CategoricalAccuracy,
        "binary_accuracy": keras.metrics.BinaryAccuracy,
        "mean_absolute_error": keras.metrics.MeanAbsoluteError,
        "mean_squared_error": keras.metrics.MeanSquaredError,
    }[kind]
    metric = cls()
    y_true, y_pred = batch(kind)
    graph = MetricGraph({"name": "m", "kind": kind}, y_true, y_pred, np.ones(B, np.float32))
    for _ in range(3):
        y_true, y_pred = batch(kind)
        sw = RNG.uniform(size=B).astype(np.float32)
        metric.update_state(y_true, y_pred, sample_weight=sw)
        got = graph.update(y_true, y_pred, sw)
        np.testing.assert_allclose(got, float(metric.result()), rtol=1e-5)
