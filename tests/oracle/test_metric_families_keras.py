"""Oracle: Keras 3's metrics used standalone (``update_state`` over several weighted batches,
``result``, ``reset_state``) against real Keras (JAX) on random data, and a ``fit`` whose
History holds the new metrics, checked against Keras metrics run on the same predictions."""

from __future__ import annotations

import numpy as np
import pytest

import kgraph
from tests.oracle.keras_oracle import MARKS, keras

pytestmark = [*MARKS, pytest.mark.usefixtures("numpy_initial_weights")]

TOL = {"rtol": 1e-4, "atol": 1e-5}
RNG = np.random.default_rng(11)
B, C = 8, 4


def _edges():
    """Predictions on the thresholds and outside [0, 1], where Keras' bucketed update differs
    from plain comparisons unless predictions are clipped first."""
    y = (RNG.uniform(size=(B, C)) > 0.5).astype(np.float32)
    return y, RNG.choice([-0.1, 0.0, 0.25, 0.3, 0.5, 0.75, 1.0, 1.2], size=(B, C))


def _batch(kind):
    if kind == "edges":
        return _edges()
    probs = RNG.dirichlet(np.ones(C), size=B).astype(np.float32)
    labels = RNG.integers(0, C, size=B)
    onehot = np.eye(C, dtype=np.float32)[labels]
    real = RNG.normal(size=(B, C)).astype(np.float32)
    return {
        "binary": ((RNG.uniform(size=(B, C)) > 0.5).astype(np.float32), RNG.uniform(size=(B, C))),
        "binary1": ((RNG.uniform(size=(B, 1)) > 0.5).astype(np.float32), RNG.uniform(size=(B, 1))),
        "logits": ((RNG.uniform(size=(B, C)) > 0.5).astype(np.float32), real * 2),
        "onehot": (onehot, probs),
        "sparse": (labels, probs),
        "sparse_ids": (labels, np.argsort(-probs, axis=-1).astype(np.float32)),
        "real": (real, real + RNG.normal(size=(B, C)).astype(np.float32)),
        "positive": (np.abs(real) + 0.1, RNG.uniform(0.05, 3, size=(B, C))),
        "soft": (probs, RNG.dirichlet(np.ones(C), size=B)),
        "signed": (np.sign(real), RNG.normal(size=(B, C))),
        "classes": (labels, RNG.integers(0, C, size=B)),
        "segments": (RNG.integers(0, C, size=(B, 5)), RNG.integers(0, C, size=(B, 5))),
    }[kind]


CASES = [  # class name, kwargs, data kind
    ("TruePositives", {}, "binary"),
    ("FalsePositives", {"thresholds": [0.2, 0.5, 0.8]}, "binary"),
    ("TrueNegatives", {"thresholds": 0.3}, "binary"),
    ("FalseNegatives", {}, "binary1"),
    ("Precision", {}, "binary"),
    ("Precision", {"thresholds": [0.3, 0.6]}, "binary"),
    ("Precision", {"top_k": 2}, "onehot"),
    ("Precision", {"class_id": 1}, "binary"),
    ("Recall", {}, "binary"),
    ("Recall", {"top_k": 1, "class_id": 2}, "onehot"),
    ("Recall", {"thresholds": [0.1, 0.9]}, "binary1"),
    ("AUC", {}, "binary"),
    ("AUC", {"num_thresholds": 5}, "edges"),
    ("AUC", {"thresholds": []}, "edges"),
    ("Precision", {"thresholds": [0.0, 0.5, 1.0]}, "edges"),
    ("TrueNegatives", {"thresholds": [0.0, 0.25, 0.5, 0.75, 1.0]}, "edges"),
    ("SensitivityAtSpecificity", {"specificity": 0.5, "num_thresholds": 5}, "edges"),
    ("AUC", {"curve": "PR"}, "binary"),
    ("AUC", {"curve": "PR", "summation_method": "minoring"}, "binary"),
    ("AUC", {"summation_method": "majoring", "num_thresholds": 17}, "binary"),
    ("AUC", {"curve": "PRGAIN"}, "binary"),
    ("AUC", {"from_logits": True}, "logits"),
    ("AUC", {"multi_label": True}, "binary"),
    ("AUC", {"multi_label": True, "curve": "PR", "label_weights": [1, 2, 0.5, 1]}, "binary"),
    ("AUC", {"thresholds": [0.1, 0.35, 0.5, 0.9]}, "binary"),
    ("AUC", {"label_weights": [1, 0, 2, 1]}, "binary"),
    ("PrecisionAtRecall", {"recall": 0.6}, "binary"),
    ("RecallAtPrecision", {"precision": 0.55}, "binary"),
    ("SensitivityAtSpecificity", {"specificity": 0.5}, "binary"),
    ("SpecificityAtSensitivity", {"sensitivity": 0.7, "num_thresholds": 50}, "binary"),
    ("SensitivityAtSpecificity", {"specificity": 0.4, "class_id": 1}, "onehot"),
    ("F1Score", {}, "onehot"),
    ("F1Score", {"average": "macro"}, "onehot"),
    ("F1Score", {"average": "micro", "threshold": 0.3}, "onehot"),
    ("FBetaScore", {"beta": 2.0, "average": "weighted"}, "onehot"),
    ("IoU", {"num_classes": C, "target_class_ids": [0, 2]}, "classes"),
    ("MeanIoU", {"num_classes": C}, "segments"),
    ("MeanIoU", {"num_classes": C, "ignore_class": 1}, "classes"),
    ("BinaryIoU", {}, "binary"),
    ("BinaryIoU", {"target_class_ids": [1], "threshold": 0.3}, "binary"),
    ("OneHotIoU", {"num_classes": C, "target_class_ids": [1, 3]}, "onehot"),
    ("OneHotMeanIoU", {"num_classes": C}, "onehot"),
    ("TopKCategoricalAccuracy", {"k": 2}, "onehot"),
    ("SparseTopKCategoricalAccuracy", {}, "sparse"),
    ("SparseTopKCategoricalAccuracy", {"k": 1}, "sparse"),
    ("SparseTopKCategoricalAccuracy", {"k": 2, "from_sorted_ids": True}, "sparse_ids"),
    ("RootMeanSquaredError", {}, "real"),
    ("MeanAbsolutePercentageError", {}, "real"),
    ("MeanSquaredLogarithmicError", {}, "positive"),
    ("CosineSimilarity", {}, "real"),
    ("LogCoshError", {}, "real"),
    ("PearsonCorrelation", {}, "real"),
    ("ConcordanceCorrelation", {}, "real"),
    ("R2Score", {}, "real"),
    ("R2Score", {"class_aggregation": "variance_weighted_average"}, "real"),
    ("R2Score", {"class_aggregation": None, "num_regressors": 2}, "real"),
    ("BinaryCrossentropy", {"label_smoothing": 0.1}, "binary"),
    ("BinaryCrossentropy", {"from_logits": True}, "logits"),
    ("CategoricalCrossentropy", {}, "onehot"),
    ("SparseCategoricalCrossentropy", {}, "sparse"),
    ("SparseCategoricalCrossentropy", {"ignore_class": 1}, "sparse"),
    ("KLDivergence", {}, "soft"),
    ("Poisson", {}, "positive"),
    ("Hinge", {}, "signed"),
    ("SquaredHinge", {}, "binary"),
    ("CategoricalHinge", {}, "onehot"),
]

UNWEIGHTED = ("IoU", "MeanIoU", "BinaryIoU", "OneHotIoU", "OneHotMeanIoU")


@pytest.mark.parametrize("class_name, kwargs, kind", CASES)
def test_metric_objects(class_name, kwargs, kind):
    """Three updates (weighted from the second on), then a reset and one more."""
    ours = getattr(kgraph.metrics, class_name)(**kwargs)
    theirs = getattr(keras.metrics, class_name)(**kwargs)
    assert theirs.name.startswith(ours.name)  # Keras numbers repeated default names
    for step in range(4):
        if step == 3:
            ours.reset_state()
            theirs.reset_state()
        y_true, y_pred = _batch(kind)
        sw = None
        if step in (1, 2):
            sw = RNG.integers(0, 3, size=B).astype(np.float32)
            if class_name not in UNWEIGHTED:
                sw = sw * RNG.uniform(0.5, 1.0, size=B).astype(np.float32)
            elif kind in ("segments", "binary"):  # Keras wants one weight per label here
                sw = np.repeat(sw[:, None], 5 if kind == "segments" else C, axis=1)
        ours.update_state(y_true, y_pred, sample_weight=sw)
        theirs.update_state(y_true, y_pred, sample_weight=sw)
        np.testing.assert_allclose(ours.result(), theirs.result(), **TOL)


@pytest.mark.parametrize(
    "name, kwargs, kind",
    [
        ("top_k_categorical_accuracy", {"k": 2}, "onehot"),
        ("sparse_top_k_categorical_accuracy", {"k": 3}, "sparse"),
        ("kl_divergence", {}, "soft"),
        ("log_cosh", {}, "real"),
        ("hinge", {}, "binary"),
        ("poisson", {}, "positive"),
        ("pearson_correlation", {}, "real"),
        ("concordance_correlation", {}, "real"),
    ],
)
def test_metric_functions(name, kwargs, kind):
    y_true, y_pred = _batch(kind)
    want = getattr(keras.metrics, name)(y_true, y_pred, **kwargs)
    np.testing.assert_allclose(getattr(kgraph.metrics, name)(y_true, y_pred, **kwargs), want, **TOL)


def test_mean_and_sum():
    for name in ("Mean", "Sum"):
        ours, theirs = getattr(kgraph.metrics, name)(), getattr(keras.metrics, name)()
        for _ in range(2):
            values, sw = RNG.normal(size=(B, 3)), RNG.uniform(size=B)
            ours.update_state(values, sample_weight=sw)
            theirs.update_state(values, sample_weight=sw)
        np.testing.assert_allclose(ours.result(), theirs.result(), **TOL)


def test_fit_history_with_new_metrics():
    """History's metrics equal Keras' metrics over the per-batch predictions of the same
    weights (one epoch of zero learning rate, so predictions do not move)."""
    x = RNG.normal(size=(32, 6)).astype(np.float32)
    y = (RNG.uniform(size=(32, 1)) > 0.5).astype(np.float32)
    model = kgraph.Sequential([kgraph.Input((6,)), kgraph.layers.Dense(1, activation="sigmoid")])
    names = ["auc", kgraph.metrics.Precision(), kgraph.metrics.Recall(thresholds=0.4)]
    names += [kgraph.metrics.TruePositives(), "binary_accuracy", kgraph.metrics.F1Score()]
    model.compile(
        optimizer=kgraph.optimizers.SGD(0.0), loss="binary_focal_crossentropy", metrics=names
    )
    history = model.fit(x, y, batch_size=8, epochs=1, verbose=0).history
    p = model.predict(x, verbose=0)
    expected = {
        "auc": keras.metrics.AUC(),
        "precision": keras.metrics.Precision(),
        "recall": keras.metrics.Recall(thresholds=0.4),
        "true_positives": keras.metrics.TruePositives(),
        "binary_accuracy": keras.metrics.BinaryAccuracy(),
        "f1_score": keras.metrics.F1Score(),
    }
    for key, metric in expected.items():
        metric.update_state(y, p)
        np.testing.assert_allclose(np.squeeze(history[key]), metric.result(), **TOL)
    loss = keras.losses.BinaryFocalCrossentropy()(y, p)
    np.testing.assert_allclose(history["loss"], [loss], **TOL)
