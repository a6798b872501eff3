"""Oracle: ``mixed_float16`` against Keras 3 (JAX backend) with the same weights: the layers'
dtypes and outputs (within float16 tolerance) of a Conv2D / LayerNormalization / Dense stack,
the optimizer ``compile`` trains with, and the LossScaleOptimizer's scale trajectory and weights
through skipped (non-finite) and growing steps."""

from __future__ import annotations

import numpy as np
import pytest

import kgraph
from kgraph import mixed_precision
from tests.oracle.keras_oracle import MARKS, keras

pytestmark = [*MARKS, pytest.mark.usefixtures("numpy_initial_weights")]


@pytest.fixture(autouse=True)
def mixed_float16():
    for lib in (kgraph, keras):
        lib.mixed_precision.set_global_policy("mixed_float16")
    yield
    for lib in (kgraph, keras):
        lib.mixed_precision.set_global_policy("float32")


def _stack(lib):
    inputs = lib.Input((6, 6, 2))
    x = lib.layers.Conv2D(4, 3, activation="relu", name="conv")(inputs)
    x = lib.layers.LayerNormalization(name="norm")(x)
    x = lib.layers.Flatten(name="flat")(x)
    x = lib.layers.Dense(5, activation="tanh", name="dense")(x)
    head = lib.layers.Dense(3, activation="softmax", dtype="float32", name="head")(x)
    return lib.Model(inputs, [x, head])


def test_layer_dtypes_and_outputs_match_keras():
    ours, theirs = _stack(kgraph), _stack(keras)
    rng = np.random.default_rng(0)
    weights = [rng.normal(0, 0.5, w.shape).astype(np.float32) for w in theirs.get_weights()]
    ours.set_weights(weights)
    theirs.set_weights(weights)
    for mine, keras_layer in zip(ours.layers, theirs.layers):
        assert mine.dtype_policy.name == keras_layer.dtype_policy.name
        assert (mine.dtype, mine.compute_dtype) == (keras_layer.dtype, keras_layer.compute_dtype)
        assert [w.dtype for w in mine.weights] == [str(w.dtype) for w in keras_layer.weights]
    x = rng.normal(size=(4, 6, 6, 2)).astype(np.float32)
    got = ours.predict(x, verbose=0)
    want = [np.asarray(t) for t in theirs.predict(x, verbose=0)]
    assert [g.dtype for g in got] == [w.dtype for w in want] == [np.float16, np.float32]
    for g, w in zip(got, want):
        np.testing.assert_allclose(g.astype(np.float32), w.astype(np.float32), atol=1e-2)


def test_compile_wraps_the_optimizer_as_keras():
    theirs = _stack(keras)
    theirs.compile(keras.optimizers.Adam(), "mse")
    wrapped = mixed_precision.wrap_optimizer(_stack(kgraph), kgraph.optimizers.Adam())
    assert type(wrapped).__name__ == type(theirs.optimizer).__name__ == "LossScaleOptimizer"
    assert wrapped.name == theirs.optimizer.name
    assert wrapped.initial_scale == theirs.optimizer.initial_scale
    assert wrapped.dynamic_growth_steps == theirs.optimizer.dynamic_growth_steps


def _regression(lib):
    inputs = lib.Input((3,))
    x = lib.layers.Dense(4, activation="tanh", name="a")(inputs)
    return lib.Model(inputs, lib.layers.Dense(1, dtype="float32", name="b")(x))


def _scale(lib, model) -> float:
    if lib is keras:
        return float(model.optimizer.dynamic_scale)
    return float(model._trainer.engine.get_state()["loss_scale/dynamic_scale"])


def test_loss_scale_trajectory_and_weights_match_keras():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(8, 3)).astype(np.float32)
    y = rng.normal(size=(8, 1)).astype(np.float32)
    bad = y.copy()
    bad[0, 0] = np.nan  # NaN gradients: the step is skipped and the scale halves
    models, scales = {}, {}
    weights = None
    for lib in (keras, kgraph):
        model = models[lib] = _regression(lib)
        weights = weights or [rng.normal(0, 0.5, w.shape).astype("float32") for w in model.weights]
        model.set_weights(weights)
        inner = lib.optimizers.SGD(0.05)
        opt = lib.mixed_precision.LossScaleOptimizer(inner, 4.0, dynamic_growth_steps=2)
        model.compile(opt, "mse")
        scales[lib] = []
        for labels in (y, y, y, bad, y, y, y, bad, y):
            model.train_on_batch(x, labels)
            scales[lib].append(_scale(lib, model))
    assert scales[kgraph] == scales[keras] == [4.0, 8.0, 8.0, 4.0, 4.0, 8.0, 8.0, 4.0, 4.0]
    for g, w in zip(models[kgraph].get_weights(), models[keras].get_weights()):
        np.testing.assert_allclose(g, np.asarray(w), rtol=1e-3, atol=1e-3)


def test_saved_policies_load_both_ways(tmp_path):
    x = np.random.default_rng(2).normal(size=(3, 3)).astype(np.float32)
    for saver, loader in ((kgraph, keras), (keras, kgraph)):
        model = _regression(saver)
        model.save(tmp_path / f"{saver.__name__}.keras")
        loaded = loader.models.load_model(tmp_path / f"{saver.__name__}.keras")
        policies = [layer.dtype_policy.name for layer in loaded.layers[1:]]
        assert policies == [layer.dtype_policy.name for layer in model.layers[1:]]
        assert policies == ["mixed_float16", "float32"]
        got, want = (
            np.asarray(loaded.predict(x, verbose=0)),
            np.asarray(model.predict(x, verbose=0)),
        )
        np.testing.assert_allclose(got, want, atol=2e-3)


@pytest.mark.parametrize("kind", ["LSTM", "GRU", "SimpleRNN"])
def test_recurrent_layers_compute_in_float16_as_keras(kind):
    """The RNN runs its cell's step without calling the cell: the cell's weights are still
    read as float16, so the outputs are float16 as Keras'."""
    models = {}
    for lib in (kgraph, keras):
        inputs = lib.Input((5, 3))
        models[lib] = lib.Model(inputs, getattr(lib.layers, kind)(4, return_sequences=True)(inputs))
    rng = np.random.default_rng(3)
    weights = [rng.normal(0, 0.5, w.shape).astype(np.float32) for w in models[keras].weights]
    for model in models.values():
        model.set_weights(weights)
        assert [w.dtype for w in model.get_weights()] == [np.float32] * len(weights)
    x = rng.normal(size=(2, 5, 3)).astype(np.float32)
    got = models[kgraph].predict(x, verbose=0)
    want = np.asarray(models[keras].predict(x, verbose=0))
    assert got.dtype == want.dtype == np.float16
    np.testing.assert_allclose(got.astype(np.float32), want.astype(np.float32), atol=5e-3)
