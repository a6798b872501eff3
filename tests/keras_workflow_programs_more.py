"""More keras.io workflow programs (see ``keras_workflow_programs``): learning-rate schedules,
``compute_loss`` overrides, subclassed models saved and rebuilt from their config, freezing,
the ``*_on_batch`` methods, ``PyDataset`` and generators, gradient accumulation."""

from __future__ import annotations

import os

import numpy as np

from tests.keras_workflow_programs import (
    LABELS,
    TARGETS,
    X,
    custom_objects,
    linear,
    set_weights,
)


def schedules(keras, tmp):
    """A staircase ExponentialDecay, a LearningRateScheduler and a user's schedule class,
    saved in a model and loaded with ``custom_objects``."""
    ops = keras.ops
    decayed = linear(keras)
    schedule = keras.optimizers.schedules.ExponentialDecay(0.1, 2, 0.5, staircase=True)
    decayed.compile(keras.optimizers.SGD(schedule), "mse")
    decayed.fit(X, TARGETS, batch_size=10, epochs=1, shuffle=False, verbose=0)
    halved = linear(keras)
    halved.compile(keras.optimizers.SGD(0.1), "mse")
    scheduler = keras.callbacks.LearningRateScheduler(lambda epoch, lr: lr / 2 if epoch else lr)
    history = halved.fit(X, TARGETS, batch_size=40, epochs=3, callbacks=[scheduler], verbose=0)

    class Warmup(keras.optimizers.schedules.LearningRateSchedule):
        def __init__(self, peak, steps):
            self.peak, self.steps = peak, steps

        def __call__(self, step):
            return self.peak * ops.minimum(1.0, (ops.cast(step, "float32") + 1) / self.steps)

        def get_config(self):
            return {"peak": self.peak, "steps": self.steps}

    warm = linear(keras)
    warm.compile(keras.optimizers.SGD(Warmup(0.1, 3)), "mse")
    warm.fit(X, TARGETS, batch_size=10, epochs=1, shuffle=False, verbose=0)
    warm.save(os.path.join(tmp, "warm.keras"))
    loaded = keras.models.load_model(
        os.path.join(tmp, "warm.keras"), custom_objects={"Warmup": Warmup}
    )
    return {
        "decayed": decayed.get_weights(),
        "halved": halved.get_weights(),
        "halved_history": history.history,
        "warm": warm.get_weights(),
        "loaded_schedule": type(loaded.optimizer.get_config()["learning_rate"]).__name__,
        "loaded_iterations": int(ops.convert_to_numpy(loaded.optimizer.iterations)),
    }


def compute_loss_override(keras, tmp):
    """Customizing fit(): ``compute_loss`` with metric trackers listed by ``metrics``."""
    ops = keras.ops

    class Regressor(keras.Model):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.dense = keras.layers.Dense(1)
            self.loss_tracker = keras.metrics.Mean(name="loss")
            self.mae = keras.metrics.MeanAbsoluteError(name="mae")

        def call(self, x, training=False):
            return self.dense(x)

        def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
            loss = ops.mean(ops.square(y_pred - y)) + 0.1 * ops.mean(ops.abs(y_pred))
            self.loss_tracker.update_state(loss)
            self.mae.update_state(y, y_pred)
            return loss

        @property
        def metrics(self):
            return [self.loss_tracker, self.mae]

    model = Regressor()
    model(X[:1])
    set_weights(model)
    model.compile(optimizer=keras.optimizers.SGD(0.05))
    history = model.fit(X, TARGETS, batch_size=40, epochs=2, verbose=0)
    return {
        "history": history.history,
        "weights": model.get_weights(),
        "evaluate": model.evaluate(X, TARGETS, batch_size=40, return_dict=True, verbose=0),
    }


def subclassed_round_trip(keras, tmp):
    """Subclassing and serialization guides: registered layer and model with get_config,
    ``from_config``, ``.keras`` and ``.weights.h5`` round trips, training resumed."""
    layers = keras.layers
    FocalLike, Hits, _ = custom_objects(keras)

    @keras.saving.register_keras_serializable(package="workflow")
    class Block(layers.Layer):
        def __init__(self, units=4, **kwargs):
            super().__init__(**kwargs)
            self.units = units
            self.dense = layers.Dense(units, activation="relu")

        def call(self, x):
            return self.dense(x)

        def get_config(self):
            return {**super().get_config(), "units": self.units}

    @keras.saving.register_keras_serializable(package="workflow")
    class Net(keras.Model):
        def __init__(self, hidden=4, **kwargs):
            super().__init__(**kwargs)
            self.hidden = hidden
            self.block, self.head = Block(hidden), layers.Dense(3, activation="softmax")

        def call(self, x):
            return self.head(self.block(x))

        def get_config(self):
            return {**super().get_config(), "hidden": self.hidden}

    one_hot = np.eye(3, dtype="float32")[np.arange(40) % 3]
    model = Net(hidden=5, name="net")
    model(X[:2])
    set_weights(model)
    model.compile(keras.optimizers.Adam(0.01), FocalLike(gamma=1.0), metrics=[Hits()])
    model.fit(X, one_hot, batch_size=8, epochs=1, shuffle=False, verbose=0)
    model.save(os.path.join(tmp, "net.keras"))
    model.save_weights(os.path.join(tmp, "net.weights.h5"))
    with keras.saving.custom_object_scope({"FocalLike": FocalLike, "Hits": Hits}):
        loaded = keras.models.load_model(os.path.join(tmp, "net.keras"))
    rebuilt = Net.from_config(model.get_config())
    rebuilt(X[:2])
    rebuilt.load_weights(os.path.join(tmp, "net.weights.h5"))
    resumed = loaded.fit(X, one_hot, batch_size=8, epochs=1, shuffle=False, verbose=0)
    original = model.fit(X, one_hot, batch_size=8, epochs=1, shuffle=False, verbose=0)
    return {
        "type": type(loaded).__name__,
        "hidden": loaded.hidden,
        "rebuilt": rebuilt.predict(X, verbose=0),
        "resumed": resumed.history,
        "original": original.history,
        "iterations": int(keras.ops.convert_to_numpy(loaded.optimizer.iterations)),
    }


def freezing(keras, tmp):
    """Transfer-learning guide: a frozen base, then unfrozen and recompiled."""
    layers = keras.layers
    base = keras.Sequential([keras.Input((6,)), layers.Dense(5, activation="relu")], name="base")
    inputs = keras.Input((6,))
    model = keras.Model(inputs, layers.Dense(1, name="head")(base(inputs)))
    set_weights(model)
    base.trainable = False
    model.compile(keras.optimizers.SGD(0.1), "mse")
    counts = (len(model.trainable_weights), len(model.non_trainable_weights))
    model.fit(X, TARGETS, batch_size=40, epochs=1, verbose=0)
    frozen = model.get_weights()
    base.trainable = True
    model.compile(keras.optimizers.SGD(0.01), "mse")
    model.fit(X, TARGETS, batch_size=40, epochs=1, verbose=0)
    return {"counts": counts, "frozen": frozen, "tuned": model.get_weights()}


def on_batch(keras, tmp):
    model = linear(keras)
    model.compile(keras.optimizers.SGD(0.1), "mse", metrics=["mae"])
    trained = [
        model.train_on_batch(X[:10], TARGETS[:10]),
        model.train_on_batch(X[10:20], TARGETS[10:20], return_dict=True),
        model.train_on_batch(X[:10], TARGETS[:10], sample_weight=np.arange(10.0)),
    ]
    return {
        "trained": trained,
        "weights": model.get_weights(),
        "test": model.test_on_batch(X[:10], TARGETS[:10], return_dict=True),
        "predict": model.predict_on_batch(X[:5]),
    }


def datasets(keras, tmp):
    """A PyDataset for training and validation, a generator for evaluate."""

    class Batches(keras.utils.PyDataset):
        def __init__(self, x, y, size, **kwargs):
            super().__init__(**kwargs)
            self.x, self.y, self.size = x, y, size

        def __len__(self):
            return -(-len(self.x) // self.size)

        def __getitem__(self, index):
            part = slice(index * self.size, (index + 1) * self.size)
            return self.x[part], self.y[part]

    model = linear(keras)
    model.compile(keras.optimizers.SGD(0.1), "mse", metrics=["mae"])
    history = model.fit(
        Batches(X[:30], TARGETS[:30], 8),
        validation_data=Batches(X[30:], TARGETS[30:], 4),
        epochs=2,
        shuffle=False,
        verbose=0,
    )
    batches = ((X[i : i + 10], TARGETS[i : i + 10]) for i in range(0, 40, 10))
    return {
        "history": history.history,
        "evaluate": model.evaluate(batches, return_dict=True, verbose=0),
        "weights": model.get_weights(),
    }


def accumulation(keras, tmp):
    """gradient_accumulation_steps: updates every k steps; iterations counts updates."""
    model = linear(keras)
    model.compile(keras.optimizers.SGD(0.1, gradient_accumulation_steps=2), "mse")
    model.fit(X, TARGETS, batch_size=10, epochs=1, shuffle=False, verbose=0)
    iterations = int(keras.ops.convert_to_numpy(model.optimizer.iterations))
    return {"weights": model.get_weights(), "iterations": iterations}


def class_labels_for_user_code(keras, tmp):
    """A loss function, a metric function and a ``compute_loss`` override given class labels
    for a softmax output: Keras hands the user's code the targets as given."""
    ops = keras.ops

    def sparse_loss(y_true, y_pred):
        return keras.losses.sparse_categorical_crossentropy(y_true, y_pred)

    def hits(y_true, y_pred):
        labels = ops.cast(ops.reshape(y_true, (-1,)), "int64")
        return ops.cast(ops.equal(labels, ops.argmax(y_pred, axis=-1)), "float32")

    class Classifier(keras.Model):
        def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
            return ops.mean(sparse_loss(y, y_pred))

    found = {}
    for name, labels, other in (
        ("labels", LABELS, LABELS[:, None]),
        ("column", LABELS[:, None], LABELS),
    ):
        model = keras.Sequential([keras.Input((6,)), keras.layers.Dense(3, activation="softmax")])
        set_weights(model)
        model.compile(keras.optimizers.SGD(0.5), sparse_loss, metrics=[hits, "accuracy"])
        # validation labels in the other form (a column, or not)
        history = model.fit(
            X, labels, validation_data=(X, other), batch_size=40, epochs=2, verbose=0
        )
        found[name] = {"history": history.history, "weights": model.get_weights()}
    inputs = keras.Input((6,))
    model = Classifier(inputs, keras.layers.Dense(3, activation="softmax")(inputs))
    set_weights(model)
    model.compile(keras.optimizers.SGD(0.5))
    found["override"] = model.fit(X, LABELS, batch_size=40, epochs=2, verbose=0).history
    return found


PROGRAMS = [schedules, compute_loss_override, subclassed_round_trip, freezing, on_batch]
PROGRAMS += [datasets, accumulation, class_labels_for_user_code]
