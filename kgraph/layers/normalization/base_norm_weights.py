"""The ``gamma``/``beta`` options, weights and config entries LayerNormalization and
GroupNormalization share, and the axis checks of the per-axis normalizations."""

from __future__ import annotations

from kgraph import constraints, initializers, ops, regularizers


def standardize_axis(axis):
    """An int or a list of ints (as Keras keeps it)."""
    if isinstance(axis, (list, tuple)):
        return list(axis)
    if isinstance(axis, int) and not isinstance(axis, bool):
        return axis
    raise TypeError(
        f"Expected an int or a list/tuple of ints for the argument 'axis', but received: {axis!r}"
    )


def resolve_axes(axis, input_shape) -> list[int]:
    """Sorted non-negative axes of ``axis`` in a tensor of ``input_shape``."""
    rank = len(input_shape)
    axes = axis if isinstance(axis, list) else [axis]
    for a in axes:
        if a >= rank or a < -rank:
            raise ValueError(
                f"Axis {a} is out of bounds for input shape {tuple(input_shape)}. "
                f"Received: axis={axis}"
            )
    return sorted(a % rank for a in axes)


def broadcastable(weight, axes: list[int], rank: int):
    """A weight shaped like the ``axes`` dims, reshaped to broadcast in a rank-``rank`` tensor."""
    if axes == list(range(rank - len(axes), rank)):
        return weight  # trailing axes broadcast as they are
    shape = [1] * rank
    for a, d in zip(axes, weight.shape):
        shape[a] = d
    return ops.reshape(weight, tuple(shape))


class GammaBetaMixin:
    """``gamma`` (scale) and ``beta`` (center) weights with their options."""

    def _set_gamma_beta_options(self, center, scale, beta_initializer, gamma_initializer,
                                beta_regularizer, gamma_regularizer, beta_constraint,
                                gamma_constraint) -> None:  # fmt: skip
        self.center = bool(center)
        self.scale = bool(scale)
        self.beta_initializer = initializers.get(beta_initializer)
        self.gamma_initializer = initializers.get(gamma_initializer)
        self.beta_regularizer = regularizers.get(beta_regularizer)
        self.gamma_regularizer = regularizers.get(gamma_regularizer)
        self.beta_constraint = constraints.get(beta_constraint)
        self.gamma_constraint = constraints.get(gamma_constraint)

    def _add_gamma_beta(self, shape: tuple, scale=None, center=None) -> None:
        """``scale``/``center`` (default: the layer's options) say which weights to make."""
        scale = self.scale if scale is None else scale
        center = self.center if center is None else center
        self.gamma = self.beta = None
        if scale:
            self.gamma = self.add_weight(
                shape=shape,
                initializer=self.gamma_initializer,
                name="gamma",
                regularizer=self.gamma_regularizer,
                constraint=self.gamma_constraint,
            )
        if center:
            self.beta = self.add_weight(
                shape=shape,
                initializer=self.beta_initializer,
                name="beta",
                regularizer=self.beta_regularizer,
                constraint=self.beta_constraint,
            )

    def _gamma_beta_config(self) -> dict:
        return {
            "center": self.center,
            "scale": self.scale,
            "beta_initializer": initializers.serialize(self.beta_initializer),
            "gamma_initializer": initializers.serialize(self.gamma_initializer),
            "beta_regularizer": regularizers.serialize(self.beta_regularizer),
            "gamma_regularizer": regularizers.serialize(self.gamma_regularizer),
            "beta_constraint": constraints.serialize(self.beta_constraint),
            "gamma_constraint": constraints.serialize(self.gamma_constraint),
        }
