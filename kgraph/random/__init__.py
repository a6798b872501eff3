"""``kgraph.random``: Keras' random ops, lowered to ONNX random nodes (or compositions of them:
``truncated_normal``, ``gamma``, ``beta``, ``binomial``, ``shuffle``), eager and traced.

Seeds follow Keras (:mod:`kgraph.random.seed_generator`): an int gives the same values every
call, a :class:`SeedGenerator` or None fresh ones, reproducible after
``kgraph.utils.set_random_seed``. Inside a compiled model each node draws new values at every run.
"""

from kgraph.random.compositions import beta, binomial, gamma
from kgraph.random.distributions import normal, randint, truncated_normal, uniform
from kgraph.random.dropout import batch_uniform, dropout
from kgraph.random.sampling import categorical, shuffle
from kgraph.random.seed_generator import SeedGenerator

__all__ = [
    "SeedGenerator",
    "batch_uniform",
    "beta",
    "binomial",
    "categorical",
    "dropout",
    "gamma",
    "normal",
    "randint",
    "shuffle",
    "truncated_normal",
    "uniform",
]
