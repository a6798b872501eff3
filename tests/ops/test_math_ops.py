"""Element-wise math ops (``kgraph/ops/math_ops.py`` and ``binary_ops.py``) against numpy:
each case run eagerly, in a model and as ONNX."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.special

from kgraph import ops
from tests.ops.opcheck import case, check_eager, check_model, check_onnx, f32, grid, i32, params

# name, numpy reference, input interval (None: standard normal)
UNARY = [
    ("tan", np.tan, (-1.2, 1.2)),
    ("arcsin", np.arcsin, (-0.95, 0.95)),
    ("arccos", np.arccos, (-0.95, 0.95)),
    ("arctan", np.arctan, None),
    ("sinh", np.sinh, None),
    ("cosh", np.cosh, None),
    ("arcsinh", np.arcsinh, None),
    ("arccosh", np.arccosh, (1.05, 4.0)),
    ("arctanh", np.arctanh, (-0.9, 0.9)),
    ("deg2rad", np.deg2rad, None),
    ("rad2deg", np.rad2deg, None),
    ("fabs", np.fabs, None),
    ("log1p", np.log1p, (-0.5, 3.0)),
    ("expm1", np.expm1, None),
    ("log2", np.log2, (0.1, 9.0)),
    ("log10", np.log10, (0.1, 9.0)),
    ("exp2", np.exp2, None),
    ("rsqrt", lambda x: 1 / np.sqrt(x), (0.1, 9.0)),
    ("cbrt", np.cbrt, None),
    ("sinc", np.sinc, None),
    ("erfc", scipy.special.erfc, None),
    ("erfinv", scipy.special.erfinv, (-0.95, 0.95)),
    ("i0", np.i0, (-6.0, 6.0)),
    ("angle", lambda x: np.angle(x).astype(np.float64), None),
]


def _input(interval, *shape):
    return f32(*shape) * 2 if interval is None else f32(*shape, low=interval[0], high=interval[1])


def _unary_cases():
    cases = []
    for name, ref, interval in UNARY:
        fn = getattr(ops, name)
        cases += [
            case(name, fn, ref, _input(interval, 3, 4), label="2d", rtol=2e-5),
            case(name, fn, ref, _input(interval, 5, 3), label="dyn", dynamic=True, rtol=2e-5),
        ]
        if interval is None or interval[0] <= 1 <= interval[1]:
            cases.append(case(name, fn, ref, i32(2, 3, low=1, high=2), label="int32", rtol=2e-5))
    tiny = np.array([[1e-7, -3e-6, 2e-4, 0.0]], np.float32)
    cases += [
        case("log1p", ops.log1p, np.log1p, tiny, label="tiny", rtol=1e-6, atol=0),
        case("expm1", ops.expm1, np.expm1, tiny, label="tiny", rtol=1e-6, atol=0),
    ]
    return cases


def _rounding_cases():
    halves = np.array([[-2.5, -1.5, -0.5, 0.5, 1.5, 2.5], [0.26, -1.74, 3.49, 7.0, -0.0, 9.9]])
    halves = halves.astype(np.float32)
    return [
        case("round", ops.round, np.round, halves, label="half_even"),
        case(
            "round",
            lambda x: ops.round(x, 1),
            lambda x: np.round(x, 1),
            f32(3, 4) * 9,
            label="decimals",
            atol=1e-5,
        ),
        case(
            "round",
            lambda x: ops.round(x, -1),
            lambda x: np.round(x, -1),
            i32(3, 4, low=-99, high=99),
            dtype="int32",
            label="int_negative",
        ),
        case("round", ops.round, np.round, i32(2, 3), dtype="int32", label="int32"),
        case("trunc", ops.trunc, np.trunc, halves, label="float"),
        case("trunc", ops.trunc, np.trunc, i32(2, 3), dtype="int32", label="int32"),
    ]


def _special(*rows):
    return np.array(rows, np.float32)


def _predicate_cases():
    x = _special([np.nan, np.inf, -np.inf, 0.0], [-0.0, 1.5, -2.0, np.nan])
    cases = []
    for name in ("isnan", "isinf", "isfinite", "isposinf", "isneginf", "signbit"):
        fn, ref = getattr(ops, name), getattr(np, name)
        cases += [
            case(name, fn, ref, x, dtype="bool", label="special"),
            case(name, fn, ref, i32(2, 3), dtype="bool", label="int32"),
        ]
    return cases


def _complex_view_cases():
    cases = []
    for name, ref in [
        ("real", np.real),
        ("imag", np.imag),
        ("conj", np.conj),
        ("conjugate", np.conjugate),
        ("copy", np.copy),
    ]:
        fn = getattr(ops, name)
        cases += [
            case(name, fn, ref, f32(3, 4), label="float"),
            case(name, fn, ref, i32(3, 4), dtype="int32", label="int32"),
        ]
    cases += [
        case("isreal", ops.isreal, np.isreal, f32(3, 4), dtype="bool", label="float"),
        case("isreal", ops.isreal, np.isreal, i32(3, 4), dtype="bool", label="int32"),
    ]
    return cases


# -- binary ---------------------------------------------------------------------------------------

# name, numpy reference, second-operand interval, whether int32 operands stay int32
BINARY = [
    ("arctan2", np.arctan2, None, False),
    ("hypot", np.hypot, None, False),
    ("mod", np.mod, (0.5, 3.0), True),
    ("fmod", np.fmod, (0.5, 3.0), True),
    ("floor_divide", np.floor_divide, (0.5, 3.0), True),
    ("logaddexp", np.logaddexp, None, False),
    ("logaddexp2", np.logaddexp2, None, False),
    ("fmax", np.fmax, None, True),
    ("fmin", np.fmin, None, True),
    ("heaviside", np.heaviside, None, False),
    ("divide_no_nan", lambda a, b: np.where(b == 0, 0.0, a / np.where(b == 0, 1, b)), None, False),
]


def _second(interval, *shape):
    x = _input(interval, *shape)
    return x * np.where(f32(*shape) > 0, 1, -1).astype(np.float32) if interval else x


def _ldexp(x, e):
    return x * 2.0 ** e.astype(np.float64)


def _binary_cases():
    cases = []
    for name, ref, interval, keeps_int in BINARY:
        fn = getattr(ops, name)
        cases += [
            case(name, fn, ref, f32(3, 4) * 3, _second(interval, 3, 4), label="same"),
            case(name, fn, ref, f32(2, 3, 4) * 3, _second(interval, 4), label="bcast"),
            case(name, fn, ref, f32(5, 3) * 3, _second(interval, 3), label="dyn", dynamic=True),
            case(
                name,
                fn,
                ref,
                i32(3, 4, low=-9, high=9),
                i32(3, 4, low=1, high=4) * np.where(i32(3, 4) > 0, 1, -1).astype(np.int32),
                dtype="int32" if keeps_int else "float32",
                label="int32",
            ),
        ]
    zeros = _special([0.0, 1.0, -2.0, 0.0])
    cases += [
        case("mod", ops.mod, np.mod, grid(3, 4), _special([1.5, -1.5, 2.0, -2.0]), label="signs"),
        case(
            "divide_no_nan",
            ops.divide_no_nan,
            lambda a, b: np.where(b == 0, 0, a / np.where(b == 0, 1, b)),
            f32(2, 4),
            zeros,
            label="zeros",
        ),
        case(
            "fmax",
            ops.fmax,
            np.fmax,
            _special([np.nan, 1.0, np.nan]),
            _special([2.0, np.nan, np.nan]),
            label="nan",
        ),
        case(
            "logaddexp",
            ops.logaddexp,
            np.logaddexp,
            _special([-np.inf, 1000.0, 3.0]),
            _special([-np.inf, 1000.0, -np.inf]),
            label="extremes",
        ),
        case(
            "heaviside",
            lambda x: ops.heaviside(x, 0.5),
            lambda x: np.heaviside(x, 0.5),
            grid(3, 4),
            label="zero",
        ),
        case("ldexp", ops.ldexp, _ldexp, f32(3, 4), i32(3, 4), label="same"),
        case("ldexp", ops.ldexp, _ldexp, f32(5, 4), i32(4), label="dyn", dynamic=True),
    ]
    return cases


def _logic_cases():
    a, c = i32(3, 4, low=-1, high=2), i32(3, 4, low=-1, high=2)
    cases = []
    for name in ("logical_and", "logical_or", "logical_xor"):
        fn, ref = getattr(ops, name), getattr(np, name)
        cases += [
            case(name, fn, ref, a, c, dtype="bool", label="int32"),
            case(name, fn, ref, grid(3, 4), grid(4) > 0, dtype="bool", label="float_bool"),
        ]
    cases += [
        case("logical_not", ops.logical_not, np.logical_not, a, dtype="bool", label="int32"),
        case(
            "logical_not",
            ops.logical_not,
            np.logical_not,
            grid(3, 4) > 0,
            dtype="bool",
            label="bool",
        ),
        case(
            "not_equal",
            ops.not_equal,
            np.not_equal,
            grid(3, 4),
            grid(4),
            dtype="bool",
            label="bcast",
        ),
        case(
            "not_equal",
            lambda x: ops.not_equal(x, 1),
            lambda x: x != 1,
            a,
            dtype="bool",
            label="scalar",
        ),
    ]
    return cases


def _isclose_cases():
    x = _special([1.0, np.nan, np.inf, 1.0, 0.0])
    y = _special([1.000001, np.nan, np.inf, 1.1, 1e-9])
    return [
        case("isclose", ops.isclose, np.isclose, x, y, dtype="bool", label="default"),
        case(
            "isclose",
            lambda a, b: ops.isclose(a, b, 0.2, 0, True),
            lambda a, b: np.isclose(a, b, 0.2, 0, True),
            x,
            y,
            dtype="bool",
            label="equal_nan",
        ),
        case(
            "allclose", ops.allclose, np.allclose, f32(3, 4), f32(3, 4), dtype="bool", label="far"
        ),
        case(
            "allclose",
            lambda a: ops.allclose(a, a + 1e-7),
            lambda a: np.allclose(a, a + 1e-7),
            f32(3, 4),
            dtype="bool",
            label="near",
        ),
        case(
            "nan_to_num",
            ops.nan_to_num,
            lambda a: np.nan_to_num(a.astype(np.float32)),
            x,
            label="default",
        ),
        case(
            "nan_to_num",
            lambda a: ops.nan_to_num(a, 1.0, 9.0, -9.0),
            lambda a: np.nan_to_num(a, nan=1.0, posinf=9.0, neginf=-9.0),
            _special([np.nan, -np.inf, np.inf, 2.0]),
            label="values",
        ),
    ]


def _bitwise_cases():
    a, c = i32(3, 4, low=-50, high=50), i32(3, 4, low=-50, high=50)
    shifts = i32(3, 4, low=0, high=5)
    u = np.arange(12, dtype=np.uint8).reshape(3, 4) * 7
    cases = []
    for name, ref in [
        ("bitwise_and", np.bitwise_and),
        ("bitwise_or", np.bitwise_or),
        ("bitwise_xor", np.bitwise_xor),
    ]:
        fn = getattr(ops, name)
        cases += [
            case(name, fn, ref, a, c, dtype="int32", label="int32"),
            case(name, fn, ref, grid(3, 4) > 0, grid(3, 4) > 0, dtype="bool", label="bool"),
        ]
    for name in ("bitwise_not", "bitwise_invert"):
        cases += [
            case(name, getattr(ops, name), np.invert, a, dtype="int32", label="int32"),
            case(name, getattr(ops, name), np.invert, grid(3, 4) > 0, dtype="bool", label="bool"),
        ]
    for name, ref in [
        ("left_shift", np.left_shift),
        ("right_shift", np.right_shift),
        ("bitwise_left_shift", np.left_shift),
        ("bitwise_right_shift", np.right_shift),
    ]:
        fn = getattr(ops, name)
        cases += [
            case(name, fn, ref, a, shifts, dtype="int32", label="int32"),
            case(name, fn, ref, u, np.uint8(2) + 0 * u, dtype="uint8", label="uint8"),
        ]
    return cases


def _integer_cases():
    a, c = i32(3, 4, low=-40, high=40), i32(3, 4, low=-40, high=40)
    return [
        case("absolute", ops.absolute, np.absolute, f32(3, 4), label="float"),
        case("absolute", ops.absolute, np.absolute, a, dtype="int32", label="int32"),
        case("gcd", ops.gcd, np.gcd, a, c, dtype="int32", label="int32"),
        case(
            "gcd", lambda x: ops.gcd(x, 6), lambda x: np.gcd(x, 6), a, dtype="int32", label="scalar"
        ),
        case(
            "gcd",
            ops.gcd,
            np.gcd,
            np.array([1134903170, 0, 0], np.int32),
            np.array([1836311903, 0, 9], np.int32),
            dtype="int32",
            label="fibonacci",
        ),
        case(
            "lcm",
            ops.lcm,
            np.lcm,
            i32(3, 4, low=-9, high=9),
            i32(3, 4, low=-9, high=9),
            dtype="int32",
            label="int32",
        ),
        case(
            "lcm", lambda x: ops.lcm(x, 4), lambda x: np.lcm(x, 4), a, dtype="int32", label="scalar"
        ),
    ]


def _nextafter32(a, t):
    """numpy's nextafter in float32 (the table widens float inputs to float64)."""
    with np.errstate(over="ignore"):  # max float toward inf is inf, as intended
        return np.nextafter(np.float32(a), np.float32(t))


def _nextafter_cases():
    edges = _special(
        [1, 2, 0.1, -0.1, 0, 0, -2, 3.4028235e38, np.inf, 1e-45, 1.17549435e-38, np.nan, 7.5]
    )
    targets = _special([0, 3, 1, 1, 1, -1, -5, np.inf, 0, 0, 0, 1, -np.inf])
    exact = {"rtol": 0, "atol": 0}
    return [
        case("nextafter", ops.nextafter, _nextafter32, edges, targets, label="edges", **exact),
        case(
            "nextafter",
            ops.nextafter,
            _nextafter32,
            f32(3, 4) * 1e3,
            f32(4),
            label="bcast",
            **exact,
        ),
        case(
            "nextafter",
            lambda a: ops.nextafter(a, 0),
            lambda a: _nextafter32(a, 0),
            i32(2, 3),
            label="int",
            **exact,
        ),
    ]


CASES = (
    _nextafter_cases()
    + _integer_cases()
    + _unary_cases()
    + _rounding_cases()
    + _predicate_cases()
    + _complex_view_cases()
    + _binary_cases()
    + _logic_cases()
    + _isclose_cases()
    + _bitwise_cases()
)


@pytest.mark.parametrize("c", params(CASES))
def test_eager(c):
    check_eager(c)


@pytest.mark.parametrize("c", params(CASES))
def test_in_model(c):
    check_model(c)


@pytest.mark.parametrize("c", params(CASES))
def test_exported_onnx(c):
    check_onnx(c)


def test_errors():
    with pytest.raises(TypeError, match="integer exponent"):
        ops.ldexp(np.ones(2, np.float32), np.ones(2, np.float32))
    with pytest.raises(TypeError, match="integer tensors"):
        ops.left_shift(np.ones(2, np.float32), 1)


def test_numpy_namespace_has_the_numpy_style_ops():
    from kgraph.ops import numpy as knp

    assert knp.cumsum is ops.cumsum and knp.tile is ops.tile
    assert np.asarray(knp.array([1, 2])).dtype == np.int32
    np.testing.assert_array_equal(knp.array([1.5, 2.0], "float16"), np.float16([1.5, 2.0]))
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        knp.nope  # noqa: B018


def test_python_floats_are_floats():
    """A Python float is a (weak) float: rounding, predicates and NaN handling apply to it."""
    assert float(ops.trunc(-1.5)) == -1.0
    assert float(ops.round(2.5)) == 2.0
    assert bool(ops.isnan(float("nan"))) and bool(ops.signbit(-0.0))
    assert float(ops.nan_to_num(float("inf"))) == np.finfo(np.float32).max
    assert ops.round(7) == 7 and ops.trunc(3) == 3


def test_nn_namespace_has_the_nn_ops():
    from kgraph.ops import nn

    assert nn.celu is ops.celu and nn.relu is ops.relu
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        nn.nope  # noqa: B018
