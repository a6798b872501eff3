"""Oracle: ``kgraph.visualization`` against Keras 3's: ``draw_segmentation_masks`` value for
value (Keras' needs no OpenCV), and the ImportError texts of the functions whose optional
dependency (OpenCV, matplotlib) is missing here."""

from __future__ import annotations

import importlib.util
import sys

import numpy as np
import pytest

from kgraph import visualization as ours
from tests.oracle.keras_oracle import MARKS, keras

pytestmark = MARKS
RNG = np.random.default_rng(1)
IMAGES = RNG.uniform(0, 255, (3, 7, 6, 3)).astype("float32")
MASKS = RNG.integers(-1, 5, (3, 7, 6, 1)).astype("int32")


@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"blend": False},
        {"ignore_index": 0, "alpha": 0.35},
        {"num_classes": 3},
        {"num_classes": 3, "color_mapping": {0: (9, 9, 9), 1: (255, 0, 0), 2: (0, 0, 255)}},
    ],
)
def test_draw_segmentation_masks_matches_keras(kwargs):
    want = np.asarray(keras.visualization.draw_segmentation_masks(IMAGES, MASKS, **kwargs))
    got = ours.draw_segmentation_masks(IMAGES, MASKS, **kwargs)
    assert got.dtype == want.dtype and got.shape == want.shape
    np.testing.assert_array_equal(got, want)


def test_channels_first_matches_keras():
    images, masks = IMAGES.transpose(0, 3, 1, 2), MASKS.transpose(0, 3, 1, 2)
    want = keras.visualization.draw_segmentation_masks(images, masks, data_format="channels_first")
    got = ours.draw_segmentation_masks(images, masks, data_format="channels_first")
    np.testing.assert_array_equal(got, np.asarray(want))


def _message(call, error):
    with pytest.raises(error) as info:
        call()
    return str(info.value)


def test_segmentation_errors_match_keras():
    cases = [
        (lambda v: v.draw_segmentation_masks(IMAGES, MASKS.astype("float32")), TypeError),
        (lambda v: v.draw_segmentation_masks(IMAGES[0], MASKS[0]), ValueError),
    ]
    for call, error in cases:
        want = _message(lambda c=call: c(keras.visualization), error)
        assert _message(lambda c=call: c(ours), error) == want


class _NoMatplotlib:
    """A meta path finder that makes ``import matplotlib`` fail as when it is not installed."""

    @staticmethod
    def find_spec(name, path=None, target=None):
        if name.split(".")[0] == "matplotlib":
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None


def test_gallery_import_errors_match_keras(monkeypatch):
    """Without matplotlib (hidden here, installed or not) both raise Keras' ImportError."""
    for name in [m for m in sys.modules if m.split(".")[0] == "matplotlib"]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setattr(sys, "meta_path", [_NoMatplotlib(), *sys.meta_path])
    for gallery in ("image", "bounding_box", "segmentation_mask"):  # Keras imports it once
        module = importlib.import_module(f"keras.src.visualization.plot_{gallery}_gallery")
        for name in ("plt", "patches"):
            monkeypatch.setattr(module, name, None, raising=False)
    calls = [
        lambda v: v.plot_image_gallery(IMAGES),
        lambda v: v.plot_bounding_box_gallery(IMAGES, "xyxy"),
        lambda v: v.plot_segmentation_mask_gallery(IMAGES, 4, y_true=MASKS),
    ]
    for call in calls:
        want = _message(lambda c=call: c(keras.visualization), ImportError)
        assert _message(lambda c=call: c(ours), ImportError) == want


@pytest.mark.skipif(importlib.util.find_spec("cv2") is not None, reason="has OpenCV")
def test_keras_boxes_need_opencv_ours_do_not():
    boxes = {"boxes": np.array([[[1, 1, 4, 5]]] * 3, "float32"), "labels": np.ones((3, 1))}
    with pytest.raises(ImportError, match="requires the `cv2` package"):
        keras.visualization.draw_bounding_boxes(IMAGES, boxes, "xyxy")
    drawn = ours.draw_bounding_boxes(IMAGES, boxes, "xyxy", line_thickness=1, color=(1, 2, 3))
    assert (drawn[:, 1, 1:5] == [1, 2, 3]).all() and (drawn[:, 1:6, 4] == [1, 2, 3]).all()


def test_galleries_render_like_keras(tmp_path):
    """Where matplotlib is installed: the same PNG, pixel for pixel, as Keras' galleries."""
    matplotlib = pytest.importorskip("matplotlib")
    image_module = pytest.importorskip("PIL.Image")
    import importlib

    import keras.src.visualization.plot_image_gallery as keras_images
    import keras.src.visualization.plot_segmentation_mask_gallery as keras_masks

    matplotlib.use("Agg")
    importlib.reload(keras_images)  # bound to matplotlib when first imported
    importlib.reload(keras_masks)
    images = RNG.uniform(0, 1, (4, 8, 8, 3)).astype("float32")
    masks = RNG.integers(0, 3, (4, 8, 8, 1)).astype("int32")
    labels = {"y_true": np.array([0, 1, 2, 0]), "label_map": {0: "a", 1: "b"}}
    cases = [
        ("plot_image_gallery", keras_images, (images,), {"value_range": (0, 1), **labels}),
        ("plot_segmentation_mask_gallery", keras_masks, (images * 255, 3), {"y_true": masks}),
    ]
    for name, module, args, kwargs in cases:
        getattr(module, name)(*args, path=tmp_path / "k.png", **kwargs)
        getattr(ours, name)(*args, path=tmp_path / "o.png", **kwargs)
        want = np.asarray(image_module.open(tmp_path / "k.png"))
        np.testing.assert_array_equal(np.asarray(image_module.open(tmp_path / "o.png")), want)


@pytest.mark.parametrize("thickness", [1, 2, 3, 6])
def test_box_outlines_match_keras_with_opencv(thickness):
    """Where OpenCV is installed: Keras' boxes pixel for pixel (labels aside: fonts differ)."""
    pytest.importorskip("cv2")
    import importlib

    import keras.src.visualization.draw_bounding_boxes as keras_boxes

    if keras_boxes.cv2 is None:
        importlib.reload(keras_boxes)  # bound to OpenCV when first imported
    rng = np.random.default_rng(thickness)
    boxes = {
        "boxes": rng.uniform(-4, 12, (3, 5, 4)).astype("float32"),
        "labels": rng.integers(-1, 3, (3, 5)),
    }
    kwargs = {"color": (200, 30, 90), "line_thickness": thickness}
    want = keras_boxes.draw_bounding_boxes(IMAGES, dict(boxes), "xywh", **kwargs)
    got = ours.draw_bounding_boxes(IMAGES, dict(boxes), "xywh", **kwargs)
    np.testing.assert_array_equal(got, want)
