"""``kgraph.regularizers`` and ``kgraph.constraints`` called eagerly, against numpy references
written here (Keras' formulas), and their ``get`` / ``serialize`` lookups. Real Keras is the
oracle in ``tests/oracle/test_regularizers_keras.py``; training with them in
``tests/models/test_regularization.py``."""

from __future__ import annotations

import numpy as np
import pytest

import kgraph as keras
from kgraph import constraints, regularizers

TOL = {"rtol": 1e-5, "atol": 1e-6}
EPS = 1e-7
RNG = np.random.default_rng(7)
W = RNG.standard_normal((4, 3)).astype(np.float32)
W3 = RNG.standard_normal((2, 3, 4)).astype(np.float32)


def ref_orthogonal(x, factor, mode):
    if mode == "columns":
        x = x.T
    unit = x / np.sqrt((x**2).sum(axis=1, keepdims=True))
    product = unit @ unit.T
    n = len(x)
    return factor * 0.5 * np.abs(product * (1 - np.eye(n))).sum() / (n * (n - 1) / 2)


REGULARIZERS = [
    (regularizers.L1(0.3), lambda x: 0.3 * np.abs(x).sum()),
    (regularizers.L1(), lambda x: 0.01 * np.abs(x).sum()),
    (regularizers.L2(0.2), lambda x: 0.2 * (x**2).sum()),
    (regularizers.L2(), lambda x: 0.01 * (x**2).sum()),
    (regularizers.L1L2(0.1, 0.4), lambda x: 0.1 * np.abs(x).sum() + 0.4 * (x**2).sum()),
    (regularizers.L1L2(l2=0.5), lambda x: 0.5 * (x**2).sum()),
    (regularizers.L1L2(), lambda x: 0.0),
    (regularizers.OrthogonalRegularizer(0.5), lambda x: ref_orthogonal(x, 0.5, "rows")),
    (
        regularizers.OrthogonalRegularizer(0.2, "columns"),
        lambda x: ref_orthogonal(x, 0.2, "columns"),
    ),
    (regularizers.Regularizer(), lambda x: 0.0),
]


@pytest.mark.parametrize("regularizer, ref", REGULARIZERS, ids=lambda r: type(r).__name__)
def test_regularizer_matches_numpy(regularizer, ref):
    np.testing.assert_allclose(regularizer(W), ref(W.astype(np.float64)), **TOL)


def ref_rescaled(w, axis, lo, hi, rate=1.0):
    norms = np.sqrt((w**2).sum(axis=axis, keepdims=True))
    desired = rate * np.clip(norms, lo, hi) + (1 - rate) * norms
    return w * desired / (EPS + norms)


CONSTRAINTS = [
    (constraints.NonNeg(), lambda w: np.maximum(w, 0)),
    (constraints.MaxNorm(), lambda w: ref_rescaled(w, 0, 0, 2)),
    (constraints.MaxNorm(0.5, axis=[0, 1]), lambda w: ref_rescaled(w, (0, 1), 0, 0.5)),
    (constraints.UnitNorm(), lambda w: w / (EPS + np.sqrt((w**2).sum(0, keepdims=True)))),
    (constraints.UnitNorm(axis=-1), lambda w: w / (EPS + np.sqrt((w**2).sum(-1, keepdims=True)))),
    (constraints.MinMaxNorm(), lambda w: ref_rescaled(w, 0, 0.0, 1.0)),
    (
        constraints.MinMaxNorm(1.5, 2.5, rate=0.5, axis=2),
        lambda w: ref_rescaled(w, 2, 1.5, 2.5, 0.5),
    ),
    (constraints.Constraint(), lambda w: w),
]


@pytest.mark.parametrize("constraint, ref", CONSTRAINTS, ids=lambda c: type(c).__name__)
def test_constraint_matches_numpy(constraint, ref):
    np.testing.assert_allclose(constraint(W3), ref(W3.astype(np.float64)), **TOL)


@pytest.mark.parametrize(
    "identifier, cls, config",
    [
        ("l1", regularizers.L1, {"l1": float(np.float32(0.01))}),
        ("l2", regularizers.L2, {"l2": 0.01}),
        ("l1_l2", regularizers.L1L2, {"l1": 0.01, "l2": 0.01}),
        ("l1l2", regularizers.L1L2, {"l1": 0.0, "l2": 0.0}),
        ("L2", regularizers.L2, {"l2": 0.01}),
        ("orthogonal_regularizer", regularizers.OrthogonalRegularizer, None),
        ({"class_name": "L2", "config": {"l2": 0.5}}, regularizers.L2, {"l2": 0.5}),
        (regularizers.L1L2, regularizers.L1L2, {"l1": 0.0, "l2": 0.0}),
    ],
)
def test_regularizers_get(identifier, cls, config):
    found = regularizers.get(identifier)
    assert type(found) is cls
    if config is not None:
        assert found.get_config() == config


def test_regularizer_lookup_edge_cases():
    assert regularizers.get(None) is None
    instance = regularizers.L2(0.3)
    assert regularizers.get(instance) is instance

    def custom(x):
        return keras.ops.sum(x)

    assert regularizers.get(custom) is custom
    assert regularizers.serialize(custom) == "custom"
    assert keras.regularizers.l2 is regularizers.L2
    with pytest.raises(ValueError, match="Could not interpret regularizer identifier"):
        regularizers.get("l3")
    with pytest.raises(ValueError, match="Could not interpret regularizer identifier"):
        regularizers.get({"class_name": "Nope", "config": {}})
    with pytest.raises(ValueError, match="non-negative"):
        regularizers.L2(-1.0)
    with pytest.raises(ValueError, match="mode"):
        regularizers.OrthogonalRegularizer(mode="diagonal")
    with pytest.raises(ValueError, match="rank 2"):
        regularizers.OrthogonalRegularizer()(W3)


@pytest.mark.parametrize(
    "regularizer",
    [r for r, _ in REGULARIZERS[:-1]],
    ids=[f"{type(r).__name__}-{i}" for i, (r, _) in enumerate(REGULARIZERS[:-1])],
)
def test_regularizer_serialize_round_trips(regularizer):
    config = regularizers.serialize(regularizer)
    assert config["class_name"] == type(regularizer).__name__
    again = regularizers.deserialize(config)
    assert type(again) is type(regularizer) and again.get_config() == regularizer.get_config()


@pytest.mark.parametrize(
    "identifier, cls",
    [
        ("non_neg", constraints.NonNeg),
        ("NonNeg", constraints.NonNeg),
        ("max_norm", constraints.MaxNorm),
        ("min_max_norm", constraints.MinMaxNorm),
        ("unit_norm", constraints.UnitNorm),
        (
            {"class_name": "MaxNorm", "config": {"max_value": 3, "axis": [0, 1]}},
            constraints.MaxNorm,
        ),
        (constraints.UnitNorm, constraints.UnitNorm),
    ],
)
def test_constraints_get(identifier, cls):
    assert type(constraints.get(identifier)) is cls


def test_constraint_defaults_serialize_and_errors():
    assert constraints.MaxNorm().get_config() == {"max_value": 2, "axis": 0}
    assert constraints.MinMaxNorm().get_config() == {
        "min_value": 0.0,
        "max_value": 1.0,
        "rate": 1.0,
        "axis": 0,
    }
    for constraint, _ in CONSTRAINTS:
        again = constraints.deserialize(constraints.serialize(constraint))
        assert type(again) is type(constraint) and again.get_config() == constraint.get_config()
    assert constraints.get(None) is None and keras.constraints.non_neg is constraints.NonNeg
    with pytest.raises(ValueError, match="Could not interpret constraint identifier"):
        constraints.get("positive")
    with pytest.raises(ValueError, match="Could not interpret constraint identifier"):
        constraints.get(3)
