"""``TimeDistributed`` around a nested model (the video classifiers' per-frame CNN): each
frame goes through the same model, and the wrapper's config nests it as Keras'
``serialize_keras_object`` does, so the saved file loads back."""

from __future__ import annotations

import numpy as np

import kgraph
from kgraph import layers


def test_time_distributed_sequential_per_frame_and_saved(tmp_path):
    cnn = kgraph.Sequential(
        [kgraph.Input((6, 6, 2)), layers.Conv2D(3, 3, activation="relu"), layers.Flatten()]
    )
    frames = kgraph.Input((None, 6, 6, 2))
    wrapper = layers.TimeDistributed(cnn)
    model = kgraph.Model(frames, wrapper(frames))
    x = np.random.default_rng(1).random((2, 3, 6, 6, 2)).astype("float32")
    got = model.predict(x, verbose=0)
    assert got.shape == (2, 3, 48)
    for t in range(3):
        np.testing.assert_allclose(got[:, t], cnn.predict(x[:, t], verbose=0), rtol=1e-6)
    nested = wrapper.get_config()["layer"]
    assert nested["class_name"] == "Sequential" and nested["module"] == "keras"
    model.save(tmp_path / "frames.keras")
    loaded = kgraph.saving.load_model(tmp_path / "frames.keras")
    np.testing.assert_allclose(loaded.predict(x, verbose=0), got, rtol=1e-6)
