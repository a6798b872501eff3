"""Oracle: compile/fit/evaluate of multi-output models, loss weights and class weights with a
validation split, in kgraph and in real Keras (JAX backend), from identical initial weights.

Checked against Keras: the per-output loss entries (``<output>_loss``, the loss before its
``loss_weight``) next to the total loss and the prefixed metrics, in History, ``evaluate``
(dict and list, in the order of Keras' ``_flatten_metrics_in_order``), ``train_on_batch`` and
``test_on_batch``; that class weights weigh the training part of ``validation_split`` only.
"""

from __future__ import annotations

import numpy as np
import pytest

import kgraph
from tests.oracle.keras_oracle import MARKS, keras

pytestmark = [*MARKS, pytest.mark.usefixtures("numpy_initial_weights")]

RTOL, ATOL = 2e-5, 1e-6


def _two_heads(lib):
    inputs = lib.Input((5,), name="x")
    hidden = lib.layers.Dense(8, activation="tanh", name="hidden")(inputs)
    cls = lib.layers.Dense(3, activation="softmax", name="cls")(hidden)
    reg = lib.layers.Dense(1, name="reg")(hidden)
    return lib.Model(inputs, [cls, reg])


def _one_head(lib):
    inputs = lib.Input((5,), name="x")
    hidden = lib.layers.Dense(8, activation="tanh", name="hidden")(inputs)
    return lib.Model(inputs, lib.layers.Dense(3, activation="softmax", name="out")(hidden))


def _pair(build, **compile_args):
    ours, theirs = build(kgraph), build(keras)
    rng = np.random.default_rng(0)
    for weight in ours.trainable_weights:  # non-zero biases, so every weight matters
        if weight.path.endswith("bias"):
            weight.assign(rng.uniform(-0.1, 0.1, weight.shape).astype(np.float32))
    theirs.set_weights(ours.get_weights())
    for model, lib in ((ours, kgraph), (theirs, keras)):
        model.compile(optimizer=lib.optimizers.SGD(0.05), **compile_args)
    return ours, theirs


def _data(n=24, seed=1):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 5)).astype(np.float32)
    return x, rng.integers(0, 3, n), rng.normal(size=(n, 1)).astype(np.float32)


def _close_dicts(got, want, what):
    assert list(sorted(got)) == list(sorted(want)), what
    for key in want:
        np.testing.assert_allclose(got[key], want[key], rtol=RTOL, atol=ATOL, err_msg=key)


def _close_lists(got, want, what):
    assert len(got) == len(want), what
    np.testing.assert_allclose(got, want, rtol=RTOL, atol=ATOL, err_msg=what)


TWO_HEAD_COMPILES = {
    "no_metrics": {},
    "metrics_per_output": {"metrics": [["accuracy"], ["mae"]]},
    "metrics_dict_loss_weights": {
        "metrics": {"cls": "accuracy", "reg": ["mae", "mse"]},
        "loss_weights": [2.0, 0.5],
    },
    "flat_metrics_weighted": {
        "metrics": ["accuracy", "mae"],
        "weighted_metrics": {"reg": "mae"},
        "loss_weights": {"cls": 1.0, "reg": 3.0},
    },
}


@pytest.mark.parametrize("case", sorted(TWO_HEAD_COMPILES))
def test_two_output_fit_and_evaluate_match_keras(case):
    kwargs = TWO_HEAD_COMPILES[case]
    ours, theirs = _pair(_two_heads, loss=["sparse_categorical_crossentropy", "mse"], **kwargs)
    x, yc, yr = _data()
    sw = np.random.default_rng(2).uniform(0.5, 1.5, len(x)).astype(np.float32)
    fit = dict(batch_size=8, epochs=3, shuffle=False, verbose=0, validation_split=0.25)
    want = theirs.fit(x, [yc, yr], sample_weight=sw, **fit).history
    got = ours.fit(x, [yc, yr], sample_weight=sw, **fit).history
    assert sorted(got) == sorted(want)
    assert {"loss", "cls_loss", "reg_loss", "val_cls_loss", "val_reg_loss"} <= set(got)
    for key in want:
        np.testing.assert_allclose(got[key], want[key], rtol=RTOL, atol=ATOL, err_msg=key)
    np.testing.assert_allclose(ours.get_weights()[0], theirs.get_weights()[0], rtol=1e-4)

    ev = dict(batch_size=10, verbose=0)  # a partial last batch
    _close_dicts(
        ours.evaluate(x, [yc, yr], return_dict=True, **ev),
        theirs.evaluate(x, [yc, yr], return_dict=True, **ev),
        "evaluate dict",
    )
    _close_lists(ours.evaluate(x, [yc, yr], **ev), theirs.evaluate(x, [yc, yr], **ev), "list")
    _close_lists(
        ours.test_on_batch(x, [yc, yr]), theirs.test_on_batch(x, [yc, yr]), "test_on_batch"
    )
    _close_dicts(
        ours.train_on_batch(x[:8], [yc[:8], yr[:8]], return_dict=True),
        theirs.train_on_batch(x[:8], [yc[:8], yr[:8]], return_dict=True),
        "train_on_batch dict",
    )
    _close_lists(
        ours.train_on_batch(x[8:], [yc[8:], yr[8:]]),
        theirs.train_on_batch(x[8:], [yc[8:], yr[8:]]),
        "train_on_batch list",
    )


def test_two_output_evaluate_list_order_is_keras_order():
    ours, theirs = _pair(
        _two_heads,
        loss={"cls": "sparse_categorical_crossentropy", "reg": "mse"},
        metrics={"cls": "accuracy", "reg": "mae"},
    )
    x, yc, yr = _data()
    want = theirs.evaluate(x, [yc, yr], verbose=0, return_dict=True)
    want_list = theirs.evaluate(x, [yc, yr], verbose=0)
    got_list = ours.evaluate(x, {"cls": yc, "reg": yr}, verbose=0)
    order = ["loss", "cls_loss", "reg_loss", "cls_accuracy", "reg_mae"]
    np.testing.assert_allclose(want_list, [want[k] for k in order], rtol=1e-6)  # Keras' order
    _close_lists(got_list, want_list, "evaluate list")


def _head_and_aux(lib):
    inputs = lib.Input((5,), name="x")
    hidden = lib.layers.Dense(8, activation="tanh", name="hidden")(inputs)
    cls = lib.layers.Dense(3, activation="softmax", name="cls")(hidden)
    return lib.Model(inputs, [cls, lib.layers.Activation("relu", name="aux")(hidden)])


def test_output_without_loss_has_no_per_output_loss_entry():
    """Keras records ``<output>_loss`` only when several outputs have a loss."""
    ours, theirs = _pair(
        _head_and_aux, loss=["sparse_categorical_crossentropy", None], metrics=[None, ["mae"]]
    )
    x, yc, _ = _data()
    ya = np.random.default_rng(4).uniform(size=(len(x), 8)).astype(np.float32)
    fit = dict(batch_size=8, epochs=2, shuffle=False, verbose=0)
    want = theirs.fit(x, [yc, ya], **fit).history
    got = ours.fit(x, [yc, ya], **fit).history
    assert sorted(got) == sorted(want) == ["aux_mae", "loss"]
    for key in want:
        np.testing.assert_allclose(got[key], want[key], rtol=RTOL, atol=ATOL, err_msg=key)


@pytest.mark.parametrize("loss_weights", [2.0, [2.0], {"out": 0.5}])
def test_single_output_loss_weights_match_keras(loss_weights):
    ours, theirs = _pair(
        _one_head,
        loss="sparse_categorical_crossentropy",
        loss_weights=loss_weights,
        metrics=["accuracy"],
    )
    x, y, _ = _data()
    fit = dict(batch_size=8, epochs=2, shuffle=False, verbose=0, validation_data=(x[:8], y[:8]))
    want = theirs.fit(x, y, **fit).history
    got = ours.fit(x, y, **fit).history
    assert sorted(got) == sorted(want) == ["accuracy", "loss", "val_accuracy", "val_loss"]
    for key in want:
        np.testing.assert_allclose(got[key], want[key], rtol=RTOL, atol=ATOL, err_msg=key)
    _close_lists(ours.evaluate(x, y, verbose=0), theirs.evaluate(x, y, verbose=0), "evaluate")


def test_class_weight_with_validation_split_weighs_training_part_only():
    ours, theirs = _pair(_one_head, loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    x, y, _ = _data(n=32)
    fit = dict(
        batch_size=8,
        epochs=2,
        shuffle=False,
        verbose=0,
        validation_split=0.25,
        class_weight={0: 3.0, 1: 0.5, 2: 1.0},
    )
    want = theirs.fit(x, y, **fit).history
    got = ours.fit(x, y, **fit).history
    assert sorted(got) == sorted(want)
    for key in want:
        np.testing.assert_allclose(got[key], want[key], rtol=RTOL, atol=ATOL, err_msg=key)
    # The validation loss is the unweighted loss on the last quarter.
    np.testing.assert_allclose(
        got["val_loss"][-1], ours.evaluate(x[24:], y[24:], verbose=0)[0], rtol=1e-6
    )


def test_single_output_weighted_metric_list_order_matches_keras():
    """Keras lists a metric once per compiled metric of that name, then the renamed
    ``weighted_`` one among the remaining keys, sorted."""
    kwargs = dict(
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
        weighted_metrics=["accuracy", "sparse_categorical_accuracy"],
    )
    ours, theirs = _pair(_one_head, **kwargs)
    x, y, _ = _data()
    sw = np.random.default_rng(3).uniform(0.1, 2.0, len(x)).astype(np.float32)
    want = theirs.evaluate(x, y, sample_weight=sw, verbose=0)
    got = ours.evaluate(x, y, sample_weight=sw, verbose=0)
    assert len(want) == 5
    _close_lists(got, want, "evaluate list")
    _close_dicts(
        ours.evaluate(x, y, sample_weight=sw, verbose=0, return_dict=True),
        theirs.evaluate(x, y, sample_weight=sw, verbose=0, return_dict=True),
        "evaluate dict",
    )
