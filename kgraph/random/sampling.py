"""``categorical`` (ONNX Multinomial) and ``shuffle`` (a random permutation: the order of
uniform keys from TopK, then Gather)."""

from __future__ import annotations

import numpy as np
import onnx_ir as ir

from kgraph import dtypes
from kgraph.compiler.builder import ir_dtype
from kgraph.ops.core import Op, Spec, _spec_of, apply
from kgraph.random.seed_generator import draw_seed


def _categorical_infer(logits: Spec, *, num_samples, seed, dtype) -> Spec:
    return Spec((logits.shape[0], num_samples), dtype)


def _categorical_lower(b, logits, *, num_samples, seed, dtype):
    if logits.dtype not in (ir.DataType.FLOAT, ir.DataType.DOUBLE):
        logits = b.op("Cast", [logits], {"to": ir.DataType.FLOAT})
    native = dtype if dtype in ("int32", "int64") else "int64"
    attrs = {"sample_size": int(num_samples), "seed": float(seed), "dtype": ir_dtype(native)}
    out = b.op("Multinomial", [logits], attrs)
    return out if native == dtype else b.op("Cast", [out], {"to": ir_dtype(dtype)})


_categorical = Op(
    "random_categorical", _categorical_infer, _categorical_lower, promote=False, random=True
)


def categorical(logits, num_samples, dtype="int32", seed=None):
    """Draws ``num_samples`` class indices per row of ``logits`` (unnormalized log-probabilities
    of shape ``(batch_size, num_classes)``); returns ``(batch_size, num_samples)``.

    Args:
        logits: A 2-D float tensor.
        num_samples: Samples per row.
        dtype: An integer dtype of the result.
        seed: An int, a ``SeedGenerator`` or None.
    """
    spec = _spec_of(logits)
    if len(spec.shape) != 2:
        raise ValueError(
            "`logits` should be a 2-D tensor with shape [batch_size, num_classes]. "
            f"Received: logits={logits}"
        )
    dtype = dtypes.standardize(dtype)
    if "int" not in dtype:
        raise ValueError(f"`categorical` draws integers. Received: dtype={dtype}")
    if spec.dtype in ("weak", "int32", "int64", "bool"):
        logits = np.asarray(logits, np.float32)
    return apply(
        _categorical,
        [logits],
        num_samples=int(num_samples),
        seed=draw_seed(seed),
        dtype=dtype,
    )


def _shuffle_lower(b, x, *, axis, seed):
    size = b.op("Shape", [x], {"start": axis, "end": axis + 1})
    zeros = b.op("ConstantOfShape", [size], {"value": ir.tensor(np.zeros((1,), np.float32))})
    keys = b.op("RandomUniformLike", [zeros], {"seed": float(seed)})
    _, order = b.op("TopK", [keys, size], {"axis": 0}, num_outputs=2)
    return b.op("Gather", [x, order], {"axis": axis})


_shuffle = Op("random_shuffle", lambda x, **a: x, _shuffle_lower, promote=False, random=True)


def shuffle(x, axis=0, seed=None):
    """``x`` with its entries along ``axis`` in a random order.

    Args:
        x: A tensor.
        axis: The axis to permute.
        seed: An int, a ``SeedGenerator`` or None.
    """
    spec = _spec_of(x)
    if spec.dtype == "weak" or not spec.shape:
        raise ValueError(f"`shuffle` needs a tensor of rank >= 1. Received: x={x!r}")
    rank = len(spec.shape)
    if not -rank <= int(axis) < rank:
        raise ValueError(f"`axis` {axis} is out of bounds for a tensor of rank {rank}.")
    return apply(_shuffle, [x], axis=int(axis) % rank, seed=draw_seed(seed))
