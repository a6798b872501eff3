"""Oracle: weight regularizers, activity regularizers and weight constraints train as in real
Keras (JAX backend).

The same small CNN is built in both libraries with the same weights, compiled with SGD and
fitted for a few batches with ``shuffle=False``: the reported losses (which include the
penalties), ``evaluate`` (which includes them too) and the final weights (projected by the
constraints after each update) match. Penalties and projections also agree eagerly, and Keras'
configs with regularizers and constraints load into kgraph and back.
"""

from __future__ import annotations

import numpy as np
import pytest

import kgraph
from tests.oracle.keras_oracle import MARKS, keras

pytestmark = [*MARKS, pytest.mark.usefixtures("numpy_initial_weights")]

BATCH = 8


def _model(lib, activity=False, norm_axes=(0, 1, 2)):
    inputs = lib.Input((6, 6, 2))
    x = lib.layers.Conv2D(
        3,
        3,
        activation="relu",
        kernel_constraint=lib.constraints.MaxNorm(1.0, axis=list(norm_axes)),
        bias_constraint="non_neg",
        activity_regularizer=lib.regularizers.L1(0.01) if activity else None,
        name="conv",
    )(inputs)
    x = lib.layers.Flatten(name="flatten")(x)
    x = lib.layers.Dense(
        5,
        activation="tanh",
        kernel_regularizer="l2",
        bias_regularizer=lib.regularizers.L1(0.1),
        activity_regularizer=lib.regularizers.L2(0.05) if activity else None,
        name="hidden",
    )(x)
    outputs = lib.layers.Dense(2, kernel_constraint="non_neg", name="out")(x)
    return lib.Model(inputs, outputs)


def _pair(**kwargs):
    ours, theirs = _model(kgraph, **kwargs), _model(keras, **kwargs)
    rng = np.random.default_rng(0)
    for weight in ours.trainable_weights:  # non-zero biases: |b| has a kink at 0
        weight.assign(rng.uniform(-0.5, 0.5, weight.shape).astype(np.float32))
    theirs.set_weights(ours.get_weights())
    for model, lib in ((ours, kgraph), (theirs, keras)):
        model.compile(optimizer=lib.optimizers.SGD(0.1), loss="mse")
    return ours, theirs


def _data(steps=4, seed=1):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((steps * BATCH, 6, 6, 2)).astype(np.float32)
    return x, rng.standard_normal((steps * BATCH, 2)).astype(np.float32)


@pytest.mark.parametrize("activity", [False, True], ids=["weights", "weights+activity"])
def test_fit_and_evaluate_match_keras(activity):
    ours, theirs = _pair(activity=activity)
    x, y = _data()
    plain = float(np.mean((ours.predict(x, verbose=0) - y) ** 2))
    evaluated = ours.evaluate(x, y, batch_size=BATCH, verbose=0)
    assert evaluated > plain + 1e-3  # the penalties are part of the reported loss
    np.testing.assert_allclose(
        evaluated, theirs.evaluate(x, y, batch_size=BATCH, verbose=0), rtol=1e-5
    )
    kwargs = dict(batch_size=BATCH, epochs=2, shuffle=False, verbose=0)
    ours_history = ours.fit(x, y, **kwargs).history["loss"]
    theirs_history = theirs.fit(x, y, **kwargs).history["loss"]
    np.testing.assert_allclose(ours_history, theirs_history, rtol=1e-5)
    for got, want in zip(ours.get_weights(), theirs.get_weights()):
        np.testing.assert_allclose(got, np.asarray(want), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(
        ours.evaluate(x, y, batch_size=BATCH, verbose=0),
        theirs.evaluate(x, y, batch_size=BATCH, verbose=0),
        rtol=1e-5,
    )
    conv_kernel, conv_bias, _, _, out_kernel, _ = ours.get_weights()
    assert np.sqrt((conv_kernel**2).sum(axis=(0, 1, 2))).max() <= 1.0 + 1e-6
    assert conv_bias.min() >= 0 and out_kernel.min() >= 0


def test_model_losses_match_keras():
    ours, theirs = _pair(activity=True)
    x, _ = _data(steps=1)
    ours.get_layer("hidden")(ours.get_layer("flatten")(ours.get_layer("conv")(x)))
    theirs.get_layer("hidden")(theirs.get_layer("flatten")(theirs.get_layer("conv")(x)))
    got = [float(v) for v in ours.get_layer("hidden").losses]
    want = [float(v) for v in theirs.get_layer("hidden").losses]
    np.testing.assert_allclose(got, want, rtol=1e-5)


@pytest.mark.parametrize(
    "make",
    [
        lambda lib: lib.regularizers.L1(0.3),
        lambda lib: lib.regularizers.L2(0.2),
        lambda lib: lib.regularizers.L1L2(l1=0.1, l2=0.4),
        lambda lib: lib.regularizers.OrthogonalRegularizer(0.5),
        lambda lib: lib.regularizers.OrthogonalRegularizer(0.5, mode="columns"),
        lambda lib: lib.regularizers.get("l1"),
        lambda lib: lib.regularizers.get("l2"),
    ],
)
def test_regularizer_values_match_keras(make):
    x = np.random.default_rng(3).standard_normal((4, 3)).astype(np.float32)
    want = make(keras)(keras.ops.convert_to_tensor(x))  # Keras' numpy path mishandles axis=0
    np.testing.assert_allclose(make(kgraph)(x), np.asarray(want), rtol=1e-5)
    assert kgraph.regularizers.serialize(make(kgraph)) == keras.regularizers.serialize(make(keras))


@pytest.mark.parametrize(
    "make",
    [
        lambda lib: lib.constraints.MaxNorm(),
        lambda lib: lib.constraints.MaxNorm(0.7, axis=[0, 1]),
        lambda lib: lib.constraints.NonNeg(),
        lambda lib: lib.constraints.UnitNorm(axis=1),
        lambda lib: lib.constraints.MinMaxNorm(0.5, 0.8, rate=0.7),
        lambda lib: lib.constraints.get("non_neg"),
    ],
)
def test_constraint_values_match_keras(make):
    w = np.random.default_rng(4).standard_normal((3, 4, 5)).astype(np.float32)
    np.testing.assert_allclose(make(kgraph)(w), np.asarray(make(keras)(w)), rtol=1e-5, atol=1e-7)
    assert kgraph.constraints.serialize(make(kgraph)) == keras.constraints.serialize(make(keras))


def test_configs_with_regularizers_interchange_with_keras():
    x, _ = _data(steps=1)
    for source_lib, target_lib in ((keras, kgraph), (kgraph, keras)):
        source = _model(source_lib, activity=True)
        target = target_lib.Model.from_config(source.get_config())
        hidden = target.get_layer("hidden")
        assert hidden.kernel_regularizer.get_config() == {"l2": 0.01}
        assert type(hidden.bias_regularizer).__name__ == "L1"
        assert type(target.get_layer("out").kernel_constraint).__name__ == "NonNeg"
        assert target.get_layer("conv").kernel_constraint.get_config()["max_value"] == 1.0
        target.set_weights(source.get_weights())
        np.testing.assert_allclose(
            np.asarray(target.predict(x, verbose=0)),
            np.asarray(source.predict(x, verbose=0)),
            rtol=1e-5,
            atol=1e-6,
        )


def test_multi_output_logs_match_keras():
    """The total ``loss`` includes the penalties; the per-output ``<name>_loss`` entries do not."""

    def build(lib):
        x = lib.Input((3,), name="x")
        h = lib.layers.Dense(4, kernel_regularizer="l2", name="h")(x)
        a = lib.layers.Dense(1, name="a")(h)
        return lib.Model(x, [a, lib.layers.Dense(2, bias_regularizer="l1", name="b")(h)])

    ours, theirs = build(kgraph), build(keras)
    rng = np.random.default_rng(2)
    weights = [rng.uniform(-0.5, 0.5, w.shape).astype(np.float32) for w in ours.get_weights()]
    x = rng.standard_normal((16, 3)).astype(np.float32)
    ys = [rng.standard_normal((16, n)).astype(np.float32) for n in (1, 2)]
    logs = []
    for model, lib in ((ours, kgraph), (theirs, keras)):
        model.set_weights(weights)
        model.compile(lib.optimizers.SGD(0.1), loss=["mse", "mae"], loss_weights=[1.0, 0.5])
        history = model.fit(x, ys, batch_size=8, shuffle=False, verbose=0).history
        logs.append((history, model.evaluate(x, ys, verbose=0, return_dict=True)))
    (ours_fit, ours_eval), (theirs_fit, theirs_eval) = logs
    assert ours_fit.keys() == theirs_fit.keys() and ours_eval.keys() == theirs_eval.keys()
    for key in theirs_fit:
        np.testing.assert_allclose(ours_fit[key], theirs_fit[key], rtol=1e-5, err_msg=key)
        np.testing.assert_allclose(ours_eval[key], theirs_eval[key], rtol=1e-5, err_msg=key)
