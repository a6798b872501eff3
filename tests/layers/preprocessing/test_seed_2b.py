"""The seed note's §2B snippet, verbatim but for ``import kgraph as keras``: it builds, trains a
couple of steps with a head added, and exports an inference graph that takes raw 0-255 NHWC
images and carries the rescaling but no random op."""

from __future__ import annotations

import json

import numpy as np
import onnx
import onnxruntime as ort

import kgraph as keras
from kgraph import layers


def test_seed_2b_runs_trains_and_exports(tmp_path):
    # --- §2B, verbatim -----------------------------------------------------------------------
    data_augmentation = keras.Sequential(
        [
            layers.Rescaling(1.0 / 255),
            layers.RandomFlip("horizontal"),
            layers.RandomRotation(0.1),
        ]
    )

    model = keras.Sequential(
        [
            keras.Input(shape=(256, 256, 3)),
            data_augmentation,  # <--- preprocessing
            # model layers
            # layers.Conv2D(32, 3, activation='relu'),
            # ...
        ]
    )
    # -----------------------------------------------------------------------------------------
    raw = np.random.default_rng(0).uniform(0, 255, (4, 256, 256, 3)).astype(np.float32)
    np.testing.assert_allclose(model.predict(raw, verbose=0), raw / 255, rtol=1e-6)
    augmented = data_augmentation(raw, training=True)  # eager augmentation of a batch
    assert augmented.shape == raw.shape and 0.0 <= augmented.min() <= augmented.max() <= 1.0

    model.add(layers.Conv2D(4, 3, strides=4, activation="relu"))
    model.add(layers.GlobalAveragePooling2D())
    model.add(layers.Dense(2, activation="softmax"))
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    history = model.fit(raw, np.array([0, 1, 0, 1]), batch_size=2, epochs=1, verbose=0)
    assert np.isfinite(history.history["loss"]).all()

    path = tmp_path / "model.onnx"
    model.export(str(path), format="onnx")
    graph = onnx.load(str(path)).graph
    kinds = {n.op_type for n in graph.node}
    assert not kinds & {"RandomUniformLike", "RandomUniform", "RandomNormalLike", "GatherND"}
    (inp,) = graph.input
    assert [d.dim_value for d in inp.type.tensor_type.shape.dim[1:]] == [256, 256, 3]
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    (got,) = session.run(None, {inp.name: raw})  # raw 0-255 pixels in, rescaled inside
    np.testing.assert_allclose(got, model.predict(raw, verbose=0), rtol=1e-5, atol=1e-6)


def test_metadata_states_the_input_contract():
    inputs = keras.Input((8, 8, 3), dtype="uint8")
    x = keras.Sequential([layers.Rescaling(1 / 255), layers.RandomFlip()])(inputs)
    model = keras.Model(inputs, layers.Conv2D(2, 3)(x))
    data = model.to_onnx_bytes()
    meta = {p.key: p.value for p in onnx.load_from_string(data).metadata_props}
    contract = json.loads(meta["input_contract"])
    assert contract["preprocessing"] == ["Rescaling", "RandomFlip"]
    assert contract["value_range"] == [0, 255]
    (entry,) = contract["inputs"]
    assert entry["dtype"] == "uint8" and entry["layout"] == "NHWC"
    assert entry["shape"] == [None, 8, 8, 3]
    raw = np.random.default_rng(1).integers(0, 256, (2, 8, 8, 3)).astype(np.uint8)
    session = ort.InferenceSession(data, providers=["CPUExecutionProvider"])
    (got,) = session.run(None, {session.get_inputs()[0].name: raw})  # uint8 pixels in
    np.testing.assert_allclose(got, model.predict(raw, verbose=0), rtol=1e-5, atol=1e-6)
    plain = keras.Sequential([keras.Input((3,)), layers.Dense(1)])
    meta = {p.key: p.value for p in onnx.load_from_string(plain.to_onnx_bytes()).metadata_props}
    plain_contract = json.loads(meta["input_contract"])  # no preprocessing: dtype and shape only
    assert plain_contract["preprocessing"] == [] and plain_contract["value_range"] is None
    assert (
        plain_contract["inputs"][0]["shape"] == [None, 3]
        and "layout" not in plain_contract["inputs"][0]
    )
