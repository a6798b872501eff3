"""Keras' int8 post-training quantization of ``Dense`` and ``EinsumDense``.

``quantize("int8")`` replaces the float kernel by an int8 ``kernel`` (abs-max per output
channel: the scale is ``127 / max|column|``) and a float ``kernel_scale``. At call time the
inputs are quantized the same way per row (over the contracted axes), the int8 product is
accumulated in int32 (ONNX ``MatMulInteger`` for Dense, an int32 ``Einsum`` for EinsumDense) and
divided by ``inputs_scale * kernel_scale``: Keras' ``_int8_call`` numerics. A layer rebuilt with
an ``int8_from_*`` policy (a saved quantized model) creates the int8 weights in ``build``.
"""

from __future__ import annotations

import numpy as np

from kgraph import ops
from kgraph.layers.core.quantized_layer import (
    add_scale,
    not_implemented,
    prepare_quantize,
    replace_weight,
    set_quantized_policy,
    straight_through,
)
from kgraph.quantizers.integer_ops import einsum_int8, matmul_int8


def _activation_quantizer(config):
    from kgraph.quantizers import AbsMaxQuantizer
    from kgraph.quantizers.quantization_config import QuantizationConfig

    return QuantizationConfig.activation_quantizer_or_default(config, AbsMaxQuantizer())


class QuantizedDenseMixin:
    """int8 ``quantize``/``build``/``call`` for ``Dense`` (the kernel is ``(input_dim, units)``)."""

    quantization_config = None

    def quantize(self, mode=None, type_check=True, config=None):
        from kgraph.layers.core.dense import Dense
        from kgraph.quantizers import AbsMaxQuantizer
        from kgraph.quantizers.quantization_config import QuantizationConfig

        config = prepare_quantize(self, mode, config)
        if type_check and type(self) is not Dense:
            raise not_implemented(self)
        self.quantization_config = config
        quantizer = QuantizationConfig.weight_quantizer_or_default(config, AbsMaxQuantizer(axis=0))
        values, scale = quantizer(self.kernel.numpy(), to_numpy=True)
        self.kernel = replace_weight(self, self.kernel, "kernel", values, "int8")
        self.kernel_scale = add_scale(self, "kernel_scale", np.squeeze(scale, axis=0))
        self.inputs_quantizer = _activation_quantizer(config)
        set_quantized_policy(self, config.mode)

    def _int8_build(self, kernel_shape) -> None:
        """The weights of a layer built with an ``int8_from_*`` policy, in Keras' saved order."""
        self.kernel = self.add_weight(
            shape=kernel_shape, initializer="zeros", dtype="int8", trainable=False, name="kernel"
        )
        self._add_bias_only((self.units,))
        self.kernel_scale = self.add_weight(
            shape=(self.units,), initializer="ones", trainable=False, name="kernel_scale"
        )
        self.inputs_quantizer = _activation_quantizer(self.quantization_config)

    def _add_bias_only(self, bias_shape) -> None:
        self.bias = None
        if self.use_bias:
            self.bias = self.add_weight(
                shape=bias_shape,
                initializer=self.bias_initializer,
                name="bias",
                regularizer=self.bias_regularizer,
                constraint=self.bias_constraint,
            )

    def _int8_call(self, inputs):
        if self.inputs_quantizer:
            q, inputs_scale = self.inputs_quantizer(inputs, axis=-1)
            x = ops.cast(matmul_int8(q, self.kernel), self.compute_dtype)
            x = ops.divide(x, ops.multiply(self.kernel_scale, inputs_scale))
        else:
            x = ops.matmul(inputs, ops.cast(self.kernel, self.compute_dtype))
            x = ops.divide(x, self.kernel_scale)
        x = straight_through(x, inputs, lambda v: ops.matmul(v, self._float_kernel()))
        if self.bias is not None:
            x = ops.add(x, self.bias)
        return self.activation(x)

    def _float_kernel(self):
        """The dequantized kernel ``kernel / kernel_scale`` (the gradient's path only)."""
        return ops.divide(ops.cast(self.kernel, self.compute_dtype), self.kernel_scale)

    def saved_own_variables(self) -> list:
        """Keras' saved order: kernel, bias, then kernel_scale when quantized."""
        extra = [self.kernel_scale] if self.quantization_mode == "int8" else []
        return [w for w in (self.kernel, self.bias) if w is not None] + extra


def einsum_scale_axes(x_spec: str, w_spec: str, out_spec: str):
    """Keras' layout of the input and kernel scales of an int8 einsum: for each operand, the
    contracted axes (the quantizer's), then the transpose, the expanded and the squeezed
    axes that make its keepdims scale broadcast against the output."""
    found = {}
    for key, spec in (("input", x_spec), ("kernel", w_spec)):
        reduced = [i for i, c in enumerate(spec) if c not in out_spec]
        expand = [i for i, c in enumerate(out_spec) if c not in spec]
        transpose = [spec.find(c) for c in out_spec if c in spec]
        squeeze, index = [], None
        for axis in reduced:  # Keras' placement of the reduced (length-1) axes
            if expand:
                index = expand.pop(0)
            else:
                squeeze.append(axis)
            transpose.insert(index, axis)
        found[key] = (reduced, transpose, expand, squeeze)
    return found


def align_scale(scale, layout):
    """``scale`` (keepdims over the reduced axes) laid out against the einsum's output."""
    _, transpose, expand, squeeze = layout
    if transpose:
        scale = ops.transpose(scale, transpose)
    if expand:
        scale = ops.expand_dims(scale, axis=tuple(expand))
    if squeeze:
        scale = ops.squeeze(scale, axis=tuple(squeeze))
    return scale


class QuantizedEinsumDenseMixin(QuantizedDenseMixin):
    """int8 ``quantize``/``build``/``call`` for ``EinsumDense``."""

    def _einsum_layout(self):
        equation = self._explicit_equation()
        x_spec, rest = equation.split(",")
        w_spec, out_spec = rest.split("->")
        return equation, einsum_scale_axes(x_spec, w_spec, out_spec)

    def quantize(self, mode=None, type_check=True, config=None):
        from kgraph.layers.core.einsum_dense import EinsumDense
        from kgraph.quantizers import AbsMaxQuantizer
        from kgraph.quantizers.quantization_config import QuantizationConfig

        config = prepare_quantize(self, mode, config)
        if type_check and type(self) is not EinsumDense:
            raise not_implemented(self)
        self.quantization_config = config
        _, layout = self._einsum_layout()
        default = AbsMaxQuantizer(axis=tuple(layout["kernel"][0]))
        quantizer = QuantizationConfig.weight_quantizer_or_default(config, default)
        values, scale = quantizer(self.kernel.numpy(), to_numpy=True)
        scale = np.asarray(align_scale(scale, layout["kernel"]))
        self.kernel = replace_weight(self, self.kernel, "kernel", values, "int8")
        self.kernel_scale = add_scale(self, "kernel_scale", scale)
        self.inputs_quantizer = _activation_quantizer(config)
        set_quantized_policy(self, config.mode)

    def _int8_build(self, kernel_shape, bias_shape=None) -> None:
        self.kernel = self.add_weight(
            shape=kernel_shape, initializer="zeros", dtype="int8", trainable=False, name="kernel"
        )
        self._add_bias_only(bias_shape)
        _, layout = self._einsum_layout()
        ones = np.ones([1 if i in layout["kernel"][0] else d for i, d in enumerate(kernel_shape)])
        self.kernel_scale = self.add_weight(
            shape=np.shape(align_scale(ones, layout["kernel"])),
            initializer="ones",
            trainable=False,
            name="kernel_scale",
        )
        self.inputs_quantizer = _activation_quantizer(self.quantization_config)

    def _int8_call(self, inputs):
        equation, layout = self._einsum_layout()
        if self.inputs_quantizer:
            q, inputs_scale = self.inputs_quantizer(inputs, axis=tuple(layout["input"][0]))
            inputs_scale = align_scale(inputs_scale, layout["input"])
            x = ops.cast(einsum_int8(equation, q, self.kernel), self.compute_dtype)
            x = ops.divide(x, ops.multiply(inputs_scale, self.kernel_scale))
        else:
            x = ops.einsum(equation, inputs, ops.cast(self.kernel, self.compute_dtype))
            x = ops.divide(x, self.kernel_scale)
        x = straight_through(x, inputs, lambda v: ops.einsum(equation, v, self._float_kernel()))
        if self.bias is not None:
            x = ops.add(x, self.bias)
        return self.activation(x)

    def _float_kernel(self):
        """The dequantized kernel, its scale back in the kernel's axes (length 1 on the
        reduced ones): the gradient's path only."""
        _, transpose, expand, squeeze = self._einsum_layout()[1]["kernel"]
        scale = self.kernel_scale
        if squeeze:
            scale = ops.expand_dims(scale, axis=tuple(squeeze))
        if expand:
            scale = ops.squeeze(scale, axis=tuple(expand))
        if transpose:
            scale = ops.transpose(scale, [transpose.index(i) for i in range(len(transpose))])
        return ops.divide(ops.cast(self.kernel, self.compute_dtype), scale)
