"""Bidirectional against numpy: a forward and a reversed SimpleRNN loop, merged."""

from __future__ import annotations

import numpy as np
import pytest

import kgraph
from kgraph import layers
from tests.harness import run_layer_test
from tests.layers.rnn.test_simple_rnn import numpy_simple_rnn

MERGES = {
    "concat": lambda a, b: np.concatenate([a, b], -1),
    "sum": lambda a, b: a + b,
    "ave": lambda a, b: (a + b) / 2,
    "mul": lambda a, b: a * b,
}


def numpy_bidirectional(x, w, merge_mode, return_sequences):
    forward = numpy_simple_rnn(x, w[:3], return_sequences)
    backward = numpy_simple_rnn(x, w[3:], return_sequences, go_backwards=True)
    if return_sequences:
        backward = backward[:, ::-1]  # back in forward time order
    return MERGES[merge_mode](forward, backward)


@pytest.mark.parametrize("merge_mode", sorted(MERGES))
@pytest.mark.parametrize("return_sequences", [False, True])
def test_bidirectional_matches_numpy(merge_mode, return_sequences):
    width = 6 if merge_mode == "concat" else 3
    run_layer_test(
        layers.Bidirectional,
        dict(
            layer=layers.SimpleRNN(3, return_sequences=return_sequences),
            merge_mode=merge_mode,
        ),
        input_shape=(2, 4, 2),
        expected_output_shape=(2, 4, width) if return_sequences else (2, width),
        reference=lambda x, w: numpy_bidirectional(x, w, merge_mode, return_sequences),
        expected_num_trainable_weights=6,
    )


def test_weights_states_and_merge_none():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 4, 2)).astype(np.float32)
    layer = layers.Bidirectional(layers.SimpleRNN(3, return_state=True, name="r"), merge_mode=None)
    out_f, out_b, h_f, h_b = (np.asarray(v) for v in layer(x))
    assert (layer.forward_layer.name, layer.backward_layer.name) == ("forward_r", "backward_r")
    assert [w.name for w in layer.weights][::3] == ["kernel", "kernel"]
    w = layer.get_weights()
    np.testing.assert_allclose(out_f, numpy_simple_rnn(x, w[:3]), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(
        out_b, numpy_simple_rnn(x, w[3:], go_backwards=True), rtol=1e-5, atol=1e-5
    )
    np.testing.assert_allclose(h_f, out_f)
    np.testing.assert_allclose(h_b, out_b)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(layer="lstm"), "Layer` instance"),
        (dict(layer=layers.LSTM(2), merge_mode="max"), "merge mode"),
        (dict(layer=layers.LSTM(2), backward_layer=layers.LSTM(2)), "go_backwards"),
        (
            dict(
                layer=layers.LSTM(2),
                backward_layer=layers.LSTM(2, go_backwards=True, return_sequences=True),
            ),
            "return_sequences",
        ),
    ],
)
def test_argument_validation(kwargs, match):
    with pytest.raises(ValueError, match=match):
        layers.Bidirectional(**kwargs)


def test_a_non_recurrent_layer_is_refused_in_one_line():
    with pytest.raises(TypeError, match=r"recurrent layer.*Dense layer 'not_rnn'"):
        layers.Bidirectional(layers.Dense(2, name="not_rnn"))
    with pytest.raises(TypeError, match="Dense layer 'not_rnn_back'"):
        layers.Bidirectional(layers.GRU(2), backward_layer=layers.Dense(2, name="not_rnn_back"))


def test_fit_reduces_loss():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((32, 4, 2)).astype(np.float32)
    y = x[:, 0, :1] - x[:, -1, 1:]
    inputs = kgraph.Input((4, 2))
    hidden = layers.Bidirectional(layers.GRU(3))(inputs)
    model = kgraph.Model(inputs, layers.Dense(1)(hidden))
    model.compile(optimizer=kgraph.optimizers.Adam(0.05), loss="mse")
    history = model.fit(x, y, epochs=5, batch_size=8, verbose=0)
    assert history.history["loss"][-1] < 0.7 * history.history["loss"][0]


@kgraph.saving.register_keras_serializable(package="bidirectional_test")
class PeepholeFreeLSTM(layers.LSTM):
    """A registered LSTM subclass, as user code wraps in Bidirectional."""


def test_bidirectional_of_a_registered_layer_saves_and_loads(tmp_path):
    inputs = kgraph.Input((None, 3))
    wrapper = layers.Bidirectional(PeepholeFreeLSTM(2))
    model = kgraph.Model(inputs, wrapper(inputs))
    config = wrapper.get_config()
    assert config["layer"]["registered_name"] == "bidirectional_test>PeepholeFreeLSTM"
    assert config["backward_layer"]["registered_name"] == "bidirectional_test>PeepholeFreeLSTM"
    x = np.random.default_rng(2).standard_normal((2, 4, 3)).astype("float32")
    model.save(tmp_path / "bidirectional.keras")
    loaded = kgraph.saving.load_model(tmp_path / "bidirectional.keras")
    assert isinstance(loaded.layers[1].forward_layer, PeepholeFreeLSTM)
    np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0))
