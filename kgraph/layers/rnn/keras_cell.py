"""``RNN`` around a user's cell written to Keras' cell contract (the RNN guide's
``MinimalRNNCell``): a layer with a ``state_size`` (an int or a list of ints) whose
``call(inputs, states)`` returns ``(output, new_states)``, optionally ``get_initial_state``
and ``output_size``. It runs through the same time loop as kgraph's own cells (``time_loop``:
unrolled or one Scan, with Keras' mask rules)."""

from __future__ import annotations

from kgraph import ops
from kgraph.layers.layer import Layer
from kgraph.layers.rnn import time_loop
from kgraph.layers.rnn.cell_base import zeros_state


def is_keras_cell(cell) -> bool:
    """A layer with Keras' cell contract (``state_size``), not one of kgraph's cells."""
    return isinstance(cell, Layer) and hasattr(cell, "state_size")


def state_sizes(cell) -> list:
    sizes = cell.state_size
    return [sizes] if isinstance(sizes, int) else list(sizes)


def initial_states(cell, sequences) -> list:
    """The cell's ``get_initial_state`` when it has one, else zeros per ``state_size``, as a
    list (Keras hands a cell its states as a list, a single state too)."""
    make = getattr(cell, "get_initial_state", None)
    if make is not None:
        states = make(batch_size=ops.shape(sequences)[0])
        return _as_list(states)
    return [zeros_state(sequences, size) for size in state_sizes(cell)]


def run_keras_cell(cell, sequences, initial_state, training, flags):
    """``cell`` over ``sequences``: ``(result, final states)``; ``flags`` are ``time_loop.run``'s
    ``go_backwards, return_sequences, mask, zero_output_for_mask``."""
    if initial_state is None:
        states = initial_states(cell, sequences)
    else:
        states = _as_list(initial_state)
    kwargs = {"training": training} if cell._call_has_training else {}

    def step(x_t, states):
        output, new_states = cell(x_t, states, **kwargs)
        return output, _as_list(new_states)

    return time_loop.run(step, sequences, states, *flags)


def _as_list(states) -> list:
    return list(states) if isinstance(states, (list, tuple)) else [states]
