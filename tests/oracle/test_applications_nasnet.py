"""Oracle: NASNetMobile and NASNetLarge built by real Keras (jax backend) with random weights,
their weights saved by Keras' legacy HDF5 writer (the layout of Keras' published NASNet files)
and loaded into kgraph's architecture: the same layer names (weightless ones included), weight
shapes and predictions (1e-4 relative) through ``predict`` and the exported ONNX file.

The default run builds NASNetMobile once, at 32x32 (the smallest size Keras accepts), and loads
Keras' file through ``weights="imagenet"`` from a ``KERAS_HOME`` cache under Keras' own file
name; other sizes, the Keras 3 ``.weights.h5`` file and NASNetLarge are ``slow``.
"""

from __future__ import annotations

import hashlib
import shutil

import numpy as np
import onnxruntime as ort
import pytest

import kgraph
from kgraph.applications import nasnet
from tests.oracle.keras_oracle import MARKS, keras
from tests.oracle.test_applications_keras import (
    check_application,
    keras_weights_file,
    randomize_weights,
)

pytestmark = MARKS


def _compare(theirs, ours, image_shape, folder, rtol=1e-4):
    assert [layer.name for layer in ours.layers] == [layer.name for layer in theirs.layers]
    assert [tuple(w.shape) for w in ours.weights] == [tuple(w.shape) for w in theirs.weights]
    x = np.random.default_rng(1).uniform(0, 255, (2, *image_shape)).astype("float32")
    x = nasnet.preprocess_input(x)
    expected = np.asarray(theirs.predict(x, verbose=0))
    scale = np.abs(expected).max()
    np.testing.assert_allclose(ours.predict(x, verbose=0), expected, rtol=rtol, atol=rtol * scale)
    onnx_path = str(folder / "ours.onnx")
    ours.export(onnx_path, verbose=False)
    session = ort.InferenceSession(onnx_path, providers=["CPUExecutionProvider"])
    (got,) = session.run(None, {session.get_inputs()[0].name: x})
    np.testing.assert_allclose(got, expected, rtol=rtol, atol=rtol * scale)


def test_mobile_loads_keras_file_from_keras_home(tmp_path, monkeypatch, numpy_initial_weights):
    """Keras' no-top file, under Keras' cache name in ``$KERAS_HOME/models``, is what
    ``weights="imagenet"`` loads (its hash checked against the table, patched here)."""
    keras.backend.clear_session()
    kgraph.utils.clear_session()
    keras.utils.set_random_seed(0)
    kwargs = dict(input_shape=(32, 32, 3), include_top=False)
    theirs = keras.applications.NASNetMobile(weights=None, **kwargs)
    randomize_weights(theirs)
    models = tmp_path / "keras_home" / "models"
    models.mkdir(parents=True)
    path = keras_weights_file(theirs, tmp_path, legacy=True)
    cached = models / "nasnet_mobile_no_top.h5"
    shutil.copy(path, cached)
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras_home"))
    top, (name, origin, _) = nasnet.WEIGHTS[224]
    digest = hashlib.md5(cached.read_bytes()).hexdigest()
    monkeypatch.setitem(nasnet.WEIGHTS, 224, (top, (name, origin, digest)))
    ours = kgraph.applications.NASNetMobile(weights="imagenet", **kwargs)
    _compare(theirs, ours, (32, 32, 3), tmp_path)


SLOW = [
    ("NASNetMobile", dict(input_shape=(48, 40, 3), classes=10), (48, 40, 3)),
    ("NASNetMobile", dict(input_shape=(64, 64, 3), include_top=False, pooling="max"), (64, 64, 3)),
    ("NASNetMobile", dict(), (224, 224, 3)),
    ("NASNetLarge", dict(input_shape=(32, 32, 3), include_top=False, pooling="avg"), (32, 32, 3)),
    ("NASNetLarge", dict(input_shape=(64, 64, 3), classes=10), (64, 64, 3)),
]


@pytest.mark.slow
@pytest.mark.parametrize(
    "name, kwargs, image_shape", SLOW, ids=[f"{c[0]}-{'x'.join(map(str, c[2]))}" for c in SLOW]
)
def test_nasnet_matches_keras_slow(name, kwargs, image_shape, tmp_path, numpy_initial_weights):
    check_application(name, kwargs, image_shape, tmp_path, calibrated=False)


@pytest.mark.slow
def test_keras3_weights_file_loads(tmp_path, numpy_initial_weights):
    """A Keras 3 ``.weights.h5`` (class-name paths, not layer names) loads too."""
    check_application(
        "NASNetMobile",
        dict(input_shape=(32, 32, 3), include_top=False, pooling="avg"),
        (32, 32, 3),
        tmp_path,
        legacy=False,
        calibrated=False,
    )


BAD_ARGUMENTS = [
    # the ImageNet top needs the default size
    ("NASNetMobile", dict(weights="imagenet", input_shape=(32, 32, 3)), "should be"),
    ("NASNetLarge", dict(weights="imagenet", input_shape=(224, 224, 3)), "should be"),
    # ImageNet weights need a static size
    (
        "NASNetLarge",
        dict(weights="imagenet", include_top=False, input_shape=(None, None, 3)),
        "static",
    ),
    ("NASNetMobile", dict(weights=None, input_shape=(31, 32, 3), include_top=False), "at least 32"),
    ("NASNetMobile", dict(weights="imagenet", classes=10), "should be 1000"),
    ("NASNetLarge", dict(weights="imagenet", include_top=False, input_shape=(64, 64, 1)), "3 chan"),
]


@pytest.mark.parametrize("name, kwargs, message", BAD_ARGUMENTS)
def test_argument_checks_match_keras(name, kwargs, message):
    """What Keras refuses before building, kgraph refuses too, with Keras' words."""
    for library in (keras, kgraph):
        with pytest.raises(ValueError, match=message):
            getattr(library.applications, name)(**kwargs)


def test_preprocess_input_matches_keras():
    x = np.random.default_rng(0).uniform(0, 255, (2, 8, 8, 3)).astype("float32")
    expected = keras.applications.nasnet.preprocess_input(x.copy())
    np.testing.assert_allclose(nasnet.preprocess_input(x), expected, rtol=1e-6)
    for library in (keras, kgraph):
        with pytest.raises(ValueError, match="shape"):
            library.applications.nasnet.decode_predictions(np.zeros((2, 10)))
