"""Element-wise gradient rules against finite differences (broadcasting included)."""

from __future__ import annotations

import numpy as np
import pytest
from harness_vjp import check_graph_vjp, check_vjp

RNG = np.random.default_rng(0)


def normal(*shape):
    return RNG.standard_normal(shape)


def positive(*shape):
    return RNG.uniform(0.5, 2.0, shape)


def away(*shape):
    """Values at least 0.1 away from 0 (where kinked functions are smooth)."""
    x = RNG.uniform(0.1, 2.0, shape)
    return x * RNG.choice([-1.0, 1.0], shape)


BINARY = [
    ("Add", [normal(2, 3), normal(3)]),
    ("Add", [normal(2, 1, 4), normal(3, 1)]),
    ("Add", [normal(), normal(2, 3)]),
    ("Sub", [normal(2, 3), normal(2, 1)]),
    ("Sub", [normal(4), normal(3, 4)]),
    ("Mul", [normal(2, 3), normal(3)]),
    ("Mul", [normal(1, 3, 1), normal(2, 1, 4)]),
    ("Div", [normal(2, 3), positive(3)]),
    ("Div", [normal(3, 1), away(1, 4)]),
    ("Pow", [positive(2, 3), normal(3)]),
    ("Pow", [positive(2, 3), normal()]),
    ("Max", [normal(2, 3), normal(3)]),
    ("Min", [normal(2, 3), normal(2, 1)]),
    ("Max", [normal(3)]),
    ("Max", [normal(2, 3), normal(3), normal(2, 1)]),
    ("Min", [normal(4), normal(3, 1), normal(1)]),
    ("Sum", [normal(2, 3), normal(3), normal(2, 1)]),
    ("Mean", [normal(2, 3), normal(3)]),
]


@pytest.mark.parametrize("op_type,inputs", BINARY, ids=lambda v: v if isinstance(v, str) else "")
def test_binary(op_type, inputs):
    check_vjp(op_type, inputs, {}, wrt=list(range(len(inputs))))


@pytest.mark.parametrize("op_type", ["Add", "Mul", "Div", "Sub"])
def test_binary_symbolic_batch(op_type):
    check_vjp(op_type, [normal(3, 4), positive(3, 4)], {}, wrt=[0, 1], batch=True)


UNARY = [
    ("Neg", normal, {}),
    ("Abs", away, {}),
    ("Exp", normal, {}),
    ("Log", positive, {}),
    ("Sqrt", positive, {}),
    ("Reciprocal", away, {}),
    ("Sin", normal, {}),
    ("Cos", normal, {}),
    ("Tanh", normal, {}),
    ("Sigmoid", normal, {}),
    ("Relu", away, {}),
    ("LeakyRelu", away, {"alpha": 0.1}),
    ("LeakyRelu", away, {}),
    ("Elu", away, {"alpha": 0.7}),
    ("Selu", away, {}),
    ("Selu", away, {"alpha": 1.5, "gamma": 2.0}),
    ("Softplus", normal, {}),
    ("Softsign", normal, {}),
    ("Erf", normal, {}),
    ("Identity", normal, {}),
    ("HardSigmoid", lambda *s: RNG.uniform(-2.4, 2.4, s), {"alpha": 0.2, "beta": 0.5}),
    ("HardSigmoid", lambda *s: RNG.choice([-1.0, 1.0], s) * RNG.uniform(0.2, 0.8, s), {}),
]


@pytest.mark.parametrize("op_type,make,attrs", UNARY, ids=lambda v: v if isinstance(v, str) else "")
def test_unary(op_type, make, attrs):
    check_vjp(op_type, [make(2, 3)], attrs)


def test_hard_sigmoid_saturated_regions_get_no_gradient():
    x = np.array([[-5.0, 0.1, 5.0]])
    result = check_vjp("HardSigmoid", [x], {})
    assert result.analytic[0][0, 0] == 0 and result.analytic[0][0, 2] == 0


@pytest.mark.parametrize("op_type", ["Max", "Min"])
def test_ties_share_the_gradient(op_type):
    x = normal(2, 3)
    result = check_vjp(op_type, [x, x.copy()], {}, wrt=[0, 1], numeric=False)
    np.testing.assert_allclose(result.analytic[0], result.analytic[1])
    total = result.analytic[0] + result.analytic[1]
    single = check_vjp("Identity", [x], {}, numeric=False)
    np.testing.assert_allclose(total, single.analytic[0])


def clip_inputs():
    x = RNG.uniform(-2, 2, (3, 4))
    x[np.abs(np.abs(x) - 1.0) < 0.1] = 0.3  # away from the bounds
    return x


@pytest.mark.parametrize(
    "bounds,wrt",
    [
        ((np.array(-1.0), np.array(1.0)), [0, 1, 2]),
        ((np.array(-1.0), None), [0, 1]),
        ((None, np.array(1.0)), [0]),
        ((None, None), [0]),
    ],
)
def test_clip(bounds, wrt):
    inputs = [clip_inputs(), *bounds]
    while inputs and inputs[-1] is None:
        inputs.pop()
    check_vjp("Clip", inputs, {}, wrt=wrt)


@pytest.mark.parametrize(
    "shapes", [((2, 3), (2, 3), (2, 3)), ((2, 3), (3,), (2, 1)), ((3,), (2, 3), ())]
)
def test_where(shapes):
    c, a, z = shapes
    cond = RNG.random(c) > 0.5
    check_vjp("Where", [cond, normal(*a), normal(*z)], {}, wrt=[1, 2])


def test_cast_between_float_types():
    check_vjp("Cast", [normal(2, 3)], {"to": 1}, dtype="float64", rtol=1e-3, atol=1e-4, eps=1e-3)


def test_pow_with_integer_exponent_constant():
    check_vjp("Pow", [normal(2, 3), np.array(3, dtype=np.int64)], {}, wrt=[0])


def test_square_mul_of_one_value():
    """Mul(x, x) (BatchNormalization's variance) gets 2·g·x without a Sum of two products."""
    from harness_vjp import check_graph_vjp

    x = np.random.default_rng(3).standard_normal((2, 3, 4))
    result = check_graph_vjp(lambda b, v: [b.op("Mul", [v[0], v[0]])], [x], wrt=[0])
    grads = [n.op_type for n in result.graph if n.name.startswith("grad/")]
    assert "Sum" not in grads and grads.count("Add") == 1


@pytest.mark.parametrize("reduce", [False, True])
def test_square_of_a_centred_tensor(reduce):
    """BatchNormalization's variance: ``mean((x - mean(x))**2)`` over N, H, W, where the
    square's cotangent is a ReduceMean's per-channel one (doubled before it is spread)."""

    def build(b, values):
        axes = b.constant(np.array([0, 2, 3], dtype=np.int64))
        x = values[0]
        d = b.op("Sub", [x, b.op("ReduceMean", [x, axes])])
        square = b.op("Mul", [d, d])
        return [b.op("ReduceMean", [square, axes]) if reduce else square]

    check_graph_vjp(build, [normal(2, 3, 4, 5)], wrt=[0])
