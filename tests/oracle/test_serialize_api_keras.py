"""``kgraph.layers.serialize`` / ``deserialize`` and ``activations.deserialize`` cross to and
from real Keras 3 on JAX (oracle group)."""

from __future__ import annotations

import pytest

from kgraph import activations, layers
from tests.oracle.keras_oracle import MARKS, keras

pytestmark = [*MARKS, pytest.mark.usefixtures("numpy_initial_weights")]


CASES = [
    ("Dense", dict(units=3, activation="relu", use_bias=False)),
    ("Conv2D", dict(filters=2, kernel_size=(3, 2), padding="same", activation="gelu")),
]


@pytest.mark.parametrize(("class_name", "kwargs"), CASES)
def test_layer_configs_cross_both_ways(class_name, kwargs):
    ours = getattr(layers, class_name)(**kwargs)
    theirs = getattr(keras.layers, class_name)(**kwargs)
    theirs_copy = keras.layers.deserialize(layers.serialize(ours))
    ours_copy = layers.deserialize(keras.layers.serialize(theirs))
    assert type(theirs_copy).__name__ == type(ours_copy).__name__ == class_name
    for key, value in kwargs.items():
        expected = tuple(value) if isinstance(value, tuple) else value
        got_theirs, got_ours = theirs_copy.get_config()[key], ours_copy.get_config()[key]
        assert (tuple(got_theirs) if isinstance(got_theirs, list) else got_theirs) == expected
        assert (tuple(got_ours) if isinstance(got_ours, list) else got_ours) == expected


@pytest.mark.parametrize("name", ["relu", "gelu", "softplus", "swish"])
def test_activation_configs_from_keras(name):
    config = keras.activations.serialize(keras.activations.get(name))
    assert activations.deserialize(config) is activations.get(name)
