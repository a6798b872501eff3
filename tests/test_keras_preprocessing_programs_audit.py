"""Preprocessing-layer programs as keras.io's "Working with preprocessing layers" guide and
the structured-data and OCR examples write them, run with ``import kgraph as keras`` (see
``test_keras_data_programs_audit.py``); values checked against numpy and Keras' documented
results."""

from __future__ import annotations

import numpy as np
import pytest

import kgraph as keras
from kgraph import layers

RNG = np.random.default_rng(7)


def setup_function():
    keras.utils.clear_session()
    keras.utils.set_random_seed(1)


def test_normalization_adapt_on_arrays_and_datasets():
    """The preprocessing guide's ``Normalization``: adapt on an array, on a dataset of
    ``(x, y)`` batches and on a dataset of single rows; ``mean``/``variance`` as Keras."""
    data = np.array([[0.1, 0.2, 0.3], [0.8, 0.9, 1.0], [1.5, 1.6, 1.7]])
    layer = layers.Normalization()
    assert layer.mean is None
    layer.adapt(data)
    np.testing.assert_allclose(layer.mean, data.mean(axis=0, keepdims=True), rtol=1e-6)
    np.testing.assert_allclose(layer.variance, data.var(axis=0, keepdims=True), rtol=1e-5)
    expected = (data - data.mean(0)) / data.std(0)
    np.testing.assert_allclose(layer(data), expected, rtol=1e-5, atol=1e-6)
    pairs = keras.utils.Dataset.from_tensor_slices((data, np.arange(3))).batch(2)
    rows = keras.utils.Dataset.from_tensor_slices(data)  # unbatched: Keras batches it
    for source in (pairs, rows):
        adapted = layers.Normalization()
        adapted.adapt(source)
        np.testing.assert_allclose(adapted(data), expected, rtol=1e-5, atol=1e-6)
    scalar = layers.Normalization(axis=None)
    scalar.adapt(data)
    assert scalar.mean.shape == (1, 1)
    np.testing.assert_allclose(scalar(data), (data - data.mean()) / data.std(), atol=1e-6)
    inverse = layers.Normalization(mean=[1.0, 2.0], variance=[4.0, 9.0], invert=True)
    np.testing.assert_allclose(inverse(np.array([[1.0, 1.0]])), [[3.0, 5.0]])


def test_discretization_lookup_hashing_encoding():
    """The guide's categorical recipes: Discretization, IntegerLookup / StringLookup with
    one-hot outputs, the hashing trick into CategoryEncoding."""
    bins = layers.Discretization(bin_boundaries=[0.0, 1.0, 2.0])
    out = bins(np.array([[-1.5, 0.5, 1.0, 3.0]]))
    assert out.dtype == np.int32  # Keras 3's output dtype
    np.testing.assert_array_equal(out, np.digitize([[-1.5, 0.5, 1.0, 3.0]], [0.0, 1.0, 2.0]))
    with pytest.raises(ValueError, match="You need to set either `num_bins` or `bin_boundaries`"):
        layers.Discretization()
    adapted = layers.Discretization(num_bins=4)
    adapted.adapt(np.arange(100.0))
    clone = layers.Discretization.from_config(adapted.get_config())
    assert clone.bin_boundaries == adapted.bin_boundaries
    np.testing.assert_array_equal(clone(np.array([10.0, 60.0])), adapted(np.array([10.0, 60.0])))
    ints = layers.IntegerLookup(output_mode="one_hot")
    ints.adapt(np.array([[10], [20], [20], [10], [30], [0]]))
    assert ints.get_vocabulary() == [-1, 20, 10, 30, 0]  # count, then larger token first
    np.testing.assert_array_equal(ints(np.array([[10], [50], [0]])), np.eye(5)[[2, 0, 4]])
    words = layers.StringLookup(vocabulary=["a", "b", "c", "d"])
    np.testing.assert_array_equal(words([["a", "c", "d"], ["d", "z", "b"]]), [[1, 3, 4], [4, 0, 2]])
    strict = layers.StringLookup(vocabulary=["a", "b"], num_oov_indices=0)
    np.testing.assert_array_equal(strict(["b", "a"]), [1, 0])
    with pytest.raises(ValueError, match=r"found OOV values \['zz'\]"):
        strict(["a", "zz"])
    back = layers.StringLookup(vocabulary=["a", "b"], invert=True)
    assert back(np.array([2, 0, 1])).tolist() == ["b", "[UNK]", "a"]
    hashed = layers.Hashing(num_bins=3)(np.array([["A"], ["B"], ["C"], ["D"], ["E"]]))
    np.testing.assert_array_equal(hashed, [[1], [0], [1], [1], [2]])  # Keras' documented bins
    codes = RNG.integers(0, 100000, (50, 1))
    multi_hot = layers.CategoryEncoding(64, output_mode="multi_hot")(
        layers.Hashing(num_bins=64, salt=1337)(codes)
    )
    assert multi_hot.shape == (50, 64) and (multi_hot.sum(axis=1) == 1).all()
    np.testing.assert_array_equal(layers.CategoryEncoding(3)([0, 2]), [1, 0, 1])


def test_augmentation_layers_eager_and_in_models():
    images = RNG.uniform(0, 255, (4, 8, 8, 3)).astype(np.float32)
    float64 = images.astype(np.float64)  # numpy's default: Keras computes in float32
    for layer in (
        layers.Rescaling(0.5),
        layers.Normalization(mean=1.0, variance=4.0),
        layers.RandomFlip(),
        layers.RandomRotation(0.1),
        layers.RandomBrightness(0.1),
    ):
        out = layer(float64, training=False) if "Random" in type(layer).__name__ else layer(float64)
        assert out.dtype == np.float32, type(layer).__name__
    flip = layers.RandomFlip("horizontal", seed=3)
    np.testing.assert_array_equal(flip(images, training=False), images)
    flipped = np.asarray(flip(images, training=True))
    for got, image in zip(flipped, images):  # each image is itself or its mirror
        assert np.array_equal(got, image) or np.array_equal(got, image[:, ::-1])
    brightness = layers.RandomBrightness(0.2, value_range=(0, 255))
    shifted = np.asarray(brightness(images, training=True)) - images
    assert np.all(np.abs(shifted) <= 0.2 * 255 + 1e-3)
    np.testing.assert_array_equal(layers.RandomRotation(0.2)(images, training=False), images)
    resized = layers.Resizing(4, 4)(images)
    np.testing.assert_allclose(
        resized, images.reshape(4, 4, 2, 4, 2, 3).mean(axis=(2, 4)), rtol=1e-5
    )
    np.testing.assert_array_equal(layers.CenterCrop(4, 6)(images), images[:, 2:6, 1:7])
    augment = keras.Sequential(
        [layers.RandomFlip("horizontal"), layers.RandomRotation(0.1), layers.RandomZoom(0.1)]
    )
    inputs = keras.Input((8, 8, 3))
    x = augment(inputs)
    x = layers.Rescaling(1.0 / 255)(x)
    model = keras.Model(inputs, layers.Dense(2)(layers.Flatten()(x)))
    model.compile("adam", keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    model.fit(images, np.array([0, 1, 0, 1]), epochs=1, verbose=0)
    kernel, bias = model.layers[-1].get_weights()
    expected = (images / 255).reshape(4, -1) @ kernel + bias  # inference: no augmentation
    np.testing.assert_allclose(model.predict(images, verbose=0), expected, rtol=1e-4, atol=1e-5)


def test_category_encoding_sequences_and_argument_errors():
    """One-hot sequences of ids ``(batch, time, 1)`` as Keras 3 encodes them; multi-hot of a
    rank-3 input reduces axis 1 as Keras 3 computes it; Keras' messages for bad arguments."""
    ids = np.array([[[0], [3], [1]], [[2], [2], [0]]])
    inputs = keras.Input((3, 1), dtype="int32")
    model = keras.Model(inputs, layers.CategoryEncoding(4, output_mode="one_hot")(inputs))
    assert model.output_shape == (None, 3, 4)
    np.testing.assert_array_equal(model.predict(ids, verbose=0), np.eye(4)[ids[..., 0]])
    grid = np.array([[[0, 1], [2, 2]], [[1, 1], [0, 0]]])
    expected = np.eye(3)[grid].max(axis=1)
    np.testing.assert_array_equal(layers.CategoryEncoding(3)(grid), expected)
    with pytest.raises(ValueError, match=r"The `factor` argument .* \[-1\.0, 1\.0\]"):
        layers.RandomTranslation(1.5, 0.1)
    with pytest.raises(ValueError, match="Unknown value for `output_mode` argument of Discret"):
        layers.Discretization(bin_boundaries=[1.0], output_mode="ints")
    with pytest.raises(ValueError, match=r"rank 3 \(single image\) or 4 .* data.shape=\(4, 4\)"):
        layers.RandomFlip()(np.ones((4, 4)), training=True)


def test_structured_data_classification_from_scratch():
    """keras.io's structured-data example: a dict-of-columns dataset, lookups adapted with the
    deprecated ``output_mode="binary"`` (multi-hot), a Normalization adapted on one column,
    a three-input Functional model fitted on the dict dataset, then a one-sample predict."""
    n = 40
    columns = {
        "age": RNG.integers(30, 70, n).astype(np.float64),
        "sex": RNG.integers(0, 2, n),
        "thal": RNG.choice(["fixed", "normal", "reversible"], n),
    }
    target = RNG.integers(0, 2, n)

    def to_dataset(rows):
        ds = keras.utils.Dataset.from_tensor_slices(
            ({k: v[rows] for k, v in columns.items()}, target[rows])
        )
        return ds.shuffle(buffer_size=len(target[rows])).batch(8)

    train_ds, val_ds = to_dataset(slice(0, 32)), to_dataset(slice(32, None))
    adapted = {}

    def encode(feature, name, layer):
        layer.adapt(train_ds.map(lambda x, y: x[name]).map(lambda x: keras.ops.expand_dims(x, -1)))
        adapted[name] = layer
        return layer(feature)

    sex = keras.Input(shape=(1,), name="sex", dtype="int64")
    thal = keras.Input(shape=(1,), name="thal", dtype="string")
    age = keras.Input(shape=(1,), name="age")
    features = layers.concatenate(
        [
            encode(sex, "sex", layers.IntegerLookup(output_mode="binary")),
            encode(thal, "thal", layers.StringLookup(output_mode="binary")),
            encode(age, "age", layers.Normalization()),
        ]
    )
    output = layers.Dense(1, activation="sigmoid")(layers.Dense(4, activation="relu")(features))
    model = keras.Model([sex, thal, age], output)
    model.compile("adam", "binary_crossentropy", metrics=["accuracy"])
    history = model.fit(train_ds, epochs=2, validation_data=val_ds, verbose=0)
    assert len(history.history["val_accuracy"]) == 2
    np.testing.assert_allclose(adapted["age"].mean, [[columns["age"][:32].mean()]], rtol=1e-6)
    sample = {"age": 60.0, "sex": 1, "thal": "fixed"}
    prediction = model.predict({k: np.array([v]) for k, v in sample.items()}, verbose=0)
    sex_vocab, thal_vocab = adapted["sex"].get_vocabulary(), adapted["thal"].get_vocabulary()
    assert sorted(thal_vocab) == sorted(["[UNK]", *set(columns["thal"][:32])])
    row = np.concatenate(
        [
            np.eye(len(sex_vocab))[sex_vocab.index(1)],
            np.eye(len(thal_vocab))[thal_vocab.index("fixed")],
            [(60.0 - columns["age"][:32].mean()) / columns["age"][:32].std()],
        ]
    )
    (k1, b1), (k2, b2) = model.layers[-2].get_weights(), model.layers[-1].get_weights()
    expected = 1 / (1 + np.exp(-(np.maximum(row @ k1 + b1, 0) @ k2 + b2)))
    np.testing.assert_allclose(prediction[0], expected, rtol=1e-4)


def test_lookup_vocabularies_as_keras_examples_pass_them():
    """The captcha OCR example feeds ``get_vocabulary()`` (which starts with the OOV token)
    to an inverting StringLookup; Keras strips leading special tokens. With a mask token,
    only ``output_mode="int"`` gives the mask an index (encoded outputs drop it)."""
    characters = sorted(set("ab12"))
    char_to_num = layers.StringLookup(vocabulary=list(characters), mask_token=None)
    num_to_char = layers.StringLookup(
        vocabulary=char_to_num.get_vocabulary(), mask_token=None, invert=True
    )
    assert num_to_char.get_vocabulary() == ["[UNK]", "1", "2", "a", "b"]
    ids = char_to_num(np.array(list("a2bz")))
    np.testing.assert_array_equal(ids, [3, 2, 4, 0])
    assert num_to_char(ids).tolist() == ["a", "2", "b", "[UNK]"]
    back = layers.IntegerLookup(vocabulary=[-1, 5, 7], invert=True)
    np.testing.assert_array_equal(back(np.array([2, 1, 0])), [7, 5, -1])
    with pytest.raises(ValueError, match="reserved OOV token at unexpected location"):
        layers.StringLookup(vocabulary=["a", "[UNK]"], invert=True)
    with pytest.raises(ValueError, match="Cannot set an empty vocabulary"):
        layers.StringLookup(vocabulary=[])
    masked = layers.StringLookup(vocabulary=["a", "b"], mask_token="", output_mode="multi_hot")
    assert masked.get_vocabulary() == ["[UNK]", "a", "b"] and masked.vocabulary_size() == 3
    np.testing.assert_array_equal(masked(np.array([["a", "", "z"]])), [[1, 1, 0]])
    as_int = layers.StringLookup(vocabulary=["a", "b"], mask_token="")
    np.testing.assert_array_equal(as_int(np.array([["a", "", "z"]])), [[2, 0, 1]])
    one_hot = layers.IntegerLookup(vocabulary=[5, 7], mask_token=0, output_mode="one_hot")
    np.testing.assert_array_equal(one_hot(np.array([5, 0, 9])), [[0, 1, 0], [0, 0, 0], [1, 0, 0]])


def test_model_built_before_adapt():
    """Keras lets a model take an integer-output lookup or Discretization layer before its
    ``adapt()``; the adapted vocabulary / boundaries are what ``predict`` then uses."""
    lookup, bins = layers.StringLookup(), layers.Discretization(num_bins=2)
    words, values = keras.Input((1,), dtype="string"), keras.Input((1,))
    model = keras.Model([words, values], [lookup(words), bins(values)])
    assert model.output_shape == [(None, 1), (None, 1)]
    lookup.adapt(np.array([["b"], ["a"], ["b"]]))
    bins.adapt(np.array([1.0, 2.0, 3.0, 4.0]))
    ids, buckets = model.predict(
        [np.array([["a"], ["b"], ["z"]]), np.array([[0.0], [2.6], [9.0]])], verbose=0
    )
    np.testing.assert_array_equal(ids, [[2], [1], [0]])  # b (twice) before a; z is OOV
    np.testing.assert_array_equal(buckets, np.digitize([[0.0], [2.6], [9.0]], [2.5]))
    with pytest.raises(ValueError, match="needs a vocabulary or a call to adapt"):
        layers.StringLookup(output_mode="one_hot")(keras.Input((1,), dtype="string"))
