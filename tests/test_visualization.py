"""``kgraph.visualization``: segmentation masks against a per-pixel numpy reference, box
outlines against the pixel positions of the rectangle's lines, Keras' errors, and the
galleries' ImportError without matplotlib (their plots only where matplotlib is installed)."""

from __future__ import annotations

import sys

import numpy as np
import pytest

from kgraph import visualization as vis

RNG = np.random.default_rng(0)
IMAGES = RNG.uniform(0, 255, (2, 6, 5, 3)).astype("float32")
MASKS = RNG.integers(-1, 4, (2, 6, 5, 1)).astype("int32")


def _reference_masks(images, masks, colors, alpha, blend, ignore_index):
    out = images.astype("float32").copy()
    for b, y, x in np.ndindex(*masks.shape[:3]):
        c = masks[b, y, x, 0]
        if 0 <= c < len(colors):
            out[b, y, x] = np.float32(colors[c])
    if not blend:
        return out
    mixed = images.astype("float32") * (1 - alpha) + out * alpha
    keep = (masks[..., 0] == ignore_index)[..., None]
    return np.where(keep, images, mixed).astype("uint8")


def _palette(n):
    return [[(i * p) % 255 for p in (2**25 - 1, 2**15 - 1, 2**21 - 1)] for i in range(n)]


@pytest.mark.parametrize("blend", [True, False])
@pytest.mark.parametrize("ignore_index", [-1, 0])
def test_segmentation_masks_default_palette(blend, ignore_index):
    got = vis.draw_segmentation_masks(IMAGES, MASKS, blend=blend, ignore_index=ignore_index)
    want = _reference_masks(IMAGES, MASKS, _palette(3), 0.8, blend, ignore_index)
    assert got.dtype == want.dtype
    np.testing.assert_array_equal(got, want)


def test_segmentation_masks_color_mapping_and_num_classes():
    colors = {0: (1, 2, 3), 1: (255, 0, 0), 2: (0, 255, 0)}
    got = vis.draw_segmentation_masks(IMAGES, MASKS, num_classes=2, color_mapping=colors, alpha=0.3)
    want = _reference_masks(IMAGES, MASKS, [colors[0], colors[1]], 0.3, True, -1)
    np.testing.assert_array_equal(got, want)


def test_segmentation_masks_channels_first():
    got = vis.draw_segmentation_masks(
        IMAGES.transpose(0, 3, 1, 2), MASKS.transpose(0, 3, 1, 2), data_format="channels_first"
    )
    np.testing.assert_array_equal(got, vis.draw_segmentation_masks(IMAGES, MASKS))


def test_segmentation_masks_errors():
    with pytest.raises(TypeError, match=r"must be in integer dtype\. Received: .*float32"):
        vis.draw_segmentation_masks(IMAGES, MASKS.astype("float32"))
    with pytest.raises(ValueError, match=r"must be batched 4D tensor. Received: images.shape"):
        vis.draw_segmentation_masks(IMAGES[0], MASKS[0])


def _segment_distance(px, py, ax, ay, bx, by):
    """Euclidean distance from the point to the segment (axis-aligned here)."""
    cx, cy = min(max(px, min(ax, bx)), max(ax, bx)), min(max(py, min(ay, by)), max(ay, by))
    return ((px - cx) ** 2 + (py - cy) ** 2) ** 0.5


def _outline(height, width, x1, y1, x2, y2, thickness):
    """OpenCV's thick rectangle: the pixels within ``r`` of one of the four border segments,
    ``r = 0`` for thickness 1, else ``(thickness + 1) // 2``."""
    radius = 0 if thickness == 1 else (thickness + 1) // 2
    sides = [(x1, y1, x2, y1), (x2, y1, x2, y2), (x1, y2, x2, y2), (x1, y1, x1, y2)]
    mask = np.zeros((height, width), bool)
    for y, x in np.ndindex(height, width):
        mask[y, x] = min(_segment_distance(x, y, *side) for side in sides) <= radius
    return mask


@pytest.mark.parametrize("thickness", [1, 2, 3, 4, 7])
def test_box_outline_pixels(thickness):
    images = np.zeros((1, 20, 24, 3), "uint8")
    boxes = {"boxes": np.array([[[3, 4, 15, 12]]], "float32"), "labels": np.array([[1]])}
    got = vis.draw_bounding_boxes(
        images, boxes, "xyxy", color=(10, 20, 30), line_thickness=thickness
    )
    want = _outline(20, 24, 3, 4, 15, 12, thickness)
    assert got.dtype == np.uint8 and got.shape == images.shape
    np.testing.assert_array_equal(got[0].any(-1), want)
    np.testing.assert_array_equal(got[0][want], np.tile([10, 20, 30], (want.sum(), 1)))
    assert not images.any()  # the input is left alone


def test_box_formats_padding_and_float_images():
    images = np.full((2, 16, 16, 3), 0.5, "float32")  # floats <= 1 are scaled to 0-255
    boxes = {
        "boxes": np.array([[[2, 3, 5, 6], [0, 0, 1, 1]], [[0.25, 0.5, 0.75, 1.0], [0] * 4]]),
        "labels": np.array([[0, -1], [2, -1]]),
    }
    got = vis.draw_bounding_boxes(images[:1], {k: v[:1] for k, v in boxes.items()}, "xywh")
    want = _outline(16, 16, 2, 3, 7, 9, 2)
    np.testing.assert_array_equal(got[0, ..., 0] == 128, want)
    np.testing.assert_array_equal(got[0, ..., 0][~want], np.full((~want).sum(), 127))
    rel = {"boxes": boxes["boxes"][1:].astype("float32"), "labels": boxes["labels"][1:]}
    got = vis.draw_bounding_boxes(images[:1], rel, "rel_xyxy", line_thickness=1)
    np.testing.assert_array_equal(got[0, ..., 0] == 128, _outline(16, 16, 4, 8, 12, 16, 1))


@pytest.mark.parametrize(("y1", "origin"), [(40, (10, 32)), (12, (13, 12 + 24 + 1 + 3))])
def test_box_labels_match_a_pillow_reference(y1, origin):
    """The label ``"cat | 0.50"`` is Pillow's default font (size 30) with its baseline at
    Keras' text origin: 8 pixels above the box, or inside it when there is no room above."""
    image_module = pytest.importorskip("PIL.Image")
    from PIL import ImageDraw, ImageFont

    images = np.zeros((1, 70, 90, 3), "uint8")
    boxes = {
        "boxes": np.array([[[10, y1, 70, y1 + 20]]], "float32"),
        "labels": np.array([[1]]),
        "confidences": np.array([[0.5]]),
    }
    got = vis.draw_bounding_boxes(images, boxes, "xyxy", class_mapping={1: "cat"})
    want = np.zeros((70, 90, 3), "uint8")
    outline = _outline(70, 90, 10, y1, 70, y1 + 20, 2)
    want[outline] = 128
    canvas = image_module.fromarray(want, "RGB")
    font = ImageFont.load_default(size=30)
    ImageDraw.Draw(canvas).text(origin, "cat | 0.50", fill=(128,) * 3, font=font, anchor="ls")
    want = np.asarray(canvas)
    assert want.any(-1).sum() > outline.sum() + 100  # the text is there
    np.testing.assert_array_equal(got[0], want)


def test_box_errors():
    boxes = {"boxes": np.zeros((1, 1, 4)), "labels": np.zeros((1, 1))}
    with pytest.raises(ValueError, match="must be batched 4D tensor"):
        vis.draw_bounding_boxes(IMAGES[0], boxes, "xyxy")
    with pytest.raises(TypeError, match=r"`bounding_boxes` should be a dict\. Received"):
        vis.draw_bounding_boxes(IMAGES, [1], "xyxy")
    with pytest.raises(ValueError, match="should be a dict containing 'boxes' and 'labels'"):
        vis.draw_bounding_boxes(IMAGES, {"boxes": boxes["boxes"]}, "xyxy")


def test_galleries_need_matplotlib(monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    monkeypatch.setitem(sys.modules, "matplotlib.pyplot", None)
    with pytest.raises(ImportError, match=r"`plot_image_gallery` function requires the `matplot"):
        vis.plot_image_gallery(IMAGES)
    with pytest.raises(ImportError, match=r"`plot_bounding_box_gallery` function requires"):
        vis.plot_bounding_box_gallery(IMAGES, "xyxy")
    with pytest.raises(ImportError, match=r"`plot_image_gallery` function requires"):
        vis.plot_segmentation_mask_gallery(IMAGES, 3, y_true=MASKS)


def test_galleries_plot(tmp_path):
    pytest.importorskip("matplotlib")
    import matplotlib

    matplotlib.use("Agg")
    vis.plot_image_gallery(IMAGES, path=tmp_path / "a.png")
    boxes = {"boxes": np.array([[[1, 1, 3, 4]]] * 2, "float32"), "labels": np.ones((2, 1))}
    vis.plot_bounding_box_gallery(
        IMAGES, "xyxy", y_true=boxes, legend=True, path=tmp_path / "b.png"
    )
    vis.plot_segmentation_mask_gallery(IMAGES, 3, y_true=MASKS, path=tmp_path / "c.png")
    assert all((tmp_path / n).stat().st_size > 0 for n in ("a.png", "b.png", "c.png"))
