"""Pretrained weights: Keras' cache and file names, the offline message, local files (legacy
``.h5`` as Keras publishes them, ``.weights.h5`` as Keras 3 saves them), Keras' argument
checks."""

from __future__ import annotations

import hashlib
import os
import urllib.error
import urllib.request

import h5py
import numpy as np
import pytest

from kgraph import applications
from kgraph.applications import mobilenet_v3, weights

SMALL = dict(input_shape=(32, 32, 3), include_top=False)


@pytest.fixture
def offline(monkeypatch, tmp_path):
    """An empty Keras home and no network."""

    def refuse(*args, **kwargs):
        raise urllib.error.URLError("no network in this test")

    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras_home"))
    monkeypatch.setattr(urllib.request, "urlopen", refuse)
    return tmp_path / "keras_home" / "models"


def write_legacy_h5(model, path):
    """Keras 2's weight layout, written here with h5py: one group per layer, the layer's
    weights (trainable first) as datasets named in its ``weight_names`` attribute."""
    with h5py.File(path, "w") as f:
        f.attrs["layer_names"] = [layer.name.encode() for layer in model.layers]
        for layer in model.layers:
            group = f.create_group(layer.name)
            variables = list(layer.trainable_weights) + list(layer.non_trainable_weights)
            names = [f"{layer.name}/{v.name}:0" for v in variables]
            group.attrs["weight_names"] = [n.encode() for n in names]
            for name, v in zip(names, variables):
                group.create_dataset(name, data=np.asarray(v.numpy()))


def _randomized(model, seed=0):
    rng = np.random.default_rng(seed)
    model.set_weights([rng.uniform(0.5, 1.0, w.shape).astype(w.dtype) for w in model.get_weights()])
    return model


def test_offline_message_names_file_and_place(offline):
    with pytest.raises(weights.WeightsUnavailableError) as info:
        applications.MobileNetV3Small(
            weights="imagenet", include_top=False, input_shape=(224, 224, 3)
        )
    message = str(info.value)
    assert "\n" not in message
    assert "weights_mobilenet_v3_small_224_1.0_float_no_top_v2.h5" in message
    assert str(offline / "weights_mobilenet_v3_small_224_1.0_float_no_top_v2.h5") in message
    assert "mobilenet_v3/weights_mobilenet_v3_small" in message  # Keras' address


def test_cached_file_with_wrong_hash_is_not_used(offline):
    os.makedirs(offline)
    (offline / "resnet50_weights_tf_dim_ordering_tf_kernels_notop.h5").write_bytes(b"junk")
    with pytest.raises(weights.WeightsUnavailableError, match="hash"):
        applications.ResNet50(weights="imagenet", include_top=False, input_shape=(32, 32, 3))


def test_imagenet_weights_load_from_keras_cache(offline, monkeypatch):
    source = _randomized(applications.MobileNetV3Small(weights=None, **SMALL))
    os.makedirs(offline)
    path = offline / "weights_mobilenet_v3_small_224_1.0_float_no_top_v2.h5"
    write_legacy_h5(source, path)
    digest = hashlib.md5(path.read_bytes()).hexdigest()
    monkeypatch.setitem(mobilenet_v3.WEIGHTS_HASHES, "small_224_1.0_float", ("", digest))
    with pytest.warns(UserWarning, match="224"):
        model = applications.MobileNetV3Small(weights="imagenet", **SMALL)
    for ours, theirs in zip(model.get_weights(), source.get_weights()):
        np.testing.assert_array_equal(ours, theirs)


def test_local_files_load(tmp_path):
    source = _randomized(applications.MobileNetV2(weights=None, alpha=0.35, **SMALL))
    x = np.random.default_rng(1).uniform(-1, 1, (2, 32, 32, 3)).astype("float32")
    expected = source.predict(x, verbose=0)
    write_legacy_h5(source, tmp_path / "legacy.h5")
    source.save_weights(tmp_path / "keras3.weights.h5")
    for name in ("legacy.h5", "keras3.weights.h5"):
        model = applications.MobileNetV2(weights=str(tmp_path / name), alpha=0.35, **SMALL)
        np.testing.assert_allclose(model.predict(x, verbose=0), expected, rtol=1e-6)


def test_file_of_another_architecture_is_refused(tmp_path):
    other = applications.MobileNetV3Small(weights=None, minimalistic=True, **SMALL)
    write_legacy_h5(other, tmp_path / "other.h5")
    with pytest.raises(ValueError, match="does not fit"):
        applications.MobileNetV3Small(weights=str(tmp_path / "other.h5"), **SMALL)


def test_weights_argument_checks():
    with pytest.raises(ValueError, match=r"Received: weights=nowhere\.h5"):
        applications.ResNet50(weights="nowhere.h5")
    with pytest.raises(ValueError, match="`classes` should be 1000"):
        applications.MobileNetV2(weights="imagenet", classes=10)
    with pytest.raises(ValueError, match="alpha"):
        applications.MobileNetV3Large(weights="imagenet", alpha=0.5)
