"""The shared part of SimpleRNN, LSTM and GRU: arguments, weights, dropout masks and the time loop.

ONNX has Loop/Scan, but kgraph's autodiff differentiates plain ops only, so the loop is unrolled
over a static number of time steps: each step slices ``inputs[:, t, :]`` and applies the
subclass's ``step`` (matmuls and activations), and the existing gradient rules differentiate
the unrolled graph. The time axis must therefore be known when the layer is called.
"""

from __future__ import annotations

import numpy as np

from kgraph import activations, constraints, initializers, ops, random, regularizers
from kgraph.layers.input_spec import InputSpec
from kgraph.layers.layer import Layer
from kgraph.utils import seeds


def _check_rate(name, value):
    if not isinstance(value, (int, float)) or isinstance(value, bool) or not 0 <= value <= 1:
        raise ValueError(
            f"Invalid value received for argument `{name}`. Expected a float value "
            f"between 0 and 1. Received: {name}={value}"
        )
    return float(value)


class BaseRNN(Layer):
    """A recurrent layer over ``(batch, time, features)`` inputs; subclasses give the gates.

    Subclasses set ``gates`` (how many ``units``-wide blocks the kernels hold), may override
    ``bias_shape``/``bias_initial`` and ``initial_states``, and implement
    ``step(x_t, states, rec_mask) -> (output, new_states)``.

    Differences from Keras: the time length must be static (the loop is unrolled); masks are
    not propagated in kgraph (passing ``mask`` raises); ``stateful=True`` is not supported;
    ``unroll`` is accepted and has no effect (the loop is always unrolled).
    """

    gates = 1

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
        if not isinstance(units, int) or isinstance(units, bool) or units <= 0:
            raise ValueError(
                f"Received an invalid value for argument `units`, expected a positive "
                f"integer. Received: units={units}"
            )
        if stateful:
            raise ValueError(
                f"{type(self).__name__} in kgraph does not support stateful=True (a compiled "
                f"graph keeps no state between batches). Received: stateful={stateful}"
            )
        self.units = units
        self.activation = activations.get(activation)
        self.use_bias = use_bias
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.recurrent_initializer = initializers.get(recurrent_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.recurrent_regularizer = regularizers.get(recurrent_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.recurrent_constraint = constraints.get(recurrent_constraint)
        self.bias_constraint = constraints.get(bias_constraint)
        self.dropout = _check_rate("dropout", dropout)
        self.recurrent_dropout = _check_rate("recurrent_dropout", recurrent_dropout)
        self.seed = seed
        self._generator = np.random.default_rng(seed if seed is not None else seeds.make_seed())
        self.return_sequences = bool(return_sequences)
        self.return_state = bool(return_state)
        self.go_backwards = bool(go_backwards)
        self.stateful = False
        self.unroll = bool(unroll)
        self.zero_output_for_mask = bool(zero_output_for_mask)  # kept for configs; no masks
        self.input_spec = InputSpec(ndim=3)

    # -- weights -------------------------------------------------------------------------------
    def bias_shape(self):
        return (self.gates * self.units,)

    def bias_initial(self):
        """The bias initializer (LSTM's ``unit_forget_bias`` replaces it)."""
        return self.bias_initializer

    def build(self, input_shape):
        features = input_shape[-1]
        if features is None:
            raise ValueError("the last axis (features) of the input must be known.")
        width = self.gates * self.units
        self.kernel = self.add_weight(
            shape=(features, width),
            initializer=self.kernel_initializer,
            name="kernel",
            regularizer=self.kernel_regularizer,
            constraint=self.kernel_constraint,
        )
        self.recurrent_kernel = self.add_weight(
            shape=(self.units, width),
            initializer=self.recurrent_initializer,
            name="recurrent_kernel",
            regularizer=self.recurrent_regularizer,
            constraint=self.recurrent_constraint,
        )
        self.bias = None
        if self.use_bias:
            self.bias = self.add_weight(
                shape=self.bias_shape(),
                initializer=self.bias_initial(),
                name="bias",
                regularizer=self.bias_regularizer,
                constraint=self.bias_constraint,
            )
        self.input_spec = InputSpec(ndim=3, axes={-1: features})
        self.built = True

    # -- the loop ------------------------------------------------------------------------------
    def initial_states(self, zeros):
        """The zero states, given one ``(batch, units)`` zero tensor."""
        return [zeros]

    def _dropout_mask(self, like, rate, training):
        """One mask per call, shared by every time step (as Keras' ``DropoutRNNCell``)."""
        if not training or rate <= 0:
            return None
        seed = int(self._generator.integers(0, 2**31 - 1))
        return random.dropout(ops.ones_like(like), rate, seed=seed)

    def call(self, sequences, initial_state=None, mask=None, training=False):
        if mask is not None:
            raise ValueError(f"masks are not propagated in kgraph. Received: mask={mask!r}")
        steps = sequences.shape[1]
        if steps is None:
            raise ValueError(
                "the time length must be static: kgraph unrolls recurrent layers over a known "
                f"number of time steps. Received: input shape {tuple(sequences.shape)}"
            )
        zeros = ops.zeros_like(sequences[:, 0, :1]) + ops.zeros((self.units,), sequences.dtype)
        if initial_state is None:
            states = self.initial_states(zeros)
        else:
            states = (
                list(initial_state) if isinstance(initial_state, (list, tuple)) else [initial_state]
            )
        dp_mask = self._dropout_mask(sequences[:, 0, :], self.dropout, training)
        rec_mask = self._dropout_mask(zeros, self.recurrent_dropout, training)
        order = range(steps - 1, -1, -1) if self.go_backwards else range(steps)
        outputs = []
        for t in order:
            x_t = sequences[:, t, :]
            if dp_mask is not None:
                x_t = x_t * dp_mask
            output, states = self.step(x_t, states, rec_mask)
            outputs.append(output)
        result = ops.stack(outputs, axis=1) if self.return_sequences else outputs[-1]
        return [result, *states] if self.return_state else result

    def step(self, x_t, states, rec_mask):
        raise NotImplementedError

    def inner(self, x_t, h, rec_mask):
        """``x_t @ kernel`` and ``h @ recurrent_kernel`` (h dropped by ``rec_mask``)."""
        if rec_mask is not None:
            h = h * rec_mask
        return ops.matmul(x_t, self.kernel), ops.matmul(h, self.recurrent_kernel)

    def get_config(self):
        return {
            **super().get_config(),
            "units": self.units,
            "activation": activations.serialize(self.activation),
            "use_bias": self.use_bias,
            "kernel_initializer": initializers.serialize(self.kernel_initializer),
            "recurrent_initializer": initializers.serialize(self.recurrent_initializer),
            "bias_initializer": initializers.serialize(self.bias_initializer),
            "kernel_regularizer": regularizers.serialize(self.kernel_regularizer),
            "recurrent_regularizer": regularizers.serialize(self.recurrent_regularizer),
            "bias_regularizer": regularizers.serialize(self.bias_regularizer),
            "kernel_constraint": constraints.serialize(self.kernel_constraint),
            "recurrent_constraint": constraints.serialize(self.recurrent_constraint),
            "bias_constraint": constraints.serialize(self.bias_constraint),
            "dropout": self.dropout,
            "recurrent_dropout": self.recurrent_dropout,
            "seed": self.seed,
            "return_sequences": self.return_sequences,
            "return_state": self.return_state,
            "go_backwards": self.go_backwards,
            "stateful": self.stateful,
            "unroll": self.unroll,
            "zero_output_for_mask": self.zero_output_for_mask,
        }
