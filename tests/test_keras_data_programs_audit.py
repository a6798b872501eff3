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


def _windows(data, length, stride=1, rate=1, start=0, end=None):
    """Keras' documented windows: data[p : p + length * rate : rate] for p in
    range(start, end - (length - 1) * rate, stride)."""
    end = len(data) if end is None else end
    return [
        data[p : p + length * rate : rate] for p in range(start, end - (length - 1) * rate, stride)
    ]


def test_timeseries_forecasting_windows():
    """The forecasting example's windows: inputs ``data[:-delay]``, targets
    ``data[delay:]``; strides, sampling rates and index bounds as documented."""
    series = np.arange(100, dtype=np.float32).reshape(50, 2)
    delay = 6
    ds = keras.utils.timeseries_dataset_from_array(
        series[:-delay], series[delay:, 0], sequence_length=4, sampling_rate=2, batch_size=8
    )
    xs, ys = zip(*[(a, b) for a, b in ds])
    windows = _windows(series[:-delay], 4, rate=2)
    np.testing.assert_array_equal(np.concatenate(xs), windows)
    np.testing.assert_array_equal(np.concatenate(ys), series[delay:, 0][: len(windows)])
    assert len(ds) == -(-len(windows) // 8) and xs[0].shape == (8, 4, 2)
    strided = keras.utils.timeseries_dataset_from_array(
        series,
        None,
        sequence_length=3,
        sequence_stride=5,
        start_index=4,
        end_index=40,
        batch_size=None,
    )
    np.testing.assert_array_equal(list(strided), _windows(series[4:40], 3, stride=5))
    shuffled = keras.utils.timeseries_dataset_from_array(
        series, None, sequence_length=2, shuffle=True, seed=3, batch_size=7
    )
    starts = sorted(int(w[0, 0]) for batch in shuffled for w in batch)
    assert starts == list(range(0, 98, 2))
    inputs = keras.Input((4, 2))
    model = keras.Model(inputs, layers.Dense(1)(layers.Flatten()(inputs)))
    model.compile("adam", "mse")
    history = model.fit(ds, validation_data=ds.take(1), epochs=2, verbose=0)
    assert len(history.history["val_loss"]) == 2
    assert model.predict(ds, verbose=0).shape == (len(windows), 1)
    with pytest.raises(ValueError, match="`sampling_rate` must be higher than 0"):
        keras.utils.timeseries_dataset_from_array(series, None, 3, sampling_rate=0)
    with pytest.raises(ValueError, match="`start_index` must be lower than the length"):
        keras.utils.timeseries_dataset_from_array(series, None, 3, start_index=50)


def test_split_dataset_keeps_samples_and_batching():
    x = np.arange(20, dtype=np.float32).reshape(10, 2)
    y = np.arange(10)
    left, right = keras.utils.split_dataset((x, y), left_size=0.8)
    assert (len(left), len(right)) == (8, 2)
    np.testing.assert_array_equal([b for _, b in right], [8, 9])
    left, right = keras.utils.split_dataset(x, right_size=3, shuffle=True, seed=1)
    rows = [tuple(r) for r in left] + [tuple(r) for r in right]
    assert sorted(rows) == sorted(map(tuple, x)) and len(right) == 3
    batched = keras.utils.Dataset.from_tensor_slices((x, y)).batch(4)
    left, right = keras.utils.split_dataset(batched, left_size=6)
    assert [a.shape[0] for a, _ in left] == [4, 2] and [a.shape[0] for a, _ in right] == [4]
    with pytest.raises(ValueError, match="At least one of the `left_size` or `right_size`"):
        keras.utils.split_dataset(x)
    with pytest.raises(TypeError, match="Invalid `left_size` Type"):
        keras.utils.split_dataset(x, left_size="half")


def test_py_dataset_subclass_in_fit_evaluate_predict():
    x = RNG.normal(size=(10, 3)).astype(np.float32)
    y = (x.sum(axis=1, keepdims=True) > 0).astype(np.float32)

    class Batches(keras.utils.PyDataset):
        def __init__(self, x, y, batch_size, **kwargs):
            super().__init__(**kwargs)
            self.x, self.y, self.batch_size = x, y, batch_size
            self.epochs_ended = 0

        def __len__(self):
            return int(np.ceil(len(self.x) / self.batch_size))

        def __getitem__(self, index):
            part = slice(index * self.batch_size, (index + 1) * self.batch_size)
            return self.x[part], self.y[part]

        def on_epoch_end(self):
            self.epochs_ended += 1

    train = Batches(x, y, 4, workers=2)
    assert (len(train), train.num_batches, train.workers, train.use_multiprocessing) == (
        3,
        3,
        2,
        False,
    )
    model = keras.Sequential([keras.Input((3,)), layers.Dense(1, activation="sigmoid")])
    model.compile("sgd", "binary_crossentropy", metrics=["accuracy"])
    history = model.fit(train, validation_data=Batches(x, y, 5), epochs=3, verbose=0)
    assert len(history.history["val_loss"]) == 3 and train.epochs_ended == 3
    kernel, bias = model.get_weights()
    probabilities = 1 / (1 + np.exp(-(x @ kernel + bias)))
    expected = -np.mean(y * np.log(probabilities) + (1 - y) * np.log(1 - probabilities))
    assert model.evaluate(Batches(x, y, 4), verbose=0)[0] == pytest.approx(expected, rel=1e-4)
    np.testing.assert_allclose(model.predict(Batches(x, y, 3), verbose=0), probabilities, rtol=1e-5)
    # Keras' fit(shuffle=True) requests a finite PyDataset's batches in a random order per
    # epoch; iterate(shuffle=True) is that order (the epoch still ends after its last batch)
    order = Batches(np.arange(12.0)[:, None], np.zeros(12), 2, workers=3)
    firsts = [int(b[0][0, 0]) // 2 for b in order.iterate(True, np.random.default_rng(5))]
    assert sorted(firsts) == list(range(6)) and firsts != list(range(6))
    assert firsts == np.random.default_rng(5).permutation(6).tolist() and order.epochs_ended == 1
    assert [int(b[0][0, 0]) // 2 for b in order] == list(range(6))


def test_numpy_helpers_to_categorical_normalize_pad_sequences():
    labels = np.array([[2], [0], [1]])
    one_hot = keras.utils.to_categorical(labels, num_classes=4)
    assert one_hot.dtype == np.float64  # Keras' numpy result
    np.testing.assert_array_equal(one_hot, np.eye(4)[[2, 0, 1]])
    assert keras.utils.to_categorical([[1, 2]]).shape == (1, 2, 3)
    x = np.array([[3.0, 4.0], [0.0, 0.0]])
    np.testing.assert_allclose(keras.utils.normalize(x), [[0.6, 0.8], [0.0, 0.0]])
    np.testing.assert_allclose(keras.utils.normalize(x, order=1), [[3 / 7, 4 / 7], [0, 0]])
    from_list = keras.utils.normalize([[3.0, 4.0]])
    assert from_list.dtype == np.float32
    sequences = [[1, 2, 3], [4], [5, 6, 7, 8, 9]]
    padded = keras.utils.pad_sequences(sequences, maxlen=4)
    assert padded.dtype == np.int32
    np.testing.assert_array_equal(padded, [[0, 1, 2, 3], [0, 0, 0, 4], [6, 7, 8, 9]])
    post = keras.utils.pad_sequences(
        sequences, maxlen=2, padding="post", truncating="post", value=-1
    )
    np.testing.assert_array_equal(post, [[1, 2], [4, -1], [5, 6]])
    words = keras.utils.pad_sequences([["a"], ["b", "c"]], dtype=object, value="<pad>")
    assert words.tolist() == [["<pad>", "a"], ["b", "c"]]
    with pytest.raises(ValueError, match="You should set `dtype=object`"):
        keras.utils.pad_sequences([["a"]], value="<pad>")
    with pytest.raises(ValueError, match='Padding type "middle" not understood'):
        keras.utils.pad_sequences(sequences, padding="middle")


def test_image_file_helpers(tmp_path):
    array = RNG.integers(0, 256, (5, 7, 3)).astype(np.float32)
    keras.utils.save_img(tmp_path / "x.png", array, scale=False)
    image = keras.utils.load_img(tmp_path / "x.png")
    assert image.size == (7, 5) and image.mode == "RGB"
    np.testing.assert_array_equal(keras.utils.img_to_array(image), array)
    gray = keras.utils.img_to_array(
        keras.utils.load_img(tmp_path / "x.png", color_mode="grayscale")
    )
    assert gray.shape == (5, 7, 1)
    expected = np.asarray(Image.fromarray(array.astype(np.uint8)).convert("L"), np.float32)
    np.testing.assert_array_equal(gray[..., 0], expected)
    small = keras.utils.load_img(tmp_path / "x.png", target_size=(2, 3), interpolation="nearest")
    nearest = Image.fromarray(array.astype(np.uint8)).resize((3, 2), Image.NEAREST)
    np.testing.assert_array_equal(keras.utils.img_to_array(small), np.asarray(nearest))
    scaled = keras.utils.array_to_img(array / 255.0 * 0.5)  # scaled to 0..255 by its range
    lo, hi = (array / 255.0 * 0.5).min(), (array / 255.0 * 0.5).max()
    expected = (array / 255.0 * 0.5 - lo) / (hi - lo) * 255
    np.testing.assert_allclose(np.asarray(scaled), expected, atol=1)
    first = keras.utils.img_to_array(image, data_format="channels_first")
    assert first.shape == (3, 5, 7)
    with pytest.raises(ValueError, match="Expected image array to have rank 3"):
        keras.utils.array_to_img(array[0])
    with pytest.raises(ValueError, match="color_mode must be"):
        keras.utils.load_img(tmp_path / "x.png", color_mode="cmyk")


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
