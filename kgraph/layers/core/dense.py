"""``Dense``: ``activation(inputs @ kernel + bias)`` on the last axis of inputs of any rank ≥ 2."""

from __future__ import annotations

from kgraph import activations, ops
from kgraph.layers.core.quantized_dense import QuantizedDenseMixin
from kgraph.layers.core.quantized_layer import (
    as_quantization_config,
    quantization_config_entry,
)
from kgraph.layers.input_spec import InputSpec
from kgraph.layers.kernel_bias import KernelBiasMixin
from kgraph.layers.layer import Layer
from kgraph.utils import argument_validation as av


class Dense(QuantizedDenseMixin, KernelBiasMixin, Layer):
    """Densely-connected layer acting on the last axis.

    Args:
        units: Positive number of output units.
        activation: Activation name or callable (default: linear).
        use_bias: Whether to add a bias vector.
        kernel_initializer: Initializer of the ``(input_dim, units)`` kernel.
        bias_initializer: Initializer of the bias.
        kernel_regularizer, bias_regularizer: Penalties on the weights added to the training
            loss (see ``kgraph.regularizers``).
        activity_regularizer: Penalty on the output, divided by the batch size.
        kernel_constraint, bias_constraint: Projections applied to the weights after each
            optimizer update (see ``kgraph.constraints``).
    """

    def __init__(
        self,
        units,
        activation=None,
        use_bias=True,
        kernel_initializer="glorot_uniform",
        bias_initializer="zeros",
        kernel_regularizer=None,
        bias_regularizer=None,
        activity_regularizer=None,
        kernel_constraint=None,
        bias_constraint=None,
        lora_rank=None,
        quantization_config=None,
        **kwargs,
    ):
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        self.supports_masking = True
        av.reject_unsupported(type(self).__name__, lora_rank=lora_rank)
        if not isinstance(units, int) or isinstance(units, bool) or units <= 0:
            raise ValueError(
                f"Received an invalid value for `units`, expected a positive "
                f"integer. Received: units={units}"
            )
        self.units = units
        self.quantization_config = as_quantization_config(quantization_config)
        self.activation = activations.get(activation)
        self.use_bias = use_bias
        self._set_kernel_bias_options(
            kernel_initializer,
            bias_initializer,
            kernel_regularizer,
            bias_regularizer,
            kernel_constraint,
            bias_constraint,
        )
        self.input_spec = InputSpec(min_ndim=2)

    def build(self, input_shape):
        input_dim = input_shape[-1]
        if input_dim is None:
            raise ValueError("the last axis of the input must be known.")
        if self.quantization_mode == "int8":
            self._int8_build((input_dim, self.units))
        else:
            self._add_kernel_bias((input_dim, self.units), (self.units,))
        self.input_spec = InputSpec(min_ndim=2, axes={-1: input_dim})
        self.built = True

    def call(self, inputs):
        if self.quantization_mode == "int8":
            return self._int8_call(inputs)
        x = ops.matmul(inputs, self.kernel)
        if self.bias is not None:
            x = ops.add(x, self.bias)
        return self.activation(x)

    def compute_output_shape(self, input_shape):
        return (*input_shape[:-1], self.units)

    def get_config(self):
        return {
            **super().get_config(),
            "units": self.units,
            "activation": activations.serialize(self.activation),
            "use_bias": self.use_bias,
            **self._kernel_bias_config(),
            **quantization_config_entry(self),
        }
