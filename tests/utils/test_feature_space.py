"""keras.utils.FeatureSpace on kgraph: every feature type encoded against numpy written here,
the Dataset pipeline (adapt on a dict dataset, ``ds.map(feature_space)``), Keras' structured
data tutorial end to end (train on the encoded features, an inference model on the raw dict
that compiles to ONNX and runs in onnxruntime), config and ``.keras`` round trips, and Keras'
errors. (Keras' own FeatureSpace needs TensorFlow for all of this; the oracle tests compare
what runs without it.)"""

from __future__ import annotations

import json

import numpy as np
import pytest

import kgraph as keras
from kgraph import layers
from kgraph.utils import Dataset

FeatureSpace = keras.utils.FeatureSpace

RAW = {
    "flt": np.array([0.5, -1.0, 2.0, 0.0, 1.5, -0.5]),
    "norm": np.array([1.0, 2.0, 3.0, 4.0, 5.0, 6.0]),
    "resc": np.array([1.0, 2.0, 3.0, 4.0, 5.0, 6.0]),
    "disc": np.array([0.0, 1.0, 2.0, 3.0, 4.0, 5.0]),
    "icat": np.array([7, 7, 7, 2, 2, 5]),
    "scat": np.array(["c", "b", "c", "a", "b", "c"]),
    "ihash": np.array([10, 11, 12, 13, 14, 15]),
    "shash": np.array(["u", "v", "w", "x", "y", "z"]),
}


def every_type_space(**kwargs):
    return FeatureSpace(
        features={
            "flt": "float",
            "norm": "float_normalized",
            "resc": FeatureSpace.float_rescaled(scale=0.5, offset=1.0),
            "disc": FeatureSpace.float_discretized(num_bins=3),
            "icat": "integer_categorical",
            "scat": FeatureSpace.string_categorical(),
            "ihash": FeatureSpace.integer_hashed(num_bins=5),
            "shash": "string_hashed",
        },
        hashing_dim=6,
        **kwargs,
    )


def one_hot(index, depth):
    return np.eye(depth, dtype=np.float32)[np.asarray(index)]


def expected_blocks(raw):
    """Each feature's encoding from numpy: vocabularies by decreasing frequency after the OOV
    slot, exact quantile boundaries, population-variance standardisation."""
    norm = (raw["norm"] - RAW["norm"].mean()) / RAW["norm"].std()
    bounds = np.quantile(RAW["disc"], [1 / 3, 2 / 3])
    icat = {7: 1, 2: 2, 5: 3}
    scat = {"c": 1, "b": 2, "a": 3}
    ihash = layers.Hashing(num_bins=5)(raw["ihash"][:, None])[:, 0]
    shash = layers.Hashing(num_bins=6)(raw["shash"][:, None])[:, 0]
    return {
        "disc": one_hot(np.searchsorted(bounds, raw["disc"], side="right"), 3),
        "flt": raw["flt"][:, None],
        "icat": one_hot([icat.get(v, 0) for v in raw["icat"]], 4),
        "ihash": one_hot(ihash, 5),
        "norm": norm[:, None],
        "resc": (raw["resc"] * 0.5 + 1.0)[:, None],
        "scat": one_hot([scat.get(v, 0) for v in raw["scat"]], 4),
        "shash": one_hot(shash, 6),
    }


def test_concat_encodes_every_feature_type():
    space = every_type_space()
    space.adapt(Dataset.from_tensor_slices(RAW))
    raw = {**RAW, "icat": np.array([7, 2, 5, 9, 7, 2]), "scat": np.array(list("abczab"))}
    out = space(raw)
    blocks = expected_blocks(raw)
    expected = np.concatenate([blocks[name] for name in sorted(blocks)], axis=1)
    assert out.dtype == np.float32 and out.shape == (6, 3 + 1 + 4 + 5 + 1 + 1 + 4 + 6)
    np.testing.assert_allclose(out, expected, rtol=1e-6, atol=1e-6)
    assert tuple(space.get_encoded_features().shape) == (None, 25)
    assert sorted(space.get_inputs()) == sorted(RAW)
    assert isinstance(space.preprocessors["scat"], layers.StringLookup)
    assert space.preprocessors["scat"].get_vocabulary() == ["[UNK]", "c", "b", "a"]


def test_dict_mode_with_integer_outputs():
    space = FeatureSpace(
        {
            "scat": FeatureSpace.string_categorical(output_mode="int"),
            "icat": FeatureSpace.integer_categorical(output_mode="int", num_oov_indices=2),
            "disc": FeatureSpace.float_discretized(num_bins=2, output_mode="int"),
            "norm": "float_normalized",
        },
        output_mode="dict",
    )
    space.adapt(RAW)  # a dict of arrays is adapted through a dataset, as Keras does
    out = space({name: RAW[name] for name in ("scat", "icat", "disc", "norm")})
    assert sorted(out) == ["disc", "icat", "norm", "scat"]
    np.testing.assert_array_equal(out["scat"][:, 0], [1, 2, 1, 3, 2, 1])
    # two OOV slots come first: the vocabulary starts at index 2
    np.testing.assert_array_equal(out["icat"][:, 0], [2, 2, 2, 3, 3, 4])
    np.testing.assert_array_equal(out["disc"][:, 0], [0, 0, 0, 1, 1, 1])
    norm = (RAW["norm"] - RAW["norm"].mean()) / RAW["norm"].std()
    np.testing.assert_allclose(out["norm"][:, 0], norm, rtol=1e-6)


def test_one_value_per_feature_gives_an_unbatched_vector():
    space = every_type_space()
    space.adapt(RAW)
    batch = space(RAW)
    row = space({name: values[2] for name, values in RAW.items()})
    assert row.shape == (25,)
    np.testing.assert_allclose(row, batch[2], rtol=1e-6)
    as_lists = space({name: values.tolist() for name, values in RAW.items()})
    np.testing.assert_allclose(as_lists, batch, rtol=1e-6)


def test_adapt_on_unbatched_batched_and_labeled_datasets_agree():
    reference = every_type_space()
    reference.adapt(RAW)
    labels = np.arange(6.0)
    for dataset in (
        Dataset.from_tensor_slices(RAW),
        Dataset.from_tensor_slices(RAW).batch(4),
        Dataset.from_tensor_slices((RAW, labels)).batch(4).map(lambda x, y: x),
    ):
        space = every_type_space()
        space.adapt(dataset)
        np.testing.assert_allclose(space(RAW), reference(RAW), rtol=1e-6)


def test_dataset_map_matches_the_eager_call():
    space = every_type_space()
    space.adapt(RAW)
    labels = np.arange(6.0)
    ds = Dataset.from_tensor_slices((RAW, labels)).batch(4)
    mapped = list(ds.map(lambda x, y: (space(x), y)))
    assert [x.shape for x, _ in mapped] == [(4, 25), (2, 25)]
    np.testing.assert_allclose(np.concatenate([x for x, _ in mapped]), space(RAW), rtol=1e-6)
    unlabeled = list(Dataset.from_tensor_slices(RAW).batch(6).map(space))
    np.testing.assert_allclose(unlabeled[0], space(RAW), rtol=1e-6)


def test_crosses_hash_the_lookup_indexes():
    space = FeatureSpace(
        {"scat": "string_categorical", "icat": "integer_categorical", "flt": "float"},
        crosses=[
            ("scat", "icat"),
            FeatureSpace.cross(("icat", "scat"), crossing_dim=5, output_mode="int"),
        ],
        crossing_dim=7,
        output_mode="dict",
    )
    space.adapt(RAW)
    out = space({name: RAW[name] for name in ("scat", "icat", "flt")})
    assert sorted(out) == ["flt", "icat", "icat_X_scat", "scat", "scat_X_icat"]
    assert isinstance(space.crossers["scat_X_icat"], layers.HashedCrossing)
    # the cross reads the lookups' indexes (numpy vocabularies), not the raw values
    scat = np.array([{"c": 1, "b": 2, "a": 3}[v] for v in RAW["scat"]])[:, None]
    icat = np.array([{7: 1, 2: 2, 5: 3}[v] for v in RAW["icat"]])[:, None]
    crossed = layers.HashedCrossing(num_bins=7)([scat, icat])
    np.testing.assert_array_equal(out["scat_X_icat"], one_hot(crossed[:, 0], 7))
    np.testing.assert_array_equal(out["icat_X_scat"], layers.HashedCrossing(5)([icat, scat]))
    concat = FeatureSpace(
        {"scat": "string_categorical", "icat": "integer_categorical"}, crosses=[("scat", "icat")]
    )
    concat.adapt(RAW)
    crossed = layers.HashedCrossing(num_bins=32)([scat, icat])  # crossing_dim's default
    blocks = [one_hot(icat[:, 0], 4), one_hot(scat[:, 0], 4), one_hot(crossed[:, 0], 32)]
    out = concat({"scat": RAW["scat"], "icat": RAW["icat"]})
    np.testing.assert_array_equal(out, np.concatenate(blocks, axis=1))


def tutorial_space():
    """The compilable feature types (string hashing needs the data pipeline)."""
    return FeatureSpace(
        features={
            "flt": "float",
            "norm": "float_normalized",
            "resc": FeatureSpace.float_rescaled(scale=0.5, offset=1.0),
            "disc": FeatureSpace.float_discretized(num_bins=3),
            "icat": "integer_categorical",
            "scat": "string_categorical",
            "ihash": FeatureSpace.integer_hashed(num_bins=5),
        },
        crosses=[FeatureSpace.cross(("scat", "icat"), crossing_dim=8)],
        output_mode="concat",
    )


def test_structured_data_tutorial_end_to_end(tmp_path):
    onnxruntime = pytest.importorskip("onnxruntime")
    raw = {name: RAW[name] for name in tutorial_space().features}
    targets = (RAW["flt"] > 0).astype("float32")
    train = Dataset.from_tensor_slices((raw, targets)).batch(3)
    space = tutorial_space()
    space.adapt(train.map(lambda x, y: x))
    preprocessed = train.map(lambda x, y: (space(x), y))

    encoded = space.get_encoded_features()
    inputs = keras.Input(shape=tuple(encoded.shape[1:]))
    hidden = layers.Dense(8, activation="relu")(inputs)
    model = keras.Model(inputs, layers.Dense(1, activation="sigmoid")(hidden))
    model.compile("adam", "binary_crossentropy", metrics=["accuracy"])
    history = model.fit(preprocessed, epochs=2, verbose=0)
    assert len(history.history["loss"]) == 2

    inference = keras.Model(inputs=space.get_inputs(), outputs=model(encoded))
    expected = model.predict(space(raw), verbose=0)
    columns = {name: values[:, None] for name, values in raw.items()}
    np.testing.assert_allclose(inference.predict(columns, verbose=0), expected, rtol=1e-5)

    path = str(tmp_path / "inference.onnx")
    inference.export(path)
    session = onnxruntime.InferenceSession(path, providers=["CPUExecutionProvider"])
    feeds = {}
    for spec in session.get_inputs():
        dtype = {"tensor(float)": np.float32, "tensor(int32)": np.int32}.get(spec.type, object)
        feeds[spec.name] = columns[spec.name].astype(dtype)
    assert session.get_inputs()[-1].type == "tensor(string)"  # StringLookup is in the graph
    np.testing.assert_allclose(session.run(None, feeds)[0], expected, rtol=1e-5, atol=1e-6)


def test_string_hashing_is_refused_in_a_compiled_model():
    space = FeatureSpace({"shash": "string_hashed", "flt": "float"}, hashing_dim=4)
    space.adapt({"shash": RAW["shash"], "flt": RAW["flt"]})
    model = keras.Model(space.get_inputs(), layers.Dense(1)(space.get_encoded_features()))
    with pytest.raises(ValueError, match="no ONNX operator reads a string's bytes"):
        model.predict({"shash": RAW["shash"][:, None], "flt": RAW["flt"][:, None]}, verbose=0)


def test_config_round_trip():
    space = every_type_space(output_mode="dict")
    space.adapt(RAW)
    config = json.loads(json.dumps(space.get_config()))
    assert config["output_mode"] == "dict" and config["hashing_dim"] == 6
    feature = config["features"]["scat"]
    assert feature["class_name"] == "Feature" and feature["config"]["output_mode"] == "one_hot"
    assert feature["config"]["preprocessor"]["config"]["vocabulary"] == ["c", "b", "a"]
    restored = FeatureSpace.from_config(config)
    assert isinstance(restored.preprocessors["disc"], layers.Discretization)
    restored.adapt(RAW)  # as in Keras, a space from a config is adapted before use
    assert json.loads(json.dumps(restored.get_config())) == config
    for name, value in space(RAW).items():
        np.testing.assert_allclose(restored(RAW)[name], value, rtol=1e-6)


def test_save_and_load(tmp_path):
    space = every_type_space(crosses=[("scat", "icat")], crossing_dim=4)
    space.adapt(RAW)
    path = str(tmp_path / "space.keras")
    space.save(path)
    loaded = keras.saving.load_model(path)  # no custom objects needed, as in Keras
    assert isinstance(loaded, FeatureSpace)
    assert loaded.crosses[0].feature_names == ("scat", "icat")
    np.testing.assert_array_equal(loaded(RAW), space(RAW))  # Normalization's statistics too
    with pytest.raises(ValueError, match=r"expected a `\.keras` extension"):
        space.save(str(tmp_path / "space.h5"))


def test_errors():
    with pytest.raises(ValueError, match="cannot be None or empty"):
        FeatureSpace({})
    with pytest.raises(ValueError, match="Invalid feature type: floats"):
        FeatureSpace({"a": "floats"})
    with pytest.raises(ValueError, match="Received: output_mode=list"):
        FeatureSpace({"a": "float"}, output_mode="list")
    with pytest.raises(ValueError, match="Received: output_mode=float"):
        FeatureSpace.cross(("a", "b"), crossing_dim=4, output_mode="float")
    with pytest.raises(ValueError, match="Received unknown features"):
        FeatureSpace({"a": "float"}, crosses=[("a", "b")])
    space = FeatureSpace({"a": "float_normalized"})
    with pytest.raises(ValueError, match=r"call `.adapt\(dataset\)`"):
        space({"a": np.ones(3)})
    with pytest.raises(ValueError, match=r"can only be called on a tf\.data\.Dataset"):
        space.adapt([1.0, 2.0])
    space.adapt({"a": np.arange(3.0)})
    with pytest.raises(ValueError, match="can only be called with a dict"):
        space(np.ones(3))
    unencoded = FeatureSpace({"i": FeatureSpace.integer_categorical(output_mode="int")})
    with pytest.raises(ValueError, match="feature 'i' has not been encoded"):
        unencoded.adapt({"i": np.array([1, 2])})
    custom = FeatureSpace(
        {
            "t": FeatureSpace.feature(
                dtype="int32", preprocessor=layers.Identity(), output_mode="one_hot"
            )
        }
    )
    with pytest.raises(ValueError, match="cannot be one-hot encoded"):
        custom.get_encoded_features()


def test_plain_float_space_needs_no_adapt():
    space = FeatureSpace(
        {"a": "float", "b": FeatureSpace.float_rescaled(scale=2.0)}, output_mode="concat"
    )
    np.testing.assert_allclose(space({"a": [1.0, 2.0], "b": [3.0, 4.0]}), [[1, 6], [2, 8]])


def test_fixed_bin_boundaries_are_one_hot_without_adapt():
    space = FeatureSpace(
        {"disc": FeatureSpace.float_discretized(num_bins=None, bin_boundaries=[0.5, 2.5])}
    )
    expected = one_hot(np.searchsorted([0.5, 2.5], RAW["disc"], side="right"), 3)
    np.testing.assert_array_equal(space({"disc": RAW["disc"]}), expected)
