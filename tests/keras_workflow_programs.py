"""Keras training-workflow programs as users write them from keras.io's guides (training &
evaluation, callbacks, customizing fit, serialization, transfer learning, subclassing).

Each ``program(keras, tmp)`` takes the library (``kgraph`` or real Keras) and a folder and
returns plain results (History dicts, evaluate dicts, weights, predictions), so that
``test_keras_workflow_programs_audit.py`` checks them against numpy and, with ``-m slow``,
against the same program run by Keras from the same weights."""

from __future__ import annotations

import os

import numpy as np

RNG = np.random.default_rng(1)
X = RNG.normal(size=(40, 6)).astype("float32")
X2 = RNG.normal(size=(40, 3)).astype("float32")
LABELS = RNG.integers(0, 3, size=40)
ONE_HOT = np.eye(3, dtype="float32")[LABELS]
TARGETS = RNG.normal(size=(40, 1)).astype("float32")
WEIGHTS = RNG.uniform(0.2, 2.0, size=40).astype("float32")


def draws(shapes, names=None, seed=0) -> list:
    """The weights :func:`set_weights` gives weights of these shapes (positive variances)."""
    rng = np.random.default_rng(seed)
    values = []
    for shape, name in zip(shapes, names or [""] * len(shapes)):
        value = rng.normal(scale=0.3, size=tuple(shape)).astype("float32")
        values.append(np.abs(value) + 0.5 if "variance" in name else value)
    return values


def set_weights(model, seed=0):
    """Deterministic weights, the same in both libraries."""
    weights = model.weights
    values = draws([w.shape for w in weights], [w.name for w in weights], seed)
    model.set_weights(values)
    return [v.copy() for v in values]


def linear(keras, units=1):
    model = keras.Sequential([keras.Input((6,)), keras.layers.Dense(units)])
    set_weights(model)
    return model


def multi_io(keras, tmp):
    """Functional guide: two inputs by name, dict outputs, dict losses, loss_weights and
    per-output metrics, validation_split."""
    layers = keras.layers
    a, b = keras.Input((6,), name="a"), keras.Input((3,), name="b")
    hidden = layers.Dense(5, activation="tanh", name="h")(layers.Concatenate()([a, b]))
    cls = layers.Dense(3, activation="softmax", name="cls")(hidden)
    reg = layers.Dense(1, name="reg")(hidden)
    model = keras.Model({"a": a, "b": b}, {"cls": cls, "reg": reg})
    set_weights(model)
    model.compile(
        optimizer=keras.optimizers.Adam(0.01),
        loss={"cls": "sparse_categorical_crossentropy", "reg": keras.losses.MeanSquaredError()},
        loss_weights={"cls": 2.0, "reg": 0.5},
        metrics={
            "cls": ["accuracy", keras.metrics.SparseTopKCategoricalAccuracy(k=2, name="top2")],
            "reg": ["mae", keras.metrics.RootMeanSquaredError()],
        },
    )
    inputs, targets = {"a": X, "b": X2}, {"cls": LABELS, "reg": TARGETS}
    history = model.fit(
        inputs, targets, batch_size=8, epochs=2, validation_split=0.25, shuffle=False, verbose=0
    )
    val_x, val_y = {"a": X[30:], "b": X2[30:]}, {"cls": LABELS[30:], "reg": TARGETS[30:]}
    val = model.evaluate(val_x, val_y, return_dict=True, verbose=0)
    return {
        "history": history.history,
        "evaluate": model.evaluate(inputs, targets, verbose=0, return_dict=True),
        "evaluate_list": model.evaluate(inputs, targets, verbose=0),
        "val_evaluate": val,
        "predict": model.predict(inputs, verbose=0),
    }


def weighted(keras, tmp):
    """sample_weight, class_weight, weighted_metrics, validation_data with weights."""
    model = keras.Sequential([keras.Input((6,)), keras.layers.Dense(3)])
    initial = set_weights(model)
    model.compile(
        optimizer=keras.optimizers.SGD(0.1),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["sparse_categorical_accuracy"],
        weighted_metrics=["sparse_categorical_accuracy"],
    )
    sampled = model.fit(X, LABELS, sample_weight=WEIGHTS, batch_size=40, epochs=1, verbose=0)
    after_sampled = model.get_weights()
    model.set_weights(initial)
    class_weight = {0: 1.0, 1: 3.0, 2: 0.5}
    by_class = model.fit(
        X[:30],
        LABELS[:30],
        class_weight=class_weight,
        validation_data=(X[30:], LABELS[30:], WEIGHTS[30:]),
        batch_size=30,
        epochs=1,
        verbose=0,
    )
    return {
        "initial": initial,
        "sampled": sampled.history,
        "after_sampled": after_sampled,
        "by_class": by_class.history,
        "after_by_class": model.get_weights(),
        "evaluate": model.evaluate(X, LABELS, sample_weight=WEIGHTS, return_dict=True, verbose=0),
    }


def custom_objects(keras):
    """The training guide's custom objects: a ``Loss`` subclass with a config, a stateful
    ``Metric`` subclass (update_state/result/reset_state) and a loss function."""
    ops = keras.ops

    class FocalLike(keras.losses.Loss):
        def __init__(self, gamma=2.0, name="focal_like", **kwargs):
            super().__init__(name=name, **kwargs)
            self.gamma = gamma

        def call(self, y_true, y_pred):
            p = ops.sum(y_true * y_pred, axis=-1)
            return -((1 - p) ** self.gamma) * ops.log(p + 1e-7)

        def get_config(self):
            return {**super().get_config(), "gamma": self.gamma}

    class Hits(keras.metrics.Metric):
        def __init__(self, name="hits", **kwargs):
            super().__init__(name=name, **kwargs)
            self.hits = self.add_variable(shape=(), initializer="zeros", name="hits")
            self.seen = self.add_weight(name="seen", initializer="zeros")  # the older name

        def update_state(self, y_true, y_pred, sample_weight=None):
            hit = ops.equal(ops.argmax(y_pred, axis=-1), ops.argmax(y_true, axis=-1))
            hit = ops.cast(hit, "float32")
            if sample_weight is not None:
                hit = hit * ops.cast(ops.reshape(sample_weight, (-1,)), "float32")
            self.hits.assign_add(ops.sum(hit))
            self.seen.assign_add(ops.cast(ops.shape(y_pred)[0], "float32"))

        def result(self):
            return self.hits / self.seen

        def reset_state(self):
            self.hits.assign(0.0)
            self.seen.assign(0.0)

    def my_mae(y_true, y_pred):
        return ops.mean(ops.abs(y_true - y_pred), axis=-1)

    return FocalLike, Hits, my_mae


def custom_loss_metric(keras, tmp):
    FocalLike, Hits, my_mae = custom_objects(keras)
    layers = keras.layers
    model = keras.Sequential(
        [
            keras.Input((6,)),
            layers.Dense(5, activation="relu"),
            layers.Dense(3, activation="softmax"),
        ]
    )
    set_weights(model)
    model.compile(keras.optimizers.Adam(0.02), FocalLike(gamma=1.5), metrics=[Hits(), "accuracy"])
    history = model.fit(
        X, ONE_HOT, sample_weight=WEIGHTS, batch_size=16, epochs=2, shuffle=False, verbose=0
    )
    evaluated = model.evaluate(X, ONE_HOT, batch_size=7, return_dict=True, verbose=0)
    regression = linear(keras)
    regression.compile(keras.optimizers.SGD(0.1), loss=my_mae, metrics=[my_mae])
    by_function = regression.fit(X, TARGETS, batch_size=40, epochs=2, verbose=0)
    return {
        "history": history.history,
        "evaluate": evaluated,
        "predict": model.predict(X, verbose=0),
        "by_function": by_function.history,
        "regression": regression.get_weights(),
    }


def added_losses(keras, tmp):
    """Subclassing guide: a layer's ``add_loss`` plus a kernel regularizer, both in the loss."""
    layers, ops = keras.layers, keras.ops

    class ActivityPenalty(layers.Layer):
        def call(self, x):
            self.add_loss(1e-2 * ops.sum(ops.square(x)))
            return x

    inputs = keras.Input((6,))
    hidden = layers.Dense(4, kernel_regularizer=keras.regularizers.l2(1e-3), name="d")(inputs)
    model = keras.Model(inputs, layers.Dense(1, name="out")(ActivityPenalty()(hidden)))
    set_weights(model)
    model.compile(keras.optimizers.SGD(0.01), "mse", metrics=["mse"])
    history = model.fit(X, TARGETS, batch_size=20, epochs=2, shuffle=False, verbose=0)
    return {
        "history": history.history,
        "weights": model.get_weights(),
        "evaluate": model.evaluate(X, TARGETS, batch_size=40, return_dict=True, verbose=0),
        "losses": len(model.losses),
    }


def checkpoints(keras, tmp):
    """Callbacks guide: EarlyStopping(restore_best_weights), ReduceLROnPlateau, ModelCheckpoint
    (.keras best only, .weights.h5 every epoch), CSVLogger, a Callback reading the model."""
    model = keras.Sequential(
        [keras.Input((6,)), keras.layers.Dense(4, activation="relu"), keras.layers.Dense(1)]
    )
    set_weights(model)
    model.compile(keras.optimizers.SGD(0.3), "mse", metrics=["mae"])
    seen = []

    class Recorder(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            rate = keras.ops.convert_to_numpy(self.model.optimizer.learning_rate)
            seen.append((epoch, float(rate), sorted(logs), self.model.get_weights()))

    early = keras.callbacks.EarlyStopping(patience=2, restore_best_weights=True)
    callbacks = [
        early,
        keras.callbacks.ReduceLROnPlateau(factor=0.5, patience=1, min_lr=0.01),
        keras.callbacks.ModelCheckpoint(
            os.path.join(tmp, "best.keras"), monitor="val_mae", save_best_only=True
        ),
        keras.callbacks.ModelCheckpoint(
            os.path.join(tmp, "w{epoch:02d}.weights.h5"), save_weights_only=True
        ),
        keras.callbacks.CSVLogger(os.path.join(tmp, "log.csv")),
        Recorder(),
    ]
    history = model.fit(
        X[:30],
        TARGETS[:30],
        validation_data=(X[30:], TARGETS[30:]),
        batch_size=10,
        epochs=12,
        shuffle=False,
        callbacks=callbacks,
        verbose=0,
    )
    best = keras.models.load_model(os.path.join(tmp, "best.keras"))
    with open(os.path.join(tmp, "log.csv")) as f:
        header, *rows = f.read().splitlines()
    return {
        "history": history.history,
        "epoch": history.epoch,
        "params": history.params,
        "seen": seen,
        "csv_header": header,
        "csv_rows": [[float(v) for v in row.split(",")] for row in rows],
        "files": sorted(f for f in os.listdir(tmp) if f.endswith(".h5")),
        "stopped_epoch": early.stopped_epoch,
        "best_predict": best.predict(X[:3], verbose=0),
        "weights": model.get_weights(),
    }
