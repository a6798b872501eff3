"""Small models the saving tests share, each built the same way by ``lib`` (kgraph or Keras),
with deterministic non-trivial weights so round trips cannot pass by accident."""

from __future__ import annotations

import numpy as np


def seed_sequential(lib):
    """The seed note's Sequential CNN (§1A), narrowed to 4 filters."""
    layers = lib.layers
    return lib.Sequential(
        [
            lib.Input(shape=(28, 28, 1)),
            layers.Conv2D(4, (3, 3), activation="relu"),
            layers.Flatten(),
            layers.Dense(10, activation="softmax"),
        ]
    )


def seed_functional(lib):
    """The seed note's Functional model (§1B), narrowed to 4 filters."""
    layers = lib.layers
    inputs = lib.Input(shape=(28, 28, 1))
    x = layers.Conv2D(4, (3, 3), activation="relu")(inputs)
    x = layers.MaxPooling2D()(x)
    outputs = layers.Dense(10, activation="softmax")(x)
    return lib.Model(inputs=inputs, outputs=outputs)


def functional_bn(lib):
    """Conv, BatchNormalization (with moving statistics), a nested Sequential and a merge."""
    layers = lib.layers
    inputs = lib.Input(shape=(8, 8, 3), name="image")
    x = layers.Conv2D(6, 3, padding="same", name="stem")(inputs)
    x = layers.BatchNormalization(name="bn")(x)
    x = layers.Activation("relu")(x)
    head = lib.Sequential([layers.GlobalAveragePooling2D(), layers.Dense(5)], name="head")
    y = head(x)
    z = layers.Dense(5, name="side")(layers.Flatten()(layers.MaxPooling2D(4)(x)))
    return lib.Model(inputs, layers.Add(name="sum")([y, z]), name="bn_model")


def set_distinct_weights(model, seed=0):
    """Every weight to distinct values (BN variances positive); returns them."""
    rng = np.random.default_rng(seed)
    values = []
    for w in model.weights:
        value = rng.uniform(0.5, 1.5, w.shape) if "variance" in w.path else rng.normal(size=w.shape)
        values.append((value * 0.3).astype(np.float32) if "variance" not in w.path else value)
    model.set_weights([np.asarray(v, np.float32) for v in values])
    return model.get_weights()


def sample(model, n=4, seed=1):
    rng = np.random.default_rng(seed)
    shape = tuple(model.inputs[0].shape[1:])
    return rng.normal(size=(n, *shape)).astype(np.float32)
