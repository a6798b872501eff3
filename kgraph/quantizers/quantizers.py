"""Keras 3's quantizer functions and classes, written with ``kgraph.ops`` so that they run
eagerly on arrays and inside traced graphs alike.

``abs_max_quantize`` is the symmetric scheme of ``Model.quantize("int8")``: the scale is
``value_range[1] / (max|x| + epsilon)`` along ``axis``, the values ``clip(round(x * scale))``
(round half to even, as numpy, JAX and ONNX ``Round``); dequantizing divides by the scale.
"""

from __future__ import annotations

import numpy as np

from kgraph import config, dtypes, ops


class Quantizer:
    """Base class: ``__call__(x)`` returns the quantized ``x`` (the base returns it as is)."""

    def __init__(self, output_dtype="int8"):
        self.output_dtype = output_dtype

    def __call__(self, x):
        return x

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def get_config(self):
        raise NotImplementedError(f"{self} does not implement get_config()")


def _dtype_of(x) -> str:
    found = getattr(x, "dtype", None)
    return dtypes.standardize(found) if found is not None else dtypes.FLOATX


def abs_max_quantize(
    inputs, axis, value_range=(-127, 127), dtype="int8", epsilon=None, to_numpy=False
):
    """``(quantized inputs, scale)``; ``scale`` keeps the reduced axes (length 1) and the
    inputs' float dtype. ``to_numpy`` computes on the host with numpy (as Keras does to save
    accelerator memory; the values are the same)."""
    epsilon = config.epsilon() if epsilon is None else epsilon
    if to_numpy:
        source = _dtype_of(inputs)
        x = np.asarray(ops.convert_to_numpy(inputs))
        axis = tuple(axis) if isinstance(axis, (list, tuple)) else axis
        scale = np.divide(value_range[1], np.max(np.abs(x), axis=axis, keepdims=True) + epsilon)
        out = np.clip(np.round(np.multiply(x, scale)), value_range[0], value_range[1])
        return out.astype(dtype), np.asarray(scale, dtype=dtypes.to_numpy(source))
    source = _dtype_of(inputs)
    # One ReduceMax (no NaN check): the int8 graphs stay small, as the quantized layers' point.
    amax = ops.numpy.reduce_max(ops.abs(inputs), axis=axis, keepdims=True)
    scale = ops.cast(ops.divide(value_range[1], ops.add(amax, epsilon)), source)
    outputs = ops.clip(ops.round(ops.multiply(inputs, scale)), value_range[0], value_range[1])
    return ops.cast(outputs, dtype), scale


class AbsMaxQuantizer(Quantizer):
    """Abs-max quantization along an axis (given here, or at call time; -1 by default).

    Args:
        axis: Deprecated in Keras in favour of the call's ``axis``; kept in the config.
        value_range: ``(min, max)`` of the quantized values.
        epsilon: Added to the abs-max before dividing.
        output_dtype: The dtype of the quantized values.
    """

    def __init__(self, axis=None, value_range=(-127, 127), epsilon=None, output_dtype="int8"):
        super().__init__(output_dtype=output_dtype)
        self.axis = None if axis is None else ((axis,) if isinstance(axis, int) else tuple(axis))
        self.value_range = value_range
        self.epsilon = config.epsilon() if epsilon is None else epsilon
        if output_dtype == "int8" and (value_range[0] < -128 or value_range[1] > 127):
            raise ValueError(
                "Quantizer with output_dtype='int8' requires value_range to be within the "
                f"interval [-128, 127]. Received: value_range={value_range}"
            )

    def __call__(self, x, axis=None, to_numpy=False):
        axis = self.axis if axis is None else axis
        axis = -1 if axis is None else axis
        return abs_max_quantize(
            x, axis, self.value_range, self.output_dtype, self.epsilon, to_numpy
        )

    def get_config(self):
        found = {
            "value_range": self.value_range,
            "epsilon": self.epsilon,
            "output_dtype": self.output_dtype,
        }
        if self.axis is not None:
            found["axis"] = self.axis
        return found


def compute_float8_scale(amax, scale, dtype_max, margin=0):
    """The new float8 scale from an amax (Transformer Engine's rule): ``amax / dtype_max *
    2**margin``, keeping the old ``scale`` where amax is zero or not finite."""
    old = ops.reciprocal(scale)
    factor = ops.divide(ops.divide(dtype_max, amax), 2**margin)
    factor = ops.where(ops.greater(amax, 0.0), factor, old)
    factor = ops.where(ops.isfinite(amax), factor, old)
    return ops.reciprocal(factor)


def compute_float8_amax_history(x, amax_history):
    """The history rolled by one with ``max|x|`` written at its front."""
    amax = ops.cast(ops.max(ops.abs(x)), amax_history.dtype)
    rolled = ops.roll(amax_history, shift=-1)
    return ops.scatter_update(rolled, [[0]], ops.reshape(amax, [1]))


def quantize_and_dequantize(inputs, scale, quantized_dtype, compute_dtype):
    """``inputs / scale`` clipped to the quantized dtype's range, cast to it and back, times
    ``scale`` (the cast rounds as the dtype does: float8 types round to nearest even)."""
    import ml_dtypes

    top = float(ml_dtypes.finfo(quantized_dtype).max)
    scale = ops.cast(scale, compute_dtype)
    x = ops.clip(ops.divide(inputs, scale), -top, top)
    x = _cast_through(x, quantized_dtype)
    return ops.multiply(ops.cast(x, compute_dtype), scale)


def _cast_through(x, quantized_dtype):
    """``x`` rounded to ``quantized_dtype``. Concrete values round with ``ml_dtypes`` on the
    host: an eager ``ops.cast`` to a float8 type returns the raw bytes (uint8) of the values."""
    from kgraph.tensor import KerasTensor

    if not isinstance(x, KerasTensor):
        import ml_dtypes

        kind = getattr(ml_dtypes, quantized_dtype, None)
        if kind is not None:
            return np.asarray(x).astype(kind).astype("float32")
    return ops.cast(x, quantized_dtype)
