"""The seed note's code examples §1A, §1B and §3, verbatim but for ``import kgraph as keras``.

Each model is compiled to ONNX, passes ``onnx.checker`` with ``full_check``, and runs in a plain
``onnxruntime.InferenceSession`` with the results of a numpy reference built from its weights.
"""

from __future__ import annotations

import numpy as np
import onnx
import onnxruntime as ort

import kgraph as keras
from kgraph import layers, ops


def conv2d_valid(x: np.ndarray, kernel: np.ndarray, bias: np.ndarray) -> np.ndarray:
    """NHWC 'valid' convolution, stride 1, Keras' (kh, kw, in, out) kernel, in float64."""
    windows = np.lib.stride_tricks.sliding_window_view(
        x.astype(np.float64), kernel.shape[:2], axis=(1, 2)
    )  # (n, h, w, c, kh, kw)
    return np.einsum("nhwcij,ijco->nhwo", windows, kernel.astype(np.float64)) + bias


def softmax(x: np.ndarray) -> np.ndarray:
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def run_onnx(model, x: np.ndarray) -> np.ndarray:
    """Compiles ``model``, checks the ONNX file fully, runs it in a plain InferenceSession."""
    data = model.to_onnx_bytes()
    onnx.checker.check_model(onnx.load_from_string(data), full_check=True)
    session = ort.InferenceSession(data, providers=["CPUExecutionProvider"])
    (out,) = session.run(None, {session.get_inputs()[0].name: x})
    return out


def images(n: int = 3) -> np.ndarray:
    return np.random.default_rng(7).random((n, 28, 28, 1), dtype=np.float32)


def test_1a_sequential() -> None:
    # --- §1A, verbatim -----------------------------------------------------------------------
    model = keras.Sequential(
        [
            keras.Input(shape=(28, 28, 1)),
            layers.Conv2D(32, (3, 3), activation="relu"),
            layers.Flatten(),
            layers.Dense(10, activation="softmax"),
        ]
    )
    # -----------------------------------------------------------------------------------------
    kernel, bias, dense_w, dense_b = model.get_weights()
    assert kernel.shape == (3, 3, 1, 32) and dense_w.shape == (26 * 26 * 32, 10)
    x = images()
    hidden = np.maximum(conv2d_valid(x, kernel, bias), 0.0).reshape(len(x), -1)
    expected = softmax(hidden @ dense_w + dense_b)
    got = run_onnx(model, x)
    assert got.shape == (3, 10)
    np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(model.predict(x), expected, rtol=1e-4, atol=1e-6)


def test_1b_functional() -> None:
    # --- §1B, verbatim -----------------------------------------------------------------------
    inputs = keras.Input(shape=(28, 28, 1))
    x = layers.Conv2D(32, (3, 3), activation="relu")(inputs)
    x = layers.MaxPooling2D()(x)
    outputs = layers.Dense(10, activation="softmax")(x)
    model = keras.Model(inputs=inputs, outputs=outputs)
    # -----------------------------------------------------------------------------------------
    assert tuple(outputs.shape) == (None, 13, 13, 10)  # Dense acts on the last axis of a 4-D tensor
    kernel, bias, dense_w, dense_b = model.get_weights()
    data = images()
    conv = np.maximum(conv2d_valid(data, kernel, bias), 0.0)  # (n, 26, 26, 32)
    pooled = conv.reshape(len(data), 13, 2, 13, 2, 32).max(axis=(2, 4))
    expected = softmax(pooled @ dense_w + dense_b)
    got = run_onnx(model, data)
    assert got.shape == (3, 13, 13, 10)
    np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(model.predict(data), expected, rtol=1e-4, atol=1e-6)


def test_3_keras_ops() -> None:
    # --- §3, verbatim --------------------------------------------------------------------------
    def custom_activation(x):
        return ops.maximum(x, 0) + ops.sin(x)

    a = ops.convert_to_tensor([[1.0, 2.0], [3.0, 4.0]])
    b = ops.matmul(a, a)
    # -----------------------------------------------------------------------------------------
    reference = np.array([[1.0, 2.0], [3.0, 4.0]], np.float32)
    np.testing.assert_array_equal(np.asarray(a), reference)
    np.testing.assert_allclose(np.asarray(b), reference @ reference, rtol=1e-6)
    values = np.linspace(-3, 3, 13, dtype=np.float32).reshape(1, 13)
    expected = np.maximum(values, 0) + np.sin(values)
    np.testing.assert_allclose(
        np.asarray(custom_activation(values)), expected, rtol=1e-6, atol=1e-6
    )

    class CustomActivation(keras.Layer):  # "custom layers written with ops run everywhere"
        def call(self, inputs):
            return custom_activation(inputs)

    inputs = keras.Input(shape=(13,))
    model = keras.Model(inputs=inputs, outputs=CustomActivation()(inputs))
    np.testing.assert_allclose(run_onnx(model, values), expected, rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(model.predict(values), expected, rtol=1e-6, atol=1e-6)
