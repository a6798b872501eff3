"""The time loop of every recurrent layer: a cell's ``step`` run over ``(batch, time, ...)``
sequences, unrolled in Python or as one ``ops.scan`` (one ONNX ``Scan`` node), with Keras' mask
rules.

Which loop: a ``None`` time length can only be a Scan (it runs over whatever length the tensors
have at inference, and ``compiler.autodiff.rules.control_scan`` differentiates it through a
reverse Scan; the cell's weights are closed over by the body and get their gradients there).
A static length is a Scan too while tracing a graph, as measured on a small LSTM (8 features,
16 units, then Dense(1); batch 32; onnxruntime CPU, 2 shared cores; ms per batch):

    steps  loop      first fit  train step  predict
    5      unrolled  0.15 s     0.41        0.58
    5      Scan      0.05 s     0.49        0.32
    20     unrolled  0.41 s     1.60-1.67   1.87-1.89
    20     Scan      0.05 s     1.57-1.60   0.51-0.52
    100    unrolled  4.52 s     7.62        9.83
    100    Scan      0.06 s     7.30        1.43

The training step is about even (onnxruntime runs a Scan body per step; the unrolled graph has
one copy of the cell per step), inference and building are faster as a Scan, so only a
single step (``UNROLL_MAX_STEPS``) is unrolled. Eagerly both are the same Python loop.

Masks follow Keras' ``backend.rnn`` on its default (scan) path: at a step whose mask is False
for a sample, its states carry over unchanged and its output is its first state before the step
(the previous output of kgraph's cells; the last cell's first state for stacked cells), or
zeros with ``zero_output_for_mask``. ``go_backwards`` reads the sequence and the mask from the
end, and the sequence output is in that (reversed) order, as in Keras.
"""

from __future__ import annotations

from kgraph import ops, trace
from kgraph.utils import tree

UNROLL_MAX_STEPS = 1


def use_scan(steps) -> bool:
    """A Scan for an unknown length, or for a static one (over one step) while tracing."""
    return steps is None or (steps > UNROLL_MAX_STEPS and trace.current() is not None)


def _previous_output(states):
    """Keras' stand-in for the output at a masked step: the first state (the last cell's for
    stacked cells, whose states are one list per cell)."""
    first = states[0]
    if isinstance(first, (list, tuple)):
        return states[-1][0]
    return first


def masked_step(step, x_t, keep, states, zero_output):
    """``step(x_t, states)`` where ``keep`` (``(batch, 1)`` bool, or None) is True; elsewhere
    the states carry over and the output is the previous one (or zeros)."""
    output, new_states = step(x_t, states)
    if keep is None:
        return output, new_states
    fallback = ops.zeros_like(output) if zero_output else _previous_output(states)
    output = ops.where(keep, output, fallback)
    kept = [
        ops.where(keep, new, old)
        for new, old in zip(tree.flatten(new_states), tree.flatten(states))
    ]
    return output, tree.pack_like(new_states, kept)


def bool_mask(mask):
    """A ``(batch, time)`` bool mask (Keras casts any dtype to bool)."""
    if mask is None:
        return None
    mask = ops.convert_to_tensor(mask) if not hasattr(mask, "shape") else mask
    if len(mask.shape) != 2:
        raise ValueError(
            f"the mask of a recurrent layer must be (batch, time). Received: mask shape "
            f"{tuple(mask.shape)}"
        )
    return ops.cast(mask, "bool")


def unroll(step, sequences, states, go_backwards, return_sequences, mask=None, zero=False):
    """The loop unrolled over the static time axis: ``(output or sequence, final states)``."""
    steps = sequences.shape[1]
    order = range(steps - 1, -1, -1) if go_backwards else range(steps)
    outputs = []
    for t in order:
        keep = None if mask is None else mask[:, t : t + 1]
        output, states = masked_step(step, sequences[:, t], keep, states, zero)
        outputs.append(output)
    result = ops.stack(outputs, axis=1) if return_sequences else outputs[-1]
    return result, states


def scan(step, sequences, states, go_backwards, return_sequences, mask=None, zero=False):
    """The loop as one ``ops.scan`` over the time axis (moved first), for any time length."""
    rank = len(sequences.shape)
    time_major = ops.transpose(sequences, (1, 0, *range(2, rank)))
    xs = time_major if mask is None else (time_major, ops.transpose(mask, (1, 0)))

    def body(carry, x):
        x_t, keep = (x, None) if mask is None else (x[0], ops.expand_dims(x[1], -1))
        output, new_states = masked_step(step, x_t, keep, carry, zero)
        return new_states, output

    states, outputs = ops.scan(body, states, xs, reverse=go_backwards)
    if not return_sequences:  # the output of the last step processed
        return (outputs[0] if go_backwards else outputs[-1]), states
    outputs = ops.transpose(outputs, (1, 0, *range(2, len(outputs.shape))))
    return (ops.flip(outputs, axis=1) if go_backwards else outputs), states


def run(step, sequences, states, go_backwards, return_sequences, mask=None, zero=False):
    """``step(x_t, states) -> (output, states)`` over the time axis, by ``use_scan``."""
    mask = bool_mask(mask)
    loop = scan if use_scan(sequences.shape[1]) else unroll
    return loop(step, sequences, states, go_backwards, return_sequences, mask, zero)
