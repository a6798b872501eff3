"""``keras.ops.ctc_loss`` and ``ctc_decode`` (greedy), composed of kgraph ops.

ONNX has no CTC operator: the forward (alpha) recursion of ``ctc_loss`` is unrolled over the
static number of time steps, in log space over the label sequence with blanks interleaved
(``2 L + 1`` states), so it differentiates through the existing gradient rules. Impossible
states hold ``-1e5`` rather than ``-inf`` (finite gradients, as Keras' JAX backend does).
"""

from __future__ import annotations

import numpy as np

from kgraph import dtypes
from kgraph import ops as _ops
from kgraph.ops.core import _spec_of

_LOG_EPS = -1e5


def _logsumexp3(a, b, c):
    m = _ops.maximum(_ops.maximum(a, b), c)
    total = _ops.add(
        _ops.add(_ops.exp(_ops.subtract(a, m)), _ops.exp(_ops.subtract(b, m))),
        _ops.exp(_ops.subtract(c, m)),
    )
    return _ops.add(m, _ops.log(total))


def _shift(x, k):
    """``x`` moved ``k`` states right along the last axis, ``-1e5`` shifted in."""
    pad = _ops.add(_ops.zeros_like(x[:, :k]), _LOG_EPS)
    return _ops.concatenate([pad, x[:, :-k]], axis=1)


def _with_blanks(target, blank):
    """``(B, L)`` labels interleaved with blanks: ``(B, 2L+1)``, blank first and last."""
    blanks = _ops.full_like(target, blank)
    pairs = _ops.reshape(_ops.stack([blanks, target], axis=-1), (_ops.shape(target)[0], -1))
    return _ops.concatenate([pairs, blanks[:, :1]], axis=1)


def ctc_loss(target, output, target_length, output_length, mask_index=0):
    """Per-sample CTC loss of int ``target`` ``(B, L)`` (valid up to ``target_length``) and
    logits ``output`` ``(B, T, C)`` (valid up to ``output_length``); ``mask_index`` is the
    blank class. ``T`` must be static; ``L`` may be known at run time only."""
    out = _spec_of(output)
    if out.ndim != 3 or out.shape[1] is None:
        raise ValueError(f"ctc_loss needs output (B, T, C) with a static T. Received {out.shape}.")
    dtype = dtypes.result_type(out.dtype, "float32")
    logp = _ops.log_softmax(_ops.cast(output, dtype), axis=-1)
    target = _ops.cast(target, "int32")
    steps = out.shape[1]
    ext = _with_blanks(target, int(mask_index))  # (B, 2L+1); L may be known at run time only
    state = _ops.arange(_ops.shape(ext)[1])
    skip = _ops.logical_and(
        _ops.not_equal(ext, int(mask_index)),
        _ops.not_equal(ext, _ops.concatenate([ext[:, :2], ext[:, :-2]], axis=1)),
    )
    skip = _ops.logical_and(skip, state >= 2)
    t_len = _ops.cast(output_length, "int32")
    first = _ops.cast(_ops.where(state < 2, 0.0, _LOG_EPS), dtype)
    alpha = None
    for t in range(steps):
        emit = _ops.take_along_axis(logp[:, t], ext, axis=1)
        if alpha is None:
            alpha = _ops.add(emit, first)
            continue
        two = _ops.where(skip, _shift(alpha, 2), _LOG_EPS)
        new = _ops.add(_logsumexp3(alpha, _shift(alpha, 1), two), emit)
        alpha = _ops.where(_ops.expand_dims(t < t_len, -1), new, alpha)
    end = _ops.expand_dims(_ops.multiply(_ops.cast(target_length, "int32"), 2), -1)
    last = _ops.take_along_axis(alpha, end, axis=1)
    before = _ops.take_along_axis(alpha, _ops.maximum(_ops.subtract(end, 1), 0), axis=1)
    before = _ops.where(end > 0, before, _LOG_EPS)
    return _ops.negative(_ops.squeeze(_ops.logaddexp(last, before), -1))


def ctc_decode(
    inputs,
    sequence_lengths,
    strategy="greedy",
    beam_width=100,
    top_paths=1,
    merge_repeated=True,
    mask_index=0,
):
    """CTC decoding of ``(B, T, C)`` scores. Greedy (in graphs too): ``decoded`` ``(1, B, T)``
    int32 labels moved to the front and padded with -1, and ``scores`` ``(B, 1)`` the negative
    sum of the best scores. ``strategy='beam_search'`` runs eagerly only
    (``kgraph.ops.ctc_beam``): ``top_paths`` sequences and their log probabilities."""
    if strategy == "beam_search":
        from kgraph.ops.ctc_beam import beam_search

        return beam_search(inputs, sequence_lengths, beam_width, top_paths, mask_index)
    if strategy != "greedy":
        raise ValueError(
            f"Invalid strategy. Expected 'greedy' or 'beam_search'. Received: strategy={strategy!r}"
        )
    spec = _spec_of(inputs)
    steps = spec.shape[1]
    if steps is None:
        raise ValueError(f"ctc_decode needs a static number of steps. Received {spec.shape}.")
    best = _ops.cast(_ops.argmax(inputs, axis=-1), "int32")
    scores = _ops.max(inputs, axis=-1)
    outside = np.arange(steps)[None, :] >= _ops.expand_dims(
        _ops.cast(sequence_lengths, "int32"), -1
    )
    best = _ops.where(outside, int(mask_index), best)
    scores = _ops.where(outside, 0.0, scores)
    if merge_repeated:
        same = _ops.equal(best[:, 1:], best[:, :-1])
        repeat = _ops.concatenate([_ops.zeros_like(same[:, :1]), same], axis=1)
        best = _ops.where(repeat, int(mask_index), best)
    valid = _ops.not_equal(best, int(mask_index))
    count = _ops.cumsum(_ops.cast(valid, "int32"), axis=1)
    rest = _ops.cumsum(_ops.cast(_ops.logical_not(valid), "int32"), axis=1)
    total = count[:, -1:]
    position = _ops.where(valid, _ops.subtract(count, 1), _ops.add(total, _ops.subtract(rest, 1)))
    labels = _ops.where(valid, best, -1)
    moved = _ops.one_hot(position, steps, dtype="float32")  # (B, T_from, T_to)
    decoded = _ops.einsum("bf,bft->bt", _ops.cast(labels, "float32"), moved)
    decoded = _ops.cast(_ops.round(decoded), "int32")
    return _ops.expand_dims(decoded, 0), _ops.negative(_ops.sum(scores, axis=1, keepdims=True))
