"""Oracle: a text CNN over ``Input(shape=(None,))`` (keras.io's "text classification from
scratch" shape: Embedding, Conv1D, pooling over a length the graph does not know) trains in
kgraph as in real Keras (JAX backend), and predicts on other lengths after training."""

from __future__ import annotations

import numpy as np
import pytest

import kgraph
from tests.oracle.keras_oracle import MARKS, keras

pytestmark = [*MARKS, pytest.mark.usefixtures("numpy_initial_weights")]

BATCH = 8


def _text_cnn(lib):
    layers = lib.layers
    inputs = lib.Input(shape=(None,), dtype="int64")
    x = layers.Embedding(40, 6, name="embed")(inputs)
    x = layers.Conv1D(5, 3, padding="same", activation="relu", name="conv_same")(x)
    x = layers.MaxPooling1D(2, name="max_pool")(x)
    x = layers.Conv1D(4, 3, strides=2, activation="relu", name="conv_strided")(x)
    x = layers.AveragePooling1D(2, name="avg_pool")(x)
    x = layers.SeparableConv1D(4, 2, name="separable")(x)
    x = layers.GlobalMaxPooling1D(name="global_max")(x)
    return lib.Model(inputs, layers.Dense(1, activation="sigmoid", name="head")(x))


def _weights(model):
    return {layer.name: layer.get_weights() for layer in model.layers if layer.get_weights()}


def test_fit_on_unknown_lengths_matches_keras():
    ours, theirs = _text_cnn(kgraph), _text_cnn(keras)
    for name, values in _weights(ours).items():
        theirs.get_layer(name).set_weights(values)
    for model, lib in ((ours, kgraph), (theirs, keras)):
        model.compile(optimizer=lib.optimizers.Adam(1e-2), loss="binary_crossentropy")
    rng = np.random.default_rng(3)
    x = rng.integers(0, 40, (3 * BATCH, 31))
    y = rng.integers(0, 2, 3 * BATCH).astype(np.float32)
    before = _weights(theirs)
    ours_history = ours.fit(x, y, batch_size=BATCH, shuffle=False, verbose=0, epochs=2)
    theirs_history = theirs.fit(x, y, batch_size=BATCH, shuffle=False, verbose=0, epochs=2)
    np.testing.assert_allclose(
        ours_history.history["loss"], theirs_history.history["loss"], rtol=1e-5
    )
    for name, values in _weights(theirs).items():
        for old, want, have in zip(before[name], values, _weights(ours)[name]):
            assert np.abs(want - old).max() > 1e-4, f"{name} did not train"
            np.testing.assert_allclose(have, want, rtol=1e-4, atol=1e-5, err_msg=name)
    other = rng.integers(0, 40, (5, 19))  # another length than the training batches'
    np.testing.assert_allclose(
        ours.predict(other, verbose=0), theirs.predict(other, verbose=0), rtol=1e-5, atol=1e-6
    )
