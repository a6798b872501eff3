"""``ConvLSTM1D``, ``ConvLSTM2D`` and ``ConvLSTM3D``: ``ConvLSTM`` at rank 1, 2 and 3."""

from __future__ import annotations

from kgraph.layers.rnn.conv_lstm import ConvLSTM


class _RankedConvLSTM(ConvLSTM):
    """A ``ConvLSTM`` whose rank is fixed by the class, taking Keras' arguments in Keras'
    order after ``filters`` and ``kernel_size`` (see ``ConvLSTM``)."""

    rank = None

    def __init__(self, filters, kernel_size, *args, **kwargs):
        super().__init__(type(self).rank, filters, kernel_size, *args, **kwargs)


class ConvLSTM1D(_RankedConvLSTM):
    """1D convolutional LSTM over ``(batch, time, steps, channels)`` inputs (see ``ConvLSTM``:
    ``stateful=True`` is not supported)."""

    rank = 1


class ConvLSTM2D(_RankedConvLSTM):
    """2D convolutional LSTM over ``(batch, time, rows, cols, channels)`` inputs (see
    ``ConvLSTM``: ``stateful=True`` is not supported)."""

    rank = 2


class ConvLSTM3D(_RankedConvLSTM):
    """3D convolutional LSTM over ``(batch, time, dim1, dim2, dim3, channels)`` inputs (see
    ``ConvLSTM``: ``stateful=True`` is not supported)."""

    rank = 3
