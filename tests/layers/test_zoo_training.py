"""Training-step sanity for the model-zoo layers: each trainable one learns in ``fit`` (the
loss falls and its weights move), through the gradient rules of the ops it lowers to."""

from __future__ import annotations

import numpy as np
import pytest

import kgraph
from kgraph import layers


def _image_stack():
    return [
        layers.ZeroPadding2D(1),
        layers.DepthwiseConv2D(3, depth_multiplier=2),
        layers.PReLU(shared_axes=[1, 2]),
        layers.SeparableConv2D(4, 3, padding="same"),
        layers.GroupNormalization(groups=2),
        layers.Conv2DTranspose(3, 3, strides=2, padding="same", output_padding=1),
        layers.LayerNormalization(),
        layers.AdaptiveAveragePooling2D(3),
        layers.UpSampling2D(interpolation="bilinear"),
        layers.Cropping2D(1),
        layers.SpatialDropout2D(0.1, seed=1),
        layers.GaussianNoise(0.01, seed=2),
        layers.GlobalAveragePooling2D(),
        layers.Dense(2),
    ]


def _sequence_stack():
    return [
        layers.Embedding(10, 6),
        layers.Conv1D(4, 3, padding="causal"),
        layers.Conv1DTranspose(4, 2, strides=2),
        layers.DepthwiseConv1D(3, padding="same"),
        layers.EinsumDense("abc,cd->abd", output_shape=(None, 5), bias_axes="d"),
        layers.RMSNormalization(),
        layers.TimeDistributed(layers.Dense(3)),
        layers.AlphaDropout(0.1, seed=3),
        layers.GlobalMaxPooling1D(),
        layers.RepeatVector(2),
        layers.Flatten(),
        layers.Dense(2),
    ]


@pytest.mark.parametrize(
    "stack, shape, dtype",
    [(_image_stack, (8, 8, 3), "float32"), (_sequence_stack, (6,), "int32")],
    ids=["image", "sequence"],
)
def test_zoo_layers_train(stack, shape, dtype):
    kgraph.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    x = (
        rng.integers(0, 10, (32, *shape)).astype(dtype)
        if dtype == "int32"
        else rng.standard_normal((32, *shape)).astype(dtype)
    )
    y = rng.standard_normal((32, 2)).astype(np.float32)
    inputs = kgraph.Input(shape, dtype=dtype)
    outputs = inputs
    built = stack()
    for layer in built:
        outputs = layer(outputs)
    model = kgraph.Model(inputs, outputs)
    before = [w.copy() for w in model.get_weights()]
    model.compile(optimizer=kgraph.optimizers.Adam(0.02), loss="mse")
    history = model.fit(x, y, epochs=8, batch_size=16, verbose=0)
    losses = history.history["loss"]
    assert losses[-1] < 0.8 * losses[0], losses
    moved = {
        layer.name
        for layer in built
        if layer.weights
        and any(
            not np.allclose(model.get_weights()[i], before[i])
            for i, w in enumerate(model.weights)
            if any(w is v for v in layer.weights)
        )
    }
    trainable = {layer.name for layer in built if layer.trainable_weights}
    assert moved == trainable
