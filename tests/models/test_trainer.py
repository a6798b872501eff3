"""The trainer: explicit weight synchronisation points, a non-finite step dropped with the
weights of the last finite step kept, Keras' checks of ``fit``'s epoch arguments, and the
optimizer state as Keras lists it (``optimizer.variables``), saved and loaded to continue."""

from __future__ import annotations

import numpy as np
import pytest

import kgraph as keras
from kgraph import layers

RNG = np.random.default_rng(7)
X = RNG.normal(size=(16, 3)).astype(np.float32)
Y = RNG.normal(size=(16, 2)).astype(np.float32)


def regressor(optimizer="sgd", seed=1):
    keras.utils.set_random_seed(seed)
    model = keras.Sequential([keras.Input(shape=(3,)), layers.Dense(4), layers.Dense(2)])
    model.compile(optimizer, "mse")
    return model


def numpy_sgd(weights, batches, lr=0.01):
    """Plain SGD on a linear two-layer net with the MSE loss, in float64."""
    k1, b1, k2, b2 = (w.astype(np.float64) for w in weights)
    for x, y in batches:
        h = x @ k1 + b1
        err = h @ k2 + b2 - y
        g_out = 2 * err / err.size
        g_k2, g_b2 = h.T @ g_out, g_out.sum(0)
        g_h = g_out @ k2.T
        g_k1, g_b1 = x.T @ g_h, g_h.sum(0)
        k1, b1, k2, b2 = k1 - lr * g_k1, b1 - lr * g_b1, k2 - lr * g_k2, b2 - lr * g_b2
    return [k1, b1, k2, b2]


def test_non_finite_step_is_dropped_and_the_model_stays_usable():
    model = regressor()
    start = model.get_weights()
    poisoned = X[8:12].copy()
    poisoned[0, 0] = np.inf
    clean = [(X[:4], Y[:4]), (X[4:8], Y[4:8])]
    with pytest.raises(FloatingPointError, match=r"epoch 1, step 3\. The model keeps"):
        model.fit([*clean, (poisoned, Y[8:12])], epochs=1, verbose=0)
    assert model.optimizer.iterations == 2
    for got, want in zip(model.get_weights(), numpy_sgd(start, clean)):
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
    history = model.fit(X, Y, batch_size=4, epochs=1, verbose=0)  # carries on from there
    assert np.isfinite(history.history["loss"][0])
    assert model.optimizer.iterations == 6


class StopOnNaN(keras.callbacks.Callback):
    """What Keras' TerminateOnNaN does: stop when a batch's loss is not finite."""

    def on_train_batch_end(self, batch, logs=None):
        self.seen = logs
        if not np.isfinite(logs["loss"]):
            self.model.stop_training = True


def test_a_callback_that_stops_on_nan_ends_training_without_an_error():
    model = regressor()
    poisoned = X[4:8].copy()
    poisoned[1, 1] = np.nan
    stopper = StopOnNaN()
    history = model.fit(
        [(X[:4], Y[:4]), (poisoned, Y[4:8]), (X[8:12], Y[8:12])],
        epochs=3,
        verbose=0,
        callbacks=[stopper],
    )
    assert np.isnan(stopper.seen["loss"])
    assert history.epoch == [0] and model.optimizer.iterations == 1
    assert all(np.isfinite(w).all() for w in model.get_weights())


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"epochs": 2.5}, r"`epochs` must be a non-negative integer\. Received: epochs=2\.5"),
        ({"epochs": -1}, r"Received: epochs=-1"),
        ({"epochs": 2, "initial_epoch": 3}, r"`initial_epoch` \(3\) is past `epochs` \(2\)"),
        ({"steps_per_epoch": 0}, r"`steps_per_epoch` must be a positive integer or None"),
    ],
)
def test_fit_rejects_bad_epoch_arguments(kwargs, match):
    model = regressor()
    before = model.get_weights()
    with pytest.raises(ValueError, match=match) as info:
        model.fit(X, Y, verbose=0, **kwargs)
    assert "\n" not in str(info.value)
    for got, want in zip(model.get_weights(), before):
        np.testing.assert_array_equal(got, want)


def test_initial_epoch_equal_to_epochs_trains_nothing_as_in_keras():
    model = regressor()
    history = model.fit(X, Y, epochs=2, initial_epoch=2, verbose=0)
    assert history.epoch == [] and model.optimizer.iterations == 0


def count_pulls(model, monkeypatch):
    engine = model._trainer.engine
    calls = []
    original = engine.get_state
    monkeypatch.setattr(engine, "get_state", lambda: calls.append(1) or original())
    return calls


def test_weights_come_back_only_at_epoch_ends_without_user_callbacks(monkeypatch):
    model = regressor()
    model.train_on_batch(X[:4], Y[:4])  # builds the engine
    calls = count_pulls(model, monkeypatch)
    model.fit(X, Y, batch_size=4, epochs=3, verbose=1)  # History and the progress bar
    assert len(calls) == 3


def test_a_callback_hook_sees_the_weights_of_every_step(monkeypatch):
    model = regressor()
    model.train_on_batch(X[:4], Y[:4])
    seen = []

    class Reader(keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            seen.append(self.model.layers[0].kernel.numpy())

    calls = count_pulls(model, monkeypatch)
    start = model.get_weights()
    model.fit(X, Y, batch_size=4, epochs=1, shuffle=False, verbose=0, callbacks=[Reader()])
    assert len(calls) == 4  # before each hook (the epoch end then has nothing new to pull)
    batches = [(X[i : i + 4], Y[i : i + 4]) for i in range(0, 16, 4)]
    for step, kernel in enumerate(seen):
        want = numpy_sgd(start, batches[: step + 1])[0]
        np.testing.assert_allclose(kernel, want, rtol=1e-5, atol=1e-6)


def test_a_weight_written_by_a_callback_is_trained_from():
    model = regressor()

    class Zero(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            if epoch == 0:
                self.model.set_weights([np.zeros_like(w) for w in self.model.get_weights()])

    model.fit(X, Y, batch_size=16, epochs=2, verbose=0, callbacks=[Zero()])
    want = numpy_sgd([np.zeros_like(w) for w in model.get_weights()], [(X, Y)])
    for got, expected in zip(model.get_weights(), want):
        np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-7)


def test_optimizer_variables_follow_keras_order_and_continue_a_run():
    data = [(X[:8], Y[:8]), (X[8:], Y[8:])]
    full = regressor(keras.optimizers.Adam(0.01))
    start = full.get_weights()
    full.fit(data, epochs=2, verbose=0)
    first = regressor(keras.optimizers.Adam(0.01))
    first.set_weights(start)
    names = [v.name for v in first.optimizer.variables]  # listed (zero) from compile on
    assert names == ["iteration", "learning_rate"] + ["adam_m", "adam_v"] * 4
    assert not any(v.numpy().any() for v in first.optimizer.variables[2:])
    first.fit(data, epochs=1, verbose=0)
    assert [v.name for v in first.optimizer.variables] == names
    paths = [v.path for v in first.optimizer.variables[2::2]]
    kernel, bias = first.layers[0].kernel.path, first.layers[0].bias.path
    assert paths[:2] == [f"{kernel}/adam_m", f"{bias}/adam_m"]
    saved = [v.numpy() for v in first.optimizer.variables]
    assert int(saved[0]) == 2 and np.isclose(saved[1], 0.01)
    resumed = regressor(keras.optimizers.Adam(0.01))
    resumed.set_weights(first.get_weights())
    resumed.optimizer.load_variables(saved)
    resumed.fit(data, epochs=2, initial_epoch=1, verbose=0)
    for got, want in zip(resumed.get_weights(), full.get_weights()):
        np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-7)


def test_keras_older_batch_hook_names_are_called_and_see_live_weights():
    model = regressor()
    seen = []

    class Old(keras.callbacks.Callback):
        def on_batch_end(self, batch, logs=None):
            seen.append((batch, logs["loss"], self.model.layers[1].bias.numpy()))

    model.fit(X, Y, batch_size=8, epochs=1, verbose=0, callbacks=[Old()])
    assert [s[0] for s in seen] == [0, 1]
    np.testing.assert_array_equal(seen[-1][2], model.layers[1].bias.numpy())
    assert not np.array_equal(seen[0][2], seen[1][2])


def test_a_run_resumed_at_an_epoch_shuffles_that_epoch_as_the_whole_run_did():
    def run(epochs, initial_epoch=0, state=None):
        model = regressor(keras.optimizers.Adam(0.01), seed=5)
        if state is not None:
            model.set_weights(state[0])
            model.optimizer.load_variables(state[1])
        model.fit(X, Y, batch_size=4, epochs=epochs, initial_epoch=initial_epoch, verbose=0)
        return model

    whole = run(3)
    first = run(1)
    state = (first.get_weights(), [v.numpy() for v in first.optimizer.variables])
    resumed = run(3, initial_epoch=1, state=state)
    for got, want in zip(resumed.get_weights(), whole.get_weights()):
        np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-7)
