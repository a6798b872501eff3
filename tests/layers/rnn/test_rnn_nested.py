"""``RNN`` over a cell with nested inputs, outputs and states (the Keras RNN guide's
``NestedCell``), and the step shapes its cell is built for, against a numpy loop."""

from __future__ import annotations

import numpy as np

import kgraph
from kgraph import layers, ops

RNG = np.random.default_rng(0)


class NestedCell(layers.Layer):
    """Inputs ``(x1, x23)``, states ``(s1, s23)`` with ``s23`` a matrix per sample."""

    def __init__(self, unit_1, unit_2, unit_3, **kwargs):
        self.unit_1, self.unit_2, self.unit_3 = unit_1, unit_2, unit_3
        self.state_size = [unit_1, [unit_2, unit_3]]
        self.output_size = [unit_1, [unit_2, unit_3]]
        super().__init__(**kwargs)

    def build(self, input_shapes):
        self.built_for = input_shapes
        i1, (i2, i3) = input_shapes[0][1], input_shapes[1][1:]
        self.kernel_1 = self.add_weight(shape=(i1, self.unit_1), name="kernel_1")
        self.kernel_2_3 = self.add_weight(
            shape=(i2, i3, self.unit_2, self.unit_3), name="kernel_2_3"
        )

    def call(self, inputs, states):
        (x1, x23), (s1, s23) = inputs, states
        out_1 = ops.matmul(x1, self.kernel_1)
        out_23 = ops.einsum("bij,ijkl->bkl", x23, self.kernel_2_3)
        return (out_1, out_23), (s1 + out_1, ops.tanh(s23 + out_23))


def _numpy(cell, x1, x23, sequences):
    k1, k23 = (w.numpy() for w in cell.weights)
    s1 = np.zeros((len(x1), k1.shape[1]))
    s23 = np.zeros((len(x1), *k23.shape[2:]))
    outs_1, outs_23 = [], []
    for t in range(x1.shape[1]):
        o1, o23 = x1[:, t] @ k1, np.einsum("bij,ijkl->bkl", x23[:, t], k23)
        s1, s23 = s1 + o1, np.tanh(s23 + o23)
        outs_1.append(o1)
        outs_23.append(o23)
    if sequences:
        return np.stack(outs_1, 1), np.stack(outs_23, 1), s1, s23
    return outs_1[-1], outs_23[-1], s1, s23


def _model(return_sequences):
    cell = NestedCell(3, 2, 4)
    x1, x23 = kgraph.Input((None, 5)), kgraph.Input((None, 2, 3))
    rnn = layers.RNN(cell, return_sequences=return_sequences, return_state=True)
    return cell, kgraph.Model([x1, x23], rnn((x1, x23)))


def test_nested_cell_over_time_matches_numpy():
    for sequences in (False, True):
        cell, model = _model(sequences)
        assert cell.built_for == ((None, 5), (None, 2, 3))  # the time axis dropped
        x1 = RNG.random((4, 6, 5), dtype=np.float32)
        x23 = RNG.random((4, 6, 2, 3), dtype=np.float32)
        got = model.predict([x1, x23], verbose=0)
        for have, want in zip(got, _numpy(cell, x1, x23, sequences)):
            np.testing.assert_allclose(have, want, rtol=1e-4, atol=1e-5)


def test_nested_cell_trains():
    cell, model = _model(False)
    model.compile(optimizer=kgraph.optimizers.SGD(0.01), loss="mse")
    x1 = RNG.random((8, 4, 5), dtype=np.float32)
    x23 = RNG.random((8, 4, 2, 3), dtype=np.float32)
    targets = [np.zeros((8, 3)), np.zeros((8, 2, 4)), np.zeros((8, 3)), np.zeros((8, 2, 4))]
    before = [w.numpy().copy() for w in cell.weights]
    history = model.fit([x1, x23], targets, epochs=3, batch_size=8, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
    assert all(not np.allclose(b, w.numpy()) for b, w in zip(before, cell.weights))
