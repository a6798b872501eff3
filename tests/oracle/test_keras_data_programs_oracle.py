"""Oracle: the parts of the data-programs audit (``tests/test_keras_data_programs_audit.py``)
that real Keras 3 runs on JAX without TensorFlow: ``keras.utils``' numpy helpers, image file
helpers, ``PyDataset`` and the preprocessing layers' values, dtypes, attributes and errors."""

from __future__ import annotations

import numpy as np
import pytest

import kgraph
from tests.oracle.keras_oracle import MARKS, keras

pytestmark = MARKS
RNG = np.random.default_rng(11)


def _same(ours, theirs):
    ours, theirs = np.asarray(ours), np.asarray(theirs)
    assert ours.dtype == theirs.dtype and ours.shape == theirs.shape
    np.testing.assert_allclose(ours, theirs, rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize(
    "args",
    [([0, 2, 1],), (np.array([[1], [0]]), 3), (np.array([[1, 2], [0, 0]]), 3), (2, 3), ([], 3)],
)
def test_to_categorical(args):
    _same(kgraph.utils.to_categorical(*args), keras.utils.to_categorical(*args))


@pytest.mark.parametrize(
    "x, kwargs",
    [
        (np.array([[3.0, 4.0], [0.0, 0.0]]), {}),
        (np.array([[3.0, 1.0]], np.float32), dict(order=1)),
        ([[3.0, 4.0]], {}),
    ],
)
def test_normalize(x, kwargs):
    _same(kgraph.utils.normalize(x, **kwargs), keras.utils.normalize(x, **kwargs))


@pytest.mark.parametrize(
    "sequences, kwargs",
    [
        ([[1, 2, 3], [4], []], {}),
        ([[1, 2, 3], [4]], dict(maxlen=2, padding="post", truncating="post")),
        ([[1.5, 2.5], [4.0]], dict(dtype="float32", value=-1.0)),
        ([np.ones((2, 3)), np.ones((1, 3))], dict(maxlen=3)),
    ],
)
def test_pad_sequences(sequences, kwargs):
    _same(
        kgraph.utils.pad_sequences(sequences, **kwargs),
        keras.utils.pad_sequences(sequences, **kwargs),
    )


def test_image_file_helpers(tmp_path):
    array = RNG.uniform(0, 255, (5, 7, 3)).astype(np.float32)
    kgraph.utils.save_img(tmp_path / "k.png", array)
    keras.utils.save_img(tmp_path / "r.png", array)
    assert (tmp_path / "k.png").read_bytes() == (tmp_path / "r.png").read_bytes()
    for kwargs in (
        {},
        dict(color_mode="grayscale"),
        dict(color_mode="rgba"),
        dict(target_size=(3, 4), interpolation="bicubic"),
        dict(target_size=(3, 3), keep_aspect_ratio=True),
    ):
        ours = kgraph.utils.img_to_array(kgraph.utils.load_img(tmp_path / "k.png", **kwargs))
        theirs = keras.utils.img_to_array(keras.utils.load_img(tmp_path / "k.png", **kwargs))
        _same(ours, theirs)
    _same(
        np.asarray(kgraph.utils.array_to_img(array / 510.0)),
        np.asarray(keras.utils.array_to_img(array / 510.0)),
    )


def test_preprocessing_layers_values_and_dtypes():
    x = np.array([[-1.5, 0.5, 1.0, 3.0]], np.float32)
    for kwargs in (
        dict(bin_boundaries=[0.0, 1.0, 2.0]),
        dict(bin_boundaries=[0.0, 1.0, 2.0], output_mode="one_hot"),
        dict(bin_boundaries=[0.0, 1.0, 2.0], output_mode="count"),
    ):
        _same(kgraph.layers.Discretization(**kwargs)(x), keras.layers.Discretization(**kwargs)(x))
    for lib in (kgraph, keras):
        with pytest.raises(ValueError, match="You need to set either"):
            lib.layers.Discretization()
    for mode in ("multi_hot", "one_hot", "count"):
        _same(
            kgraph.layers.CategoryEncoding(3, output_mode=mode)([0, 2]),
            keras.layers.CategoryEncoding(3, output_mode=mode)([0, 2]),
        )


def test_normalization_attributes_after_adapt():
    data = RNG.normal(size=(6, 3))
    for axis in (-1, None):
        ours, theirs = kgraph.layers.Normalization(axis=axis), keras.layers.Normalization(axis=axis)
        ours.adapt(data)
        theirs.adapt(data)
        _same(ours.mean, theirs.mean)
        np.testing.assert_allclose(ours.variance, np.asarray(theirs.variance), rtol=1e-5)
        np.testing.assert_allclose(ours(data), np.asarray(theirs(data)), rtol=1e-5, atol=1e-5)
    vector = np.array([1.0, 2.0, 3.0, 4.0])
    ours, theirs = kgraph.layers.Normalization(), keras.layers.Normalization()
    ours.adapt(vector)
    theirs.adapt(vector)
    _same(ours(vector), theirs(vector))
    given = kgraph.layers.Normalization(mean=[1.0, 2.0], variance=[4.0, 9.0])
    reference = keras.layers.Normalization(mean=[1.0, 2.0], variance=[4.0, 9.0])
    given.build((None, 2))
    reference.build((None, 2))
    _same(given.mean, reference.mean)
    _same(given.variance, reference.variance)


def test_py_dataset_attributes():
    def make(lib, **kwargs):
        class Batches(lib.utils.PyDataset):
            def __len__(self):
                return 3

            def __getitem__(self, index):
                return np.full((2, 1), index, np.float32), np.zeros((2, 1))

        return Batches(**kwargs)

    for kwargs in ({}, dict(workers=3, max_queue_size=4)):
        ours, theirs = make(kgraph, **kwargs), make(keras, **kwargs)
        for name in ("workers", "use_multiprocessing", "max_queue_size", "num_batches"):
            assert getattr(ours, name) == getattr(theirs, name), name
