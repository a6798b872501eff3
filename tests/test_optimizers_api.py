"""The Keras optimizer API of ``kgraph.optimizers``: ``optimizer.learning_rate`` as Keras' scalar
variable (``assign``, ``float``, numpy, arithmetic), schedules (read-only rates, as in Keras),
and the clipping arguments checked at construction. SGD steps are checked against numpy."""

from __future__ import annotations

import numpy as np
import pytest

import kgraph as keras
from kgraph import optimizers

RNG = np.random.default_rng(3)
X = RNG.normal(size=(8, 3)).astype(np.float32)
Y = RNG.normal(size=(8, 2)).astype(np.float32)


def test_learning_rate_is_a_live_scalar_variable():
    opt = optimizers.Adam(learning_rate=1e-3)
    lr = opt.learning_rate
    assert float(lr) == 1e-3 and lr.value == 1e-3
    assert np.asarray(lr).dtype == np.float32 and np.asarray(lr).shape == ()
    assert lr.numpy() == np.float32(1e-3)
    assert lr == 1e-3 and lr != 2e-3 and lr < 1 and lr >= 1e-3 and bool(lr)
    assert lr == pytest.approx(1e-3)
    assert lr * 2 == 2 * lr == 2e-3 and lr / 2 == 5e-4 and 1 - lr == 0.999 and -lr == -1e-3
    np.testing.assert_allclose(np.ones(2) * lr, [1e-3, 1e-3])
    assert f"{lr:.1e}" == "1.0e-03" and "0.001" in repr(lr)

    assert lr.assign(1e-4) is lr
    assert float(opt.learning_rate) == float(lr) == 1e-4  # the old handle sees the new rate
    lr.assign(np.asarray(5e-4, np.float32))
    assert lr == pytest.approx(5e-4)
    lr.assign_add(5e-4)
    assert lr == pytest.approx(1e-3)
    opt.learning_rate = opt.learning_rate * 0.5  # plain assignment of the arithmetic result
    assert lr == pytest.approx(5e-4)
    opt.learning_rate = optimizers.SGD(0.25).learning_rate  # another optimizer's handle
    assert opt.learning_rate == 0.25 and opt.get_config()["learning_rate"] == 0.25
    with pytest.raises(ValueError, match="scalar"):
        lr.assign([1e-3, 1e-3])
    with pytest.raises(ValueError, match=">= 0"):
        lr.assign(-1.0)


def sgd_fit(model, epochs):
    """One full-batch SGD step per epoch on ``x @ W + b`` with mse, in numpy."""
    w, b = (p.copy() for p in model.get_weights())
    for lr in epochs:
        d_pred = 2 * (X @ w + b - Y) / Y.size
        w, b = w - lr * (X.T @ d_pred), b - lr * d_pred.sum(0)
    return w, b


def test_assign_between_fits_changes_the_step():
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    model.compile(optimizer=optimizers.SGD(0.1), loss="mse")
    want = sgd_fit(model, [0.1, 0.01])
    model.fit(X, Y, batch_size=len(X), verbose=0)
    model.optimizer.learning_rate.assign(0.01)
    model.fit(X, Y, batch_size=len(X), verbose=0)
    for got, expected in zip(model.get_weights(), want):
        np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)
    assert float(model.optimizer.learning_rate) == 0.01


def test_schedule_rate_is_read_only_as_in_keras():
    schedule = optimizers.schedules.ExponentialDecay(0.2, decay_steps=2, decay_rate=0.5)
    opt = optimizers.SGD(schedule)
    assert isinstance(opt.learning_rate, float) and opt.learning_rate == pytest.approx(0.2)
    opt.iterations = 4
    assert opt.learning_rate == pytest.approx(0.05)
    with pytest.raises(TypeError, match="not settable"):
        opt.learning_rate = 0.1
    plain = optimizers.SGD(0.1)
    view = plain.learning_rate
    plain.learning_rate = schedule  # a schedule may replace a constant rate
    with pytest.raises(TypeError, match="not settable"):
        view.assign(0.1)
    assert plain.learning_rate == pytest.approx(0.2)


def test_callable_learning_rate_is_called_without_arguments():
    opt = optimizers.SGD(lambda: 0.03)
    assert opt.learning_rate == pytest.approx(0.03)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"clipnorm": 1.0, "clipvalue": 0.5},
        {"clipnorm": 1.0, "global_clipnorm": 1.0},
        {"clipvalue": 0.5, "global_clipnorm": 1.0},
        {"clipnorm": 1.0, "clipvalue": 0.5, "global_clipnorm": 1.0},
    ],
)
@pytest.mark.parametrize("cls", [optimizers.SGD, optimizers.Adam, optimizers.RMSprop])
def test_only_one_clipping_argument(cls, kwargs):
    with pytest.raises(ValueError, match="Only one of `clipnorm`, `clipvalue` and `global_clip"):
        cls(**kwargs)
    for key, value in kwargs.items():  # each alone is fine
        assert getattr(cls(**{key: value}), key) == value


def test_get_config_lists_keras_base_options_in_keras_order():
    """Keras' ``get_config`` writes every base option, set or not, before the optimizer's own
    hyper-parameters; a schedule is written as a serialized object (with its class name)."""
    config = optimizers.SGD(0.1, gradient_accumulation_steps=2).get_config()
    assert config == {
        "name": "sgd",
        "learning_rate": 0.1,
        "weight_decay": None,
        "clipnorm": None,
        "global_clipnorm": None,
        "clipvalue": None,
        "use_ema": False,
        "ema_momentum": 0.99,
        "ema_overwrite_frequency": None,
        "loss_scale_factor": None,
        "gradient_accumulation_steps": 2,
        "momentum": 0.0,
        "nesterov": False,
    }
    assert list(optimizers.AdamW(0.01).get_config())[5:11] == [
        "clipvalue",
        "use_ema",
        "ema_momentum",
        "ema_overwrite_frequency",
        "loss_scale_factor",
        "gradient_accumulation_steps",
    ]
    schedule = optimizers.schedules.ExponentialDecay(0.1, 2, 0.5)
    rate = optimizers.Adam(schedule).get_config()["learning_rate"]
    assert (rate["class_name"], rate["config"]["decay_steps"]) == ("ExponentialDecay", 2)
    assert optimizers.Adam.from_config(
        optimizers.Adam(schedule).get_config()
    ).learning_rate_schedule
