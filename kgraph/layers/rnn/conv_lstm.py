"""``ConvLSTM``: the rank-generic convolutional LSTM layer behind ConvLSTM1D, ConvLSTM2D and
ConvLSTM3D, an ``RNN`` around a ``ConvLSTMCell`` (weights in ``layer.cell`` as in Keras)."""

from __future__ import annotations

from kgraph import ops, regularizers
from kgraph.layers.convolutional import conv_utils
from kgraph.layers.input_spec import InputSpec
from kgraph.layers.rnn import time_loop
from kgraph.layers.rnn.conv_lstm_cell import ConvLSTMCell
from kgraph.layers.rnn.rnn import RNN
from kgraph.utils import tree

_LAYER_KEYS = ("trainable", "name", "dtype", "input_shape", "zero_output_for_mask")


class ConvLSTM(RNN):
    """A convolutional LSTM over ``(batch, time, *spatial, channels)`` inputs (channels_last)
    or ``(batch, time, channels, *spatial)`` (channels_first); the time length may be None,
    the spatial sizes must be known (as Keras).

    It runs on the same time loop as ``LSTM`` (``time_loop``: one ONNX Scan while tracing,
    differentiated by ``compiler.autodiff``), so it trains. The sequence goes channels_last once
    before the loop; inside the loop the states travel flattened to ``(batch, size)``, so a
    Keras ``(batch, time)`` mask keeps states and repeats outputs as for ``LSTM``.

    Arguments are Keras' (``filters``, ``kernel_size``, ``strides``, ``padding``,
    ``data_format``, ``dilation_rate``, activations, initializers, regularizers, constraints,
    ``dropout``, ``recurrent_dropout``, ``seed``, ``return_sequences``, ``return_state``,
    ``go_backwards``). Differences from Keras: ``stateful=True`` is not supported (a compiled
    graph keeps no state between batches); ``unroll`` is accepted and has no effect
    (``time_loop`` picks the loop).
    """

    def __init__(
        self,
        rank,
        filters,
        kernel_size,
        strides=1,
        padding="valid",
        data_format=None,
        dilation_rate=1,
        activation="tanh",
        recurrent_activation="sigmoid",
        use_bias=True,
        kernel_initializer="glorot_uniform",
        recurrent_initializer="orthogonal",
        bias_initializer="zeros",
        unit_forget_bias=True,
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
        **kwargs,
    ):
        layer_kwargs = {k: kwargs.pop(k) for k in _LAYER_KEYS if k in kwargs}
        cell = ConvLSTMCell(
            rank,
            filters,
            kernel_size,
            strides=strides,
            padding=padding,
            data_format=data_format,
            dilation_rate=dilation_rate,
            activation=activation,
            recurrent_activation=recurrent_activation,
            use_bias=use_bias,
            kernel_initializer=kernel_initializer,
            recurrent_initializer=recurrent_initializer,
            bias_initializer=bias_initializer,
            unit_forget_bias=unit_forget_bias,
            kernel_regularizer=kernel_regularizer,
            recurrent_regularizer=recurrent_regularizer,
            bias_regularizer=bias_regularizer,
            kernel_constraint=kernel_constraint,
            recurrent_constraint=recurrent_constraint,
            bias_constraint=bias_constraint,
            dropout=dropout,
            recurrent_dropout=recurrent_dropout,
            seed=seed,
            name="conv_lstm_cell",
            dtype=layer_kwargs.get("dtype"),
        )
        super().__init__(
            cell,
            return_sequences=return_sequences,
            return_state=return_state,
            go_backwards=go_backwards,
            stateful=stateful,
            unroll=unroll,
            activity_regularizer=activity_regularizer,
            **layer_kwargs,
            **kwargs,
        )
        self.rank = rank
        self.input_spec = InputSpec(ndim=rank + 3)

    def __getattr__(self, name):
        """The cell's arguments (``filters``, ``kernel_size``...) read through the layer."""
        cell = self.__dict__.get("cell")
        if cell is None or name.startswith("__"):
            raise AttributeError(name)
        return getattr(cell, name)

    def build(self, input_shape):
        if not self.cell.built:
            self.cell._build_for((input_shape[0], *input_shape[2:]))
        self.built = True

    def call(self, sequences, initial_state=None, mask=None, training=False):
        """The cell over the time axis by ``time_loop.run``, channels_last and flat states."""
        fmt = self.cell.data_format
        if fmt == "channels_first":
            rank = self.rank + 3
            sequences = ops.transpose(sequences, (0, 1, *range(3, rank), 2))
        states = self.cell.zero_states(sequences)
        if initial_state is not None:
            states = [self._flat_state(s) for s in tree.flatten(initial_state)]
        masks = self.cell.sequence_masks(sequences[:, 0], states, training)
        result, states = time_loop.run(
            lambda x_t, s: self.cell.masked_step(x_t, s, masks),
            sequences,
            states,
            self.go_backwards,
            self.return_sequences,
            mask,
            self.zero_output_for_mask,
        )
        lead = (-1, None) if self.return_sequences else (-1,)
        result = self._unflatten(result, lead)
        if not self.return_state:
            return result
        return [result, *(self._unflatten(s, (-1,)) for s in states)]

    def _flat_state(self, state):
        state = conv_utils.to_channels_last(state, self.cell.data_format)
        return ops.reshape(state, (-1, self.cell.state_size[0]))

    def _unflatten(self, flat, lead):
        """A flat state or output sequence back to ``data_format`` (time stays on axis 1)."""
        out = ops.reshape(flat, (*lead, *self.cell.state_shape))
        if self.cell.data_format == "channels_last":
            return out
        first = len(lead)  # the channels go right after the batch (and time) axes
        rank = len(out.shape)
        return ops.transpose(out, (*range(first), rank - 1, *range(first, rank - 1)))

    def compute_output_shape(self, sequences_shape, initial_state_shape=None):
        batch, steps = sequences_shape[0], sequences_shape[1]
        state = self.cell.compute_output_shape((batch, *sequences_shape[2:]))[0]
        output = (batch, steps, *state[1:]) if self.return_sequences else state
        return (output, state, state) if self.return_state else output

    def compute_mask(self, inputs, mask=None):
        if isinstance(mask, (list, tuple)):
            mask = mask[0] if mask else None
        output_mask = mask if self.return_sequences else None
        return [output_mask, None, None] if self.return_state else output_mask

    def get_config(self):
        config = super().get_config()
        del config["cell"]
        cell_config = self.cell.get_config()
        for key in ("name", "trainable", "dtype"):
            cell_config.pop(key, None)
        config.update(cell_config)
        config["activity_regularizer"] = regularizers.serialize(self.activity_regularizer)
        return config

    @classmethod
    def from_config(cls, config, custom_objects=None):
        return cls(**config)
