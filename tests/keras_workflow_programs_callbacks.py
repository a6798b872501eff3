"""keras.io workflow programs about callback hooks and metrics (see ``keras_workflow_programs``):
the order of a Callback's hooks in fit/evaluate/predict, stop_training, EarlyStopping options,
a best-only weights checkpoint, list outputs with per-output metric lists, standalone metric and
loss objects, and the serialization guide's layer holding a layer (its own ``from_config``)."""

from __future__ import annotations

import os

import numpy as np

from tests.keras_workflow_programs import LABELS, ONE_HOT, TARGETS, WEIGHTS, X, set_weights


def hooks(keras, tmp):
    layers = keras.layers
    model = keras.Sequential(
        [keras.Input((6,)), layers.Dense(4, activation="relu"), layers.Dense(1)]
    )
    set_weights(model)
    model.compile(keras.optimizers.Adam(0.05), "mse", metrics=["mae"])
    events = []

    class Recorder(keras.callbacks.Callback):
        def on_train_begin(self, logs=None):
            events.append(("train_begin", sorted(logs or {})))

        def on_epoch_begin(self, epoch, logs=None):
            events.append(("epoch_begin", epoch))

        def on_test_begin(self, logs=None):
            events.append(("test_begin",))

        def on_test_batch_end(self, batch, logs=None):
            events.append(("test_batch", batch))

        def on_test_end(self, logs=None):
            events.append(("test_end", sorted(logs or {})))

        def on_epoch_end(self, epoch, logs=None):
            events.append(("epoch_end", epoch, sorted(logs)))
            if logs["loss"] < 0.9:
                self.model.stop_training = True

        def on_train_end(self, logs=None):
            events.append(("train_end", sorted(logs or {})))

        def on_predict_batch_end(self, batch, logs=None):
            events.append(("predict_batch", batch, sorted(logs)))

    early = keras.callbacks.EarlyStopping(
        monitor="val_mae", min_delta=0.01, patience=1, start_from_epoch=1
    )
    path = os.path.join(tmp, "best.weights.h5")
    best = keras.callbacks.ModelCheckpoint(path, save_best_only=True, save_weights_only=True)
    noted = keras.callbacks.LambdaCallback(
        on_epoch_end=lambda e, logs: events.append(("lambda", e))
    )
    history = model.fit(
        X[:32],
        TARGETS[:32],
        validation_data=(X[32:], TARGETS[32:]),
        validation_batch_size=4,
        batch_size=16,
        epochs=6,
        shuffle=False,
        callbacks=[Recorder(), early, best, noted],
        verbose=0,
    )
    model.predict(X[:10], batch_size=5, callbacks=[Recorder()], verbose=0)
    model.evaluate(X[:8], TARGETS[:8], batch_size=4, callbacks=[Recorder()], verbose=0)
    trained = model.get_weights()
    model.load_weights(path)
    return {
        "history": history.history,
        "events": events,
        "stopped_epoch": early.stopped_epoch,
        "trained": trained,
        "best": model.get_weights(),
    }


def restore_without_stopping(keras, tmp):
    """EarlyStopping(restore_best_weights) that never stops, and one that does."""
    found = {}
    for patience in (1, 50):
        model = keras.Sequential([keras.Input((6,)), keras.layers.Dense(1)])
        set_weights(model)
        model.compile(keras.optimizers.SGD(0.6), "mse")
        early = keras.callbacks.EarlyStopping(patience=patience, restore_best_weights=True)
        history = model.fit(
            X[:30],
            TARGETS[:30],
            validation_data=(X[30:], TARGETS[30:]),
            batch_size=30,
            epochs=8,
            callbacks=[early],
            verbose=0,
        )
        found[f"patience_{patience}"] = {
            "history": history.history,
            "weights": model.get_weights(),
            "stopped_epoch": early.stopped_epoch,
            "best_epoch": early.best_epoch,
            "model_history": model.history is history,
        }
    return found


def list_outputs_metrics(keras, tmp):
    layers = keras.layers
    inputs = keras.Input((6,))
    hidden = layers.Dense(5, activation="relu")(inputs)
    binary = layers.Dense(1, activation="sigmoid", name="bin")(hidden)
    classes = layers.Dense(3, activation="softmax", name="cat")(hidden)
    model = keras.Model(inputs, [binary, classes])
    set_weights(model)
    positive = (TARGETS > 0).astype("float32")
    model.compile(
        "adam",
        loss=["binary_crossentropy", "categorical_crossentropy"],
        loss_weights=[0.3, 1.0],
        metrics=[
            ["accuracy", keras.metrics.AUC(name="auc")],
            ["accuracy", keras.metrics.Precision(name="prec")],
        ],
        weighted_metrics=[["accuracy"], []],
    )
    history = model.fit(
        X,
        [positive, ONE_HOT],
        sample_weight=WEIGHTS,
        batch_size=16,
        epochs=2,
        shuffle=False,
        verbose=0,
    )
    return {
        "history": history.history,
        "evaluate": model.evaluate(X, [positive, ONE_HOT], return_dict=True, verbose=0),
        "predict": model.predict(X, verbose=0),
    }


def standalone_objects(keras, tmp):
    """Metrics and losses used outside fit (the guides' first examples)."""
    ops = keras.ops
    accuracy = keras.metrics.SparseCategoricalAccuracy()
    scores = ONE_HOT[:10] * 0.5 + np.linspace(0, 0.6, 30).reshape(10, 3).astype("float32")
    accuracy.update_state(LABELS[:10], scores, sample_weight=WEIGHTS[:10])
    smoothed = keras.losses.CategoricalCrossentropy(label_smoothing=0.1, reduction="sum")
    uniform = np.full((5, 3), 1 / 3, "float32")
    mean = keras.metrics.Mean()
    mean.update_state([1.0, 2.0, 6.0], sample_weight=[1.0, 1.0, 0.5])
    return {
        "accuracy": float(ops.convert_to_numpy(accuracy.result())),
        "smoothed": float(ops.convert_to_numpy(smoothed(ONE_HOT[:5], uniform, WEIGHTS[:5]))),
        "mean": float(ops.convert_to_numpy(mean.result())),
        "scores": scores,
    }


def nested_layer_config(keras, tmp):
    """The serialization guide's layer holding another layer: its ``from_config`` deserializes
    the nested config that ``get_config`` of the model wrote."""
    layers, ops = keras.layers, keras.ops

    @keras.saving.register_keras_serializable(package="guide")
    class Doubler(layers.Layer):
        def call(self, x):
            return x * 2

    @keras.saving.register_keras_serializable(package="guide", name="KernelMult")
    class KernelMult(layers.Layer):
        def __init__(self, units, nested_layer=None, **kwargs):
            super().__init__(**kwargs)
            self.units, self.nested_layer = units, nested_layer

        def build(self, input_shape):
            shape = (input_shape[-1], self.units)
            self.kernel = self.add_weight(shape=shape, regularizer="l1", name="kernel")

        def call(self, x):
            return ops.matmul(x, self.kernel) + self.nested_layer(x)

        def get_config(self):
            return {**super().get_config(), "units": self.units, "nested_layer": self.nested_layer}

        @classmethod
        def from_config(cls, config):
            nested = keras.saving.deserialize_keras_object(config.pop("nested_layer"))
            return cls(nested_layer=nested, **config)

    model = keras.Sequential([keras.Input((6,)), KernelMult(6, nested_layer=Doubler())])
    model.add(layers.Dense(1))
    set_weights(model)
    model.compile("sgd", "mse")
    rebuilt = keras.Sequential.from_config(model.get_config())
    rebuilt.set_weights(model.get_weights())
    functional = keras.Model(model.inputs, model.outputs)
    copied = keras.Model.from_config(functional.get_config())
    copied.set_weights(model.get_weights())
    model.save(os.path.join(tmp, "nested.keras"))
    loaded = keras.models.load_model(os.path.join(tmp, "nested.keras"))
    return {
        "weights": model.get_weights(),
        "predict": model.predict(X[:8], verbose=0),
        "rebuilt": rebuilt.predict(X[:8], verbose=0),
        "copied": copied.predict(X[:8], verbose=0),
        "loaded": loaded.predict(X[:8], verbose=0),
        "registered": keras.saving.get_registered_name(KernelMult),
        "evaluate": model.evaluate(X[:8], TARGETS[:8], verbose=0),
    }


PROGRAMS = [hooks, restore_without_stopping, list_outputs_metrics, standalone_objects]
PROGRAMS += [nested_layer_config]
