"""``gamma``, ``beta`` and ``binomial``: distributions ONNX has no operator for, composed from
RandomNormal and RandomUniform nodes.

* gamma: Marsaglia and Tsang's method (2000). For ``alpha >= 1`` with ``d = alpha - 1/3`` and
  ``c = 1 / sqrt(9 d)``, a normal ``x`` and uniform ``u`` give ``v = (1 + c x)**3``, accepted
  when ``v > 0`` and ``log u < x²/2 + d - d v + d log v``; the sample is ``d v``. Eight candidate
  pairs are drawn per element and the first accepted one kept (each is accepted with
  probability above 0.95, so all eight fail with probability below 4e-11, where the result is
  clamped to 0). For ``alpha < 1`` a sample for ``alpha + 1`` is multiplied by
  ``u**(1 / alpha)``.
* beta: ``X / (X + Y)`` for independent gamma samples ``X ~ Gamma(alpha)``, ``Y ~ Gamma(beta)``.
* binomial: the number of ``counts`` Bernoulli draws below ``probabilities``: ``max(counts)``
  uniform draws per element, summed where the draw index is below that element's count.
"""

from __future__ import annotations

import numpy as np

from kgraph import trace
from kgraph.ops.core import Op, Spec, apply
from kgraph.random.distributions import (
    CANDIDATES,
    draw,
    first_accepted,
    float_dtype,
    random_normal,
    random_uniform,
    runtime_shape,
    shape_tuple,
)
from kgraph.random.seed_generator import derived, draw_seed

#: Largest number of uniform draws ``binomial`` emits (``max(counts) * size``).
MAX_BINOMIAL_DRAWS = 2**24


def _const(b, value):
    return b.constant(np.asarray(value, np.float32))


def gamma_graph(b, shape, alpha: float, seed: int):
    """Emits float32 Gamma(``alpha``) samples of ``shape`` (see the module docstring)."""
    boosted = alpha < 1.0
    a = alpha + 1.0 if boosted else alpha
    d = a - 1.0 / 3.0
    c = 1.0 / np.sqrt(9.0 * d)
    x = random_normal(b, (CANDIDATES, *shape), derived(seed, 0))
    u = random_uniform(b, (CANDIDATES, *shape), derived(seed, 1))
    root = b.op("Add", [_const(b, 1.0), b.op("Mul", [_const(b, c), x])])
    v = b.op("Mul", [b.op("Mul", [root, root]), root])
    bound = b.op(
        "Add",
        [
            b.op("Mul", [_const(b, 0.5), b.op("Mul", [x, x])]),
            b.op(
                "Mul",
                [_const(b, d), b.op("Add", [b.op("Sub", [_const(b, 1.0), v]), b.op("Log", [v])])],
            ),
        ],
    )
    accepted = b.op(
        "And", [b.op("Greater", [v, _const(b, 0.0)]), b.op("Less", [b.op("Log", [u]), bound])]
    )
    sample = b.op(
        "Max", [first_accepted(b, b.op("Mul", [_const(b, d), v]), accepted), _const(b, 0.0)]
    )
    if boosted:
        w = random_uniform(b, shape, derived(seed, 2))
        sample = b.op("Mul", [sample, b.op("Pow", [w, _const(b, 1.0 / alpha)])])
    return sample


def _cast(b, x, dtype):
    from kgraph.compiler.builder import ir_dtype

    return x if dtype == "float32" else b.op("Cast", [x], {"to": ir_dtype(dtype)})


def _positive(name: str, value) -> float:
    value = float(value)
    if not value > 0:
        raise ValueError(f"`{name}` must be positive. Received: {name}={value}")
    return value


_gamma = Op(
    "random_gamma",
    lambda **a: Spec(a["shape"], a["dtype"]),
    lambda b, *, shape, alpha, seed, dtype: _cast(b, gamma_graph(b, shape, alpha, seed), dtype),
    random=True,
)


def gamma(shape, alpha, dtype=None, seed=None):
    """Samples from a gamma distribution of shape ``alpha`` (scale 1).

    Args:
        shape: Shape of the result.
        alpha: Positive float, the distribution's shape parameter.
        dtype: A float dtype (floatx when None).
        seed: An int, a ``SeedGenerator`` or None.
    """
    dtype = float_dtype(dtype, "gamma")
    alpha = _positive("alpha", alpha)
    return draw(_gamma, shape_tuple(shape), dtype, alpha=alpha, seed=draw_seed(seed))


def _beta_lower(b, *, shape, alpha, beta, seed, dtype):
    x = gamma_graph(b, shape, alpha, derived(seed, 10))
    y = gamma_graph(b, shape, beta, derived(seed, 11))
    return _cast(b, b.op("Div", [x, b.op("Add", [x, y])]), dtype)


_beta = Op("random_beta", lambda **a: Spec(a["shape"], a["dtype"]), _beta_lower, random=True)


def beta(shape, alpha, beta, dtype=None, seed=None):
    """Samples from a beta distribution with parameters ``alpha`` and ``beta``.

    Args:
        shape: Shape of the result.
        alpha: Positive float.
        beta: Positive float.
        dtype: A float dtype (floatx when None).
        seed: An int, a ``SeedGenerator`` or None.
    """
    dtype = float_dtype(dtype, "beta")
    return draw(
        _beta, shape_tuple(shape), dtype, alpha=_positive("alpha", alpha),
        beta=_positive("beta", beta), seed=draw_seed(seed),
    )  # fmt: skip


def _binomial_lower(b, counts, probabilities, *, shape, trials, seed, dtype):
    draws = random_uniform(b, (trials, *shape), seed)
    hits = b.op("Less", [draws, b.op("Cast", [probabilities], {"to": 1})])
    index = np.arange(trials, dtype=np.float32).reshape((trials,) + (1,) * len(shape))
    counted = b.op("Less", [b.constant(index), b.op("Cast", [counts], {"to": 1})])
    ones = b.op("Cast", [b.op("And", [hits, counted])], {"to": 1})
    total = b.op("ReduceSum", [ones, b.constant(np.asarray([0], np.int64))], {"keepdims": 0})
    return _cast(b, total, dtype)


_binomial = Op(
    "random_binomial",
    lambda counts, probabilities, **a: Spec(a["shape"], a["dtype"]),
    _binomial_lower,
    promote=False,
    random=True,
)


def binomial(shape, counts, probabilities, dtype=None, seed=None):
    """Samples the number of successes in ``counts`` trials of success probability
    ``probabilities`` (each a number or an array broadcasting to ``shape``).

    Args:
        shape: Shape of the result.
        counts: Non-negative numbers of trials (concrete values: they size the graph).
        probabilities: Success probabilities in ``[0, 1]``.
        dtype: A float dtype (floatx when None).
        seed: An int, a ``SeedGenerator`` or None.

    Raises:
        ValueError: when ``max(counts) * size`` exceeds :data:`MAX_BINOMIAL_DRAWS`.
    """
    dtype = float_dtype(dtype, "binomial")
    shape = shape_tuple(shape)
    counts = np.asarray(counts, np.float32)
    probabilities = np.asarray(probabilities, np.float32)
    trials = int(np.ceil(counts.max())) if counts.size else 0
    if counts.size and counts.min() < 0:
        raise ValueError(f"`counts` must be non-negative. Received: counts={counts}")
    if max(trials, 1) * int(np.prod([d or 1 for d in shape])) > MAX_BINOMIAL_DRAWS:
        raise ValueError(
            f"binomial composes max(counts) uniform draws per element; {trials} x {shape} is "
            f"more than {MAX_BINOMIAL_DRAWS}. Received: counts max={trials}"
        )
    symbolic = getattr(shape, "vector", None) is not None and shape.vector._value is None
    if symbolic or (shape and shape[0] is None and trace.current() is None):
        return draw(None, shape, dtype)  # see distributions.draw
    with runtime_shape(shape):
        return apply(
            _binomial,
            [counts, probabilities],
            shape=tuple(shape),
            trials=max(trials, 1),
            seed=draw_seed(seed),
            dtype=dtype,
        )
