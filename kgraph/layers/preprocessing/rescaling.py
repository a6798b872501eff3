"""``Rescaling``: ``inputs * scale + offset`` (e.g. 0-255 pixels to [0, 1])."""

from __future__ import annotations

import numpy as np

from kgraph import ops
from kgraph.layers.layer import Layer


class Rescaling(Layer):
    """Multiplies inputs by ``scale`` and adds ``offset``; integer inputs become floats.

    Args:
        scale: A number, or a per-channel list broadcast over the last axis.
        offset: A number, or a per-channel list.
    """

    def __init__(self, scale, offset=0.0, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True
        self.scale = scale
        self.offset = offset

    def call(self, inputs):
        dtype = self.dtype if self.dtype.startswith("float") else "float32"
        if isinstance(inputs, np.ndarray):  # eager: float64 arrays become float32 too
            x = inputs.astype(dtype, copy=False)
        else:
            x = ops.cast(inputs, dtype) if getattr(inputs, "dtype", None) != dtype else inputs
        scale = np.asarray(self.scale, dtype)
        offset = np.asarray(self.offset, dtype)
        return x * scale + offset if offset.any() else x * scale

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        return {**super().get_config(), "scale": _plain(self.scale), "offset": _plain(self.offset)}


def _plain(value):
    return np.asarray(value).tolist() if isinstance(value, np.ndarray) else value
