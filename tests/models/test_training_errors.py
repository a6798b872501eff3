"""Bad training calls fail with ONE clear ValueError before any step runs (weights untouched,
no optimizer iteration); a loss that stops being finite raises naming the epoch and step."""

from __future__ import annotations

import numpy as np
import pytest

import kgraph as keras
from kgraph import layers

RNG = np.random.default_rng(5)
X = RNG.normal(size=(10, 4)).astype(np.float32)
LABELS = RNG.integers(0, 3, 10)


def classifier(compiled=True):
    model = keras.Sequential([keras.Input(shape=(4,)), layers.Dense(3, activation="softmax")])
    if compiled:
        model.compile("sgd", "sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def regressor():
    model = keras.Sequential([keras.Input(shape=(4,)), layers.Dense(2)])
    model.compile("sgd", "mse")
    return model


def check_one_error(model, call, match):
    """``call(model)`` raises one single-line ValueError matching ``match``; nothing trained."""
    before = model.get_weights()
    with pytest.raises(ValueError, match=match) as info:
        call(model)
    assert "\n" not in str(info.value)
    for got, want in zip(model.get_weights(), before):
        np.testing.assert_array_equal(got, want)
    assert model.optimizer is None or model.optimizer.iterations == 0


FIT_ERRORS = {
    "x and y lengths": (
        classifier,
        lambda m: m.fit(X, LABELS[:9], verbose=0),
        r"same number of samples.*\[10\].*\[9\]",
    ),
    "label too large": (
        classifier,
        lambda m: m.fit(X, np.r_[LABELS[:9], 3], verbose=0),
        r"Label 3 is out of range.*3 classes",
    ),
    "negative label": (
        classifier,
        lambda m: m.fit(X, np.r_[LABELS[:9], -1], verbose=0),
        r"Label -1 is out of range",
    ),
    "fractional label": (
        classifier,
        lambda m: m.fit(X, LABELS + 0.5, verbose=0),
        r"integer class labels",
    ),
    "sparse labels of the wrong shape": (
        classifier,
        lambda m: m.fit(X, np.eye(3)[LABELS][:, :, None], verbose=0),
        r"expects integer class labels of shape",
    ),
    "string labels": (
        classifier,
        lambda m: m.fit(X, LABELS.astype(str), verbose=0),
        r"must be numeric.*<U",
    ),
    "object labels": (
        classifier,
        lambda m: m.fit(X, LABELS.astype(object), verbose=0),
        r"must be numeric.*object",
    ),
    "string x": (
        classifier,
        lambda m: m.fit(X.astype(str), LABELS, verbose=0),
        r"Input .* must be numeric.*<U",
    ),
    "object x": (
        classifier,
        lambda m: m.fit(X.astype(object), LABELS, verbose=0),
        r"Input .* must be numeric.*object",
    ),
    "wrong feature size": (
        classifier,
        lambda m: m.fit(X[:, :3], LABELS, verbose=0),
        r"expects shape \(None, 4\); received an array of shape \(10, 3\)",
    ),
    "wrong rank": (
        classifier,
        lambda m: m.fit(X[:, :, None], LABELS, verbose=0),
        r"expects shape \(None, 4\)",
    ),
    "regression targets": (
        regressor,
        lambda m: m.fit(X, np.zeros((10, 3)), verbose=0),
        r"Targets .* must have shape \(None, 2\); received \(10, 3\)",
    ),
    "no targets": (classifier, lambda m: m.fit(X, verbose=0), r"need targets"),
    "sample_weight length": (
        classifier,
        lambda m: m.fit(X, LABELS, sample_weight=np.ones(9), verbose=0),
        r"sample_weight has 9 entries but the data has 10 samples",
    ),
    "class_weight with sample_weight": (
        classifier,
        lambda m: m.fit(X, LABELS, sample_weight=np.ones(10), class_weight={0: 2.0}, verbose=0),
        r"cannot pass both",
    ),
    "validation_split": (
        classifier,
        lambda m: m.fit(X, LABELS, validation_split=1.5, verbose=0),
        r"validation_split",
    ),
    "bad validation data": (
        classifier,
        lambda m: m.fit(X, LABELS, validation_data=(X, LABELS[:5]), verbose=0),
        r"same number of samples",
    ),
    "fit before compile": (
        lambda: classifier(False),
        lambda m: m.fit(X, LABELS, verbose=0),
        r"must call compile\(\) before calling fit\(\)",
    ),
    "evaluate before compile": (
        lambda: classifier(False),
        lambda m: m.evaluate(X, LABELS),
        r"before calling evaluate\(\)",
    ),
    "train_on_batch before compile": (
        lambda: classifier(False),
        lambda m: m.train_on_batch(X, LABELS),
        r"before calling train_on_batch\(\)",
    ),
    "test_on_batch before compile": (
        lambda: classifier(False),
        lambda m: m.test_on_batch(X, LABELS),
        r"before calling test_on_batch\(\)",
    ),
    "evaluate with wrong labels": (
        classifier,
        lambda m: m.evaluate(X, LABELS + 3, verbose=0),
        r"out of range",
    ),
    "train_on_batch with wrong shape": (
        classifier,
        lambda m: m.train_on_batch(X.T, LABELS),
        r"expects shape",
    ),
    "predict with wrong shape": (classifier, lambda m: m.predict(X[:, :2]), r"expects shape"),
}


@pytest.mark.parametrize("case", list(FIT_ERRORS))
def test_bad_call_is_one_clear_value_error(case):
    build, call, match = FIT_ERRORS[case]
    check_one_error(build(), call, match)


COMPILE_ERRORS = {
    "optimizer": ({"optimizer": "sgdd", "loss": "mse"}, r"Unknown optimizer: 'sgdd'.*adam"),
    "loss": (
        {"optimizer": "sgd", "loss": "mean_squared_eror"},
        r"Unknown loss: 'mean_squared_eror'.*mse",
    ),
    "metric": (
        {"optimizer": "sgd", "loss": "mse", "metrics": ["acuracy"]},
        r"Unknown metric: 'acuracy'.*accuracy",
    ),
    "weighted metric": (
        {"optimizer": "sgd", "loss": "mse", "weighted_metrics": ["maee"]},
        r"Unknown metric: 'maee'",
    ),
    "per-output loss keys": (
        {"optimizer": "sgd", "loss": {"nope": "mse"}},
        r"keys \['nope'\] that are not outputs",
    ),
}


@pytest.mark.parametrize("case", list(COMPILE_ERRORS))
def test_compile_rejects_unknown_names(case):
    kwargs, match = COMPILE_ERRORS[case]
    model = classifier(compiled=False)
    with pytest.raises(ValueError, match=match) as info:
        model.compile(**kwargs)
    assert "\n" not in str(info.value)
    assert not model.compiled
    with pytest.raises(ValueError, match="compile"):
        model.fit(X, LABELS, verbose=0)


def test_no_loss_compiles_and_fit_says_it_needs_one():
    """As in Keras, compile() takes no loss (a model may add its own); fit without any loss
    refuses with one line."""
    model = classifier(compiled=False)
    model.compile(optimizer="sgd")
    assert model.compiled
    with pytest.raises(ValueError, match=r"needs a loss") as info:
        model.fit(X, LABELS, verbose=0)
    assert "\n" not in str(info.value)


def test_nan_in_x_names_epoch_and_step():
    model = regressor()
    clean = [(X[:4], np.zeros((4, 2))), (X[4:8], np.zeros((4, 2))), (X[:4], np.zeros((4, 2)))]
    poisoned = X[4:8].copy()
    poisoned[1, 2] = np.nan

    def batches():
        yield from clean
        yield poisoned, np.zeros((4, 2))

    with pytest.raises(FloatingPointError, match=r"loss became nan at epoch 2, step 2\."):
        model.fit(batches(), steps_per_epoch=2, epochs=3, verbose=0)
    assert len(model.history.history["loss"]) == 1  # epoch 1 completed and was recorded


def test_exploding_learning_rate_names_epoch_and_step():
    model = keras.Sequential([keras.Input(shape=(4,)), layers.Dense(1)])
    model.compile(keras.optimizers.SGD(1e6), "mse")
    with pytest.raises(FloatingPointError, match=r"loss became (inf|nan) at epoch 1, step \d+"):
        model.fit(X * 100, np.ones((10, 1)), batch_size=2, epochs=5, shuffle=False, verbose=0)


def test_empty_generator_fails_before_training():
    check_one_error(
        regressor(), lambda m: m.fit(iter([]), epochs=2, verbose=0), "received no batches"
    )


def test_exhausted_generator_warns_and_stops_after_the_pass():
    y = RNG.normal(size=(10, 2)).astype(np.float32)
    batches = [(X[i : i + 5], y[i : i + 5]) for i in (0, 5)]
    model = regressor()
    reference = regressor()
    reference.set_weights(model.get_weights())
    reference.fit(batches, epochs=1, verbose=0)  # a list is re-iterable: one pass here
    with pytest.warns(UserWarning, match="Your input ran out of data; interrupting training"):
        history = model.fit((b for b in batches), epochs=3, verbose=0)
    assert history.epoch == [0] and len(history.history["loss"]) == 1
    assert model.optimizer.iterations == 2
    for got, want in zip(model.get_weights(), reference.get_weights()):
        np.testing.assert_array_equal(got, want)
