"""``SimpleRNN``: ``h_t = activation(x_t @ kernel + h_{t-1} @ recurrent_kernel + bias)``."""

from __future__ import annotations

from kgraph.layers.rnn.base_rnn import BaseRNN


class SimpleRNN(BaseRNN):
    """Fully-connected RNN whose output is fed back as the next step's state.

    Weights as Keras: ``kernel`` ``(features, units)``, ``recurrent_kernel`` ``(units, units)``,
    ``bias`` ``(units,)``. ``return_state`` adds the last state. The time length must be
    static, masks are not propagated and ``stateful`` is unsupported (see ``BaseRNN``).
    """

    gates = 1

    def step(self, x_t, states, rec_mask):
        x, h = self.inner(x_t, states[0], rec_mask)
        z = x + h
        if self.bias is not None:
            z = z + self.bias
        out = self.activation(z)
        return out, [out]
