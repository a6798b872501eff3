"""``LSTMCell``: one long short-term memory step, Keras' gate order i, f, c, o; ``LSTM`` runs
it over a sequence."""

from __future__ import annotations

import numpy as np

from kgraph import activations, initializers
from kgraph.layers.rnn.cell_base import BaseCell


class _UnitForgetBias(initializers.Initializer):
    """The bias initializer on the i and c, o blocks and ones on the forget block, so the cell
    starts by remembering (Keras' ``unit_forget_bias``)."""

    def __init__(self, inner, units):
        self.inner, self.units = inner, units

    def __call__(self, shape, dtype="float32"):
        u = self.units
        parts = [self.inner((u,), dtype), np.ones((u,), dtype), self.inner((2 * u,), dtype)]
        return np.concatenate([np.asarray(p) for p in parts]).astype(dtype)


class LSTMStep:
    """The LSTM gates and their two extra options, apart from the cell plumbing."""

    gates = 4
    state_count = 2

    def _set_lstm_options(self, recurrent_activation, unit_forget_bias):
        self.recurrent_activation = activations.get(recurrent_activation)
        self.unit_forget_bias = bool(unit_forget_bias)

    def bias_initial(self):
        if self.unit_forget_bias:
            return _UnitForgetBias(self.bias_initializer, self.units)
        return self.bias_initializer

    def step(self, x_t, states, rec_mask):
        h_prev, c_prev = states
        x, h = self.inner(x_t, h_prev, rec_mask)
        z = x + h
        if self.bias is not None:
            z = z + self.bias
        u = self.units
        i = self.recurrent_activation(z[:, :u])
        f = self.recurrent_activation(z[:, u : 2 * u])
        c = f * c_prev + i * self.activation(z[:, 2 * u : 3 * u])
        o = self.recurrent_activation(z[:, 3 * u :])
        out = o * self.activation(c)
        return out, [out, c]

    def _lstm_config(self):
        return {
            "recurrent_activation": activations.serialize(self.recurrent_activation),
            "unit_forget_bias": self.unit_forget_bias,
        }


class LSTMCell(LSTMStep, BaseCell):
    """Cell of ``LSTM``: weights ``kernel`` ``(features, 4 * units)``, ``recurrent_kernel``
    ``(units, 4 * units)``, ``bias`` ``(4 * units,)``; ``call(inputs, [h, c])`` returns
    ``(h, [h, c])``."""

    def __init__(
        self,
        units,
        activation="tanh",
        recurrent_activation="sigmoid",
        use_bias=True,
        unit_forget_bias=True,
        **kwargs,
    ):
        # Keras 2's matmul layout choice: Keras 3 takes it (same numbers) and leaves it out
        # of the config
        implementation = kwargs.pop("implementation", 2)
        super().__init__(units, activation=activation, use_bias=use_bias, **kwargs)
        self._set_lstm_options(recurrent_activation, unit_forget_bias)
        self.implementation = implementation

    def get_config(self):
        return {**super().get_config(), **self._lstm_config()}
