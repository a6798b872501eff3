"""The most common bad layer arguments raise Keras 3.15's exception type, in the constructor,
with a "Received: ..." style message naming the argument; unusual valid ones are accepted.
Expected types are Keras' (real Keras checks them in tests/oracle/test_layer_arguments_keras)."""

from __future__ import annotations

import pytest

import kgraph
from kgraph import layers

REFUSED = [
    (lambda: layers.Dense(0), ValueError, "units=0"),
    (lambda: layers.Dense(-1), ValueError, "units=-1"),
    (lambda: layers.Dense(2.5), ValueError, "units=2.5"),
    (lambda: layers.Dense("3"), ValueError, "units=3"),
    (lambda: layers.Dense(3, no_such_argument=1), ValueError, "no_such_argument"),
    (lambda: layers.Dense(3, activation="no_such"), ValueError, "no_such"),
    (lambda: layers.Conv2D(0, 3), ValueError, "filters=0"),
    (lambda: layers.Conv2D("2", 3), TypeError, "filters='2'"),
    (lambda: layers.Conv2D(2, 0), ValueError, "kernel_size=0"),
    (lambda: layers.Conv2D(2, -1), ValueError, "kernel_size=-1"),
    (lambda: layers.Conv2D(2, (3, 3, 3)), ValueError, "kernel_size=(3, 3, 3)"),
    (lambda: layers.Conv2D(2, 2.5), ValueError, "kernel_size=2.5"),
    (lambda: layers.Conv1D(2, "3"), TypeError, "kernel_size=3"),
    (lambda: layers.Conv1D(2, 3, strides="1"), TypeError, "strides=1"),
    (lambda: layers.Conv2D(2, 3, padding="full"), ValueError, "padding=full"),
    (lambda: layers.Conv2D(2, 3, padding="causal"), ValueError, "padding=causal"),
    (lambda: layers.Conv2D(2, 3, data_format="nhwc"), ValueError, "data_format=nhwc"),
    (lambda: layers.MaxPooling2D(0), ValueError, "pool_size=0"),
    (lambda: layers.LSTM(0), ValueError, "units=0"),
    (lambda: layers.LSTM("3"), TypeError, "units='3'"),
    (lambda: layers.LSTM(None), TypeError, "units=None"),
    (lambda: layers.GRU(3, dropout="0.1"), TypeError, "dropout='0.1'"),
    (lambda: layers.Dropout(-0.1), ValueError, "rate=-0.1"),
    (lambda: layers.Dropout(1.5), ValueError, "rate=1.5"),
    (lambda: layers.Dropout("0.5"), TypeError, "rate='0.5'"),
    (lambda: layers.Activation("relu", no_such_argument=1), ValueError, "no_such_argument"),
    (lambda: layers.RepeatVector(0), ValueError, "n=0"),
    (lambda: layers.RepeatVector(2.0), TypeError, "n=2.0"),
    (lambda: layers.Lambda("relu"), TypeError, "function='relu'"),
    (lambda: layers.RandomHue(None), ValueError, "factor=None"),
    (lambda: layers.Reshape(None), TypeError, "target_shape=None"),
    (lambda: layers.GaussianDropout("0.5"), TypeError, "rate='0.5'"),
    (lambda: layers.Resizing(None, 4), TypeError, "height=None"),
    (lambda: layers.LSTM(3, no_such_argument=1), ValueError, "passed to LSTM: {"),
]


@pytest.mark.parametrize("build, error, received", REFUSED)
def test_refused_in_constructor(build, error, received):
    with pytest.raises(error) as info:
        build()
    assert type(info.value) is error
    assert received in str(info.value)


def test_unusual_arguments_keras_accepts():
    x = kgraph.Input((6, 6, 3), batch_size=2)
    conv = layers.Conv2D(2, (3, 1), strides=[1, 1], padding="SAME", data_format=None)
    assert conv(x).shape == (2, 6, 6, 2)
    assert conv.kernel_size == (3, 1) and conv.padding == "same"
    assert conv.data_format == "channels_last"
    assert layers.MaxPooling2D((2, 2))(x).shape == (2, 3, 3, 3)
    assert layers.Dropout(0).rate == 0.0 and layers.Dropout(1).rate == 1.0
    assert layers.LSTM(3, dropout=1.5).cell.dropout == 1.0  # Keras clips into [0, 1]
    assert layers.SimpleRNN(3, recurrent_dropout=-1).cell.recurrent_dropout == 0.0
    assert layers.LayerNormalization(axis=[-1])(x).shape == (2, 6, 6, 3)


@pytest.mark.parametrize(
    "layer, shape",
    [
        (lambda: layers.Conv2D(None, 3), (2, 6, 6, 3)),
        (lambda: layers.Conv2DTranspose(2.5, 3), (2, 6, 6, 3)),
        (lambda: layers.SeparableConv1D(None, 3), (2, 6, 3)),
    ],
)
def test_filters_keras_defers_fail_in_build(layer, shape):
    layer = layer()  # Keras only fails when it shapes the kernel
    with pytest.raises(ValueError, match="Received: filters="):
        layer.build(shape)


def test_concatenate_axis_must_be_an_integer_at_build():
    layer = layers.Concatenate(axis=1.5)
    with pytest.raises(TypeError, match=r"axis=1\.5"):
        layer.build([(2, 4), (2, 4)])


def test_build_refuses_out_of_range_axis():
    layer = layers.BatchNormalization(axis=7)
    with pytest.raises(ValueError, match="Received: axis=7"):
        layer.build((2, 6, 6, 3))


def test_dropout_rate_one_drops_everything_in_training():
    x = kgraph.ops.ones((2, 3))
    out = kgraph.ops.convert_to_numpy(layers.Dropout(1.0)(x, training=True)).tolist()
    assert out == [[0.0] * 3] * 2  # Keras 3.15 gives zeros too (no NaN from 1 / (1 - rate))
    assert kgraph.ops.convert_to_numpy(layers.Dropout(1.0)(x)).tolist() == [[1.0] * 3] * 2
