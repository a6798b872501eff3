"""``SimpleRNNCell``: one step ``h_t = activation(x_t @ kernel + h_{t-1} @ recurrent_kernel
+ bias)``; ``SimpleRNN`` runs it over a sequence."""

from __future__ import annotations

from kgraph.layers.rnn.cell_base import BaseCell


class SimpleRNNStep:
    """The SimpleRNN step (a mixin, so the gates read apart from the cell plumbing)."""

    gates = 1
    state_count = 1

    def step(self, x_t, states, rec_mask):
        x, h = self.inner(x_t, states[0], rec_mask)
        z = x + h
        if self.bias is not None:
            z = z + self.bias
        out = self.activation(z)
        return out, [out]


class SimpleRNNCell(SimpleRNNStep, BaseCell):
    """Cell of ``SimpleRNN``: weights ``kernel`` ``(features, units)``, ``recurrent_kernel``
    ``(units, units)``, ``bias`` ``(units,)``; ``call(inputs, states)`` returns
    ``(output, [output])``."""
