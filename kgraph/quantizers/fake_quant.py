"""``fake_quant_with_min_max_vars``: quantize to ``num_bits`` in ``[min, max]`` and back, with
Keras' (TensorFlow's) nudged zero point and its straight-through gradient.

The value is the quantized one; the gradient is that of a surrogate with the same value:
``x`` passes the upstream gradient where it lies inside the nudged range, ``min`` / ``max``
collect it where ``x`` is clipped below / above (summed over the other axes by the
broadcast), as Keras' custom gradient. Written with ``stop_gradient``, so it differentiates
in a traced training graph like any other op.
"""

from __future__ import annotations

from kgraph import ops


def _nudged_range(min_vals, max_vals, num_bits, narrow_range):
    quant_max = (1 << num_bits) - 1
    quant_min = 1 if narrow_range else 0
    steps = quant_max - quant_min
    diff = ops.subtract(max_vals, min_vals)
    scale = ops.divide(diff, steps)
    inv_scale = ops.divide(steps, diff)
    zero_point = _clip(ops.subtract(quant_min, ops.divide(min_vals, scale)), quant_min, quant_max)
    nudged = ops.round(zero_point)
    nudged_min = ops.multiply(ops.subtract(quant_min, nudged), scale)
    nudged_max = ops.multiply(ops.subtract(quant_max, nudged), scale)
    return nudged_min, nudged_max, scale, inv_scale


def _clip(x, low, high):
    """``clip`` with tensor bounds (``ops.clip`` takes Python scalars)."""
    return ops.minimum(ops.maximum(x, low), high)


def _per_channel(value, axis, rank):
    """A per-channel ``value`` shaped to broadcast along ``axis`` of a rank-``rank`` input."""
    if axis is None or rank == 0 or len(getattr(value, "shape", ())) != 1:
        return value
    return ops.reshape(value, [-1 if i == axis else 1 for i in range(rank)])


def fake_quant_with_min_max_vars(
    inputs, min_vals, max_vals, num_bits=8, narrow_range=False, axis=None
):
    """Per-tensor (``axis=None``) or per-channel fake quantization of float ``inputs``."""
    rank = len(inputs.shape)
    if axis is not None:
        axis = axis + rank if axis < 0 else axis
    min_vals = _per_channel(min_vals, axis, rank)
    max_vals = _per_channel(max_vals, axis, rank)
    nudged_min, nudged_max, scale, inv_scale = _nudged_range(
        ops.stop_gradient(min_vals), ops.stop_gradient(max_vals), int(num_bits), narrow_range
    )
    x = ops.stop_gradient(inputs)
    quant_zero = ops.floor(ops.add(ops.multiply(ops.negative(nudged_min), inv_scale), 0.5))
    shifted = ops.subtract(_clip(x, nudged_min, nudged_max), nudged_min)
    steps = ops.floor(ops.add(ops.subtract(ops.multiply(shifted, inv_scale), quant_zero), 0.5))
    value = ops.multiply(steps, scale)
    below = ops.less_equal(x, nudged_min)
    above = ops.greater_equal(x, nudged_max)
    inside = ops.logical_and(ops.greater_equal(x, nudged_min), ops.less_equal(x, nudged_max))
    zeros = ops.zeros_like(value)
    surrogate = ops.add(
        ops.where(inside, inputs, zeros),
        ops.add(ops.where(below, min_vals, zeros), ops.where(above, max_vals, zeros)),
    )
    return ops.add(ops.stop_gradient(ops.subtract(value, surrogate)), surrogate)
