"""``kgraph.ops`` applied between the layers of a Functional model (Keras 3's functional ops):
each call becomes a weightless node that predicts, exports, trains and round-trips through the
model config like a layer."""

from __future__ import annotations

import numpy as np
import onnxruntime as ort

import kgraph as keras
from kgraph import layers, ops

RNG = np.random.default_rng(8)
X = RNG.standard_normal((6, 3)).astype(np.float32)


def build():
    inputs = keras.Input((3,), name="x")
    hidden = layers.Dense(4, name="h")(inputs)
    z = (ops.relu(hidden) + 1.0)[:, :2] * ops.sin(hidden[:, 2:])
    z = ops.concatenate([z, inputs], axis=-1)
    return keras.Model(inputs, layers.Dense(1, name="o")(ops.expand_dims(z, 1)[:, 0]))


def reference(model, x):
    (kernel, bias), (out_kernel, out_bias) = (
        model.get_layer(name).get_weights() for name in ("h", "o")
    )
    hidden = x @ kernel + bias
    z = (np.maximum(hidden, 0) + 1)[:, :2] * np.sin(hidden[:, 2:])
    return np.concatenate([z, x], axis=-1) @ out_kernel + out_bias


def test_op_nodes_predict_and_export_like_numpy(tmp_path):
    model = build()
    assert [layer.name for layer in model.layers] == ["x", "h", "o"]  # as Keras lists them
    nodes = [type(layer).__name__ for layer in model._functional_layers]
    assert nodes.count("OpLayer") == 9
    np.testing.assert_allclose(model.predict(X, verbose=0), reference(model, X), atol=1e-5)
    model.export(tmp_path / "m.onnx", verbose=False)
    session = ort.InferenceSession(tmp_path / "m.onnx", providers=["CPUExecutionProvider"])
    np.testing.assert_allclose(session.run(None, {"x": X})[0], reference(model, X), atol=1e-5)


def test_op_nodes_survive_the_config_round_trip():
    model = build()
    clone = keras.Model.from_config(model.get_config())
    clone.set_weights(model.get_weights())
    assert [layer.name for layer in clone.layers] == [layer.name for layer in model.layers]
    np.testing.assert_allclose(clone.predict(X, verbose=0), model.predict(X, verbose=0))


def test_op_nodes_train():
    model = build()
    model.compile(keras.optimizers.SGD(0.1), "mse")
    y = np.zeros((6, 1), np.float32)
    before = float(np.mean(reference(model, X) ** 2))
    model.fit(X, y, batch_size=6, epochs=1, verbose=0)
    eps, kernel = 1e-3, model.get_layer("o").get_weights()[0]
    assert np.isfinite(kernel).all() and float(np.mean(reference(model, X) ** 2)) < before - eps


def test_ops_inside_a_layer_stay_inside_it():
    class Gate(keras.layers.Layer):
        def call(self, x):
            return x * ops.sigmoid(x)

    inputs = keras.Input((3,))
    model = keras.Model(inputs, Gate(name="gate")(inputs))
    assert [layer.name for layer in model.layers][1:] == ["gate"]
    np.testing.assert_allclose(model.predict(X, verbose=0), X / (1 + np.exp(-X)), rtol=1e-5)


def test_predict_keeps_outputs_that_fold_the_batch_axis():
    """A reshape that folds the batch axis into the rows: predict concatenates each batch's
    output whole (Keras gives (15, 3, 2) for 5 samples in batches of 2), it does not cut the
    last batch's output to its sample count."""
    inputs = keras.Input((6, 3))
    model = keras.Model(inputs, ops.reshape(inputs, (-1, 3, 2)))
    x = RNG.standard_normal((5, 6, 3)).astype(np.float32)
    for batch_size in (2, 32):
        got = model.predict(x, batch_size=batch_size, verbose=0)
        np.testing.assert_array_equal(got, x.reshape(-1, 3, 2))
