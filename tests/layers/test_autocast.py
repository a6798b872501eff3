"""Keras' input autocasting (kgraph.layers.autocast) and call errors against numpy: floating
inputs take the layer's float dtype, integers pass untouched, ``autocast=False`` and ops between
layers keep the input dtype; a TypeError in a symbolic call stays a TypeError."""

from __future__ import annotations

import numpy as np
import pytest

import kgraph
from kgraph import layers, ops


class Doubling(layers.Layer):
    def call(self, x):
        return x * 2


def test_float64_arrays_become_float32():
    x = np.random.default_rng(0).standard_normal((2, 3))
    got = Doubling()(x)
    assert got.dtype == np.float32
    np.testing.assert_allclose(got, (x * 2).astype(np.float32), rtol=1e-6)
    assert Doubling()(np.arange(3, dtype=np.int32)).dtype == np.int32
    kept = Doubling(autocast=False)(x)
    assert kept.dtype == np.float64
    np.testing.assert_array_equal(kept, x * 2)


def test_layer_dtype_sets_the_compute_dtype():
    dense = layers.Dense(3, dtype="float16")
    x = np.random.default_rng(1).standard_normal((2, 4)).astype(np.float32)
    got = dense(x)
    assert got.dtype == np.float16
    assert (dense.compute_dtype, dense.variable_dtype, dense.input_dtype) == ("float16",) * 3
    kernel, bias = (w.astype(np.float32) for w in dense.get_weights())
    np.testing.assert_allclose(got, x @ kernel + bias, rtol=1e-2, atol=1e-2)


def test_symbolic_inputs_are_cast_inside_the_layer():
    inputs = kgraph.Input((4,), dtype="float64")
    dense = layers.Dense(3)
    model = kgraph.Model(inputs, dense(inputs))
    assert model.outputs[0].dtype == "float32"
    assert [type(layer).__name__ for layer in model.layers] == ["InputLayer", "Dense"]
    x = np.random.default_rng(2).standard_normal((5, 4))
    kernel, bias = dense.get_weights()
    got = model.predict(x, verbose=0)
    assert got.dtype == np.float32
    np.testing.assert_allclose(got, x @ kernel + bias, rtol=1e-5, atol=1e-6)


def test_ops_between_layers_keep_their_dtypes():
    half = kgraph.Input((3,), dtype="float16")
    assert ops.add(half, 1.5).dtype == "float16"


def test_mixed_policy_computes_in_float16_with_float32_weights():
    layer = layers.Dense(2, dtype="mixed_float16")
    x = np.linspace(-1, 1, 6, dtype=np.float32).reshape(2, 3)
    y = np.asarray(layer(x))
    assert (layer.dtype, layer.compute_dtype, y.dtype) == ("float32", "float16", np.float16)
    assert all(w.dtype == "float32" for w in layer.weights)
    kernel, bias = (w.numpy() for w in layer.weights)
    want = x.astype(np.float16) @ kernel.astype(np.float16) + bias.astype(np.float16)
    np.testing.assert_allclose(y.astype(np.float32), want.astype(np.float32), atol=2e-3)


def test_an_unknown_policy_is_refused_in_one_line():
    with pytest.raises(ValueError, match=r"mixed_float61"):
        layers.Dense(2, dtype="mixed_float61")


def test_a_type_error_in_call_stays_a_type_error():
    """Keras re-raises what ``call`` raised with the layer's context, keeping its type."""
    query = kgraph.Input((3, 4))
    with pytest.raises(TypeError, match=r"multi_head_attention.*'value'"):
        layers.MultiHeadAttention(2, 2)(query)


def test_cast_of_a_float64_array_gives_float32():
    x = np.array([0.1, 2.5], np.float64)
    cast = ops.cast(x, "float32")
    assert np.asarray(cast).dtype == np.float32
    np.testing.assert_array_equal(np.asarray(cast), x.astype(np.float32))


def test_training_argument_is_dropped_for_a_call_without_it():
    """As in Keras: Rescaling's call has no ``training``, so ``training=True`` is ignored."""
    x = np.array([[1.0, 2.0]], np.float32)
    np.testing.assert_allclose(layers.Rescaling(2.0)(x, training=True), x * 2)
    inputs = kgraph.Input((2,))
    model = kgraph.Model(inputs, layers.Rescaling(0.5)(inputs, training=False))
    np.testing.assert_allclose(model.predict(x, verbose=0), x * 0.5)


def test_count_params_of_an_unbuilt_layer_is_keras_error():
    dense = layers.Dense(3)
    with pytest.raises(ValueError, match=r"call `count_params` on layer 'dense.*isn't built"):
        dense.count_params()
    dense.build((None, 4))
    assert dense.count_params() == 4 * 3 + 3


def test_fit_refuses_float16_trainable_weights_in_one_line():
    inputs = kgraph.Input((2,))
    model = kgraph.Model(inputs, layers.Dense(1, dtype="float16", name="half")(inputs))
    model.compile("sgd", "mse")
    x, y = np.ones((4, 2), np.float32), np.ones((4, 1), np.float32)
    with pytest.raises(ValueError, match=r"float32 weights only.*'half/kernel' of dtype float16"):
        model.fit(x, y, verbose=0)
    model.get_layer("half").trainable = False
    model.compile("sgd", "mse")
    assert model.fit(x, y, verbose=0).history["loss"][0] >= 0
