"""Functional models on intermediate tensors (``keras.Model(inputs=h, outputs=o)`` with ``h``
made by a layer), as Keras' ``clone_graph_nodes`` builds them: a new Input stands for each
intermediate input, the layers in between are shared, the original model is untouched."""

from __future__ import annotations

import numpy as np
import pytest

import kgraph
from kgraph import layers

RNG = np.random.default_rng(0)


def _graph():
    a = kgraph.Input((4,), name="a")
    h = layers.Dense(5, activation="relu", name="h")(a)
    o = layers.Dense(2, name="o")(layers.Dense(3, activation="tanh", name="m")(h))
    return a, h, o


def _numpy_tail(model, hidden):
    (m_kernel, m_bias), (o_kernel, o_bias) = (model.get_layer(n).get_weights() for n in "mo")
    return np.tanh(hidden @ m_kernel + m_bias) @ o_kernel + o_bias


def test_model_from_an_intermediate_tensor_computes_the_tail():
    _, h, o = _graph()
    tail = kgraph.Model(h, o)
    assert [layer.name for layer in tail.layers] == ["hCLONE", "m", "o"]
    assert tail.inputs[0].shape == (None, 5)
    hidden = RNG.random((3, 5), dtype=np.float32)
    np.testing.assert_allclose(
        tail.predict(hidden, verbose=0), _numpy_tail(tail, hidden), rtol=1e-5, atol=1e-6
    )


def test_layers_are_shared_and_the_original_graph_is_untouched():
    a, h, o = _graph()
    full, tail = kgraph.Model(a, o), kgraph.Model(h, o)
    x = RNG.random((8, 4), dtype=np.float32)
    hidden = kgraph.Model(a, h).predict(x, verbose=0)
    tail.compile(optimizer="sgd", loss="mse")
    tail.fit(hidden, np.ones((8, 2), np.float32), verbose=0)  # trains the shared m and o
    np.testing.assert_allclose(
        full.predict(x, verbose=0), _numpy_tail(full, hidden), rtol=1e-5, atol=1e-6
    )
    assert [layer.name for layer in full.layers] == ["a", "h", "m", "o"]


def test_inputs_may_mix_input_and_intermediate_tensors_in_a_dict():
    _, h, _ = _graph()
    b = kgraph.Input((5,), name="b")
    out = layers.Add(name="sum")([h, b])
    with pytest.warns(UserWarning, match="Received key 'hidden'"):  # as Keras
        model = kgraph.Model({"hidden": h, "b": b}, out)
    hidden, extra = RNG.random((2, 5), dtype=np.float32), RNG.random((2, 5), dtype=np.float32)
    got = model.predict({"hidden": hidden, "b": extra}, verbose=0)
    np.testing.assert_allclose(got, hidden + extra, rtol=1e-6)


def test_invalid_inputs_are_refused_in_one_line():
    _, h, o = _graph()
    with pytest.raises(ValueError, match="All `inputs` values must be KerasTensors"):
        kgraph.Model([1], o)
    with pytest.raises(ValueError, match=r"All `outputs` values must be KerasTensors.*'str'"):
        kgraph.Model(kgraph.Input((3,)), "x")
    with pytest.raises(ValueError, match=r"All `outputs` values must be KerasTensors.*ndarray"):
        kgraph.Model(h, [o, np.ones(3)])
    other = kgraph.Input((2,), name="other")
    with pytest.raises(ValueError, match="other"):
        kgraph.Model(h, layers.Add()([o, other]))
