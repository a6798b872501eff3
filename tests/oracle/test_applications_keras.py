"""Oracle: each application built by real Keras (jax backend) with random weights, its weights
saved by Keras (legacy ``.h5`` by layer name, as Keras' published ImageNet files are, and
Keras 3's ``.weights.h5``), loaded into kgraph's architecture: same layer names and weight
shapes, and the same predictions (1e-4 relative) through ``predict`` and the exported ONNX file.

The default run covers MobileNetV3Small, MobileNetV2, ResNet50 and EfficientNetB0 at small
inputs; the other architectures are ``slow``.
"""

from __future__ import annotations

import h5py
import numpy as np
import onnxruntime as ort
import pytest

import kgraph
from tests.oracle.keras_oracle import MARKS, draw_keras_initial_weights_with_numpy, keras

pytestmark = MARKS


def _keras_weights(theirs, folder, legacy: bool) -> str:
    """Keras writes the model's weights; legacy files use Keras' own HDF5 writer."""
    if legacy:
        from keras.src.legacy.saving import legacy_h5_format

        path = str(folder / "theirs.h5")
        with h5py.File(path, "w") as f:
            legacy_h5_format.save_weights_to_hdf5_group(f, theirs)
        return path
    path = str(folder / "theirs.weights.h5")
    theirs.save_weights(path)
    return path


def _randomize(theirs, seed=0) -> None:
    """Random non-trivial weights (moving variances positive), so every weight matters."""
    rng = np.random.default_rng(seed)
    for layer in theirs.layers:
        values = []
        for w in layer.weights:
            name = w.path.split("/")[-1]
            if "variance" in name:
                values.append(rng.uniform(0.5, 1.5, w.shape))
            elif "mean" in name or "bias" in name or "beta" in name:
                values.append(rng.uniform(-0.2, 0.2, w.shape))
            elif "gamma" in name:
                values.append(rng.uniform(0.8, 1.2, w.shape))
            else:
                values.append(np.asarray(w.numpy()))
        if values:
            layer.set_weights([np.asarray(v, "float32") for v in values])


def check_application(name, kwargs, image_shape, folder, legacy=True, batch=2, rtol=1e-4):
    # Both libraries start their automatic names afresh (an unnamed layer such as
    # EfficientNet's Normalization is "normalization" in each, whatever tests ran before) and
    # numpy draws Keras' initial kernels (the same every run, and without jax compiling one
    # random kernel per weight shape, most of a build's time).
    keras.backend.clear_session()
    kgraph.utils.clear_session()
    with pytest.MonkeyPatch.context() as patch:
        draw_keras_initial_weights_with_numpy(patch)
        theirs = getattr(keras.applications, name)(weights=None, **kwargs)
    _randomize(theirs)
    path = _keras_weights(theirs, folder, legacy)
    ours = getattr(kgraph.applications, name)(weights=path, **kwargs)
    assert [layer.name for layer in ours.layers if layer.weights] == [
        layer.name for layer in theirs.layers if layer.weights
    ]
    assert [tuple(w.shape) for w in ours.weights] == [tuple(w.shape) for w in theirs.weights]
    x = np.random.default_rng(1).uniform(0, 255, (batch, *image_shape)).astype("float32")
    expected = np.asarray(theirs.predict(x, verbose=0))
    scale = np.abs(expected).max()
    got = ours.predict(x, verbose=0)
    np.testing.assert_allclose(got, expected, rtol=rtol, atol=rtol * scale)
    onnx_path = str(folder / "ours.onnx")
    ours.export(onnx_path, verbose=False)
    session = ort.InferenceSession(onnx_path, providers=["CPUExecutionProvider"])
    (onnx_out,) = session.run(None, {session.get_inputs()[0].name: x})
    np.testing.assert_allclose(onnx_out, expected, rtol=rtol, atol=rtol * scale)


FAST = [
    ("MobileNetV3Small", dict(input_shape=(96, 96, 3)), (96, 96, 3)),
    ("MobileNetV2", dict(input_shape=(96, 96, 3)), (96, 96, 3)),
    ("ResNet50", dict(input_shape=(32, 32, 3), include_top=False, pooling="avg"), (32, 32, 3)),
    ("EfficientNetB0", dict(input_shape=(32, 32, 3), include_top=False), (32, 32, 3)),
]

SLOW = [
    ("InceptionResNetV2", dict(input_shape=(75, 75, 3), include_top=False), (75, 75, 3)),
    ("DenseNet121", dict(input_shape=(32, 32, 3), include_top=False, pooling="avg"), (32, 32, 3)),
    ("DenseNet169", dict(input_shape=(32, 32, 3), include_top=False), (32, 32, 3)),
    ("DenseNet201", dict(input_shape=(32, 32, 3), classes=10), (32, 32, 3)),
    ("Xception", dict(input_shape=(71, 71, 3), include_top=False), (71, 71, 3)),
    ("InceptionV3", dict(input_shape=(75, 75, 3), include_top=False, pooling="max"), (75, 75, 3)),
    ("VGG16", dict(input_shape=(32, 32, 3), include_top=False, pooling="avg"), (32, 32, 3)),
    ("VGG19", dict(input_shape=(48, 48, 3), include_top=False), (48, 48, 3)),
    ("EfficientNetB0", dict(), (224, 224, 3)),
    ("EfficientNetB1", dict(input_shape=(32, 32, 3), include_top=False), (32, 32, 3)),
    ("EfficientNetB2", dict(input_shape=(32, 32, 3), include_top=False), (32, 32, 3)),
    ("EfficientNetB3", dict(input_shape=(32, 32, 3), include_top=False), (32, 32, 3)),
    ("EfficientNetB4", dict(input_shape=(32, 32, 3), include_top=False), (32, 32, 3)),
    ("EfficientNetB5", dict(input_shape=(32, 32, 3), include_top=False), (32, 32, 3)),
    ("EfficientNetB6", dict(input_shape=(32, 32, 3), include_top=False), (32, 32, 3)),
    ("EfficientNetB7", dict(input_shape=(32, 32, 3), include_top=False), (32, 32, 3)),
    ("ResNet50", dict(), (224, 224, 3)),
    ("ResNet101", dict(input_shape=(64, 64, 3), include_top=False), (64, 64, 3)),
    ("ResNet152", dict(input_shape=(32, 32, 3), include_top=False, pooling="max"), (32, 32, 3)),
    ("ResNet50V2", dict(input_shape=(64, 64, 3), include_top=False, pooling="avg"), (64, 64, 3)),
    ("ResNet101V2", dict(input_shape=(32, 32, 3), include_top=False), (32, 32, 3)),
    ("ResNet152V2", dict(input_shape=(32, 32, 3), include_top=False), (32, 32, 3)),
    ("MobileNet", dict(input_shape=(128, 128, 3)), (128, 128, 3)),
    ("MobileNet", dict(input_shape=(64, 48, 3), include_top=False, alpha=0.5), (64, 48, 3)),
    ("MobileNetV2", dict(input_shape=(64, 80, 3), include_top=False, alpha=1.3), (64, 80, 3)),
    ("MobileNetV3Large", dict(input_shape=(96, 96, 3)), (96, 96, 3)),
    ("MobileNetV3Small", dict(input_shape=(64, 64, 3), minimalistic=True, alpha=0.75), (64, 64, 3)),
    (
        "MobileNetV3Large",
        dict(input_shape=(64, 64, 3), include_top=False, pooling="avg", alpha=1.25),
        (64, 64, 3),
    ),
]


@pytest.mark.parametrize("name, kwargs, image_shape", FAST, ids=[c[0] for c in FAST])
def test_application_matches_keras(name, kwargs, image_shape, tmp_path):
    check_application(name, kwargs, image_shape, tmp_path)


SLOW += [
    ("ConvNeXtTiny", dict(input_shape=(32, 32, 3), include_top=False), (32, 32, 3)),
    ("ConvNeXtSmall", dict(input_shape=(32, 32, 3), classes=10), (32, 32, 3)),
]


@pytest.mark.slow
@pytest.mark.parametrize(
    "name, kwargs, image_shape",
    SLOW,
    ids=[(c.values if hasattr(c, "values") else c)[0] for c in SLOW],
)
def test_application_matches_keras_slow(name, kwargs, image_shape, tmp_path):
    check_application(name, kwargs, image_shape, tmp_path)


def test_keras3_weights_file_loads(tmp_path):
    """A Keras 3 ``.weights.h5`` (addressed by class-name paths, not layer names) loads too."""
    check_application(
        "MobileNetV3Small",
        dict(input_shape=(64, 64, 3), include_top=False, pooling="max"),
        (64, 64, 3),
        tmp_path,
        legacy=False,
    )
