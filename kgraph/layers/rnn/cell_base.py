"""What every kgraph cell has: the cell arguments, the ``kernel`` / ``recurrent_kernel`` /
``bias`` weights, dropout masks drawn once per sequence, the config entries, and the protocol
``RNN`` drives (``zero_states``, ``sequence_masks``, ``masked_step``). SimpleRNN, LSTM and GRU
are ``RNN``s around these cells, so their weights live in ``layer.cell`` as in Keras."""

from __future__ import annotations

import numpy as np

from kgraph import activations, constraints, initializers, ops, random, regularizers
from kgraph.layers.layer import Layer
from kgraph.utils import argument_validation as av
from kgraph.utils import seeds


def _check_rate(name, value):
    """Keras clips a cell's dropout into [0, 1]; only a non-number is refused (TypeError)."""
    if isinstance(value, (str, bytes)) or not hasattr(value, "__float__"):
        raise TypeError(
            f"Invalid value received for argument `{name}`. Expected a float value "
            f"between 0 and 1. Received: {name}={value!r}"
        )
    return min(1.0, max(0.0, float(value)))


def zeros_state(sequences, units):
    """A ``(batch, units)`` zero tensor for a dynamic batch, without shape ops."""
    return ops.zeros_like(sequences[:, 0, :1]) + ops.zeros((units,), sequences.dtype)


class CellWeights:
    """Mixin: ``units`` wide gates (``gates`` of them), their weights and dropout masks.

    Subclasses implement ``step(x_t, states, rec_mask) -> (output, new_states)`` where
    ``x_t`` is already dropped out and ``rec_mask`` (or None) drops the recurrent input.
    """

    gates = 1
    state_count = 1

    def _set_cell_options(
        self,
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
    ):
        self.units = av.positive_count(
            units,
            "units",
            "Received an invalid value for argument `units`, expected a positive integer.",
        )
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

    @property
    def state_size(self):
        return self.units if self.state_count == 1 else [self.units] * self.state_count

    @property
    def output_size(self):
        return self.units

    def bias_shape(self):
        return (self.gates * self.units,)

    def bias_initial(self):
        """The bias initializer (LSTM's ``unit_forget_bias`` replaces it)."""
        return self.bias_initializer

    def _build_cell_weights(self, features):
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

    def initial_states(self, zeros):
        """The zero states, given one ``(batch, units)`` zero tensor."""
        return [zeros] * self.state_count

    def _dropout_mask(self, like, rate, training):
        if not training or rate <= 0:
            return None
        if rate >= 1:  # Keras' clipped dropout=1 drops every unit
            return ops.zeros_like(like)
        seed = int(self._generator.integers(0, 2**31 - 1))
        return random.dropout(ops.ones_like(like), rate, seed=seed)

    def dropout_masks(self, x_like, h_like, training):
        """The input and recurrent masks, drawn once per sequence and shared by every step
        (as Keras' ``DropoutRNNCell``); None where no dropout applies."""
        return (
            self._dropout_mask(x_like, self.dropout, training),
            self._dropout_mask(h_like, self.recurrent_dropout, training),
        )

    def zero_states(self, sequences):
        """The initial states for ``(batch, time, features)`` inputs."""
        return self.initial_states(zeros_state(sequences, self.units))

    def sequence_masks(self, x_like, states, training):
        return self.dropout_masks(x_like, states[0], training)

    def masked_step(self, x_t, states, masks):
        dp_mask, rec_mask = masks
        if dp_mask is not None:
            x_t = x_t * dp_mask
        return self.step(x_t, states, rec_mask)

    def step(self, x_t, states, rec_mask):
        raise NotImplementedError

    def inner(self, x_t, h, rec_mask):
        """``x_t @ kernel`` and ``h @ recurrent_kernel`` (h dropped by ``rec_mask``)."""
        if rec_mask is not None:
            h = h * rec_mask
        return ops.matmul(x_t, self.kernel), ops.matmul(h, self.recurrent_kernel)

    def _cell_config(self):
        return {
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
        }


class BaseCell(CellWeights, Layer):
    """A cell: one time step, ``call(inputs, states, training) -> (output, new_states)``.
    Called on its own, it draws fresh dropout masks each call; inside ``RNN`` the masks are
    drawn once per sequence."""

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
        kernel_constraint=None,
        recurrent_constraint=None,
        bias_constraint=None,
        dropout=0.0,
        recurrent_dropout=0.0,
        seed=None,
        **kwargs,
    ):
        super().__init__(**kwargs)
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

    def build(self, input_shape):
        self._build_cell_weights(input_shape[-1])
        self.built = True

    def call(self, inputs, states, training=False):
        states = list(states) if isinstance(states, (list, tuple)) else [states]
        masks = self.dropout_masks(inputs, states[0], training)
        return self.masked_step(inputs, states, masks)

    def get_config(self):
        return {**super().get_config(), **self._cell_config()}
