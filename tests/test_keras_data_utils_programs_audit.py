"""More keras.io-style data programs run with ``import kgraph as keras`` (see
``test_keras_data_programs_audit.py``): timeseries windows, ``split_dataset``, ``PyDataset``
subclasses, ``keras.utils``' numpy helpers and image file helpers, checked against numpy."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

import kgraph as keras
from kgraph import layers

RNG = np.random.default_rng(7)


def setup_function():
    keras.utils.clear_session()
    keras.utils.set_random_seed(1)


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
