"""Transfer learning as Keras users do it: a frozen pretrained base plus a new head trains only
the head (the step graph has no gradient node for the base, and the base's batch norms run in
inference mode); unfreezing and recompiling with a low learning rate then trains the base."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import pytest

import kgraph as keras
from kgraph.models.artifacts import export_training_artifacts

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "transfer_learning.py"
LOSS = keras.losses.SparseCategoricalCrossentropy(from_logits=True)


def _data(n=16, seed=0):
    rng = np.random.default_rng(seed)
    return rng.uniform(0, 255, (n, 32, 32, 3)).astype("float32"), rng.integers(0, 3, n)


def _model():
    base = keras.applications.MobileNetV3Small(
        weights=None, include_top=False, input_shape=(32, 32, 3), pooling="avg"
    )
    inputs = keras.Input((32, 32, 3))
    features = base(inputs, training=False)
    outputs = keras.layers.Dense(3, name="head")(features)  # logits: no clipped gradients
    return base, keras.Model(inputs, outputs)


def _gradient_scopes(model, folder) -> set[str]:
    """The layer scopes of the step graph's gradient nodes (``grad/<model>/<scope>/...``, or
    ``grad/loss/...`` for the loss, which is outside the model)."""
    graph = onnx.load(export_training_artifacts(model, folder)["step.onnx"]).graph
    paths = [n.name.split("/")[1:] for n in graph.node if n.name.startswith("grad/")]
    return {path[1] if path[0] == model.name else path[0] for path in paths}


def test_frozen_base_then_fine_tuning(tmp_path):
    base, model = _model()
    base.trainable = False
    assert base.trainable_weights == [] and len(model.trainable_weights) == 2
    model.compile(keras.optimizers.SGD(learning_rate=0.0), LOSS)
    x, y = _data()
    # the training forward of a frozen base is its inference forward (BN on moving statistics)
    logits = model.predict(x, verbose=0).astype("float64")
    log_probs = logits - logits.max(1, keepdims=True)
    log_probs -= np.log(np.exp(log_probs).sum(1, keepdims=True))
    expected = -np.mean(log_probs[np.arange(len(y)), y])
    loss = model.train_on_batch(x, y)
    np.testing.assert_allclose(np.asarray(loss).ravel()[0], expected, rtol=1e-4)

    assert _gradient_scopes(model, tmp_path / "frozen") <= {"loss", "head"}
    model.compile(keras.optimizers.Adam(1e-2), LOSS)
    base_before = [w.copy() for w in base.get_weights()]
    head_before = [w.copy() for w in model.get_layer("head").get_weights()]
    model.fit(x, y, epochs=2, batch_size=8, verbose=0)
    for a, b in zip(base_before, base.get_weights()):
        np.testing.assert_array_equal(a, b)
    assert not np.allclose(head_before[0], model.get_layer("head").get_weights()[0])

    base.trainable = True
    model.compile(keras.optimizers.Adam(1e-4), LOSS)
    scopes = _gradient_scopes(model, tmp_path / "tuned")
    assert any(scope.startswith(base.name) for scope in scopes), scopes
    model.fit(x, y, epochs=1, batch_size=8, verbose=0)
    changed = [
        w.path
        for w, before in zip(base.weights, base_before)
        if not np.array_equal(np.asarray(w.numpy()), before)
    ]
    assert "conv/kernel" in changed and "conv_1/kernel" in changed, changed
    # called with training=False, the batch norms keep their statistics while fine-tuning
    assert not [path for path in changed if "moving" in path]


@pytest.mark.slow
def test_transfer_learning_example_runs(tmp_path):
    """examples/transfer_learning.py end to end on a few images: the exported model, run by
    ``kgraph predict`` on raw pixels, gives the model's own prediction."""
    spec = importlib.util.spec_from_file_location("tl_example", EXAMPLE)
    example = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(example)
    example.main(["--out", str(tmp_path), "--epochs", "1", "--per-class", "4", "--weights", "none"])
    pixels = np.load(tmp_path / "image.npy")
    session = ort.InferenceSession(str(tmp_path / "digits_mobilenet_v3.onnx"))
    (expected,) = session.run(None, {"image": pixels})
    np.testing.assert_allclose(np.load(tmp_path / "prediction.npy"), expected, rtol=1e-5)
