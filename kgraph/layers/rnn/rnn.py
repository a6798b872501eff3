"""``RNN``: runs a cell (or a list of cells) over the time axis, unrolled."""

from __future__ import annotations

from kgraph.layers.input_spec import InputSpec
from kgraph.layers.layer import Layer
from kgraph.layers.rnn.base_rnn import check_no_mask, make_base_rnn, static_steps, unroll
from kgraph.layers.rnn.keras_cell import is_keras_cell, run_keras_cell
from kgraph.layers.rnn.stacked_rnn_cells import StackedRNNCells, serialize_layer
from kgraph.utils import tree


class RNN(Layer):
    """Base class for recurrent layers: ``cell`` computes one time step, ``RNN`` unrolls it
    over a static number of steps (see ``BaseRNN``).

    Args:
        cell: A kgraph cell (``SimpleRNNCell``, ``LSTMCell``, ``GRUCell``, ``StackedRNNCells``),
            a layer written to Keras' cell contract (``state_size``, ``call(inputs, states)``;
            see ``keras_cell``), or a list of cells (stacked).
        return_sequences, return_state, go_backwards: As Keras; ``return_state`` appends the
            final states, flattened in cell order.
        stateful: Not supported (``True`` raises). unroll, zero_output_for_mask: Accepted
            and kept in the config (the loop is always unrolled; masks are not propagated).
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
        self.input_spec = InputSpec(ndim=3)

    def build(self, input_shape):
        if not self.cell.built:
            self.cell._build_for((input_shape[0], input_shape[-1]))
        self.built = True

    def call(self, sequences, initial_state=None, mask=None, training=False):
        check_no_mask(mask)
        static_steps(sequences)
        if not hasattr(self.cell, "masked_step"):  # a cell written to Keras' contract
            result, states = run_keras_cell(
                self.cell, sequences, initial_state, training, *self._loop_flags()
            )
            return [result, *states] if self.return_state else result
        states = self.cell.zero_states(sequences)
        if initial_state is not None:
            flat = tree.flatten(initial_state)
            states = tree.pack_like(states, flat)
        masks = self.cell.sequence_masks(sequences[:, 0, :], states, training)
        result, states = unroll(
            lambda x_t, s: self.cell.masked_step(x_t, s, masks),
            sequences,
            states,
            self.go_backwards,
            self.return_sequences,
        )
        return [result, *tree.flatten(states)] if self.return_state else result

    def _loop_flags(self):
        return self.go_backwards, self.return_sequences

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
