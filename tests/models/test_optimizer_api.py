"""The optimizer and weight-control API: Adam and RMSprop steps against numpy, reassigning
``optimizer.learning_rate`` between fits (same engine, new rate), learning-rate schedules,
``set_random_seed`` reproducibility, ``trainable=False`` (no gradient nodes, weights kept),
Dropout masks in the step graph and BatchNormalization in training."""

from __future__ import annotations

import numpy as np
import pytest

import kgraph as keras
from kgraph import layers

TOL = {"rtol": 1e-5, "atol": 1e-6}
RNG = np.random.default_rng(11)
X = RNG.normal(size=(12, 3)).astype(np.float32)
Y = RNG.normal(size=(12, 2)).astype(np.float32)


def regression_model(optimizer):
    model = keras.Sequential([keras.Input(shape=(3,)), layers.Dense(2)])
    model.compile(optimizer=optimizer, loss="mse")
    return model


def sgd_steps(params, batches, rates):
    """Plain Keras SGD on ``x @ W + b`` with mse; one learning rate per batch."""
    for (x, y), lr in zip(batches, rates):
        d_pred = 2 * (x @ params[0] + params[1] - y) / y.size
        params[0] -= lr * (x.T @ d_pred)
        params[1] -= lr * d_pred.sum(0)
    return params


def assert_weights(model, params):
    for got, want in zip(model.get_weights(), params):
        np.testing.assert_allclose(got, want, **TOL)


# -- 2-layer softmax classifier ------------------------------------------------------------------
def classifier():
    keras.utils.set_random_seed(3)
    return keras.Sequential(
        [
            keras.Input(shape=(4,)),
            layers.Dense(6, activation="tanh"),
            layers.Dense(3, activation="softmax"),
        ]
    )


def softmax(z):
    e = np.exp(z - z.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


def ce_loss_and_grads(params, x, onehot):
    """Mean softmax cross-entropy and its gradients for tanh -> softmax Dense layers."""
    w1, b1, w2, b2 = params
    h = np.tanh(x @ w1 + b1)
    p = softmax(h @ w2 + b2)
    loss = -np.mean(np.sum(onehot * np.log(p), axis=-1))
    dz = (p - onehot) / len(x)
    dh = dz @ w2.T * (1 - h**2)
    return loss, [x.T @ dh, dh.sum(0), h.T @ dz, dz.sum(0)]


def adam_update(params, grads, slots, t, lr, b1=0.9, b2=0.999, eps=1e-7):
    alpha = lr * np.sqrt(1 - b2**t) / (1 - b1**t)
    for i, g in enumerate(grads):
        m, v = slots[i]
        m += (g - m) * (1 - b1)
        v += (g * g - v) * (1 - b2)
        params[i] -= m * alpha / (np.sqrt(v) + eps)


def rmsprop_update(params, grads, slots, t, lr, rho=0.9, eps=1e-7):
    for i, g in enumerate(grads):
        v = slots[i][0]
        v[...] = rho * v + (1 - rho) * g * g
        params[i] -= lr * g / np.sqrt(v + eps)


@pytest.mark.parametrize("case", ["adam_sparse", "rmsprop_categorical"])
def test_classifier_three_steps_match_numpy(case):
    model = classifier()
    x = RNG.normal(size=(12, 4)).astype(np.float32)
    labels = RNG.integers(0, 3, 12)
    onehot = np.eye(3, dtype=np.float32)[labels]
    if case == "adam_sparse":
        model.compile(keras.optimizers.Adam(0.05), "sparse_categorical_crossentropy")
        targets, update = labels, adam_update
    else:
        model.compile(keras.optimizers.RMSprop(0.01), "categorical_crossentropy")
        targets, update = onehot, rmsprop_update
    params = [w.astype(np.float64) for w in model.get_weights()]
    slots = [(np.zeros_like(p), np.zeros_like(p)) for p in params]
    for t, s in enumerate([slice(0, 4), slice(4, 8), slice(8, 12)], start=1):
        loss = model.train_on_batch(x[s], targets[s])
        want, grads = ce_loss_and_grads(params, x[s], onehot[s])
        update(params, grads, slots, t, model.optimizer.learning_rate)
        np.testing.assert_allclose(loss, want, **TOL)
        for got, ref in zip(model.get_weights(), params):
            np.testing.assert_allclose(got, ref, **TOL)


# -- learning rate ------------------------------------------------------------------------------
def test_learning_rate_is_assignable_between_fits_without_recompiling():
    model = regression_model(keras.optimizers.SGD(0.1))
    assert model.optimizer.learning_rate == pytest.approx(0.1)
    params = [w.astype(np.float64) for w in model.get_weights()]
    model.fit(X, Y, batch_size=12, shuffle=False, verbose=0)
    engine = model._trainer.engine
    model.optimizer.learning_rate = 0.01
    assert model.optimizer.learning_rate == pytest.approx(0.01)
    model.fit(X, Y, batch_size=12, epochs=2, shuffle=False, verbose=0)
    assert model._trainer.engine is engine
    assert_weights(model, sgd_steps(params, [(X, Y)] * 3, [0.1, 0.01, 0.01]))


def test_exponential_decay_schedule():
    schedule = keras.optimizers.schedules.ExponentialDecay(0.2, decay_steps=2, decay_rate=0.5)
    model = regression_model(keras.optimizers.SGD(schedule))
    params = [w.astype(np.float64) for w in model.get_weights()]
    model.fit(X, Y, batch_size=4, epochs=2, shuffle=False, verbose=0)
    batches = [(X[i : i + 4], Y[i : i + 4]) for i in range(0, 12, 4)] * 2
    # Keras reads the schedule at `iterations` before the update: 0, 1, ..., 5
    assert_weights(model, sgd_steps(params, batches, [0.2 * 0.5 ** (t / 2) for t in range(6)]))
    assert model.optimizer.iterations == 6
    assert model.optimizer.learning_rate == pytest.approx(0.2 * 0.5**3)


# -- seeds and dropout --------------------------------------------------------------------------
def seeded_run(seed):
    keras.utils.set_random_seed(seed)
    model = keras.Sequential(
        [
            keras.Input(shape=(3,)),
            layers.Dense(8, activation="relu"),
            layers.Dropout(0.5),
            layers.Dense(2),
        ]
    )
    model.compile("adam", "mse")
    history = model.fit(X, Y, batch_size=4, epochs=3, shuffle=True, verbose=0)
    return history.history["loss"], model.get_weights()


def test_set_random_seed_makes_fit_reproducible():
    (loss_a, weights_a), (loss_b, weights_b) = seeded_run(5), seeded_run(5)
    assert loss_a == loss_b
    for a, b in zip(weights_a, weights_b):
        np.testing.assert_array_equal(a, b)
    assert seeded_run(6)[0] != loss_a


def test_dropout_draws_a_new_mask_every_step():
    model = keras.Sequential(
        [
            keras.Input(shape=(200,)),
            layers.Dropout(0.5),
            layers.Dense(1, use_bias=False, kernel_initializer="ones"),
        ]
    )
    model.compile(keras.optimizers.SGD(0.0), "mae")
    x, y = np.ones((16, 200), np.float32), np.zeros((16, 1), np.float32)
    ops = [node.op_type for node in model._trainer.programs().step.model.graph]
    assert ops.count("Dropout") == 1
    losses = [model.train_on_batch(x, y) for _ in range(6)]
    # inference: no dropout, every output is exactly 200; training: 2 * (kept inputs) each
    assert model.evaluate(x, y, verbose=0) == 200.0
    np.testing.assert_allclose(model.predict(x), 200.0)
    assert len(set(losses)) == len(losses) and 200.0 not in losses
    for loss in losses:
        assert abs(loss - 200) < 30 and float(loss * 8).is_integer()


def test_batch_normalization_model_trains():
    keras.utils.set_random_seed(0)
    x = (RNG.normal(size=(128, 3)) * 4 + 3).astype(np.float32)
    y = x @ np.array([[1.0], [-2.0], [0.5]], np.float32) / 4
    model = keras.Sequential(
        [
            keras.Input(shape=(3,)),
            layers.Dense(8),
            layers.BatchNormalization(),
            layers.Activation("relu"),
            layers.Dense(1),
        ]
    )
    model.compile(keras.optimizers.Adam(0.02), "mse")
    losses = model.fit(x, y, batch_size=16, epochs=10, verbose=0).history["loss"]
    assert losses[-1] < 0.2 * losses[0]


# -- trainable ----------------------------------------------------------------------------------
def two_layers(freeze_first):
    keras.utils.set_random_seed(1)
    model = keras.Sequential(
        [keras.Input(shape=(3,)), layers.Dense(4, name="first"), layers.Dense(2, name="second")]
    )
    model.get_layer("first").trainable = not freeze_first
    model.compile(keras.optimizers.SGD(0.1), "mse")
    return model


def step_nodes(model, prefix):
    return [n.name for n in model._trainer.programs().step.model.graph if n.name.startswith(prefix)]


def grad_nodes_reading(model, value_name):
    graph = model._trainer.programs().step.model.graph
    return [
        n.name
        for n in graph
        if n.name.startswith("grad/")
        and any(v is not None and v.name == value_name for v in n.inputs)
    ]


def test_frozen_layer_keeps_weights_and_has_no_gradient_nodes():
    frozen, trained = two_layers(True), two_layers(False)
    before = frozen.get_weights()
    for model in (frozen, trained):
        model.fit(X, Y, batch_size=4, epochs=2, verbose=0)
    after = frozen.get_weights()
    np.testing.assert_array_equal(after[0], before[0])
    np.testing.assert_array_equal(after[1], before[1])
    assert not np.allclose(after[2], before[2])
    assert step_nodes(frozen, f"grad/{frozen.name}/first/") == []
    assert step_nodes(trained, f"grad/{trained.name}/first/") != []
    assert step_nodes(frozen, "optimizer/first/") == []
    inputs = {v.name for v in frozen._trainer.programs().step.model.graph.inputs}
    assert "first/kernel" not in inputs and "second/kernel" in inputs
    # nothing flows back into the frozen layer: no gradient node reads the next kernel either
    assert grad_nodes_reading(frozen, "second/kernel") == []
    assert grad_nodes_reading(trained, "second/kernel") != []
    assert [w.path for w in frozen.weights] == [  # Keras' order, frozen or not
        "first/kernel",
        "first/bias",
        "second/kernel",
        "second/bias",
    ]


def test_untrainable_model_fits_silently_like_keras():
    model = regression_model(keras.optimizers.SGD(0.1))
    model.trainable = False
    w, b = model.get_weights()
    history = model.fit(X, Y, batch_size=4, epochs=2, verbose=0)
    np.testing.assert_array_equal(model.get_weights()[0], w)
    want = np.mean((X @ w + b - Y) ** 2)
    np.testing.assert_allclose(history.history["loss"], [want, want], **TOL)
    assert step_nodes(model, "grad/") == []
