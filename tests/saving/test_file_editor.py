"""``kgraph.saving.KerasFileEditor`` on files kgraph writes: the weights read back equal the
model's, each edit changes exactly what it says (checked by loading the edited file and
predicting against a numpy forward pass), and misuse gets Keras' errors."""

from __future__ import annotations

import numpy as np
import pytest

import kgraph
from kgraph.saving import KerasFileEditor


def _mlp(units=(3, 2)):
    model = kgraph.Sequential([kgraph.Input((4,))] + [kgraph.layers.Dense(u) for u in units])
    rng = np.random.default_rng(len(units))
    model.set_weights([rng.normal(size=w.shape).astype("float32") for w in model.weights])
    return model


def _numpy_forward(x, arrays):
    for kernel, bias in zip(arrays[::2], arrays[1::2]):
        x = x @ kernel + bias
    return x


X = np.random.default_rng(9).normal(size=(5, 4)).astype("float32")


@pytest.fixture(params=["m.keras", "m.weights.h5"])
def saved(request, tmp_path):
    model = _mlp()
    path = tmp_path / request.param
    (model.save if path.suffix == ".keras" else model.save_weights)(path)
    return model, str(path)


def test_weights_dict_holds_the_models_arrays(saved, capsys):
    model, path = saved
    editor = KerasFileEditor(path)
    kernel0, bias0, kernel1, bias1 = model.get_weights()
    layers = editor.weights_dict["layers"]
    assert list(layers) == ["dense", "dense_1"]
    np.testing.assert_array_equal(layers["dense"]["0"], kernel0)
    np.testing.assert_array_equal(layers["dense"]["1"], bias0)
    np.testing.assert_array_equal(layers["dense_1"]["0"], kernel1)
    np.testing.assert_array_equal(layers["dense_1"]["1"], bias1)
    assert (editor.config is None) == path.endswith(".h5")
    printed = capsys.readouterr().out
    assert f"Keras model file '{path}'" in printed
    editor.summary()
    summary = capsys.readouterr().out.splitlines()
    assert summary[0] == "Weights structure"
    assert "  > layers" in summary
    assert any("0: shape=(4, 3), dtype=float32" in line for line in summary)
    assert any("1: shape=(2,), dtype=float32" in line for line in summary)


def test_compare_counts_matches_and_mismatches(saved, capsys):
    model, path = saved
    editor = KerasFileEditor(path)
    # Keras' counts: an object starts from its parent's running count and adds it back, so
    # layers/dense gives 2, layers/dense_1 starts at 2 and gives 4, layers totals 2 + 4.
    assert editor.compare(model) == {"status": "success", "error_count": 0, "match_count": 6}
    other = _mlp(units=(3, 5))  # dense_1 kernel and bias change shape: dense_1 gives (2, 2)
    assert editor.compare(other) == {"status": "error", "error_count": 2, "match_count": 4}
    longer = _mlp(units=(3, 2, 1))  # a layer the file lacks
    result = editor.compare(longer)
    assert result == {"status": "error", "error_count": 1, "match_count": 6}
    assert "...Object /layers/dense_2 present in reference model" in capsys.readouterr().out


def test_replacing_weights_changes_the_loaded_model(saved, tmp_path):
    model, path = saved
    editor = KerasFileEditor(path)
    new_kernel = np.full((3, 2), 0.5, "float32")
    editor.add_weights("layers/dense_1", {"0": new_kernel})
    editor.save(tmp_path / "edited.weights.h5")
    fresh = _mlp()
    fresh.set_weights([np.zeros(w.shape, "float32") for w in fresh.weights])
    fresh.load_weights(tmp_path / "edited.weights.h5")
    arrays = model.get_weights()
    arrays[2] = new_kernel
    np.testing.assert_allclose(fresh.predict(X, verbose=0), _numpy_forward(X, arrays), 1e-5)


def test_add_and_delete_objects_follow_the_architecture(saved, tmp_path):
    model, path = saved
    editor = KerasFileEditor(path)
    kernel2, bias2 = np.ones((2, 1), "float32"), np.array([0.25], "float32")
    editor.add_object("layers/dense_2", {"0": kernel2, "1": bias2})
    editor.resave_weights(tmp_path / "longer.weights.h5")
    longer = _mlp(units=(3, 2, 1))
    longer.load_weights(tmp_path / "longer.weights.h5")
    arrays = [*model.get_weights(), kernel2, bias2]
    np.testing.assert_allclose(longer.predict(X, verbose=0), _numpy_forward(X, arrays), 1e-5)

    editor.delete_object("layers/dense_2")
    editor.delete_object("dense_1")  # a leaf name found once
    assert list(editor.weights_dict["layers"]) == ["dense"]
    editor.save(tmp_path / "shorter.weights.h5")
    shorter = _mlp(units=(3,))
    shorter.load_weights(tmp_path / "shorter.weights.h5")
    want = _numpy_forward(X, model.get_weights()[:2])
    np.testing.assert_allclose(shorter.predict(X, verbose=0), want, 1e-5)


def test_rename_and_delete_weight(saved, tmp_path):
    model, path = saved
    editor = KerasFileEditor(path)
    editor.rename_object("layers/dense_1", "dense_7")
    assert editor.compare(model)["error_count"] == 2
    editor.rename_object("dense_7", "dense_1")
    assert editor.compare(model)["status"] == "success"
    editor.delete_weight("dense_1", "1")
    editor.save(tmp_path / "no_bias.weights.h5")
    with pytest.raises(ValueError, match="expected 2 variables, but received 1"):
        _mlp().load_weights(tmp_path / "no_bias.weights.h5")
    bias = np.array([3.0, -1.0], "float32")
    editor.add_weights("dense_1", {"1": bias})
    editor.save(tmp_path / "new_bias.weights.h5")
    fresh = _mlp()
    fresh.load_weights(tmp_path / "new_bias.weights.h5")
    arrays = model.get_weights()
    arrays[3] = bias
    np.testing.assert_allclose(fresh.predict(X, verbose=0), _numpy_forward(X, arrays), 1e-5)


def test_keras_errors(saved, tmp_path):
    _, path = saved
    with pytest.raises(ValueError, match=r"expected a `\.keras` `\.weights\.h5` extension"):
        KerasFileEditor(str(tmp_path / "m.h5"))
    editor = KerasFileEditor(path)
    with pytest.raises(ValueError, match=r"expected a `\.weights\.h5` extension"):
        editor.save(tmp_path / "out.keras")
    with pytest.raises(ValueError, match="should be a leaf name"):
        editor.rename_object("dense", "layers/other")
    with pytest.raises(ValueError, match="Path 'layers/nope' not found in model"):
        editor.delete_object("layers/nope")
    with pytest.raises(ValueError, match="Source name 'nope' does not appear"):
        editor.delete_object("nope")
    with pytest.raises(ValueError, match="Name '0' occurs more than once"):
        editor.delete_object("0")
    with pytest.raises(ValueError, match="Argument `weights` should be a dict"):
        editor.add_object("layers/x", [np.zeros(2)])
    with pytest.raises(ValueError, match="Path 'extra/more' not found in model"):
        editor.add_object("extra/more/x", {"0": np.zeros(2)})
    with pytest.raises(ValueError, match=r"Weight 5 not found in object dense\. Weights found"):
        editor.delete_weight("dense", "5")


def test_soft_links_are_refused(tmp_path):
    import h5py

    path = tmp_path / "linked.weights.h5"
    with h5py.File(path, "w") as h5:
        h5.create_dataset("layers/dense/vars/0", data=np.zeros(2))
        h5["layers/dense/vars/1"] = h5py.SoftLink("/layers/dense/vars/0")
    with pytest.raises(ValueError, match="Not allowed: H5 file with SoftLink"):
        KerasFileEditor(str(path))


def test_archive_without_weights_opens_empty(tmp_path, capsys):
    import json
    import zipfile

    path = tmp_path / "bare.keras"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("config.json", json.dumps({"class_name": "Sequential", "config": {}}))
        archive.writestr(
            "metadata.json", json.dumps({"keras_version": "3.15.0", "date_saved": "d"})
        )
    editor = KerasFileEditor(str(path))
    assert editor.weights_dict == {} and editor.config["class_name"] == "Sequential"
    assert "Saved with Keras 3.15.0 - date: d" in capsys.readouterr().out
    editor.add_object("layers", {"0": np.arange(3.0)})
    editor.save(tmp_path / "out.weights.h5")
    np.testing.assert_array_equal(
        KerasFileEditor(str(tmp_path / "out.weights.h5")).weights_dict["layers"]["0"],
        np.arange(3.0),
    )
