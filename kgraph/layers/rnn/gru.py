"""``GRU``: gated recurrent unit with Keras' gate order z (update), r (reset), h (candidate)."""

from __future__ import annotations

from kgraph import activations, ops
from kgraph.layers.rnn.base_rnn import BaseRNN


class GRU(BaseRNN):
    """Gated recurrent unit layer.

    Weights as Keras: ``kernel`` ``(features, 3 * units)``, ``recurrent_kernel``
    ``(units, 3 * units)``, blocks z, r, h. With ``reset_after=True`` (the default, cuDNN's
    convention) the reset gate multiplies ``h @ recurrent_kernel`` and ``bias`` is
    ``(2, 3 * units)`` (input bias, recurrent bias); with ``reset_after=False`` it multiplies
    ``h`` first and ``bias`` is ``(3 * units,)``. ``return_state`` adds ``h``. The time length
    must be static, masks are not propagated and ``stateful`` is unsupported (see ``BaseRNN``).
    """

    gates = 3

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
        self.recurrent_activation = activations.get(recurrent_activation)
        self.reset_after = bool(reset_after)
        self.use_cudnn = use_cudnn

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

    def get_config(self):
        return {
            **super().get_config(),
            "recurrent_activation": activations.serialize(self.recurrent_activation),
            "reset_after": self.reset_after,
            "use_cudnn": self.use_cudnn,
        }
