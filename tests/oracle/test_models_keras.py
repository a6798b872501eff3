"""Oracle: Functional models built the same way in real Keras (jax backend) and in kgraph list
their layers in the same order, so ``get_weights`` / ``set_weights`` are interchangeable and the
two give the same predictions."""

from __future__ import annotations

import numpy as np
import pytest

import kgraph
from tests.oracle.keras_oracle import MARKS, keras

pytestmark = [*MARKS, pytest.mark.usefixtures("numpy_initial_weights")]


def branchy(lib):
    """A Dense chain and a shortcut of the same shape meeting in an Add."""
    layers = lib.layers
    x = lib.Input((8,), name="x")
    a = layers.Dense(8, name="a")(x)
    b = layers.Dense(4, name="b")(a)
    c = layers.Dense(4, name="c")(x)
    return lib.Model(x, layers.Add(name="add")([c, b]))


def two_inputs_late_join(lib):
    """The second input joins near the output; a shared layer is used at two depths."""
    layers = lib.layers
    x = lib.Input((6,), name="x")
    y = lib.Input((3,), name="y")
    shared = layers.Dense(6, activation="tanh", name="shared")
    h = shared(layers.Dense(6, name="pre")(shared(x)))
    z = layers.Concatenate(name="cat")([layers.Dense(5, name="head")(h), y])
    return lib.Model([x, y], [layers.Dense(2, name="out")(z), layers.Dense(1, name="side")(h)])


def conv_residual(lib):
    layers = lib.layers
    x = lib.Input((8, 8, 3), name="image")
    h = layers.Conv2D(4, 3, padding="same", activation="relu", name="stem")(x)
    r = layers.Conv2D(4, 3, padding="same", name="res_a")(h)
    r = layers.Conv2D(4, 1, name="res_b")(layers.Activation("relu", name="act")(r))
    h = layers.Add(name="sum")([h, r])
    h = layers.MaxPooling2D(name="pool")(h)
    return lib.Model(x, layers.Dense(3, name="logits")(layers.Flatten(name="flat")(h)))


@pytest.mark.parametrize("build", [branchy, two_inputs_late_join, conv_residual])
def test_layer_order_and_weights_match_keras(build):
    ours, theirs = build(kgraph), build(keras)
    assert [layer.name for layer in ours.layers] == [layer.name for layer in theirs.layers]
    assert [w.shape for w in ours.get_weights()] == [tuple(w.shape) for w in theirs.get_weights()]
    theirs.set_weights(ours.get_weights())
    rng = np.random.default_rng(0)
    inputs = [rng.standard_normal((5, *t.shape[1:])).astype(np.float32) for t in ours.inputs]
    ours_out = ours.predict(inputs if len(inputs) > 1 else inputs[0], verbose=0)
    theirs_out = theirs.predict(inputs if len(inputs) > 1 else inputs[0], verbose=0)
    for got, want in zip(*(o if isinstance(o, list) else [o] for o in (ours_out, theirs_out))):
        np.testing.assert_allclose(got, np.asarray(want), rtol=1e-5, atol=1e-5)
    ours.set_weights(theirs.get_weights())  # and back: Keras' weights load into kgraph
    for got, want in zip(ours.get_weights(), theirs.get_weights()):
        np.testing.assert_array_equal(got, np.asarray(want))


@pytest.mark.parametrize("build", [branchy, two_inputs_late_join, conv_residual])
def test_model_configs_interchange_with_keras(build):
    """A Keras model's config rebuilds in kgraph and a kgraph model's in Keras: same layer
    names and order, and with the same weights the same predictions."""
    rng = np.random.default_rng(1)
    for source_lib, target_lib in ((keras, kgraph), (kgraph, keras)):
        source = build(source_lib)
        target = target_lib.Model.from_config(source.get_config())
        assert [layer.name for layer in target.layers] == [layer.name for layer in source.layers]
        target.set_weights(source.get_weights())
        inputs = [rng.standard_normal((3, *t.shape[1:])).astype(np.float32) for t in source.inputs]
        data = inputs if len(inputs) > 1 else inputs[0]
        got, want = target.predict(data, verbose=0), source.predict(data, verbose=0)
        for g, w in zip(*(o if isinstance(o, list) else [o] for o in (got, want))):
            np.testing.assert_allclose(np.asarray(g), np.asarray(w), rtol=1e-5, atol=1e-5)


def test_sequential_config_from_keras():
    source = keras.Sequential(
        [keras.Input((6, 6, 2)), keras.layers.Conv2D(3, 3), keras.layers.Flatten()]
        + [keras.layers.Dropout(0.1), keras.layers.Dense(4, activation="softmax")]
    )
    target = kgraph.Sequential.from_config(source.get_config())
    target.set_weights(source.get_weights())
    x = np.random.default_rng(2).standard_normal((3, 6, 6, 2)).astype(np.float32)
    np.testing.assert_allclose(
        target.predict(x, verbose=0), source.predict(x, verbose=0), rtol=1e-5, atol=1e-6
    )


def test_keras_config_with_mask_kwargs_loads():
    """Keras records ``mask=None`` in the calls of BatchNormalization, Softmax, pooling..."""
    inputs = keras.Input((6, 6, 3))
    h = keras.layers.BatchNormalization()(inputs)
    h = keras.layers.GlobalAveragePooling2D()(keras.layers.Conv2D(4, 3)(h))
    source = keras.Model(inputs, keras.layers.Softmax()(keras.layers.Dense(3)(h)))
    target = kgraph.Model.from_config(source.get_config())
    target.set_weights(source.get_weights())
    x = np.random.default_rng(5).standard_normal((2, 6, 6, 3)).astype(np.float32)
    np.testing.assert_allclose(
        target.predict(x, verbose=0), source.predict(x, verbose=0), rtol=1e-5, atol=1e-6
    )


def ops_between_layers(lib):
    """Keras 3's functional ops: arithmetic, slicing and ops on layer outputs."""
    inputs = lib.Input((3,), name="x")
    hidden = lib.layers.Dense(4, name="h")(inputs)
    z = (lib.ops.relu(hidden) + 1.0)[:, :2] * lib.ops.sin(hidden[:, 2:])
    z = lib.ops.concatenate([z, inputs], axis=-1)
    return lib.Model(inputs, lib.layers.Dense(1, name="o")(z))


def test_ops_between_layers_match_keras():
    ours, theirs = ops_between_layers(kgraph), ops_between_layers(keras)
    assert [layer.name for layer in ours.layers] == [layer.name for layer in theirs.layers]
    ours.set_weights(theirs.get_weights())
    x = np.random.default_rng(6).standard_normal((5, 3)).astype(np.float32)
    np.testing.assert_allclose(
        ours.predict(x, verbose=0), theirs.predict(x, verbose=0), rtol=1e-5, atol=1e-6
    )
