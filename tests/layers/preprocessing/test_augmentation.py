"""Augmentation layers: per-sample statistics in the training graph, fresh values every run,
reproducible seeds, identity (no random node) in inference graphs, numpy-checked transforms."""

from __future__ import annotations

import numpy as np
import onnx
import onnxruntime as ort
import pytest

import kgraph
from kgraph import layers
from kgraph.compiler import compile_inference, serde
from kgraph.models import export
from kgraph.ops import image as image_ops

RANDOM_OPS = {"RandomUniform", "RandomUniformLike", "RandomNormal", "RandomNormalLike",
              "Bernoulli", "Multinomial", "Dropout"}  # fmt: skip


def _model(layer, shape):
    inputs = kgraph.Input(shape)
    return kgraph.Model(inputs, layer(inputs))


def _training_session(model):
    """A session on the model's training-mode forward graph (what the step graph runs)."""
    builder = export.trace_model(model, training=True)[0]
    data = serde.to_bytes(compile_inference(builder.graph))
    ops = {n.op_type for n in onnx.load_from_string(data).graph.node}
    return ort.InferenceSession(data, providers=["CPUExecutionProvider"]), ops


def _run(session, x):
    return session.run(None, {session.get_inputs()[0].name: x})[0]


def _ramp(n, h=6, w=8):
    """Images whose pixels all differ, so flips and shifts are recognisable."""
    base = np.arange(h * w, dtype=np.float32).reshape(1, h, w, 1)
    return np.repeat(base, n, axis=0)


def test_flip_rate_is_half_and_fresh_every_run():
    model = _model(layers.RandomFlip("horizontal", seed=3), (6, 8, 1))
    session, op_types = _training_session(model)
    assert "RandomUniformLike" in op_types
    x = _ramp(2000)
    first, second = _run(session, x), _run(session, x)
    for out in (first, second):
        flipped = np.all(out == x[:, :, ::-1], axis=(1, 2, 3))
        kept = np.all(out == x, axis=(1, 2, 3))
        assert np.all(flipped | kept)  # each image is flipped whole or left alone
        assert abs(flipped.mean() - 0.5) < 0.05
    assert not np.array_equal(first, second)  # a new draw every step


@pytest.mark.parametrize(
    "layer",
    [
        layers.RandomFlip(seed=1),
        layers.RandomRotation(0.2, seed=1),
        layers.RandomZoom(0.2, seed=1),
        layers.RandomTranslation(0.1, 0.2, seed=1),
        layers.RandomShear(0.2, 0.1, seed=1),
        layers.RandomContrast(0.3, seed=1),
        layers.RandomBrightness(0.2, seed=1),
        layers.RandomCrop(4, 5, seed=1),
    ],
    ids=lambda layer: type(layer).__name__,
)
def test_inference_graph_has_no_random_op(layer):
    model = _model(layer, (6, 8, 3))
    graph = onnx.load_from_string(model.to_onnx_bytes()).graph
    assert not {n.op_type for n in graph.node} & RANDOM_OPS
    x = np.random.default_rng(0).uniform(0, 255, (3, 6, 8, 3)).astype(np.float32)
    out = model.predict(x, verbose=0)
    if isinstance(layer, layers.RandomCrop):  # inference: centred window, resized
        np.testing.assert_allclose(out, image_ops.resize(x, (4, 5), crop_to_aspect_ratio=True))
    else:
        np.testing.assert_array_equal(out, x)
    _, op_types = _training_session(model)
    assert op_types & RANDOM_OPS


def test_rotation_angles_uniform_within_factor():
    layer = layers.RandomRotation(0.1, seed=2)
    x = np.zeros((4000, 5, 5, 1), np.float32)
    angles = np.asarray(layer.get_random_transformation(x)["angle"]).ravel()
    limit = 0.1 * 360.0
    assert angles.min() >= -limit and angles.max() <= limit
    histogram = np.histogram(angles, bins=8, range=(-limit, limit))[0]
    assert np.all(np.abs(histogram - 500) < 90)  # flat: uniform
    assert abs(angles.std() - 2 * limit / np.sqrt(12)) < 0.5


@pytest.mark.parametrize(
    "layer, key, low, high",
    [
        (layers.RandomZoom((-0.3, 0.2), seed=4), "height_zoom", 0.7, 1.2),
        (layers.RandomTranslation(0.25, 0.0, seed=4), "translations", -0.25 * 8, 0.25 * 8),
        (layers.RandomContrast(0.4, seed=4), "contrast_factor", 1.0, 1.4),
        (layers.RandomBrightness(0.1, seed=4), "rgb_delta", -25.5, 25.5),
        (layers.RandomShear(0.3, seed=4), "shear_factor", -0.3, 0.3),
    ],
    ids=lambda v: type(v).__name__ if isinstance(v, layers.Layer) else None,
)
def test_parameters_within_range(layer, key, low, high):
    x = np.zeros((3000, 8, 8, 1), np.float32)
    values = np.asarray(layer.get_random_transformation(x)[key])
    values = values[:, 1] if key == "translations" else values.ravel()  # dy is column 1
    values = values[values != 0] if key == "shear_factor" else values
    assert values.min() >= low - 1e-5 and values.max() <= high + 1e-5
    span = high - low
    assert values.min() < low + 0.05 * span and values.max() > high - 0.05 * span


def _rotate_reference(x, angle_deg):
    """Nearest-neighbour rotation about the centre, constant 0 fill, in numpy."""
    h, w = x.shape[1:3]
    t = np.deg2rad(angle_deg)
    cy, cx = (h - 1) / 2, (w - 1) / 2
    ys, xs = np.mgrid[0:h, 0:w]
    sx = np.cos(t) * (xs - cx) - np.sin(t) * (ys - cy) + cx
    sy = np.sin(t) * (xs - cx) + np.cos(t) * (ys - cy) + cy
    iy, ix = np.floor(sy + 0.5).astype(int), np.floor(sx + 0.5).astype(int)
    ok = (iy >= 0) & (iy < h) & (ix >= 0) & (ix < w)
    out = np.zeros_like(x)
    out[:, ok] = x[:, iy[ok], ix[ok]]
    return out


def test_rotation_transform_matches_numpy():
    layer = layers.RandomRotation(0.25, fill_mode="constant", interpolation="nearest")
    x = np.random.default_rng(1).random((1, 7, 9, 2)).astype(np.float32)
    for angle in (33.0, -75.0, 90.0, 123.0):  # no sample point on a rounding tie
        matrix = kgraph.layers.preprocessing.base_affine.affine_matrix(
            7, 9, angle=np.array([[angle]], np.float32)
        )
        out = layer.transform_images(x, {"matrix": matrix})
        np.testing.assert_allclose(out, _rotate_reference(x, angle), atol=1e-6)


def test_brightness_and_contrast_in_training_graph():
    x = np.random.default_rng(2).uniform(100, 150, (500, 4, 4, 3)).astype(np.float32)
    session, _ = _training_session(_model(layers.RandomBrightness(0.1, seed=5), (4, 4, 3)))
    delta = _run(session, x) - x
    per_image = delta.reshape(500, -1)
    np.testing.assert_allclose(per_image, per_image[:, :1].repeat(48, axis=1), atol=1e-3)
    assert np.abs(per_image).max() <= 25.5 + 1e-3 and per_image.std() > 5
    session, _ = _training_session(_model(layers.RandomContrast(0.5, seed=5), (4, 4, 3)))
    out = _run(session, x)
    mean = x.mean(axis=(1, 2), keepdims=True)
    ratio = np.median(((out - mean) / (x - mean)).reshape(500, -1), axis=1)
    factor = ratio.reshape(500, 1, 1, 1)  # one contrast factor per image explains it all
    np.testing.assert_allclose(out, mean + factor * (x - mean), atol=1e-3)
    assert ratio.min() >= 1.0 - 1e-4 and ratio.max() <= 1.5 + 1e-4 and ratio.std() > 0.1


def test_random_crop_windows_per_image():
    session, _ = _training_session(_model(layers.RandomCrop(3, 4, seed=9), (6, 8, 1)))
    x = _ramp(200)
    out = _run(session, x)
    assert out.shape == (200, 3, 4, 1)
    tops, lefts = out[:, 0, 0, 0] // 8, out[:, 0, 0, 0] % 8
    for image, top, left in zip(out, tops.astype(int), lefts.astype(int)):
        np.testing.assert_array_equal(image, x[0, top : top + 3, left : left + 4])
    assert set(tops.astype(int)) == {0, 1, 2, 3} and set(lefts.astype(int)) == {0, 1, 2, 3, 4}


def test_eager_call_augments_and_seeds_repeat():
    x = _ramp(64)
    kgraph.utils.set_random_seed(123)
    first = np.asarray(layers.RandomFlip("horizontal")(x))
    kgraph.utils.set_random_seed(123)
    again = np.asarray(layers.RandomFlip("horizontal")(x))
    np.testing.assert_array_equal(first, again)
    assert 0 < np.all(first == x[:, :, ::-1], axis=(1, 2, 3)).sum() < 64
    layer = layers.RandomFlip("horizontal", seed=1)
    assert not np.array_equal(layer(x, training=True), layer(x, training=True))
    np.testing.assert_array_equal(layer(x, training=False), x)
    single = layer(x[0], training=True)  # an unbatched image
    assert single.shape == (6, 8, 1)


def test_integer_images_become_float():
    x = np.random.default_rng(3).integers(0, 256, (2, 6, 8, 3)).astype(np.uint8)
    out = layers.RandomRotation(0.1, seed=1)(x)
    assert out.dtype == np.float32 and out.shape == x.shape


def test_configs_round_trip():
    for layer in (
        layers.RandomFlip("vertical", seed=2),
        layers.RandomRotation((-0.1, 0.2), fill_mode="constant", fill_value=1.0),
        layers.RandomZoom(0.2, (-0.1, 0.1), interpolation="nearest"),
        layers.RandomTranslation(0.1, 0.2, fill_mode="wrap"),
        layers.RandomContrast(0.2, value_range=(0, 1)),
        layers.RandomBrightness((-0.1, 0.3)),
        layers.RandomCrop(3, 4, data_format="channels_first"),
        layers.RandomShear(0.1, 0.2),
    ):
        config = layer.get_config()
        assert type(layer).from_config(config).get_config() == config


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda: layers.RandomFlip("diagonal"), "unknown mode"),
        (lambda: layers.RandomRotation(1.5), "factor"),
        (lambda: layers.RandomZoom(-1.0), "height_factor"),
        (lambda: layers.RandomContrast(-0.1), "factor"),
        (lambda: layers.RandomBrightness(0.1, value_range=(0,)), "value_range"),
    ],
)
def test_bad_arguments(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_unknown_fill_mode():
    with pytest.raises(NotImplementedError, match="fill_mode"):
        layers.RandomRotation(0.1, fill_mode="smear")


def test_step_graph_trains_with_augmentation_at_input():
    kgraph.utils.set_random_seed(0)
    model = kgraph.Sequential(
        [
            kgraph.Input((8, 8, 3)),
            layers.Rescaling(1.0 / 255),
            layers.RandomFlip(),
            layers.RandomRotation(0.1),
            layers.RandomZoom(0.1),
            layers.RandomTranslation(0.1, 0.1),
            layers.RandomContrast(0.1, value_range=(0, 1)),
            layers.Conv2D(2, 3),
            layers.Flatten(),
            layers.Dense(2),
        ]
    )
    model.compile(optimizer="sgd", loss="mse")
    x = np.random.default_rng(4).uniform(0, 255, (16, 8, 8, 3)).astype(np.float32)
    history = model.fit(x, np.zeros((16, 2), np.float32), epochs=2, batch_size=8, verbose=0)
    assert np.isfinite(history.history["loss"]).all()


def test_perspective_rate_and_corners():
    layer = layers.RandomPerspective(factor=(0.5, 0.5), scale=0.4, seed=3)
    x = np.zeros((2000, 6, 8, 1), np.float32)
    t = layer.get_random_transformation(x)
    applied = np.asarray(t["apply_perspective"]).ravel()
    assert abs(applied.mean() - 0.5) < 0.05
    moves = (np.asarray(t["end_points"]) - t["start_points"])[:, 1:]  # corner 0 stays
    limit = 0.2 * np.array([7.0, 5.0])
    assert np.all(np.abs(moves) <= limit.max() + 1e-4)
    assert np.all(np.asarray(t["end_points"])[:, 0] == 0)


@pytest.mark.parametrize(
    "make",
    [
        lambda f: layers.RandomFlip(seed=5, data_format=f),
        lambda f: layers.RandomRotation(0.2, seed=5, data_format=f),
        lambda f: layers.RandomZoom(0.2, 0.1, seed=5, data_format=f),
        lambda f: layers.RandomTranslation(0.2, 0.1, seed=5, data_format=f),
        lambda f: layers.RandomShear(0.2, 0.1, seed=5, data_format=f),
        lambda f: layers.RandomCrop(4, 5, seed=5, data_format=f),
        lambda f: layers.RandomContrast(0.3, seed=5, data_format=f),
        lambda f: layers.RandomPerspective(seed=5, data_format=f),
        lambda f: layers.RandomGrayscale(seed=5, data_format=f),
        lambda f: layers.RandomHue(0.3, seed=5, data_format=f),
        lambda f: layers.RandomSaturation(0.6, seed=5, data_format=f),
        lambda f: layers.RandomSharpness(0.6, seed=5, data_format=f),
        lambda f: layers.RandomGaussianBlur(seed=5, data_format=f),
        lambda f: layers.RandomErasing(fill_value=9.0, seed=5, data_format=f),
        lambda f: layers.CutMix(seed=5, data_format=f),
    ],
    ids=lambda make: type(make(None)).__name__,
)
def test_channels_first_matches_channels_last(make):
    x = np.random.default_rng(6).uniform(0, 255, (8, 6, 8, 3)).astype(np.float32)
    last = np.asarray(make("channels_last")(x, training=True))
    first = np.asarray(make("channels_first")(x.transpose(0, 3, 1, 2), training=True))
    np.testing.assert_allclose(first.transpose(0, 2, 3, 1), last, rtol=1e-4, atol=1e-3)
    assert not np.array_equal(last, x)  # the same random draws did change something


def test_pipeline_layer():
    pipeline = layers.Pipeline(
        [layers.Rescaling(1 / 255), layers.RandomFlip(seed=1), layers.RandomRotation(0.1)]
    )
    x = np.random.default_rng(7).uniform(0, 255, (4, 8, 8, 3)).astype(np.float32)
    np.testing.assert_allclose(pipeline(x, training=False), x / 255, rtol=1e-6)
    assert not np.allclose(pipeline(x), x / 255)  # a direct call augments, as in Keras
    clone = layers.Pipeline.from_config(pipeline.get_config())
    assert [type(layer).__name__ for layer in clone.layers] == [
        "Rescaling",
        "RandomFlip",
        "RandomRotation",
    ]
    inputs = kgraph.Input((8, 8, 3))
    model = kgraph.Model(inputs, layers.Conv2D(2, 3)(pipeline(inputs)))
    graph = onnx.load_from_string(model.to_onnx_bytes()).graph
    assert not {n.op_type for n in graph.node} & RANDOM_OPS
    model.compile(optimizer="sgd", loss="mse")
    model.fit(x, np.zeros((4, 6, 6, 2), np.float32), verbose=0)


def test_elastic_transform_fields_and_identity():
    x = np.random.default_rng(8).uniform(0, 255, (16, 32, 32, 3)).astype(np.float32)
    layer = layers.RandomElasticTransform(scale=(0.5, 0.5), seed=2)
    t = layer.get_random_transformation(x)
    grid_y = np.arange(32, dtype=np.float32).reshape(1, -1, 1)
    shift = np.asarray(t["ys"]) - grid_y
    assert 0 < shift.std() < 3 and np.abs(shift).max() < 16
    assert np.abs(np.diff(shift, axis=1)).mean() < np.abs(shift).mean()  # smooth fields
    still = {
        "ys": np.broadcast_to(grid_y, (16, 32, 32)).copy(),
        "xs": np.broadcast_to(np.arange(32, dtype=np.float32).reshape(1, 1, -1), (16, 32, 32)),
        "apply_transform": np.ones((16, 1, 1, 1), bool),
    }
    np.testing.assert_allclose(layer.transform_images(x, still), x)
    inputs = kgraph.Input((32, 32, 3))
    model = kgraph.Model(inputs, layer(inputs))
    np.testing.assert_array_equal(model.predict(x, verbose=0), x)
    session, _ = _training_session(model)
    assert not np.allclose(_run(session, x), x)


def test_rand_augment_picks_per_image():
    x = np.random.default_rng(9).uniform(0, 255, (8, 12, 12, 3)).astype(np.float32)
    layer = layers.RandAugment(num_ops=1, seed=3)
    picks = np.asarray(layer.get_random_transformation(np.zeros((3000, 1)))["layer_idxes"][0])
    counts = np.bincount(picks.astype(int).ravel(), minlength=11)
    assert counts.size == 11 and np.all(np.abs(counts - 3000 / 11) < 60)
    forced = {"layer_idxes": [np.full((8, 1, 1, 1), 9.0, np.float32)]}  # 9: auto-contrast
    np.testing.assert_allclose(layer.transform_images(x, forced), layers.AutoContrast()(x))
    inputs = kgraph.Input((12, 12, 3))
    model = kgraph.Model(inputs, layers.RandAugment(seed=1)(inputs))
    np.testing.assert_array_equal(model.predict(x, verbose=0), x)
    session, op_types = _training_session(model)
    assert "RandomUniformLike" in op_types and not np.allclose(_run(session, x), x)


def test_set_random_seed_repeats_training_graph_draws():
    x = _ramp(64)
    outputs = []
    for _ in range(2):
        kgraph.utils.set_random_seed(42)
        model = _model(layers.RandomRotation(0.3), (6, 8, 1))
        session, _ = _training_session(model)
        outputs.append([_run(session, x), _run(session, x)])
    np.testing.assert_array_equal(outputs[0][0], outputs[1][0])  # same seed, same stream
    np.testing.assert_array_equal(outputs[0][1], outputs[1][1])
    assert not np.array_equal(outputs[0][0], outputs[0][1])  # fresh values every run


@pytest.mark.parametrize(
    "layer",
    [
        layers.RandomFlip(seed=1),
        layers.RandomRotation(0.3, fill_mode="constant", seed=1),
        layers.RandomZoom(0.3, seed=1),
        layers.RandomCrop(4, 5, seed=1),
        layers.RandomBrightness(0.3, seed=1),
    ],
    ids=lambda layer: type(layer).__name__,
)
def test_segmentation_masks_follow_their_images(layer):
    """Masks that equal the images' first channel (integer classes) stay aligned with them."""
    classes = np.random.default_rng(10).integers(0, 4, (6, 8, 10)).astype(np.float32)
    images = np.repeat(classes[..., None], 3, axis=-1)
    out = layer({"images": images, "segmentation_masks": classes[..., None]}, training=True)
    masks = np.asarray(out["segmentation_masks"])
    if isinstance(layer, layers.RandomBrightness):
        np.testing.assert_array_equal(masks, classes[..., None])  # colour: masks untouched
        return
    assert masks.shape == (*np.asarray(out["images"]).shape[:3], 1)
    assert set(np.unique(masks)) <= {0.0, 1.0, 2.0, 3.0}  # nearest: no blended classes
    if isinstance(layer, (layers.RandomFlip, layers.RandomCrop)):
        np.testing.assert_array_equal(masks[..., 0], np.asarray(out["images"])[..., 0])


def test_bounding_boxes_are_refused():
    with pytest.raises(ValueError, match="bounding boxes"):
        layers.RandomFlip(bounding_box_format="xyxy")
    with pytest.raises(ValueError, match="bounding boxes"):
        layers.RandomFlip()({"images": _ramp(2), "bounding_boxes": {}}, training=True)


def test_augmentation_after_trainable_layers_passes_gradients():
    """Geometric and colour augmentation between trainable layers: the step graph
    differentiates through the sampling (Gather/Mod rules) and resizing (Resize rule)."""
    kgraph.utils.set_random_seed(1)
    model = kgraph.Sequential(
        [
            kgraph.Input((8, 8, 3)),
            layers.Conv2D(4, 3, padding="same"),
            layers.RandomRotation(0.1, fill_mode="wrap"),
            layers.RandomZoom(0.1, fill_mode="constant"),
            layers.Resizing(6, 6),
            layers.RandomContrast(0.1, value_range=(-10, 10)),
            layers.Flatten(),
            layers.Dense(1),
        ]
    )
    model.compile(optimizer="sgd", loss="mse")
    x = np.random.default_rng(11).random((16, 8, 8, 3)).astype(np.float32)
    kernel = model.layers[0].get_weights()[0].copy()
    model.fit(x, np.ones((16, 1), np.float32), epochs=1, batch_size=8, verbose=0)
    assert not np.allclose(model.layers[0].get_weights()[0], kernel)  # the conv learned
