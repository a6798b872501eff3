"""compiler.losses' families against numpy written here: the per-sample values of every loss
added beyond the crossentropies (focal, generalized CE, regression, probabilistic, hinge,
overlap), run as the compiler's graphs in onnxruntime, plus finite-difference gradients of the
graphs the autodiff differentiates during training."""

from __future__ import annotations

import numpy as np
import pytest

from kgraph.compiler.losses import build_loss, per_sample_loss
from kgraph.losses_eager import loss_values
from tests.harness_vjp import check_graph_vjp

EPS = 1e-7
RNG = np.random.default_rng(3)
B, C = 5, 4


def _sigmoid(x):
    return 1 / (1 + np.exp(-x))


def _softmax(x):
    e = np.exp(x - x.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


def _normalize(x, axis=-1):
    return x / np.maximum(np.sqrt((x**2).sum(axis, keepdims=True)), EPS)


def _bce(z, p):
    p = np.clip(p, EPS, 1 - EPS)
    return -(z * np.log(p) + (1 - z) * np.log(1 - p))


def _binary_focal(z, p, gamma=2.0, alpha=0.25, balance=False, logits=False):
    p = _sigmoid(p) if logits else p
    p_t = z * p + (1 - z) * (1 - p)
    out = (1 - p_t) ** gamma * _bce(z, p)
    return (out * (z * alpha + (1 - z) * (1 - alpha)) if balance else out).mean(-1)


def _categorical_focal(y, p, gamma=2.0, alpha=0.25, logits=False):
    p = _softmax(p) if logits else p
    p = np.clip(p / p.sum(-1, keepdims=True), EPS, 1 - EPS)
    return (alpha * (1 - p) ** gamma * -y * np.log(p)).sum(-1)


def _hinge_labels(y):
    return 2 * y - 1 if np.isin(y, (0, 1)).all() else y


def _logcosh(y, p):
    return np.log(np.cosh(p - y)).mean(-1)


PROBS = RNG.dirichlet(np.ones(C), size=B).astype(np.float32)
ONEHOT = np.eye(C, dtype=np.float32)[RNG.integers(0, C, size=B)]
BINARY = (RNG.uniform(size=(B, C)) > 0.5).astype(np.float32)
UNIT = RNG.uniform(0.02, 0.98, size=(B, C)).astype(np.float32)
REAL = RNG.normal(size=(B, C)).astype(np.float32)
REAL2 = (REAL + RNG.normal(size=(B, C))).astype(np.float32)
POS = np.abs(REAL) + 0.1
LABELS = RNG.integers(0, C, size=B)

CASES = [  # spec, y_true, y_pred, numpy reference of the per-sample values
    ({"name": "binary_focal_crossentropy"}, BINARY, UNIT, _binary_focal(BINARY, UNIT)),
    (
        {"name": "binary_focal_crossentropy", "gamma": 1.0, "apply_class_balancing": True},
        BINARY,
        UNIT,
        _binary_focal(BINARY, UNIT, 1.0, balance=True),
    ),
    (
        {"name": "binary_focal_crossentropy", "from_logits": True},
        BINARY,
        REAL,
        _binary_focal(BINARY, REAL, logits=True),
    ),
    ({"name": "categorical_focal_crossentropy"}, ONEHOT, PROBS, _categorical_focal(ONEHOT, PROBS)),
    (
        {"name": "categorical_focal_crossentropy", "from_logits": True, "alpha": 1.0},
        ONEHOT,
        REAL,
        _categorical_focal(ONEHOT, REAL, alpha=1.0, logits=True),
    ),
    (
        {"name": "categorical_generalized_cross_entropy", "q": 0.3},
        LABELS,
        PROBS,
        (1 - PROBS[np.arange(B), LABELS] ** 0.3) / 0.3,
    ),
    (
        {"name": "mape"},
        REAL,
        REAL2,
        100 * np.abs((REAL - REAL2) / np.maximum(np.abs(REAL), EPS)).mean(-1),
    ),
    ({"name": "msle"}, POS, UNIT, ((np.log(UNIT + 1) - np.log(POS + 1)) ** 2).mean(-1)),
    ({"name": "log_cosh"}, REAL, REAL2, _logcosh(REAL, REAL2)),
    ({"name": "log_cosh"}, REAL, REAL * 60, _logcosh(REAL.astype(np.float64), REAL * 60.0)),
    ({"name": "cosine_similarity"}, REAL, REAL2, -(_normalize(REAL) * _normalize(REAL2)).sum(-1)),
    (
        {"name": "cosine_similarity", "axis": 0},
        REAL,
        REAL2,
        -(_normalize(REAL, 0) * _normalize(REAL2, 0)).sum(0),
    ),
    ({"name": "poisson"}, POS, UNIT, (UNIT - POS * np.log(UNIT + EPS)).mean(-1)),
    ({"name": "kld"}, PROBS, UNIT, (PROBS * np.log(PROBS / UNIT)).sum(-1)),
    ({"name": "hinge"}, BINARY, REAL, np.maximum(1 - (2 * BINARY - 1) * REAL, 0).mean(-1)),
    ({"name": "hinge"}, np.sign(REAL), REAL2, np.maximum(1 - np.sign(REAL) * REAL2, 0).mean(-1)),
    (
        {"name": "squared_hinge"},
        BINARY,
        REAL,
        (np.maximum(1 - _hinge_labels(BINARY) * REAL, 0) ** 2).mean(-1),
    ),
    (
        {"name": "categorical_hinge"},
        ONEHOT,
        REAL,
        np.maximum(((1 - ONEHOT) * REAL).max(-1) - (ONEHOT * REAL).sum(-1) + 1, 0),
    ),
    (
        {"name": "dice"},
        BINARY,
        UNIT,
        1 - 2 * (BINARY * UNIT).sum() / (BINARY.sum() + UNIT.sum() + EPS),
    ),
    (
        {"name": "dice", "axis": 1},
        BINARY,
        UNIT,
        1 - 2 * (BINARY * UNIT).sum(1) / (BINARY.sum(1) + UNIT.sum(1) + EPS),
    ),
    (
        {"name": "tversky", "alpha": 0.2, "beta": 0.8, "axis": [1]},
        BINARY,
        UNIT,
        1
        - (BINARY * UNIT).sum(1)
        / (
            (BINARY * UNIT).sum(1)
            + 0.2 * ((1 - UNIT) * BINARY).sum(1)
            + 0.8 * (UNIT * (1 - BINARY)).sum(1)
            + EPS
        ),
    ),
]


@pytest.mark.parametrize("spec, y_true, y_pred, want", CASES)
def test_per_sample_values(spec, y_true, y_pred, want):
    np.testing.assert_allclose(loss_values(spec, y_true, y_pred), want, rtol=2e-5, atol=2e-5)


GRADIENT_CASES = [
    ({"name": "binary_focal_crossentropy", "from_logits": True}, BINARY, REAL),
    ({"name": "categorical_focal_crossentropy"}, ONEHOT, PROBS),
    ({"name": "log_cosh"}, REAL, REAL2),
    ({"name": "cosine_similarity"}, REAL, REAL2),
    ({"name": "kl_divergence"}, PROBS, UNIT),
    ({"name": "poisson"}, POS, UNIT),
    ({"name": "categorical_hinge"}, ONEHOT, REAL),
    ({"name": "msle"}, POS, UNIT),
    ({"name": "mape"}, REAL, REAL2),
    ({"name": "tversky"}, BINARY, UNIT),
    ({"name": "circle", "gamma": 4.0}, np.array([0, 1, 0, 2, 1]), REAL / 2),
    ({"name": "ctc"}, np.array([[1, 2, 2], [3, 0, 0]]), RNG.normal(size=(2, 6, 4))),
]


@pytest.mark.parametrize("spec, y_true, y_pred", GRADIENT_CASES)
def test_gradients_match_finite_differences(spec, y_true, y_pred):
    """The reduced loss differentiated by the compiler's autodiff, w.r.t. y_pred (float32:
    the loss graphs compute in float32 whatever their inputs)."""

    def build(b, values):
        return [build_loss(b, spec, values[0], values[1])]

    check_graph_vjp(build, [y_true, y_pred.astype(np.float32)], wrt=[1], dtype="float32")


def _ctc_brute_force(labels, logits):
    """-log of the summed probability of every path that collapses to ``labels``."""
    import itertools

    steps, classes = logits.shape
    log_p = logits - np.log(np.exp(logits).sum(-1, keepdims=True))
    target = [int(v) for v in labels if v != 0]
    total = 0.0
    for path in itertools.product(range(classes), repeat=steps):
        collapsed = [k for i, k in enumerate(path) if k != 0 and (i == 0 or path[i - 1] != k)]
        if collapsed == target:
            total += np.exp(sum(log_p[t, k] for t, k in enumerate(path)))
    return -np.log(total)


def test_ctc_against_every_path():
    labels = np.array([[1, 1, 0], [2, 1, 2], [2, 0, 0]])
    logits = RNG.normal(size=(3, 5, 3)).astype(np.float32)
    want = [_ctc_brute_force(row, lg) for row, lg in zip(labels, logits)]
    np.testing.assert_allclose(loss_values({"name": "ctc"}, labels, logits), want, rtol=1e-5)


def test_label_signature():
    from kgraph.compiler.losses import label_signature

    assert label_signature({"name": "ctc"}, [None, 9, 5]) == ([None, None], "int64")
    assert label_signature({"name": "circle"}, [None, 8]) == ([None], "int64")
    sparse = label_signature({"name": "sparse_categorical_crossentropy"}, [None, 4, 3])
    assert sparse == ([None, 4], "int64")
    assert label_signature({"name": "traced"}, [None, 3]) == ([None, 3], "float32")
    assert label_signature(None, [None, 3]) == ([None, 3], "float32")


def test_per_sample_loss_shapes():
    """Per-sample losses drop the last axis; Dice and Tversky without axis give one value."""
    from kgraph.compiler.builder import GraphBuilder

    b = GraphBuilder()
    yt, yp = b.input("t", [None, 3, C], np.float32), b.input("p", [None, 3, C], np.float32)
    assert len(per_sample_loss(b, {"name": "hinge"}, yt, yp)[0].shape) == 2
    assert list(per_sample_loss(b, {"name": "dice"}, yt, yp)[0].shape) == []
