"""Oracle: file listing, shuffling and splitting, image file helpers, ``pad_sequences`` and
``normalize`` agree with real Keras 3 (the parts of ``keras.utils`` that run without
TensorFlow)."""

from __future__ import annotations

import io
import os

import numpy as np
import pytest
from PIL import Image

import kgraph
from tests.oracle.keras_oracle import MARKS, keras
from tests.utils.conftest import write_images

pytestmark = MARKS


def test_listing_shuffle_and_split_match_keras(tmp_path):
    from keras.src.utils import dataset_utils

    root = write_images(tmp_path / "imgs", {"b": 7, "a": 5, "c": 6}, size=(3, 3))
    formats = (".bmp", ".gif", ".jpeg", ".jpg", ".png")
    paths, labels, names = dataset_utils.index_directory(root, "inferred", formats, seed=11)
    for subset in ("training", "validation"):
        ours = kgraph.utils.image_dataset_from_directory(
            root, validation_split=0.3, subset=subset, seed=11, image_size=(3, 3)
        )
        want, _ = dataset_utils.get_training_or_validation_split(paths, labels, 0.3, subset)
        assert ours.file_paths == want
        assert ours.class_names == names


def test_image_file_helpers_match_keras(tmp_path):
    rng = np.random.default_rng(0)
    array = rng.uniform(-3, 7, (9, 6, 3)).astype(np.float32)
    for data_format in ("channels_last", "channels_first"):
        x = array if data_format == "channels_last" else array.transpose(2, 0, 1)
        ours = kgraph.utils.array_to_img(x, data_format=data_format)
        theirs = keras.utils.array_to_img(x, data_format=data_format)
        np.testing.assert_array_equal(np.asarray(ours), np.asarray(theirs))
        np.testing.assert_array_equal(
            kgraph.utils.img_to_array(ours, data_format=data_format),
            keras.utils.img_to_array(theirs, data_format=data_format),
        )
    path = str(tmp_path / "a.png")
    kgraph.utils.save_img(path, array)
    raw = Image.open(path)
    np.testing.assert_array_equal(np.asarray(raw), np.asarray(keras.utils.array_to_img(array)))
    for kwargs in (
        {},
        {"color_mode": "grayscale"},
        {"target_size": (4, 5)},
        {"target_size": (4, 5), "interpolation": "bilinear", "keep_aspect_ratio": True},
    ):
        np.testing.assert_array_equal(
            np.asarray(kgraph.utils.load_img(path, **kwargs)),
            np.asarray(keras.utils.load_img(path, **kwargs)),
        )
    buffer = io.BytesIO(open(path, "rb").read())  # noqa: SIM115
    assert kgraph.utils.load_img(buffer).size == (6, 9)
    assert os.path.exists(path)


@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"maxlen": 3},
        {"maxlen": 3, "padding": "post", "truncating": "post", "value": -1},
        {"maxlen": 5, "dtype": "float32", "value": 0.5},
    ],
)
def test_pad_sequences_matches_keras(kwargs):
    sequences = [[1, 2, 3, 4], [5], [], [6, 7]]
    np.testing.assert_array_equal(
        kgraph.utils.pad_sequences(sequences, **kwargs),
        keras.utils.pad_sequences(sequences, **kwargs),
    )


@pytest.mark.parametrize("axis,order", [(-1, 2), (1, 1), (1, np.inf)])
def test_normalize_matches_keras(axis, order):
    x = np.random.default_rng(1).normal(size=(4, 5))
    x[1] = 0
    np.testing.assert_allclose(
        kgraph.utils.normalize(x, axis, order), keras.utils.normalize(x, axis, order)
    )


def test_normalize_along_the_first_axis():
    # Keras' numpy branch turns axis=0 into -1 (``axis or -1``); the norm is taken along 0.
    x = np.array([[3.0, 0.0], [4.0, 2.0]])
    np.testing.assert_allclose(kgraph.utils.normalize(x, axis=0), [[0.6, 0.0], [0.8, 1.0]])
