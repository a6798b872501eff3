"""Exported models keep channels-first work free of layout Transposes: exactly one Transpose per
NHWC model input/output that needs one, none between conv/pooling layers, and the same results
as the graph the layers trace before any layout pass."""

import numpy as np
import onnx
import onnxruntime as ort
import pytest

import kgraph as keras
from kgraph import layers
from kgraph.compiler import serde
from kgraph.models.export import trace_model

SHAPE = (8, 8, 3)


def _seed_cnn():
    return keras.Sequential(
        [
            keras.Input(shape=(28, 28, 1)),
            layers.Conv2D(32, (3, 3), activation="relu"),
            layers.Flatten(),
            layers.Dense(10, activation="softmax"),
        ]
    )


def _conv_stack():
    inputs = keras.Input((16, 16, 3))
    x = layers.Conv2D(8, 3, padding="same", activation="relu")(inputs)
    x = layers.MaxPooling2D()(x)
    y = layers.Conv2D(8, 3, padding="same")(x)
    y = layers.BatchNormalization()(y)
    y = layers.ReLU()(y)
    x = layers.Add()([x, layers.Conv2D(8, 3, padding="same")(y)])
    x = layers.AveragePooling2D(padding="same")(x)
    x = layers.Conv2D(4, 1, activation="sigmoid")(x)
    return keras.Model(inputs, layers.GlobalAveragePooling2D()(x))


def _gelu_tanh(x):
    return keras.ops.gelu(x, approximate=True)


def _conv_then(activation, following):
    def build():
        inputs = keras.Input(SHAPE)
        x = layers.Conv2D(4, 1, activation=activation)(inputs)
        return keras.Model(inputs, following()(x))

    return build


def _concat_then_pool():
    inputs = keras.Input(SHAPE)
    a = layers.Conv2D(4, 3, padding="same", activation="relu")(inputs)
    b = layers.Conv2D(5, 1)(inputs)
    return keras.Model(inputs, layers.MaxPooling2D()(layers.Concatenate()([a, b])))


def _inception():
    inputs = keras.Input(SHAPE)
    a = layers.Conv2D(4, 1, activation="relu")(inputs)
    b = layers.Conv2D(4, 3, padding="same", activation="silu")(inputs)
    c = layers.MaxPooling2D(3, 1, padding="same")(inputs)
    x = layers.Concatenate()([a, b, c])
    return keras.Model(inputs, layers.Conv2D(4, 1, activation="gelu")(x))


def _skip_from_input():
    """U-Net-style: the block's input joins the concatenation."""
    inputs = keras.Input(SHAPE)
    a = layers.Conv2D(4, 3, padding="same", activation="relu")(inputs)
    x = layers.Concatenate()([a, inputs])
    return keras.Model(inputs, layers.Conv2D(2, 1)(x))


def _residual():
    inputs = keras.Input(SHAPE)
    x = layers.Conv2D(6, 3, padding="same", activation="relu")(inputs)
    y = layers.Conv2D(6, 3, padding="same", activation="silu")(x)
    y = layers.Conv2D(6, 3, padding="same")(y)
    x = layers.Activation("relu")(layers.Add()([x, y]))
    x = layers.MaxPooling2D()(x)
    return keras.Model(inputs, layers.Conv2D(2, 1)(x))


def _batch_norm_swish_dense():
    inputs = keras.Input(SHAPE)
    x = layers.Conv2D(6, 3, padding="same")(inputs)
    x = layers.Activation("swish")(layers.BatchNormalization()(x))
    x = layers.Flatten()(layers.MaxPooling2D()(x))
    return keras.Model(inputs, layers.Dense(3)(x))


def _gelu_global_pool():
    inputs = keras.Input(SHAPE)
    x = layers.Conv2D(4, 3, activation="gelu")(inputs)
    x = layers.GlobalAveragePooling2D()(x)
    return keras.Model(inputs, layers.Dense(2, activation="softmax")(x))


def _conv1d_silu_softmax():
    inputs = keras.Input((16, 3))
    x = layers.MaxPooling1D()(layers.Conv1D(4, 3, activation="silu")(inputs))
    return keras.Model(inputs, layers.Conv1D(2, 1, activation="softmax")(x))


def _two_inputs():
    """The second input joins the concatenation: one Transpose per input all the same."""
    first, second = keras.Input(SHAPE), keras.Input(SHAPE)
    x = layers.Concatenate()([layers.Conv2D(4, 1)(first), second])
    return keras.Model([first, second], layers.Conv2D(2, 1, activation="swish")(x))


# (builder, Transposes expected: the NHWC input, plus the output when it is NHWC)
CASES = {
    "seed_cnn": (_seed_cnn, 1),
    "conv_stack": (_conv_stack, 1),
    "silu_maxpool": (_conv_then("silu", layers.MaxPooling2D), 2),
    "swish_maxpool": (_conv_then("swish", layers.MaxPooling2D), 2),
    "gelu_conv": (_conv_then("gelu", lambda: layers.Conv2D(3, 1)), 2),
    "gelu_tanh_conv": (_conv_then(_gelu_tanh, lambda: layers.Conv2D(3, 1)), 2),
    "softmax_avgpool": (_conv_then("softmax", layers.AveragePooling2D), 2),
    "log_softmax_maxpool": (_conv_then("log_softmax", layers.MaxPooling2D), 2),
    "concat_maxpool": (_concat_then_pool, 2),
    "inception": (_inception, 2),
    "skip_from_input": (_skip_from_input, 2),
    "residual": (_residual, 2),
    "batch_norm_swish_dense": (_batch_norm_swish_dense, 1),
    "gelu_global_pool": (_gelu_global_pool, 1),
    "conv1d_silu_softmax": (_conv1d_silu_softmax, 2),
    "two_inputs": (_two_inputs, 3),
}


def _session(data: bytes) -> ort.InferenceSession:
    return ort.InferenceSession(data, providers=["CPUExecutionProvider"])


@pytest.mark.parametrize("batch_size", [None, 1])
@pytest.mark.parametrize("name", list(CASES))
def test_transposes_only_at_model_boundaries(name, batch_size):
    build, expected = CASES[name]
    proto = onnx.load_from_string(build().to_onnx_bytes(batch_size=batch_size))
    inputs = {v.name for v in proto.graph.input}
    outputs = {v.name for v in proto.graph.output}
    transposes = [n for n in proto.graph.node if n.op_type == "Transpose"]
    assert len(transposes) == expected, [n.name for n in transposes]
    for node in transposes:
        assert node.input[0] in inputs or node.output[0] in outputs, node.name


def inputs_for(model, batch: int, seed: int = 0) -> list[np.ndarray]:
    """Random float32 arrays, one per model input."""
    rng = np.random.default_rng(seed)
    return [rng.standard_normal((batch, *t.shape[1:])).astype(np.float32) for t in model.inputs]


def _run(data: bytes, xs: list[np.ndarray]) -> np.ndarray:
    session = _session(data)
    return session.run(None, {i.name: x for i, x in zip(session.get_inputs(), xs)})[0]


@pytest.mark.parametrize("opset", [None, 12, 17])  # 12: Softmax flattens; 17: Reduce axes attrs
@pytest.mark.parametrize("name", list(CASES))
def test_results_match_the_graph_before_layout_passes(name, opset):
    model = CASES[name][0]()
    xs = inputs_for(model, 3)
    builder, _, _ = trace_model(model, opset=opset)
    expected = _run(serde.to_bytes(serde.to_model(builder.graph)), xs)
    if opset is None:
        got = model.predict(xs if len(xs) > 1 else xs[0], verbose=0)
    else:
        got = _run(model.to_onnx_bytes(opset=opset), xs)
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-5)
