"""CTC, the connectionist temporal classification loss, as Keras 3's ``ctc`` computes it:
integer labels ``(batch, max_label_length)`` padded with the blank class 0, per-step logits
``(batch, time, classes)`` (log-softmaxed here), every sequence using all time steps.

ONNX has no CTC op. The forward (alpha) recursion over the blank-interleaved labels is unrolled
over the time steps, so the number of steps must be static (the label length may vary); every
step is plain ops (Gather, Slice, Concat, Max, Exp, Log, Where) the compiler differentiates.
Log-zero is -1e5, as in Keras' JAX backend, which keeps every value and gradient finite.
"""

from __future__ import annotations

import numpy as np
import onnx_ir as ir

from kgraph.compiler.builder import GraphBuilder
from kgraph.compiler.optim._graph import const, dims, reduce, shaped, to_float

LOG_ZERO = -1e5


def _i64(b: GraphBuilder, values) -> ir.Value:
    return b.constant(np.asarray(values, np.int64))


def _extended(b: GraphBuilder, labels: ir.Value, length: int) -> ir.Value:
    """``[0, l1, 0, l2, ..., 0, lL, 0]`` per row: labels interleaved with the blank 0."""
    zeros = b.op("Mul", [labels, _i64(b, 0)])
    pairs = b.op("Concat", [b.op("Unsqueeze", [zeros, _i64(b, [-1])]),
                            b.op("Unsqueeze", [labels, _i64(b, [-1])])], {"axis": -1})  # fmt: skip
    flat = b.op("Reshape", [pairs, _i64(b, [0, -1])])
    first = b.op("Slice", [zeros, _i64(b, [0]), _i64(b, [1]), _i64(b, [1])])
    return b.op("Concat", [flat, first], {"axis": 1})


def _shift(b: GraphBuilder, alpha: ir.Value, by: int, fill: ir.Value) -> ir.Value:
    """``alpha`` moved ``by`` places right along the label axis, log-zero coming in."""
    kept = b.op("Slice", [alpha, _i64(b, [0]), _i64(b, [-by]), _i64(b, [1])])
    pad = b.op("Slice", [fill, _i64(b, [0]), _i64(b, [by]), _i64(b, [1])])
    return b.op("Concat", [pad, kept], {"axis": 1})


def _logaddexp3(b: GraphBuilder, x, y, z) -> ir.Value:
    top = b.op("Max", [x, y, z])
    terms = [b.op("Exp", [b.op("Sub", [v, top])]) for v in (x, y, z)]
    return b.op("Add", [top, b.op("Log", [b.op("Sum", terms)])])


def _check(y_true: ir.Value, y_pred: ir.Value) -> int:
    if len(dims(y_true)) != 2:
        raise ValueError(
            "Targets `y_true` are expected to be a tensor of shape `(batch_size, max_length)` "
            f"in integer format. Received: y_true.shape={tuple(dims(y_true))}"
        )
    if len(dims(y_pred)) != 3:
        raise ValueError(
            "Logits `y_pred` are expected to be a tensor of shape "
            f"`(batch_size, max_length, num_classes)`. Received: y_pred.shape={tuple(dims(y_pred))}"
        )
    steps = dims(y_pred)[1]
    if not isinstance(steps, int):
        raise ValueError(
            "kgraph's CTC loss unrolls its recursion over time and needs a static number of "
            f"time steps. Received: y_pred.shape={tuple(dims(y_pred))}"
        )
    return steps


def _not_equal(b: GraphBuilder, x: ir.Value, y: ir.Value) -> ir.Value:
    return b.op("Not", [b.op("Equal", [x, y])])


def _emissions(b, labels, y_pred, length, classes):
    """Per step, the log-probability of each extended label ``(B, T, S)``, and which extended
    positions may be reached by skipping a blank (a label differing from the one before)."""
    ext = _extended(b, labels, length)
    log_probs = b.op("LogSoftmax", [to_float(b, y_pred)], {"axis": -1})
    onehot = b.op("OneHot", [ext, _i64(b, [classes]), const(b, [0.0, 1.0])], {"axis": -1})
    emit = b.op("MatMul", [log_probs, b.op("Transpose", [onehot], {"perm": [0, 2, 1]})])
    before = _shift(b, ext, 2, ext)
    skip = b.op("And", [_not_equal(b, ext, _i64(b, 0)), _not_equal(b, ext, before)])
    return emit, skip


def _final(b, alpha, labels, fill, rows):
    """``-log(alpha[2n] + alpha[2n - 1])`` with ``n`` each row's number of labels."""
    width = b.op("Squeeze", [b.op("Shape", [alpha], {"start": 1, "end": 2}), _i64(b, [0])])
    positions = b.op("Range", [_i64(b, 0), width, _i64(b, 1)])
    nonzero = b.op("Cast", [_not_equal(b, labels, _i64(b, 0))], {"to": ir.DataType.INT64})
    count = b.op("ReduceSum", [nonzero, _i64(b, [1])], {"keepdims": 1})
    last = b.op("Mul", [count, _i64(b, 2)])
    ends = b.op("Or", [b.op("Equal", [positions, last]),
                       b.op("Equal", [positions, b.op("Sub", [last, _i64(b, 1)])])])  # fmt: skip
    top = reduce(b, "ReduceMax", shaped(b.op("Where", [ends, alpha, fill]), rows), [1], True)
    inside = b.op("Where", [ends, alpha, top])  # other entries never overflow the Exp
    shifted = b.op("Exp", [b.op("Sub", [inside, top])])
    kept = shaped(b.op("Where", [ends, shifted, b.op("Mul", [fill, const(b, 0.0)])]), rows)
    total = b.op("Add", [b.op("Log", [reduce(b, "ReduceSum", kept, [1], True)]), top])
    loss = b.op("Neg", [b.op("Squeeze", [total, _i64(b, [1])])])
    return shaped(loss, rows[:1])


def ctc(b: GraphBuilder, y_true: ir.Value, y_pred: ir.Value, cfg) -> ir.Value:
    """The per-sample CTC loss ``-log p(labels | logits)``."""
    steps = _check(y_true, y_pred)
    length, classes = dims(y_true)[1], dims(y_pred)[2]
    labels = b.op("Cast", [y_true], {"to": ir.DataType.INT64})
    emit, skip = _emissions(b, labels, y_pred, length, classes)
    first = b.op("Gather", [emit, _i64(b, 0)], {"axis": 1})
    fill = b.op("Add", [b.op("Mul", [first, const(b, 0.0)]), const(b, LOG_ZERO)])
    width = b.op("Squeeze", [b.op("Shape", [first], {"start": 1, "end": 2}), _i64(b, [0])])
    start = b.op("Less", [b.op("Range", [_i64(b, 0), width, _i64(b, 1)]), _i64(b, 2)])
    alpha = b.op("Where", [start, first, fill])
    for t in range(1, steps):
        one, two = _shift(b, alpha, 1, fill), _shift(b, alpha, 2, fill)
        two = b.op("Where", [skip, two, fill])
        step = b.op("Gather", [emit, _i64(b, t)], {"axis": 1})
        alpha = b.op("Add", [_logaddexp3(b, alpha, one, two), step])
    width = 2 * length + 1 if isinstance(length, int) else None
    return _final(b, alpha, labels, fill, [dims(y_true)[0], width])
