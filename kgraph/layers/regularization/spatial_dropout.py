"""``SpatialDropout1D/2D/3D``: dropout of whole feature maps (one draw per sample and channel)."""

from __future__ import annotations

from kgraph.layers.input_spec import InputSpec
from kgraph.layers.regularization.dropout import Dropout
from kgraph.utils import argument_validation as av


class BaseSpatialDropout(Dropout):
    """``Dropout`` whose mask has size 1 on every spatial axis: a channel is dropped at all
    positions of a sample at once.

    Args:
        rank: Number of spatial axes.
        rate: Drop probability.
        seed: Seed of the layer's generator.
        data_format: ``'channels_last'`` (default) or ``'channels_first'``.
    """

    def __init__(self, rank, rate, seed=None, data_format=None, **kwargs):
        super().__init__(rate=rate, seed=seed, **kwargs)
        self.rank = rank
        self.data_format = av.standardize_data_format(data_format)
        self.input_spec = InputSpec(ndim=rank + 2)

    def _noise_shape(self, inputs):
        shape = inputs.shape
        if self.data_format == "channels_first":
            return (shape[0], shape[1], *([1] * self.rank))
        return (shape[0], *([1] * self.rank), shape[-1])

    def get_config(self):
        config = {**super().get_config(), "data_format": self.data_format}
        for key in ("noise_shape", "trainable"):  # Keras' SpatialDropout takes neither
            config.pop(key)
        return config


class SpatialDropout1D(BaseSpatialDropout):
    """Drops whole feature channels of ``(batch, steps, channels)``."""

    def __init__(self, rate, seed=None, **kwargs):
        super().__init__(1, rate, seed, **kwargs)

    def get_config(self):
        config = super().get_config()
        config.pop("data_format")
        return config


class SpatialDropout2D(BaseSpatialDropout):
    """Drops whole 2D feature maps."""

    def __init__(self, rate, data_format=None, seed=None, **kwargs):
        super().__init__(2, rate, seed, data_format, **kwargs)


class SpatialDropout3D(BaseSpatialDropout):
    """Drops whole 3D feature maps."""

    def __init__(self, rate, data_format=None, seed=None, **kwargs):
        super().__init__(3, rate, seed, data_format, **kwargs)
