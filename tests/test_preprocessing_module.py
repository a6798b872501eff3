"""``kgraph.preprocessing``: Keras' older module path works in both import forms, re-exports
``kgraph.utils``' helpers, and ``smart_resize`` crops the centred window before resizing
(expected values computed with numpy here)."""

from __future__ import annotations

import numpy as np
import pytest

import kgraph
import kgraph.utils
from kgraph.preprocessing import image as pre_image


def test_import_forms() -> None:
    from kgraph.preprocessing.image import img_to_array, load_img  # noqa: F401
    from kgraph.preprocessing.sequence import pad_sequences

    assert pad_sequences is kgraph.utils.pad_sequences
    assert kgraph.preprocessing.sequence.pad_sequences is pad_sequences
    padded = pad_sequences([[1, 2, 3], [4]], maxlen=2, padding="post")
    np.testing.assert_array_equal(padded, np.array([[2, 3], [4, 0]], np.int32))


def test_names_are_the_utils_objects() -> None:
    for name in ("load_img", "img_to_array", "array_to_img", "save_img"):
        assert getattr(pre_image, name) is getattr(kgraph.utils, name)
    for name in (
        "image_dataset_from_directory",
        "text_dataset_from_directory",
        "timeseries_dataset_from_array",
    ):
        assert getattr(kgraph.preprocessing, name) is getattr(kgraph.utils, name)


def test_image_files_round_trip(tmp_path) -> None:
    pixels = np.random.default_rng(0).integers(0, 256, (6, 5, 3)).astype("float32")
    path = tmp_path / "a.png"
    kgraph.preprocessing.image.save_img(path, pixels, scale=False)
    img = kgraph.preprocessing.image.load_img(path)
    np.testing.assert_array_equal(kgraph.preprocessing.image.img_to_array(img), pixels)


def test_timeseries_windows() -> None:
    data = np.arange(10)
    dataset = kgraph.preprocessing.timeseries_dataset_from_array(
        data, None, sequence_length=3, batch_size=8
    )
    batches = [np.asarray(batch) for batch in dataset]
    windows = np.concatenate(batches)
    np.testing.assert_array_equal(windows, np.stack([data[i : i + 3] for i in range(8)]))


def test_smart_resize_crops_the_centre_then_resizes() -> None:
    x = np.arange(6 * 10 * 1, dtype="float32").reshape(6, 10, 1)
    # size (3, 3) -> crop of 6x6 centred along the width (columns 2..7), then halving:
    # bilinear with half-pixel centres averages each 2x2 block.
    crop = x[:, 2:8, 0]
    expected = crop.reshape(3, 2, 3, 2).mean(axis=(1, 3))[..., None]
    np.testing.assert_allclose(pre_image.smart_resize(x, (3, 3)), expected, rtol=1e-6)
    nearest = pre_image.smart_resize(x, (6, 6), interpolation="nearest")
    np.testing.assert_array_equal(nearest, crop[..., None])
    first = pre_image.smart_resize(x.transpose(2, 0, 1)[None], (3, 3), data_format="channels_first")
    np.testing.assert_allclose(first[0].transpose(1, 2, 0), expected, rtol=1e-6)


def test_smart_resize_errors() -> None:
    with pytest.raises(ValueError, match="tuple of 2 integers"):
        pre_image.smart_resize(np.zeros((4, 4, 1)), (2, 2, 2))
    with pytest.raises(ValueError, match="incorrect rank"):
        pre_image.smart_resize(np.zeros((4, 4)), (2, 2))
    with pytest.raises(TypeError, match="unexpected keyword"):
        pre_image.smart_resize(np.zeros((4, 4, 1)), (2, 2), antialias=True)


def test_smart_resize_in_a_functional_model() -> None:
    inputs = kgraph.Input(shape=(8, 12, 1))
    model = kgraph.Model(inputs, pre_image.smart_resize(inputs, (4, 4), interpolation="nearest"))
    x = np.random.default_rng(1).random((2, 8, 12, 1)).astype("float32")
    np.testing.assert_array_equal(
        model.predict(x, verbose=0), x[:, 1::2, 3:10:2]
    )  # half-pixel nearest: 2i + 1
