"""``RNN``: runs a cell (or a list of cells) over the time axis (unrolled, or one Scan)."""

from __future__ import annotations

from kgraph.layers.input_spec import InputSpec
from kgraph.layers.layer import Layer
from kgraph.layers.rnn import time_loop
from kgraph.layers.rnn.base_rnn import make_base_rnn
from kgraph.layers.rnn.keras_cell import is_keras_cell, run_keras_cell
from kgraph.layers.rnn.stacked_rnn_cells import StackedRNNCells, serialize_layer
from kgraph.utils import tree
from kgraph.utils.tree_walk import map_shape_structure


class RNN(Layer):
    """Base class for recurrent layers: ``cell`` computes one time step, ``RNN`` runs it over
    the time axis, which may be ``None`` (``time_loop``: unrolled for short static lengths, one
    ONNX Scan otherwise). ``call(sequences, initial_state=None, mask=None)`` takes a Keras
    ``(batch, time)`` mask: masked steps keep the states and repeat the previous output (zeros
    with ``zero_output_for_mask``); ``compute_mask`` passes it on with ``return_sequences``.

    Args:
        cell: A kgraph cell (``SimpleRNNCell``, ``LSTMCell``, ``GRUCell``, ``StackedRNNCells``),
            a layer written to Keras' cell contract (``state_size``, ``call(inputs, states)``;
            see ``keras_cell``), or a list of cells (stacked).
        return_sequences, return_state, go_backwards: As Keras; ``return_state`` appends the
            final states, flattened in cell order.
        zero_output_for_mask: As Keras (zeros instead of the previous output at masked
            steps; ``Bidirectional`` sets it to ``return_sequences``).
        stateful: Not supported (``True`` raises). unroll: Accepted and kept in the config
            without effect (``time_loop`` picks the loop; masks follow Keras' scan path).
    """

    def __init__(
        self,
        cell,
        return_sequences=False,
        return_state=False,
        go_backwards=False,
        stateful=False,
        unroll=False,
        zero_output_for_mask=False,
        **kwargs,
    ):
        if isinstance(cell, (list, tuple)):
            cell = StackedRNNCells(cell)
        kgraph_cell = ("zero_states", "sequence_masks", "masked_step")
        if not all(hasattr(cell, a) for a in kgraph_cell) and not is_keras_cell(cell):
            raise ValueError(
                "RNN takes a cell: a layer with a `state_size` attribute and a "
                f"call(inputs, states) method (or a list of cells). Received: cell={cell}"
            )
        if stateful:
            raise ValueError(
                "RNN in kgraph does not support stateful=True (a compiled graph keeps no "
                f"state between batches). Received: stateful={stateful}"
            )
        super().__init__(**kwargs)
        self.cell = cell
        self.return_sequences = bool(return_sequences)
        self.return_state = bool(return_state)
        self.go_backwards = bool(go_backwards)
        self.stateful = False
        self.unroll = bool(unroll)
        self.zero_output_for_mask = bool(zero_output_for_mask)
        # kgraph's cells take (batch, time, features); a Keras-contract cell may take nested
        # or higher-rank sequences, as Keras' RNN allows.
        self.input_spec = None if is_keras_cell(cell) else InputSpec(ndim=3)
        self.supports_masking = True

    def build(self, input_shape):
        if not self.cell.built:  # the step's shapes: the time axis dropped (nested too)
            step_shape = map_shape_structure(lambda s: (s[0], *tuple(s)[2:]), input_shape)
            self.cell._build_for(step_shape)
        self.built = True

    def call(self, sequences, initial_state=None, mask=None, training=False):
        """The cell over the time axis (``time_loop.run``: unrolled or one Scan); ``mask``
        ``(batch, time)`` skips steps as Keras does (see ``time_loop``)."""
        flags = (self.go_backwards, self.return_sequences, mask, self.zero_output_for_mask)
        if not hasattr(self.cell, "masked_step"):  # a cell written to Keras' contract
            result, states = run_keras_cell(self.cell, sequences, initial_state, training, flags)
            return [result, *states] if self.return_state else result
        states = self.cell.zero_states(sequences)
        if initial_state is not None:
            flat = tree.flatten(initial_state)
            states = tree.pack_like(states, flat)
        masks = self.cell.sequence_masks(sequences[:, 0, :], states, training)
        result, states = time_loop.run(
            lambda x_t, s: self.cell.masked_step(x_t, s, masks), sequences, states, *flags
        )
        return [result, *self._returned_states(states)] if self.return_state else result

    def _returned_states(self, states) -> list:
        """The final states as Keras returns them after the output: flat for one cell (an
        LSTM's ``h, c``); for ``StackedRNNCells`` one entry per cell, a tensor for a cell with
        one state and a list for a cell with several (``h_gru, [h_lstm, c_lstm]``)."""
        if not isinstance(self.cell, StackedRNNCells):
            return tree.flatten(states)
        return [
            cell_states[0] if isinstance(cell.state_size, int) else list(cell_states)
            for cell, cell_states in zip(self.cell.cells, states)
        ]

    def compute_mask(self, inputs, mask=None):
        """The input mask on the sequence output (None on a last-step output and on states),
        as Keras."""
        if isinstance(mask, (list, tuple)):
            mask = mask[0] if mask else None
        output_mask = mask if self.return_sequences else None
        if self.return_state:
            return [output_mask] + [None] * len(tree.flatten(self._state_sizes()))
        return output_mask

    def _state_sizes(self):
        sizes = self.cell.state_size
        return [sizes] if isinstance(sizes, int) else list(sizes)

    def get_config(self):
        return {
            **super().get_config(),
            "cell": serialize_layer(self.cell),
            "return_sequences": self.return_sequences,
            "return_state": self.return_state,
            "go_backwards": self.go_backwards,
            "stateful": self.stateful,
            "unroll": self.unroll,
            "zero_output_for_mask": self.zero_output_for_mask,
        }

    @classmethod
    def from_config(cls, config, custom_objects=None):
        from kgraph.saving.serialization import deserialize_layer

        config = dict(config)
        if isinstance(config["cell"], dict):
            config["cell"] = deserialize_layer(config["cell"], custom_objects)
        return cls(**config)


BaseRNN = make_base_rnn(RNN)
