"""compiler.metrics' families against numpy written here: the state after two weighted batches
and the result computed from it, for the confusion-matrix metrics, AUC, F-scores, IoU, R2,
top-k accuracies and RMSE (graphs run in onnxruntime through :mod:`kgraph.losses_eager`)."""

from __future__ import annotations

import numpy as np
import pytest

from kgraph.compiler.metrics import complete_spec, metric_state_specs
from kgraph.losses_eager import metric_state, metric_state_result, metric_state_update

RNG = np.random.default_rng(5)
B, C = 12, 3
EPS = 1e-7


def _batches(kind):
    out = []
    for _ in range(2):
        w = RNG.uniform(0, 2, size=B).astype(np.float32)
        if kind == "binary":
            out.append(((RNG.uniform(size=(B, C)) > 0.5) * 1.0, RNG.uniform(size=(B, C)), w))
        elif kind == "onehot":
            y = np.eye(C)[RNG.integers(0, C, size=B)]
            out.append((y, RNG.dirichlet(np.ones(C), size=B), w))
        elif kind == "classes":
            out.append((RNG.integers(0, C, size=B), RNG.integers(0, C, size=B), np.floor(w)))
        else:
            y = RNG.normal(size=(B, C))
            out.append((y, y + RNG.normal(size=(B, C)), w))
    return [(yt, yp.astype(np.float32), w) for yt, yp, w in out]


def _run(spec, batches):
    spec = complete_spec({"display_name": "m", **spec}, batches[0][1].shape)
    state = metric_state(spec)
    for y_true, y_pred, w in batches:
        state = metric_state_update(spec, state, y_true, y_pred, w)
    return metric_state_result(spec, state)


def _stack(batches):
    return [np.concatenate(parts) for parts in zip(*batches)]


def _counts(y, p, w, thresholds):
    """(tp, fp, tn, fn) per threshold; predictions positive when strictly above."""
    w = np.broadcast_to(w.reshape(-1, *[1] * (p.ndim - 1)), p.shape).ravel()
    y, p = (y.ravel() != 0), p.ravel()
    out = []
    for t in thresholds:
        pos = p > t
        out.append([(w * (pos & y)).sum(), (w * (pos & ~y)).sum(), (w * (~pos & ~y)).sum(),
                    (w * (~pos & y)).sum()])  # fmt: skip
    return np.array(out).T


def _div(a, b):
    return np.where(b == 0, 0.0, a / np.where(b == 0, 1, b))


def _auc_roc(y, p, w, n=200):
    t = [-EPS, *[(i + 1) / (n - 1) for i in range(n - 2)], 1 + EPS]
    tp, fp, tn, fn = _counts(y, np.clip(p, 0, 1), w, t)
    x, r = _div(fp, fp + tn), _div(tp, tp + fn)
    return ((x[:-1] - x[1:]) * (r[:-1] + r[1:]) / 2).sum()


def _at(y, p, w, constrained, wanted, value, n=200):
    tp, fp, tn, fn = _counts(
        y, np.clip(p, 0, 1), w, [0.0, *[(i + 1) / (n - 1) for i in range(n - 2)], 1.0]
    )
    rates = {"recall": _div(tp, tp + fn), "spec": _div(tn, tn + fp), "precision": _div(tp, tp + fp)}
    return np.where(rates[constrained] >= value, rates[wanted], 0).max()


def _top_k_mask(p, k):
    order = np.argsort(-p, axis=-1)[:, :k]
    mask = np.zeros_like(p, dtype=bool)
    np.put_along_axis(mask, order, True, axis=-1)
    return mask


def _fbeta(y, p, w, beta=1.0, average=None):
    pred = (p >= p.max(-1, keepdims=True)) & (np.abs(p) > 1e-9)
    w = w[:, None]
    tp, fp, fn = ((w * pred * y).sum(0), (w * pred * (1 - y)).sum(0), (w * ~pred * y).sum(0))
    prec, rec = tp / (tp + fp + EPS), tp / (tp + fn + EPS)
    f = (1 + beta**2) * prec * rec / (beta**2 * prec + rec + EPS)
    return f.mean() if average == "macro" else f


def _iou(y, p, w, ids):
    cm = np.zeros((C, C))
    np.add.at(cm, (y.astype(int), p.astype(int)), w)
    tp = np.diag(cm)
    den = cm.sum(0) + cm.sum(1) - tp
    tp, den = tp[ids], den[ids]
    iou = np.where(den > 1e-9, tp / (den + EPS), 0)
    return iou.sum() / ((den > 1e-9).sum() + EPS)


def _r2(y, p, w):
    w = w[:, None]
    mean = (w * y).sum(0) / w.sum(0)
    total = (w * y * y).sum(0) - (w * y).sum(0) * mean
    return (1 - ((y - p) ** 2 * w).sum(0) / total).mean()


CASES = [  # spec, data kind, numpy reference of the result over both batches
    ({"name": "true_positives"}, "binary", lambda y, p, w: _counts(y, p, w, [0.5])[0][0]),
    ({"name": "false_negatives", "thresholds": [0.2, 0.7]}, "binary",
     lambda y, p, w: _counts(y, p, w, [0.2, 0.7])[3]),
    ({"name": "true_negatives", "thresholds": 0.3}, "binary",
     lambda y, p, w: _counts(y, p, w, [0.3])[2][0]),
    ({"name": "precision"}, "binary",
     lambda y, p, w: (lambda c: c[0] / (c[0] + c[1]))(_counts(y, p, w, [0.5])[:, 0])),
    ({"name": "recall", "class_id": 1}, "binary",
     lambda y, p, w: (lambda c: c[0] / (c[0] + c[3]))(_counts(y[:, 1], p[:, 1], w, [0.5])[:, 0])),
    ({"name": "precision", "top_k": 1}, "onehot",
     lambda y, p, w: (lambda c: c[0] / (c[0] + c[1]))(
         _counts(y, np.where(_top_k_mask(p, 1), p, -1e10), w, [-1e10])[:, 0])),
    ({"name": "auc"}, "binary", _auc_roc),
    ({"name": "auc", "num_thresholds": 13}, "binary", lambda y, p, w: _auc_roc(y, p, w, 13)),
    ({"name": "precision_at_recall", "recall": 0.5}, "binary",
     lambda y, p, w: _at(y, p, w, "recall", "precision", 0.5)),
    ({"name": "specificity_at_sensitivity", "sensitivity": 0.8, "num_thresholds": 30}, "binary",
     lambda y, p, w: _at(y, p, w, "recall", "spec", 0.8, 30)),
    ({"name": "fbeta_score"}, "onehot", _fbeta),
    ({"name": "fbeta_score", "beta": 2.0, "average": "macro"}, "onehot",
     lambda y, p, w: _fbeta(y, p, w, 2.0, "macro")),
    ({"name": "iou", "num_classes": C, "target_class_ids": [0, 2]}, "classes",
     lambda y, p, w: _iou(y, p, w, [0, 2])),
    ({"name": "r2_score"}, "real", _r2),
    ({"name": "root_mean_squared_error"}, "real",
     lambda y, p, w: np.sqrt((w * ((y - p) ** 2).mean(-1)).sum() / w.sum())),
    ({"name": "top_k_categorical_accuracy", "k": 2}, "onehot",
     lambda y, p, w: (w * (_top_k_mask(p, 2) & (y > 0)).any(-1)).sum() / w.sum()),
]  # fmt: skip


@pytest.mark.parametrize("spec, kind, reference", CASES)
def test_result_after_two_batches(spec, kind, reference):
    batches = _batches(kind)
    want = reference(*_stack(batches))
    np.testing.assert_allclose(_run(spec, batches), want, rtol=1e-5, atol=1e-5)


def test_state_specs():
    """State tensors are named after the display name, sized by thresholds and classes."""
    assert metric_state_specs({"name": "auc", "display_name": "a"}) == {
        f"a/{c}": ((200,), "float32")
        for c in ("true_positives", "false_positives", "true_negatives", "false_negatives")
    }
    assert metric_state_specs({"name": "precision", "thresholds": [0.1, 0.2]}) == {
        "precision/true_positives": ((2,), "float32"),
        "precision/false_positives": ((2,), "float32"),
    }
    f1 = complete_spec({"name": "f1_score", "average": "micro"}, (None, 7))
    assert metric_state_specs(f1)["f1_score/true_positives"] == ((), "float32")
    assert metric_state_specs(complete_spec({"name": "r2_score"}, (None, 7)))["r2_score/sum"][
        0
    ] == (7,)
    with pytest.raises(ValueError, match="Unknown argument"):
        metric_state_specs({"name": "auc", "bogus": 1})


def test_accuracy_resolution_with_new_losses():
    from kgraph.compiler.metrics import resolve_metric_name

    gce = "categorical_generalized_cross_entropy"
    assert resolve_metric_name("accuracy", gce, (None, 4)) == "sparse_categorical_accuracy"
    assert resolve_metric_name("acc", "traced", (None, 4)) == "categorical_accuracy"
    assert resolve_metric_name("accuracy", "kld", (None, 4)) == "categorical_accuracy"
