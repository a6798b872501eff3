"""``EinsumDense``: a dense layer whose product is an einsum equation."""

from __future__ import annotations

import re
import string

from kgraph import activations, ops, regularizers
from kgraph.layers.core.quantized_dense import QuantizedEinsumDenseMixin
from kgraph.layers.core.quantized_layer import (
    as_quantization_config,
    quantization_config_entry,
)
from kgraph.layers.kernel_bias import KernelBiasMixin
from kgraph.layers.layer import Layer
from kgraph.utils import argument_validation as av

_FORMS = (  # Keras' three equation forms: plain, ellipsis on the left, ellipsis on the right
    (r"([a-zA-Z]+),([a-zA-Z]+)->([a-zA-Z]+)$", None),
    (r"\.\.\.([a-zA-Z]+),([a-zA-Z]+)->\.\.\.([a-zA-Z]+)$", "left"),
    (r"([a-zA-Z]{2,})\.\.\.,([a-zA-Z]+)->([a-zA-Z]+)\.\.\.$", "right"),
)


def analyze_equation(equation: str, bias_axes, input_shape, output_shape):
    """``(explicit equation, kernel shape, bias shape or None, full output shape)`` of an
    EinsumDense: ellipses become letters, output dims come from ``output_shape`` (without the
    batch) or the input, kernel dims from the output or the input."""
    for pattern, side in _FORMS:
        match = re.match(pattern, equation)
        if match:
            elided_side = side
            break
    else:
        raise ValueError(
            f"Invalid einsum equation '{equation}'. Equations must be in the form "
            "[X],[Y]->[Z], ...[X],[Y]->...[Z], or [X]...,[Y]->[Z]...."
        )
    x_spec, w_spec, out_spec = match.groups()
    elided = len(input_shape) - len(x_spec)
    out = [input_shape[0], *((output_shape,) if isinstance(output_shape, int) else output_shape)]
    if elided_side is not None:
        used = set(x_spec + w_spec + out_spec)
        letters = "".join(c for c in string.ascii_letters if c not in used)[:elided]
        if elided_side == "left":
            x_spec, out_spec = letters + x_spec, letters + out_spec
            out[1:1] = list(input_shape[1:elided])
        else:
            x_spec, out_spec = x_spec + letters, out_spec + letters
            out += list(input_shape[len(input_shape) - elided :])
    if len(out) != len(out_spec):
        raise ValueError(
            f"output_shape {output_shape} does not match the output subscripts of "
            f"'{equation}' for input shape {tuple(input_shape)}."
        )
    sizes = dict(zip(out_spec, out))
    for letter, d in zip(x_spec, input_shape):
        if letter in sizes and sizes[letter] is not None and d is not None and sizes[letter] != d:
            raise ValueError(
                f"Input shape and output shape do not match at shared dimension '{letter}'. "
                f"Input shape is {d}, and output shape is {sizes[letter]}."
            )
        if sizes.get(letter) is None:
            sizes[letter] = d
    for letter in out_spec + w_spec:
        if (letter not in x_spec and letter not in w_spec) or letter not in sizes:
            raise ValueError(
                f"Dimension '{letter}' of '{equation}' has no size in the input spec "
                f"'{x_spec}' or the output shape {output_shape}."
            )
    kernel = tuple(sizes[c] for c in w_spec)
    bias = None
    if bias_axes is not None:
        for c in bias_axes:
            if c not in out_spec:
                raise ValueError(
                    f"Bias dimension '{c}' was requested, but is not part of the output "
                    f"spec '{out_spec}'"
                )
        first = min(out_spec.find(c) for c in bias_axes)
        bias = tuple(sizes[c] if c in bias_axes else 1 for c in out_spec[first:])
    return f"{x_spec},{w_spec}->{out_spec}", kernel, bias, tuple(sizes[c] for c in out_spec)


class EinsumDense(QuantizedEinsumDenseMixin, KernelBiasMixin, Layer):
    """``activation(einsum(equation, inputs, kernel) + bias)``; weights as Keras'.

    Args:
        equation: ``"ab,bc->ac"``-like, optionally with ``...`` on the left or right of the
            input and output subscripts.
        output_shape: Output dims without the batch (and the elided dims); None for a dim
            taken from the input.
        activation: Activation name or callable.
        bias_axes: Letters of the output that get a bias (None: no bias).
        kernel_*, bias_*: Initializers, regularizers and constraints of the weights.
    """

    def __init__(
        self,
        equation,
        output_shape,
        activation=None,
        bias_axes=None,
        kernel_initializer="glorot_uniform",
        bias_initializer="zeros",
        kernel_regularizer=None,
        bias_regularizer=None,
        kernel_constraint=None,
        bias_constraint=None,
        lora_rank=None,
        lora_alpha=None,
        gptq_unpacked_column_size=None,
        quantization_config=None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        av.reject_unsupported("EinsumDense", lora_rank=lora_rank)
        self.quantization_config = as_quantization_config(quantization_config)
        self.equation = equation
        self.partial_output_shape = (
            (output_shape,) if isinstance(output_shape, int) else tuple(output_shape)
        )
        self.bias_axes = bias_axes
        self.activation = activations.get(activation)
        self.use_bias = bias_axes is not None
        self._set_kernel_bias_options(
            kernel_initializer,
            bias_initializer,
            kernel_regularizer,
            bias_regularizer,
            kernel_constraint,
            bias_constraint,
        )

    def build(self, input_shape):
        self._input_shape_built = tuple(input_shape)
        _, kernel, bias, _ = analyze_equation(
            self.equation, self.bias_axes, tuple(input_shape), self.partial_output_shape
        )
        if self.quantization_mode == "int8":
            self._int8_build(kernel, bias)
        else:
            self._add_kernel_bias(kernel, bias)
        self.built = True

    def _explicit_equation(self) -> str:
        """The equation with its ellipsis spelled out for the built input rank."""
        return analyze_equation(
            self.equation, self.bias_axes, self._input_shape_built, self.partial_output_shape
        )[0]

    def call(self, inputs):
        if self.quantization_mode == "int8":
            return self._int8_call(inputs)
        equation = analyze_equation(
            self.equation, self.bias_axes, tuple(inputs.shape), self.partial_output_shape
        )[0]
        x = ops.einsum(equation, inputs, self.kernel)
        if self.bias is not None:
            x = ops.add(x, self.bias)
        return self.activation(x)

    def compute_output_shape(self, input_shape):
        return analyze_equation(
            self.equation, self.bias_axes, tuple(input_shape), self.partial_output_shape
        )[3]

    def get_config(self):
        return {
            **super().get_config(),
            "output_shape": self.partial_output_shape,
            "equation": self.equation,
            "activation": activations.serialize(self.activation),
            "bias_axes": self.bias_axes,
            **self._kernel_bias_config(),
            "activity_regularizer": regularizers.serialize(self.activity_regularizer),
            **quantization_config_entry(self),
        }
