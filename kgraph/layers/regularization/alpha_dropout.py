"""``AlphaDropout``: dropout that keeps the mean and variance of SELU activations."""

from __future__ import annotations

import numpy as np

from kgraph import ops, random
from kgraph.layers.layer import Layer
from kgraph.utils import argument_validation as av
from kgraph.utils import seeds

_ALPHA = 1.6732632423543772
_SCALE = 1.0507009873554805


class AlphaDropout(Layer):
    """In training, sets dropped inputs to SELU's negative saturation ``-alpha * scale`` and
    applies the affine map ``a * x + b`` that restores the mean and variance; identity at
    inference.

    Args:
        rate: Drop probability, ``0 <= rate <= 1``.
        noise_shape: Shape of the random mask (``None`` entries take the input's size).
        seed: Seed of the layer's generator.
    """

    def __init__(self, rate, noise_shape=None, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True
        self.rate = av.check_rate(rate)  # Keras takes 0 <= rate <= 1
        self.noise_shape = None if noise_shape is None else tuple(noise_shape)
        self.seed = seed
        self._generator = np.random.default_rng(seed if seed is not None else seeds.make_seed())

    def call(self, inputs, training=False):
        if not training or self.rate <= 0:
            return inputs
        rate = float(self.rate)
        noise = None
        if self.noise_shape is not None:
            noise = tuple(
                inputs.shape[i] if d is None else d for i, d in enumerate(self.noise_shape)
            )
        seed = int(self._generator.integers(0, 2**31 - 1))
        # dropout of ones is keep / (1 - rate): the keep mask (broadcast over noise_shape)
        ones = ops.ones_like(inputs)
        keep = ops.multiply(random.dropout(ones, rate, noise_shape=noise, seed=seed), 1.0 - rate)
        alpha_p = -_ALPHA * _SCALE
        a = ((1.0 - rate) * (1.0 + rate * alpha_p**2)) ** -0.5
        b = -a * alpha_p * rate
        x = ops.add(ops.multiply(inputs, keep), ops.multiply(ops.subtract(1.0, keep), alpha_p))
        return ops.add(ops.multiply(x, a), b)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        return {
            **super().get_config(),
            "rate": self.rate,
            "seed": self.seed,
            "noise_shape": self.noise_shape,
        }
