"""``kgraph.random.dropout`` and ``batch_uniform``: ONNX Dropout and RandomUniformLike.

``dropout`` lowers to the ONNX ``Dropout`` node in training mode. The node has two outputs: the
result and the boolean keep-mask; the op returns the result, and the mask stays on the node
(``node.outputs[1]``) for the gradient rule. A seed, when given (or drawn while tracing), is the
node's ``seed`` attribute, so a compiled graph replays the same random stream.
"""

from __future__ import annotations

import numpy as np
import onnx_ir as ir

from kgraph.compiler.builder import ir_dtype
from kgraph.ops.core import Op, Spec, _spec_of, apply
from kgraph.ops.lowering import scalar
from kgraph.random.seed_generator import draw_seed
from kgraph.tensor import KerasTensor


def _dropout_infer(x: Spec, *, rate, noise_shape, seed, dtype) -> Spec:
    return x


def _dropout_lower(b, x, *, rate, noise_shape, seed, dtype):
    # ONNX Runtime deletes a Dropout node whose mask output is unused (EliminateDropout ignores
    # ``training_mode``), so the result is computed from the mask: ``x * mask / (1 - rate)``.
    # The node drops a tensor of ones shaped like the mask, which keeps it off the
    # differentiable path: gradients flow through the final Mul only.
    shape = b.op("Shape", [x])
    if noise_shape is not None:  # None entries take the input's size, the rest are fixed
        take = np.asarray([1 if d is None else 0 for d in noise_shape], np.int64)
        fixed = np.asarray([0 if d is None else d for d in noise_shape], np.int64)
        shape = b.op("Add", [b.op("Mul", [shape, b.constant(take)]), b.constant(fixed)])
    ones = b.op("ConstantOfShape", [shape], {"value": ir.tensor(np.ones((1,), dtype))})
    _, mask = b.op(
        "Dropout",
        [ones, scalar(b, rate, dtype), scalar(b, True, "bool")],
        {"seed": seed},
        num_outputs=2,
    )
    keep = b.op(
        "Mul", [b.op("Cast", [mask], {"to": ir_dtype(dtype)}), scalar(b, 1.0 / (1.0 - rate), dtype)]
    )
    return b.op("Mul", [x, keep])


_dropout = Op("dropout", _dropout_infer, _dropout_lower, promote=False, random=True)


def dropout(inputs, rate, noise_shape=None, seed=None):
    """Zeroes entries of ``inputs`` with probability ``rate`` and scales the rest by
    ``1 / (1 - rate)``.

    Args:
        inputs: A floating-point tensor.
        rate: Drop probability, ``0 <= rate < 1``.
        noise_shape: Shape of the random mask, broadcast over ``inputs``; ``None`` entries take
            the input's size (``(None, 1, None)`` drops whole timesteps' features alike), as do
            sizes from ``ops.shape(inputs)``.
        seed: An int (the node's seed), a ``SeedGenerator``, or None: a seed drawn from
            kgraph's generator (so ``kgraph.utils.set_random_seed`` makes graphs and eager
            calls reproducible).

    Returns:
        A tensor of the shape and dtype of ``inputs``.
    """
    rate = float(rate)
    if not 0.0 <= rate < 1.0:
        raise ValueError(
            f"Invalid value received for argument `rate`. Expected a float value "
            f"between 0 and 1 (1 excluded). Received: rate={rate}"
        )
    spec = _spec_of(inputs)
    if not spec.dtype.startswith("float"):
        raise ValueError(f"dropout expects a floating-point input. Received dtype={spec.dtype}")
    if noise_shape is not None:
        # A run-time size (``ops.shape(inputs)[0]``, as SpatialDropout-style layers write
        # it) can only be the input's size there, so it reads as None.
        noise_shape = tuple(
            None if d is None or isinstance(d, KerasTensor) else int(d) for d in noise_shape
        )
        if len(noise_shape) != spec.ndim or any(
            d is not None and d != 1 and n is not None and d != n
            for d, n in zip(noise_shape, spec.shape)
        ):
            raise ValueError(
                f"noise_shape {noise_shape} does not broadcast to the input shape "
                f"{spec.shape}: each entry must be None, 1 or the input's size."
            )
    seed = draw_seed(seed)  # None: drawn eagerly too, so set_random_seed makes masks repeat
    return apply(
        _dropout,
        [inputs],
        rate=rate,
        noise_shape=noise_shape,
        seed=seed,
        dtype=spec.dtype,
    )


__all__ = ["dropout"]


def _batch_uniform_infer(x: Spec, *, shape, minval, maxval, seed, dtype) -> Spec:
    return Spec((x.shape[0], *shape), dtype)


def _batch_uniform_lower(b, x, *, shape, minval, maxval, seed, dtype):
    # RandomUniformLike on a zeros tensor shaped (batch, *shape): the batch size is read from
    # ``x`` at run time, and each run of a session draws fresh values from the node's stream.
    dims = b.op(
        "Concat",
        [b.op("Shape", [x], {"end": 1}), b.constant(np.asarray(shape, np.int64))],
        {"axis": 0},
    )
    zeros = b.op("ConstantOfShape", [dims], {"value": ir.tensor(np.zeros((1,), dtype))})
    attrs = {"low": float(minval), "high": float(maxval), "seed": float(seed)}
    return b.op("RandomUniformLike", [zeros], attrs)


_batch_uniform = Op(
    "batch_uniform", _batch_uniform_infer, _batch_uniform_lower, promote=False, random=True
)


def batch_uniform(x, shape=(), minval=0.0, maxval=1.0, dtype="float32", seed=None):
    """Uniform values in ``[minval, maxval)`` of shape ``(batch, *shape)``, the batch size
    being that of ``x`` (the first axis, dynamic in a graph): one draw per sample, fresh on
    every run of a compiled graph. Augmentation layers draw their per-sample parameters here.

    Args:
        x: Any tensor; only its first dimension is used.
        shape: Trailing dimensions (static ints).
        minval: Lower bound (included).
        maxval: Upper bound (excluded).
        dtype: A float dtype.
        seed: Seed of the node; drawn from kgraph's generator when omitted.
    """
    if not str(dtype).startswith("float"):
        raise ValueError(f"batch_uniform draws floats. Received: dtype={dtype}")
    seed = draw_seed(seed)
    return apply(
        _batch_uniform,
        [x],
        shape=tuple(int(d) for d in shape),
        minval=float(minval),
        maxval=float(maxval),
        seed=seed,
        dtype=str(dtype),
    )


__all__ += ["batch_uniform"]
