"""Oracle: kgraph's FeatureSpace against real Keras' (JAX backend).

Keras' FeatureSpace runs its preprocessing on tf.data: without TensorFlow (this venv has
none) its ``adapt``, its eager calls and its lookup, hashing and discretization layers all
raise ImportError. What does run is its symbolic half for the features that need no
adapting (plain, rescaled and fixed-statistics floats): those encodings are compared here
through a Keras model built on ``get_inputs()`` / ``get_encoded_features()``, together with
the configs and the ``.keras`` files Keras writes. The adapted feature types are checked
against numpy in tests/utils/test_feature_space.py.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

import kgraph
from tests.oracle.keras_oracle import MARKS, keras

pytestmark = [
    *MARKS,
    pytest.mark.filterwarnings("ignore:The structure of `inputs` doesn't match:UserWarning"),
]

RAW = {
    "a": np.array([0.5, -1.0, 2.0, 3.5]),
    "b": np.array([1.0, 2.0, 3.0, 4.0]),
    "c": np.array([5.0, 6.0, -7.0, 8.0]),
}


def float_space(lib, output_mode):
    """The same space written against Keras or kgraph."""
    fs = lib.utils.FeatureSpace
    norm = lib.layers.Normalization(mean=2.0, variance=4.0)
    return fs(
        features={
            "a": "float",
            "b": fs.float_rescaled(scale=2.0, offset=1.0),
            "c": fs.feature(dtype="float32", preprocessor=norm, output_mode="float"),
        },
        output_mode=output_mode,
    )


def keras_encoded(space):
    encoded = space.get_encoded_features()
    if isinstance(encoded, dict):
        encoded = dict(encoded)  # Keras' jit refuses its own TrackedDict as outputs
    model = keras.Model(space.get_inputs(), encoded)
    return model.predict({k: v[:, None] for k, v in RAW.items()}, verbose=0)


@pytest.mark.parametrize("output_mode", ["concat", "dict"])
def test_float_features_match_keras(output_mode):
    expected = keras_encoded(float_space(keras, output_mode))
    space = float_space(kgraph, output_mode)
    eager = space(RAW)
    model = kgraph.Model(space.get_inputs(), space.get_encoded_features())
    predicted = model.predict({k: v[:, None] for k, v in RAW.items()}, verbose=0)
    if output_mode == "concat":
        np.testing.assert_allclose(eager, expected, rtol=1e-6)
        np.testing.assert_allclose(predicted, expected, rtol=1e-6)
    else:
        assert sorted(eager) == sorted(expected) == ["a", "b", "c"]
        for name in expected:
            np.testing.assert_allclose(eager[name], expected[name], rtol=1e-6)
            np.testing.assert_allclose(predicted[name], expected[name], rtol=1e-6)


def spec(lib):
    fs = lib.utils.FeatureSpace
    return {
        "features": {
            "a": "float",
            "b": fs.float_rescaled(scale=2.0, offset=1.0, name="b"),
            "c": "float_normalized",
            "d": "float_discretized",
            "e": fs.float_discretized(num_bins=4, output_mode="int", name="e"),
        },
        "num_discretization_bins": 5,
        "output_mode": "dict",
    }


def without_dtype(config):
    """A preprocessor's config minus its dtype (Keras writes Discretization's as a string)."""
    return {k: v for k, v in config.items() if k != "dtype"}


def test_config_matches_keras():
    theirs = keras.saving.serialize_keras_object(keras.utils.FeatureSpace(**spec(keras)))
    theirs = json.loads(json.dumps(theirs["config"]))
    ours = json.loads(json.dumps(kgraph.utils.FeatureSpace(**spec(kgraph)).get_config()))
    assert {k: v for k, v in ours.items() if k != "features"} == {
        k: v for k, v in theirs.items() if k != "features"
    }
    assert list(ours["features"]) == list(theirs["features"])
    for name, feature in theirs["features"].items():
        mine = ours["features"][name]
        assert {k: v for k, v in mine.items() if k != "config"} == {
            k: v for k, v in feature.items() if k != "config"
        }
        assert mine["config"]["dtype"] == feature["config"]["dtype"]
        assert mine["config"]["output_mode"] == feature["config"]["output_mode"]
        ours_pre, theirs_pre = mine["config"]["preprocessor"], feature["config"]["preprocessor"]
        for key in ("module", "class_name", "registered_name"):
            assert ours_pre[key] == theirs_pre[key]
        assert without_dtype(ours_pre["config"]) == without_dtype(theirs_pre["config"])


def test_keras_files_load_in_kgraph(tmp_path):
    space = float_space(keras, "concat")
    expected = keras_encoded(space)
    space_path, model_path = str(tmp_path / "space.keras"), str(tmp_path / "model.keras")
    with pytest.warns(UserWarning, match="has not yet been built"):
        space.save(space_path)
    keras.Model(space.get_inputs(), space.get_encoded_features()).save(model_path)

    loaded = kgraph.saving.load_model(space_path)
    assert isinstance(loaded, kgraph.utils.FeatureSpace)
    np.testing.assert_allclose(loaded(RAW), expected, rtol=1e-6)
    model = kgraph.saving.load_model(model_path)
    columns = {k: v[:, None] for k, v in RAW.items()}
    np.testing.assert_allclose(model.predict(columns, verbose=0), expected, rtol=1e-6)
