"""Oracle: kgraph's ``KerasFileEditor`` against Keras 3's on files written by both: the same
weights dictionary, the same comparison counts and error messages, and edited files that
load in both libraries with the weights the edit asked for (checked by a numpy forward pass).
"""

from __future__ import annotations

import contextlib
import io

import numpy as np
import pytest

import kgraph
from tests.oracle.keras_oracle import MARKS, keras

pytestmark = [*MARKS, pytest.mark.usefixtures("numpy_initial_weights")]

X = np.random.default_rng(3).normal(size=(5, 4)).astype("float32")


def _model(lib, units=(3, 2), batchnorm=False, seed=0):
    layers = [lib.layers.Dense(u) for u in units]
    if batchnorm:
        layers.insert(1, lib.layers.BatchNormalization())
    model = lib.Sequential([lib.Input((4,)), *layers])
    rng = np.random.default_rng(seed)
    model.set_weights([rng.uniform(0.5, 1.5, w.shape).astype("float32") for w in model.weights])
    return model


def _forward(x, arrays):
    for kernel, bias in zip(arrays[::2], arrays[1::2]):
        x = x @ kernel + bias
    return x


def _keras_editor(path):
    with contextlib.redirect_stdout(io.StringIO()):
        return keras.saving.KerasFileEditor(str(path))


def _assert_same_tree(ours, theirs):
    assert list(ours) == list(theirs)
    for key, value in theirs.items():
        if isinstance(value, dict):
            _assert_same_tree(ours[key], value)
        else:
            np.testing.assert_array_equal(ours[key], value)
            assert ours[key].dtype == value.dtype


def _save(model, path):
    (model.save if str(path).endswith(".keras") else model.save_weights)(path)


@pytest.mark.parametrize("writer", ["keras", "kgraph"])
@pytest.mark.parametrize("name", ["m.keras", "m.weights.h5"])
def test_same_weights_dict_as_keras(tmp_path, writer, name):
    lib = keras if writer == "keras" else kgraph
    _save(_model(lib, batchnorm=True), tmp_path / name)
    ours = kgraph.saving.KerasFileEditor(str(tmp_path / name))
    theirs = _keras_editor(tmp_path / name)
    _assert_same_tree(ours.weights_dict, theirs.weights_dict)
    if name.endswith(".keras"):
        assert ours.config == theirs.config


@pytest.mark.parametrize("units", [(3, 2), (3, 5), (3, 2, 1), (3,)])
def test_compare_matches_keras(tmp_path, units):
    _save(_model(keras), tmp_path / "m.weights.h5")
    ours = kgraph.saving.KerasFileEditor(str(tmp_path / "m.weights.h5"))
    theirs = _keras_editor(tmp_path / "m.weights.h5")
    with contextlib.redirect_stdout(io.StringIO()):
        want = theirs.compare(_model(keras, units))
    assert ours.compare(_model(kgraph, units)) == want


def test_keras_file_edited_here_loads_in_both(tmp_path):
    original = _model(keras)
    original.save(tmp_path / "k.keras")
    editor = kgraph.saving.KerasFileEditor(str(tmp_path / "k.keras"))
    kernel2, bias2 = np.full((2, 1), 0.5, "float32"), np.array([2.0], "float32")
    new_bias = np.array([-1.0, 1.0], "float32")
    editor.add_object("layers/dense_2", {"0": kernel2, "1": bias2})
    editor.add_weights("layers/dense_1", {"1": new_bias})
    editor.save(tmp_path / "edited.weights.h5")
    arrays = original.get_weights()
    arrays[3] = new_bias
    want = _forward(X, [*arrays, kernel2, bias2])
    for lib in (keras, kgraph):
        model = _model(lib, (3, 2, 1), seed=5)
        model.load_weights(tmp_path / "edited.weights.h5")
        np.testing.assert_allclose(np.asarray(model.predict(X, verbose=0)), want, 1e-5, 1e-5)


def test_kgraph_file_edited_by_keras_and_here_agree(tmp_path):
    original = _model(kgraph, (3, 2, 1))
    original.save(tmp_path / "g.keras")
    edits = [("delete_object", ("layers/dense_2",)), ("rename_object", ("dense_1", "dense_9"))]
    editors = [kgraph.saving.KerasFileEditor(str(tmp_path / "g.keras"))]
    editors.append(_keras_editor(tmp_path / "g.keras"))
    for editor in editors:
        for method, args in edits:
            with contextlib.redirect_stdout(io.StringIO()):
                getattr(editor, method)(*args)
        editor.rename_object("layers/dense_9", "dense_1")
    _assert_same_tree(editors[0].weights_dict, editors[1].weights_dict)
    editors[0].save(tmp_path / "ours.weights.h5")
    editors[1].save(tmp_path / "theirs.weights.h5")
    _assert_same_tree(
        _keras_editor(tmp_path / "ours.weights.h5").weights_dict,
        _keras_editor(tmp_path / "theirs.weights.h5").weights_dict,
    )
    want = _forward(X, original.get_weights()[:4])
    for lib in (keras, kgraph):
        for name in ("ours.weights.h5", "theirs.weights.h5"):
            model = _model(lib, (3, 2), seed=7)
            model.load_weights(tmp_path / name)
            np.testing.assert_allclose(np.asarray(model.predict(X, verbose=0)), want, 1e-5, 1e-5)


def _error(call):
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            call()
    except ValueError as exc:
        return str(exc)
    raise AssertionError("no ValueError")


def test_error_messages_match_keras(tmp_path):
    _save(_model(keras), tmp_path / "m.weights.h5")
    ours = kgraph.saving.KerasFileEditor(str(tmp_path / "m.weights.h5"))
    theirs = _keras_editor(tmp_path / "m.weights.h5")
    calls = [
        lambda e: e.rename_object("dense", "a/b"),
        lambda e: e.delete_object("layers/nope"),
        lambda e: e.delete_object("nope"),
        lambda e: e.delete_object("0"),
        lambda e: e.add_object("layers/x", [1]),
        lambda e: e.add_object("nope/more/x", {}),
        lambda e: e.delete_weight("layers/dense", "7"),
        lambda e: e.save(str(tmp_path / "x.keras")),
    ]
    for call in calls:
        assert _error(lambda c=call: c(ours)) == _error(lambda c=call: c(theirs))
    for bad in ("m.h5", "m.npz"):
        want = _error(lambda b=bad: keras.saving.KerasFileEditor(str(tmp_path / b)))
        assert _error(lambda b=bad: kgraph.saving.KerasFileEditor(str(tmp_path / b))) == want
