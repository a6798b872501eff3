"""``Concatenate`` layer and its functional form ``concatenate([...])``."""

from __future__ import annotations

import numbers

from kgraph import ops
from kgraph.layers.layer import Layer
from kgraph.layers.merging.base_merge import _as_shapes, _check_masks
from kgraph.ops.shapes import static_shape


class Concatenate(Layer):
    """Joins a list of tensors along ``axis``; every other axis must match.

    Args:
        axis: The axis to join along (default: the last one).
    """

    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True
        integral = isinstance(axis, numbers.Integral) and not isinstance(axis, bool)
        self.axis = int(axis) if integral else axis  # others fail in build, as in Keras

    def _output_shape(self, input_shape) -> tuple:
        shapes_ = _as_shapes(input_shape)
        rank = len(shapes_[0])
        if not isinstance(self.axis, int):
            raise TypeError(f"`axis` must be an integer. Received: axis={self.axis!r}")
        if any(len(s) != rank for s in shapes_):
            raise ValueError(
                "A `Concatenate` layer requires inputs of the same rank. Received: "
                f"input_shape={shapes_}"
            )
        if not -rank <= self.axis < rank:
            raise ValueError(f"axis {self.axis} is out of range for inputs of rank {rank}.")
        axis = self.axis % rank
        out = list(shapes_[0])
        for s in shapes_[1:]:
            for i, (a, b) in enumerate(zip(out, s)):
                if i == axis:
                    out[i] = None if a is None or b is None else a + b
                elif a is not None and b is not None and a != b:
                    raise ValueError(
                        "A `Concatenate` layer requires inputs with matching shapes "
                        f"except for the concatenation axis {self.axis}. Received: "
                        f"input_shape={shapes_}"
                    )
                elif a is None:
                    out[i] = b
        return tuple(out)

    def build(self, input_shape):
        self._output_shape(input_shape)
        self.built = True

    def call(self, inputs):
        if not isinstance(inputs, (list, tuple)):
            raise ValueError(
                "A `Concatenate` layer should be called on a list of inputs. "
                f"Received: inputs={inputs}"
            )
        self._output_shape([static_shape(x) for x in inputs])
        return ops.concatenate(list(inputs), axis=self.axis)

    def compute_mask(self, inputs, mask=None):
        """Keras' mask of a concatenation: each input's mask spread over its features (all
        True for an unmasked input), concatenated along ``axis``, then any over the last
        axis; None when no input has a mask."""
        if mask is None:
            return None
        _check_masks(inputs, mask)
        if all(m is None for m in mask):
            return None
        full = []
        for x, m in zip(inputs, mask):
            if m is None:
                full.append(ops.ones_like(x, dtype="bool"))
            elif len(m.shape) < len(x.shape):
                full.append(ops.logical_or(ops.expand_dims(m, -1), ops.zeros_like(x, "bool")))
            else:
                full.append(m)
        return ops.any(ops.concatenate(full, axis=self.axis), axis=-1)

    def compute_output_shape(self, input_shape):
        return self._output_shape(input_shape)

    def get_config(self):
        return {**super().get_config(), "axis": self.axis}


def concatenate(inputs, axis=-1, **kwargs):
    """Functional interface to the ``Concatenate`` layer."""
    return Concatenate(axis=axis, **kwargs)(inputs)
