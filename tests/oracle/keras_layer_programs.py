"""The oracle comparison the layer-program tests share: a program built by ``build(lib)`` in
kgraph and in real Keras (JAX backend), with the same numpy-drawn weights, must give the same
predictions, the same exported ONNX results (onnxruntime) and the same SGD ``fit``."""

from __future__ import annotations

import numpy as np
import onnxruntime as ort

import kgraph
from tests.oracle.keras_oracle import keras


def pair(build, seed=0):
    """The program in both libraries with the same weights (variances kept positive)."""
    ours, theirs = build(kgraph), build(keras)
    rng = np.random.default_rng(seed)
    values = [
        rng.uniform(0.1 if "variance" in v.path else -0.5, 0.5, tuple(v.shape)).astype(v.dtype)
        for v in theirs.weights
    ]
    theirs.set_weights(values)
    ours.set_weights(values)
    return ours, theirs


def as_list(outputs):
    return [np.asarray(o) for o in (outputs if isinstance(outputs, (list, tuple)) else [outputs])]


def check_program(build, x, y=None, loss="mse", tmp_path=None, atol=1e-5, epochs=2):
    """predict, the exported ONNX file and ``fit`` (SGD, batches of 4) against Keras."""
    ours, theirs = pair(build)
    expected = as_list(theirs.predict(x, verbose=0))
    got = as_list(ours.predict(x, verbose=0))
    assert [g.shape for g in got] == [e.shape for e in expected]
    for g, e in zip(got, expected):
        assert g.dtype == e.dtype
        np.testing.assert_allclose(g, e, rtol=1e-5, atol=atol)
    if tmp_path is not None:
        path = str(tmp_path / "program.onnx")
        ours.export(path)
        session = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
        feeds = dict(zip([i.name for i in session.get_inputs()], x if isinstance(x, list) else [x]))
        for g, e in zip(session.run(None, feeds), expected):
            np.testing.assert_allclose(g, e, rtol=1e-5, atol=atol)
    if y is None:
        return ours, theirs
    for model, lib in ((ours, kgraph), (theirs, keras)):
        model.compile(optimizer=lib.optimizers.SGD(0.05), loss=loss)
    fit = dict(batch_size=4, epochs=epochs, shuffle=False, verbose=0)
    got_loss = ours.fit(x, y, **fit).history["loss"]
    want_loss = theirs.fit(x, y, **fit).history["loss"]
    np.testing.assert_allclose(got_loss, want_loss, rtol=1e-5, atol=1e-5)
    for g, e in zip(ours.get_weights(), theirs.get_weights()):
        np.testing.assert_allclose(g, e, rtol=1e-4, atol=1e-5)
    return ours, theirs
