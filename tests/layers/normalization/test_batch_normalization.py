"""BatchNormalization: Keras weights and order, inference with moving stats, batch stats in
training, all with plain ops."""

from __future__ import annotations

import numpy as np
import onnx
import pytest

import kgraph
from kgraph import layers
from tests.harness import run_layer_test, training_graph_outputs


def bn_reference(x, mean, var, gamma, beta, axis, epsilon):
    x = np.asarray(x, np.float64)
    shape = [1] * x.ndim
    shape[axis] = -1
    r = lambda v: np.reshape(v, shape) if v is not None else None
    y = (x - r(mean)) / np.sqrt(r(var) + epsilon)
    if gamma is not None:
        y = y * r(gamma)
    if beta is not None:
        y = y + r(beta)
    return y


def _unpack(w, center, scale):
    w = list(w)
    gamma = w.pop(0) if scale else None
    beta = w.pop(0) if center else None
    return gamma, beta, w[0], w[1]


@pytest.mark.parametrize(
    "shape, axis",
    [((3, 4), -1), ((2, 3, 4), -1), ((2, 4, 3, 5), -1), ((2, 3, 4, 4), 1), ((2, 3, 5), 1)],
)
@pytest.mark.parametrize("center, scale", [(True, True), (False, True), (True, False)])
def test_inference_uses_moving_statistics(shape, axis, center, scale):
    def reference(x, w):
        gamma, beta, mean, var = _unpack(w, center, scale)
        return bn_reference(x, mean, var, gamma, beta, axis, 1e-3)

    run_layer_test(
        layers.BatchNormalization,
        dict(axis=axis, center=center, scale=scale),
        input_shape=shape,
        expected_output_shape=shape,
        reference=reference,
        expected_num_trainable_weights=int(center) + int(scale),
        expected_num_non_trainable_weights=2,
    )


def test_weights_names_order_and_trainability():
    layer = layers.BatchNormalization(name="bn")
    layer.build((None, 6, 6, 3))
    assert [w.path for w in layer.weights] == [
        "bn/gamma",
        "bn/beta",
        "bn/moving_mean",
        "bn/moving_variance",
    ]
    assert [w.trainable for w in layer.weights] == [True, True, False, False]
    gamma, beta, mean, var = layer.get_weights()
    np.testing.assert_array_equal(gamma, np.ones(3))
    np.testing.assert_array_equal(beta, np.zeros(3))
    np.testing.assert_array_equal(mean, np.zeros(3))
    np.testing.assert_array_equal(var, np.ones(3))


def test_no_onnx_batch_normalization_node():
    inputs = kgraph.Input((4, 4, 3))
    model = kgraph.Model(inputs, layers.BatchNormalization()(inputs))
    ops = {n.op_type for n in onnx.load_from_string(model.to_onnx_bytes()).graph.node}
    assert "BatchNormalization" not in ops


@pytest.mark.parametrize("shape, axis", [((6, 4), -1), ((3, 4, 5, 2), -1), ((3, 2, 4, 4), 1)])
def test_training_uses_batch_statistics(shape, axis):
    rng = np.random.default_rng(0)
    x = (rng.standard_normal(shape) * 3 + 1).astype(np.float32)
    inputs = kgraph.Input(shape[1:])
    layer = layers.BatchNormalization(axis=axis, epsilon=1e-3)
    model = kgraph.Model(inputs, layer(inputs))
    gamma = rng.uniform(0.5, 1.5, shape[axis]).astype(np.float32)
    beta = rng.uniform(-1, 1, shape[axis]).astype(np.float32)
    layer.set_weights(
        [gamma, beta, np.full(shape[axis], 5.0, np.float32), np.full(shape[axis], 9.0, np.float32)]
    )
    axes = tuple(i for i in range(len(shape)) if i != axis % len(shape))
    mean = x.astype(np.float64).mean(axis=axes)
    var = x.astype(np.float64).var(axis=axes)
    (y,) = training_graph_outputs(model, [x])
    np.testing.assert_allclose(
        y, bn_reference(x, mean, var, gamma, beta, axis, 1e-3), rtol=1e-4, atol=1e-4
    )
    # The moving statistics are not used in training mode, and inference still uses them.
    np.testing.assert_allclose(
        model.predict(x, verbose=0),
        bn_reference(
            x, np.full(shape[axis], 5.0), np.full(shape[axis], 9.0), gamma, beta, axis, 1e-3
        ),
        rtol=1e-5,
        atol=1e-5,
    )


def test_frozen_layer_uses_moving_statistics_in_training():
    x = np.random.default_rng(1).standard_normal((4, 3)).astype(np.float32)
    inputs = kgraph.Input((3,))
    layer = layers.BatchNormalization()
    model = kgraph.Model(inputs, layer(inputs))
    layer.trainable = False
    (y,) = training_graph_outputs(model, [x])
    np.testing.assert_allclose(y, x / np.sqrt(1 + 1e-3), rtol=1e-5, atol=1e-6)


def test_batch_moments_and_moving_stat_updates():
    layer = layers.BatchNormalization(momentum=0.9)
    x = np.random.default_rng(2).standard_normal((5, 2, 3)).astype(np.float32)
    layer.build(x.shape)
    mean, var = layer.batch_moments(x)
    np.testing.assert_allclose(mean, x.mean(axis=(0, 1)), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(var, x.var(axis=(0, 1)), rtol=1e-5, atol=1e-6)
    (mv, new_mean), (vv, new_var) = layer.moving_stat_updates(mean, var)
    assert mv is layer.moving_mean and vv is layer.moving_variance
    np.testing.assert_allclose(new_mean, 0.1 * x.mean(axis=(0, 1)), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(new_var, 0.9 + 0.1 * x.var(axis=(0, 1)), rtol=1e-5, atol=1e-6)


def test_config_round_trip_keys():
    config = layers.BatchNormalization(axis=1, momentum=0.9, epsilon=1e-5).get_config()
    assert config["axis"] == 1 and config["momentum"] == 0.9 and config["epsilon"] == 1e-5
    assert config["center"] and config["scale"]
    assert config["gamma_initializer"]["class_name"] == "Ones"


def test_incompatible_feature_size_names_layer_and_shapes():
    layer = layers.BatchNormalization(name="my_bn")
    layer(kgraph.Input((4, 3)))
    with pytest.raises(ValueError) as info:
        layer(kgraph.Input((4, 5)))
    message = str(info.value)
    assert "my_bn" in message and "(None, 4, 3)" in message and "(None, 4, 5)" in message


@pytest.mark.parametrize(
    "kwargs", [dict(renorm=True), dict(renorm_clipping={"rmax": 2.0}), dict(synchronized=True)]
)
def test_unsupported_options(kwargs):
    with pytest.raises(ValueError, match="does not support"):
        layers.BatchNormalization(**kwargs)


def test_axis_out_of_range():
    with pytest.raises(ValueError, match="axis"):
        layers.BatchNormalization(axis=3)(kgraph.Input((4, 3)))
