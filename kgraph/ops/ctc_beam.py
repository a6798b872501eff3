"""``ctc_decode(strategy="beam_search")``: CTC prefix beam search, eager-only (numpy).

The set of live prefixes changes size from step to step, which has no fixed-shape ONNX form;
on concrete arrays the classic prefix beam search runs in log space: each prefix keeps the
probabilities of ending in a blank and in its last label, repeats merge unless a blank
separates them, and the ``beam_width`` most probable prefixes survive each step.
"""

from __future__ import annotations

import numpy as np

from kgraph.tensor import KerasTensor

_NEG = -np.inf


def _log_softmax(x: np.ndarray) -> np.ndarray:
    shifted = x - x.max(axis=-1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))


def _extend(beams: dict, lp: np.ndarray, blank: int) -> dict:
    new: dict[tuple, list] = {}

    def add(prefix, slot, value):
        entry = new.setdefault(prefix, [_NEG, _NEG])
        entry[slot] = np.logaddexp(entry[slot], value)

    for prefix, (p_blank, p_label) in beams.items():
        total = np.logaddexp(p_blank, p_label)
        add(prefix, 0, total + lp[blank])
        last = prefix[-1] if prefix else None
        for c in range(len(lp)):
            if c == blank:
                continue
            if c == last:
                add(prefix, 1, p_label + lp[c])  # a repeat merges into the same label
                add((*prefix, c), 1, p_blank + lp[c])  # after a blank it is a new label
            else:
                add((*prefix, c), 1, total + lp[c])
    return new


def _top(beams: dict, k: int) -> list:
    ranked = sorted(beams.items(), key=lambda kv: -np.logaddexp(*kv[1]))
    return ranked[:k]


def beam_search(inputs, sequence_lengths, beam_width=100, top_paths=1, mask_index=0):
    """``(decoded, log_probs)``: ``decoded`` ``(top_paths, B, T)`` int32 padded with -1 and
    ``log_probs`` ``(B, top_paths)``, the most probable label sequences first."""
    if isinstance(inputs, KerasTensor) or isinstance(sequence_lengths, KerasTensor):
        raise ValueError(
            "ctc_decode(strategy='beam_search') runs eagerly only (its beam has no fixed-shape "
            "ONNX form); use strategy='greedy' inside models."
        )
    logp = _log_softmax(np.asarray(inputs, np.float64))
    lengths = np.asarray(sequence_lengths).astype(int)
    batch, steps, _ = logp.shape
    decoded = np.full((top_paths, batch, steps), -1, np.int32)
    scores = np.full((batch, top_paths), _NEG, np.float32)
    for b in range(batch):
        beams = {(): [0.0, _NEG]}
        for t in range(min(lengths[b], steps)):
            beams = dict(_top(_extend(beams, logp[b, t], mask_index), beam_width))
        for k, (prefix, probs) in enumerate(_top(beams, top_paths)):
            decoded[k, b, : len(prefix)] = prefix
            scores[b, k] = np.logaddexp(*probs)
    return decoded, scores
