"""Training with regularizers and constraints, against numpy: the step's loss is the compiled
loss plus every weight penalty (and activity penalty / batch size), gradients include the
penalties', constraints project the weights after each update, evaluation reports the same
total, frozen weights add nothing; layer configs carry them."""

from __future__ import annotations

import numpy as np
import pytest

import kgraph as keras
from kgraph import constraints, layers, regularizers

RNG = np.random.default_rng(11)
X = RNG.standard_normal((8, 3)).astype(np.float32)
Y = RNG.standard_normal((8, 2)).astype(np.float32)
W0 = RNG.standard_normal((3, 2)).astype(np.float32)
B0 = np.array([0.3, -0.4], np.float32)


def _dense_model(**kwargs):
    model = keras.Sequential([keras.Input((3,)), layers.Dense(2, name="d", **kwargs)])
    model.set_weights([W0, B0])
    return model


def _mse_grads(w, b, x, y):
    err = x @ w + b - y
    scale = 2.0 / err.size
    return scale * x.T @ err, scale * err.sum(0), float((err**2).mean())


def test_one_sgd_step_adds_the_penalties_to_loss_and_gradients():
    model = _dense_model(kernel_regularizer=regularizers.L2(0.1), bias_regularizer="l1")
    model.compile(keras.optimizers.SGD(0.5), "mse")
    w, b = W0.astype(np.float64), B0.astype(np.float64)
    gw, gb, mse = _mse_grads(w, b, X, Y)
    penalty = 0.1 * (w**2).sum() + 0.01 * np.abs(b).sum()
    np.testing.assert_allclose(model.evaluate(X, Y, verbose=0), mse + penalty, rtol=1e-5)
    history = model.fit(X, Y, batch_size=8, epochs=1, verbose=0)
    np.testing.assert_allclose(history.history["loss"], [mse + penalty], rtol=1e-5)
    kernel, bias = model.get_weights()
    np.testing.assert_allclose(kernel, w - 0.5 * (gw + 0.2 * w), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(bias, b - 0.5 * (gb + 0.01 * np.sign(b)), rtol=1e-5, atol=1e-6)


def test_constraints_project_after_each_update():
    model = _dense_model(kernel_constraint="non_neg", bias_constraint=constraints.MaxNorm(0.2))
    model.compile(keras.optimizers.SGD(0.5), "mse")
    w, b = W0.astype(np.float64), B0.astype(np.float64)
    for start in (0, 4):  # two steps: the second starts from the projected weights
        gw, gb, _ = _mse_grads(w, b, X[start : start + 4], Y[start : start + 4])
        w = np.maximum(w - 0.5 * gw, 0)
        b = b - 0.5 * gb
        norm = np.sqrt((b**2).sum())
        b = b * min(norm, 0.2) / (1e-7 + norm)
    model.fit(X, Y, batch_size=4, epochs=1, shuffle=False, verbose=0)
    kernel, bias = model.get_weights()
    assert kernel.min() >= 0 and (kernel == 0).any()
    np.testing.assert_allclose(kernel, w, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(bias, b, rtol=1e-5, atol=1e-6)


def test_custom_callables_and_frozen_layers():
    def l1_sum(x):
        return keras.ops.multiply(0.5, keras.ops.sum(keras.ops.abs(x)))

    class Halve(constraints.Constraint):
        def __call__(self, w):
            return keras.ops.multiply(w, 0.5)

    inputs = keras.Input((3,))
    frozen = layers.Dense(3, kernel_regularizer=regularizers.L2(10.0), name="frozen")
    frozen.trainable = False
    out = layers.Dense(2, kernel_regularizer=l1_sum, kernel_constraint=Halve(), name="head")
    model = keras.Model(inputs, out(frozen(inputs)))
    model.compile(keras.optimizers.SGD(0.0), "mse")  # lr 0: only the constraint moves weights
    head_kernel = out.kernel.numpy()
    plain = float(np.mean((model.predict(X, verbose=0) - Y) ** 2))
    expected = plain + 0.5 * np.abs(head_kernel).sum()  # the frozen penalty is left out
    np.testing.assert_allclose(model.evaluate(X, Y, verbose=0), expected, rtol=1e-5)
    assert [float(v) for v in model.losses] == pytest.approx([0.5 * np.abs(head_kernel).sum()])
    model.fit(X, Y, batch_size=8, verbose=0)
    np.testing.assert_allclose(out.kernel.numpy(), head_kernel * 0.5, rtol=1e-6)


def test_activity_regularizer_divides_by_the_batch_size():
    model = _dense_model(activity_regularizer=regularizers.L2(0.05))
    model.compile(keras.optimizers.SGD(0.0), "mse")
    x, y = X[:7], Y[:7]
    out = x.astype(np.float64) @ W0 + B0
    totals = []
    for part in (slice(0, 4), slice(4, 7)):  # batches of 4 and 3
        err = out[part] - y[part]
        totals.append((err**2).mean() + 0.05 * (out[part] ** 2).sum() / len(err))
    expected = (4 * totals[0] + 3 * totals[1]) / 7
    np.testing.assert_allclose(model.evaluate(x, y, batch_size=4, verbose=0), expected, rtol=1e-5)
    history = model.fit(x, y, batch_size=4, shuffle=False, verbose=0)
    np.testing.assert_allclose(history.history["loss"], [expected], rtol=1e-5)
    dense = model.layers[0]
    dense(x)  # an eager call records its activity penalty
    np.testing.assert_allclose(
        [float(v) for v in dense.losses], [0.05 * (out**2).sum() / 7], rtol=1e-5
    )


def test_batch_normalization_gamma_beta_options_train():
    inputs = keras.Input((4,))
    bn = layers.BatchNormalization(
        gamma_regularizer="l2", beta_constraint="non_neg", beta_initializer="ones"
    )
    model = keras.Model(inputs, layers.Dense(1)(bn(inputs)))
    model.compile(keras.optimizers.SGD(1.0), "mse")
    model.fit(X[:, :3].repeat(2, 1)[:, :4], Y[:, :1] + 50.0, verbose=0)
    assert bn.beta.numpy().min() >= 0
    config = bn.get_config()
    assert config["gamma_regularizer"]["class_name"] == "L2"
    assert config["beta_constraint"]["class_name"] == "NonNeg"


@pytest.mark.parametrize(
    "make",
    [
        lambda: layers.Dense(2, kernel_regularizer="l1", activity_regularizer="l2"),
        lambda: layers.Conv2D(2, 3, bias_regularizer="l2", kernel_constraint="unit_norm"),
        lambda: layers.Conv1D(2, 3, kernel_constraint=constraints.MaxNorm(3, axis=[0, 1])),
    ],
)
def test_layer_configs_round_trip(make):
    layer = make()
    config = layer.get_config()
    again = type(layer).from_config(config)
    assert again.get_config() == {**config, "name": again.name}


def test_lora_rank_is_still_rejected():
    with pytest.raises(ValueError, match="Dense in kgraph does not support lora_rank"):
        layers.Dense(2, lora_rank=4)
    with pytest.raises(ValueError, match="Conv2D in kgraph does not support lora_rank"):
        layers.Conv2D(2, 3, lora_rank=4)
