"""Tests for compiler.losses: loss graphs run in onnxruntime against numpy references."""

from __future__ import annotations

import os

import numpy as np
import onnxruntime as ort
import pytest

from kgraph.compiler import serde
from kgraph.compiler.builder import GraphBuilder
from kgraph.compiler.losses import build_loss, canonical_loss_name, resolve_loss_name

EPS = 1e-7
RNG = np.random.default_rng(0)
B, C = 6, 4
REDUCTIONS = ["sum_over_batch_size", "sum", "mean", "mean_with_sample_weight", "none"]


# -- harness ------------------------------------------------------------------------------
def run_loss(spec, y_true, y_pred, sw=None, *, head=None, opset=21, dynamic=False):
    """Builds inputs -> [head] -> build_loss -> output, runs it in onnxruntime."""
    b = GraphBuilder(opset=opset)

    def declare(name, a):
        shape = [None if dynamic and i == 0 else d for i, d in enumerate(a.shape)]
        return b.input(name, shape, a.dtype)

    yt, yp = declare("y_true", y_true), declare("y_pred", y_pred)
    if head is not None:
        dims = ["batch" if dynamic else B, *y_pred.shape[1:]]
        yp = b.op(
            head, [yp], {"axis": -1} if head == "Softmax" else None, dtype=np.float32, shape=dims
        )
    feeds = {"y_true": y_true, "y_pred": y_pred}
    swv = None
    if sw is not None:
        swv, feeds["sw"] = declare("sw", sw), sw
    b.output(build_loss(b, spec, yt, yp, swv), "loss")
    data = serde.to_bytes(serde.to_model(b.graph))
    sess = ort.InferenceSession(data, providers=["CPUExecutionProvider"])
    return sess.run(None, feeds)[0], [n.op_type for n in b.graph]


# -- numpy references ---------------------------------------------------------------------
def log_softmax(x):
    m = x.max(-1, keepdims=True)
    return x - m - np.log(np.exp(x - m).sum(-1, keepdims=True))


def sigmoid(x):
    return 1 / (1 + np.exp(-x))


def softmax(x):
    return np.exp(log_softmax(x))


def ref_ce(onehot, y_pred, from_logits, smoothing=0.0):
    onehot = onehot.astype(np.float64)
    if smoothing:
        onehot = onehot * (1 - smoothing) + smoothing / onehot.shape[-1]
    if from_logits:
        logp = log_softmax(y_pred.astype(np.float64))
    else:
        p = y_pred / y_pred.sum(-1, keepdims=True)
        logp = np.log(np.clip(p, EPS, 1 - EPS))
    return -(onehot * logp).sum(-1)


def ref_bce(z, y_pred, from_logits, smoothing=0.0):
    z = z.astype(np.float64)
    if smoothing:
        z = z * (1 - smoothing) + 0.5 * smoothing
    if from_logits:
        x = y_pred.astype(np.float64)
        elem = np.maximum(x, 0) - x * z + np.log1p(np.exp(-np.abs(x)))
    else:
        p = np.clip(y_pred, np.float32(EPS), np.float32(1 - EPS)).astype(np.float64)
        elem = -(z * np.log(p) + (1 - z) * np.log(1 - p))
    return elem.mean(-1)


def ref_regression(name, y_true, y_pred, delta=1.0):
    err = y_pred.astype(np.float64) - y_true
    if name == "mean_squared_error":
        elem = err**2
    elif name == "mean_absolute_error":
        elem = np.abs(err)
    else:
        a = np.abs(err)
        elem = np.where(a <= delta, 0.5 * err**2, delta * a - 0.5 * delta**2)
    return elem.mean(-1)


def ref_reduce(values, sw, reduction):
    if sw is not None:
        sw = sw.astype(np.float64)
        if values.ndim == sw.ndim + 1 and values.shape[-1] == 1:
            sw = sw[..., None]
        elif sw.ndim == values.ndim + 1 and sw.shape[-1] == 1:
            values = values[..., None]
        values = values * sw
    if reduction == "none":
        return values
    if reduction == "sum":
        return values.sum()
    if reduction == "mean_with_sample_weight" and sw is not None:
        return values.sum() / sw.sum()
    return values.sum() / values.size


def data(name):
    """(y_true, y_pred as probabilities or regression values, logits) for a loss."""
    logits = RNG.normal(size=(B, C)).astype(np.float32) * 3
    if name == "sparse_categorical_crossentropy":
        labels = RNG.integers(0, C, size=B).astype(np.int64)
        return labels, softmax(logits).astype(np.float32), logits
    if name == "categorical_crossentropy":
        onehot = np.eye(C, dtype=np.float32)[RNG.integers(0, C, size=B)]
        return onehot, softmax(logits).astype(np.float32), logits
    if name == "binary_crossentropy":
        z = RNG.integers(0, 2, size=(B, C)).astype(np.float32)
        return z, sigmoid(logits).astype(np.float32), logits
    return RNG.normal(size=(B, C)).astype(np.float32), logits, logits


def ref_values(name, y_true, y_pred, from_logits=False, smoothing=0.0):
    if name == "sparse_categorical_crossentropy":
        return ref_ce(np.eye(C)[y_true.reshape(-1).astype(int)], y_pred, from_logits, smoothing)
    if name == "categorical_crossentropy":
        return ref_ce(y_true, y_pred, from_logits, smoothing)
    if name == "binary_crossentropy":
        return ref_bce(y_true, y_pred, from_logits, smoothing)
    return ref_regression(name, y_true, y_pred)


CE_NAMES = ["sparse_categorical_crossentropy", "categorical_crossentropy", "binary_crossentropy"]
ALL_NAMES = [*CE_NAMES, "mean_squared_error", "mean_absolute_error", "huber"]


# -- every name x from_logits x reduction x sample_weight ---------------------------------
NAME_LOGITS = [(n, False) for n in ALL_NAMES] + [(n, True) for n in CE_NAMES]


@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("name, from_logits", NAME_LOGITS)
def test_loss_matrix(name, from_logits, reduction, weighted):
    y_true, probs, logits = data(name)
    y_pred = logits if from_logits else probs
    sw = RNG.uniform(0, 2, size=B).astype(np.float32) if weighted else None
    spec = {"name": name, "reduction": reduction}
    if name in CE_NAMES:
        spec["from_logits"] = from_logits
    got, _ = run_loss(spec, y_true, y_pred, sw)
    want = ref_reduce(ref_values(name, y_true, y_pred, from_logits), sw, reduction)
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
    assert got.dtype == np.float32


# -- numerical stability -------------------------------------------------------------------
EXTREME = np.array(
    [
        [50, -50, 0, 10],
        [-50, 50, -50, 50],
        [0, 0, 0, 0],
        [50, 50, -50, -50],
        [-50, -50, -50, 50],
        [1, 2, 3, 4],
    ],
    np.float32,
)


@pytest.mark.parametrize("sparse", [False, True])
def test_softmax_head_uses_logits(sparse):
    labels = np.array([1, 0, 2, 3, 0, 1])
    y_true = labels if sparse else np.eye(C, dtype=np.float32)[labels]
    name = "sparse_categorical_crossentropy" if sparse else "categorical_crossentropy"
    got, ops = run_loss({"name": name, "reduction": "none"}, y_true, EXTREME, head="Softmax")
    want = -log_softmax(EXTREME.astype(np.float64))[np.arange(B), labels]
    assert np.isfinite(got).all()
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)
    assert "LogSoftmax" in ops and "Clip" not in ops and max(got) > 99  # not capped at -log(eps)


def test_sigmoid_head_uses_logits():
    z = (RNG.uniform(size=EXTREME.shape) > 0.5).astype(np.float32)
    got, ops = run_loss({"name": "bce", "reduction": "none"}, z, EXTREME, head="Sigmoid")
    x = EXTREME.astype(np.float64)
    want = (np.maximum(x, 0) - x * z + np.log1p(np.exp(-np.abs(x)))).mean(-1)
    assert np.isfinite(got).all() and "Clip" not in ops
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)


def test_sigmoid_head_seen_through_keras_squeeze():
    x = (EXTREME[..., None]).astype(np.float32)  # (batch, 4, 1) sigmoid outputs, (batch, 4) targets
    z = (RNG.uniform(size=EXTREME.shape) > 0.5).astype(np.float32)
    got, ops = run_loss({"name": "bce", "reduction": "none"}, z, x, head="Sigmoid")
    x = EXTREME.astype(np.float64)
    want = (np.maximum(x, 0) - x * z + np.log1p(np.exp(-np.abs(x)))).mean(-1)
    assert "Clip" not in ops
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("name", CE_NAMES)
def test_extreme_logits_from_logits(name):
    labels = np.array([1, 0, 2, 3, 0, 1])
    y_true = {
        "sparse_categorical_crossentropy": labels,
        "categorical_crossentropy": np.eye(C, dtype=np.float32)[labels],
        "binary_crossentropy": (EXTREME > 0).astype(np.float32),
    }[name]
    got, _ = run_loss({"name": name, "from_logits": True, "reduction": "none"}, y_true, EXTREME)
    assert np.isfinite(got).all()
    np.testing.assert_allclose(got, ref_values(name, y_true, EXTREME, True), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("name", CE_NAMES)
def test_saturated_probabilities_are_clipped(name):
    probs = np.array([[1, 0, 0, 0], [0, 1, 0, 0]] * 3, np.float32)
    labels = np.array([1, 0, 2, 3, 0, 1])
    y_true = {
        "sparse_categorical_crossentropy": labels,
        "categorical_crossentropy": np.eye(C, dtype=np.float32)[labels],
        "binary_crossentropy": 1 - probs,
    }[name]
    got, ops = run_loss({"name": name, "reduction": "none"}, y_true, probs)
    assert "Clip" in ops and np.isfinite(got).all()
    np.testing.assert_allclose(got, ref_values(name, y_true, probs), rtol=1e-5)
    assert got.max() < -np.log(EPS) + 1e-3  # capped near -log(eps)


# -- labels, options, shapes ----------------------------------------------------------------
@pytest.mark.parametrize("dtype", [np.int32, np.int64, np.float32])
@pytest.mark.parametrize("column", [False, True])
def test_sparse_label_forms(dtype, column):
    labels = RNG.integers(0, C, size=B)
    y_true = (labels[:, None] if column else labels).astype(dtype)
    logits = RNG.normal(size=(B, C)).astype(np.float32)
    spec = {"name": "SparseCategoricalCrossentropy", "from_logits": True}
    got, _ = run_loss(spec, y_true, logits)
    np.testing.assert_allclose(got, ref_ce(np.eye(C)[labels], logits, True).mean(), rtol=1e-5)


@pytest.mark.parametrize("name", CE_NAMES)
def test_label_smoothing(name):
    y_true, _, logits = data(name)
    spec = {"name": name, "from_logits": True, "label_smoothing": 0.2, "reduction": "none"}
    got, _ = run_loss(spec, y_true, logits)
    np.testing.assert_allclose(got, ref_values(name, y_true, logits, True, 0.2), rtol=1e-5)


@pytest.mark.parametrize("reduction", ["sum_over_batch_size", "sum"])
def test_ignore_class(reduction):
    labels = np.array([0, 2, 1, 2, 3, 1])
    logits = RNG.normal(size=(B, C)).astype(np.float32)
    sw = RNG.uniform(0.5, 2, size=B).astype(np.float32)
    spec = {
        "name": "sparse_categorical_crossentropy",
        "from_logits": True,
        "ignore_class": 2,
        "reduction": reduction,
    }
    got, _ = run_loss(spec, labels, logits, sw)
    per = ref_ce(np.eye(C)[np.where(labels == 2, 0, labels)], logits, True) * (labels != 2)
    total = (per * sw).sum()
    want = total if reduction == "sum" else total / (labels != 2).sum()
    np.testing.assert_allclose(got, want, rtol=1e-5)


def test_huber_delta():
    y_true, y_pred = RNG.normal(size=(B, C)), RNG.normal(size=(B, C)) * 2
    y_true, y_pred = y_true.astype(np.float32), y_pred.astype(np.float32)
    got, _ = run_loss({"name": "huber_loss", "delta": 0.5, "reduction": "none"}, y_true, y_pred)
    np.testing.assert_allclose(got, ref_regression("huber", y_true, y_pred, 0.5), rtol=1e-5)


def test_binary_column_targets_and_column_weights():
    z = RNG.integers(0, 2, size=B).astype(np.float32)  # (batch,) targets vs (batch, 1) preds
    p = RNG.uniform(0.01, 0.99, size=(B, 1)).astype(np.float32)
    sw = RNG.uniform(size=(B, 1)).astype(np.float32)
    got, _ = run_loss({"name": "binary_crossentropy"}, z, p, sw)
    want = (ref_bce(z[:, None], p, False) * sw[:, 0]).sum() / B
    np.testing.assert_allclose(got, want, rtol=1e-5)


def test_regression_rank_one_and_sequence_weights():
    y_true = RNG.normal(size=(B, 3, C)).astype(np.float32)
    y_pred = RNG.normal(size=(B, 3, C)).astype(np.float32)
    sw = RNG.uniform(size=B).astype(np.float32)  # broadcast over the time axis
    got, _ = run_loss({"name": "mse"}, y_true, y_pred, sw)
    per = ((y_pred - y_true) ** 2).mean(-1)
    np.testing.assert_allclose(got, (per * sw[:, None]).sum() / per.size, rtol=1e-5)


@pytest.mark.parametrize("opset", [17, 18, 23])
@pytest.mark.parametrize("name", ALL_NAMES)
def test_opsets_and_dynamic_batch(opset, name):
    y_true, probs, _ = data(name)
    sw = RNG.uniform(size=B).astype(np.float32)
    spec = {"name": name, "label_smoothing": 0.1} if name in CE_NAMES[1:] else {"name": name}
    got, _ = run_loss(spec, y_true, probs, sw, opset=opset, dynamic=True)
    smoothing = spec.get("label_smoothing", 0.0)
    want = ref_reduce(ref_values(name, y_true, probs, False, smoothing), sw, "sum_over_batch_size")
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)


def test_zero_weights_mean_with_sample_weight_is_zero():
    y_true, probs, _ = data("mean_squared_error")
    spec = {"name": "mse", "reduction": "mean_with_sample_weight"}
    got, _ = run_loss(spec, y_true, probs, np.zeros(B, np.float32))
    assert got == 0.0


# -- names and errors -----------------------------------------------------------------------
def test_aliases():
    assert canonical_loss_name("MSE") == "mean_squared_error"
    assert canonical_loss_name("mae") == "mean_absolute_error"
    assert canonical_loss_name("BinaryCrossentropy") == "binary_crossentropy"
    assert canonical_loss_name("bce") == "binary_crossentropy"
    assert canonical_loss_name("Huber") == "huber"
    sparse = "sparse_categorical_crossentropy"
    assert resolve_loss_name("crossentropy", (None,), (None, 5)) == sparse
    assert resolve_loss_name("ce", (None, 1), (None, 5)) == sparse
    assert resolve_loss_name("ce", (None, 5), (None, 5)) == "categorical_crossentropy"
    assert resolve_loss_name("ce", (None, 1), (None, 1)) == "binary_crossentropy"
    assert resolve_loss_name("mse", (None, 1), (None, 1)) == "mean_squared_error"


@pytest.mark.parametrize(
    "spec, match",
    [
        ({"name": "ctc_typo"}, "Unsupported loss"),
        ({"name": "mse", "reduction": "avg"}, "reduction"),
        ({"name": "mse", "from_logits": True}, "Unknown argument"),
        ({"name": "categorical_crossentropy", "axis": True}, "axis"),
        ({"name": "binary_crossentropy", "label_smoothing": 2.0}, "label_smoothing"),
    ],
)
def test_bad_specs(spec, match):
    y_true, probs, _ = data("categorical_crossentropy")
    with pytest.raises(ValueError, match=match):
        run_loss(spec, y_true, probs)


# -- Keras oracle ---------------------------------------------------------------------------
@pytest.mark.oracle
@pytest.mark.parametrize("reduction", ["sum_over_batch_size", "sum", "mean_with_sample_weight"])
@pytest.mark.parametrize("name", ALL_NAMES)
def test_matches_keras(name, reduction):
    os.environ.setdefault("KERAS_BACKEND", "jax")
    keras = pytest.importorskip("keras")
    y_true, probs, logits = data(name)
    sw = RNG.uniform(0, 2, size=B).astype(np.float32)
    cls = {
        "sparse_categorical_crossentropy": keras.losses.SparseCategoricalCrossentropy,
        "categorical_crossentropy": keras.losses.CategoricalCrossentropy,
        "binary_crossentropy": keras.losses.BinaryCrossentropy,
        "mean_squared_error": keras.losses.MeanSquaredError,
        "mean_absolute_error": keras.losses.MeanAbsoluteError,
        "huber": keras.losses.Huber,
    }[name]
    for from_logits in [False, True] if name in CE_NAMES else [False]:
        kwargs = {"from_logits": from_logits} if name in CE_NAMES else {}
        y_pred = logits if from_logits else probs
        want = cls(reduction=reduction, **kwargs)(y_true, y_pred, sample_weight=sw)
        got, _ = run_loss({"name": name, "reduction": reduction, **kwargs}, y_true, y_pred, sw)
        np.testing.assert_allclose(got, np.asarray(want), rtol=2e-5, atol=1e-6)


# -- gradients through compiler.autodiff ----------------------------------------------------
@pytest.mark.parametrize("head", ["Softmax", "Sigmoid"])
def test_gradient_is_probability_minus_target(head):
    """d loss / d logits is (p - target) / N, exact at +-50 and at 0, through the activation."""
    autodiff = pytest.importorskip("compiler.autodiff")
    labels = np.array([1, 0, 2, 3, 0, 1])
    if head == "Softmax":
        y_true, target = labels, np.eye(C)[labels]
        spec, p, n = {"name": "sparse_categorical_crossentropy"}, softmax(EXTREME.astype(float)), B
    else:
        target = y_true = (EXTREME > 0).astype(np.float32)
        spec, p, n = {"name": "binary_crossentropy"}, sigmoid(EXTREME.astype(np.float64)), B * C
    b = GraphBuilder(opset=21)
    yt, x = b.input("y_true", y_true.shape, y_true.dtype), b.input("x", EXTREME.shape, np.float32)
    y_pred = b.op(
        head,
        [x],
        {"axis": -1} if head == "Softmax" else None,
        dtype=np.float32,
        shape=EXTREME.shape,
    )
    loss = build_loss(b, spec, yt, y_pred)
    autodiff.ensure_shapes(b.graph)
    (grad,) = autodiff.gradients(b, loss, [x])
    b.output(grad, "grad")
    sess = ort.InferenceSession(
        serde.to_bytes(serde.to_model(b.graph)), providers=["CPUExecutionProvider"]
    )
    (got,) = sess.run(None, {"y_true": y_true, "x": EXTREME})
    np.testing.assert_allclose(got, (p - target) / n, atol=1e-7)
