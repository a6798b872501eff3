"""The Keras metric API of ``kgraph.metrics``: metric functions, metric objects used eagerly
(``update_state``/``result``/``reset_state``), exact-match ``Accuracy`` versus the ``"accuracy"``
string, metric functions in ``compile`` and Keras' de-duplicated metric names, against numpy
references written here. Real Keras is the oracle in
``tests/oracle/test_losses_metrics_keras.py``."""

from __future__ import annotations

import numpy as np
import pytest

import kgraph as keras
from kgraph import metrics

TOL = {"rtol": 1e-6, "atol": 1e-7}
RNG = np.random.default_rng(9)
B, C = 8, 3
LABELS = RNG.integers(0, C, size=B)
PROBS = RNG.dirichlet(np.ones(C), size=B).astype(np.float32)
ONEHOT = np.eye(C, dtype=np.float32)[LABELS]
BIN_TRUE = (RNG.uniform(size=(B, 2)) > 0.5).astype(np.float32)
BIN_PRED = RNG.uniform(size=(B, 2)).astype(np.float32)
Y_REG = RNG.normal(size=(B, 2)).astype(np.float32)
P_REG = RNG.normal(size=(B, 2)).astype(np.float32)
SW = RNG.uniform(0.1, 2.0, size=B).astype(np.float32)


# -- functions -------------------------------------------------------------------------------
def test_metric_functions_match_numpy():
    hits = (PROBS.argmax(-1) == LABELS).astype(np.float32)
    np.testing.assert_allclose(metrics.sparse_categorical_accuracy(LABELS, PROBS), hits, **TOL)
    np.testing.assert_allclose(
        metrics.sparse_categorical_accuracy(LABELS[:, None], PROBS), hits, **TOL
    )
    np.testing.assert_allclose(metrics.categorical_accuracy(ONEHOT, PROBS), hits, **TOL)
    np.testing.assert_allclose(
        metrics.binary_accuracy(BIN_TRUE, BIN_PRED), (BIN_PRED > 0.5) == BIN_TRUE, **TOL
    )
    np.testing.assert_allclose(
        metrics.binary_accuracy(BIN_TRUE, BIN_PRED, threshold=0.8),
        (BIN_PRED > 0.8) == BIN_TRUE,
        **TOL,
    )
    np.testing.assert_allclose(metrics.mae(Y_REG, P_REG), np.abs(Y_REG - P_REG).mean(-1), **TOL)
    np.testing.assert_allclose(metrics.mse(Y_REG, P_REG), ((Y_REG - P_REG) ** 2).mean(-1), **TOL)
    assert metrics.mse is keras.losses.mean_squared_error
    assert metrics.mae is metrics.mean_absolute_error is keras.losses.mae


# -- objects, eagerly ------------------------------------------------------------------------
def test_accuracy_object_is_exact_match():
    """Keras' docstring example: 0.75, then 0.5 with weights [1, 1, 0, 0]."""
    m = metrics.Accuracy()
    m.update_state([[1], [2], [3], [4]], [[0], [2], [3], [4]])
    assert float(m.result()) == pytest.approx(0.75)
    m.reset_state()
    m.update_state([[1], [2], [3], [4]], [[0], [2], [3], [4]], sample_weight=[1, 1, 0, 0])
    assert float(m.result()) == pytest.approx(0.5)
    assert float(metrics.Accuracy()(LABELS, PROBS.argmax(-1))) == pytest.approx(
        (PROBS.argmax(-1) == LABELS).mean()
    )


@pytest.mark.parametrize(
    "cls, y_true, y_pred, values",
    [
        (
            metrics.SparseCategoricalAccuracy,
            LABELS,
            PROBS,
            (PROBS.argmax(-1) == LABELS).astype(np.float64),
        ),
        (metrics.CategoricalAccuracy, ONEHOT, PROBS, (PROBS.argmax(-1) == LABELS) * 1.0),
        (metrics.BinaryAccuracy, BIN_TRUE, BIN_PRED, ((BIN_PRED > 0.5) == BIN_TRUE).mean(-1)),
        (metrics.MeanAbsoluteError, Y_REG, P_REG, np.abs(Y_REG - P_REG).mean(-1)),
        (metrics.MeanSquaredError, Y_REG, P_REG, ((Y_REG - P_REG) ** 2).mean(-1)),
    ],
)
def test_objects_accumulate_weighted_means(cls, y_true, y_pred, values):
    m = cls()
    assert float(m.result()) == 0.0
    half = B // 2
    m.update_state(y_true[:half], y_pred[:half], sample_weight=SW[:half])
    m.update_state(y_true[half:], y_pred[half:], sample_weight=SW[half:])
    np.testing.assert_allclose(m.result(), (values * SW).sum() / SW.sum(), rtol=1e-5)
    m.reset_state()
    np.testing.assert_allclose(m(y_true, y_pred), values.mean(), rtol=1e-5)


# -- get -------------------------------------------------------------------------------------
def test_get_accepts_functions_classes_and_configs():
    for fn, cls in [
        (metrics.binary_accuracy, metrics.BinaryAccuracy),
        (metrics.categorical_accuracy, metrics.CategoricalAccuracy),
        (metrics.sparse_categorical_accuracy, metrics.SparseCategoricalAccuracy),
        (metrics.mae, metrics.MeanAbsoluteError),
        (keras.losses.mse, metrics.MeanSquaredError),
    ]:
        m = metrics.get(fn)
        assert type(m) is cls and m.name == fn.__name__
    assert type(metrics.get("accuracy")) is metrics.Accuracy  # as keras.metrics.get
    assert metrics.get("mae").name == "mae"
    config = {"class_name": "BinaryAccuracy", "config": {"name": "ba", "threshold": 0.7}}
    assert metrics.get(config).spec()["threshold"] == 0.7
    with pytest.raises(ValueError, match="Unknown metric"):
        metrics.get(np.mean)


# -- compile ---------------------------------------------------------------------------------
def _specs(items, weighted=(), loss="binary_crossentropy", shape=(None, 1)):
    specs = metrics.compile_specs(list(items), list(weighted), "", loss, shape, set())
    return [(s["display_name"], s["name"], s["weighted"]) for s in specs]


def test_accuracy_string_is_resolved_but_the_object_is_exact_match():
    assert _specs(["accuracy", metrics.Accuracy()]) == [
        ("accuracy", "binary_accuracy", False),
        ("accuracy_1", "exact_match_accuracy", False),
    ]
    assert _specs(["acc"], loss="sparse_categorical_crossentropy", shape=(None, 3)) == [
        ("acc", "sparse_categorical_accuracy", False)
    ]


def test_duplicate_names_are_numbered_as_keras_does():
    names = [
        n
        for n, _, _ in _specs(
            ["mae", metrics.MeanAbsoluteError(name="mae"), "mae", metrics.binary_accuracy],
            ["mae", "mae", "mae", "mse"],
        )
    ]
    assert names == [
        "mae",
        "mae_1",
        "mae_2",
        "binary_accuracy",
        "weighted_mae",
        "weighted_mae_1",
        "weighted_mae_2",
        "mse",
    ]


def test_fit_reports_function_metrics_and_duplicates():
    keras.utils.set_random_seed(1)
    x = RNG.normal(size=(B, 3)).astype(np.float32)
    y = BIN_TRUE[:, :1]
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1, activation="sigmoid")])
    model.compile(
        optimizer=keras.optimizers.SGD(0.0),
        loss=keras.losses.binary_crossentropy,
        metrics=[
            metrics.binary_accuracy,
            "mae",
            metrics.MeanAbsoluteError(name="mae"),
            "accuracy",
            metrics.Accuracy(),
        ],
        weighted_metrics=["mae"],
    )
    history = model.fit(x, y, batch_size=B, verbose=0).history
    assert list(history) == [
        "loss",
        "binary_accuracy",
        "mae",
        "mae_1",
        "accuracy",
        "accuracy_1",
        "weighted_mae",
    ]
    p = model.predict(x, verbose=0)
    assert history["binary_accuracy"][0] == pytest.approx(((p > 0.5) == y).mean())
    assert history["accuracy"][0] == pytest.approx(((p > 0.5) == y).mean())
    assert history["accuracy_1"][0] == pytest.approx((p == y).mean())
    assert history["mae"][0] == pytest.approx(np.abs(p - y).mean(), rel=1e-5)
    assert history["mae_1"][0] == history["mae"][0] == history["weighted_mae"][0]


# -- the Keras 3 metric families ---------------------------------------------------------------
NEEDS = {
    "IoU": {"num_classes": 3, "target_class_ids": [1]},
    "MeanIoU": {"num_classes": 3},
    "OneHotIoU": {"num_classes": 3, "target_class_ids": [0]},
    "OneHotMeanIoU": {"num_classes": 3},
    "SensitivityAtSpecificity": {"specificity": 0.5},
    "SpecificityAtSensitivity": {"sensitivity": 0.5},
    "PrecisionAtRecall": {"recall": 0.5},
    "RecallAtPrecision": {"precision": 0.5},
}
CLASSES = [
    n
    for n in metrics.__all__
    if isinstance(getattr(metrics, n), type) and n not in ("Metric", "MeanMetricWrapper")
]


@pytest.mark.parametrize("name", CLASSES)
def test_config_round_trip(name):
    cls = getattr(metrics, name)
    metric = cls(**NEEDS.get(name, {}))
    again = metrics.deserialize(metrics.serialize(metric))
    assert type(again) is cls
    assert (
        again.get_config()
        == metric.get_config()
        == cls.from_config(metric.get_config()).get_config()
    )


@pytest.mark.parametrize(
    "identifier, cls",
    [
        ("auc", "AUC"),
        ("precision", "Precision"),
        ("recall", "Recall"),
        ("f1_score", "F1Score"),
        ("r2_score", "R2Score"),
        ("root_mean_squared_error", "RootMeanSquaredError"),
        ("top_k_categorical_accuracy", "TopKCategoricalAccuracy"),
        ("kl_divergence", "KLDivergence"),
        ("true_positives", "TruePositives"),
        ("huber", "MeanMetricWrapper"),
    ],
)
def test_get_by_name(identifier, cls):
    metric = metrics.get(identifier)
    assert type(metric).__name__ == cls and metric.name == identifier


@pytest.mark.parametrize(
    "make, match",
    [
        (lambda: metrics.Precision(thresholds=[0.5, 1.5]), r"\[0, 1\]. Received: \[1.5\]"),
        (lambda: metrics.AUC(curve="XY"), "curve"),
        (lambda: metrics.AUC(num_thresholds=1), "num_thresholds=1"),
        (lambda: metrics.AUC(num_labels=3), "multi_label"),
        (lambda: metrics.RecallAtPrecision(1.2), "precision=1.2"),
        (lambda: metrics.F1Score(average="avg"), "average=avg"),
        (lambda: metrics.FBetaScore(beta=2), "beta=2"),
        (lambda: metrics.IoU(2, [3]), "out of range"),
        (lambda: metrics.R2Score(num_regressors=-1), "num_regressors=-1"),
    ],
)
def test_argument_validation(make, match):
    with pytest.raises(ValueError, match=match):
        make()


def test_standalone_precision_and_reset():
    """Precision used eagerly over two batches, then reset (numpy reference)."""
    m = metrics.Precision(thresholds=[0.3, 0.6])
    y1, p1 = np.array([1, 0, 1, 1]), np.array([0.9, 0.5, 0.4, 0.1])
    y2, p2 = np.array([0, 1]), np.array([0.7, 0.65])
    m.update_state(y1, p1)
    m.update_state(y2, p2, sample_weight=[2.0, 1.0])
    # threshold 0.3: tp = 1 + 1 + 1 = 3, fp = 1 + 2 = 3; threshold 0.6: tp = 1 + 1, fp = 2
    np.testing.assert_allclose(m.result(), [3 / 6, 2 / 4], rtol=1e-6)
    m.reset_state()
    assert m.variables == []
    np.testing.assert_allclose(m(y2, p2), [0.5, 0.5], rtol=1e-6)


def test_mean_sum_and_wrapper():
    mean, total = metrics.Mean(), metrics.Sum()
    for m in (mean, total):
        m.update_state([1.0, 2.0, 3.0])
        m.update_state([[4.0, 6.0]], sample_weight=[0.5])
    assert float(mean.result()) == pytest.approx((6 + 0.5 * 5) / 3.5)
    assert float(total.result()) == pytest.approx(6 + 0.5 * 10)
    wrapped = metrics.MeanMetricWrapper(metrics.hinge)
    y, p = np.array([[1.0, -1.0]]), np.array([[0.5, 0.5]])
    assert float(wrapped(y, p)) == pytest.approx((0.5 + 1.5) / 2)
    with pytest.raises(ValueError, match="built-in"):
        metrics.MeanMetricWrapper(lambda a, b: a)


def test_compiled_string_metrics_match_numpy():
    """``evaluate`` with metric strings: RMSE, top-k and precision from numpy on ``predict``'s
    outputs; AUC equal to the standalone metric over the same predictions."""
    import kgraph

    rng = np.random.default_rng(4)
    x = rng.normal(size=(24, 5)).astype(np.float32)
    y = np.eye(4, dtype=np.float32)[rng.integers(0, 4, size=24)]
    model = kgraph.Sequential([kgraph.Input((5,)), kgraph.layers.Dense(4, activation="softmax")])
    names = ["auc", "precision", "top_k_categorical_accuracy", "root_mean_squared_error"]
    model.compile(optimizer="sgd", loss="categorical_crossentropy", metrics=names)
    logs = model.evaluate(x, y, batch_size=8, verbose=0, return_dict=True)
    p = model.predict(x, verbose=0)
    assert logs["root_mean_squared_error"] == pytest.approx(np.sqrt(((p - y) ** 2).mean()), 1e-5)
    top5 = 1.0  # k=5 >= 4 classes: every label is in the top k
    assert logs["top_k_categorical_accuracy"] == pytest.approx(top5)
    predicted = p > 0.5
    precision = (predicted & (y > 0)).sum() / max(predicted.sum(), 1)
    assert logs["precision"] == pytest.approx(precision, abs=1e-6)
    auc = metrics.AUC()
    auc.update_state(y, p)
    assert logs["auc"] == pytest.approx(float(auc.result()), 1e-5)


def test_scores_need_2d_inputs():
    with pytest.raises(ValueError, match="FBetaScore expects 2D inputs"):
        metrics.F1Score().update_state(np.zeros((2, 3, 4)), np.zeros((2, 3, 4)))
    with pytest.raises(ValueError, match="R2Score expects 2D inputs"):
        metrics.R2Score().update_state(np.zeros(3), np.zeros(3))
    r2 = metrics.R2Score()
    r2.update_state(np.array([1.0, 4.0, 3.0]), np.array([[2.0], [4.0], [4.0]]))
    assert float(r2.result()) == pytest.approx(1 - 2 / (26 - 64 / 3), 1e-6)  # Keras' example


def test_compile_names_a_metric_by_the_string_given():
    """Keras' compile logs a string metric under that string ('Precision', not 'precision');
    an object keeps its own name. The values are the metrics' own (checked against numpy)."""
    x = np.array([[0.0], [1.0], [2.0], [3.0]], np.float32)
    y = np.array([[0], [1], [1], [0]], np.float32)
    model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1, activation="sigmoid")])
    model.compile("sgd", "binary_crossentropy", metrics=["Precision", "mae", metrics.Recall()])
    logs = model.evaluate(x, y, return_dict=True, verbose=0)
    assert list(logs) == ["loss", "Precision", "mae", "recall"]
    predicted = model.predict(x, verbose=0)
    np.testing.assert_allclose(logs["mae"], np.abs(predicted - y).mean(), rtol=1e-5)
    positive = predicted > 0.5
    expected = (positive & (y > 0)).sum() / max(positive.sum(), 1)
    np.testing.assert_allclose(logs["Precision"], expected, rtol=1e-6)


def test_metric_config_carries_its_dtype():
    config = metrics.Precision(thresholds=0.3).get_config()
    assert config["dtype"] == "float32" and config["thresholds"] == 0.3
    assert metrics.Precision.from_config(config).get_config() == config
