"""``StackedRNNCells``: cells run one after another within each time step."""

from __future__ import annotations

from kgraph.layers.layer import Layer


def serialize_layer(layer):
    """Keras 3's ``module`` / ``class_name`` / ``config`` dict of a nested layer."""
    return {
        "module": "keras.layers",
        "class_name": type(layer).__name__,
        "config": layer.get_config(),
    }


class StackedRNNCells(Layer):
    """Wraps a list of cells so ``RNN`` runs them as one: each step feeds a cell's output to the
    next; the states are one list per cell. Its weights are the cells', in order.

    Args:
        cells: A list of kgraph cells (``SimpleRNNCell``, ``LSTMCell``, ``GRUCell``).
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
        return self.cells[-1].output_size

    def build(self, input_shape):
        shape = tuple(input_shape)
        for cell in self.cells:
            if not cell.built:
                cell._build_for(shape)
            shape = (*shape[:-1], cell.output_size)
        self.built = True

    def zero_states(self, sequences):
        return [cell.zero_states(sequences) for cell in self.cells]

    def sequence_masks(self, x_like, states, training):
        masks = []
        for cell, cell_states in zip(self.cells, states):
            masks.append(cell.sequence_masks(x_like, cell_states, training))
            x_like = cell_states[0]  # the next cell's input is this cell's output
        return masks

    def masked_step(self, x_t, states, masks):
        new_states = []
        for cell, cell_states, cell_masks in zip(self.cells, states, masks):
            x_t, cell_states = cell.masked_step(x_t, list(cell_states), cell_masks)
            new_states.append(cell_states)
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
