"""``save_weights`` / ``load_weights``: Keras 3's ``.weights.h5`` layout, ``skip_mismatch``, and
legacy HDF5 weight files (``layer_names`` / ``weight_names`` attributes, as Keras applications
publish them), written here by hand with h5py."""

from __future__ import annotations

import h5py
import numpy as np
import pytest

import kgraph
from kgraph import layers
from tests.saving.models import functional_bn, sample, set_distinct_weights


def _mlp(names=("a", "b")):
    return kgraph.Sequential(
        [kgraph.Input((4,)), layers.Dense(3, name=names[0]), layers.Dense(2, name=names[1])]
    )


def test_weights_round_trip_through_weights_h5(tmp_path):
    model = functional_bn(kgraph)
    weights = set_distinct_weights(model)
    model.save_weights(tmp_path / "m.weights.h5")
    other = functional_bn(kgraph)
    other.load_weights(tmp_path / "m.weights.h5")
    for got, want in zip(other.get_weights(), weights):
        np.testing.assert_array_equal(got, want)
    x = sample(model)
    np.testing.assert_array_equal(other.predict(x, verbose=0), model.predict(x, verbose=0))


def test_weights_file_layout(tmp_path):
    model = _mlp()
    set_distinct_weights(model)
    model.save_weights(tmp_path / "m.weights.h5")
    with h5py.File(tmp_path / "m.weights.h5", "r") as h5:
        np.testing.assert_array_equal(h5["layers/dense/vars/0"][()], model.get_weights()[0])
        np.testing.assert_array_equal(h5["layers/dense_1/vars/1"][()], model.get_weights()[3])
        assert h5["layers/dense_1/vars"].attrs["name"] == "b"


def test_load_weights_from_a_keras_archive(tmp_path):
    model = _mlp()
    weights = set_distinct_weights(model)
    model.save(tmp_path / "m.keras")
    other = _mlp(("c", "d"))  # names differ: Keras' layout goes by structure
    other.load_weights(tmp_path / "m.keras")
    for got, want in zip(other.get_weights(), weights):
        np.testing.assert_array_equal(got, want)


def test_skip_mismatch_loads_what_fits(tmp_path):
    model = _mlp()
    weights = set_distinct_weights(model)
    model.save_weights(tmp_path / "m.weights.h5")
    wider = kgraph.Sequential([kgraph.Input((4,)), layers.Dense(3), layers.Dense(5)])
    before = wider.get_weights()
    with pytest.raises(ValueError, match="expected shape"):
        wider.load_weights(tmp_path / "m.weights.h5")
    with pytest.warns(UserWarning, match="could not be loaded"):
        wider.load_weights(tmp_path / "m.weights.h5", skip_mismatch=True)
    got = wider.get_weights()
    np.testing.assert_array_equal(got[0], weights[0])
    np.testing.assert_array_equal(got[1], weights[1])
    np.testing.assert_array_equal(got[2], before[2])


def _write_legacy(path, layer_weights: dict, split_names=False):
    """A Keras 2 style weights file: ``layer_names`` on the root, ``weight_names`` on each
    layer group, datasets at ``<layer>/<layer>/<weight>:0``."""
    with h5py.File(path, "w") as h5:
        names = [n.encode() for n in layer_weights]
        if split_names:  # Keras splits long attribute lists into numbered chunks
            h5.attrs["layer_names0"], h5.attrs["layer_names1"] = names[:1], names[1:]
        else:
            h5.attrs["layer_names"] = names
        h5.attrs["backend"], h5.attrs["keras_version"] = b"tensorflow", b"2.15.0"
        for layer, weights in layer_weights.items():
            group = h5.create_group(layer)
            weight_names = [f"{layer}/{w}:0".encode() for w in weights]
            group.attrs["weight_names"] = weight_names
            for name, value in zip(weight_names, weights.values()):
                group.create_dataset(name.decode(), data=value)


def _legacy_values(seed=0):
    rng = np.random.default_rng(seed)
    return {
        "a": {"kernel": rng.normal(size=(4, 3)), "bias": rng.normal(size=3)},
        "flatten_extra": {},
        "b": {"kernel": rng.normal(size=(3, 2)), "bias": rng.normal(size=2)},
    }


@pytest.mark.parametrize("split_names", [False, True])
def test_legacy_h5_by_name(tmp_path, split_names):
    values = _legacy_values()
    _write_legacy(tmp_path / "w.h5", values, split_names)
    # "a" is matched by name; the file's "b" has no layer here and this model's second layer
    # has no group in the file: both are skipped
    model = kgraph.Sequential([kgraph.Input((4,)), layers.Dense(3, name="a"), layers.Dense(2)])
    untouched = model.get_weights()[2:]
    model.load_weights(tmp_path / "w.h5", by_name=True)
    got = model.get_weights()
    np.testing.assert_allclose(got[0], values["a"]["kernel"], rtol=1e-6)
    np.testing.assert_allclose(got[1], values["a"]["bias"], rtol=1e-6)
    for g, u in zip(got[2:], untouched):  # no layer "b" in this model: left as it was
        np.testing.assert_array_equal(g, u)


def test_legacy_h5_by_position_and_model_weights_group(tmp_path):
    values = _legacy_values(1)
    _write_legacy(tmp_path / "w.h5", values)
    model = _mlp(("x", "y"))
    model.load_weights(tmp_path / "w.h5")
    np.testing.assert_allclose(model.get_weights()[2], values["b"]["kernel"], rtol=1e-6)
    with h5py.File(tmp_path / "full.h5", "w") as h5, h5py.File(tmp_path / "w.h5", "r") as src:
        src.copy(src["/"], h5, name="model_weights")
        for key, value in src.attrs.items():
            h5["model_weights"].attrs[key] = value
    again = _mlp(("x", "y"))
    again.load_weights(tmp_path / "full.h5", by_name=False)
    np.testing.assert_array_equal(again.get_weights()[0], model.get_weights()[0])


def test_legacy_h5_mismatch(tmp_path):
    values = _legacy_values()
    values["a"]["kernel"] = np.zeros((5, 3))
    _write_legacy(tmp_path / "w.h5", values)
    model = _mlp()
    with pytest.raises(ValueError, match=r"Shape mismatch in layer #0 \(named a\)"):
        model.load_weights(tmp_path / "w.h5", by_name=True)
    with pytest.warns(UserWarning, match="Skipping weight"):
        model.load_weights(tmp_path / "w.h5", by_name=True, skip_mismatch=True)
    np.testing.assert_allclose(model.get_weights()[1], values["a"]["bias"], rtol=1e-6)


def test_argument_and_extension_errors(tmp_path):
    model = _mlp()
    with pytest.raises(ValueError, match=r"must end in `\.weights\.h5`"):
        model.save_weights(tmp_path / "m.h5")
    model.save_weights(tmp_path / "m.weights.h5")
    with pytest.raises(ValueError, match="`by_name` only supports loading legacy"):
        model.load_weights(tmp_path / "m.weights.h5", by_name=True)
    with pytest.raises(ValueError, match="File format not supported"):
        model.load_weights(tmp_path / "m.npz")
    unbuilt = kgraph.Sequential([layers.Dense(2)])
    with pytest.raises(ValueError, match="not yet been built"):
        unbuilt.save_weights(tmp_path / "u.weights.h5")
    (tmp_path / "junk.h5").write_bytes(b"not an hdf5 file at all")
    with pytest.raises(ValueError, match="Cannot load weights from"):
        model.load_weights(tmp_path / "junk.h5")
