"""``GRUCell``: one gated-recurrent-unit step, Keras' gate order z (update), r (reset),
h (candidate); ``GRU`` is an ``RNN`` of it."""

from __future__ import annotations

from kgraph import activations, ops
from kgraph.layers.rnn.cell_base import BaseCell


class GRUStep:
    """The GRU gates and their two extra options, apart from the cell plumbing."""

    gates = 3
    state_count = 1

    def _set_gru_options(self, recurrent_activation, reset_after):
        self.recurrent_activation = activations.get(recurrent_activation)
        self.reset_after = bool(reset_after)

    def bias_shape(self):
        return (2, 3 * self.units) if self.reset_after else (3 * self.units,)

    def step(self, x_t, states, rec_mask):
        h_prev = states[0]
        u = self.units
        h_in = h_prev if rec_mask is None else h_prev * rec_mask
        x = ops.matmul(x_t, self.kernel)
        if self.reset_after:
            inner = ops.matmul(h_in, self.recurrent_kernel)
            if self.bias is not None:
                x, inner = x + self.bias[0], inner + self.bias[1]
        else:
            inner = ops.matmul(h_in, self.recurrent_kernel[:, : 2 * u])
            if self.bias is not None:
                x = x + self.bias
        z = self.recurrent_activation(x[:, :u] + inner[:, :u])
        r = self.recurrent_activation(x[:, u : 2 * u] + inner[:, u : 2 * u])
        if self.reset_after:
            candidate = x[:, 2 * u :] + r * inner[:, 2 * u :]
        else:
            candidate = x[:, 2 * u :] + ops.matmul(r * h_in, self.recurrent_kernel[:, 2 * u :])
        hh = self.activation(candidate)
        out = z * h_prev + (1.0 - z) * hh
        return out, [out]

    def _gru_config(self):
        return {
            "recurrent_activation": activations.serialize(self.recurrent_activation),
            "reset_after": self.reset_after,
        }


class GRUCell(GRUStep, BaseCell):
    """Cell of ``GRU``: weights ``kernel`` ``(features, 3 * units)``, ``recurrent_kernel``
    ``(units, 3 * units)``, ``bias`` ``(2, 3 * units)`` with ``reset_after`` (else
    ``(3 * units,)``); ``call(inputs, [h])`` returns ``(h, [h])``."""

    def __init__(
        self,
        units,
        activation="tanh",
        recurrent_activation="sigmoid",
        use_bias=True,
        reset_after=True,
        **kwargs,
    ):
        # Keras 2's matmul layout choice: Keras 3 takes it (same numbers) and leaves it out
        # of the config
        implementation = kwargs.pop("implementation", 2)
        super().__init__(units, activation=activation, use_bias=use_bias, **kwargs)
        self._set_gru_options(recurrent_activation, reset_after)
        self.implementation = implementation

    def get_config(self):
        return {**super().get_config(), **self._gru_config()}
