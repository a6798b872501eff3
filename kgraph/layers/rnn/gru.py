"""``GRU``: gated recurrent unit with Keras' gate order z (update), r (reset), h (candidate)."""

from __future__ import annotations

from kgraph.layers.rnn.base_rnn import BaseRNN
from kgraph.layers.rnn.gru_cell import GRUStep


class GRU(GRUStep, BaseRNN):
    """Gated recurrent unit layer.

    Weights as Keras: ``kernel`` ``(features, 3 * units)``, ``recurrent_kernel``
    ``(units, 3 * units)``, blocks z, r, h. With ``reset_after=True`` (the default, cuDNN's
    convention) the reset gate multiplies ``h @ recurrent_kernel`` and ``bias`` is
    ``(2, 3 * units)`` (input bias, recurrent bias); with ``reset_after=False`` it multiplies
    ``h`` first and ``bias`` is ``(3 * units,)``. ``return_state`` adds ``h``. The time length
    must be static, masks are not propagated and ``stateful`` is unsupported (see ``BaseRNN``);
    ``use_cudnn`` is accepted and ignored.
    """

    def __init__(
        self,
        units,
        activation="tanh",
        recurrent_activation="sigmoid",
        use_bias=True,
        reset_after=True,
        use_cudnn="auto",
        **kwargs,
    ):
        super().__init__(units, activation=activation, use_bias=use_bias, **kwargs)
        self._set_gru_options(recurrent_activation, reset_after)
        self.use_cudnn = use_cudnn

    def get_config(self):
        return {**super().get_config(), **self._gru_config(), "use_cudnn": self.use_cudnn}
