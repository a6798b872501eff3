"""Embedding, EinsumDense, Lambda, TimeDistributed and Masking against numpy."""

from __future__ import annotations

import numpy as np
import pytest

import kgraph
from kgraph import layers, ops
from tests.harness import run_layer_test


def test_embedding():
    x = np.array([[0, 3, 6], [2, 2, 1]], np.int32)
    result = run_layer_test(
        layers.Embedding,
        dict(input_dim=7, output_dim=4, mask_zero=True),
        (2, 3),
        (2, 3, 4),
        lambda x, w: w[0][x],
        input_dtype="int32",
        input_data=x,
        expected_output_dtype="float32",
        expected_num_trainable_weights=1,
    )
    assert result.layer.weights[0].name == "embeddings"
    assert result.weights[0].shape == (7, 4)


def test_embedding_initial_weights_and_errors():
    table = np.arange(6, dtype=np.float32).reshape(3, 2)
    layer = layers.Embedding(3, 2, weights=[table])
    np.testing.assert_array_equal(layer(np.array([[2, 0]])), table[[2, 0]][None])
    with pytest.raises(ValueError, match="input_dim"):
        layers.Embedding(0, 2)


@pytest.mark.parametrize(
    "kwargs, shape, out, numpy_eq",
    [
        (dict(equation="ab,bc->ac", output_shape=4, bias_axes="c"), (2, 3), (2, 4), "ab,bc->ac"),
        (
            dict(equation="abc,cde->abde", output_shape=(3, 2, 5), bias_axes="de"),
            (2, 3, 4),
            (2, 3, 2, 5),
            "abc,cde->abde",
        ),
        (
            dict(equation="...b,bc->...c", output_shape=6, activation="relu"),
            (2, 3, 4),
            (2, 3, 6),
            "...b,bc->...c",
        ),
        (
            dict(equation="abc...,cd->abd...", output_shape=(3, 4), bias_axes="b"),
            (2, 3, 5, 2),
            (2, 3, 4, 2),
            "abc...,cd->abd...",
        ),
    ],
)
def test_einsum_dense(kwargs, shape, out, numpy_eq):
    def reference(x, w):
        y = np.einsum(numpy_eq, x, w[0])
        if len(w) > 1:
            y = y + w[1]
        return np.maximum(y, 0) if kwargs.get("activation") == "relu" else y

    result = run_layer_test(layers.EinsumDense, kwargs, shape, out, reference, atol=1e-4)
    assert [w.name for w in result.layer.weights][:1] == ["kernel"]


def test_einsum_dense_bias_shape():
    layer = layers.EinsumDense("abc,cd->abd", output_shape=(None, 5), bias_axes="b")
    layer(kgraph.Input((3, 4)))
    assert layer.weights[1].shape == (3, 1)
    with pytest.raises(ValueError, match="Invalid einsum"):
        layers.EinsumDense("ab,bc,cd->ad", 3)(kgraph.Input((4,)))


def scale_and_shift(x, factor=2.0):
    return ops.add(ops.multiply(x, factor), 1.0)


@pytest.mark.parametrize(
    "kwargs",
    [
        dict(function=scale_and_shift, arguments={"factor": 3.0}),
        dict(
            function=lambda x, factor=2.0: ops.add(ops.multiply(x, factor), 1.0),
            arguments={"factor": 3.0},
        ),
    ],
)
def test_lambda(kwargs):
    result = run_layer_test(layers.Lambda, kwargs, (2, 3), (2, 3), lambda x, w: 3.0 * x + 1.0)
    config = result.layer.get_config()
    assert config["arguments"] == {"factor": 3.0}
    if kwargs["function"].__name__ == "<lambda>":
        assert config["function"]["class_name"] == "__lambda__"
        assert set(config["function"]["config"]) == {"code", "defaults", "closure"}


def test_lambda_output_shape():
    layer = layers.Lambda(lambda x: ops.concatenate([x, x], axis=-1), output_shape=(6,))
    assert layer.compute_output_shape((None, 3)) == (None, 6)
    out = layer(kgraph.Input((3,)))
    assert out.shape == (None, 6)


def test_time_distributed():
    inner = layers.Dense(4)
    result = run_layer_test(
        layers.TimeDistributed,
        dict(layer=inner),
        (2, 3, 5),
        (2, 3, 4),
        lambda x, w: x @ w[0] + w[1],
        expected_num_trainable_weights=2,
        atol=1e-5,
    )
    assert result.layer.layer is inner
    assert result.layer.get_config()["layer"]["class_name"] == "Dense"


def test_time_distributed_conv():
    layer = layers.TimeDistributed(layers.Conv2D(2, 3, padding="same"))
    out = layer(kgraph.Input((4, 5, 5, 3)))
    assert out.shape == (None, 4, 5, 5, 2)
    x = np.random.default_rng(0).standard_normal((2, 4, 5, 5, 3)).astype(np.float32)
    got = layer(x)
    per_step = np.stack([np.asarray(layer.layer(x[:, t])) for t in range(4)], axis=1)
    np.testing.assert_allclose(got, per_step, rtol=1e-5, atol=1e-5)


def test_time_distributed_on_a_free_time_axis_predicts_exports_and_trains(tmp_path):
    """A ``None`` time axis (as after Input((None, 3))) is read at run time."""
    layer = layers.TimeDistributed(layers.Dense(2))
    inputs = kgraph.Input((None, 3))
    out = layer(inputs)
    assert out.shape == (None, None, 2)
    assert layer.compute_output_shape((None, None, 3)) == (None, None, 2)
    model = kgraph.Model(inputs, out)
    kernel, bias = layer.layer.get_weights()
    rng = np.random.default_rng(1)
    for steps in (5, 2):
        x = rng.standard_normal((4, steps, 3)).astype(np.float32)
        got = model.predict(x, verbose=0)
        np.testing.assert_allclose(got, x @ kernel + bias, rtol=1e-5, atol=1e-6)
    model.compile(optimizer=kgraph.optimizers.SGD(0.1), loss="mse")
    x, y = rng.standard_normal((4, 5, 3)).astype(np.float32), np.zeros((4, 5, 2), np.float32)
    model.fit(x, y, batch_size=4, verbose=0)
    residual = x @ kernel + bias  # one SGD step on the mean squared error, by hand
    grad_kernel = np.einsum("bti,bto->io", x, residual) * 2 / residual.size
    np.testing.assert_allclose(layer.layer.get_weights()[0], kernel - 0.1 * grad_kernel, atol=1e-6)


def test_masking():
    x = np.random.default_rng(0).standard_normal((2, 4, 3)).astype(np.float32)
    x[0, 1] = 0.0
    x[1, 3] = 0.0
    x[1, 2, 0] = 0.0  # one zero feature does not mask the step

    def reference(x, w):
        keep = (x != 0.0).any(-1, keepdims=True)
        return x * keep

    run_layer_test(
        layers.Masking, dict(mask_value=0.0), (2, 4, 3), (2, 4, 3), reference, input_data=x
    )


def test_lambda_model_saves_and_loads_only_outside_safe_mode(tmp_path):
    inputs = kgraph.Input((3,))
    outputs = layers.Lambda(lambda x: ops.multiply(x, 3.0))(layers.Dense(2)(inputs))
    model = kgraph.Model(inputs, outputs)
    path = tmp_path / "lambda.keras"
    model.save(path)
    with pytest.raises(Exception, match="Lambda"):
        kgraph.saving.load_model(path)
    loaded = kgraph.saving.load_model(path, safe_mode=False)
    x = np.random.default_rng(0).standard_normal((4, 3)).astype(np.float32)
    np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0))
