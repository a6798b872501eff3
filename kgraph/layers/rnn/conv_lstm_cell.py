"""``ConvLSTMCell``: one convolutional LSTM step (Keras' gate order i, f, c, o), rank-generic;
``ConvLSTM`` runs it over a sequence through the same time loop as kgraph's other RNNs."""

from __future__ import annotations

import numpy as np

from kgraph import activations, constraints, initializers, ops, random, regularizers
from kgraph.layers.convolutional import conv_utils
from kgraph.layers.layer import Layer
from kgraph.layers.rnn.lstm_cell import _UnitForgetBias
from kgraph.utils import argument_validation as av
from kgraph.utils import seeds

GATES = 4


class ConvLSTMCell(Layer):
    """One ConvLSTM step: the four gates are convolutions of the input (``strides``,
    ``padding``, ``dilation_rate`` as given) plus convolutions of the previous output (stride 1,
    ``"same"``, no dilation, as in Keras), so the state has the input convolution's output
    shape.

    Weights as Keras: ``kernel`` ``(*kernel_size, channels, 4 * filters)``,
    ``recurrent_kernel`` ``(*kernel_size, filters, 4 * filters)``, ``bias`` ``(4 * filters,)``.
    Dropout draws four masks per sequence (one per gate) for the input and four for the
    previous output, as Keras' cell does (``dropout_mask_count = 4``).

    Inside ``ConvLSTM`` the step works channels_last on flattened ``(batch, size)`` states, so
    the time loop's Keras mask rules apply unchanged; ``call`` is Keras' cell contract on
    ``data_format`` tensors.
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
        kernel_constraint=None,
        recurrent_constraint=None,
        bias_constraint=None,
        dropout=0.0,
        recurrent_dropout=0.0,
        seed=None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        if rank > 3:
            raise ValueError(
                f"Rank {rank} convolutions are not currently implemented. Received: rank={rank}"
            )
        self.rank = rank
        self.filters = conv_utils.positive_int(filters, "filters")
        self.kernel_size = av.standardize_tuple(kernel_size, rank, "kernel_size")
        self.strides = av.standardize_tuple(strides, rank, "strides", allow_zero=True)
        self.padding = av.standardize_padding(padding)
        self.data_format = av.standardize_data_format(data_format)
        self.dilation_rate = av.standardize_tuple(dilation_rate, rank, "dilation_rate")
        if max(self.strides) > 1 and max(self.dilation_rate) > 1:
            raise ValueError(
                "Specifying `strides > 1` is not compatible with `dilation_rate > 1`. Please "
                "provide `strides=1` or `dilation_rate=1`. Received: "
                f"strides={self.strides} and dilation_rate={self.dilation_rate}"
            )
        self.activation = activations.get(activation)
        self.recurrent_activation = activations.get(recurrent_activation)
        self.use_bias = use_bias
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.recurrent_initializer = initializers.get(recurrent_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.unit_forget_bias = unit_forget_bias
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.recurrent_regularizer = regularizers.get(recurrent_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.recurrent_constraint = constraints.get(recurrent_constraint)
        self.bias_constraint = constraints.get(bias_constraint)
        self.dropout = min(1.0, max(0.0, dropout))  # Keras clips the rates
        self.recurrent_dropout = min(1.0, max(0.0, recurrent_dropout))
        self.seed = seed
        self._generator = np.random.default_rng(seed if seed is not None else seeds.make_seed())

    def build(self, input_shape):
        """``input_shape`` is one step's ``(batch, *spatial, channels)`` in ``data_format``."""
        _, spatial, channels = conv_utils.split_shape(input_shape, self.rank, self.data_format)
        if None in spatial:
            raise ValueError(
                "ConvLSTM layers only support static input shapes for the spatial dimension. "
                f"Received invalid input shape: input_shape={tuple(input_shape)}"
            )
        if channels is None:
            raise ValueError(
                "The channel dimension of the inputs (last axis) should be defined. Found "
                f"None. Full input shape received: input_shape={tuple(input_shape)}"
            )
        self.spatial_dims, self.input_dim = tuple(spatial), channels
        self.state_spatial = conv_utils.window_output(
            spatial, self.kernel_size, self.strides, self.padding, self.dilation_rate, input_shape
        )
        width = GATES * self.filters
        self.kernel = self._weight("kernel", (*self.kernel_size, channels, width))
        self.recurrent_kernel = self._weight(
            "recurrent_kernel", (*self.kernel_size, self.filters, width)
        )
        self.bias = None
        if self.use_bias:
            init = self.bias_initializer
            if self.unit_forget_bias:
                init = _UnitForgetBias(self.bias_initializer, self.filters)
            self.bias = self.add_weight(
                shape=(width,),
                initializer=init,
                name="bias",
                regularizer=self.bias_regularizer,
                constraint=self.bias_constraint,
            )
        self.built = True

    def _weight(self, name, shape):
        prefix = "kernel" if name == "kernel" else "recurrent"
        return self.add_weight(
            shape=shape,
            initializer=getattr(self, f"{prefix}_initializer"),
            name=name,
            regularizer=getattr(self, f"{prefix}_regularizer"),
            constraint=getattr(self, f"{prefix}_constraint"),
        )

    @property
    def state_shape(self) -> tuple:
        """One state without the batch axis, channels_last."""
        return (*self.state_spatial, self.filters)

    @property
    def state_size(self):
        size = int(np.prod(self.state_shape))
        return [size, size]

    def zero_states(self, sequences):
        """Two flat ``(batch, size)`` zero states for channels_last ``sequences``."""
        corner = sequences[(slice(None), 0) + (slice(0, 1),) * (self.rank + 1)]
        flat = ops.reshape(ops.zeros_like(corner), (-1, 1))
        zeros = flat + ops.zeros((self.state_size[0],), sequences.dtype)
        return [zeros, zeros]

    def _masks(self, like, rate, training):
        if not training or not 0.0 < rate < 1.0:
            return None
        ones = ops.ones_like(like)
        draws = self._generator.integers(0, 2**31 - 1, GATES)
        return [random.dropout(ones, rate, seed=int(s)) for s in draws]

    def sequence_masks(self, x_like, states, training):
        """Four input and four recurrent dropout masks, drawn once per sequence (channels_last
        ``x_like``; the recurrent ones shaped as the unflattened state)."""
        h = ops.reshape(states[0], (-1, *self.state_shape))
        return self._masks(x_like, self.dropout, training), self._masks(
            h, self.recurrent_dropout, training
        )

    def masked_step(self, x_t, states, masks):
        """One step on channels_last ``x_t`` and flat states: ``(h_flat, [h_flat, c_flat])``."""
        h, c = (ops.reshape(s, (-1, *self.state_shape)) for s in states)
        h, c = self.step(x_t, h, c, masks)
        flat = [ops.reshape(s, (-1, self.state_size[0])) for s in (h, c)]
        return flat[0], flat

    def step(self, x_t, h, c, masks):
        """The gates on channels_last ``x_t``, ``h``, ``c``; masks as ``sequence_masks``."""
        dp_mask, rec_mask = masks
        x_parts = self._convs(x_t, self.kernel, dp_mask, self.strides, self.padding)
        h_parts = self._convs(h, self.recurrent_kernel, rec_mask, 1, "same", recurrent=True)
        bias = [None] * GATES if self.bias is None else ops.split(self.bias, GATES)
        z = [xp + hp if b is None else xp + b + hp for xp, hp, b in zip(x_parts, h_parts, bias)]
        i = self.recurrent_activation(z[0])
        f = self.recurrent_activation(z[1])
        c = f * c + i * self.activation(z[2])
        o = self.recurrent_activation(z[3])
        return o * self.activation(c), c

    def _convs(self, x, kernel, masks, strides, padding, recurrent=False):
        """The four gate convolutions: one convolution split by gate without dropout, one per
        gate (each on its own masked input) with it."""
        dilation = 1 if recurrent else self.dilation_rate
        if masks is None:
            out = ops.conv(x, kernel, strides=strides, padding=padding, dilation_rate=dilation)
            return ops.split(out, GATES, axis=-1)
        kernels = ops.split(kernel, GATES, axis=-1)
        return [
            ops.conv(x * m, k, strides=strides, padding=padding, dilation_rate=dilation)
            for m, k in zip(masks, kernels)
        ]

    def call(self, inputs, states, training=False):
        """Keras' cell contract on ``data_format`` tensors: ``(h, [h, c])``."""
        x = conv_utils.to_channels_last(inputs, self.data_format)
        h, c = (conv_utils.to_channels_last(s, self.data_format) for s in states)
        masks = self.sequence_masks(x, [h], training)
        h, c = self.step(x, h, c, masks)
        h, c = (conv_utils.from_channels_last(s, self.data_format) for s in (h, c))
        return h, [h, c]

    def compute_output_shape(self, input_shape, states_shape=None):
        batch, spatial, _ = conv_utils.split_shape(input_shape, self.rank, self.data_format)
        out = conv_utils.window_output(
            spatial, self.kernel_size, self.strides, self.padding, self.dilation_rate, input_shape
        )
        shape = conv_utils.join_shape(batch, out, self.filters, self.data_format)
        return shape, [shape, shape]

    def get_config(self):
        return {
            **super().get_config(),
            "filters": self.filters,
            "kernel_size": self.kernel_size,
            "strides": self.strides,
            "padding": self.padding,
            "data_format": self.data_format,
            "dilation_rate": self.dilation_rate,
            "activation": activations.serialize(self.activation),
            "recurrent_activation": activations.serialize(self.recurrent_activation),
            "use_bias": self.use_bias,
            "kernel_initializer": initializers.serialize(self.kernel_initializer),
            "recurrent_initializer": initializers.serialize(self.recurrent_initializer),
            "bias_initializer": initializers.serialize(self.bias_initializer),
            "unit_forget_bias": self.unit_forget_bias,
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
