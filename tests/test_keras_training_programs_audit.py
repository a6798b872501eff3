"""Keras 3 programs that compile, train, evaluate, save and reload models, beyond
``test_keras_programs_audit.py``: dict outputs addressed by their keys, outputs without a loss,
per-output sample weights, ``get_layer`` and ``evaluate`` argument errors, ``summary()``
options. Each checks real values against numpy or the exact text and error Keras gives."""

from __future__ import annotations

import numpy as np
import pytest

import kgraph as keras
from kgraph import layers

RNG = np.random.default_rng(7)
X = RNG.normal(size=(24, 5)).astype("float32")
LABELS = RNG.integers(0, 3, size=24)
TARGETS = RNG.normal(size=(24, 1)).astype("float32")


def setup_function():
    keras.utils.clear_session()
    keras.utils.set_random_seed(2)


def two_heads(outputs_as="dict"):
    """A softmax head ``out_a`` and a regression head ``out_b``, returned under dict keys that
    differ from the layer names (or as a list)."""
    inputs = keras.Input((5,), name="inp")
    hidden = layers.Dense(8, activation="relu", name="hidden")(inputs)
    a = layers.Dense(3, activation="softmax", name="out_a")(hidden)
    b = layers.Dense(1, name="out_b")(hidden)
    return keras.Model(inputs, {"b": b, "a": a} if outputs_as == "dict" else [a, b])


def crossentropy(probabilities, labels):
    return -np.log(probabilities[np.arange(len(labels)), labels])


def test_dict_outputs_are_addressed_by_their_keys():
    """Keras matches loss, metrics, targets and log names of a dict-output model to the dict's
    keys, not to the output layers' names."""
    model = two_heads()
    model.compile(
        optimizer="sgd",
        loss={"a": "sparse_categorical_crossentropy", "b": "mse"},
        loss_weights={"a": 1.0, "b": 0.5},
        metrics={"a": ["accuracy"], "b": [keras.metrics.MeanAbsoluteError(name="mae")]},
    )
    targets = {"a": LABELS, "b": TARGETS}
    history = model.fit(X, targets, epochs=1, batch_size=8, verbose=0)
    assert sorted(history.history) == ["a_accuracy", "a_loss", "b_loss", "b_mae", "loss"]
    assert model.output_names == ["out_a", "out_b"]
    predicted = model.predict(X, verbose=0)
    assert sorted(predicted) == ["a", "b"]
    result = model.evaluate(X, targets, batch_size=24, verbose=0, return_dict=True)
    a_loss = crossentropy(predicted["a"], LABELS).mean()
    b_loss = np.mean((predicted["b"] - TARGETS) ** 2)
    assert result["a_loss"] == pytest.approx(a_loss, rel=1e-5)
    assert result["b_loss"] == pytest.approx(b_loss, rel=1e-5)
    assert result["loss"] == pytest.approx(a_loss + 0.5 * b_loss, rel=1e-5)
    assert result["b_mae"] == pytest.approx(np.abs(predicted["b"] - TARGETS).mean(), rel=1e-5)
    assert result["a_accuracy"] == pytest.approx(np.mean(predicted["a"].argmax(1) == LABELS))
    with pytest.raises(ValueError, match=r"no targets for outputs \['b'\]"):
        model.fit(X, {"a": LABELS, "out_b": TARGETS}, verbose=0)


@pytest.mark.filterwarnings("ignore:Gradients do not exist")
def test_outputs_without_a_loss_ignore_their_targets():
    """An output that no loss or metric reads takes any target (Keras ignores it), or none in a
    dict; the other outputs' targets still go to the right loss."""
    model = two_heads("list")
    model.compile(optimizer="sgd", loss=[None, "mse"])
    predicted = model.predict(X, verbose=0)
    want = np.mean((predicted[1] - TARGETS) ** 2)
    # the labels for out_a could not be out_a's targets (their shape is (24,), not (24, 3))
    assert model.evaluate(X, [LABELS, TARGETS], verbose=0) == pytest.approx(want, rel=1e-5)
    dict_model = two_heads()
    dict_model.compile(optimizer="sgd", loss={"b": "mse"})
    predicted = dict_model.predict(X, verbose=0)
    want = np.mean((predicted["b"] - TARGETS) ** 2)
    assert dict_model.evaluate(X, {"b": TARGETS}, verbose=0) == pytest.approx(want, rel=1e-5)
    history = dict_model.fit(X, {"b": TARGETS}, batch_size=24, verbose=0)
    assert history.history["loss"][0] == pytest.approx(want, rel=1e-5)


@pytest.mark.filterwarnings("ignore:Gradients do not exist")
def test_per_output_sample_weights_equal_for_every_loss():
    """A dict or list of per-output sample weights works when every output with a loss gets
    the same weights (kgraph's graphs take one weight array); else one clear error."""
    model = two_heads()
    model.compile(optimizer="sgd", loss={"a": "sparse_categorical_crossentropy", "b": "mse"})
    weights = RNG.uniform(0.5, 2.0, size=24).astype("float32")
    predicted = model.predict(X, verbose=0)
    a_loss = np.mean(crossentropy(predicted["a"], LABELS) * weights)
    b_loss = np.mean((predicted["b"][:, 0] - TARGETS[:, 0]) ** 2 * weights)
    targets = {"a": LABELS, "b": TARGETS}
    for sample_weight in ({"a": weights, "b": weights}, [weights, weights], weights):
        result = model.evaluate(
            X, targets, sample_weight=sample_weight, batch_size=24, verbose=0, return_dict=True
        )
        assert result["a_loss"] == pytest.approx(a_loss, rel=1e-5)
        assert result["b_loss"] == pytest.approx(b_loss, rel=1e-5)
    with pytest.raises(ValueError, match="one sample_weight array for all outputs"):
        model.evaluate(X, targets, sample_weight={"a": weights, "b": weights[::-1]}, verbose=0)
    with pytest.raises(ValueError, match=r"keys \['c'\] that are not outputs"):
        model.evaluate(X, targets, sample_weight={"a": weights, "c": weights}, verbose=0)
    only_a = two_heads()
    only_a.compile(optimizer="sgd", loss={"a": "sparse_categorical_crossentropy"})
    result = only_a.evaluate(
        X, targets, sample_weight={"a": weights, "b": weights[::-1]}, verbose=0
    )
    predicted = only_a.predict(X, verbose=0)
    assert result == pytest.approx(np.mean(crossentropy(predicted["a"], LABELS) * weights), 1e-5)


def test_get_layer_and_evaluate_argument_errors_as_keras():
    model = two_heads("list")
    assert model.get_layer(index=1) is model.get_layer("hidden")
    cases = [
        (dict(name="hidden", index=1), "Provide only a layer name or a layer index"),
        (dict(index=9), "Was asked to retrieve layer at index 9 but model only has 4 layers"),
        ({}, "Provide either a layer name or layer index"),
        (dict(name="nope"), "No such layer: nope"),
    ]
    for kwargs, message in cases:
        with pytest.raises(ValueError, match=message):
            model.get_layer(**kwargs)
    model.compile(optimizer="sgd", loss=[None, "mse"])
    with pytest.raises(ValueError, match=r"Arguments not recognized: \{'foo': 1\}"):
        model.evaluate(X, [LABELS, TARGETS], verbose=0, foo=1)


class SquaredActivityLoss(layers.Layer):
    """Adds the mean squared activation as the model's loss (the guide's add_loss pattern)."""

    def call(self, inputs):
        self.add_loss(keras.ops.mean(keras.ops.square(inputs)))
        return inputs


def test_compile_without_loss_trains_on_added_losses():
    """The training guide's "no loss argument" compile: the model's added losses are the whole
    loss, targets are optional, metrics still read targets when given."""
    inputs = keras.Input((5,))
    projected = layers.Dense(3, use_bias=False, name="proj")(inputs)
    model = keras.Model(inputs, SquaredActivityLoss()(projected))
    model.compile(optimizer=keras.optimizers.SGD(0.1), metrics=["mae"])
    (kernel,) = model.get_weights()
    out = X @ kernel
    result = model.evaluate(X, np.zeros((24, 3)), batch_size=24, verbose=0, return_dict=True)
    assert result["loss"] == pytest.approx(np.mean(out**2), rel=1e-5)
    assert result["mae"] == pytest.approx(np.mean(np.abs(out)), rel=1e-5)
    with pytest.raises(ValueError, match="need targets"):  # "mae" reads them
        model.fit(X, verbose=0)
    model.compile(optimizer=keras.optimizers.SGD(0.1))
    model.fit(X, batch_size=24, epochs=1, verbose=0)  # no targets at all
    gradient = 2 * X.T @ out / out.size
    np.testing.assert_allclose(
        model.get_weights()[0], kernel - 0.1 * gradient, rtol=1e-4, atol=1e-6
    )


def summary_lines(model, **kwargs) -> list[str]:
    lines = []
    model.summary(print_fn=lines.append, **kwargs)
    return lines


def test_summary_options_and_optimizer_parameters():
    """summary(): layer_range keeps the layers between two names, expand_nested indents a
    nested model's layers, unbuilt layers say so, a rank-1 shape prints as Keras prints it,
    and after training the optimizer's variables are counted (Adam: two slots per weight plus
    its iteration and learning rate)."""
    inner_input = keras.Input((5,), name="ii")
    inner = keras.Model(inner_input, layers.Dense(4, name="d_in")(inner_input), name="inn")
    model = keras.Sequential([keras.Input((5,)), layers.Dense(5, name="d1"), inner], name="s")
    names = [line.split("│")[1].strip() for line in summary_lines(model) if line[:2] == "│ "]
    assert names == ["d1 (Dense)", "inn (Functional)"]
    expanded = summary_lines(model, expand_nested=True)
    names = [line.split("│")[1].rstrip() for line in expanded if line[:2] == "│ "]
    assert names == [
        " d1 (Dense)",
        " inn (Functional)",
        "    └ ii (InputLayer)",
        "    └ d_in (Dense)",
    ]
    ranged = summary_lines(model, layer_range=["inn", "inn"])
    assert [line.split("│")[1].strip() for line in ranged if line[:2] == "│ "] == [
        "inn (Functional)"
    ]
    with pytest.raises(ValueError, match="do not match the layer names"):
        model.summary(layer_range=["nope", "d1"])

    class TwoDense(keras.Model):
        def __init__(self):
            super().__init__(name="two")
            self.first, self.second = layers.Dense(3), layers.Dense(1)

        def call(self, x):
            return self.second(self.first(x))

    unbuilt = [line for line in summary_lines(TwoDense()) if line[:2] == "│ "]
    assert all(line.split("│")[3].strip() == "0 (unbuilt)" for line in unbuilt)

    inputs = keras.Input((4,), name="x")
    picked = keras.Model(inputs, layers.Lambda(lambda t: t[:, 0], name="first")(inputs))
    assert "│ (None)  " in "\n".join(summary_lines(picked))

    model.compile(optimizer="adam", loss="mse")
    assert not any("Optimizer params" in line for line in summary_lines(model))  # no step yet
    model.fit(X, np.zeros((24, 4)), verbose=0)
    weights = 5 * 5 + 5 + 5 * 4 + 4
    totals = summary_lines(model)[-4:]
    slots = 2 * weights + 2
    assert totals[-1].startswith(f" Optimizer params: {slots:,} (")
    assert totals[0].startswith(f" Total params: {weights + slots:,} (")


def test_compile_flags_as_keras():
    """jit_compile is turned off (with Keras' warning) when run_eagerly asks for eager steps;
    steps_per_execution is recorded; training is the same either way."""
    model = two_heads("list")
    with pytest.warns(UserWarning, match="Disabling `jit_compile`"):
        model.compile(optimizer="sgd", loss=[None, "mse"], jit_compile=True, run_eagerly=True)
    assert (model.jit_compile, model.run_eagerly) == (False, True)
    model.compile(optimizer="sgd", loss=[None, "mse"], steps_per_execution=4, jit_compile=False)
    assert (model.jit_compile, model.steps_per_execution) == (False, 4)


@pytest.mark.filterwarnings("ignore:Gradients do not exist")
def test_sample_weight_of_another_shape_names_its_shape():
    model = two_heads("list")
    model.compile(optimizer="sgd", loss=[None, "mse"])
    with pytest.raises(ValueError, match=r"Received: sample_weight of shape \(24, 2\)"):
        model.fit(X, [LABELS, TARGETS], sample_weight=np.ones((24, 2)), verbose=0)
    column = RNG.uniform(0.5, 2.0, size=(24, 1)).astype("float32")
    predicted = model.predict(X, verbose=0)[1]
    want = np.mean((predicted - TARGETS)[:, 0] ** 2 * column[:, 0])
    got = model.evaluate(X, [LABELS, TARGETS], sample_weight=column, batch_size=24, verbose=0)
    assert got == pytest.approx(want, rel=1e-5)
