"""``SimpleRNN``: ``h_t = activation(x_t @ kernel + h_{t-1} @ recurrent_kernel + bias)``."""

from __future__ import annotations

from kgraph.layers.rnn.rnn import BaseRNN
from kgraph.layers.rnn.simple_rnn_cell import SimpleRNNCell


class SimpleRNN(BaseRNN):
    """Fully-connected RNN whose output is fed back as the next step's state: ``RNN`` of a
    ``SimpleRNNCell`` taking the cell's arguments (``activation="tanh"``, ``use_bias``, the
    initializers/regularizers/constraints, ``dropout``, ``recurrent_dropout``, ``seed``).

    Weights as Keras: ``kernel`` ``(features, units)``, ``recurrent_kernel`` ``(units, units)``,
    ``bias`` ``(units,)``. ``return_state`` adds the last state. The time length may be
    ``None``, ``mask`` is Keras' and ``stateful`` is unsupported (see ``BaseRNN``).
    """

    cell_class = SimpleRNNCell
