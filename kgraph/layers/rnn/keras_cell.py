"""``RNN`` around a user's cell written to Keras' cell contract (the RNN guide's
``MinimalRNNCell``): a layer with a ``state_size`` (an int, or a list of ints and shapes) whose
``call(inputs, states)`` returns ``(output, new_states)``, optionally ``get_initial_state``
and ``output_size``. It runs through the same time loop as kgraph's own cells (``time_loop``:
unrolled or one Scan, with Keras' mask rules).

Nested inputs and outputs (the guide's ``NestedCell``: ``(batch, time, i1)`` and
``(batch, time, i2, i3)`` sequences, a ``(o1, o23)`` output) go through the loop packed: each
part flattened past its time axis and concatenated, split and reshaped back inside each step
and after the loop. Their sizes past the time axis must be static; at masked steps a nested
output is zeros (Keras repeats the previous one)."""

from __future__ import annotations

import numpy as np

from kgraph import ops
from kgraph.layers.layer import Layer
from kgraph.layers.rnn import time_loop
from kgraph.layers.rnn.cell_base import zeros_state
from kgraph.utils import tree


def is_keras_cell(cell) -> bool:
    """A layer with Keras' cell contract (``state_size``), not one of kgraph's cells."""
    return isinstance(cell, Layer) and hasattr(cell, "state_size")


def state_sizes(cell) -> list:
    sizes = cell.state_size
    return [sizes] if isinstance(sizes, int) else list(sizes)


def initial_states(cell, sequences) -> list:
    """The cell's ``get_initial_state`` when it has one, else zeros per ``state_size`` (a
    size may be a shape), as a list (Keras hands a cell its states as a list)."""
    make = getattr(cell, "get_initial_state", None)
    if make is not None:
        states = make(batch_size=ops.shape(sequences)[0])
        return _as_list(states)
    return [_zeros(sequences, size) for size in state_sizes(cell)]


def _zeros(sequences, size):
    if isinstance(size, int):
        return zeros_state(sequences, size)
    shape = tuple(size)
    first = ops.reshape(ops.zeros_like(sequences[:, 0, :1]), (-1, *([1] * len(shape))))
    return first + ops.zeros(shape, sequences.dtype)


def run_keras_cell(cell, sequences, initial_state, training, flags):
    """``cell`` over ``sequences`` (a tensor or a nested structure of them): ``(result, final
    states)``; ``flags`` are ``time_loop.run``'s ``go_backwards, return_sequences, mask,
    zero_output_for_mask``."""
    nested = isinstance(sequences, (list, tuple, dict))
    inputs = Packed(tree.flatten(sequences), sequences, 2) if nested else None
    flat = inputs.pack(tree.flatten(sequences), 2) if nested else sequences
    if initial_state is None:
        states = initial_states(cell, flat)
    else:
        states = _as_list(initial_state)
    kwargs = {"training": training} if cell._call_has_training else {}
    outputs = []  # the Packed layout of a nested output, found by the first step

    def step(x_t, states):
        output, new_states = cell(inputs.unpack(x_t, 1) if nested else x_t, states, **kwargs)
        if isinstance(output, (list, tuple, dict)):
            outputs[:] = outputs or [Packed(tree.flatten(output), output, 1)]
            output = outputs[0].pack(tree.flatten(output), 1)
        return output, _as_list(new_states)

    go_backwards, return_sequences, mask, zero = flags
    zero = zero or (nested and mask is not None)  # no previous-output stand-in when packed
    result, states = time_loop.run(step, flat, states, go_backwards, return_sequences, mask, zero)
    if outputs:
        result = outputs[0].unpack(result, 2 if return_sequences else 1)
    return result, states


class Packed:
    """Parts of a structure ``(batch, [time,] *shape_i)`` as one ``(batch, [time,] total)``
    tensor: each part's static ``shape_i`` flattened, all concatenated on the last axis."""

    def __init__(self, parts, structure, lead: int):
        self.structure = structure
        self.shapes = [tuple(p.shape[lead:]) for p in parts]  # past batch (and time)
        for part, shape in zip(parts, self.shapes):
            if None in shape:
                raise ValueError(
                    "A nested RNN input or output needs static sizes past its time axis. "
                    f"Received: shape {tuple(part.shape)}"
                )
        self.sizes = [int(np.prod(shape)) for shape in self.shapes]

    def pack(self, parts, lead: int):
        flat = [ops.reshape(p, (*ops.shape(p)[:lead], size)) for p, size in zip(parts, self.sizes)]
        return flat[0] if len(flat) == 1 else ops.concatenate(flat, axis=-1)

    def unpack(self, packed, lead: int):
        cuts = np.cumsum(self.sizes)[:-1].tolist()
        pieces = ops.split(packed, cuts, axis=-1) if cuts else [packed]
        lead_shape = ops.shape(packed)[:lead]
        parts = [ops.reshape(p, (*lead_shape, *shape)) for p, shape in zip(pieces, self.shapes)]
        return tree.pack_sequence_as(self.structure, parts)


def _as_list(states) -> list:
    return list(states) if isinstance(states, (list, tuple)) else [states]
