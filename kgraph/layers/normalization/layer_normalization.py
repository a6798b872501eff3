"""``LayerNormalization``: normalises each sample over ``axis``, then scales and shifts."""

from __future__ import annotations

import warnings

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

    ``rms_scaling=True`` (deprecated in Keras, which warns) gives Keras' legacy variant:
    ``gamma * x / sqrt(var + epsilon)``, uncentred and without ``beta``.

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
        rms_scaling = bool(kwargs.pop("rms_scaling", False))
        if rms_scaling:
            warnings.warn(
                "You passed `rms_scaling=True`, which is deprecated (as in Keras): it scales "
                "the input by the variance, not the root mean square. Use "
                "`keras.layers.RMSNormalization` for RMS normalization.",
                stacklevel=2,
            )
        super().__init__(**kwargs)
        self.rms_scaling = rms_scaling
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
        self._add_gamma_beta(
            shape,
            scale=self.scale or self.rms_scaling,
            center=self.center and not self.rms_scaling,
        )
        self.built = True

    def call(self, inputs):
        rank = len(inputs.shape)
        axes = resolve_axes(self.axis, inputs.shape)
        x = inputs if str(inputs.dtype).startswith("float") else ops.cast(inputs, "float32")
        if self.rms_scaling:  # Keras' legacy variant: x / sqrt(var + epsilon), not centred
            y = ops.multiply(
                x, ops.rsqrt(ops.add(ops.var(x, axis=axes, keepdims=True), self.epsilon))
            )
            return (
                y if self.gamma is None else ops.multiply(y, broadcastable(self.gamma, axes, rank))
            )
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
            "rms_scaling": self.rms_scaling,
            **self._gamma_beta_config(),
        }
