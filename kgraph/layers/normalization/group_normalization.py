"""``GroupNormalization``: normalises groups of channels of each sample."""

from __future__ import annotations

from kgraph import ops
from kgraph.layers.layer import Layer
from kgraph.layers.normalization.base_norm_weights import GammaBetaMixin


class GroupNormalization(GammaBetaMixin, Layer):
    """Splits the ``axis`` channels into ``groups`` groups and normalises each group of each
    sample over its channels and every other non-batch axis, then applies per-channel
    ``gamma``/``beta`` (shape ``(channels,)``). ``groups=-1`` is one group per channel
    (instance normalization); ``groups=1`` is layer normalization over all axes.

    Args:
        groups: Number of groups; must divide the channels.
        axis: The channel axis.
        epsilon, center, scale, beta_*, gamma_*: as ``LayerNormalization``.
    """

    def __init__(
        self,
        groups=32,
        axis=-1,
        epsilon=1e-3,
        center=True,
        scale=True,
        beta_initializer="zeros",
        gamma_initializer="ones",
        beta_regularizer=None,
        gamma_regularizer=None,
        beta_constraint=None,
        gamma_constraint=None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.supports_masking = True
        if not isinstance(groups, int) or (groups <= 0 and groups != -1):
            raise ValueError(
                f"Argument `groups` must be a positive integer or -1. Received: groups={groups}"
            )
        self.groups = groups
        self.axis = axis
        self.epsilon = float(epsilon)
        self._set_gamma_beta_options(center, scale, beta_initializer, gamma_initializer,
                                     beta_regularizer, gamma_regularizer, beta_constraint,
                                     gamma_constraint)  # fmt: skip

    def build(self, input_shape):
        channels = input_shape[self.axis]
        if channels is None:
            raise ValueError(
                f"Axis {self.axis} of input tensor should have a defined dimension but the "
                f"layer received an input with shape {tuple(input_shape)}."
            )
        groups = channels if self.groups == -1 else self.groups
        if channels < groups:
            raise ValueError(
                f"Number of groups ({groups}) cannot be more than the number of channels "
                f"({channels})."
            )
        if channels % groups:
            raise ValueError(
                f"Number of groups ({groups}) must be a multiple of the number of channels "
                f"({channels})."
            )
        self._add_gamma_beta((channels,))
        self.built = True

    def call(self, inputs):
        rank = len(inputs.shape)
        axis = self.axis % rank
        x = inputs if str(inputs.dtype).startswith("float") else ops.cast(inputs, "float32")
        if axis != rank - 1:  # channels last for the grouping reshape, moved back after
            x = ops.transpose(x, [i for i in range(rank) if i != axis] + [axis])
        channels = x.shape[-1]
        groups = channels if self.groups == -1 else self.groups
        grouped = ops.reshape(x, (-1, *x.shape[1:-1], groups, channels // groups))
        axes = [i for i in range(1, rank + 1) if i != rank - 1]  # all but batch and group
        mean = ops.mean(grouped, axis=axes, keepdims=True)
        centered = ops.subtract(grouped, mean)
        variance = ops.mean(ops.square(centered), axis=axes, keepdims=True)
        normed = ops.divide(centered, ops.sqrt(ops.add(variance, self.epsilon)))
        y = ops.reshape(normed, (-1, *x.shape[1:]))
        if self.gamma is not None:
            y = ops.multiply(y, self.gamma)
        if self.beta is not None:
            y = ops.add(y, self.beta)
        if axis != rank - 1:
            back = list(range(rank - 1))
            back.insert(axis, rank - 1)
            y = ops.transpose(y, back)
        return y

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        return {
            **super().get_config(),
            "groups": self.groups,
            "axis": self.axis,
            "epsilon": self.epsilon,
            **self._gamma_beta_config(),
        }
