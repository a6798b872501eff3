"""``image_dataset_from_directory``: Keras' listing, messages, splits, label and colour modes,
decoded pixel values and its errors, on small folders of real image files."""

from __future__ import annotations

import os

import numpy as np
import pytest
from PIL import Image

from kgraph.utils import image_dataset_from_directory
from tests.utils.conftest import write_images
from tests.utils.test_image_resize import _bilinear_reference


def _all(ds):
    xs, ys = zip(*ds)
    return np.concatenate(xs), np.concatenate(ys)


def test_messages_shapes_and_attributes(image_dir, capsys):
    ds = image_dataset_from_directory(image_dir, image_size=(8, 6), batch_size=5, seed=1)
    assert capsys.readouterr().out == "Found 12 files belonging to 3 classes.\n"
    assert ds.class_names == ["cat", "dog", "owl"]
    assert len(ds) == 3 and int(ds.cardinality()) == 3 and ds.cardinality().numpy() == 3
    assert len(ds.file_paths) == 12 and all(p.endswith(".png") for p in ds.file_paths)
    shapes = [(x.shape, y.shape, x.dtype, y.dtype) for x, y in ds]
    assert shapes[0] == ((5, 8, 6, 3), (5,), np.float32, np.int32)
    assert shapes[-1][0] == (2, 8, 6, 3)
    _, labels = _all(ds)
    assert sorted(labels.tolist()) == [0] * 5 + [1] * 4 + [2] * 3


def test_pixels_match_the_files_and_labels_match_the_folders(image_dir):
    ds = image_dataset_from_directory(image_dir, image_size=(12, 10), shuffle=False)
    images, labels = _all(ds)
    for path, image, label in zip(ds.file_paths, images, labels):
        np.testing.assert_array_equal(image, np.asarray(Image.open(path), np.float32))
        assert ds.class_names[label] == os.path.basename(os.path.dirname(path))


def test_resized_pixels_match_tensorflow_bilinear(image_dir):
    ds = image_dataset_from_directory(image_dir, image_size=(7, 15), shuffle=False, batch_size=None)
    image, _ = next(iter(ds))
    source = np.asarray(Image.open(ds.file_paths[0]), np.float64)
    np.testing.assert_allclose(image, _bilinear_reference(source, 7, 15), atol=1e-3)


def test_training_and_validation_split_alike_for_a_seed(image_dir, capsys):
    kwargs = dict(image_size=(4, 4), validation_split=0.25, seed=7)
    train = image_dataset_from_directory(image_dir, subset="training", **kwargs)
    val = image_dataset_from_directory(image_dir, subset="validation", **kwargs)
    out = capsys.readouterr().out
    assert "Using 9 files for training." in out and "Using 3 files for validation." in out
    assert not set(train.file_paths) & set(val.file_paths)
    assert len(set(train.file_paths) | set(val.file_paths)) == 12
    both = image_dataset_from_directory(image_dir, subset="both", **kwargs)
    assert isinstance(both, list) and len(both) == 2
    assert both[0].file_paths == train.file_paths and both[1].file_paths == val.file_paths


def test_order_is_seeded_and_reshuffled_every_epoch(image_dir):
    def epochs(seed):
        ds = image_dataset_from_directory(image_dir, image_size=(4, 4), batch_size=4, seed=seed)
        return [np.concatenate([y for _, y in ds]).tolist() for _ in range(3)]

    first = epochs(3)
    assert first == epochs(3)
    assert first[0] != first[1] or first[1] != first[2]


def test_label_modes(image_dir):
    two = write_images(os.path.join(image_dir, "..", "two"), {"a": 2, "b": 3})
    _, y = next(iter(image_dataset_from_directory(image_dir, label_mode="categorical", seed=0)))
    assert y.shape == (12, 3) and y.dtype == np.float32
    np.testing.assert_array_equal(y.sum(axis=1), 1)
    _, y = next(iter(image_dataset_from_directory(two, label_mode="binary", shuffle=False)))
    np.testing.assert_array_equal(y, [[0], [0], [1], [1], [1]])
    assert y.dtype == np.float32
    images = next(iter(image_dataset_from_directory(two, label_mode=None, image_size=(3, 3))))
    assert isinstance(images, np.ndarray) and images.shape == (5, 3, 3, 3)
    with pytest.raises(ValueError, match="exactly 2 class_names"):
        image_dataset_from_directory(image_dir, label_mode="binary")


def test_explicit_labels_class_names_and_no_labels(image_dir, capsys):
    labels = list(range(12))
    ds = image_dataset_from_directory(image_dir, labels=labels, shuffle=False, image_size=(2, 2))
    _, y = _all(ds)
    np.testing.assert_array_equal(y, labels)
    ds = image_dataset_from_directory(image_dir, class_names=["owl", "cat"], shuffle=False)
    _, y = _all(ds)
    assert ds.class_names == ["owl", "cat"] and y.tolist() == [0] * 3 + [1] * 5
    image_dataset_from_directory(image_dir, labels=None)
    assert "Found 12 files." in capsys.readouterr().out


def test_color_modes_batching_and_layout(image_dir):
    kwargs = dict(image_size=(6, 4), shuffle=False)
    for mode, channels in (("grayscale", 1), ("rgb", 3), ("rgba", 4)):
        x, _ = next(iter(image_dataset_from_directory(image_dir, color_mode=mode, **kwargs)))
        assert x.shape == (12, 6, 4, channels)
    x, y = next(iter(image_dataset_from_directory(image_dir, batch_size=None, **kwargs)))
    assert x.shape == (6, 4, 3) and y.shape == ()
    first = image_dataset_from_directory(image_dir, data_format="channels_first", **kwargs)
    last = image_dataset_from_directory(image_dir, **kwargs)
    np.testing.assert_array_equal(next(iter(first))[0], next(iter(last))[0].transpose(0, 3, 1, 2))
    for flag in ("crop_to_aspect_ratio", "pad_to_aspect_ratio"):
        x, _ = next(iter(image_dataset_from_directory(image_dir, **{flag: True}, **kwargs)))
        assert x.shape == (12, 6, 4, 3)


def test_file_formats_and_links(tmp_path):
    root = tmp_path / "formats"
    rng = np.random.default_rng(0)
    for fmt in ("png", "jpeg", "jpg", "bmp", "gif"):
        os.makedirs(root / fmt)
        Image.fromarray(rng.integers(0, 255, (5, 5, 3), dtype=np.uint8)).save(
            root / fmt / f"a.{fmt}"
        )
    (root / "png" / "notes.txt").write_text("ignored, as in Keras")
    ds = image_dataset_from_directory(str(root), image_size=(5, 5), shuffle=False)
    assert len(ds.file_paths) == 5
    outside = write_images(tmp_path / "outside", {"x": 2})
    os.symlink(os.path.join(outside, "x"), root / "jpeg" / "linked")
    ds = image_dataset_from_directory(str(root), follow_links=True, shuffle=False)
    assert len(ds.file_paths) == 7


@pytest.mark.parametrize(
    "kwargs,match",
    [
        (dict(validation_split=0.2), "If `subset` is set"),
        (dict(validation_split=0.2, subset="training", shuffle=True), "provide a `seed`"),
        (dict(labels=[0, 1]), "len\\(labels\\) is 2 while we found 12 files"),
        (dict(labels="folders"), "`labels` argument should be a list"),
        (dict(color_mode="cmyk"), "color_mode"),
        (dict(interpolation="fancy"), "interpolation"),
        (dict(image_size=(3, 3, 3)), "image_size"),
        (dict(crop_to_aspect_ratio=True, pad_to_aspect_ratio=True), "Only one of"),
        (dict(class_names=["cat", "cow"]), "did not match"),
    ],
)
def test_argument_errors(image_dir, kwargs, match):
    with pytest.raises(ValueError, match=match):
        image_dataset_from_directory(image_dir, **kwargs)


def test_empty_directory_and_empty_class_folder(tmp_path, image_dir):
    with pytest.raises(ValueError, match="No images found in directory"):
        image_dataset_from_directory(str(_empty(tmp_path)))
    os.makedirs(os.path.join(image_dir, "zebra"))
    with pytest.raises(ValueError, match=r"zebra.*contains no files"):
        image_dataset_from_directory(image_dir)
    with pytest.raises(ValueError, match="Directory not found"):
        image_dataset_from_directory(str(tmp_path / "missing"))


def _empty(tmp_path):
    os.makedirs(tmp_path / "empty")
    return tmp_path / "empty"


@pytest.mark.parametrize("damage", ["garbage", "truncated"])
def test_a_bad_image_file_is_named(image_dir, damage):
    path = os.path.join(image_dir, "dog", "img_01.png")
    with open(path, "rb") as f:
        data = f.read()
    with open(path, "wb") as f:
        f.write(b"not an image at all" if damage == "garbage" else data[: len(data) // 2])
    ds = image_dataset_from_directory(image_dir, image_size=(4, 4), seed=0)
    with pytest.raises(ValueError, match=r"Could not decode image file .*dog.img_01\.png"):
        list(ds)


SEED_2A = """
# read images from a directory tree (one sub-folder per class) in batches of 32
train_ds = keras.utils.image_dataset_from_directory(
    "path/to/images",
    image_size=(256, 256),
    batch_size=32
)
"""


def test_seed_snippet_2a_runs_verbatim(tmp_path, monkeypatch, capsys):
    import kgraph as keras

    write_images(tmp_path / "path" / "to" / "images", {"a": 20, "b": 20}, size=(30, 20))
    monkeypatch.chdir(tmp_path)
    scope = {"keras": keras}
    exec(SEED_2A, scope)
    assert "Found 40 files belonging to 2 classes." in capsys.readouterr().out
    shapes = [(x.shape, y.shape) for x, y in scope["train_ds"]]
    assert shapes == [((32, 256, 256, 3), (32,)), ((8, 256, 256, 3), (8,))]


def test_crop_and_pad_to_aspect_ratio_values(image_dir):
    kwargs = dict(image_size=(4, 8), shuffle=False, batch_size=None)
    crop = image_dataset_from_directory(image_dir, crop_to_aspect_ratio=True, **kwargs)
    pad = image_dataset_from_directory(image_dir, pad_to_aspect_ratio=True, **kwargs)
    source = np.asarray(Image.open(crop.file_paths[0]), np.float64)  # 12 rows, 10 columns
    # Crop: the centred 5x10 window has the 4:8 aspect ratio (rows 3 to 7).
    np.testing.assert_allclose(
        next(iter(crop))[0], _bilinear_reference(source[3:8], 4, 8), atol=1e-3
    )
    # Pad: 12x10 shrinks by 3 to 4x3, centred in 8 columns (2 zero columns left, 3 right).
    padded = next(iter(pad))[0]
    np.testing.assert_array_equal(padded[:, :2], 0)
    np.testing.assert_array_equal(padded[:, 5:], 0)
    np.testing.assert_allclose(padded[:, 2:5], _bilinear_reference(source, 4, 3), atol=1e-3)


def test_grayscale_jpegs_are_libjpegs_luma_plane(tmp_path):
    # A colour JPEG read as grayscale is its stored Y (luma) plane, as TensorFlow decodes it,
    # not a grey computed back from decoded RGB (which differs by several levels).
    root = write_images(tmp_path / "jpegs", {"a": 2}, size=(16, 16), fmt="jpg")
    ds = image_dataset_from_directory(
        root, color_mode="grayscale", image_size=(16, 16), shuffle=False
    )
    images, _ = _all(ds)
    for path, image in zip(ds.file_paths, images):
        with Image.open(path) as img:
            img.draft("YCbCr", None)  # libjpeg's planes without colour conversion
            luma = np.asarray(img, np.float32)[..., :1]
        np.testing.assert_array_equal(image, luma)
