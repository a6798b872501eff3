"""The shared part of SimpleRNN, LSTM and GRU: sequence arguments and the unrolled time loop.

ONNX has Loop/Scan, but kgraph's autodiff differentiates plain ops only, so the loop is unrolled
over a static number of time steps: each step slices ``inputs[:, t, :]`` and applies the cell's
``step`` (matmuls and activations), and the existing gradient rules differentiate the unrolled
graph. The time axis must therefore be known when the layer is called.
"""

from __future__ import annotations

from kgraph import ops
from kgraph.layers.input_spec import InputSpec
from kgraph.layers.layer import Layer
from kgraph.layers.rnn.cell_base import CellWeights, zeros_state


def static_steps(sequences):
    """The time length of ``(batch, time, features)`` inputs; one clear error when unknown."""
    steps = sequences.shape[1]
    if steps is None:
        raise ValueError(
            "the time length must be static: kgraph unrolls recurrent layers over a known "
            f"number of time steps. Received: input shape {tuple(sequences.shape)}"
        )
    return steps


def check_no_mask(mask):
    if mask is not None:
        raise ValueError(f"masks are not propagated in kgraph. Received: mask={mask!r}")


def unroll(step, sequences, states, go_backwards, return_sequences):
    """Runs ``step(x_t, states) -> (output, states)`` over the static time axis."""
    steps = static_steps(sequences)
    order = range(steps - 1, -1, -1) if go_backwards else range(steps)
    outputs = []
    for t in order:
        output, states = step(sequences[:, t, :], states)
        outputs.append(output)
    result = ops.stack(outputs, axis=1) if return_sequences else outputs[-1]
    return result, states


class BaseRNN(CellWeights, Layer):
    """A recurrent layer over ``(batch, time, features)`` inputs; subclasses give the gates
    (``step``, from the matching cell's step mixin).

    Differences from Keras: the time length must be static (the loop is unrolled); masks are
    not propagated in kgraph (passing ``mask`` raises); ``stateful=True`` is not supported;
    ``unroll`` is accepted and has no effect (the loop is always unrolled).
    """

    def __init__(
        self,
        units,
        activation="tanh",
        use_bias=True,
        kernel_initializer="glorot_uniform",
        recurrent_initializer="orthogonal",
        bias_initializer="zeros",
        kernel_regularizer=None,
        recurrent_regularizer=None,
        bias_regularizer=None,
        activity_regularizer=None,
        kernel_constraint=None,
        recurrent_constraint=None,
        bias_constraint=None,
        dropout=0.0,
        recurrent_dropout=0.0,
        seed=None,
        return_sequences=False,
        return_state=False,
        go_backwards=False,
        stateful=False,
        unroll=False,
        zero_output_for_mask=False,
        **kwargs,
    ):
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        self._set_cell_options(
            units,
            activation,
            use_bias,
            kernel_initializer,
            recurrent_initializer,
            bias_initializer,
            kernel_regularizer,
            recurrent_regularizer,
            bias_regularizer,
            kernel_constraint,
            recurrent_constraint,
            bias_constraint,
            dropout,
            recurrent_dropout,
            seed,
        )
        if stateful:
            raise ValueError(
                f"{type(self).__name__} in kgraph does not support stateful=True (a compiled "
                f"graph keeps no state between batches). Received: stateful={stateful}"
            )
        self.return_sequences = bool(return_sequences)
        self.return_state = bool(return_state)
        self.go_backwards = bool(go_backwards)
        self.stateful = False
        self.unroll = bool(unroll)
        self.zero_output_for_mask = bool(zero_output_for_mask)  # kept for configs; no masks
        self.input_spec = InputSpec(ndim=3)

    def build(self, input_shape):
        self._build_cell_weights(input_shape[-1])
        self.input_spec = InputSpec(ndim=3, axes={-1: input_shape[-1]})
        self.built = True

    def call(self, sequences, initial_state=None, mask=None, training=False):
        check_no_mask(mask)
        static_steps(sequences)
        zeros = zeros_state(sequences, self.units)
        if initial_state is None:
            states = self.initial_states(zeros)
        elif isinstance(initial_state, (list, tuple)):
            states = list(initial_state)
        else:
            states = [initial_state]
        masks = self.dropout_masks(sequences[:, 0, :], zeros, training)
        result, states = unroll(
            lambda x_t, s: self.masked_step(x_t, s, masks),
            sequences,
            states,
            self.go_backwards,
            self.return_sequences,
        )
        return [result, *states] if self.return_state else result

    def get_config(self):
        return {
            **super().get_config(),
            **self._cell_config(),
            "return_sequences": self.return_sequences,
            "return_state": self.return_state,
            "go_backwards": self.go_backwards,
            "stateful": self.stateful,
            "unroll": self.unroll,
            "zero_output_for_mask": self.zero_output_for_mask,
        }
