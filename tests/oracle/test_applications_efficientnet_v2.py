"""Oracle: EfficientNetV2 built by real Keras (jax backend) with random weights saved in Keras'
legacy ``.h5`` layout (as Keras' published ImageNet files are) or as a Keras 3
``.weights.h5``, loaded into kgraph's architecture: same layer names and weight shapes, and the
same predictions (1e-4 relative) through ``predict`` and the exported ONNX file.

The random weights are chosen so that the comparison can fail: batch normalization statistics
are those of the test images (as in a trained network, every activation is of order one), so
the predictions depend on the image through every block. With uncalibrated statistics the
signal either vanished (outputs a function of the biases only, and a missing activation went
unnoticed) or grew to 1e5 in the deep S, M and L, where float32 rounding alone then doubled
block after block.

The default run covers EfficientNetV2B0 at 64x64; the larger variants are ``slow``.
"""

from __future__ import annotations

import numpy as np
import onnxruntime as ort
import pytest

import kgraph
from tests.oracle.keras_oracle import MARKS, keras
from tests.oracle.test_applications_keras import calibrate_batch_norms, keras_weights_file

pytestmark = MARKS


class _NumpyKernels(keras.initializers.Initializer):
    """He-normal kernels (variance ``2 / fan_in``) drawn by numpy, for Keras' models here:
    Keras on JAX compiles a random program per weight shape when it initializes a model, which
    made building EfficientNetV2B0 take over a minute. The architecture stays Keras' own."""

    def __init__(self, seed=0):
        self.rng = np.random.default_rng(seed)

    def __call__(self, shape, dtype=None):
        # a depthwise kernel (kh, kw, channels, 1) sums over its window only
        fan_in = int(np.prod(shape[:-2] if len(shape) == 4 and shape[-1] == 1 else shape[:-1]))
        return self.rng.normal(0.0, np.sqrt(2.0 / fan_in), shape).astype("float32")


@pytest.fixture(autouse=True)
def numpy_kernels(monkeypatch):
    from keras.src.applications import efficientnet_v2

    monkeypatch.setattr(efficientnet_v2, "CONV_KERNEL_INITIALIZER", _NumpyKernels(0))
    monkeypatch.setattr(efficientnet_v2, "DENSE_KERNEL_INITIALIZER", _NumpyKernels(1))


def _randomize(theirs, rng):
    """Random biases and batch-norm scales and shifts."""
    for layer in theirs.layers:
        values = layer.get_weights()
        if isinstance(layer, keras.layers.BatchNormalization):
            values[0] = rng.uniform(0.8, 1.2, values[0].shape)
            values[1] = rng.uniform(-0.2, 0.2, values[1].shape)
        elif isinstance(layer, (keras.layers.Conv2D, keras.layers.Dense)) and layer.use_bias:
            values[1] = rng.uniform(-0.2, 0.2, values[1].shape)
        layer.set_weights([np.asarray(v, "float32") for v in values])


def _set_weights(theirs, x, seed=0, floor=1.0):
    """Random biases and batch-norm scales and shifts, and batch-norm moving statistics
    calibrated on the images ``x`` (see ``calibrate_batch_norms``)."""
    _randomize(theirs, np.random.default_rng(seed))
    calibrate_batch_norms(theirs, x, floor)


def check_application(name, kwargs, image_shape, folder, legacy=True, rtol=1e-4):
    """Keras' model and kgraph's, with Keras' weights, predict the same on random images."""
    keras.backend.clear_session()
    kgraph.utils.clear_session()
    x = np.random.default_rng(1).uniform(0, 255, (2, *image_shape)).astype("float32")
    theirs = getattr(keras.applications, name)(weights=None, **kwargs)
    # every layer (weightless ones too) by name and class, and the drop-connect schedule
    layout = [(layer.name, type(layer).__name__) for layer in theirs.layers]
    rates = [layer.rate for layer in theirs.layers if isinstance(layer, keras.layers.Dropout)]
    _set_weights(theirs, x)
    path = keras_weights_file(theirs, folder, legacy)
    ours = getattr(kgraph.applications, name)(weights=path, **kwargs)
    assert [(layer.name, type(layer).__name__) for layer in ours.layers] == layout
    assert [layer.rate for layer in ours.layers if isinstance(layer, kgraph.layers.Dropout)] == (
        rates
    )
    assert [tuple(w.shape) for w in ours.weights] == [tuple(w.shape) for w in theirs.weights]
    expected = np.asarray(theirs.predict(x, verbose=0))
    scale = np.abs(expected).max()
    # the two images' outputs differ: the prediction depends on the input, not the biases only
    assert np.abs(expected[0] - expected[1]).max() > 0.01 * scale
    got = ours.predict(x, verbose=0)
    np.testing.assert_allclose(got, expected, rtol=rtol, atol=rtol * scale)
    onnx_path = str(folder / "ours.onnx")
    ours.export(onnx_path, verbose=False)
    session = ort.InferenceSession(onnx_path, providers=["CPUExecutionProvider"])
    (onnx_out,) = session.run(None, {session.get_inputs()[0].name: x})
    np.testing.assert_allclose(onnx_out, expected, rtol=rtol, atol=rtol * scale)


def test_efficientnet_v2_b0_matches_keras(tmp_path):
    """Fused and plain MBConv blocks, stride-2 'same' padding, the fixed-constant
    Normalization and the classifier head, at a small input."""
    check_application(
        "EfficientNetV2B0",
        dict(input_shape=(64, 64, 3), classes=10, classifier_activation=None),
        (64, 64, 3),
        tmp_path,
    )


SLOW = [
    ("EfficientNetV2B0", dict(), (224, 224, 3)),
    (
        "EfficientNetV2B0",
        dict(input_shape=(48, 48, 3), include_top=False, pooling="max"),
        (48, 48, 3),
    ),
    ("EfficientNetV2B1", dict(input_shape=(64, 64, 3), include_top=False), (64, 64, 3)),
    # odd, non-square sizes: 'same' padding with stride 2 pads both sides alike there
    ("EfficientNetV2B0", dict(input_shape=(67, 75, 3), include_top=False), (67, 75, 3)),
    (
        "EfficientNetV2B2",
        dict(input_shape=(64, 64, 3), include_top=False, pooling="avg"),
        (64, 64, 3),
    ),
    ("EfficientNetV2B3", dict(input_shape=(64, 64, 3), classes=7), (64, 64, 3)),
    ("EfficientNetV2S", dict(input_shape=(64, 64, 3), include_top=False), (64, 64, 3)),
    ("EfficientNetV2M", dict(input_shape=(64, 64, 3), include_top=False), (64, 64, 3)),
    ("EfficientNetV2L", dict(input_shape=(64, 64, 3), include_top=False), (64, 64, 3)),
    (
        "EfficientNetV2S",
        dict(input_shape=(64, 64, 3), include_top=False, include_preprocessing=False),
        (64, 64, 3),
    ),
    (
        "EfficientNetV2B0",
        dict(input_shape=(64, 64, 1), include_top=False, pooling="avg"),
        (64, 64, 1),
    ),
]


@pytest.mark.slow
@pytest.mark.parametrize("name, kwargs, image_shape", SLOW, ids=[c[0] for c in SLOW])
def test_efficientnet_v2_matches_keras_slow(name, kwargs, image_shape, tmp_path):
    check_application(name, kwargs, image_shape, tmp_path)


@pytest.mark.slow
def test_efficientnet_v2_keras3_weights_file_loads(tmp_path):
    """A Keras 3 ``.weights.h5`` (addressed by class-name paths, not layer names) loads too."""
    check_application(
        "EfficientNetV2B0",
        dict(input_shape=(32, 32, 3), include_top=False, pooling="avg"),
        (32, 32, 3),
        tmp_path,
        legacy=False,
    )


def test_efficientnet_v2_module_api():
    """``preprocess_input`` passes images through (the models preprocess inside) and the
    public functions keep Keras' argument checks."""
    x = np.arange(12, dtype="float32").reshape(1, 2, 2, 3)
    assert kgraph.applications.efficientnet_v2.preprocess_input(x) is x
    with pytest.raises(ValueError, match="classes"):
        kgraph.applications.EfficientNetV2B0(weights="imagenet", classes=10)
    with pytest.raises(ValueError, match="weights"):
        kgraph.applications.EfficientNetV2S(weights="no/such/file.h5")
