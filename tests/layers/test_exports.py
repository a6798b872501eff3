"""``kgraph.layers`` exports the Keras 3 names of the foundation layer set."""

from __future__ import annotations

import pytest

import kgraph as keras

NAMES = [
    "Activation",
    "Add",
    "Average",
    "AveragePooling1D",
    "AveragePooling2D",
    "AveragePooling3D",
    "BatchNormalization",
    "Concatenate",
    "Conv1D",
    "Conv2D",
    "Conv3D",
    "Dense",
    "Dropout",
    "ELU",
    "Flatten",
    "GlobalAveragePooling1D",
    "GlobalAveragePooling2D",
    "GlobalAveragePooling3D",
    "GlobalMaxPooling1D",
    "GlobalMaxPooling2D",
    "GlobalMaxPooling3D",
    "Identity",
    "LeakyReLU",
    "MaxPooling1D",
    "MaxPooling2D",
    "MaxPooling3D",
    "Maximum",
    "Minimum",
    "Multiply",
    "Permute",
    "ReLU",
    "Reshape",
    "Softmax",
    "Subtract",
    "add",
    "average",
    "concatenate",
    "maximum",
    "minimum",
    "multiply",
    "subtract",
]


@pytest.mark.parametrize("name", NAMES)
def test_exported(name):
    assert name in keras.layers.__all__
    assert getattr(keras.layers, name) is not None


def test_all_names_resolve():
    for name in keras.layers.__all__:
        assert hasattr(keras.layers, name), name


def test_auto_names_follow_keras():
    assert keras.layers.MaxPooling2D().name.startswith("max_pooling2d")
    assert keras.layers.BatchNormalization().name.startswith("batch_normalization")
    assert keras.layers.GlobalAveragePooling1D().name.startswith("global_average_pooling1d")
