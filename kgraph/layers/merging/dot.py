"""``Dot``: the batched dot product of two tensors along one axis each."""

from __future__ import annotations

import string

from kgraph import ops
from kgraph.layers.layer import Layer
from kgraph.layers.normalization.unit_normalization import l2_normalize


class Dot(Layer):
    """``output[b, i..., j...] = sum_k x[b, i..., k...] * y[b, j..., k...]`` with ``k`` the
    axis ``axes[0]`` of ``x`` and ``axes[1]`` of ``y`` (Keras' ``batch_dot``); a result
    with no axis beside the batch gets a trailing axis of 1.

    Args:
        axes: An int (the same axis of both inputs) or two ints; the batch axis is excluded.
        normalize: L2-normalise both inputs along the axes first (a cosine similarity).
    """

    def __init__(self, axes, normalize=False, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True
        if isinstance(axes, int):
            axes = (axes, axes)
        if not isinstance(axes, (list, tuple)):  # Keras: TypeError for the type, else ValueError
            raise TypeError(
                f"Invalid type for argument `axes`: it should be a list or an int. "
                f"Received: axes={axes}"
            )
        if len(axes) != 2 or not all(isinstance(a, int) for a in axes):
            raise ValueError(
                "Invalid format for argument `axes`: expected an int or a list/tuple of 2 "
                f"integers. Received: axes={axes}"
            )
        self.axes = axes
        self.normalize = bool(normalize)

    def _axes(self, shapes) -> tuple[int, int]:
        if not isinstance(shapes, (list, tuple)) or len(shapes) != 2:
            raise ValueError(
                f"A `Dot` layer should be called on a list of 2 inputs. Received: {shapes}"
            )
        axes = tuple(a % len(s) for a, s in zip(self.axes, shapes))
        if 0 in axes:
            raise ValueError(f"`Dot` cannot reduce the batch axis. Received: axes={self.axes}")
        size1, size2 = shapes[0][axes[0]], shapes[1][axes[1]]
        if size1 is not None and size2 is not None and size1 != size2:
            raise ValueError(
                "Incompatible input shapes: axis values "
                f"{size1} (at axis {axes[0]}) != {size2} (at axis {axes[1]}). "
                f"Full input shapes: {tuple(shapes[0])}, {tuple(shapes[1])}"
            )
        return axes

    def call(self, inputs):
        x, y = inputs
        ax, ay = self._axes([x.shape, y.shape])
        if self.normalize:
            x, y = l2_normalize(x, ax), l2_normalize(y, ay)
        # one einsum, so that unknown sizes (a None time axis) need no static reshape
        free = iter(string.ascii_lowercase[1:25])
        x_sub = ["a" if i == 0 else "z" if i == ax else next(free) for i in range(len(x.shape))]
        y_sub = ["a" if i == 0 else "z" if i == ay else next(free) for i in range(len(y.shape))]
        rest = [c for c in x_sub + y_sub if c not in "az"]
        out = ops.einsum(f"{''.join(x_sub)},{''.join(y_sub)}->a{''.join(rest)}", x, y)
        return out if rest else ops.expand_dims(out, -1)

    def compute_mask(self, inputs, mask=None):
        """None: a dot product has no time axis left to mask, as in Keras."""
        return None

    def compute_output_shape(self, input_shape):
        s1, s2 = (tuple(s) for s in input_shape)
        ax, ay = self._axes([s1, s2])
        out = [s1[0]] + [d for i, d in enumerate(s1) if i not in (0, ax)]
        out += [d for i, d in enumerate(s2) if i not in (0, ay)]
        return tuple(out) if len(out) > 1 else (s1[0], 1)

    def get_config(self):
        return {**super().get_config(), "axes": self.axes, "normalize": self.normalize}


def dot(inputs, axes=-1, **kwargs):
    """Functional form of ``Dot``: ``Dot(axes, **kwargs)(inputs)``."""
    return Dot(axes=axes, **kwargs)(inputs)
