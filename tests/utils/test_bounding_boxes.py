"""``kgraph.utils.bounding_boxes`` against numpy written here: format arithmetic, IoU tables
(including the mixed-rank masking Keras itself cannot do), complete IoU, translation and
scaling by the affine transform, and the same functions traced inside a kgraph model."""

from __future__ import annotations

import math

import numpy as np
import pytest

import kgraph
from kgraph.layers.preprocessing.max_num_bounding_boxes import MaxNumBoundingBoxes
from kgraph.utils import bounding_boxes as bb

RNG = np.random.default_rng(3)


def xyxy_boxes(*shape):
    x1, y1 = RNG.uniform(0, 80, shape), RNG.uniform(0, 60, shape)
    w, h = RNG.uniform(1, 40, shape), RNG.uniform(1, 30, shape)
    return np.stack([x1, y1, x1 + w, y1 + h], -1).astype("float32")


def test_convert_format_formulas():
    b = xyxy_boxes(6).astype("float64")
    x1, y1, x2, y2 = b.T
    w, h = x2 - x1, y2 - y1
    expected = {
        "yxyx": [y1, x1, y2, x2],
        "xywh": [x1, y1, w, h],
        "center_xywh": [(x1 + x2) / 2, (y1 + y2) / 2, w, h],
        "center_yxhw": [(y1 + y2) / 2, (x1 + x2) / 2, h, w],
        "rel_xyxy": [x1 / 120, y1 / 90, x2 / 120, y2 / 90],
        "rel_yxyx": [y1 / 90, x1 / 120, y2 / 90, x2 / 120],
        "rel_xywh": [x1 / 120, y1 / 90, w / 120, h / 90],
        "rel_center_xywh": [(x1 + x2) / 240, (y1 + y2) / 180, w / 120, h / 90],
    }
    for target, columns in expected.items():
        out = bb.convert_format(b, "xyxy", target, height=90, width=120)
        np.testing.assert_allclose(out, np.stack(columns, -1), rtol=1e-5, atol=1e-4)
        back = bb.convert_format(out, target, "xyxy", height=90, width=120)
        np.testing.assert_allclose(back, b, rtol=1e-5, atol=1e-4)


def _iou_reference(a, b):
    ix = np.clip(
        np.minimum(a[:, None, 2], b[None, :, 2]) - np.maximum(a[:, None, 0], b[:, 0]), 0, None
    )
    iy = np.clip(
        np.minimum(a[:, None, 3], b[None, :, 3]) - np.maximum(a[:, None, 1], b[:, 1]), 0, None
    )
    area = lambda c: (c[:, 2] - c[:, 0]) * (c[:, 3] - c[:, 1])
    inter = ix * iy
    return inter / (area(a)[:, None] + area(b)[None, :] - inter)


def test_compute_iou_against_numpy_with_mixed_rank_masking():
    a, b = xyxy_boxes(2, 5), xyxy_boxes(4)
    b[1] = a[0, 3]
    b[3] = -1.0  # padding
    iou = bb.compute_iou(a, b, "xyxy", use_masking=True, mask_val=-7)
    assert iou.shape == (2, 5, 4)
    for k in range(2):
        expected = _iou_reference(a[k].astype("float64"), b.astype("float64"))
        expected[:, 3] = -7
        np.testing.assert_allclose(iou[k], expected, rtol=1e-5, atol=1e-6)
    assert abs(iou[0, 3, 1] - 1.0) < 1e-5


def test_compute_ciou_against_numpy():
    a, b = xyxy_boxes(7).astype("float64"), xyxy_boxes(7).astype("float64")
    b[0] = a[0]
    iou = np.diag(_iou_reference(a, b))
    cw = np.maximum(a[:, 2], b[:, 2]) - np.minimum(a[:, 0], b[:, 0])
    ch = np.maximum(a[:, 3], b[:, 3]) - np.minimum(a[:, 1], b[:, 1])
    rho2 = ((a[:, 0] + a[:, 2] - b[:, 0] - b[:, 2]) / 2) ** 2
    rho2 += ((a[:, 1] + a[:, 3] - b[:, 1] - b[:, 3]) / 2) ** 2
    ratio = lambda c: np.arctan((c[:, 2] - c[:, 0]) / (c[:, 3] - c[:, 1]))
    v = 4 / math.pi**2 * (ratio(b) - ratio(a)) ** 2
    alpha_v = np.divide(v * v, 1 - iou + v, out=np.zeros_like(v), where=v > 0)
    expected = iou - rho2 / (cw**2 + ch**2) - alpha_v
    np.testing.assert_allclose(bb.compute_ciou(a, b, "xyxy"), expected, rtol=1e-4, atol=1e-5)
    assert abs(bb.compute_ciou(a, b, "xyxy")[0] - 1.0) < 1e-5
    rel = bb.convert_format(a, "xyxy", "rel_yxyx", height=90, width=120)
    np.testing.assert_allclose(
        bb.compute_ciou(rel, rel[::-1], "rel_yxyx", image_shape=(90, 120, 3)),
        bb.compute_ciou(a, a[::-1], "xyxy"),
        rtol=1e-4,
        atol=1e-5,
    )


def test_affine_translation_and_scale():
    boxes = xyxy_boxes(2, 3)
    zero, one = np.zeros(2, "float32"), np.ones(2, "float32")
    tx, ty = np.array([0.1, -0.2], "float32"), np.array([0.0, 0.3], "float32")
    moved = bb.affine_transform(boxes, zero, tx, ty, one, zero, zero, 90, 120)
    shift = np.stack([tx * 119, ty * 89, tx * 119, ty * 89], -1)[:, None]
    np.testing.assert_allclose(moved, boxes + shift, rtol=1e-5, atol=1e-3)
    scale = np.array([2.0, 0.5], "float32")
    scaled = bb.affine_transform(boxes, zero, zero, zero, scale, zero, zero, 90, 120)
    centre = np.array([59.5, 44.5, 59.5, 44.5])
    np.testing.assert_allclose(
        scaled, scale[:, None, None] * (boxes - centre) + centre, rtol=1e-5, atol=1e-3
    )
    with pytest.raises(ValueError, match="batched boxes"):
        bb.affine_transform(boxes[0], 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 90, 120)


def test_clip_crop_pad_and_dict_handling():
    data = {
        "boxes": np.array([[-5.0, 10, 50, 200], [130, 10, 150, 20]]),
        "labels": np.array([3, 4]),
    }
    out = bb.clip_to_image_size(data, height=90, width=120)
    np.testing.assert_array_equal(out["boxes"], [[0, 10, 50, 90], [120, 10, 120, 20]])
    np.testing.assert_array_equal(out["labels"], [3, -1])
    assert data["labels"][1] == 4  # a new dict; convert_format's dict is changed in place
    np.testing.assert_array_equal(
        bb.crop(data["boxes"], 5, 10, 40, 30), [[0, 5, 30, 40], [30, 5, 30, 15]]
    )
    np.testing.assert_array_equal(bb.pad(data["boxes"], 5, 10), data["boxes"] + [10, 5, 10, 5])


def test_functions_trace_in_a_model():
    boxes, other, angle = kgraph.Input((5, 4)), kgraph.Input((3, 4)), kgraph.Input(())
    anchors = xyxy_boxes(5)
    outputs = [
        bb.convert_format(boxes, "xyxy", "rel_center_xywh", height=90, width=120),
        bb.compute_iou(boxes, other, "xyxy", use_masking=True),
        bb.compute_ciou(boxes, boxes[:, ::-1], "xyxy"),
        bb.affine_transform(boxes, angle, 0.1, 0.0, 1.2, 5.0, 0.0, 90, 120),
        bb.clip_to_image_size({"boxes": boxes}, height=50, width=60)["boxes"],
        bb.decode_deltas_to_boxes(
            anchors, bb.encode_box_to_deltas(anchors, boxes, "xyxy", "xyxy"), "xyxy", "xyxy"
        ),
    ]
    model = kgraph.Model([boxes, other, angle], outputs)
    x, y, a = xyxy_boxes(2, 5), xyxy_boxes(2, 3), np.array([10.0, -30.0], "float32")
    y[0, 1] = -1.0
    traced = model.predict([x, y, a], verbose=0)
    eager = [
        bb.convert_format(x, "xyxy", "rel_center_xywh", height=90, width=120),
        bb.compute_iou(x, y, "xyxy", use_masking=True),
        bb.compute_ciou(x, x[:, ::-1], "xyxy"),
        bb.affine_transform(x, a, 0.1, 0.0, 1.2, 5.0, 0.0, 90, 120),
        np.minimum(np.maximum(x, 0), [60, 50, 60, 50]),
        x,
    ]
    assert len(traced) == len(eager)
    for t, e in zip(traced, eager):
        np.testing.assert_allclose(t, e, rtol=1e-5, atol=2e-4)
    assert (traced[1][0, :, 1] == -1).all()


def test_max_num_bounding_boxes_traces_with_an_unknown_box_count():
    images, boxes = kgraph.Input((4, 4, 3)), kgraph.Input((None, 4))
    labels = kgraph.Input((None,), dtype="int32")
    layer = MaxNumBoundingBoxes(5, fill_value=-1, bounding_box_format="xyxy")
    out = layer({"images": images, "bounding_boxes": {"boxes": boxes, "labels": labels}})
    assert tuple(out["bounding_boxes"]["boxes"].shape) == (None, 5, 4)
    model = kgraph.Model(
        [images, boxes, labels], [out["bounding_boxes"]["boxes"], out["bounding_boxes"]["labels"]]
    )
    x = np.zeros((2, 4, 4, 3), "float32")
    for count in (2, 8):
        b, lab = xyxy_boxes(2, count), RNG.integers(0, 9, (2, count)).astype("int32")
        got_boxes, got_labels = model.predict([x, b, lab], verbose=0)
        keep = min(count, 5)
        want_boxes = np.full((2, 5, 4), -1.0, "float32")
        want_labels = np.full((2, 5), -1, "int32")
        want_boxes[:, :keep], want_labels[:, :keep] = b[:, :keep], lab[:, :keep]
        np.testing.assert_array_equal(got_boxes, want_boxes)
        np.testing.assert_array_equal(got_labels, want_labels)
