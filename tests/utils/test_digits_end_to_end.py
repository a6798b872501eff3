"""End to end: scikit-learn's digits written as PNG files, one folder per class →
``image_dataset_from_directory`` → a CNN starting with Rescaling, RandomFlip and
RandomRotation → ≥ 90 % validation accuracy → exported ONNX file → a separate Python process
with only onnxruntime, Pillow and numpy classifies a PNG from disk as ``model.predict`` does."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

import kgraph
from kgraph import layers

sklearn_datasets = pytest.importorskip("sklearn.datasets")

DEPLOY = """
import json, sys
import numpy as np
import onnxruntime as ort
from PIL import Image
assert not any(name.split(".")[0] in ("kgraph", "keras", "tensorflow", "torch", "jax")
               for name in sys.modules), "the deployment script must not need a framework"
session = ort.InferenceSession(sys.argv[1], providers=["CPUExecutionProvider"])
pixels = np.asarray(Image.open(sys.argv[2]), dtype=np.float32)[None, :, :, None]
probs = session.run(None, {session.get_inputs()[0].name: pixels})[0]
print(json.dumps(probs.tolist()))
"""


def _write_digits(root):
    digits = sklearn_datasets.load_digits()
    for i, (image, label) in enumerate(zip(digits.images, digits.target)):
        os.makedirs(os.path.join(root, str(label)), exist_ok=True)
        pixels = (image * 255 / 16).astype(np.uint8)
        Image.fromarray(pixels).save(os.path.join(root, str(label), f"{i:04d}.png"))


def _model():
    kgraph.utils.set_random_seed(0)
    model = kgraph.Sequential(
        [
            kgraph.Input((8, 8, 1)),
            layers.Rescaling(1.0 / 255),
            layers.RandomFlip("horizontal"),
            layers.RandomRotation(0.05),
            layers.Conv2D(32, 3, activation="relu", padding="same"),
            layers.MaxPooling2D(),
            layers.Flatten(),
            layers.Dense(64, activation="relu"),
            layers.Dense(10, activation="softmax"),
        ]
    )
    model.compile(
        optimizer=kgraph.optimizers.Adam(3e-3),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    return model


def test_digits_from_png_folders_train_export_and_deploy(tmp_path):
    root = str(tmp_path / "digits")
    _write_digits(root)
    train, val = kgraph.utils.image_dataset_from_directory(
        root,
        image_size=(8, 8),
        color_mode="grayscale",
        validation_split=0.2,
        subset="both",
        seed=1,
        verbose=False,
    )
    model = _model()
    history = model.fit(train, validation_data=val, epochs=15, verbose=0)
    assert history.history["val_accuracy"][-1] >= 0.9
    path = str(tmp_path / "digits.onnx")
    model.export(path)
    image_file = val.file_paths[0]
    script = tmp_path / "deploy.py"
    script.write_text(DEPLOY)
    out = subprocess.run(
        [sys.executable, str(script), path, image_file], capture_output=True, text=True, check=True
    )
    deployed = np.asarray(json.loads(out.stdout))
    pixels = np.asarray(Image.open(image_file), dtype=np.float32)[None, :, :, None]
    expected = model.predict(pixels, verbose=0)
    np.testing.assert_allclose(deployed, expected, rtol=1e-5, atol=1e-6)
