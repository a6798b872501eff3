"""ConvLSTM1D/2D/3D against a numpy ConvLSTM (Keras' gate order i, f, c, o; the recurrent
convolution stride 1, "same", undilated), through the exported graph, eagerly and in a fit step
whose gradients are checked against float64 finite differences of the numpy loss."""

from __future__ import annotations

import numpy as np
import pytest

import kgraph
from kgraph import layers
from tests.harness import run_layer_test, tf_pad, windows


def _sigmoid(v):
    return 1 / (1 + np.exp(-v))


def numpy_conv(x, kernel, strides, padding, dilation):
    """Channels_last convolution of ``x`` (batch, *spatial, in) with ``kernel``."""
    rank = kernel.ndim - 2
    x = tf_pad(x, kernel.shape[:rank], strides, dilation, padding)
    out = 0.0
    for offset, view in windows(x, kernel.shape[:rank], strides, dilation):
        out = out + view @ kernel[offset]
    return out


def numpy_conv_lstm(
    x,
    weights,
    strides=1,
    padding="valid",
    dilation=1,
    mask=None,
    go_backwards=False,
    return_sequences=False,
    channels_first=False,
):
    """The ConvLSTM of channels_last (or channels_first) ``x`` (batch, time, ...)."""
    x = x.astype(np.float64)
    if channels_first:
        x = np.moveaxis(x, 2, -1)
    kernel, recurrent = weights[0], weights[1]
    bias = weights[2] if len(weights) == 3 else 0.0
    rank = kernel.ndim - 2
    strides, dilation = (strides,) * rank, (dilation,) * rank
    filters = recurrent.shape[-2]
    h = c = None
    outputs = []
    steps = range(x.shape[1] - 1, -1, -1) if go_backwards else range(x.shape[1])
    for t in steps:
        z = numpy_conv(x[:, t], kernel, strides, padding, dilation) + bias
        if h is None:
            h = c = np.zeros(z.shape[:-1] + (filters,))
        z = z + numpy_conv(h, recurrent, (1,) * rank, "same", (1,) * rank)
        i, f, g, o = np.split(z, 4, axis=-1)
        c_new = _sigmoid(f) * c + _sigmoid(i) * np.tanh(g)
        h_new = _sigmoid(o) * np.tanh(c_new)
        if mask is not None:
            keep = mask[:, t].reshape((-1,) + (1,) * (rank + 1))
            out = np.where(keep, h_new, h)
            h, c = np.where(keep, h_new, h), np.where(keep, c_new, c)
        else:
            out, h, c = h_new, h_new, c_new
        outputs.append(out)
    result = np.stack(outputs, 1) if return_sequences else outputs[-1]
    return np.moveaxis(result, -1, 2 if return_sequences else 1) if channels_first else result


@pytest.mark.parametrize(
    "cls, kwargs, input_shape, output_shape, ref",
    [
        (layers.ConvLSTM2D, dict(filters=2, kernel_size=3), (2, 3, 5, 5, 2), (2, 3, 3, 2), {}),
        (
            layers.ConvLSTM2D,
            dict(filters=2, kernel_size=2, padding="same", strides=2, return_sequences=True),
            (2, 3, 5, 4, 1),
            (2, 3, 3, 2, 2),
            dict(strides=2, padding="same", return_sequences=True),
        ),
        (
            layers.ConvLSTM1D,
            dict(filters=3, kernel_size=2, dilation_rate=2, go_backwards=True, use_bias=False),
            (2, 4, 6, 2),
            (2, 4, 3),
            dict(dilation=2, go_backwards=True),
        ),
        (
            layers.ConvLSTM1D,
            dict(filters=2, kernel_size=3, data_format="channels_first", return_sequences=True),
            (2, 3, 2, 5),
            (2, 3, 2, 3),
            dict(channels_first=True, return_sequences=True),
        ),
        (
            layers.ConvLSTM3D,
            dict(filters=2, kernel_size=2),
            (1, 2, 3, 3, 3, 1),
            (1, 2, 2, 2, 2),
            {},
        ),
    ],
)
def test_conv_lstm_matches_numpy(cls, kwargs, input_shape, output_shape, ref):
    run_layer_test(
        cls,
        kwargs,
        input_shape=input_shape,
        expected_output_shape=output_shape,
        reference=lambda x, w: numpy_conv_lstm(x, w, **ref),
        expected_num_trainable_weights=3 if kwargs.get("use_bias", True) else 2,
        rtol=1e-4,
        atol=1e-5,
    )


def _built(x, **kwargs):
    rng = np.random.default_rng(5)
    layer = layers.ConvLSTM2D(**kwargs)
    layer.build(x.shape)
    layer.set_weights([rng.uniform(-0.7, 0.7, w.shape).astype(np.float32) for w in layer.weights])
    return layer


def test_mask_keeps_states_and_repeats_outputs():
    """Keras' own ConvLSTM fails on a mask (its time loop broadcasts a (batch, 1) mask on
    the image states); kgraph applies the RNN mask rules, checked against numpy."""
    rng = np.random.default_rng(1)
    x = rng.standard_normal((2, 4, 4, 4, 2)).astype(np.float32)
    mask = np.array([[True, True, False, True], [True, False, False, True]])
    layer = _built(x, filters=2, kernel_size=3, padding="same", return_sequences=True)
    inputs = kgraph.Input((None, 4, 4, 2))
    masks = kgraph.Input((None,), dtype="bool")
    model = kgraph.Model([inputs, masks], layer(inputs, mask=masks))
    want = numpy_conv_lstm(x, layer.get_weights(), padding="same", mask=mask, return_sequences=True)
    np.testing.assert_allclose(model.predict([x, mask], verbose=0), want, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(np.asarray(layer(x, mask=mask)), want, rtol=1e-4, atol=1e-5)


def test_initial_state_and_return_state():
    rng = np.random.default_rng(2)
    x = rng.standard_normal((2, 3, 4, 4, 2)).astype(np.float32)
    layer = _built(x, filters=2, kernel_size=3, return_state=True)
    out, h, c = (np.asarray(v) for v in layer(x))
    np.testing.assert_array_equal(out, h)
    np.testing.assert_allclose(out, numpy_conv_lstm(x, layer.get_weights()), atol=1e-5)
    again, _, _ = layer(x[:, 1:], initial_state=[np.asarray(v) for v in layer(x[:, :1])[1:]])
    np.testing.assert_allclose(np.asarray(again), out, rtol=1e-5, atol=1e-5)
    assert c.shape == h.shape == (2, 2, 2, 2)


def test_dropout_only_in_training_and_masks_per_gate():
    rng = np.random.default_rng(3)
    x = rng.standard_normal((4, 3, 4, 4, 2)).astype(np.float32)
    layer = _built(x, filters=2, kernel_size=3, dropout=0.5, recurrent_dropout=0.5, seed=1)
    plain = numpy_conv_lstm(x, layer.get_weights())
    np.testing.assert_allclose(np.asarray(layer(x)), plain, rtol=1e-5, atol=1e-5)
    trained = np.asarray(layer(x, training=True))
    assert np.abs(trained - plain).max() > 1e-3
    masks = layer.cell.sequence_masks(x[:, 0], layer.cell.zero_states(x), True)
    assert len(masks[0]) == len(masks[1]) == 4
    drawn = np.stack([np.asarray(m) for m in masks[0]])
    assert set(np.unique(drawn)) == {0.0, 2.0}  # inverted dropout at rate 0.5
    assert not np.array_equal(drawn[0], drawn[1])


def test_fit_step_gradient_matches_finite_differences():
    """One SGD step with learning rate 1 subtracts the gradient; it must equal central
    differences of the numpy ConvLSTM's mean squared error, in float64."""
    rng = np.random.default_rng(4)
    x = rng.standard_normal((3, 3, 5, 1)).astype(np.float32)
    y = rng.standard_normal((3, 4, 2)).astype(np.float32)
    inputs = kgraph.Input((3, 5, 1))
    layer = layers.ConvLSTM1D(2, 2, return_sequences=False)
    model = kgraph.Model(inputs, layer(inputs))
    start = [rng.uniform(-0.8, 0.8, w.shape).astype(np.float32) for w in layer.weights]
    layer.set_weights(start)
    model.compile(optimizer=kgraph.optimizers.SGD(1.0), loss="mse")
    model.fit(x, y, batch_size=3, epochs=1, shuffle=False, verbose=0)
    got = [w0 - w1 for w0, w1 in zip(start, layer.get_weights())]

    def loss(weights):
        return np.mean((numpy_conv_lstm(x, weights) - y) ** 2)

    base = [w.astype(np.float64) for w in start]
    for k, weight in enumerate(base):
        numeric = np.zeros_like(weight)
        for index in np.ndindex(*weight.shape):
            up = [w.copy() for w in base]
            down = [w.copy() for w in base]
            up[k][index] += 1e-6
            down[k][index] -= 1e-6
            numeric[index] = (loss(up) - loss(down)) / 2e-6
        assert np.abs(numeric).max() > 1e-3
        np.testing.assert_allclose(got[k], numeric, rtol=1e-3, atol=1e-5)


def test_arguments_and_config():
    with pytest.raises(ValueError, match="stateful=True"):
        layers.ConvLSTM2D(2, 3, stateful=True)
    with pytest.raises(ValueError, match="dilation_rate"):
        layers.ConvLSTM2D(2, 3, strides=2, dilation_rate=2)
    with pytest.raises(ValueError, match="padding"):
        layers.ConvLSTM2D(2, 3, padding="causal")
    with pytest.raises(ValueError, match="static input shapes"):
        layers.ConvLSTM2D(2, 3)(kgraph.Input((3, None, 4, 1)))
    layer = layers.ConvLSTM3D(4, (1, 2, 3), unroll=True, name="c")
    config = layer.get_config()
    assert config["kernel_size"] == (1, 2, 3) and config["unroll"] and config["filters"] == 4
    assert layers.ConvLSTM3D.from_config(config).get_config() == config
    assert layer.filters == 4 and layer.kernel_size == (1, 2, 3)
    layer.build((None, 2, 3, 3, 3, 2))
    assert [(w.name, w.shape) for w in layer.weights] == [
        ("kernel", (1, 2, 3, 2, 16)),
        ("recurrent_kernel", (1, 2, 3, 4, 16)),
        ("bias", (16,)),
    ]
    np.testing.assert_array_equal(layer.get_weights()[2], np.repeat([0, 1, 0, 0], 4))
