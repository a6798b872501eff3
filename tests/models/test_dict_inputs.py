"""A Functional model built with ``inputs={key: Input}`` reads dict data by those keys."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import kgraph as keras

RNG = np.random.default_rng(4)


def _model(named: bool):
    a = keras.Input((3,), name="a" if named else None)
    b = keras.Input((2,), name="b" if named else None)
    h = keras.layers.Concatenate()([a, b])
    dense = keras.layers.Dense(2)
    return keras.Model(inputs={"b_key": b, "a_key": a}, outputs=dense(h)), dense


def test_dict_keys_map_data_and_warn_when_they_differ_from_tensor_names():
    with pytest.warns(UserWarning) as record:
        model, dense = _model(named=False)
    assert sorted(str(w.message).split("key '")[1][:5] for w in record) == ["a_key", "b_key"]
    xa = RNG.standard_normal((4, 3)).astype(np.float32)
    xb = RNG.standard_normal((4, 2)).astype(np.float32)
    out = model.predict({"a_key": xa, "b_key": xb}, verbose=0)
    kernel, bias = dense.get_weights()
    np.testing.assert_allclose(out, np.concatenate([xa, xb], 1) @ kernel + bias, rtol=1e-5)
    model.compile("sgd", "mse")
    y = RNG.standard_normal((4, 2)).astype(np.float32)
    loss = model.evaluate({"a_key": xa, "b_key": xb}, y, verbose=0)
    pred = np.concatenate([xa, xb], 1) @ kernel + bias
    assert loss == pytest.approx(float(np.mean((pred - y) ** 2)), rel=1e-5)
    model.fit({"a_key": xa, "b_key": xb}, y, epochs=1, verbose=0)
    with pytest.raises(ValueError, match=r"missing \['b_key'\]"):
        model.predict({"a_key": xa}, verbose=0)


def test_matching_names_do_not_warn():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        a = keras.Input((3,), name="a")
        model = keras.Model(inputs={"a": a}, outputs=keras.layers.Dense(1)(a))
    assert model.predict({"a": np.ones((2, 3), np.float32)}, verbose=0).shape == (2, 1)
