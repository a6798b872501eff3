"""``ops.reshape`` with a size unknown at trace time (the batch), given as ``ops.shape``'s
run-time size or as ``None``: against numpy, in a model over two batch sizes and in its
exported graph."""

from __future__ import annotations

import numpy as np
import onnxruntime as ort

import kgraph
from kgraph import layers, ops


class FoldAndFlatten(layers.Layer):
    """Folds the steps into the batch, doubles, then flattens per sample with
    ``(batch, -1)`` spelled as Keras users do: ``ops.shape(x)[0]`` and a static size."""

    def call(self, x):
        batch = ops.shape(x)[0]  # the run-time batch size (a 0-d tensor)
        folded = ops.reshape(x, (-1, x.shape[-1])) * 2.0
        return ops.reshape(folded, (batch, x.shape[1] * x.shape[2]))


def test_a_lone_unknown_size_is_inferred(tmp_path):
    inputs = kgraph.Input((5, 3))
    model = kgraph.Model(inputs, FoldAndFlatten()(inputs))
    assert model.outputs[0].shape == (None, 15)
    rng = np.random.default_rng(0)
    for batch in (4, 1):
        x = rng.standard_normal((batch, 5, 3)).astype(np.float32)
        np.testing.assert_array_equal(model.predict(x, verbose=0), (x * 2).reshape(batch, 15))
    path = str(tmp_path / "fold.onnx")
    model.export(path)
    session = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    x = rng.standard_normal((3, 5, 3)).astype(np.float32)
    (got,) = session.run(None, {session.get_inputs()[0].name: x})
    np.testing.assert_array_equal(got, (x * 2).reshape(3, 15))


def test_none_keeps_the_input_dims_where_several_are_unknown():
    inputs = kgraph.Input((None, 6))
    split = layers.Lambda(lambda t: ops.reshape(t, (None, None, 2, 3)))(inputs)
    assert split.shape == (None, None, 2, 3)
    model = kgraph.Model(inputs, split)
    values = np.arange(2 * 4 * 6, dtype=np.float32).reshape(2, 4, 6)
    np.testing.assert_array_equal(model.predict(values, verbose=0), values.reshape(2, 4, 2, 3))
