"""``kgraph.random``'s distributions and seeding, eagerly and inside a compiled model.

Statistics are checked against analytic moments and against numpy's own samplers (quantiles of
200k draws, an independent reference); seeds against Keras' rules (int: same values each call,
SeedGenerator / None: fresh, reproducible after ``set_random_seed``)."""

from __future__ import annotations

import numpy as np
import pytest

import kgraph as keras
from kgraph import random

N = 200_000
NP = np.random.default_rng(0)
QUANTILES = [0.05, 0.25, 0.5, 0.75, 0.95]

CASES = [
    ("normal", lambda s: random.normal((N,), 1.5, 2.0, seed=s), NP.normal(1.5, 2.0, N)),
    ("uniform", lambda s: random.uniform((N,), -1.0, 3.0, seed=s), NP.uniform(-1, 3, N)),
    (
        "truncated_normal",
        lambda s: random.truncated_normal((N,), 0.5, 2.0, seed=s),
        (lambda z: 0.5 + 2.0 * z[np.abs(z) <= 2][:N])(NP.normal(size=2 * N)),
    ),
    ("gamma", lambda s: random.gamma((N,), 2.5, seed=s), NP.gamma(2.5, size=N)),
    ("gamma_small", lambda s: random.gamma((N,), 0.4, seed=s), NP.gamma(0.4, size=N)),
    ("beta", lambda s: random.beta((N,), 2.0, 0.7, seed=s), NP.beta(2.0, 0.7, N)),
]
DISCRETE = [
    ("randint", lambda s: random.randint((N,), -3, 7, seed=s), NP.integers(-3, 7, N)),
    ("binomial", lambda s: random.binomial((N,), 12, 0.3, seed=s), NP.binomial(12, 0.3, N)),
]


@pytest.mark.parametrize("name, draw, reference", CASES, ids=[c[0] for c in CASES])
def test_statistics_match_numpy_samplers(name, draw, reference):
    values = np.asarray(draw(11), np.float64)
    reference = np.asarray(reference, np.float64)
    scale = reference.std()
    assert abs(values.mean() - reference.mean()) < 0.02 * scale
    assert abs(values.std() - scale) < 0.02 * scale
    for q in QUANTILES:
        assert abs(np.quantile(values, q) - np.quantile(reference, q)) < 0.03 * scale, q
    assert values.min() >= reference.min() - 0.05 * scale
    assert abs(np.quantile(values, 0.99) - np.quantile(reference, 0.99)) < 0.05 * scale


@pytest.mark.parametrize("name, draw, reference", DISCRETE, ids=[c[0] for c in DISCRETE])
def test_discrete_frequencies_match_numpy_samplers(name, draw, reference):
    values = np.asarray(draw(12)).astype(np.int64)
    low = min(values.min(), reference.min())
    ours = np.bincount(values - low) / N
    theirs = np.bincount(reference - low, minlength=ours.size) / N
    np.testing.assert_allclose(ours, theirs[: ours.size], atol=0.005)
    assert theirs[ours.size :].sum() < 0.001


def test_ranges_and_moments():
    u = random.uniform((N,), 2.0, 5.0, seed=1)
    assert u.min() >= 2.0 and u.max() < 5.0
    k = random.randint((N,), 3, 6, seed=2)
    assert set(np.unique(k)) == {3, 4, 5} and k.dtype == np.int32
    t = random.truncated_normal((N,), 0.0, 3.0, seed=3)
    assert np.abs(t).max() <= 6.0 and abs(t.std() - 3 * 0.8796) < 0.02
    b = random.binomial((N,), np.array([0.0, 5.0]).repeat(N // 2), 0.5, seed=4)
    assert np.all(b[: N // 2] == 0) and abs(b[N // 2 :].mean() - 2.5) < 0.02


def test_categorical_frequencies_shape_and_dtype():
    probs = np.array([[0.1, 0.2, 0.7], [0.5, 0.5, 0.0]], np.float32)
    logits = np.log(np.maximum(probs, 1e-30))
    draws = random.categorical(logits, 50_000, seed=5)
    assert draws.shape == (2, 50_000) and draws.dtype == np.int32
    for row, p in zip(draws, probs):
        np.testing.assert_allclose(np.bincount(row, minlength=3) / row.size, p, atol=0.01)
    assert random.categorical(logits, 3, dtype="int64", seed=1).dtype == np.int64


def test_shuffle_is_a_permutation_along_the_axis():
    x = np.arange(24, dtype=np.float32).reshape(4, 6)
    y = random.shuffle(x, axis=1, seed=3)
    assert y.shape == x.shape
    np.testing.assert_array_equal(np.sort(y, axis=1), x)
    np.testing.assert_array_equal(y, x[:, y[0].astype(int)])  # one permutation for all rows
    orders = {tuple(random.shuffle(np.arange(5), seed=s)) for s in range(40)}
    assert len(orders) > 20


@pytest.mark.parametrize(
    "fn, dtype",
    [
        (lambda d: random.normal((2, 3), dtype=d), "float16"),
        (lambda d: random.uniform((2, 3), dtype=d), "float64"),
        (lambda d: random.truncated_normal((4,), dtype=d), "float64"),
        (lambda d: random.gamma((3,), 1.5, dtype=d), "float16"),
        (lambda d: random.beta((3,), 1.5, 2.0, dtype=d), "float64"),
        (lambda d: random.binomial((3,), 4, 0.5, dtype=d), "float64"),
        (lambda d: random.randint((2, 2), 0, 9, dtype=d), "int64"),
        (lambda d: random.randint((2, 2), 0, 9, dtype=d), "uint8"),
    ],
)
def test_dtypes_and_shapes(fn, dtype):
    out = fn(dtype)
    assert out.dtype == np.dtype(dtype)
    assert random.normal(5).shape == (5,) and random.normal((2, 0, 3)).shape == (2, 0, 3)


def test_integer_seed_repeats_generator_and_none_refresh():
    np.testing.assert_array_equal(random.normal((4,), seed=7), random.normal((4,), seed=7))
    assert not np.array_equal(random.normal((4,), seed=7), random.normal((4,), seed=8))
    assert not np.array_equal(random.normal((4,)), random.normal((4,)))
    gen = random.SeedGenerator(42)
    first, second = random.uniform((4,), seed=gen), random.uniform((4,), seed=gen)
    assert not np.array_equal(first, second)
    again = random.SeedGenerator(42)
    np.testing.assert_array_equal(random.uniform((4,), seed=again), first)
    np.testing.assert_array_equal(random.uniform((4,), seed=again), second)
    assert list(gen.state) == [42, 2] and gen.get_config()["seed"] == 42


def test_set_random_seed_makes_unseeded_draws_reproducible():
    def draws():
        keras.utils.set_random_seed(123)
        gen = random.SeedGenerator()
        return [random.normal((3,)), random.gamma((3,), 2.0), random.uniform((2,), seed=gen)]

    for a, b in zip(draws(), draws()):
        np.testing.assert_array_equal(a, b)


class _Noisy(keras.layers.Layer):
    """Adds SeedGenerator-driven noise in call: a random node of the compiled graph."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.generator = random.SeedGenerator(5)

    def call(self, x):
        return x + random.uniform((4,), 10.0, 11.0, seed=self.generator)

    def compute_output_shape(self, input_shape):
        return input_shape


def test_random_ops_in_a_model_draw_fresh_values_each_run():
    inputs = keras.Input((4,))
    model = keras.Model(inputs, _Noisy()(inputs))
    x = np.zeros((2, 4), np.float32)
    a, b = model.predict(x, verbose=0), model.predict(x, verbose=0)
    assert a.min() >= 10.0 and a.max() < 11.0
    np.testing.assert_array_equal(a[0], a[1])  # one (4,) draw broadcast over the batch
    assert not np.array_equal(a, b)


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: random.uniform((2,), dtype="int32"), "floating point"),
        (lambda: random.randint((2,), 0, 5, dtype="float32"), "integer"),
        (lambda: random.randint((2,), 5, 5), "maxval"),
        (lambda: random.categorical(np.zeros(3, np.float32), 2), "2-D"),
        (lambda: random.normal((2,), seed="a"), "SeedGenerator"),
        (lambda: random.SeedGenerator(seed=1.5), "integer"),
        (lambda: random.gamma((2,), 0.0), "alpha"),
        (lambda: random.binomial((2,), -1, 0.5), "counts"),
        (lambda: random.shuffle(np.ones(3), axis=2), "axis"),
        (lambda: random.normal((-1,)), "negative"),
    ],
)
def test_bad_arguments(call, match):
    with pytest.raises(ValueError, match=match):
        call()


class _Augment(keras.layers.Layer):
    """Noise and a feature shuffle in training: random nodes on the differentiable path."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.generator = random.SeedGenerator(3)

    def call(self, x, training=False):
        if not training:
            return x
        noise = random.truncated_normal((4,), stddev=0.01, seed=self.generator)
        return random.shuffle(x + noise, axis=1, seed=self.generator)

    def compute_output_shape(self, input_shape):
        return input_shape


def test_a_model_with_random_ops_trains():
    inputs = keras.Input((4,))
    model = keras.Model(inputs, keras.layers.Dense(1)(_Augment()(inputs)))
    model.compile("sgd", "mse")
    x = np.arange(32, dtype=np.float32).reshape(8, 4) / 32
    history = model.fit(x, x[:, :1], epochs=2, batch_size=4, verbose=0).history["loss"]
    assert np.all(np.isfinite(history))
    np.testing.assert_array_equal(model.predict(x, verbose=0), model.predict(x, verbose=0))
    first, second = np.asarray(model(x, training=True)), np.asarray(model(x, training=True))
    assert not np.allclose(first, second)  # fresh noise and order at every training call


class _Sampling(keras.layers.Layer):
    """Keras' VAE sampling layer, verbatim: the batch size comes from ``ops.shape``."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.seed_generator = random.SeedGenerator(1337)

    def call(self, inputs):
        z_mean, z_log_var = inputs
        batch = keras.ops.shape(z_mean)[0]
        dim = keras.ops.shape(z_mean)[1]
        epsilon = random.normal(shape=(batch, dim), seed=self.seed_generator)
        extra = random.gamma((batch, dim), 2.0, seed=self.seed_generator)
        count = random.binomial((batch, dim), 3, 0.5, seed=self.seed_generator)
        return z_mean + keras.ops.exp(0.5 * z_log_var) * epsilon + 0 * (extra + count)


def test_batch_sized_draws_in_a_model_follow_the_run_time_batch():
    inputs = keras.Input((3,))
    z = _Sampling()([keras.layers.Dense(2)(inputs), keras.layers.Dense(2)(inputs)])
    assert z.shape == (None, 2)
    model = keras.Model(inputs, z)
    for n in (1, 5):
        out = model.predict(np.zeros((n, 3), np.float32), verbose=0)
        assert out.shape == (n, 2) and len({tuple(row) for row in out}) == n  # one draw per row
    out = model.predict(np.zeros((20_000, 3), np.float32), batch_size=20_000, verbose=0)
    assert abs(out.std() - 1.0) < 0.03  # zero means and log-variances: standard normal noise
    model.compile("sgd", "mse")
    loss = model.fit(np.ones((8, 3), np.float32), np.zeros((8, 2), np.float32), verbose=0)
    assert np.isfinite(loss.history["loss"][0])
    with pytest.raises(ValueError, match="batch"):
        random.normal((None, 3))
