"""Oracle: ``fit`` in kgraph and in real Keras (JAX backend) end with the same weights.

Both libraries build the same CNNs (the seed CNN and a functional block with a projected skip
connection), start from the same weights (kgraph's, loaded with Keras' ``set_weights``), and fit
three batches with ``shuffle=False``. The weights that Keras' ``get_weights`` returns afterwards
match kgraph's, layer by layer, and so do the reported losses: the weight layouts are
interchangeable and ``fit`` has Keras' semantics (batching, optimizer formulas, loss averaging).
The weights start where neither library's softmax saturates: on saturated outputs Keras clips
probabilities to 1e-7 while kgraph differentiates the fused log-softmax (compiler/losses.py).
"""

from __future__ import annotations

import numpy as np
import pytest

import kgraph
from tests.oracle.keras_oracle import MARKS, keras

pytestmark = [*MARKS, pytest.mark.usefixtures("numpy_initial_weights")]

BATCH = 16


def _seed_cnn(lib):
    inputs = lib.Input((28, 28, 1))
    x = lib.layers.Conv2D(32, (3, 3), activation="relu", name="conv")(inputs)
    x = lib.layers.Flatten(name="flatten")(x)
    return lib.Model(inputs, lib.layers.Dense(10, activation="softmax", name="dense")(x))


def _skip_cnn(lib):
    inputs = lib.Input((10, 10, 3))
    x = lib.layers.Conv2D(6, 3, padding="same", activation="relu", name="conv_a")(inputs)
    x = lib.layers.Conv2D(6, 3, padding="same", name="conv_b")(x)
    shortcut = lib.layers.Conv2D(6, 1, name="proj")(inputs)
    x = lib.layers.ReLU(name="relu")(lib.layers.Add(name="add")([x, shortcut]))
    x = lib.layers.Flatten(name="flatten")(lib.layers.MaxPooling2D(name="pool")(x))
    return lib.Model(inputs, lib.layers.Dense(10, activation="softmax", name="dense")(x))


def _bn_block(lib):
    """16-channel convs: on x86 kgraph's engine runs them as onnxruntime's NCHWc Conv. Its
    weights get ``ATOL`` (1% of one Adam step): an element whose gradient is near zero moves
    by ~lr·sign(g) under Adam, so float32 sums in another order can move it by ~2e-6."""
    inputs = lib.Input((8, 8, 16))
    x = lib.layers.Conv2D(16, 3, padding="same", use_bias=False, name="conv_a")(inputs)
    x = lib.layers.ReLU(name="relu_a")(lib.layers.BatchNormalization(name="bn")(x))
    x = lib.layers.Conv2D(16, 3, padding="same", name="conv_b")(x)
    x = lib.layers.ReLU(name="relu")(lib.layers.Add(name="add")([inputs, x]))
    x = lib.layers.GlobalAveragePooling2D(name="gap")(lib.layers.MaxPooling2D(name="pool")(x))
    return lib.Model(inputs, lib.layers.Dense(10, activation="softmax", name="dense")(x))


MODELS = {"seed": _seed_cnn, "skip": _skip_cnn, "bn_block": _bn_block}
ATOL = {"bn_block": 1e-5}
OPTIMIZERS = {
    "adam": lambda lib: lib.optimizers.Adam(1e-3),
    "sgd_momentum": lambda lib: lib.optimizers.SGD(0.01, momentum=0.9),
    "rmsprop": lambda lib: lib.optimizers.RMSprop(1e-3),
}


def _weights(model):
    return {layer.name: layer.get_weights() for layer in model.layers if layer.get_weights()}


def _pair(name, optimizer):
    ours, theirs = MODELS[name](kgraph), MODELS[name](keras)
    rng = np.random.default_rng(0)
    for weight in ours.trainable_weights:  # glorot kernels as initialised; non-zero biases
        if weight.path.endswith("bias"):
            weight.assign(rng.uniform(-0.05, 0.05, weight.shape).astype(np.float32))
    for layer_name, values in _weights(ours).items():
        theirs.get_layer(layer_name).set_weights(values)
    for model, lib in ((ours, kgraph), (theirs, keras)):
        model.compile(
            optimizer=OPTIMIZERS[optimizer](lib),
            loss="sparse_categorical_crossentropy",
            metrics=["accuracy"],
        )
    return ours, theirs


def _data(model, steps=3, seed=1):
    rng = np.random.default_rng(seed)
    x = rng.random((steps * BATCH, *model.inputs[0].shape[1:]), dtype=np.float32)
    return x, rng.integers(0, 10, steps * BATCH)


@pytest.mark.parametrize("name", sorted(MODELS))
@pytest.mark.parametrize("optimizer", sorted(OPTIMIZERS))
def test_fit_matches_keras(name, optimizer):
    ours, theirs = _pair(name, optimizer)
    before = _weights(theirs)
    x, y = _data(ours)
    ours_history = ours.fit(x, y, batch_size=BATCH, shuffle=False, verbose=0)
    theirs_history = theirs.fit(x, y, batch_size=BATCH, shuffle=False, verbose=0)
    for key in ("loss", "accuracy"):
        np.testing.assert_allclose(
            ours_history.history[key], theirs_history.history[key], rtol=1e-5, err_msg=key
        )
    expected, got = _weights(theirs), _weights(ours)
    assert expected.keys() == got.keys()
    for layer_name, values in expected.items():
        for old, want, have in zip(before[layer_name], values, got[layer_name]):
            assert np.abs(want - old).max() > 1e-4, f"{layer_name} did not train"
            atol = ATOL.get(name, 1e-6)
            np.testing.assert_allclose(have, want, rtol=1e-4, atol=atol, err_msg=layer_name)


def test_trained_weights_load_into_keras_and_predict_the_same():
    """Weights trained by kgraph drop into Keras unchanged and give the same predictions."""
    ours, theirs = _pair("skip", "adam")
    x, y = _data(ours)
    ours.fit(x, y, batch_size=BATCH, shuffle=False, verbose=0, epochs=2)
    theirs.set_weights(ours.get_weights())
    np.testing.assert_allclose(
        ours.predict(x, verbose=0), theirs.predict(x, verbose=0), rtol=1e-5, atol=1e-6
    )
    np.testing.assert_allclose(
        ours.evaluate(x, y, verbose=0, return_dict=True)["loss"],
        theirs.evaluate(x, y, verbose=0, return_dict=True)["loss"],
        rtol=1e-5,
    )


@pytest.mark.parametrize("how", ["names", "variables"])
def test_adamw_exclude_from_weight_decay_matches_keras(how):
    rng = np.random.default_rng(4)
    x = rng.standard_normal((16, 5)).astype(np.float32)
    y = rng.standard_normal((16, 2)).astype(np.float32)

    def build(lib):
        inputs = lib.Input((5,))
        hidden = lib.layers.Dense(4, activation="tanh", name="hidden")
        model = lib.Model(inputs, lib.layers.Dense(2, name="head")(hidden(inputs)))
        optimizer = lib.optimizers.AdamW(0.05, weight_decay=0.3)
        if how == "names":
            optimizer.exclude_from_weight_decay(var_names=["bias"])
        else:
            optimizer.exclude_from_weight_decay(var_list=[hidden.kernel])
        model.compile(optimizer, "mse")
        return model

    theirs, ours = build(keras), build(kgraph)
    ours.set_weights(theirs.get_weights())
    theirs.fit(x, y, batch_size=4, epochs=2, shuffle=False, verbose=0)
    ours.fit(x, y, batch_size=4, epochs=2, shuffle=False, verbose=0)
    for got, want in zip(ours.get_weights(), theirs.get_weights()):
        np.testing.assert_allclose(got, np.asarray(want), rtol=1e-5, atol=1e-6)
