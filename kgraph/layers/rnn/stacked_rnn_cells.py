"""``StackedRNNCells``: cells run one after another within each time step."""

from __future__ import annotations

from kgraph.layers.layer import Layer
from kgraph.layers.rnn.keras_cell import initial_states, state_sizes
from kgraph.layers.serialization import serialize


def serialize_layer(layer):
    """Keras 3's dict of a nested layer or cell (``serialize_keras_object``): with its module
    and ``registered_name``, so that a registered user class or a nested model loads back.
    The ``build_config`` is left out: the wrapper builds what it holds, and its config then
    stays the same before and after building."""
    item = serialize(layer)
    item.pop("build_config", None)
    return item


def native(cell) -> bool:
    """One of kgraph's cells (its steps take dropout masks drawn once per sequence)."""
    return hasattr(cell, "masked_step")


def cell_output_size(cell):
    """Keras' rule: the cell's ``output_size``, else its first state's size."""
    size = getattr(cell, "output_size", None)
    return size if size is not None else state_sizes(cell)[0]


class StackedRNNCells(Layer):
    """Wraps a list of cells so ``RNN`` runs them as one: each step feeds a cell's output to the
    next; the states are one list per cell. Its weights are the cells', in order.

    A cell written to Keras' cell contract (``state_size``, ``call(inputs, states)``, see
    ``keras_cell``) runs through that call: its states start from its ``get_initial_state`` or
    zeros, and it handles its own dropout.

    Args:
        cells: A list of cells: kgraph's (``SimpleRNNCell``, ``LSTMCell``, ``GRUCell``) or
            layers written to Keras' cell contract.
    """

    def __init__(self, cells, **kwargs):
        super().__init__(**kwargs)
        for cell in cells:
            if "state_size" not in dir(cell):
                raise ValueError(
                    "All cells must have a `state_size` attribute. "
                    f"Received cell without a `state_size`: {cell}"
                )
        self.cells = list(cells)

    @property
    def state_size(self):
        return [c.state_size for c in self.cells]

    @property
    def output_size(self):
        return cell_output_size(self.cells[-1])

    def build(self, input_shape):
        shape = tuple(input_shape)
        for cell in self.cells:
            if not cell.built:
                cell._build_for(shape)
            shape = (*shape[:-1], cell_output_size(cell))
        self.built = True

    def zero_states(self, sequences):
        return [
            cell.zero_states(sequences) if native(cell) else initial_states(cell, sequences)
            for cell in self.cells
        ]

    def sequence_masks(self, x_like, states, training):
        """Each kgraph cell's dropout masks (drawn once per sequence); a Keras-contract cell's
        entry is the ``training`` flag its call gets."""
        masks = []
        for cell, cell_states in zip(self.cells, states):
            if native(cell):
                masks.append(cell.sequence_masks(x_like, cell_states, training))
            else:
                masks.append(training)
            x_like = cell_states[0]  # the next cell's input is this cell's output
        return masks

    def masked_step(self, x_t, states, masks):
        new_states = []
        for cell, cell_states, cell_masks in zip(self.cells, states, masks):
            if native(cell):
                x_t, cell_states = cell.masked_step(x_t, list(cell_states), cell_masks)
            else:
                kwargs = {"training": cell_masks} if cell._call_has_training else {}
                x_t, cell_states = cell(x_t, list(cell_states), **kwargs)
                if not isinstance(cell_states, (list, tuple)):
                    cell_states = [cell_states]
            new_states.append(list(cell_states))
        return x_t, new_states

    def call(self, inputs, states, training=False):
        states = [list(s) if isinstance(s, (list, tuple)) else [s] for s in states]
        return self.masked_step(inputs, states, self.sequence_masks(inputs, states, training))

    def get_config(self):
        return {**super().get_config(), "cells": [serialize_layer(c) for c in self.cells]}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        from kgraph.saving.serialization import deserialize_layer

        config = dict(config)
        config["cells"] = [
            deserialize_layer(c, custom_objects) if isinstance(c, dict) else c
            for c in config["cells"]
        ]
        return cls(**config)
