"""keras.io training-workflow programs (``tests/keras_workflow_programs*.py``) run with
``import kgraph as keras``; their results are checked against numpy (forward passes, SGD steps,
the callbacks' rules) and, with ``-m slow``, against the same programs run by real Keras (JAX)
from the same weights. Beyond ``test_keras_training_programs_audit.py``: custom objects in
training and saving, checkpoint callbacks, schedules, ``compute_loss``, freezing, datasets."""

from __future__ import annotations

import numpy as np
import pytest

import kgraph
from tests import keras_workflow_programs as programs
from tests import keras_workflow_programs_callbacks as hooked
from tests import keras_workflow_programs_more as more
from tests.keras_workflow_programs import LABELS, ONE_HOT, TARGETS, WEIGHTS, X, draws

RTOL = 1e-5
LINEAR = [(6, 1), (1,)]  # the kernel and bias of programs.linear


def setup_function():
    kgraph.utils.clear_session()
    kgraph.utils.set_random_seed(0)


def run(program, tmp_path):
    return program(kgraph, str(tmp_path))


def close(got, want, rtol=RTOL, atol=1e-6):
    np.testing.assert_allclose(np.asarray(got, float), np.asarray(want, float), rtol, atol)


def softmax(z):
    e = np.exp(z - z.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


def sgd_linear(weights, x, y, rates, batch, grad_of_error, sample_weight=None):
    """SGD on ``x @ kernel + bias`` with a loss whose gradient by the prediction is
    ``grad_of_error(pred - y, pred) / batch size`` (weighted per sample)."""
    kernel, bias = (w.astype(np.float64) for w in weights)
    weight = np.ones(len(x)) if sample_weight is None else np.asarray(sample_weight, float)
    for step, start in enumerate(range(0, len(x), batch)):
        xb, yb, wb = (
            x[start : start + batch],
            y[start : start + batch],
            weight[start : start + batch],
        )
        pred = xb @ kernel + bias
        g = grad_of_error(pred - yb, pred) * wb[:, None] / len(xb)
        kernel, bias = kernel - rates[step] * xb.T @ g, bias - rates[step] * g.sum(0)
    return [kernel, bias]


def mse_grad(error, pred):
    return 2 * error


def test_multi_input_dict_losses_weights_and_per_output_metrics(tmp_path):
    out = run(programs.multi_io, tmp_path)
    history, result, predicted = out["history"], out["evaluate"], out["predict"]
    cls_loss = -np.log(predicted["cls"][np.arange(40), LABELS]).mean()
    reg_error = predicted["reg"] - TARGETS
    close(result["cls_loss"], cls_loss)
    close(result["reg_loss"], np.mean(reg_error**2))
    close(result["loss"], 2 * cls_loss + 0.5 * np.mean(reg_error**2))
    close(result["cls_accuracy"], np.mean(predicted["cls"].argmax(-1) == LABELS))
    top2 = np.argsort(predicted["cls"], -1)[:, -2:]
    close(result["cls_top2"], np.mean((top2 == LABELS[:, None]).any(-1)))
    close(result["reg_mae"], np.abs(reg_error).mean())
    close(result["reg_root_mean_squared_error"], np.sqrt(np.mean(reg_error**2)))
    order = ["loss", "cls_loss", "reg_loss", "cls_accuracy", "cls_top2", "reg_mae"]
    close(out["evaluate_list"][:6], [result[k] for k in order])  # Keras' flattened order
    assert list(history) == [*result, *(f"val_{k}" for k in result)]
    for key, value in out["val_evaluate"].items():  # the last 25% validate after each epoch
        close(history[f"val_{key}"][-1], value)


def test_sample_weight_class_weight_and_weighted_metrics(tmp_path):
    out = run(programs.weighted, tmp_path)
    kernel, bias = out["initial"]

    def step(x, labels, weight):
        logits = x @ kernel + bias
        grad = (softmax(logits) - np.eye(3)[labels]) * weight[:, None] / len(x)
        ce = -np.log(softmax(logits)[np.arange(len(x)), labels])
        return [kernel - 0.1 * x.T @ grad, bias - 0.1 * grad.sum(0)], ce, logits

    weights, ce, logits = step(X, LABELS, WEIGHTS)
    hits = logits.argmax(-1) == LABELS
    sampled = out["sampled"]
    close(sampled["loss"], [np.sum(ce * WEIGHTS) / 40])
    close(sampled["sparse_categorical_accuracy"], [hits.mean()])
    close(sampled["weighted_sparse_categorical_accuracy"], [np.sum(hits * WEIGHTS) / WEIGHTS.sum()])
    close(out["after_sampled"][0], weights[0], atol=1e-5)
    per_class = np.array([1.0, 3.0, 0.5])[LABELS[:30]]
    weights, ce, _ = step(X[:30], LABELS[:30], per_class)
    close(out["by_class"]["loss"], [np.sum(ce * per_class) / 30])
    close(out["after_by_class"][0], weights[0], atol=1e-5)
    val_logits = X[30:] @ weights[0] + weights[1]
    val_ce = -np.log(softmax(val_logits)[np.arange(10), LABELS[30:]])
    close(out["by_class"]["val_loss"], [np.sum(val_ce * WEIGHTS[30:]) / 10], rtol=1e-4)


def test_custom_loss_class_metric_class_and_loss_function(tmp_path):
    out = run(programs.custom_loss_metric, tmp_path)
    predicted, result = out["predict"], out["evaluate"]
    p = np.sum(ONE_HOT * predicted, -1)
    close(result["loss"], np.mean(-((1 - p) ** 1.5) * np.log(p + 1e-7)))
    hits = predicted.argmax(-1) == LABELS
    close([result["hits"], result["accuracy"]], [hits.mean()] * 2)
    assert sorted(out["history"]) == ["accuracy", "hits", "loss"]
    regression_start = draws(LINEAR)
    rates = [0.1]
    after_one = sgd_linear(regression_start, X, TARGETS, rates, 40, lambda e, p: np.sign(e))
    first_loss = np.abs(X @ regression_start[0] + regression_start[1] - TARGETS).mean()
    second_loss = np.abs(X @ after_one[0] + after_one[1] - TARGETS).mean()
    close(out["by_function"]["loss"], [first_loss, second_loss])
    close(out["by_function"]["my_mae"], [first_loss, second_loss])


def test_add_loss_and_regularizer_are_in_the_loss(tmp_path):
    out = run(programs.added_losses, tmp_path)
    kernel, bias, head, head_bias = out["weights"]
    hidden = X @ kernel + bias
    mse = np.mean((hidden @ head + head_bias - TARGETS) ** 2)
    penalty = 1e-2 * np.sum(hidden**2) + 1e-3 * np.sum(kernel**2)
    close(out["evaluate"]["loss"], mse + penalty, rtol=1e-4)
    close(out["evaluate"]["mse"], mse)


def test_checkpoint_callbacks_early_stopping_and_plateau(tmp_path):
    out = run(programs.checkpoints, tmp_path)
    history, seen = out["history"], out["seen"]
    epochs = len(history["loss"])
    val_loss = np.array(history["val_loss"])
    best = int(np.argmin(val_loss))
    assert epochs == best + 3 < 12 and out["stopped_epoch"] == epochs - 1  # patience=2
    for got, want in zip(out["weights"], seen[best][3]):  # restore_best_weights
        close(got, want)
    rate, wait, rates, best_seen = 0.3, 0, [], np.inf  # ReduceLROnPlateau(0.5, patience=1)
    for value in val_loss:
        rates.append(rate)
        wait = 0 if value < best_seen else wait + 1
        best_seen = min(best_seen, value)
        if wait >= 1:
            rate, wait = max(rate * 0.5, 0.01), 0
    close(history["learning_rate"], rates)
    assert [s[2] for s in seen] == [sorted(history)] * epochs  # logs carry learning_rate
    assert out["files"] == [f"w{e:02d}.weights.h5" for e in range(1, epochs + 1)]
    assert out["csv_header"] == "epoch,learning_rate,loss,mae,val_loss,val_mae"
    close([row[4] for row in out["csv_rows"]], val_loss)
    kernel, bias, head, head_bias = seen[int(np.argmin(history["val_mae"]))][3]
    want = np.maximum(X[:3] @ kernel + bias, 0) @ head + head_bias
    close(out["best_predict"], want, rtol=1e-5)  # save_best_only on val_mae
    assert out["params"] == {"epochs": 12, "steps": 3, "verbose": 0}


def test_schedules_scheduler_callback_and_user_schedule_saved(tmp_path):
    out = run(more.schedules, tmp_path)
    start = draws(LINEAR)
    staircase = [0.1 * 0.5 ** (k // 2) for k in range(4)]
    for got, want in zip(out["decayed"], sgd_linear(start, X, TARGETS, staircase, 10, mse_grad)):
        close(got, want, atol=1e-6)
    halved = start
    for rate in (0.1, 0.05, 0.025):
        halved = sgd_linear(halved, X, TARGETS, [rate], 40, mse_grad)
    close(out["halved"][0], halved[0])
    close(out["halved_history"]["learning_rate"], [0.1, 0.05, 0.025])
    warmup = [0.1 * min(1.0, (k + 1) / 3) for k in range(4)]
    close(out["warm"][0], sgd_linear(start, X, TARGETS, warmup, 10, mse_grad)[0])
    assert out["loaded_schedule"] == "dict" and out["loaded_iterations"] == 4


def test_compute_loss_override_with_trackers(tmp_path):
    out = run(more.compute_loss_override, tmp_path)
    start = draws(LINEAR)
    weights, losses, maes = start, [], []
    for _ in range(2):
        pred = X @ weights[0] + weights[1]
        losses.append(np.mean((pred - TARGETS) ** 2) + 0.1 * np.abs(pred).mean())
        maes.append(np.abs(pred - TARGETS).mean())
        weights = sgd_linear(weights, X, TARGETS, [0.05], 40, lambda e, p: 2 * e + 0.1 * np.sign(p))
    close(out["history"]["loss"], losses)
    close(out["history"]["mae"], maes)
    close(out["weights"][0], weights[0])
    assert list(out["evaluate"]) == ["loss", "mae"]


def test_subclassed_model_config_save_and_weights_round_trips(tmp_path):
    out = run(more.subclassed_round_trip, tmp_path)
    assert (out["type"], out["hidden"], out["iterations"]) == ("Net", 5, 10)
    close(out["resumed"]["loss"], out["original"]["loss"])  # optimizer state came back
    close(out["resumed"]["hits"], out["original"]["hits"])
    assert out["rebuilt"].shape == (40, 3)


def test_freezing_before_compile_then_fine_tuning(tmp_path):
    out = run(more.freezing, tmp_path)
    assert out["counts"] == (2, 2)
    start = draws([(6, 5), (5,), (5, 1), (1,)])  # the program's weights
    for got, want in zip(out["frozen"][:2], start[:2]):  # the base did not move
        close(got, want)
    assert not np.allclose(out["frozen"][2], start[2])
    assert not np.allclose(out["tuned"][0], out["frozen"][0])  # unfrozen, recompiled: it moves


def test_on_batch_methods(tmp_path):
    out = run(more.on_batch, tmp_path)
    start = draws(LINEAR)
    first_loss = np.mean((X[:10] @ start[0] + start[1] - TARGETS[:10]) ** 2)
    first_mae = np.abs(X[:10] @ start[0] + start[1] - TARGETS[:10]).mean()
    close(out["trained"][0], [first_loss, first_mae])  # at the weights before the step
    weights = sgd_linear(start, X[:10], TARGETS[:10], [0.1], 10, mse_grad)
    weights = sgd_linear(weights, X[10:20], TARGETS[10:20], [0.1], 10, mse_grad)
    weight = np.arange(10.0)
    error = X[:10] @ weights[0] + weights[1] - TARGETS[:10]
    close(out["trained"][2][0], np.sum(weight * error[:, 0] ** 2) / 10)
    weights = sgd_linear(weights, X[:10], TARGETS[:10], [0.1], 10, mse_grad, weight)
    close(out["weights"][0], weights[0], atol=1e-5)
    error = X[:10] @ weights[0] + weights[1] - TARGETS[:10]
    close(out["test"]["loss"], np.mean(error**2), rtol=1e-4)
    close(out["test"]["mae"], np.abs(error).mean(), rtol=1e-4)
    close(out["predict"], X[:5] @ weights[0] + weights[1], rtol=1e-4)


def test_pydataset_fit_validation_and_generator_evaluate(tmp_path):
    out = run(more.datasets, tmp_path)
    start = draws(LINEAR)
    weights = start
    for epoch in range(2):
        weights = sgd_linear(weights, X[:30], TARGETS[:30], [0.1] * 4, 8, mse_grad)
        error = X[30:] @ weights[0] + weights[1] - TARGETS[30:]
        close(out["history"]["val_loss"][epoch], np.mean(error**2), rtol=1e-4)
    error = X @ weights[0] + weights[1] - TARGETS
    close(out["evaluate"]["loss"], np.mean(error**2), rtol=1e-4)


def test_gradient_accumulation_updates_every_k_steps(tmp_path):
    out = run(more.accumulation, tmp_path)
    weights = draws(LINEAR)
    for start in (0, 20):  # two steps of 10 averaged into one update of 20
        weights = sgd_linear(
            weights, X[start : start + 20], TARGETS[start : start + 20], [0.1], 20, mse_grad
        )
    close(out["weights"][0], weights[0])
    assert out["iterations"] == 2  # Keras counts applied updates


def test_train_step_override_is_refused_with_one_error():
    """Customizing fit(): kgraph runs compiled step graphs, so a Python train_step (the GAN
    example's two-optimizer step) is refused by name rather than silently skipped."""

    class GAN(kgraph.Model):
        def train_step(self, data):
            return {}

    inputs = kgraph.Input((6,))
    model = GAN(inputs, kgraph.layers.Dense(1)(inputs))
    model.compile("sgd", "mse")
    with pytest.raises(NotImplementedError, match="GAN overrides `train_step`"):
        model.fit(X, TARGETS, verbose=0)


def test_callback_hooks_order_stop_training_and_predict_logs(tmp_path):
    out = run(hooked.hooks, tmp_path)
    keys = ["loss", "mae", "val_loss", "val_mae"]
    epochs = len(out["history"]["loss"])
    assert out["events"][0] == ("train_begin", [])
    per_epoch = out["events"][1 : 1 + 7 * epochs]
    for epoch in range(epochs):
        assert per_epoch[7 * epoch : 7 * epoch + 7] == [
            ("epoch_begin", epoch),
            ("test_begin",),
            ("test_batch", 0),
            ("test_batch", 1),  # validation_batch_size=4 over 8 samples
            ("test_end", ["loss", "mae"]),
            ("epoch_end", epoch, keys),
            ("lambda", epoch),
        ]
    losses = np.array(out["history"]["loss"])
    assert epochs - 1 in (int(np.argmax(losses < 0.9)), out["stopped_epoch"])  # stop_training
    assert out["events"][1 + 7 * epochs :] == [
        ("train_end", keys),
        ("predict_batch", 0, ["outputs"]),
        ("predict_batch", 1, ["outputs"]),
        ("test_begin",),
        ("test_batch", 0),
        ("test_batch", 1),
        ("test_end", ["loss", "mae"]),
    ]


def test_early_stopping_restores_the_best_epoch_stopped_or_not(tmp_path):
    out = run(hooked.restore_without_stopping, tmp_path)
    weights, epochs, val_losses = draws(LINEAR), [], []
    for _ in range(8):
        weights = sgd_linear(weights, X[:30], TARGETS[:30], [0.6], 30, mse_grad)
        epochs.append(weights)
        val_losses.append(np.mean((X[30:] @ weights[0] + weights[1] - TARGETS[30:]) ** 2))
    for patience in (1, 50):
        found = out[f"patience_{patience}"]
        ran = len(found["history"]["loss"])
        close(found["history"]["val_loss"], val_losses[:ran], rtol=1e-4)
        best = int(np.argmin(val_losses[:ran]))
        assert found["best_epoch"] == best and found["model_history"]
        close(found["weights"][0], epochs[best][0], rtol=1e-4)
    assert out["patience_50"]["stopped_epoch"] == 0 < out["patience_1"]["stopped_epoch"]


def test_standalone_metric_and_loss_objects(tmp_path):
    out = run(hooked.standalone_objects, tmp_path)
    hits = out["scores"].argmax(-1) == LABELS[:10]
    close(out["accuracy"], np.sum(hits * WEIGHTS[:10]) / WEIGHTS[:10].sum())
    smoothed = ONE_HOT[:5] * 0.9 + 0.1 / 3
    close(out["smoothed"], np.sum(np.sum(-smoothed * np.log(1 / 3), -1) * WEIGHTS[:5]))
    close(out["mean"], (1 + 2 + 3) / 2.5)


def test_user_loss_metric_and_compute_loss_read_class_labels(tmp_path):
    """Keras hands a custom loss, metric or ``compute_loss`` the targets as given: class
    labels (or a column of them) for a softmax output train as numpy's softmax regression,
    and "accuracy" follows the targets (sparse here)."""
    out = run(more.class_labels_for_user_code, tmp_path)
    kernel, bias = draws([(6, 3), (3,)])
    losses, accuracies = [], []
    for _ in range(2):
        probabilities = softmax(X @ kernel + bias)
        losses.append(-np.log(probabilities[np.arange(40), LABELS]).mean())
        accuracies.append(np.mean(probabilities.argmax(-1) == LABELS))
        grad = (probabilities - np.eye(3)[LABELS]) / 40
        kernel, bias = kernel - 0.5 * X.T @ grad, bias - 0.5 * grad.sum(0)
    val_loss = -np.log(softmax(X @ kernel + bias)[np.arange(40), LABELS]).mean()
    for case in ("labels", "column"):
        close(out[case]["history"]["loss"], losses)
        close(out[case]["history"]["hits"], accuracies)
        close(out[case]["history"]["accuracy"], accuracies)
        close(out[case]["history"]["val_loss"], losses[1:] + [val_loss], rtol=1e-4)
        close(out[case]["weights"][0], kernel)
    close(out["override"]["loss"], losses)


def test_builtin_metric_on_class_labels_of_a_custom_loss_says_to_one_hot_them():
    """kgraph's built-in metrics (but "accuracy") read targets shaped like the output: with
    class labels for a custom loss, one is refused with what to do (not a bare shape error)."""

    def sparse_loss(y_true, y_pred):
        return kgraph.losses.sparse_categorical_crossentropy(y_true, y_pred)

    model = kgraph.Sequential([kgraph.Input((6,)), kgraph.layers.Dense(3, activation="softmax")])
    model.compile("sgd", sparse_loss, metrics=["accuracy", "mae"])
    with pytest.raises(ValueError, match=r"received \(40,\)\. The output's built-in metrics"):
        model.fit(X, LABELS, verbose=0)


def test_layer_holding_a_layer_rebuilds_from_the_model_config(tmp_path):
    out = run(hooked.nested_layer_config, tmp_path)
    kernel, dense, bias = out["weights"]
    want = (X[:8] @ kernel + 2 * X[:8]) @ dense + bias
    for key in ("predict", "rebuilt", "copied", "loaded"):
        close(out[key], want, rtol=1e-5)
    assert out["registered"] == "guide>KernelMult"
    penalty = 0.01 * np.abs(kernel).sum()  # the "l1" regularizer
    close(out["evaluate"], np.mean((want - TARGETS[:8]) ** 2) + penalty, rtol=1e-5)


def test_sequential_without_input_builds_from_a_datasets_first_batch():
    """Keras builds a Sequential that has no Input on the first batch of a dataset (fit and
    evaluate), a generator's first batch included (it is not lost)."""
    model = kgraph.Sequential([kgraph.layers.Dense(1)])
    model.compile(kgraph.optimizers.SGD(0.1), "mse")
    batches = ((X[i : i + 10], TARGETS[i : i + 10]) for i in range(0, 40, 10))
    result = model.evaluate(batches, verbose=0)
    kernel, bias = model.get_weights()
    close(result, np.mean((X @ kernel + bias - TARGETS) ** 2), rtol=1e-5)  # all 4 batches
    fresh = kgraph.Sequential([kgraph.layers.Dense(1)])
    fresh.compile(kgraph.optimizers.SGD(0.1), "mse")
    fresh.fit(kgraph.utils.Dataset.from_tensor_slices((X, TARGETS)).batch(40), verbose=0)
    assert fresh.count_params() == 7


def test_sequential_without_input_takes_strings_first():
    """keras.io's inference model ``Sequential([text_vectorizer, model])`` on raw text."""
    vectorizer = kgraph.layers.TextVectorization(output_mode="multi_hot")
    vectorizer.adapt(["a b", "b c"])
    model = kgraph.Sequential([vectorizer, kgraph.layers.Dense(1, kernel_initializer="ones")])
    close(model.predict(np.array(["a b", "c"]), verbose=0), [[2], [1]])
