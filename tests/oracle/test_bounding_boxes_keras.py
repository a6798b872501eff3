"""Oracle: ``kgraph.utils.bounding_boxes`` against real Keras 3's ``keras.utils.bounding_boxes``
(JAX backend) on the same random boxes: every pair of formats, dicts, clipping with labels,
affine/crop/pad, the anchor-delta round trip, IoU tables of every rank pairing with masking,
complete IoU, and the errors Keras raises."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from kgraph.layers.preprocessing.max_num_bounding_boxes import MaxNumBoundingBoxes
from kgraph.utils import bounding_boxes as kb
from tests.oracle.keras_oracle import MARKS, keras

pytestmark = MARKS

FORMATS = [
    "xyxy",
    "yxyx",
    "xywh",
    "center_xywh",
    "center_yxhw",
    "rel_xyxy",
    "rel_yxyx",
    "rel_xywh",
    "rel_center_xywh",
]
RNG = np.random.default_rng(5)
HEIGHT, WIDTH = 90, 120


def kbb():
    return keras.utils.bounding_boxes


def random_boxes(shape, fmt="xyxy"):
    """Valid xyxy boxes (some outside a 90x120 image) converted to ``fmt`` with numpy."""
    x1 = RNG.uniform(-20, 110, shape)
    y1 = RNG.uniform(-20, 80, shape)
    w, h = RNG.uniform(0, 60, shape), RNG.uniform(0, 50, shape)
    xyxy = np.stack([x1, y1, x1 + w, y1 + h], -1).astype("float32")
    return np.array(kbb().convert_format(xyxy, "xyxy", fmt, height=HEIGHT, width=WIDTH))


def close(ours, theirs, rtol=1e-5, atol=1e-4):
    np.testing.assert_allclose(np.asarray(ours), np.asarray(theirs), rtol=rtol, atol=atol)


@pytest.mark.parametrize("shape", [(6,), (2, 5)])
def test_convert_format_every_pair(shape):
    boxes = random_boxes(shape)
    for source, target in itertools.product(FORMATS, FORMATS):
        src = np.asarray(kbb().convert_format(boxes, "xyxy", source, height=HEIGHT, width=WIDTH))
        kwargs = dict(height=HEIGHT, width=WIDTH)
        ours = kb.convert_format(src, source, target, **kwargs)
        assert ours.shape == (*shape, 4) and ours.dtype == np.float32
        close(ours, kbb().convert_format(src, source, target, **kwargs), rtol=2e-6, atol=2e-5)


def test_convert_format_dicts_case_dtype_and_errors():
    boxes = random_boxes((3,))
    ours = {"boxes": boxes.copy(), "labels": np.array([1, 2, 3])}
    theirs = {"boxes": boxes.copy(), "labels": np.array([1, 2, 3])}
    assert kb.convert_format(ours, "XYXY", "Center_YXHW") is ours
    keras_out = kbb().convert_format(theirs, "XYXY", "Center_YXHW")
    close(ours["boxes"], keras_out["boxes"])
    np.testing.assert_array_equal(ours["labels"], keras_out["labels"])
    ints = np.array([[1, 2, 5, 9]])
    out = kb.convert_format(ints, "xyxy", "xywh", dtype="float16")
    assert out.dtype == np.float16
    close(out, kbb().convert_format(ints, "xyxy", "xywh", dtype="float16"))
    for args, kwargs in [
        ((np.zeros((2, 3)), "xyxy", "yxyx"), {}),
        ((boxes, "xyxy", "xyzz"), {}),
        ((boxes, "xyxy", "rel_xyxy"), {"height": 10}),
        ((boxes, "rel_xywh", "xyxy"), {}),
    ]:
        with pytest.raises(ValueError) as theirs_error:
            kbb().convert_format(*args, **kwargs)
        with pytest.raises(ValueError) as ours_error:
            kb.convert_format(*args, **kwargs)
        assert str(ours_error.value).split(".")[0] == str(theirs_error.value).split(".")[0]


@pytest.mark.parametrize("fmt", ["xyxy", "rel_xyxy"])
@pytest.mark.parametrize("shape", [(7,), (2, 6)])
def test_clip_to_image_size(fmt, shape):
    boxes = random_boxes(shape, fmt)
    boxes.reshape(-1, 4)[0] = [200, 200, 300, 300] if fmt == "xyxy" else [1.2, 1.5, 2, 3]
    labels = RNG.integers(0, 5, shape)
    size = dict(height=HEIGHT, width=WIDTH) if fmt == "xyxy" else {}
    ours = kb.clip_to_image_size(
        {"boxes": boxes, "labels": labels}, bounding_box_format=fmt, **size
    )
    theirs = kbb().clip_to_image_size(
        {"boxes": boxes, "labels": labels}, bounding_box_format=fmt, **size
    )
    close(ours["boxes"], theirs["boxes"])
    np.testing.assert_array_equal(ours["labels"], theirs["labels"])
    assert (np.asarray(ours["labels"]) == -1).any()
    only_boxes = kb.clip_to_image_size({"boxes": boxes}, bounding_box_format=fmt, **size)
    assert set(only_boxes) == {"boxes"}
    close(only_boxes["boxes"], theirs["boxes"])


def test_clip_crop_pad_affine_refusals_match_keras():
    boxes = random_boxes((1, 2))
    calls = [
        ("clip_to_image_size", ({"boxes": boxes},), {"bounding_box_format": "xywh"}),
        ("clip_to_image_size", ({"boxes": boxes},), {"height": 5}),
        ("crop", (boxes, 1, 2, 3, 4), {"bounding_box_format": "yxyx"}),
        ("pad", (boxes, 1, 2), {"bounding_box_format": "rel_xyxy"}),
        ("affine_transform", (boxes, *[np.zeros(1)] * 6, 9, 9), {"bounding_box_format": "xywh"}),
    ]
    for name, args, kwargs in calls:
        with pytest.raises((ValueError, NotImplementedError)) as theirs:
            getattr(kbb(), name)(*args, **kwargs)
        with pytest.raises(theirs.type):
            getattr(kb, name)(*args, **kwargs)


@pytest.mark.parametrize("center", [None, (0.3, 0.7)])
def test_affine_transform(center):
    boxes = random_boxes((3, 4))
    params = [
        np.array([0.0, 30.0, -75.0], "float32"),  # angle
        np.array([0.0, 0.1, -0.2], "float32"),  # translate_x
        np.array([0.0, -0.15, 0.05], "float32"),  # translate_y
        np.array([1.0, 1.3, 0.7], "float32"),  # scale
        np.array([0.0, 10.0, -20.0], "float32"),  # shear_x
        np.array([0.0, -5.0, 12.0], "float32"),  # shear_y
    ]
    kwargs = {} if center is None else {"center_x": center[0], "center_y": center[1]}
    ours = kb.affine_transform(boxes, *params, HEIGHT, WIDTH, **kwargs)
    theirs = kbb().affine_transform(boxes, *params, HEIGHT, WIDTH, **kwargs)
    assert ours.shape == (3, 4, 4)
    close(ours, theirs, rtol=1e-5, atol=2e-4)
    close(ours[0], boxes[0], atol=1e-4)  # the identity transform


@pytest.mark.parametrize("size", [(40, 50), (None, None)])
def test_crop_and_pad(size):
    boxes = random_boxes((2, 5))
    close(kb.crop(boxes, 10, 20, *size), kbb().crop(boxes, 10, 20, *size))
    close(kb.pad(boxes, 7, 3), kbb().pad(boxes, 7, 3))
    ints = np.array([[10, 20, 50, 60], [70, 80, 100, 120]])
    np.testing.assert_array_equal(
        kb.crop(ints, top=10, left=20, height=40, width=30),
        kbb().crop(ints, top=10, left=20, height=40, width=30),
    )


CODINGS = [
    ("xyxy", "xyxy", "center_yxhw", None, None),
    ("center_xywh", "yxyx", "center_xywh", [0.1, 0.1, 0.2, 0.2], None),
    ("rel_xyxy", "xywh", "center_yxhw", [0.5, 0.25, 1.0, 2.0], (HEIGHT, WIDTH, 3)),
    ("xyxy", "rel_center_xywh", "center_xywh", None, (HEIGHT, WIDTH, 3)),
]


@pytest.mark.parametrize("anchor_format, box_format, encoding, variance, image_shape", CODINGS)
def test_encode_and_decode_deltas(anchor_format, box_format, encoding, variance, image_shape):
    anchors = random_boxes((8,), anchor_format)
    boxes = random_boxes((2, 8), box_format)
    args = (anchor_format, box_format, encoding, variance, image_shape)
    deltas = kb.encode_box_to_deltas(anchors, boxes, *args)
    close(deltas, kbb().encode_box_to_deltas(anchors, boxes, *args), rtol=1e-4, atol=1e-4)
    decoded = kb.decode_deltas_to_boxes(anchors, deltas, *args)
    close(decoded, kbb().decode_deltas_to_boxes(anchors, deltas, *args), rtol=1e-4, atol=1e-4)
    levels = kb.decode_deltas_to_boxes({"p3": anchors}, {"p3": deltas}, *args)
    close(levels["p3"], decoded)


def test_delta_argument_errors():
    a = random_boxes((2,))
    for name, kwargs in [
        ("encode_box_to_deltas", {"variance": [1.0, 2.0]}),
        ("encode_box_to_deltas", {"encoding_format": "xyxy"}),
        ("decode_deltas_to_boxes", {"variance": [1.0, 2.0, 3.0]}),
        ("decode_deltas_to_boxes", {"encoded_format": "yxyx"}),
    ]:
        with pytest.raises(ValueError) as theirs:
            getattr(kbb(), name)(a, a, "xyxy", "xyxy", **kwargs)
        with pytest.raises(ValueError) as ours:
            getattr(kb, name)(a, a, "xyxy", "xyxy", **kwargs)
        assert str(ours.value) == str(theirs.value)


@pytest.mark.parametrize(
    "shape1, shape2", [((5,), (4,)), ((2, 5), (2, 4)), ((2, 5), (4,)), ((5,), (2, 4))]
)
@pytest.mark.parametrize("fmt", ["xyxy", "center_yxhw", "rel_yxyx", "xywh"])
def test_compute_iou(shape1, shape2, fmt):
    boxes1, boxes2 = random_boxes(shape1, fmt), random_boxes(shape2, fmt)
    boxes2.reshape(-1, 4)[0] = boxes1.reshape(-1, 4)[0]  # at least one perfect overlap
    kwargs = {"image_shape": (HEIGHT, WIDTH, 3)} if fmt.startswith("rel") else {}
    ours = kb.compute_iou(boxes1, boxes2, fmt, **kwargs)
    close(ours, kbb().compute_iou(boxes1, boxes2, fmt, **kwargs), atol=1e-6)
    assert ours.shape == np.broadcast_shapes(shape1[:-1] + (5, 1), shape2[:-1] + (1, 4))
    if len(shape1) == len(shape2):  # Keras' masking fails on mixed ranks (kgraph's works)
        boxes1.reshape(-1, 4)[1] = -1
        boxes2.reshape(-1, 4)[2] = -1
        masked = kb.compute_iou(boxes1, boxes2, fmt, use_masking=True, mask_val=-3, **kwargs)
        theirs = kbb().compute_iou(boxes1, boxes2, fmt, use_masking=True, mask_val=-3, **kwargs)
        close(masked, theirs, atol=1e-6)
        assert (np.asarray(masked) == -3).any()


def test_compute_iou_errors():
    for args, kwargs in [
        ((np.zeros((4,)), np.zeros((2, 4)), "xyxy"), {}),
        ((np.zeros((2, 4)), np.zeros((1, 1, 2, 4)), "xyxy"), {}),
        ((np.zeros((2, 4)), np.zeros((2, 4)), "rel_xyxy"), {}),
    ]:
        with pytest.raises(ValueError) as theirs:
            kbb().compute_iou(*args, **kwargs)
        with pytest.raises(ValueError) as ours:
            kb.compute_iou(*args, **kwargs)
        assert str(ours.value) == str(theirs.value)


@pytest.mark.parametrize("fmt", ["xyxy", "yxyx", "xywh", "center_xywh", "center_yxhw"])
@pytest.mark.parametrize("shape", [(6,), (3, 4)])
def test_compute_ciou(fmt, shape):
    boxes1, boxes2 = random_boxes(shape, fmt), random_boxes(shape, fmt)
    boxes2.reshape(-1, 4)[0] = boxes1.reshape(-1, 4)[0]
    ours = kb.compute_ciou(boxes1, boxes2, fmt)
    assert ours.shape == shape
    close(ours, kbb().compute_ciou(boxes1, boxes2, fmt), rtol=1e-5, atol=1e-5)
    with pytest.raises(ValueError) as theirs:
        kbb().compute_ciou(boxes1, boxes2, "rel_xyxy")
    with pytest.raises(ValueError) as ours_error:
        kb.compute_ciou(boxes1, boxes2, "rel_xyxy")
    assert str(ours_error.value) == str(theirs.value)


@pytest.mark.parametrize("num_boxes", [2, 5, 9])
@pytest.mark.parametrize("batched", [True, False])
def test_max_num_bounding_boxes_layer(num_boxes, batched):
    shape = (2, num_boxes) if batched else (num_boxes,)
    images = RNG.uniform(0, 255, (2, 6, 6, 3) if batched else (6, 6, 3)).astype("float32")
    boxes, labels = random_boxes(shape), RNG.integers(0, 9, shape).astype("int32")
    kwargs = dict(max_number=5, fill_value=-2, bounding_box_format="xyxy")
    outputs = []
    for layer in (MaxNumBoundingBoxes(**kwargs), keras.layers.MaxNumBoundingBoxes(**kwargs)):
        data = {"images": images, "bounding_boxes": {"boxes": boxes, "labels": labels}}
        outputs.append(layer({**data, "labels": np.array([1, 0])}))
    ours, theirs = outputs
    np.testing.assert_array_equal(ours["images"], theirs["images"])
    np.testing.assert_array_equal(ours["labels"], theirs["labels"])
    for key in ("boxes", "labels"):
        got, want = ours["bounding_boxes"][key], theirs["bounding_boxes"][key]
        assert got.shape == want.shape
        np.testing.assert_array_equal(got, want)
    assert (np.asarray(ours["bounding_boxes"]["labels"]) == -2).any() == (num_boxes < 5)


def test_max_num_bounding_boxes_config_shapes_and_errors():
    layer = MaxNumBoundingBoxes(4, fill_value=-3, bounding_box_format="yxyx")
    config = layer.get_config()
    theirs = keras.layers.MaxNumBoundingBoxes(4, bounding_box_format="yxyx").get_config()
    assert {k: v for k, v in config.items() if k not in ("name", "dtype", "fill_value")} == {
        k: v for k, v in theirs.items() if k not in ("name", "dtype")
    }
    assert keras.layers.MaxNumBoundingBoxes.from_config(config).fill_value == -3
    assert MaxNumBoundingBoxes.from_config(theirs).max_number == 4
    shapes = {"images": (2, 8, 8, 3), "bounding_boxes": {"boxes": (2, 7, 4), "labels": (2, 7)}}
    assert layer.compute_output_shape(shapes) == keras.layers.MaxNumBoundingBoxes(
        4
    ).compute_output_shape(shapes)
    with pytest.raises(KeyError, match="unsupported keys"):
        layer.compute_output_shape(
            {"bounding_boxes": {"boxes": (1, 2, 4), "labels": (1, 2), "x": 1}}
        )
    images, boxes, labels = np.zeros((1, 4, 4, 3)), np.zeros((1, 2, 4)), np.zeros((1, 2))
    cases = [
        ({}, {"boxes": boxes, "labels": labels}, "didn't specify a bounding box format"),
        ({"bounding_box_format": "xyxy"}, {"boxes": boxes}, "dict with keys 'boxes' and"),
    ]
    for kwargs, bounding_boxes, message in cases:
        for layer_class in (MaxNumBoundingBoxes, keras.layers.MaxNumBoundingBoxes):
            with pytest.raises(ValueError, match=message):
                layer_class(4, **kwargs)({"images": images, "bounding_boxes": bounding_boxes})
