"""The optimizers added to ``kgraph.optimizers`` (Adamax ... Muon, LossScaleOptimizer) and the
base options (use_ema, gradient accumulation) as a user meets them: construction checks,
``get`` by name, training through ``fit``, the EMA slots, and ``SwapEMAWeights``."""

from __future__ import annotations

import numpy as np
import pytest

import kgraph as keras
from kgraph import optimizers

RNG = np.random.default_rng(7)
X = RNG.normal(size=(32, 4)).astype(np.float32)
Y = (X @ RNG.normal(size=(4, 2))).astype(np.float32)
NEW = ["Adamax", "Nadam", "Lion", "Adadelta", "Ftrl", "Adafactor", "Muon", "Lamb"]


def _model():
    keras.utils.set_random_seed(1)
    return keras.Sequential([keras.Input((4,)), keras.layers.Dense(8), keras.layers.Dense(2)])


@pytest.mark.parametrize("name", NEW)
def test_get_by_name_and_fit_lowers_the_loss(name):
    optimizer = optimizers.get(name.lower())
    assert type(optimizer).__name__ == name and optimizers.get(name).name == name.lower()
    optimizer = getattr(optimizers, name)(learning_rate=1.0 if name == "Adadelta" else 0.05)
    model = _model()
    model.compile(optimizer, "mse")
    history = model.fit(X, Y, epochs=4, batch_size=8, verbose=0).history["loss"]
    assert history[-1] < history[0]
    assert optimizer.iterations == 16 and optimizer.slot_variables


@pytest.mark.parametrize(
    "make, match",
    [
        (lambda: optimizers.Lion(beta_1=0.0), "beta_1"),
        (lambda: optimizers.Ftrl(learning_rate_power=0.1), "learning_rate_power"),
        (lambda: optimizers.Ftrl(l1_regularization_strength=-1.0), "l1_regularization_strength"),
        (lambda: optimizers.Adam(use_ema=True, ema_momentum=2.0), "ema_momentum"),
        (lambda: optimizers.SGD(gradient_accumulation_steps=1), "gradient_accumulation_steps"),
        (lambda: optimizers.Nadam(momentum=0.9), "not recognized"),
        (lambda: optimizers.LossScaleOptimizer(optimizers.SGD(), clipnorm=1.0), "clipnorm"),
        (lambda: optimizers.LossScaleOptimizer(optimizers.SGD(), dynamic=False), "dynamic"),
        (lambda: optimizers.LossScaleOptimizer("sgd"), "inner_optimizer"),
    ],
)
def test_bad_arguments_fail_at_construction(make, match):
    with pytest.raises(ValueError, match=match):
        make()


def test_loss_scale_optimizer_delegates_rate_and_steps_and_trains():
    inner = optimizers.Adam(0.01)
    optimizer = optimizers.LossScaleOptimizer(inner, initial_scale=8.0)
    assert float(optimizer.learning_rate) == 0.01
    optimizer.learning_rate = 0.02
    assert float(inner.learning_rate) == 0.02
    model = _model()
    model.compile(optimizer, "mse")
    history = model.fit(X, Y, epochs=3, batch_size=8, verbose=0).history["loss"]
    assert history[-1] < history[0] and inner.iterations == 12
    config = optimizer.get_config()
    assert config["inner_optimizer"]["class_name"] == "Adam" and config["initial_scale"] == 8.0


def test_gradient_accumulation_updates_every_n_steps():
    model = _model()
    model.compile(optimizers.SGD(0.1, gradient_accumulation_steps=2), "mse")
    before = [w.numpy() for w in model.trainable_weights]
    model.train_on_batch(X[:8], Y[:8])
    for old, weight in zip(before, model.trainable_weights):
        np.testing.assert_array_equal(weight.numpy(), old)
    model.train_on_batch(X[8:16], Y[8:16])
    assert any(np.abs(w.numpy() - old).max() > 0 for old, w in zip(before, model.trainable_weights))


def test_ema_slots_and_finalize():
    model = _model()
    optimizer = optimizers.SGD(0.1, use_ema=True, ema_momentum=0.5)
    model.compile(optimizer, "mse")
    model.fit(X, Y, epochs=1, batch_size=8, verbose=0)
    averages = optimizer.ema_variables(model.trainable_weights)
    assert all(a is not None for a in averages)
    for weight, average in zip(model.trainable_weights, averages):  # fit ends on the averages
        np.testing.assert_array_equal(weight.numpy(), average.numpy())
    model.train_on_batch(X[:8], Y[:8])
    assert any(
        np.abs(w.numpy() - a.numpy()).max() > 0 for w, a in zip(model.trainable_weights, averages)
    )
    optimizer.finalize_variable_values(model.trainable_weights)
    for weight, average in zip(model.trainable_weights, averages):
        np.testing.assert_array_equal(weight.numpy(), average.numpy())


def test_swap_ema_weights_evaluates_with_the_averages():
    model = _model()
    optimizer = optimizers.SGD(0.05, use_ema=True, ema_momentum=0.9)
    model.compile(optimizer, "mse")
    model.fit(X, Y, epochs=2, batch_size=8, verbose=0)
    model.train_on_batch(X[:8], Y[:8])  # fit ended on the averages: move the weights off them
    weights = [w.numpy() for w in model.trainable_weights]
    averages = [a.numpy() for a in optimizer.ema_variables(model.trainable_weights)]
    plain = model.evaluate(X, Y, verbose=0)
    swapped = model.evaluate(X, Y, verbose=0, callbacks=[keras.callbacks.SwapEMAWeights()])
    (k1, b1), (k2, b2) = averages[:2], averages[2:]
    assert swapped == pytest.approx(float(np.mean(((X @ k1 + b1) @ k2 + b2 - Y) ** 2)), rel=1e-4)
    assert plain != pytest.approx(swapped)
    for weight, old in zip(model.trainable_weights, weights):  # swapped back afterwards
        np.testing.assert_array_equal(weight.numpy(), old)


def test_swap_ema_weights_on_epoch_keeps_the_final_averages():
    model = _model()
    model.compile(optimizers.SGD(0.05, use_ema=True), "mse")
    callback = keras.callbacks.SwapEMAWeights(swap_on_epoch=True)
    model.fit(X, Y, epochs=2, batch_size=8, verbose=0, callbacks=[callback])
    averages = model.optimizer.ema_variables(model.trainable_weights)
    for weight, average in zip(model.trainable_weights, averages):
        np.testing.assert_array_equal(weight.numpy(), average.numpy())


def test_swap_ema_weights_needs_an_ema_optimizer():
    model = _model()
    model.compile("sgd", "mse")
    model.fit(X, Y, epochs=1, verbose=0)
    with pytest.raises(ValueError, match="use_ema"):
        model.evaluate(X, Y, verbose=0, callbacks=[keras.callbacks.SwapEMAWeights()])


@pytest.mark.parametrize(
    "make",
    [
        lambda: optimizers.LossScaleOptimizer(optimizers.Nadam(0.01), initial_scale=8.0),
        lambda: optimizers.Adam(0.01, use_ema=True, gradient_accumulation_steps=2),
        lambda: optimizers.Muon(0.01, exclude_layers=["dense_1"]),
    ],
    ids=["loss_scale", "adam_ema", "muon"],
)
def test_saved_models_reload_the_optimizer(make, tmp_path):
    model = _model()
    model.compile(make(), "mse")
    model.fit(X, Y, epochs=1, batch_size=8, verbose=0)
    path = tmp_path / "m.keras"
    model.save(path)
    loaded = keras.models.load_model(path)
    assert type(loaded.optimizer) is type(model.optimizer)

    def config(optimizer):  # the rate comes back as the float32 Keras stores
        text = repr(optimizer.get_config())
        return text.replace("0.009999999776482582", "0.01")

    assert config(loaded.optimizer) == config(model.optimizer)
    assert float(loaded.optimizer.learning_rate) == pytest.approx(0.01)
    # Keras counts applied updates: 4 steps, 2 of them (gradient_accumulation_steps=2) for adam_ema
    applied = 2 if model.optimizer.gradient_accumulation_steps else 4
    assert loaded.optimizer.iterations == model.optimizer.iterations == applied
    loaded.fit(X, Y, epochs=1, batch_size=8, verbose=0)


def test_serialize_deserialize_and_get_from_a_config():
    optimizer = optimizers.ScheduleFreeAdamW(0.01, warmup_steps=3)
    data = optimizers.serialize(optimizer)
    assert data["class_name"] == "ScheduleFreeAdamW" and data["config"]["warmup_steps"] == 3
    again = optimizers.deserialize(data)
    assert type(again) is optimizers.ScheduleFreeAdamW and again.name == "schedule_free_adam_w"
    assert again.spec() == optimizer.spec()
    lower = {"class_name": "lamb", "config": {"learning_rate": 0.5}}
    assert float(optimizers.get(lower).learning_rate) == 0.5


def test_swap_ema_weights_validates_with_the_averages_during_fit():
    model = _model()
    optimizer = optimizers.LossScaleOptimizer(optimizers.SGD(0.1, use_ema=True, ema_momentum=0.9))
    assert optimizer.use_ema and optimizer.inner_optimizer.ema_momentum == 0.9
    model.compile(optimizer, "mse")
    history = model.fit(
        X, Y, epochs=1, batch_size=8, verbose=0, validation_data=(X, Y),
        callbacks=[keras.callbacks.SwapEMAWeights()],
    )  # fmt: skip
    (k1, b1), (k2, b2) = np.split(
        np.array([a.numpy() for a in optimizer.ema_variables(model.trainable_weights)], object), 2
    )
    want = float(np.mean(((X @ k1 + b1) @ k2 + b2 - Y) ** 2))
    assert history.history["val_loss"][0] == pytest.approx(want, rel=1e-5)
    assert history.history["loss"][0] != pytest.approx(want, rel=1e-3)
