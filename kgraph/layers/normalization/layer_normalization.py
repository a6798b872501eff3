"""``LayerNormalization``: normalises each sample over ``axis``, then scales and shifts."""

from __future__ import annotations

from kgraph import ops
from kgraph.layers.layer import Layer
from kgraph.layers.normalization.base_norm_weights import (
    GammaBetaMixin,
    broadcastable,
    resolve_axes,
    standardize_axis,
)


class LayerNormalization(GammaBetaMixin, Layer):
    """``gamma * (x - mean) / sqrt(var + epsilon) + beta`` with the mean and (biased)
    variance of each sample over ``axis``; ``gamma``/``beta`` have the shape of those axes.

    Composed from elementwise ops and reductions, so it trains through the existing gradient
    rules; onnxruntime fuses the chain into one LayerNormalization kernel at inference.

    Args:
        axis: An int or a list of ints.
        epsilon: Added to the variance.
        center, scale: Whether to create ``beta`` / ``gamma``.
        beta_*, gamma_*: Initializers, regularizers and constraints of the weights.
    """

    def __init__(
        self,
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
        if kwargs.pop("rms_scaling", False):
            raise ValueError(
                "`rms_scaling=True` is deprecated in Keras; use `RMSNormalization` instead."
            )
        super().__init__(**kwargs)
        self.supports_masking = True
        self.axis = standardize_axis(axis)
        self.epsilon = float(epsilon)
        self._set_gamma_beta_options(center, scale, beta_initializer, gamma_initializer,
                                     beta_regularizer, gamma_regularizer, beta_constraint,
                                     gamma_constraint)  # fmt: skip

    def build(self, input_shape):
        axes = resolve_axes(self.axis, input_shape)
        shape = tuple(input_shape[a] for a in axes)
        if None in shape:
            raise ValueError(f"the normalized axes must be known; input shape {input_shape}.")
        self._add_gamma_beta(shape)
        self.built = True

    def call(self, inputs):
        rank = len(inputs.shape)
        axes = resolve_axes(self.axis, inputs.shape)
        x = inputs if str(inputs.dtype).startswith("float") else ops.cast(inputs, "float32")
        mean = ops.mean(x, axis=axes, keepdims=True)
        centered = ops.subtract(x, mean)
        # Pow(·, 2) rather than Mul: onnxruntime fuses this exact chain into its
        # LayerNormalization kernel when the axes are the last ones (inference graphs)
        variance = ops.mean(ops.power(centered, 2.0), axis=axes, keepdims=True)
        y = ops.divide(centered, ops.sqrt(ops.add(variance, self.epsilon)))
        if self.gamma is not None:
            y = ops.multiply(y, broadcastable(self.gamma, axes, rank))
        if self.beta is not None:
            y = ops.add(y, broadcastable(self.beta, axes, rank))
        return y

    def compute_output_shape(self, input_shape):
        resolve_axes(self.axis, input_shape)
        return tuple(input_shape)

    def get_config(self):
        return {
            **super().get_config(),
            "axis": self.axis,
            "epsilon": self.epsilon,
            "rms_scaling": False,
            **self._gamma_beta_config(),
        }
