"""Dropout: identity at inference, ONNX Dropout (seeded) in training graphs."""

from __future__ import annotations

import numpy as np
import onnx
import pytest

import kgraph
from kgraph import layers
from tests.harness import run_layer_test, training_graph_outputs


@pytest.mark.parametrize("rate", [0.0, 0.5])
def test_dropout_is_identity_at_inference(rate):
    result = run_layer_test(
        layers.Dropout,
        dict(rate=rate, seed=1),
        input_shape=(2, 3, 4),
        expected_output_shape=(2, 3, 4),
        reference=lambda x, w: x,
    )
    graph = onnx.load_from_string(result.onnx_bytes).graph
    assert "Dropout" not in {n.op_type for n in graph.node}


def _training_model(rate, noise_shape=None, seed=7, shape=(40, 50)):
    inputs = kgraph.Input(shape)
    return kgraph.Model(inputs, layers.Dropout(rate, noise_shape=noise_shape, seed=seed)(inputs))


@pytest.mark.parametrize("rate", [0.25, 0.5])
def test_training_graph_drops_and_rescales(rate):
    x = np.ones((4, 40, 50), np.float32)
    (y,) = training_graph_outputs(_training_model(rate), [x])
    values = np.unique(y)
    np.testing.assert_allclose(values, [0.0, 1 / (1 - rate)], rtol=1e-6)
    assert abs((y == 0).mean() - rate) < 0.03


def test_training_graph_has_seeded_dropout_with_mask():
    from kgraph.compiler import compile_inference, serde
    from kgraph.models import export

    def node_seed(model):
        builder = export.trace_model(model, training=True)[0]
        graph = onnx.load_from_string(serde.to_bytes(compile_inference(builder.graph))).graph
        (node,) = [n for n in graph.node if n.op_type == "Dropout"]
        assert len(node.output) == 2
        return {a.name: a.i for a in node.attribute}["seed"]

    # The layer's seed seeds its generator (Keras' SeedGenerator): the same layer seed gives
    # the same node seed, drawn as numpy draws it; each trace draws the next one.
    model = _training_model(0.5, seed=123)
    draws = np.random.default_rng(123).integers(0, 2**31 - 1, size=2)
    assert node_seed(model) == draws[0] and node_seed(model) == draws[1]
    assert node_seed(_training_model(0.5, seed=123)) == draws[0]


def test_noise_shape_shares_the_mask_along_broadcast_axes():
    x = np.ones((3, 40, 50), np.float32)
    (y,) = training_graph_outputs(_training_model(0.5, noise_shape=(None, 1, 50)), [x])
    assert np.all(y == y[:, :1, :])
    assert 0.3 < (y == 0).mean() < 0.7


def test_eager_training_call_is_random():
    layer = layers.Dropout(0.5)
    x = np.ones((8, 64), np.float32)
    y1, y2 = layer(x, training=True), layer(x, training=True)
    assert set(np.unique(y1)) <= {0.0, 2.0} and not np.array_equal(y1, y2)
    np.testing.assert_array_equal(layer(x), x)


@pytest.mark.parametrize("rate", [-0.1, 1.5])
def test_rate_validation(rate):
    with pytest.raises(ValueError, match="rate"):
        layers.Dropout(rate)
    with pytest.raises(TypeError):  # Keras compares the rate with numbers
        layers.Dropout("0.5")


def test_rate_one_drops_everything_in_training():
    """Keras 3 accepts Dropout(1.0): zeros in training (no NaN), the input at inference."""
    x = np.ones((2, 3), np.float32)
    layer = layers.Dropout(1.0)
    np.testing.assert_array_equal(np.asarray(layer(x, training=True)), np.zeros((2, 3)))
    np.testing.assert_array_equal(np.asarray(layer(x)), x)


def test_config():
    config = layers.Dropout(0.3, noise_shape=(None, 1, 4), seed=5).get_config()
    assert (config["rate"], config["noise_shape"], config["seed"]) == (0.3, (None, 1, 4), 5)


def test_eager_masks_follow_set_random_seed_and_the_layer_seed():
    x = np.ones((4, 32), np.float32)
    kgraph.utils.set_random_seed(7)
    layer = layers.Dropout(0.5)
    first, second = layer(x, training=True), layer(x, training=True)
    kgraph.utils.set_random_seed(7)
    again = layers.Dropout(0.5)(x, training=True)
    np.testing.assert_array_equal(first, again)  # reproducible from the global seed
    assert not np.array_equal(first, second)  # but fresh on every call
    seeded = layers.Dropout(0.5, seed=3)
    a, b = seeded(x, training=True), seeded(x, training=True)
    np.testing.assert_array_equal(a, layers.Dropout(0.5, seed=3)(x, training=True))
    assert not np.array_equal(a, b)
