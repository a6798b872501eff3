"""``keras.config.set_max_epochs`` / ``set_max_steps_per_epoch`` cap ``fit``, ``evaluate`` and
``predict`` as Keras' trainer and epoch iterator do (with Keras' warnings), and ``compile``
wraps the optimizer under ``mixed_float16``."""

from __future__ import annotations

import numpy as np
import pytest

import kgraph
from kgraph import config, layers


@pytest.fixture(autouse=True)
def no_caps():
    yield
    config.set_max_epochs(None)
    config.set_max_steps_per_epoch(None)
    config.set_dtype_policy("float32")


class Counter(kgraph.callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.train, self.test, self.predict = [], 0, 0

    def on_epoch_begin(self, epoch, logs=None):
        self.train.append(0)

    def on_train_batch_end(self, batch, logs=None):
        self.train[-1] += 1

    def on_test_batch_end(self, batch, logs=None):
        self.test += 1

    def on_predict_batch_end(self, batch, logs=None):
        self.predict += 1


def _model():
    model = kgraph.Sequential([kgraph.Input((3,)), layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    return model


def test_caps_limit_fit_evaluate_and_predict():
    x, y = np.ones((40, 3), np.float32), np.zeros((40, 1), np.float32)  # 10 batches of 4
    config.set_max_epochs(2)
    config.set_max_steps_per_epoch(3)
    assert (config.max_epochs(), config.max_steps_per_epoch()) == (2, 3)
    model, counter = _model(), Counter()
    with pytest.warns(UserWarning, match="Limiting epochs to 2"):
        history = model.fit(x, y, batch_size=4, epochs=5, verbose=0, callbacks=[counter])
    assert len(history.history["loss"]) == 2 and counter.train == [3, 3]
    with pytest.warns(UserWarning, match="Limiting steps_per_epoch to 3"):
        model.evaluate(x, y, batch_size=4, verbose=0, callbacks=[counter])
    assert counter.test == 3
    with pytest.warns(UserWarning, match="Limiting steps_per_epoch to 3"):
        out = model.predict(x, batch_size=4, verbose=0, callbacks=[counter])
    assert out.shape == (12, 1) and counter.predict == 3


def test_a_cap_above_the_request_changes_nothing():
    """Keras still warns about the steps cap when fit gets no steps_per_epoch."""
    config.set_max_epochs(10)
    config.set_max_steps_per_epoch(50)
    model, counter = _model(), Counter()
    x, y = np.ones((8, 3)), np.zeros((8, 1))
    with pytest.warns(UserWarning, match="Limiting steps_per_epoch to 50"):
        model.fit(x, y, batch_size=4, epochs=2, verbose=0, callbacks=[counter])
    assert counter.train == [2, 2]


def test_compile_wraps_the_optimizer_under_mixed_float16():
    config.set_dtype_policy("mixed_float16")
    model = _model()
    assert isinstance(model.optimizer, kgraph.optimizers.LossScaleOptimizer)
    assert model.optimizer.name == "loss_scale_optimizer"
    model = kgraph.Sequential([kgraph.Input((3,)), layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse", auto_scale_loss=False)
    assert not isinstance(model.optimizer, kgraph.optimizers.LossScaleOptimizer)
