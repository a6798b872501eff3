"""``GaussianNoise`` and ``GaussianDropout``: additive and multiplicative normal noise in
training, the identity at inference."""

from __future__ import annotations

import math

import numpy as np

from kgraph import ops
from kgraph.layers.layer import Layer
from kgraph.layers.regularization.noise import normal_like
from kgraph.utils import argument_validation as av
from kgraph.utils import seeds


class _SeededLayer(Layer):
    """A layer with its own generator: every call draws its node's seed from it (as Keras'
    ``SeedGenerator``), so draws differ call to call and repeat run to run."""

    def __init__(self, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True
        self.seed = seed
        self._generator = np.random.default_rng(seed if seed is not None else seeds.make_seed())

    def _next_seed(self) -> int:
        return int(self._generator.integers(0, 2**31 - 1))

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)


class GaussianNoise(_SeededLayer):
    """Adds zero-centred normal noise of standard deviation ``stddev`` in training.

    Args:
        stddev: Standard deviation of the noise.
        seed: Seed of the layer's generator.
    """

    def __init__(self, stddev, seed=None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        if not 0 <= stddev <= 1:
            raise ValueError(
                "Invalid value received for argument `stddev`. Expected a float value "
                f"between 0 and 1. Received: stddev={stddev}"
            )
        self.stddev = stddev

    def call(self, inputs, training=False):
        if training and self.stddev > 0:
            return ops.add(inputs, normal_like(inputs, 0.0, self.stddev, self._next_seed()))
        return inputs

    def get_config(self):
        return {**super().get_config(), "stddev": self.stddev, "seed": self.seed}


class GaussianDropout(_SeededLayer):
    """Multiplies by normal noise of mean 1 and standard deviation ``sqrt(rate / (1 - rate))``
    in training.

    Args:
        rate: Drop probability, as in ``Dropout``: ``0 <= rate <= 1``.
        seed: Seed of the layer's generator.
    """

    def __init__(self, rate, seed=None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        self.rate = av.check_rate(rate)  # a non-number is a TypeError, as in Keras

    def call(self, inputs, training=False):
        if training and 0 < self.rate < 1:
            stddev = math.sqrt(self.rate / (1.0 - self.rate))
            return ops.multiply(inputs, normal_like(inputs, 1.0, stddev, self._next_seed()))
        return inputs

    def get_config(self):
        return {**super().get_config(), "rate": self.rate, "seed": self.seed}
