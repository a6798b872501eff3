"""``kgraph.ops`` numpy-like ops: one table, each case run eagerly, in a model and as ONNX."""

from __future__ import annotations

import numpy as np
import pytest

import kgraph
from kgraph import ops
from tests.ops.opcheck import case, check_eager, check_model, check_onnx, f32, grid, i32, params

# -- element-wise unary -----------------------------------------------------------------------

# op name, numpy reference, input domain ("pos": > 0, "nonzero": |x| >= 0.5), int32 output dtype
UNARY = [
    ("abs", np.abs, None, "int32"),
    ("negative", np.negative, None, "int32"),
    ("square", np.square, None, "int32"),
    ("sign", np.sign, None, "int32"),
    ("exp", np.exp, None, "float32"),
    ("log", np.log, "pos", "float32"),
    ("sqrt", np.sqrt, "pos", "float32"),
    ("reciprocal", np.reciprocal, "nonzero", "float32"),
    ("sin", np.sin, None, "float32"),
    ("cos", np.cos, None, "float32"),
    ("tanh", np.tanh, None, "float32"),
    ("floor", np.floor, None, "float32"),
    ("ceil", np.ceil, None, "float32"),
    ("erf", None, None, "float32"),
]


def _float_input(domain, *shape):
    if domain == "pos":
        return f32(*shape, low=0.1, high=5.0)
    if domain == "nonzero":
        return f32(*shape, low=0.5, high=2.0) * np.where(f32(*shape) > 0, 1, -1).astype("float32")
    return f32(*shape) * 2


def _unary_cases():
    from tests.ops.opcheck import erf

    cases = []
    for name, ref, domain, int_dtype in UNARY:
        fn = getattr(ops, name)
        ref = ref or erf
        cases += [
            case(name, fn, ref, _float_input(domain, 5), label="1d"),
            case(name, fn, ref, _float_input(domain, 3, 2, 4), label="3d"),
            case(name, fn, ref, _float_input(domain, 5, 3), label="dyn", dynamic=True),
            case(name, fn, ref, i32(2, 3, low=1 if domain else -3), dtype=int_dtype, label="int32"),
        ]
    cases.append(case("sign", ops.sign, np.sign, grid(4, 3), label="zeros"))
    return cases


# -- element-wise binary ------------------------------------------------------------------------

BINARY = [
    ("add", np.add, None),
    ("subtract", np.subtract, None),
    ("multiply", np.multiply, None),
    ("divide", np.divide, "nonzero"),
    ("true_divide", np.true_divide, "nonzero"),
    ("maximum", np.maximum, None),
    ("minimum", np.minimum, None),
    ("power", np.power, "base"),
]
COMPARE = [
    ("greater", np.greater),
    ("less", np.less),
    ("greater_equal", np.greater_equal),
    ("less_equal", np.less_equal),
    ("equal", np.equal),
]
SHAPES = [((3, 4), (3, 4)), ((2, 3, 4), (4,)), ((3, 1), (1, 4)), ((2, 1, 4), (3, 1))]


def _pair(domain, sa, sb):
    if domain == "base":
        return f32(*sa, low=0.5, high=2.0), f32(*sb)
    if domain == "nonzero":
        return f32(*sa), f32(*sb, low=0.5, high=2.0)
    return f32(*sa), f32(*sb)


def _binary_cases():
    cases = []
    for name, ref, domain in BINARY:
        fn = getattr(ops, name)
        for sa, sb in SHAPES:
            cases.append(case(name, fn, ref, *_pair(domain, sa, sb), label=f"{sa}x{sb}"))
        cases.append(case(name, fn, ref, *_pair(domain, (5, 3), (3,)), label="dyn", dynamic=True))
        # A Python scalar is weakly typed: the result keeps the tensor's float32.
        cases.append(
            case(
                name,
                lambda x, fn=fn: fn(x, 2.0),
                lambda x, ref=ref: ref(x, 2.0),
                _pair(domain, (3, 4), ())[0],
                label="scalar",
            )
        )
        # int32 with int32: ints stay int32, except divide which gives float32 (like Keras).
        low = 1 if domain else -3
        int_out = "float32" if "divide" in name else "int32"
        b = i32(3, 4, low=0, high=3) if name == "power" else i32(3, 4, low=low)
        cases.append(case(name, fn, ref, i32(3, 4, low=low), b, dtype=int_out, label="int32"))
        # int32 with float32 promotes to float32.
        cases.append(
            case(
                name, fn, ref, i32(3, 4, low=1), f32(3, 4, low=0.5, high=2.0), label="int32xfloat32"
            )
        )
    # Bools: the maximum is a logical or, the minimum a logical and (ONNX Or/And; Max takes none).
    for name, ref in [("maximum", np.maximum), ("minimum", np.minimum)]:
        fn = getattr(ops, name)
        a, b = grid(3, 4) > 0, grid(3, 1) > 1
        cases.append(case(name, fn, ref, a, b, dtype="bool", label="bool"))
    for name, ref in COMPARE:
        fn = getattr(ops, name)
        for sa, sb in SHAPES[:3]:
            cases.append(
                case(name, fn, ref, grid(*sa), grid(*sb), dtype="bool", label=f"{sa}x{sb}")
            )
        cases.append(
            case(name, fn, ref, grid(5, 3), grid(3), dtype="bool", label="dyn", dynamic=True)
        )
        cases.append(
            case(name, fn, ref, i32(3, 4), grid(3, 4), dtype="bool", label="int32xfloat32")
        )
        cases.append(
            case(
                name,
                lambda x, fn=fn: fn(x, 0),
                lambda x, ref=ref: ref(x, 0),
                grid(3, 4),
                dtype="bool",
                label="scalar",
            )
        )
    return cases


# -- matmul, where, clip, cast, convert_to_tensor ---------------------------------------------

MATMUL_SHAPES = [
    ((3, 4), (4, 5)),
    ((2, 3, 4), (4, 5)),
    ((2, 3, 4), (2, 4, 2)),
    ((4,), (4, 3)),
    ((3, 4), (4,)),
    ((2, 1, 3, 4), (3, 4, 2)),
]


def _misc_cases():
    cases = [
        case("matmul", ops.matmul, np.matmul, f32(*a), f32(*b), label=f"{a}x{b}")
        for a, b in MATMUL_SHAPES
    ]
    cases += [
        case("matmul", ops.matmul, np.matmul, f32(5, 4), f32(4, 3), label="dyn", dynamic=True),
        case("matmul", ops.matmul, np.matmul, i32(3, 4), i32(4, 2), dtype="int32", label="int32"),
        case("matmul", ops.matmul, np.matmul, i32(3, 4), f32(4, 2), label="int32xfloat32"),
        case("where", ops.where, np.where, f32(3, 4) > 0, f32(3, 4), f32(3, 4), label="same"),
        case("where", ops.where, np.where, f32(2, 3, 4) > 0, f32(4), f32(3, 1), label="bcast"),
        case(
            "where",
            lambda c, x: ops.where(c, x, 0.0),
            lambda c, x: np.where(c, x, 0.0),
            f32(3, 4) > 0,
            f32(3, 4),
            label="scalar",
        ),
        case(
            "where",
            ops.where,
            lambda c, x, y: np.where(c != 0, x, y),
            i32(3, 4, low=0, high=2),
            f32(3, 4),
            f32(3, 4),
            label="int_condition",
        ),
        case(
            "where", ops.where, np.where, f32(3, 4) > 0, i32(3, 4), f32(3, 4), label="int32xfloat32"
        ),
        case(
            "where",
            ops.where,
            np.where,
            f32(3, 4) > 0,
            i32(3, 4),
            i32(3, 4),
            dtype="int32",
            label="int32",
        ),
        case(
            "where",
            lambda x: ops.where(ops.greater(x, 0), x, ops.negative(x)),
            lambda x: np.where(x > 0, x, -x),
            f32(5, 3),
            label="dyn",
            dynamic=True,
        ),
        case(
            "clip",
            lambda x: ops.clip(x, -0.5, 0.5),
            lambda x: np.clip(x, -0.5, 0.5),
            f32(3, 4),
            label="float",
        ),
        case(
            "clip",
            lambda x: ops.clip(x, -0.5, 0.5),
            lambda x: np.clip(x, -0.5, 0.5),
            f32(5, 4),
            label="dyn",
            dynamic=True,
        ),
        case(
            "clip",
            lambda x: ops.clip(x, -1, 2),
            lambda x: np.clip(x, -1, 2),
            i32(3, 4),
            dtype="int32",
            label="int32",
        ),
        case(
            "clip",
            lambda x: ops.clip(x, -0.5, 1.5),
            lambda x: np.clip(x, -0.5, 1.5),
            i32(3, 4),
            label="int32_float_bounds",
        ),
        case(
            "cast",
            lambda x: ops.cast(x, "int32"),
            lambda x: x.astype(np.int32),
            f32(3, 4) * 3,
            dtype="int32",
            label="float_to_int",
        ),
        case(
            "cast",
            lambda x: ops.cast(x, "float32"),
            lambda x: x.astype(np.float32),
            i32(3, 4),
            label="int_to_float",
        ),
        case(
            "cast",
            lambda x: ops.cast(x, "bool"),
            lambda x: x != 0,
            grid(3, 4),
            dtype="bool",
            label="float_to_bool",
        ),
        case(
            "cast",
            lambda x: ops.cast(x, "float32"),
            lambda x: x.astype(np.float32),
            f32(3, 4) > 0,
            label="bool_to_float",
        ),
        case(
            "cast",
            lambda x: ops.cast(x, "int64"),
            lambda x: x.astype(np.int64),
            f32(5, 2) * 3,
            dtype="int64",
            label="dyn",
            dynamic=True,
        ),
        case(
            "convert_to_tensor",
            lambda x: ops.add(x, ops.convert_to_tensor([1.0, 2.0, 3.0])),
            lambda x: x + np.array([1.0, 2.0, 3.0]),
            f32(2, 3),
            label="list",
        ),
        case(
            "convert_to_tensor",
            lambda x: ops.convert_to_tensor(x, "float32"),
            lambda x: x.astype(np.float32),
            i32(2, 3),
            label="dtype",
        ),
        case(
            "array",
            lambda x: ops.add(x, ops.array([[1.0], [2.0]])),
            lambda x: x + np.array([[1.0], [2.0]]),
            f32(2, 3),
            label="list",
        ),
        case(
            "array",
            lambda x: ops.array(x, dtype="int32"),
            lambda x: x.astype(np.int32),
            f32(2, 3) * 4,
            dtype="int32",
            label="dtype",
        ),
    ]
    return cases


# -- reductions -------------------------------------------------------------------------------

REDUCE = [("sum", np.sum), ("mean", np.mean), ("max", np.max), ("min", np.min), ("prod", np.prod)]
AXES = [
    (None, False),
    (None, True),
    (0, False),
    (-1, False),
    (1, True),
    ((0, 2), False),
    ((0, -1), True),
]


def _reduce_cases():
    cases = []
    for name, ref in REDUCE:
        fn = getattr(ops, name)
        for axis, keep in AXES:
            cases.append(
                case(
                    name,
                    lambda x, fn=fn, a=axis, k=keep: fn(x, axis=a, keepdims=k),
                    lambda x, ref=ref, a=axis, k=keep: ref(x, axis=a, keepdims=k),
                    f32(2, 3, 4, low=0.5, high=1.5),
                    label=f"axis={axis},keepdims={keep}",
                )
            )
        cases.append(
            case(
                name,
                lambda x, fn=fn: fn(x, axis=-1),
                lambda x, ref=ref: ref(x, axis=-1),
                f32(5, 3, low=0.5, high=1.5),
                label="dyn",
                dynamic=True,
            )
        )
        int_out = "float32" if name == "mean" else "int32"
        cases.append(
            case(
                name,
                lambda x, fn=fn: fn(x, axis=1),
                lambda x, ref=ref: ref(x, axis=1),
                i32(3, 4),
                dtype=int_out,
                label="int32",
            )
        )
    # Like Keras, a bool sum counts (int32) and a bool mean is a float32 fraction.
    cases.append(case("sum", ops.sum, np.sum, f32(3, 4) > 0, dtype="int32", label="bool"))
    cases.append(case("mean", ops.mean, np.mean, f32(3, 4) > 0, label="bool"))
    for axis, keep in [(None, False), (None, True), (0, False), (-1, True), (1, False)]:
        cases.append(
            case(
                "argmax",
                lambda x, a=axis, k=keep: ops.argmax(x, axis=a, keepdims=k),
                lambda x, a=axis, k=keep: np.argmax(x, axis=a, keepdims=k).astype(np.int32),
                grid(2, 3, 4),
                dtype="int32",
                label=f"axis={axis},keepdims={keep}",
            )
        )
    cases.append(
        case(
            "argmax",
            lambda x: ops.argmax(x, axis=-1),
            lambda x: np.argmax(x, axis=-1).astype(np.int32),
            grid(3, 5) > 0,
            dtype="int32",
            label="bool",
        )
    )
    cases.append(
        case(
            "argmax",
            lambda x: ops.argmax(x, axis=-1),
            lambda x: np.argmax(x, axis=-1).astype(np.int32),
            i32(5, 6),
            dtype="int32",
            label="dyn",
            dynamic=True,
        )
    )
    return cases


CASES = _unary_cases() + _binary_cases() + _misc_cases() + _reduce_cases()


@pytest.mark.parametrize("c", params(CASES))
def test_eager(c):
    check_eager(c)


@pytest.mark.parametrize("c", params(CASES))
def test_in_model(c):
    check_model(c)


@pytest.mark.parametrize("c", params(CASES))
def test_exported_onnx(c):
    check_onnx(c)


# -- dtype rules and errors -------------------------------------------------------------------


def _symbolic(shape, dtype="float32"):
    return kgraph.Input(batch_shape=shape, dtype=dtype)


@pytest.mark.parametrize("make", [lambda s, d: np.ones(s, d), _symbolic], ids=["eager", "symbolic"])
def test_python_scalars_are_weakly_typed(make):
    x32, x16, n = make((2, 3), "float32"), make((2, 3), "float16"), make((2, 3), "int32")
    assert ops.maximum(x32, 0).dtype == "float32"
    assert ops.multiply(x32, 2).dtype == "float32"
    assert ops.add(x16, 1.5).dtype == "float16"
    assert ops.multiply(n, 2).dtype == "int32"
    assert ops.add(n, 1.5).dtype == "float32"
    assert ops.where(ops.greater(x32, 0), x32, 0).dtype == "float32"


@pytest.mark.parametrize(
    "call, dtype, value",
    [
        (lambda: ops.add(1, 2), "int32", 3),
        (lambda: ops.multiply(3, 4), "int32", 12),
        (lambda: ops.add(1, 2.5), "float32", 3.5),
        (lambda: ops.maximum(2.0, 3.0), "float32", 3.0),
        (lambda: ops.where(np.array([True, False]), 1, 0), "int32", [1, 0]),
        (lambda: ops.where(np.array([True, False]), 1, 0.5), "float32", [1.0, 0.5]),
        (lambda: ops.divide(3, 2), "float32", 1.5),
    ],
)
def test_python_scalars_alone_follow_keras(call, dtype, value):
    """Keras gives Python ints int32 and Python floats floatx when no tensor sets the dtype."""
    out = call()
    assert out.dtype == dtype
    np.testing.assert_array_equal(out, value)


@pytest.mark.parametrize("make", [lambda s, d: np.ones(s, d), _symbolic], ids=["eager", "symbolic"])
def test_promotion(make):
    n, x = make((2, 3), "int32"), make((2, 3), "float32")
    assert ops.add(n, x).dtype == "float32"
    assert ops.multiply(x, n).dtype == "float32"
    assert ops.divide(n, n).dtype == "float32"
    assert ops.matmul(n, make((3, 2), "float32")).dtype == "float32"
    assert ops.concatenate([n, x]).dtype == "float32"
    assert ops.argmax(x, axis=-1).dtype == "int32"
    assert ops.mean(n).dtype == "float32"
    assert ops.greater(n, x).dtype == "bool"


def test_float64_numpy_inputs_compute_in_float32():
    out = ops.add(np.ones(3), np.ones(3, np.float32))
    assert out.dtype == np.float32


@pytest.mark.parametrize("make", [np.zeros, _symbolic], ids=["eager", "symbolic"])
@pytest.mark.parametrize(
    "call, shapes",
    [
        (lambda a, b: ops.matmul(a, b), [(2, 3), (4, 5)]),
        (lambda a, b: ops.add(a, b), [(3,), (4,)]),
        (lambda a, b: ops.multiply(a, b), [(2, 3), (3, 2)]),
        (lambda a, b: ops.greater(a, b), [(5,), (2,)]),
        (lambda a, b: ops.concatenate([a, b], axis=0), [(2, 3), (2, 4)]),
    ],
    ids=["matmul", "add", "multiply", "greater", "concatenate"],
)
def test_shape_errors_name_both_shapes(make, call, shapes):
    a, b = (make(s) for s in shapes)
    with pytest.raises(ValueError) as info:
        call(a, b)
    for s in shapes:
        assert str(s) in str(info.value)


@pytest.mark.parametrize("make", [np.zeros, _symbolic], ids=["eager", "symbolic"])
def test_reshape_error_names_both_shapes(make):
    with pytest.raises(ValueError, match=r"\(6,\).*\(4,\)"):
        ops.reshape(make((6,)), (4,))


def test_shape_error_inside_a_layer_names_the_layer():
    from tests.ops.opcheck import OpLayer

    a, b = kgraph.Input((3,)), kgraph.Input((4,))
    with pytest.raises(ValueError, match=r"'bad_add'.*\(None, 3\) and \(None, 4\)"):
        OpLayer(ops.add, name="bad_add")(a, b)


def test_axis_out_of_range():
    with pytest.raises(ValueError, match="axis 3"):
        ops.sum(np.ones((2, 3)), axis=3)
    with pytest.raises(ValueError, match="axis -3"):
        ops.argmax(np.ones((2, 3)), axis=-3)
