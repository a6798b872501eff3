"""The Model / Optimizer / Metric attributes Keras programs and callbacks read: values checked
against numpy computations of the same quantities."""

from __future__ import annotations

import numpy as np
import pytest

import kgraph as keras

RNG = np.random.default_rng(0)
X = RNG.normal(size=(24, 4)).astype("float32")
Y = RNG.integers(0, 3, size=24)


def _model(metrics=("accuracy",), optimizer="adam"):
    keras.utils.clear_session()
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, activation="softmax")])
    model.compile(optimizer, "sparse_categorical_crossentropy", metrics=list(metrics))
    return model


def _numpy_results(model, x, y):
    """Crossentropy and accuracy of the model's current predictions, in numpy."""
    probs = model.predict(x, verbose=0).astype(np.float64)
    loss = -np.mean(np.log(probs[np.arange(len(y)), y]))
    return loss, np.mean(np.argmax(probs, -1) == y)


def test_iterations_is_a_live_int_variable():
    model = _model()
    model.fit(X, Y, batch_size=8, epochs=2, verbose=0)
    iterations = model.optimizer.iterations
    assert int(iterations) == 6 and iterations == 6 and iterations.numpy() == 6
    assert iterations.numpy().dtype == np.int64 and iterations.value == 6
    assert iterations + 1 == 7 and f"{iterations}" == "6" and list(range(7))[iterations] == 6
    iterations.assign(10)
    assert int(model.optimizer.iterations) == 10
    model.fit(X, Y, batch_size=8, verbose=0)
    assert int(iterations) == 13 and int(model.optimizer.variables[0].numpy()) == 13
    with pytest.raises(ValueError, match="integral scalar"):
        iterations.assign(1.5)


def test_schedule_follows_assigned_iterations():
    schedule = keras.optimizers.schedules.ExponentialDecay(0.1, decay_steps=2, decay_rate=0.5)
    optimizer = keras.optimizers.SGD(schedule)
    optimizer.iterations.assign(4)
    assert float(optimizer.learning_rate) == pytest.approx(0.1 * 0.5**2)


def test_metrics_after_compile_fit_evaluate_and_reset():
    model = _model()
    assert [m.name for m in model.metrics] == ["loss", "compile_metrics"]
    with pytest.raises(ValueError, match="not yet been built"):
        model.get_metrics_result()
    model.fit(X, Y, batch_size=24, epochs=1, shuffle=False, verbose=0)
    results = model.evaluate(X, Y, batch_size=8, verbose=0, return_dict=True)
    loss, accuracy = _numpy_results(model, X, Y)
    shown = model.get_metrics_result()
    assert list(shown) == ["loss", "accuracy"]
    np.testing.assert_allclose([shown["loss"], shown["accuracy"]], [loss, accuracy], rtol=1e-5)
    np.testing.assert_allclose(results["loss"], loss, rtol=1e-5)
    tracker, compiled = model.metrics
    assert compiled.name == "compile_metrics" and isinstance(compiled.result(), dict)
    assert isinstance(tracker, keras.metrics.Metric) and tracker.result() == shown["loss"]
    by_path = {v.path: float(v.numpy()) for v in model.metrics_variables}
    assert by_path["loss/count"] == 24 and by_path["accuracy/count"] == 24
    np.testing.assert_allclose(by_path["loss/total"], loss * 24, rtol=1e-5)
    assert by_path["accuracy/total"] == round(accuracy * 24)
    tracker.reset_state()
    assert model.get_metrics_result() == {"loss": 0.0, "accuracy": shown["accuracy"]}
    model.reset_metrics()
    assert model.get_metrics_result() == {"loss": 0.0, "accuracy": 0.0}


def test_metrics_show_the_last_training_epoch():
    model = _model()
    history = model.fit(X, Y, batch_size=8, epochs=2, verbose=0)
    shown = model.get_metrics_result()
    assert shown["loss"] == pytest.approx(history.history["loss"][-1], rel=1e-6)
    assert shown["accuracy"] == pytest.approx(history.history["accuracy"][-1], rel=1e-6)


def test_compute_loss_and_compute_metrics_eagerly():
    model = _model()
    model.fit(X, Y, batch_size=24, verbose=0)
    model.reset_metrics()
    probs = model.predict(X, verbose=0)
    loss, accuracy = _numpy_results(model, X, Y)
    assert model.compute_loss(X, Y, probs) == pytest.approx(loss, rel=1e-5)
    weights = np.linspace(0.5, 2.0, 24)
    expected = -np.sum(weights * np.log(probs[np.arange(24), Y].astype(np.float64))) / 24
    assert model.compute_loss(X, Y, probs, weights) == pytest.approx(expected, rel=1e-5)
    assert model.compute_metrics(X, Y, probs)["accuracy"] == pytest.approx(accuracy)
    second = model.compute_metrics(X[:8], Y[:8], probs[:8])  # accumulates, as Keras
    hits = np.sum(np.argmax(probs, -1) == Y) + np.sum(np.argmax(probs[:8], -1) == Y[:8])
    assert second["accuracy"] == pytest.approx(hits / 32)


def test_compile_attributes():
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1)])
    assert model.loss is None and model.metrics == [] and model.get_metrics_result() == {}
    model.compile("sgd", "mse", run_eagerly=True, steps_per_execution=2)
    assert model.loss == "mse" and model.run_eagerly and not model.jit_compile
    assert model.steps_per_execution == 2 and [m.name for m in model.metrics] == ["loss"]
    assert not hasattr(model, "compiled_loss") and not hasattr(model, "compiled_metrics")


def test_overridden_step_is_refused():
    class Custom(keras.Sequential):
        def train_step(self, data):
            return {}

    model = Custom([keras.Input((4,)), keras.layers.Dense(1)])
    model.compile("sgd", "mse")
    with pytest.raises(NotImplementedError, match="overrides `train_step`"):
        model.fit(X, np.zeros((24, 1)), verbose=0)
    # evaluate and predict run no train_step: they work, as Keras' would
    np.testing.assert_allclose(
        model.evaluate(X, np.zeros((24, 1)), verbose=0),
        np.mean(model.predict(X, verbose=0) ** 2),
        rtol=1e-5,
    )


def test_optimizer_hyper_parameters_config_and_state_io():
    optimizer = keras.optimizers.Adam(0.01, beta_1=0.8)
    assert (optimizer.beta_1, optimizer.beta_2, optimizer.amsgrad) == (0.8, 0.999, False)
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        optimizer.nope  # noqa: B018
    again = keras.optimizers.Adam.from_config(optimizer.get_config())
    assert again.get_config() == optimizer.get_config() and again.name == "adam"
    optimizer.learning_rate = 0.05
    assert float(optimizer.learning_rate) == pytest.approx(0.05)
    model = _model(optimizer=optimizer)
    model.fit(X, Y, batch_size=8, verbose=0)
    store = {}
    optimizer.save_own_variables(store)
    assert len(store) == 2 + 2 * 2 and int(store["0"]) == 3  # iteration, rate, 2 x (m, v)
    fresh = keras.optimizers.Adam(0.01)
    fresh.load_own_variables({"0": np.int64(7), "1": np.float32(0.02)})
    assert int(fresh.iterations) == 7 and float(fresh.learning_rate) == pytest.approx(0.02)
    with pytest.raises(NotImplementedError, match="apply_gradients"):
        optimizer.apply_gradients([])


def test_mean_metric_total_and_count():
    mean = keras.metrics.Mean()
    mean.update_state([1.0, 2.0, 4.0], sample_weight=[1.0, 1.0, 2.0])
    assert float(mean.total.numpy()) == 11.0 and float(mean.count.numpy()) == 4.0
    assert [v.path for v in mean.variables] == ["mean/total", "mean/count"]


def test_optimizer_build_makes_slots_the_trainer_keeps():
    keras.utils.clear_session()
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3)])
    optimizer = keras.optimizers.Adam(0.1)
    assert not optimizer.built
    optimizer.build(model.trainable_variables)
    assert optimizer.built and [tuple(v.shape) for v in optimizer.variables[2:]] == [
        (4, 3),
        (4, 3),
        (3,),
        (3,),
    ]
    optimizer.variables[2].assign(np.full((4, 3), 0.5, np.float32))  # a restored momentum
    model.compile(optimizer, "mse")
    np.testing.assert_array_equal(optimizer.variables[2].numpy(), np.full((4, 3), 0.5))
    kernel, bias = model.get_weights()
    pred = X[:8] @ kernel + bias
    grad = 2 * X[:8].T @ pred / pred.size  # d mean((xW + b)^2) / dW
    model.fit(X[:8], np.zeros((8, 3)), batch_size=8, verbose=0)
    np.testing.assert_allclose(optimizer.variables[2].numpy(), 0.9 * 0.5 + 0.1 * grad, rtol=1e-5)
