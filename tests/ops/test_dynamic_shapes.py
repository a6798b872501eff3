"""Run-time sizes from ``ops.shape`` inside layers (``kgraph.ops.dynamic_shapes``): each
pattern Keras programs use, against numpy, at two batch sizes of one compiled model, and in
its exported graph."""

from __future__ import annotations

import numpy as np
import onnxruntime as ort
import pytest

import kgraph
from kgraph import layers, ops


class CausalMask(layers.Layer):
    """The miniature GPT's mask, as keras.io writes it: a tiled tril from ``ops.shape``."""

    def call(self, x):
        batch, length = ops.shape(x)[0], ops.shape(x)[1]
        i = ops.arange(length)[:, None]
        j = ops.arange(length)
        mask = ops.reshape(ops.cast(i >= j, "float32"), [1, length, length])
        mult = ops.concatenate([ops.expand_dims(batch, -1), ops.convert_to_tensor([1, 1])], 0)
        return ops.tile(mask, mult) + ops.sum(x, axis=-1, keepdims=True) * 0.0


class SplitHeads(layers.Layer):
    """A hand-written attention's head split and a zeros state of ``(batch, units)``."""

    def call(self, x):
        batch = ops.shape(x)[0]
        heads = ops.reshape(x, (batch, -1, 2, 3))
        state = ops.zeros((batch, 4))
        return ops.transpose(heads, (0, 2, 1, 3)), state + 1.0


class Positions(layers.Layer):
    """Positions of a sequence of unknown length, broadcast over the batch."""

    def call(self, x):
        shape = ops.shape(x)
        positions = ops.cast(ops.arange(shape[1]), "float32")
        return ops.broadcast_to(positions[None, :], (shape[0], shape[1]))


def _model(layer, shape):
    inputs = kgraph.Input(shape)
    outputs = layer(inputs)
    return kgraph.Model(inputs, outputs)


def test_causal_mask_tiled_to_the_batch(tmp_path):
    model = _model(CausalMask(), (None, 3))
    assert model.outputs[0].shape == (None, None, None)
    for batch, length in ((2, 4), (5, 7)):
        x = np.ones((batch, length, 3), np.float32)
        expected = np.broadcast_to(
            np.tril(np.ones((length, length), np.float32)), (batch, length, length)
        )
        np.testing.assert_array_equal(model.predict(x, verbose=0), expected)
    path = str(tmp_path / "mask.onnx")
    model.export(path)
    session = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    (got,) = session.run(None, {session.get_inputs()[0].name: np.ones((3, 2, 3), np.float32)})
    np.testing.assert_array_equal(got, np.broadcast_to(np.tril(np.ones((2, 2))), (3, 2, 2)))


def test_reshape_and_zeros_with_the_batch_size():
    model = _model(SplitHeads(), (4, 6))
    assert [tuple(t.shape) for t in model.outputs] == [(None, 2, 4, 3), (None, 4)]
    for batch in (1, 3):
        x = np.arange(batch * 24, dtype=np.float32).reshape(batch, 4, 6)
        heads, state = model.predict(x, verbose=0)
        np.testing.assert_array_equal(heads, x.reshape(batch, 4, 2, 3).transpose(0, 2, 1, 3))
        np.testing.assert_array_equal(state, np.ones((batch, 4), np.float32))


def test_arange_and_broadcast_over_unknown_sizes():
    model = _model(Positions(), (None,))
    for batch, length in ((2, 3), (4, 6)):
        got = model.predict(np.zeros((batch, length), np.float32), verbose=0)
        np.testing.assert_array_equal(got, np.tile(np.arange(length, dtype=np.float32), (batch, 1)))


# Standard deviations: N(0, 1); U[0, 1) is 1/sqrt(12); N(0, 1) truncated to +-2 is 0.8796.
@pytest.mark.parametrize(
    "draw, std", [("normal", 1.0), ("uniform", 0.2887), ("truncated_normal", 0.8796)]
)
def test_random_draws_of_run_time_shape(draw, std):
    class Noise(layers.Layer):
        def call(self, x):
            batch, dim = ops.shape(x)[0], ops.shape(x)[1]
            return getattr(kgraph.random, draw)(shape=(batch, dim, 2), seed=3) + x[..., None] * 0

    model = _model(Noise(), (None,))
    for batch, dim in ((2, 3), (64, 50)):
        got = model.predict(np.zeros((batch, dim), np.float32), verbose=0)
        assert got.shape == (batch, dim, 2)
    np.testing.assert_allclose(got.std(), std, rtol=0.05)  # 6,400 draws
    if draw == "truncated_normal":
        assert np.abs(got).max() <= 2.0
    if draw == "uniform":
        assert got.min() >= 0.0 and got.max() < 1.0


def test_outside_layers_an_unknown_size_stays_none():
    inputs = kgraph.Input((None, 3))
    assert ops.shape(inputs) == (None, None, 3)


def test_dynamic_reshape_trains_like_the_static_one():
    """The gradient through a reshape to ``(batch, -1)`` equals the one through Flatten."""

    class FlattenByBatch(layers.Layer):
        def call(self, x):
            return ops.reshape(x, (ops.shape(x)[0], -1))

    def build(flatten):
        kgraph.utils.set_random_seed(1)
        inputs = kgraph.Input((3, 4))
        outputs = layers.Dense(2)(flatten(layers.Dense(5)(inputs)))
        model = kgraph.Model(inputs, outputs)
        model.compile(optimizer=kgraph.optimizers.SGD(0.1), loss="mse")
        return model

    rng = np.random.default_rng(0)
    x = rng.standard_normal((16, 3, 4)).astype(np.float32)
    y = rng.standard_normal((16, 2)).astype(np.float32)
    dynamic, static = build(FlattenByBatch()), build(layers.Flatten())
    static.set_weights(dynamic.get_weights())
    got = dynamic.fit(x, y, batch_size=8, epochs=2, shuffle=False, verbose=0).history["loss"]
    want = static.fit(x, y, batch_size=8, epochs=2, shuffle=False, verbose=0).history["loss"]
    np.testing.assert_allclose(got, want, rtol=1e-6)


def test_a_custom_loss_divides_by_the_batch_size():
    def per_batch(y_true, y_pred):
        n = ops.cast(ops.shape(y_true)[0], "float32")
        return ops.sum(ops.square(y_true - y_pred)) / n

    inputs = kgraph.Input((2,))
    model = kgraph.Model(inputs, layers.Dense(1, use_bias=False)(inputs))
    model.compile(optimizer="sgd", loss=per_batch)
    kernel = np.asarray([[1.0], [2.0]], np.float32)
    model.set_weights([kernel])
    x = np.arange(12, dtype=np.float32).reshape(6, 2)
    y = np.zeros((6, 1), np.float32)
    # Keras' loss reduction averages the per-sample losses; one scalar per batch here.
    want = np.sum((x @ kernel) ** 2) / 6
    np.testing.assert_allclose(model.evaluate(x, y, batch_size=6, verbose=0), want, rtol=1e-6)


def test_slices_bounded_by_run_time_sizes():
    """``x[:, :n]`` with ``n`` from another input's shape, and ``ops.slice`` over the batch."""

    class CropTo(layers.Layer):
        def call(self, inputs):
            x, like = inputs
            n = ops.shape(like)[1]
            head = ops.slice(x, [0, 0], [ops.shape(x)[0], 1])
            return x[:, :n] + head, x[:, n - 1 :: -1]

    a, b = kgraph.Input((None,)), kgraph.Input((None,))
    model = kgraph.Model([a, b], CropTo()([a, b]))
    for batch, length, n in ((2, 5, 3), (3, 7, 6)):
        x = np.arange(batch * length, dtype=np.float32).reshape(batch, length)
        cropped, reverse = model.predict([x, np.zeros((batch, n), np.float32)], verbose=0)
        np.testing.assert_array_equal(cropped, x[:, :n] + x[:, :1])
        np.testing.assert_array_equal(reverse, x[:, n - 1 :: -1])


def test_slice_sizes_must_be_static_or_the_inputs_own():
    class Bad(layers.Layer):
        def call(self, inputs):
            x, like = inputs
            return ops.slice(x, [0, 0], [ops.shape(like)[0], 1])

    a, b = kgraph.Input((4,)), kgraph.Input((4,))
    with pytest.raises(ValueError, match="slice sizes must be ints"):
        Bad()([a, b])


def test_size_counts_at_run_time_in_a_metric():
    """A custom metric's ``ops.size(y_true)`` over a batch of unknown size."""

    class Count(kgraph.metrics.Metric):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.total = self.add_variable(shape=(), initializer="zeros", name="total")

        def update_state(self, y_true, y_pred, sample_weight=None):
            self.total.assign_add(ops.cast(ops.size(y_true), "float32"))

        def result(self):
            return self.total

    inputs = kgraph.Input((3,))
    model = kgraph.Model(inputs, layers.Dense(2)(inputs))
    model.compile(optimizer="sgd", loss="mse", metrics=[Count(name="count")])
    x, y = np.ones((10, 3), np.float32), np.zeros((10, 2), np.float32)
    logs = model.evaluate(x, y, batch_size=4, verbose=0, return_dict=True)
    assert logs["count"] == 20.0  # 4 + 4 + 2 samples of 2 targets
    assert ops.size(np.ones((2, 3))) == 6
    assert ops.size(kgraph.Input((None, 3))) is None


def test_tile_with_more_repeats_than_axes_over_unknown_dims():
    """numpy's tile prepends length-1 axes: static repeats and run-time repeats alike, on an
    input with two unknown dims (a reshape to ``(1, *shape)`` misplaced them)."""

    class Tiles(layers.Layer):
        def call(self, x):
            static = ops.tile(x, (2, 1, 1, 1))
            runtime = ops.tile(x, [2, ops.shape(x)[0], 1, 1])
            return static, runtime

    inputs = kgraph.Input((None, 3))
    model = kgraph.Model(inputs, Tiles()(inputs))
    x = np.arange(12, dtype=np.float32).reshape(2, 2, 3)
    static, runtime = model.predict(x, verbose=0)
    np.testing.assert_array_equal(static, np.tile(x, (2, 1, 1, 1)))
    np.testing.assert_array_equal(runtime, np.tile(x, (2, 2, 1, 1)))
