"""Data-loading and preprocessing programs as keras.io's examples and guides write them
("Image classification from scratch", "Working with preprocessing layers", "Text
classification from scratch", "Timeseries forecasting"), run with ``import kgraph as keras``.
Each one checks concrete values against numpy computed here, and the messages and errors
Keras gives (from Keras 3's documented behaviour; ``tests/oracle/
test_keras_data_programs_oracle.py`` compares what Keras can run without TensorFlow)."""

from __future__ import annotations

import os

import numpy as np
import pytest
from PIL import Image

import kgraph as keras
from kgraph import layers

RNG = np.random.default_rng(7)


def setup_function():
    keras.utils.clear_session()
    keras.utils.set_random_seed(1)


def _images(root, counts, size=(6, 8)):
    """``counts[name]`` random RGB PNGs of ``size`` per class folder; their pixels by path."""
    pixels = {}
    for name, count in counts.items():
        os.makedirs(root / name, exist_ok=True)
        for i in range(count):
            image = RNG.integers(0, 256, (*size, 3), dtype=np.uint8)
            path = str(root / name / f"{i:02d}.png")
            Image.fromarray(image).save(path)
            pixels[path] = image
    return pixels


def test_image_classification_from_scratch(tmp_path, capsys):
    """The keras.io example's pipeline: subset="both", an augmentation Sequential mapped
    over the training set with AUTOTUNE, prefetch, then fit / evaluate / predict."""
    pixels = _images(tmp_path, {"Cat": 6, "Dog": 4})
    train_ds, val_ds = keras.utils.image_dataset_from_directory(
        tmp_path, validation_split=0.2, subset="both", seed=1337, image_size=(6, 8), batch_size=4
    )
    printed = capsys.readouterr().out.splitlines()
    assert printed == [
        "Found 10 files belonging to 2 classes.",
        "Using 8 files for training.",
        "Using 2 files for validation.",
    ]
    assert train_ds.class_names == ["Cat", "Dog"] and (len(train_ds), len(val_ds)) == (2, 1)
    assert not set(train_ds.file_paths) & set(val_ds.file_paths)
    for images, labels in val_ds:  # same size as the files: the pixels themselves
        assert images.dtype == np.float32 and labels.dtype == np.int32
        expected = np.stack([pixels[p] for p in val_ds.file_paths]).astype(np.float32)
        np.testing.assert_array_equal(images, expected)
        names = [os.path.basename(os.path.dirname(p)) for p in val_ds.file_paths]
        np.testing.assert_array_equal(labels, [train_ds.class_names.index(n) for n in names])
    augment = keras.Sequential([layers.RandomFlip("horizontal"), layers.RandomRotation(0.1)])
    train_ds = train_ds.map(
        lambda x, y: (augment(x, training=True), y), num_parallel_calls=keras.utils.AUTOTUNE
    ).prefetch(keras.utils.AUTOTUNE)
    inputs = keras.Input((6, 8, 3))
    x = layers.Rescaling(1.0 / 255)(inputs)
    x = layers.Conv2D(4, 3, activation="relu")(x)
    x = layers.GlobalAveragePooling2D()(x)
    model = keras.Model(inputs, layers.Dense(1, activation="sigmoid")(x))
    model.compile("adam", "binary_crossentropy", metrics=["accuracy"])
    history = model.fit(train_ds, validation_data=val_ds, epochs=2, verbose=0)
    assert sorted(history.history) == ["accuracy", "loss", "val_accuracy", "val_loss"]
    assert len(history.history["val_loss"]) == 2
    loss, accuracy = model.evaluate(val_ds, verbose=0)
    assert np.isfinite(loss) and accuracy in (0.0, 0.5, 1.0)
    assert model.predict(val_ds, verbose=0).shape == (2, 1)


def test_label_and_color_modes(tmp_path):
    pixels = _images(tmp_path, {"a": 3, "b": 2, "c": 2})
    kwargs = dict(image_size=(6, 8), shuffle=False, verbose=False)
    _, onehot = next(
        iter(keras.utils.image_dataset_from_directory(tmp_path, label_mode="categorical", **kwargs))
    )
    assert onehot.dtype == np.float32
    np.testing.assert_array_equal(onehot, np.eye(3)[[0, 0, 0, 1, 1, 2, 2]])
    gray = keras.utils.image_dataset_from_directory(
        tmp_path, labels=None, color_mode="grayscale", **kwargs
    )
    first = next(iter(gray))
    path = gray.file_paths[0]
    expected = np.asarray(Image.fromarray(pixels[path]).convert("L"), np.float32)
    assert first.shape == (7, 6, 8, 1)
    np.testing.assert_array_equal(first[0, ..., 0], expected)
    rgba = keras.utils.image_dataset_from_directory(
        tmp_path, color_mode="rgba", batch_size=None, **kwargs
    )
    image, label = next(iter(rgba))
    assert image.shape == (6, 8, 4) and label.shape == () and int(label) == 0
    np.testing.assert_array_equal(image[..., 3], 255)
    two = tmp_path / "two"
    _images(two, {"neg": 2, "pos": 1})
    _, binary = next(
        iter(keras.utils.image_dataset_from_directory(two, label_mode="binary", **kwargs))
    )
    assert binary.shape == (3, 1) and binary.dtype == np.float32
    np.testing.assert_array_equal(binary[:, 0], [0, 0, 1])
    with pytest.raises(ValueError, match="exactly 2 class_names"):
        keras.utils.image_dataset_from_directory(tmp_path, label_mode="binary", **kwargs)
    with pytest.raises(ValueError, match=r"^No images found in directory .*a\. Allowed formats"):
        keras.utils.image_dataset_from_directory(tmp_path / "a", **kwargs)


def test_labels_list_crop_and_pad(tmp_path, capsys):
    pixels = _images(tmp_path / "flat", {"x": 3}, size=(4, 8))
    ordered = sorted(pixels)
    ds = keras.utils.image_dataset_from_directory(
        tmp_path / "flat",
        labels=[2, 0, 2],
        image_size=(4, 4),
        crop_to_aspect_ratio=True,
        shuffle=False,
    )
    assert capsys.readouterr().out == "Found 3 files belonging to 2 classes.\n"
    assert ds.class_names == ["0", "2"]
    images, labels = next(iter(ds))
    np.testing.assert_array_equal(labels, [2, 0, 2])
    centre = np.stack([pixels[p][:, 2:6] for p in ordered]).astype(np.float32)
    np.testing.assert_array_equal(images, centre)
    padded = keras.utils.image_dataset_from_directory(
        tmp_path / "flat",
        labels=None,
        image_size=(8, 8),
        pad_to_aspect_ratio=True,
        shuffle=False,
        verbose=False,
    )
    images = next(iter(padded))
    np.testing.assert_array_equal(images[:, 2:6], np.stack([pixels[p] for p in ordered]))
    assert not images[:, :2].any() and not images[:, 6:].any()
    _, one_hot = next(
        iter(
            keras.utils.image_dataset_from_directory(
                tmp_path / "flat",
                labels=[2, 0, 2],
                label_mode="categorical",
                image_size=(4, 8),
                shuffle=False,
                verbose=False,
            )
        )
    )  # two class names, so label 2 is tf.one_hot's row of zeros, as in Keras
    np.testing.assert_array_equal(one_hot, [[0, 0], [1, 0], [0, 0]])
    with pytest.raises(ValueError, match="must provide a `seed`"):
        keras.utils.image_dataset_from_directory(
            tmp_path / "flat", validation_split=0.5, subset="training"
        )
    with pytest.raises(ValueError, match="`label_mode` argument must be one of"):
        keras.utils.image_dataset_from_directory(tmp_path / "flat", label_mode="sparse")


def test_tf_data_style_chaining():
    """map / filter / batch / unbatch / shuffle / cache / take / skip / repeat as tf.data
    users chain them, with tf.data's cardinalities."""
    x = np.arange(10, dtype=np.float32)[:, None]
    y = np.arange(10) % 3
    ds = keras.utils.Dataset.from_tensor_slices((x, y))
    assert len(ds) == 10 and ds.cardinality().numpy() == 10
    doubled = ds.map(lambda a, b: (a * 2, b)).filter(lambda a, b: b != 0)
    assert int(doubled.cardinality()) == -2  # unknown after filter
    kept = [(float(a[0]), int(b)) for a, b in doubled.as_numpy_iterator()]
    assert kept == [(2 * i, i % 3) for i in range(10) if i % 3]
    batches = list(ds.batch(4))
    assert [b[0].shape for b in batches] == [(4, 1), (4, 1), (2, 1)]
    assert len(ds.batch(4, drop_remainder=True)) == 2
    assert int(ds.batch(4).unbatch().cardinality()) == -2
    np.testing.assert_array_equal(np.concatenate([a for a, _ in ds.batch(3).unbatch()]), x[:, 0])
    shuffled = ds.shuffle(10, seed=3).cache()
    first, second = [[int(b) for _, b in shuffled] for _ in range(2)]
    assert first == second and sorted(first) == sorted(y.tolist())
    assert int(ds.repeat().cardinality()) == -1 and len(ds.repeat(3)) == 30
    assert [float(a[0]) for a, _ in ds.skip(8).repeat(2)] == [8, 9, 8, 9]
    assert len(ds.repeat().take(25)) == 25
    assert len(ds.prefetch(keras.utils.AUTOTUNE)) == 10 and keras.utils.AUTOTUNE == -1
    with pytest.raises(TypeError):
        len(ds.repeat())
    for features, label in ds.take(1):  # tf.data tensors answer .numpy()
        np.testing.assert_array_equal(features.numpy(), [0.0])
        assert label.numpy() == 0
    assert isinstance(next(iter(ds.map(lambda a, b: [a, b]))), tuple)  # tf.data: a tuple
    first = next(ds.as_numpy_iterator())  # plain numpy: an array and a numpy scalar
    assert type(first[0]) is np.ndarray and type(first[1]) is np.int64
    assert [w.numpy().tolist() for w in keras.utils.Dataset.range(2)] == [0, 1]


def test_from_tensor_slices_reads_python_lists_as_arrays():
    """tf.data converts a Python list to one tensor: ``from_tensor_slices([1, 2, 3])`` has
    three scalar elements, and lists of file names or labels inside tuples are columns."""
    ds = keras.utils.Dataset.from_tensor_slices([1, 2, 3])
    assert [int(v) for v in ds] == [1, 2, 3]
    pairs = list(keras.utils.Dataset.from_tensor_slices((["a.png", "b.png"], [0, 1])))
    assert [(str(p), int(label)) for p, label in pairs] == [("a.png", 0), ("b.png", 1)]
    rows = list(keras.utils.Dataset.from_tensor_slices([[1, 2], [3, 4]]))
    np.testing.assert_array_equal(rows, [[1, 2], [3, 4]])
    features = keras.utils.Dataset.from_tensor_slices({"age": [30, 40], "city": ["x", "y"]})
    assert [(int(e["age"]), str(e["city"])) for e in features] == [(30, "x"), (40, "y")]


def test_padded_batch_generator_and_less_common_methods():
    ds = keras.utils.Dataset.range(1, 5).map(lambda n: np.arange(n))
    padded = list(ds.padded_batch(2))
    np.testing.assert_array_equal(padded[0], [[0, 0], [0, 1]])
    np.testing.assert_array_equal(padded[1], [[0, 1, 2, 0], [0, 1, 2, 3]])
    fixed = next(iter(ds.padded_batch(3, padded_shapes=[5], padding_values=-1)))
    np.testing.assert_array_equal(
        fixed, [[0, -1, -1, -1, -1], [0, 1, -1, -1, -1], [0, 1, 2, -1, -1]]
    )
    pairs = keras.utils.Dataset.from_tensor_slices(([3, 1], ["a", "b"]))
    tokens, words = next(iter(pairs.map(lambda n, w: (np.arange(n), w)).padded_batch(2)))
    np.testing.assert_array_equal(tokens, [[0, 1, 2], [0, 0, 0]])
    assert words.tolist() == ["a", "b"]

    def gen(stop):
        for i in range(stop):
            yield np.full((2,), i, np.float32), i % 2

    from_gen = keras.utils.Dataset.from_generator(gen, args=(3,))
    assert [int(b) for _, b in from_gen] == [0, 1, 0] == [int(b) for _, b in from_gen]
    with pytest.raises(TypeError, match="callable"):
        keras.utils.Dataset.from_generator(gen(3))
    numbers = keras.utils.Dataset.range(10)
    assert int(numbers.reduce(np.int64(0), lambda total, v: total + v)) == 45
    assert [int(v) for v in numbers.shard(3, 1)] == [1, 4, 7] and len(numbers.shard(3, 1)) == 3
    assert [int(v) for v in numbers.take_while(lambda v: v < 4)] == [0, 1, 2, 3]
    nested = numbers.take(3).flat_map(lambda v: keras.utils.Dataset.from_tensors(v).repeat(2))
    assert [int(v) for v in nested] == [0, 0, 1, 1, 2, 2]
    assert numbers.apply(lambda d: d.skip(8)).cardinality() == 2
    np.testing.assert_array_equal(
        keras.utils.Dataset.from_tensors([1, 2]).get_single_element(), [1, 2]
    )
    with pytest.raises(ValueError, match="more than one element"):
        numbers.get_single_element()


def test_text_classification_from_scratch(tmp_path, capsys):
    reviews = {
        "neg": ["A bad, bad movie!", "Awful plot.", "Bad acting"],
        "pos": ["A great movie", "Great, great fun!", "Loved the plot", "fun"],
    }
    for label, texts in reviews.items():
        os.makedirs(tmp_path / label)
        for i, text in enumerate(texts):
            (tmp_path / label / f"{i}.txt").write_text(text)
    train_ds, val_ds = keras.utils.text_dataset_from_directory(
        tmp_path, batch_size=2, validation_split=0.3, subset="both", seed=42
    )
    assert capsys.readouterr().out.splitlines() == [
        "Found 7 files belonging to 2 classes.",
        "Using 5 files for training.",
        "Using 2 files for validation.",
    ]
    all_texts = [text for texts in reviews.values() for text in texts]
    texts, labels = next(iter(train_ds))
    assert texts.shape == (2,) and labels.dtype == np.int32
    everything = [t for batch, _ in train_ds.concatenate(val_ds) for t in batch.tolist()]
    assert sorted(everything) == sorted(all_texts)
    vectorize = layers.TextVectorization(max_tokens=20, output_mode="int", output_sequence_length=5)
    vectorize.adapt(train_ds.concatenate(val_ds).map(lambda x, y: x))
    counts = {}
    for text in all_texts:
        for word in "".join(c for c in text.lower() if c.isalnum() or c == " ").split():
            counts[word] = counts.get(word, 0) + 1
    expected = sorted(counts, key=lambda w: (counts[w], w), reverse=True)
    assert vectorize.get_vocabulary() == ["", "[UNK]", *expected]
    ids = vectorize(np.array(["great fun zebra"]))
    index = vectorize.get_vocabulary().index
    np.testing.assert_array_equal(ids, [[index("great"), index("fun"), 1, 0, 0]])
    int_train = train_ds.map(lambda x, y: (vectorize(x), y)).cache().prefetch(2)
    inputs = keras.Input((5,), dtype="int64")
    x = layers.Embedding(20, 4)(inputs)
    x = layers.GlobalAveragePooling1D()(x)
    model = keras.Model(inputs, layers.Dense(1, activation="sigmoid")(x))
    model.compile("adam", "binary_crossentropy", metrics=["accuracy"])
    history = model.fit(int_train, epochs=2, verbose=0)
    assert len(history.history["loss"]) == 2
    with pytest.raises(ValueError, match="No validation text files found"):
        keras.utils.text_dataset_from_directory(
            tmp_path / "neg", labels=None, validation_split=0.2, subset="both", seed=1
        )
