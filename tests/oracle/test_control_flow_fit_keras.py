"""Oracle: models whose layers use traced control flow (cond, switch, scan, fori_loop,
vectorized_map, while_loop with maximum_iterations) predict and ``fit`` like real Keras (JAX
backend, where they are lax.cond / lax.switch / lax.scan / vmap). In kgraph they are ONNX If and
Scan nodes differentiated by the If and Scan gradient rules. Both libraries start from the same
weights and fit three batches with ``shuffle=False``; losses and weights must agree."""

from __future__ import annotations

import numpy as np
import pytest

import kgraph
from tests.oracle.keras_oracle import MARKS, keras

pytestmark = [*MARKS, pytest.mark.usefixtures("numpy_initial_weights")]

RNG = np.random.default_rng(41)


def _layer(lib, kind):
    """One custom layer of kind ``kind``, written against ``lib`` (kgraph or keras)."""
    o = lib.ops

    class Flow(lib.layers.Layer):
        def build(self, input_shape):
            self.w = self.add_weight(shape=(input_shape[-1],), initializer="ones", name="w")

        def call(self, x):
            w = self.w
            if kind == "cond":
                return o.cond(o.mean(x) > 0.0, lambda: x * w, lambda: o.tanh(x) * w - w)
            if kind == "cond+scan":  # a scan over the features inside one cond branch
                return o.cond(o.mean(x) > 0.0, lambda: self.recur(x) * w, lambda: x - w)
            if kind == "switch":
                index = o.cast(o.floor(o.mean(x) * 2.0 + 1.0), "int32")
                branches = [lambda a: a * w, lambda a: o.sin(a * w), lambda a: a - w * w]
                return o.switch(index, branches, x)
            if kind == "scan":
                return self.recur(x) * w
            if kind == "fori_loop":
                return o.fori_loop(0, 3, lambda i, v: o.sin(v) * w + o.cast(i, "float32"), x)
            if kind == "vectorized_map":
                return o.vectorized_map(lambda r: o.softmax(r * w) * o.sum(r), x)
            return o.while_loop(  # while_loop with maximum_iterations
                lambda v: o.max(o.abs(v)) > 0.5, lambda v: v * 0.5 * w, x, maximum_iterations=4
            )

        def recur(self, x):
            """A recurrence over the features of each sample."""
            steps = o.transpose(x)
            start = o.zeros_like(steps[0])
            _, ys = o.scan(lambda h, r: (o.tanh(h * 0.5 + r), h * r), start, steps)
            return o.transpose(ys)

        def compute_output_shape(self, input_shape):
            return input_shape

    return Flow(name="flow")


def _model(lib, kind):
    inputs = lib.Input((4,))
    x = lib.layers.Dense(4, name="dense")(inputs)
    return lib.Model(inputs, lib.layers.Dense(2, name="head")(_layer(lib, kind)(x)))


SLOW = pytest.mark.slow  # each case compiles a Keras JAX training step (~7 s)
KINDS = [
    "cond+scan",
    *(
        pytest.param(k, marks=SLOW)
        for k in ("cond", "switch", "scan", "fori_loop", "vectorized_map")
    ),
]


def _pair(kind):
    kgraph.utils.clear_session()
    keras.backend.clear_session()
    ours, theirs = _model(kgraph, kind), _model(keras, kind)
    theirs.set_weights(ours.get_weights())
    ours.get_layer("flow").set_weights([np.array([0.9, -0.6, 1.2, 0.4], np.float32)])
    theirs.get_layer("flow").set_weights(ours.get_layer("flow").get_weights())
    x = (RNG.standard_normal((24, 4)) * 1.5).astype(np.float32)
    y = RNG.standard_normal((24, 2)).astype(np.float32)
    np.testing.assert_allclose(
        ours.predict(x, verbose=0), theirs.predict(x, verbose=0), rtol=1e-4, atol=1e-5
    )
    return ours, theirs, x, y


@SLOW
def test_while_loop_predicts_like_keras_and_only_kgraph_differentiates_it():
    """JAX refuses reverse mode through lax.while_loop even with maximum_iterations; kgraph
    runs the masked steps as a Scan, which differentiates."""
    ours, theirs, x, y = _pair("while_loop")
    ours.compile(optimizer=kgraph.optimizers.SGD(0.05), loss="mse")
    theirs.compile(optimizer=keras.optimizers.SGD(0.05), loss="mse")
    assert np.isfinite(ours.fit(x, y, epochs=1, verbose=0).history["loss"]).all()
    with pytest.raises(ValueError, match="Reverse-mode differentiation does not work"):
        theirs.fit(x, y, epochs=1, verbose=0)


@pytest.mark.parametrize("kind", KINDS)
def test_fit_matches_keras(kind):
    ours, theirs, x, y = _pair(kind)
    for model, lib in ((ours, kgraph), (theirs, keras)):
        model.compile(optimizer=lib.optimizers.SGD(0.05), loss="mse")
    got = ours.fit(x, y, batch_size=8, epochs=1, shuffle=False, verbose=0).history["loss"]
    want = theirs.fit(x, y, batch_size=8, epochs=1, shuffle=False, verbose=0).history["loss"]
    np.testing.assert_allclose(got, want, rtol=1e-4)
    for a, b in zip(ours.get_weights(), theirs.get_weights(), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)
