"""``GRU``: gated recurrent unit with Keras' gate order z (update), r (reset), h (candidate)."""

from __future__ import annotations

from kgraph.layers.rnn.gru_cell import GRUCell
from kgraph.layers.rnn.rnn import BaseRNN


class GRU(BaseRNN):
    """Gated recurrent unit layer: ``RNN`` of a ``GRUCell`` taking the cell's arguments
    (``activation="tanh"``, ``recurrent_activation="sigmoid"``, ``reset_after=True``...).

    Weights as Keras: ``kernel`` ``(features, 3 * units)``, ``recurrent_kernel``
    ``(units, 3 * units)``, blocks z, r, h. With ``reset_after=True`` (the default, cuDNN's
    convention) the reset gate multiplies ``h @ recurrent_kernel`` and ``bias`` is
    ``(2, 3 * units)`` (input bias, recurrent bias); with ``reset_after=False`` it multiplies
    ``h`` first and ``bias`` is ``(3 * units,)``. ``return_state`` adds ``h``. The time length
    may be ``None``, ``mask`` is Keras' and ``stateful`` is unsupported (see ``BaseRNN``);
    ``use_cudnn`` is accepted and ignored.
    """

    cell_class = GRUCell

    def __init__(self, units, use_cudnn="auto", **kwargs):
        super().__init__(units, **kwargs)
        self.use_cudnn = use_cudnn

    def get_config(self):
        return {**super().get_config(), "use_cudnn": self.use_cudnn}
