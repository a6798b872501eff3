"""``Dropout``: random zeroing in training, identity at inference."""

from __future__ import annotations

import numpy as np

from kgraph import ops, random
from kgraph.layers.layer import Layer
from kgraph.utils import argument_validation as av
from kgraph.utils import seeds


class Dropout(Layer):
    """Sets inputs to 0 with probability ``rate`` during training and scales the kept ones by
    ``1 / (1 - rate)``; at inference it returns the inputs unchanged.

    Args:
        rate: Drop probability, ``0 <= rate <= 1`` (1 drops everything, as in Keras).
        noise_shape: Shape of the random mask (``None`` entries take the input's size), e.g.
            ``(batch, 1, features)`` to drop the same features at every timestep.
        seed: Seed of the layer's own generator (as Keras' ``SeedGenerator``): every call
            draws its node's seed from it, so masks differ call to call and repeat run to run.
            Without one, the generator is seeded from kgraph's (``set_random_seed``).
    """

    def __init__(self, rate, noise_shape=None, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True
        self.rate = av.check_rate(rate)  # Keras takes rate=1: training drops everything
        self.noise_shape = None if noise_shape is None else tuple(noise_shape)
        self.seed = seed
        self._generator = np.random.default_rng(seed if seed is not None else seeds.make_seed())

    def call(self, inputs, training=False):
        if training and self.rate >= 1:
            return ops.zeros_like(inputs)
        if training and self.rate > 0:
            seed = int(self._generator.integers(0, 2**31 - 1))
            return random.dropout(
                inputs, self.rate, noise_shape=self._noise_shape(inputs), seed=seed
            )
        return inputs

    def _noise_shape(self, inputs):
        if self.noise_shape is None:
            return None
        shape = inputs.shape
        return tuple(shape[i] if d is None else d for i, d in enumerate(self.noise_shape))

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        return {
            **super().get_config(),
            "rate": self.rate,
            "noise_shape": self.noise_shape,
            "seed": self.seed,
        }
