"""Oracle: EfficientNetV2 built by real Keras (jax backend) with random weights saved in Keras'
legacy ``.h5`` layout (as Keras' published ImageNet files are) or as a Keras 3
``.weights.h5``, loaded into kgraph's architecture: same layer names and weight shapes, and the
same predictions (1e-4 relative) through ``predict`` and the exported ONNX file.

The default run covers EfficientNetV2B0 at 64x64; the larger variants are ``slow``.
"""

from __future__ import annotations

import numpy as np
import pytest

import kgraph
from tests.oracle.keras_oracle import MARKS, keras
from tests.oracle.test_applications_keras import check_application

pytestmark = MARKS


class _NumpyKernels(keras.initializers.Initializer):
    """Normal kernels with variance ``1 / fan_in`` drawn by numpy, for Keras' models here.

    Keras on JAX compiles a random program per weight shape when it initializes a model, which
    made building EfficientNetV2B0 take over a minute. The kernels are copied into kgraph
    anyway, so only their scale matters: Keras' own He-on-fan-out kernels amplify each 1x1
    projection several times, and in the deep S, M and L the activations grow to 1e5 and the
    network turns chaotic (float32 rounding doubles block after block), so both libraries'
    rounding alone made outputs differ; fan-in scaling keeps the signal of order one and the
    comparison meaningful. The architecture stays Keras' own."""

    def __init__(self, seed=0):
        self.rng = np.random.default_rng(seed)

    def __call__(self, shape, dtype=None):
        fan_in = int(np.prod(shape[:-1]))
        return self.rng.normal(0.0, np.sqrt(1.0 / fan_in), shape).astype("float32")


@pytest.fixture(autouse=True)
def numpy_kernels(monkeypatch):
    from keras.src.applications import efficientnet_v2

    monkeypatch.setattr(efficientnet_v2, "CONV_KERNEL_INITIALIZER", _NumpyKernels(0))
    monkeypatch.setattr(efficientnet_v2, "DENSE_KERNEL_INITIALIZER", _NumpyKernels(1))


def test_efficientnet_v2_b0_matches_keras(tmp_path):
    """Fused and plain MBConv blocks, stride-2 'same' padding, the fixed-constant
    Normalization and the classifier head, at a small input."""
    check_application(
        "EfficientNetV2B0", dict(input_shape=(64, 64, 3), classes=10), (64, 64, 3), tmp_path
    )


SLOW = [
    ("EfficientNetV2B0", dict(), (224, 224, 3)),
    (
        "EfficientNetV2B0",
        dict(input_shape=(48, 48, 3), include_top=False, pooling="max"),
        (48, 48, 3),
    ),
    ("EfficientNetV2B1", dict(input_shape=(64, 64, 3), include_top=False), (64, 64, 3)),
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
