"""``kgraph.distillation`` against numpy written here.

The distillation losses' values (eagerly, on arrays) follow Keras 3.15's formulas: logits
divided by the temperature, a *named* ``"kl_divergence"`` taken on those scaled logits with
Keras' clipping, a ``KLDivergence`` object on their softmaxes times ``temperature**2``. One SGD
step of a Distiller is checked against central finite differences of the combined loss
``a * student_loss + (1 - a) * sum(w_i * distillation_i)`` in float64; the frozen teacher does
not move. Then predict, evaluate, the trackers, configs, a ``.keras`` round trip and Keras'
errors.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import kgraph as keras
from kgraph.distillation import (
    DistillationLoss,
    Distiller,
    FeatureDistillation,
    LogitsDistillation,
)

RNG = np.random.default_rng(5)
X = RNG.normal(size=(6, 2)).astype("float32")
Y = RNG.normal(size=(6, 3)).astype("float32")
EPS = 1e-7  # Keras' backend.epsilon()
OBJECTS = {
    "Distiller": Distiller,
    "LogitsDistillation": LogitsDistillation,
    "FeatureDistillation": FeatureDistillation,
}


def _weights(seed):
    rng = np.random.default_rng(seed)
    shapes = [(2, 4), (4,), (4, 3), (3,)]
    return [rng.normal(scale=0.7, size=s).astype("float32") for s in shapes]


def _model(name, seed, sequential=False):
    layers = [
        keras.layers.Dense(4, activation="tanh", name="hidden"),
        keras.layers.Dense(3, name="logits"),
    ]
    if sequential:
        model = keras.Sequential([keras.Input((2,)), *layers], name=name)
    else:
        inputs = keras.Input((2,))
        model = keras.Model(inputs, layers[1](layers[0](inputs)), name=name)
    model.set_weights(_weights(seed))
    return model


def _forward(weights, x):
    w1, b1, w2, b2 = weights
    hidden = np.tanh(x @ w1 + b1)
    return hidden, hidden @ w2 + b2


def _softmax(z):
    e = np.exp(z - z.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


def _kl(t, p):
    t, p = np.clip(t, EPS, 1), np.clip(p, EPS, 1)
    return np.sum(t * np.log(t / p), axis=-1)


def _combined(student, teacher, x, y, a=0.4, weights=(1.0, 0.5), temperature=2.0):
    """Keras' Distiller loss for the losses of ``_distiller``; returns the three terms."""
    t_hidden, t_logits = _forward(teacher, x)
    s_hidden, s_logits = _forward(student, x)
    student_loss = np.mean(np.mean((y - s_logits) ** 2, axis=-1))
    t_soft = _softmax(t_logits / temperature)
    s_soft = _softmax(s_logits / temperature)
    logits_term = np.mean(_kl(t_soft, s_soft)) * temperature**2
    feature_term = np.mean(np.mean((t_hidden - s_hidden) ** 2, axis=-1))
    distillation = weights[0] * logits_term + weights[1] * feature_term
    return a * student_loss + (1 - a) * distillation, student_loss, distillation


def _distiller(sequential=False, **kwargs):
    teacher, student = _model("teacher", 1, sequential), _model("student", 2, sequential)
    losses = [
        LogitsDistillation(temperature=2.0, loss=keras.losses.KLDivergence()),
        FeatureDistillation(teacher_layer_name="hidden", student_layer_name="hidden"),
    ]
    kwargs = {"distillation_loss_weights": [1.0, 0.5], "student_loss_weight": 0.4, **kwargs}
    return Distiller(teacher, student, losses, **kwargs)


def _finite_difference(student, teacher, x, y, eps=1e-4):
    grads = []
    for i, w in enumerate(student):
        grad = np.zeros(w.shape)
        for index in np.ndindex(w.shape):
            moved = [v.astype(np.float64) for v in student]
            moved[i][index] += eps
            up = _combined(moved, teacher, x, y)[0]
            moved[i][index] -= 2 * eps
            grad[index] = (up - _combined(moved, teacher, x, y)[0]) / (2 * eps)
        grads.append(grad)
    return grads


# -- the losses, eagerly -------------------------------------------------------------------
def test_logits_distillation_named_kl_is_taken_on_scaled_logits():
    t, s = RNG.normal(size=(5, 4)), RNG.normal(size=(5, 4))
    got = LogitsDistillation(temperature=3.0).compute_loss(t, s)
    np.testing.assert_allclose(got, np.mean(_kl(t / 3.0, s / 3.0)), rtol=1e-5)


def test_logits_distillation_kl_object_softmax_and_temperature_squared():
    t, s = RNG.normal(size=(5, 4)), RNG.normal(size=(5, 4))
    loss = LogitsDistillation(temperature=2.5, loss=keras.losses.KLDivergence())
    want = np.mean(_kl(_softmax(t / 2.5), _softmax(s / 2.5))) * 2.5**2
    np.testing.assert_allclose(loss.compute_loss(t, s), want, rtol=1e-5)


def test_losses_on_nested_outputs_skip_none_and_sum():
    t = [RNG.normal(size=(4, 3)), RNG.normal(size=(4, 3))]
    s = [RNG.normal(size=(4, 3)), RNG.normal(size=(4, 3))]
    logits = LogitsDistillation(temperature=2.0, loss=[None, "mse"])
    want = np.mean((t[1] / 2 - s[1] / 2) ** 2)
    np.testing.assert_allclose(logits.compute_loss(t, s), want, rtol=1e-5)
    features = FeatureDistillation(loss=["mae", "mse"])
    want = np.mean(np.abs(t[0] - s[0])) + np.mean((t[1] - s[1]) ** 2)
    np.testing.assert_allclose(features.compute_loss(t, s), want, rtol=1e-5)
    with pytest.raises(ValueError, match="Loss structure mismatch"):
        FeatureDistillation(loss=["mse"]).validate_outputs(t, s)
    with pytest.raises(NotImplementedError, match="Subclasses must implement compute_loss"):
        DistillationLoss().compute_loss(t, s)


def test_string_losses_resolve_to_keras_functions():
    assert LogitsDistillation().loss is keras.losses.kl_divergence
    assert FeatureDistillation().loss is keras.losses.mean_squared_error
    assert LogitsDistillation(loss="KLDivergence").loss is keras.losses.kl_divergence
    assert FeatureDistillation(loss="mae").get_config()["loss"]["config"] == "mean_absolute_error"


# -- training ------------------------------------------------------------------------------
@pytest.mark.parametrize("sequential", [False, True])
def test_one_sgd_step_against_finite_differences(sequential):
    distiller = _distiller(sequential)
    distiller.compile(optimizer=keras.optimizers.SGD(0.1), loss="mse", metrics=["mae"])
    teacher, student = _weights(1), _weights(2)
    history = distiller.fit(X, Y, batch_size=6, epochs=1, shuffle=False, verbose=0).history
    total, student_loss, distillation = _combined(student, teacher, X, Y)
    assert set(history) == {"loss", "mae", "student_loss", "distillation_loss", "total_loss"}
    for key, want in (
        ("loss", total),
        ("total_loss", total),
        ("student_loss", student_loss),
        ("distillation_loss", distillation),
        ("mae", np.mean(np.abs(Y - _forward(student, X)[1]))),
    ):
        assert history[key][0] == pytest.approx(want, rel=1e-5), key
    grads = _finite_difference(student, teacher, X, Y)
    for got, start, grad in zip(distiller.student.get_weights(), student, grads):
        np.testing.assert_allclose(got, start - 0.1 * grad, rtol=1e-4, atol=1e-6)
    for got, start in zip(distiller.teacher.get_weights(), teacher):
        np.testing.assert_array_equal(got, start)  # frozen
    assert not distiller.teacher.trainable
    assert len(distiller.trainable_weights) == 4 and len(distiller.non_trainable_weights) == 4


def test_trackers_average_batches_and_evaluate_lists_them():
    distiller = _distiller()
    distiller.compile(optimizer=keras.optimizers.SGD(0.0), loss="mse")  # weights stay
    history = distiller.fit(X, Y, batch_size=4, epochs=2, shuffle=False, verbose=0).history
    teacher, student = _weights(1), _weights(2)
    batches = [_combined(student, teacher, X[:4], Y[:4]), _combined(student, teacher, X[4:], Y[4:])]
    terms = np.mean(batches, axis=0)  # Mean of one value per batch
    loss = (4 * batches[0][0] + 2 * batches[1][0]) / 6  # the loss log weighs batch sizes
    for epoch in range(2):
        assert history["total_loss"][epoch] == pytest.approx(terms[0], rel=1e-5)
        assert history["student_loss"][epoch] == pytest.approx(terms[1], rel=1e-5)
        assert history["distillation_loss"][epoch] == pytest.approx(terms[2], rel=1e-5)
        assert history["loss"][epoch] == pytest.approx(loss, rel=1e-5)
    listed = distiller.evaluate(X, Y, batch_size=6, verbose=0)
    total, student_loss, distillation = _combined(student, teacher, X, Y)
    np.testing.assert_allclose(listed, [total, student_loss, distillation, total], rtol=1e-5)


@pytest.mark.parametrize("weight, logged", [(0.0, "student_loss"), (1.0, "distillation_loss")])
def test_a_skipped_term_logs_zero(weight, logged):
    distiller = _distiller(student_loss_weight=weight)
    distiller.compile(optimizer=keras.optimizers.SGD(0.0), loss="mse")
    result = distiller.evaluate(X, Y, verbose=0, return_dict=True)
    total = _combined(_weights(2), _weights(1), X, Y, a=weight)[0]
    assert result[logged] == 0.0
    assert result["loss"] == pytest.approx(total, rel=1e-5)


def test_predict_is_the_students():
    distiller = _distiller()
    np.testing.assert_allclose(
        distiller.predict(X, verbose=0), _forward(_weights(2), X)[1], rtol=1e-5, atol=1e-6
    )


def test_compile_takes_keras_arguments():
    distiller = _distiller()
    distiller.compile(
        loss=keras.losses.MeanSquaredError(),
        metrics=("mae",),
        weighted_metrics=["mse"],
        run_eagerly=False,
        steps_per_execution=1,
        jit_compile="auto",
        auto_scale_loss=True,
    )
    assert type(distiller.optimizer).__name__ == "Adam"  # Keras' Distiller default
    result = distiller.evaluate(X, Y, verbose=0, return_dict=True)
    assert result["loss"] == pytest.approx(_combined(_weights(2), _weights(1), X, Y)[0], rel=1e-5)
    assert distiller.get_compile_config()["loss"] is None  # as Keras saves it
    with pytest.raises(ValueError, match="'loss' cannot be `None`"):
        distiller.compile(optimizer="sgd")
    with pytest.raises(ValueError, match="metrics must be a list or tuple"):
        distiller.compile(loss="mse", metrics="mae")


# -- saving ----------------------------------------------------------------------------------
def test_config_round_trip():
    distiller = _distiller()
    config = distiller.get_config()
    assert config["distillation_loss_weights"] == [1.0, 0.5]
    assert config["student_loss_weight"] == 0.4
    again = Distiller.from_config(config)
    assert again.get_config()["distillation_losses"] == config["distillation_losses"]
    assert again.teacher.trainable is False and again.student.trainable is True


def test_keras_file_round_trip(tmp_path):
    distiller = _distiller()
    distiller.compile(optimizer=keras.optimizers.SGD(0.1), loss="mse")
    distiller.fit(X, Y, epochs=1, verbose=0)
    path = str(tmp_path / "distiller.keras")
    distiller.save(path)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        loaded = keras.saving.load_model(path)  # no custom objects needed, as Keras
    assert any("compile() was not called" in str(w.message) for w in caught)  # as Keras
    assert not loaded.compiled
    np.testing.assert_allclose(loaded.predict(X, verbose=0), distiller.predict(X, verbose=0))
    for got, want in zip(loaded.teacher.get_weights(), _weights(1)):
        np.testing.assert_array_equal(got, want)
    for got, want in zip(loaded.student.get_weights(), distiller.student.get_weights()):
        np.testing.assert_array_equal(got, want)
    assert not loaded.teacher.trainable
    loaded.compile(optimizer="sgd", loss="mse")
    result = loaded.evaluate(X, Y, verbose=0, return_dict=True)
    want = _combined(distiller.student.get_weights(), _weights(1), X, Y)[0]
    assert result["loss"] == pytest.approx(want, rel=1e-5)


# -- Keras' errors -------------------------------------------------------------------------
def test_construction_errors():
    teacher, student = _model("t", 1), _model("s", 2)
    logits = LogitsDistillation()
    with pytest.raises(ValueError, match="Teacher must be a keras\\.Model"):
        Distiller(keras.layers.Dense(3), student, logits)
    wide_input = keras.Input((5,))
    wide = keras.Model(wide_input, keras.layers.Dense(3)(wide_input))
    with pytest.raises(ValueError, match="input shapes are incompatible"):
        Distiller(wide, student, logits)
    with pytest.raises(ValueError, match=r"student_loss_weight must be between 0\.0 and 1\.0"):
        Distiller(teacher, student, logits, student_loss_weight=1.5)
    with pytest.raises(ValueError, match="student_loss_weight must be a number"):
        Distiller(teacher, student, logits, student_loss_weight="half")
    with pytest.raises(ValueError, match="'distillation_losses' cannot be `None`"):
        Distiller(teacher, student, None)
    with pytest.raises(ValueError, match=r"Number of distillation_loss_weights \(1\) must match"):
        Distiller(teacher, student, [logits, logits], [1.0])
    with pytest.raises(ValueError, match="In teacher model: "):
        Distiller(teacher, student, FeatureDistillation(teacher_layer_name="missing"))


def test_subclassed_models_refuse_layer_names():
    class Sub(keras.Model):
        def __init__(self):
            super().__init__()
            self.dense = keras.layers.Dense(3)

        def call(self, x):
            return self.dense(x)

    with pytest.raises(ValueError, match="The student model\\(s\\) appear to be subclassed"):
        Distiller(_model("t", 1), Sub(), FeatureDistillation(teacher_layer_name="hidden"))


def test_loss_argument_errors():
    with pytest.raises(ValueError, match="temperature must be positive"):
        LogitsDistillation(temperature=0)
    with pytest.raises(ValueError, match="temperature must be a number"):
        LogitsDistillation(temperature="3")
    with pytest.raises(ValueError, match="At least one loss must be non-`None`"):
        LogitsDistillation(loss=[None, None])
    with pytest.raises(ValueError, match="must contain at least one non-`None` value"):
        FeatureDistillation(loss=None)
    with pytest.raises(ValueError, match="Could not interpret loss identifier: nope"):
        FeatureDistillation(loss="nope")
