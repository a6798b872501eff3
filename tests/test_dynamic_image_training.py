"""Training on images whose height and width are only known at run time
(``Input((None, None, C))``): one SGD step of such a model on two image sizes must match the
same model built at that static size with the same weights (whose gradients use the
static-size rules, checked against finite differences in ``tests/compiler/autodiff``)."""

from __future__ import annotations

import numpy as np
import pytest

import kgraph as keras
from kgraph import layers

#: id -> the layers between the image input and the GlobalAveragePooling2D + Dense head
BODIES = {
    "conv_same_stride2": lambda: [layers.Conv2D(4, 3, strides=2, padding="same")],
    "max_pool_same": lambda: [
        layers.Conv2D(3, 3, padding="same"),
        layers.MaxPooling2D(2, padding="same"),
    ],
    "average_pool_same_stride2": lambda: [
        layers.Conv2D(3, 1),
        layers.AveragePooling2D(3, strides=2, padding="same"),
    ],
    "depthwise_same_stride2": lambda: [layers.DepthwiseConv2D(3, strides=2, padding="same")],
    "conv_same_dilated": lambda: [layers.Conv2D(3, 3, dilation_rate=2, padding="same")],
    "separable_same_stride2": lambda: [layers.SeparableConv2D(4, 3, strides=2, padding="same")],
    "conv_transpose_valid": lambda: [layers.Conv2DTranspose(4, 3, strides=2)],
    "conv_transpose_same": lambda: [
        layers.Conv2D(3, 2),
        layers.Conv2DTranspose(4, 3, strides=2, padding="same"),
    ],
    "conv_transpose_output_padding": lambda: [
        layers.Conv2DTranspose(2, 3, strides=3, output_padding=2)
    ],
    "resizing_bilinear": lambda: [layers.Conv2D(4, 3), layers.Resizing(8, 8)],
    "resizing_nearest": lambda: [
        layers.Conv2D(4, 3, padding="same"),
        layers.Resizing(5, 9, interpolation="nearest"),
    ],
}

SIZES = [(12, 12), (11, 9)]  # even, then odd sizes (the 'same' pads differ)


def _model(body, height, width):
    inputs = keras.Input((height, width, 3))
    x = inputs
    for layer in BODIES[body]():
        x = layer(x)
    outputs = layers.Dense(2)(layers.GlobalAveragePooling2D()(x))
    model = keras.Model(inputs, outputs)
    model.compile(keras.optimizers.SGD(0.5), "mse")
    return model


def _step(model, x, y):
    """One SGD step on the whole batch: (loss, updated weights)."""
    history = model.fit(x, y, batch_size=len(x), epochs=1, shuffle=False, verbose=0)
    return history.history["loss"][0], model.get_weights()


@pytest.mark.parametrize("body", BODIES)
def test_fit_on_run_time_sizes_matches_static_model(body):
    rng = np.random.default_rng(3)
    dynamic = _model(body, None, None)
    start = [w.copy() for w in dynamic.get_weights()]
    for height, width in SIZES:
        x = rng.uniform(-1, 1, (3, height, width, 3)).astype("float32")
        y = rng.uniform(-1, 1, (3, 2)).astype("float32")
        static = _model(body, height, width)
        static.set_weights(start)
        dynamic.set_weights(start)
        want_loss, want = _step(static, x, y)
        got_loss, got = _step(dynamic, x, y)
        np.testing.assert_allclose(got_loss, want_loss, rtol=1e-5, atol=1e-6)
        assert len(got) == len(want)
        for index, (a, e, w0) in enumerate(zip(got, want, start)):
            np.testing.assert_allclose(a, e, rtol=1e-5, atol=1e-5, err_msg=f"weight {index}")
            assert not np.allclose(e, w0), f"weight {index} did not move"
