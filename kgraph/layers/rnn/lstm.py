"""``LSTM``: long short-term memory with Keras' gate order i, f, c, o."""

from __future__ import annotations

from kgraph.layers.rnn.lstm_cell import LSTMCell
from kgraph.layers.rnn.rnn import BaseRNN


class LSTM(BaseRNN):
    """Long short-term memory layer: ``RNN`` of an ``LSTMCell`` taking the cell's arguments
    (``activation="tanh"``, ``recurrent_activation="sigmoid"``, ``unit_forget_bias=True``...).

    Weights as Keras: ``kernel`` ``(features, 4 * units)``, ``recurrent_kernel``
    ``(units, 4 * units)``, ``bias`` ``(4 * units,)``, blocks in the order input, forget, cell,
    output. ``return_state`` adds ``[h, c]``. The time length may be ``None``, ``mask`` is
    Keras' and ``stateful`` is unsupported (see ``BaseRNN``); ``use_cudnn`` is accepted
    and ignored.
    """

    cell_class = LSTMCell

    def __init__(self, units, use_cudnn="auto", **kwargs):
        super().__init__(units, **kwargs)
        self.use_cudnn = use_cudnn

    def get_config(self):
        return {**super().get_config(), "use_cudnn": self.use_cudnn}
