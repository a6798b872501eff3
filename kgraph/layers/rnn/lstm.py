"""``LSTM``: long short-term memory with Keras' gate order i, f, c, o."""

from __future__ import annotations

from kgraph.layers.rnn.base_rnn import BaseRNN
from kgraph.layers.rnn.lstm_cell import LSTMStep


class LSTM(LSTMStep, BaseRNN):
    """Long short-term memory layer.

    Weights as Keras: ``kernel`` ``(features, 4 * units)``, ``recurrent_kernel``
    ``(units, 4 * units)``, ``bias`` ``(4 * units,)``, blocks in the order input, forget, cell,
    output. ``return_state`` adds ``[h, c]``. The time length must be static, masks are not
    propagated and ``stateful`` is unsupported (see ``BaseRNN``); ``use_cudnn`` is accepted
    and ignored.
    """

    def __init__(
        self,
        units,
        activation="tanh",
        recurrent_activation="sigmoid",
        use_bias=True,
        unit_forget_bias=True,
        use_cudnn="auto",
        **kwargs,
    ):
        super().__init__(units, activation=activation, use_bias=use_bias, **kwargs)
        self._set_lstm_options(recurrent_activation, unit_forget_bias)
        self.use_cudnn = use_cudnn

    def get_config(self):
        return {**super().get_config(), **self._lstm_config(), "use_cudnn": self.use_cudnn}
