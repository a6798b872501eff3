"""Oracle: ``kgraph.distillation`` trains, evaluates and serializes as real Keras' (JAX).

Teacher and student are built alike in both libraries (Functional and Sequential, the same
layer names) and kgraph's take Keras' weights; both Distillers fit with ``shuffle=False`` on
batches of unequal size. ``history.history`` (every key, validation included), the student's
weights, the frozen teacher's, ``evaluate`` and ``predict`` match, as do the configs, and a
``.keras`` file Keras wrote loads in kgraph with the same predictions.
"""

from __future__ import annotations

import numpy as np
import pytest

import kgraph
from kgraph.distillation import Distiller, FeatureDistillation, LogitsDistillation
from tests.oracle.keras_oracle import MARKS, keras

pytestmark = [*MARKS, pytest.mark.usefixtures("numpy_initial_weights")]

RNG = np.random.default_rng(11)
X = RNG.normal(size=(26, 6)).astype("float32")
LABELS = RNG.integers(0, 4, size=(26,))
OBJECTS = {
    "Distiller": Distiller,
    "LogitsDistillation": LogitsDistillation,
    "FeatureDistillation": FeatureDistillation,
}


def _model(lib, name, units, sequential=False, activation=None):
    layers = [
        lib.layers.Dense(units, activation="tanh", name="hidden"),
        lib.layers.Dense(5, activation="tanh", name="features"),
        lib.layers.Dense(4, activation=activation, name="logits"),
    ]
    if sequential:
        return lib.Sequential([lib.Input((6,)), *layers], name=name)
    x = inputs = lib.Input((6,))
    for layer in layers:
        x = layer(x)
    return lib.Model(inputs, x, name=name)


def _pair(sequential=False, activation=None):
    """(Keras' teacher and student, kgraph's with the same weights)."""
    theirs = tuple(
        _model(keras, name, units, sequential, activation)
        for name, units in (("teacher", 8), ("student", 3))
    )
    ours = tuple(
        _model(kgraph, name, units, sequential, activation)
        for name, units in (("teacher", 8), ("student", 3))
    )
    for mine, keras_model in zip(ours, theirs):
        mine.set_weights([np.asarray(w) for w in keras_model.get_weights()])
    return theirs, ours


def _losses(lib, case):
    dist = lib.distillation
    if case == "logits":
        return dict(distillation_losses=dist.LogitsDistillation(temperature=2.5))
    if case == "kl_instance":
        loss = lib.losses.KLDivergence()
        return dict(
            distillation_losses=dist.LogitsDistillation(temperature=4.0, loss=loss),
            student_loss_weight=0.2,
        )
    if case == "features":
        return dict(
            distillation_losses=[
                dist.LogitsDistillation(
                    temperature=3.0, loss=lib.losses.CategoricalCrossentropy(from_logits=True)
                ),
                dist.FeatureDistillation(
                    teacher_layer_name="features", student_layer_name="features"
                ),
                dist.FeatureDistillation(loss="mae"),
            ],
            distillation_loss_weights=[1.0, 0.5, 2.0],
            student_loss_weight=0.3,
        )
    return dict(distillation_losses=dist.FeatureDistillation(), student_loss_weight=1.0)


def _assert_close(got, want, what):
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5, err_msg=what)


@pytest.mark.parametrize(
    "case, sequential, optimizer, named_loss",
    [
        ("logits", False, "sgd", False),
        ("kl_instance", False, "adam", True),
        ("features", False, "sgd", False),
        pytest.param("features", True, "sgd", True, marks=pytest.mark.slow),
        ("student_only", True, "sgd", True),
    ],
)
def test_fit_evaluate_predict_match_keras(case, sequential, optimizer, named_loss):
    # Keras takes a named "kl_divergence" on the scaled outputs as they are, clipped to
    # [1e-7, 1], and a named "sparse_categorical_crossentropy" divides the outputs by their
    # sum: on raw logits both are too sensitive to compare in float32, so those cases use
    # positive outputs (sigmoid)
    positive = named_loss or case == "logits"
    theirs, ours = _pair(sequential, "sigmoid" if positive else None)
    teacher_start = [np.asarray(w) for w in theirs[0].get_weights()]
    keras_d = keras.distillation.Distiller(*theirs, **_losses(keras, case))
    our_d = Distiller(*ours, **_losses(kgraph, case))
    for model, lib in ((keras_d, keras), (our_d, kgraph)):
        loss = "sparse_categorical_crossentropy"
        if not named_loss:
            loss = lib.losses.SparseCategoricalCrossentropy(from_logits=True)
        opt = lib.optimizers.SGD(0.1) if optimizer == "sgd" else lib.optimizers.Adam(0.02)
        model.compile(optimizer=opt, loss=loss, metrics=["accuracy"])
    kwargs = dict(batch_size=8, epochs=2, shuffle=False, verbose=0, validation_split=0.25)
    got = our_d.fit(X, LABELS, **kwargs).history
    want = keras_d.fit(X, LABELS, **kwargs).history
    assert set(got) == set(want)
    for key in want:
        _assert_close(got[key], want[key], key)
    for mine, keras_weight in zip(ours[1].get_weights(), theirs[1].get_weights()):
        _assert_close(mine, keras_weight, "student weight")
    for mine, start in zip(ours[0].get_weights(), teacher_start):
        np.testing.assert_array_equal(mine, start)  # frozen in kgraph, as in Keras
    _assert_close(our_d.predict(X, verbose=0), keras_d.predict(X, verbose=0), "predict")
    got_eval = our_d.evaluate(X, LABELS, batch_size=8, verbose=0, return_dict=True)
    want_eval = keras_d.evaluate(X, LABELS, batch_size=8, verbose=0, return_dict=True)
    assert set(got_eval) == set(want_eval)
    for key in want_eval:
        _assert_close(got_eval[key], want_eval[key], key)
    listed = our_d.evaluate(X, LABELS, batch_size=8, verbose=0)  # Keras' order of metrics
    _assert_close(listed, keras_d.evaluate(X, LABELS, batch_size=8, verbose=0), "evaluate")


def test_weights_lists_match_keras():
    theirs, ours = _pair()
    keras_d = keras.distillation.Distiller(*theirs, **_losses(keras, "features"))
    our_d = Distiller(*ours, **_losses(kgraph, "features"))
    assert [layer.name for layer in our_d.layers] == [layer.name for layer in keras_d.layers]
    for attribute in ("weights", "trainable_weights", "non_trainable_weights"):
        got, want = getattr(our_d, attribute), getattr(keras_d, attribute)
        assert len(got) == len(want), attribute
        for mine, keras_weight in zip(got, want):
            np.testing.assert_array_equal(np.asarray(mine), np.asarray(keras_weight))
    assert [m.name for m in our_d.metrics] == [m.name for m in keras_d.metrics]


@pytest.mark.parametrize(
    "make",
    [
        lambda lib: lib.distillation.LogitsDistillation(),
        lambda lib: lib.distillation.LogitsDistillation(
            temperature=5, loss=lib.losses.KLDivergence()
        ),
        lambda lib: lib.distillation.LogitsDistillation(loss=["kl_divergence", None]),
        lambda lib: lib.distillation.FeatureDistillation(),
        lambda lib: lib.distillation.FeatureDistillation(
            loss="cosine_similarity", teacher_layer_name="a", student_layer_name="b"
        ),
    ],
)
def test_loss_configs_match_keras(make):
    theirs, ours = make(keras), make(kgraph)
    assert ours.get_config() == theirs.get_config()
    again = type(ours).from_config(theirs.get_config())
    assert again.get_config() == theirs.get_config()


def test_distiller_config_and_compile_config_match_keras():
    theirs, ours = _pair()
    keras_d = keras.distillation.Distiller(*theirs, **_losses(keras, "features"))
    our_d = Distiller(*ours, **_losses(kgraph, "features"))
    got, want = our_d.get_config(), keras_d.get_config()
    for key in ("name", "distillation_loss_weights", "student_loss_weight"):
        assert got[key] == want[key], key
    for mine, keras_loss in zip(got["distillation_losses"], want["distillation_losses"]):
        assert mine["class_name"] == keras_loss["class_name"]
        assert mine["config"] == keras_loss["config"]
    assert got["teacher"]["config"]["trainable"] is False
    assert got["student"]["config"]["trainable"] is True
    for model, lib in ((keras_d, keras), (our_d, kgraph)):
        model.compile(optimizer=lib.optimizers.SGD(0.1), loss="mse", metrics=["mae"])
    got, want = our_d.get_compile_config(), keras_d.get_compile_config()
    assert got["loss"] is want["loss"] is None
    assert got["metrics"] == want["metrics"]


def test_keras_file_loads_in_kgraph(tmp_path):
    theirs, _ = _pair()
    keras_d = keras.distillation.Distiller(*theirs, **_losses(keras, "features"))
    keras_d.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    keras_d.fit(X, LABELS, epochs=1, verbose=0)
    path = str(tmp_path / "distiller.keras")
    keras_d.save(path)
    with pytest.warns(UserWarning, match="compile"):  # Keras leaves it uncompiled too
        loaded = kgraph.saving.load_model(path)
    assert isinstance(loaded, Distiller)
    _assert_close(loaded.predict(X, verbose=0), keras_d.predict(X, verbose=0), "predict")
    teacher = loaded.teacher.predict(X, verbose=0)
    _assert_close(teacher, keras_d.teacher.predict(X, verbose=0), "teacher")
    assert not loaded.teacher.trainable
    assert [type(loss).__name__ for loss in loaded.distillation_losses] == [
        "LogitsDistillation",
        "FeatureDistillation",
        "FeatureDistillation",
    ]


def test_saved_under_keras_module():
    ours = kgraph.saving.serialize_keras_object(LogitsDistillation())
    theirs = keras.saving.serialize_keras_object(keras.distillation.LogitsDistillation())
    assert (ours["module"], ours["registered_name"]) == (
        theirs["module"],
        theirs["registered_name"],
    )
