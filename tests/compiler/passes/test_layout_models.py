"""Exported models keep channels-first work free of layout Transposes: at most one Transpose per
model input/output, none feeding a Conv or pooling node from another one."""

import collections

import onnx
import pytest

import kgraph as keras
from kgraph import layers

WINDOW_OPS = {"Conv", "MaxPool", "AveragePool"}


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


@pytest.mark.parametrize("build", [_seed_cnn, _conv_stack])
def test_transposes_only_at_model_boundaries(build):
    model = build()
    proto = onnx.load_from_string(model.to_onnx_bytes())
    consumers = collections.defaultdict(list)
    for node in proto.graph.node:
        for name in node.input:
            consumers[name].append(node.op_type)
    transposes = [n for n in proto.graph.node if n.op_type == "Transpose"]
    assert len(transposes) <= len(proto.graph.input) + len(proto.graph.output)
    producers = {o: n.op_type for n in proto.graph.node for o in n.output}
    for node in transposes:
        feeds_window = WINDOW_OPS & set(consumers[node.output[0]])
        from_window = producers.get(node.input[0]) in WINDOW_OPS | {"Relu", "Add", "Sigmoid"}
        assert not (feeds_window and from_window), node.name
