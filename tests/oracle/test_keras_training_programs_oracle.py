"""Oracle: Keras 3 training programs (dict outputs, outputs without a loss, per-output sample
weights, summary text) run in kgraph and in real Keras (JAX backend) from the same weights give
the same History keys and values, the same evaluate results and the same printed text."""

from __future__ import annotations

import numpy as np
import pytest

import kgraph
from tests.oracle.keras_oracle import MARKS, keras

pytestmark = [*MARKS, pytest.mark.usefixtures("numpy_initial_weights")]

RTOL, ATOL = 2e-5, 1e-6
RNG = np.random.default_rng(11)
X = RNG.normal(size=(24, 5)).astype(np.float32)
LABELS = RNG.integers(0, 3, size=24)
TARGETS = RNG.normal(size=(24, 1)).astype(np.float32)


def _dict_heads(lib):
    inputs = lib.Input((5,), name="inp")
    hidden = lib.layers.Dense(8, activation="tanh", name="hidden")(inputs)
    a = lib.layers.Dense(3, activation="softmax", name="out_a")(hidden)
    return lib.Model(inputs, {"b": lib.layers.Dense(1, name="out_b")(hidden), "a": a})


def _list_heads(lib):
    inputs = lib.Input((5,), name="inp")
    hidden = lib.layers.Dense(8, activation="tanh", name="hidden")(inputs)
    a = lib.layers.Dense(3, activation="softmax", name="out_a")(hidden)
    return lib.Model(inputs, [a, lib.layers.Dense(1, name="out_b")(hidden)])


def _pair(build, compile_args):
    ours, theirs = build(kgraph), build(keras)
    theirs.set_weights(ours.get_weights())
    for model, lib in ((ours, kgraph), (theirs, keras)):
        model.compile(optimizer=lib.optimizers.SGD(0.05), **compile_args(lib))
    return ours, theirs


def _close(got, want):
    assert sorted(got) == sorted(want)
    for key in want:
        np.testing.assert_allclose(got[key], want[key], rtol=RTOL, atol=ATOL, err_msg=key)


def test_dict_output_model_trains_by_its_keys_as_keras():
    def compile_args(lib):
        return dict(
            loss={"a": "sparse_categorical_crossentropy", "b": lib.losses.Huber(delta=0.5)},
            loss_weights={"a": 1.0, "b": 0.3},
            metrics={"a": ["accuracy"], "b": [lib.metrics.MeanAbsoluteError(name="mae")]},
        )

    ours, theirs = _pair(_dict_heads, compile_args)
    targets = {"a": LABELS, "b": TARGETS}
    fit = dict(epochs=2, batch_size=8, shuffle=False, verbose=0, validation_split=0.25)
    _close(ours.fit(X, targets, **fit).history, theirs.fit(X, targets, **fit).history)
    _close(
        ours.evaluate(X, targets, verbose=0, return_dict=True),
        theirs.evaluate(X, targets, verbose=0, return_dict=True),
    )
    assert ours.output_names == theirs.output_names
    got, want = ours.predict(X, verbose=0), theirs.predict(X, verbose=0)
    _close(got, want)


@pytest.mark.filterwarnings("ignore:Gradients do not exist")
@pytest.mark.parametrize(
    "build, loss, y",
    [
        (_list_heads, [None, "mse"], [LABELS, TARGETS]),
        (_dict_heads, {"b": "mse"}, {"b": TARGETS}),
    ],
)
def test_output_without_loss_ignores_its_targets_as_keras(build, loss, y):
    ours, theirs = _pair(build, lambda lib: dict(loss=loss))
    fit = dict(epochs=2, batch_size=8, shuffle=False, verbose=0)
    _close(ours.fit(X, y, **fit).history, theirs.fit(X, y, **fit).history)
    np.testing.assert_allclose(
        ours.evaluate(X, y, verbose=0), theirs.evaluate(X, y, verbose=0), rtol=RTOL
    )


def test_equal_per_output_sample_weights_as_keras():
    ours, theirs = _pair(
        _dict_heads, lambda lib: dict(loss={"a": "sparse_categorical_crossentropy", "b": "mse"})
    )
    weights = RNG.uniform(0.5, 2.0, size=24).astype(np.float32)
    targets = {"a": LABELS, "b": TARGETS}
    fit = dict(epochs=1, batch_size=8, shuffle=False, verbose=0)
    sample_weight = {"a": weights, "b": weights}
    _close(
        ours.fit(X, targets, sample_weight=sample_weight, **fit).history,
        theirs.fit(X, targets, sample_weight=sample_weight, **fit).history,
    )


def _added_loss_model(lib):
    class SquaredActivityLoss(lib.layers.Layer):
        def call(self, inputs):
            self.add_loss(lib.ops.mean(lib.ops.square(inputs)))
            return inputs

    inputs = lib.Input((5,))
    return lib.Model(inputs, SquaredActivityLoss()(lib.layers.Dense(3, name="proj")(inputs)))


def test_compile_without_loss_trains_on_added_losses_as_keras():
    ours, theirs = _pair(_added_loss_model, lambda lib: dict(metrics=["mae"]))
    zeros = np.zeros((24, 3), np.float32)
    fit = dict(epochs=2, batch_size=8, shuffle=False, verbose=0)
    _close(ours.fit(X, zeros, **fit).history, theirs.fit(X, zeros, **fit).history)
    np.testing.assert_allclose(ours.get_weights()[0], theirs.get_weights()[0], rtol=1e-5, atol=1e-6)


def _summary_lines(model, **kwargs) -> list[str]:
    """The summary's lines (Keras hands ``print_fn`` one string, kgraph one line per call)."""
    lines = []
    model.summary(print_fn=lambda text, **_: lines.extend(text.rstrip("\n").split("\n")), **kwargs)
    return lines


def _cnn(lib):
    return lib.Sequential(
        [
            lib.Input((12, 12, 1)),
            lib.layers.Conv2D(4, 3, activation="relu", name="conv"),
            lib.layers.Flatten(name="flat"),
            lib.layers.Dense(3, name="out"),
        ],
        name="cnn",
    )


def _nested(lib):
    inner_input = lib.Input((5,), name="ii")
    inner = lib.Model(inner_input, lib.layers.Dense(4, name="d_in")(inner_input), name="inn")
    inputs = lib.Input((5,), name="inp")
    shared = lib.layers.Dense(5, name="sh")
    hidden = shared(shared(inputs))
    return lib.Model(inputs, [lib.layers.Dense(2, name="head")(inner(hidden)), hidden], name="o")


def _rank_one(lib):
    inputs = lib.Input((4,), name="x")
    first = lib.layers.Lambda(lambda t: t[:, 0], name="first")(inputs)
    return lib.Model(inputs, first, name="rank_one")


def _compiled_cnn(lib):
    model = _cnn(lib)
    model.compile(optimizer="adam", loss="mse")  # no step yet: no optimizer parameters
    return model


def _trained_cnn(lib):
    model = _cnn(lib)
    model.compile(optimizer="adam", loss="mse")
    model.fit(np.zeros((2, 12, 12, 1)), np.zeros((2, 3)), verbose=0)
    return model


@pytest.mark.parametrize("columns", ["80", "250"])
@pytest.mark.parametrize(
    "build, kwargs",
    [
        (_cnn, {}),
        (_cnn, {"line_length": 70}),
        (_cnn, {"layer_range": ["conv", "flat"]}),
        (_cnn, {"positions": [0.4, 0.75, 1.0]}),
        (_cnn, {"positions": [0.5, 0.65, 1.0]}),  # shapes wrap at their spaces
        (_nested, {}),
        (_nested, {"line_length": 76}),
        (_rank_one, {}),
        (_compiled_cnn, {}),
        (_trained_cnn, {}),
    ],
)
def test_summary_text_matches_keras(monkeypatch, columns, build, kwargs):
    """Keras' column widths for its terminal width or line_length, positions, layer_range,
    rank-1 shapes and the optimizer's parameters after training, line for line."""
    monkeypatch.setenv("COLUMNS", columns)
    assert _summary_lines(build(kgraph), **kwargs) == _summary_lines(build(keras), **kwargs)


def test_summary_of_a_loaded_trained_model_matches_keras(monkeypatch, tmp_path):
    monkeypatch.setenv("COLUMNS", "80")
    _trained_cnn(keras).save(tmp_path / "trained.keras")
    ours = _summary_lines(kgraph.models.load_model(tmp_path / "trained.keras"))
    assert ours == _summary_lines(keras.models.load_model(tmp_path / "trained.keras"))
    assert ours[-1].startswith(" Optimizer params: ")


def test_summary_expand_nested_matches_keras(monkeypatch):
    monkeypatch.setenv("COLUMNS", "250")
    ours = _summary_lines(_nested(kgraph), expand_nested=True)
    assert ours == _summary_lines(_nested(keras), expand_nested=True)
    assert "│    └ d_in (Dense)" in "\n".join(ours)


def _regressor(lib):
    inputs = lib.Input((5,), name="inp")
    return lib.Model(inputs, lib.layers.Dense(1, name="out")(inputs))


@pytest.mark.parametrize("saver, loader", [(kgraph, keras), (keras, kgraph)])
def test_function_loss_and_metric_round_trip_between_libraries(tmp_path, saver, loader):
    """A model compiled with loss and metric *functions* (keras.losses.mean_squared_error...)
    saves a compile config the other library loads and evaluates alike."""
    model = _regressor(saver)
    model.compile(
        optimizer="sgd",
        loss=saver.losses.mean_squared_error,
        metrics=[saver.metrics.mean_absolute_error],
    )
    model.fit(X, TARGETS, verbose=0)
    model.save(tmp_path / "fn.keras")
    loaded = loader.models.load_model(tmp_path / "fn.keras")
    _close(
        loaded.evaluate(X, TARGETS, verbose=0, return_dict=True),
        model.evaluate(X, TARGETS, verbose=0, return_dict=True),
    )


@pytest.mark.parametrize("loss_keys", [("b", "a"), ("a", "b")])
def test_dict_output_list_results_in_keras_order(loss_keys):
    """evaluate and the *_on_batch calls list a dict-output model's per-output losses in the
    loss dict's order, as Keras does (its metrics_names too)."""
    losses = {"a": "sparse_categorical_crossentropy", "b": "mse"}

    def compile_args(lib):
        return dict(
            loss={key: losses[key] for key in loss_keys},
            metrics={"b": ["mae"], "a": ["accuracy"]},
        )

    ours, theirs = _pair(_dict_heads, compile_args)
    targets = {"a": LABELS, "b": TARGETS}
    for got, want in [
        (ours.train_on_batch(X, targets), theirs.train_on_batch(X, targets)),
        (ours.test_on_batch(X, targets), theirs.test_on_batch(X, targets)),
        (ours.evaluate(X, targets, verbose=0), theirs.evaluate(X, targets, verbose=0)),
    ]:
        np.testing.assert_allclose(got, want, rtol=RTOL, atol=ATOL)
    assert [f"{key}_loss" for key in loss_keys] == ours.metrics_names[-2:]
    assert ours.metrics_names[-2:] == theirs.metrics_names[-2:]
    assert [m.name for m in ours.metrics] == [m.name for m in theirs.metrics]
