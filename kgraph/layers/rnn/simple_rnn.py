"""``SimpleRNN``: ``h_t = activation(x_t @ kernel + h_{t-1} @ recurrent_kernel + bias)``."""

from __future__ import annotations

from kgraph.layers.rnn.base_rnn import BaseRNN
from kgraph.layers.rnn.simple_rnn_cell import SimpleRNNStep


class SimpleRNN(SimpleRNNStep, BaseRNN):
    """Fully-connected RNN whose output is fed back as the next step's state.

    Weights as Keras: ``kernel`` ``(features, units)``, ``recurrent_kernel`` ``(units, units)``,
    ``bias`` ``(units,)``. ``return_state`` adds the last state. The time length must be
    static, masks are not propagated and ``stateful`` is unsupported (see ``BaseRNN``).
    """
