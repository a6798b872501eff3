"""The sweep of ``ops_differential``: each op family crossed with the inputs users hit (dtypes,
Python scalars, broadcasting, 0-d and empty arrays, NaN/inf, negative / tuple / None axes,
keepdims). ``sweep()`` lists them all; the CI test picks a fixed sample."""

from __future__ import annotations

import numpy as np

from tests.oracle.ops_differential import call

RNG = np.random.default_rng(7)
F = RNG.uniform(-2.0, 2.0, (3, 4)).astype(np.float32)
G = RNG.uniform(0.5, 2.0, (3, 4)).astype(np.float32)
F3 = RNG.standard_normal((2, 3, 4)).astype(np.float32)
COL = RNG.standard_normal((3, 1)).astype(np.float32)
ROW = RNG.standard_normal(4).astype(np.float32)
I = RNG.integers(-5, 6, (3, 4)).astype(np.int32)  # noqa: E741
J = RNG.integers(1, 4, (3, 4)).astype(np.int32)
L = RNG.integers(-5, 6, (3, 4)).astype(np.int64)
U8 = RNG.integers(0, 9, (3, 4)).astype(np.uint8)
B = F > 0
H = F.astype(np.float16)
S0 = np.asarray(0.75, np.float32)
E = np.zeros((0, 3), np.float32)
N = np.array([[np.nan, 1.0, -np.inf, 2.0], [3.0, np.inf, 0.0, -1.0], [np.nan] * 4], np.float32)


def names(text: str) -> list[str]:
    """Op names written as one space-separated string."""
    return text.split()


UNARY_INPUTS = {
    "f32": F,
    "f32-3d": F3,
    "i32": I,
    "i64": L,
    "bool": B,
    "f16": H,
    "0d": S0,
    "py-float": 0.5,
    "py-int": 2,
    "empty": E,
    "nan": N,
    "u8": U8,
}

MATH = names(
    "abs absolute arccos arccosh arcsin arcsinh arctan arctanh cbrt ceil cos cosh deg2rad erf "
    "erfc erfinv exp exp2 expm1 fabs floor i0 log log1p log2 log10 negative rad2deg "
    "reciprocal round rsqrt sign sin sinc sinh sqrt square tan tanh trunc angle conj "
    "conjugate copy imag isfinite isinf isnan isneginf isposinf isreal real signbit "
    "logical_not"
)
ACTIVATIONS = names(
    "relu relu6 sigmoid softplus softsign silu swish log_sigmoid hard_sigmoid hard_silu "
    "hard_swish gelu elu selu leaky_relu celu hard_shrink hard_tanh soft_shrink sparse_plus "
    "sparse_sigmoid squareplus tanh_shrink softmax log_softmax sparsemax glu"
)
KERAS_ACTIVATIONS = names(
    "relu relu6 sigmoid softplus softsign silu gelu elu selu leaky_relu celu hard_sigmoid "
    "hard_silu mish exponential linear log_sigmoid tanh softmax log_softmax sparsemax glu "
    "tanh_shrink hard_tanh soft_shrink hard_shrink squareplus sparse_plus sparse_sigmoid"
)
INT_UNARY = ["bitwise_not", "bitwise_invert"]


# JAX wraps uint8 negation around (softmax of uint8 is garbage there): float math only.
NO_UINT = {"log_sigmoid", "softmax", "log_softmax", "hard_tanh", "sparsemax"}


def unary_calls():
    out = []
    for name in MATH + ACTIVATIONS:
        for label, x in UNARY_INPUTS.items():
            if label == "u8" and name in NO_UINT:
                continue
            if name == "hard_tanh" and label in ("i32", "i64", "bool", "py-int"):
                continue  # Keras keeps ints (tests/ops/test_activation_ops.py pins floatx)
            # Keras' JAX sparsemax sums the whole cumsum for its threshold (not a projection)
            out.append(call(name, x, label=label, values=name != "sparsemax"))
    for name in KERAS_ACTIVATIONS:
        for label in ("f32", "i32", "f16", "empty", "nan"):
            if name == "hard_tanh" and label == "i32":
                continue  # as above
            x = UNARY_INPUTS[label]
            out.append(call(f"activations.{name}", x, label=label, values=name != "sparsemax"))
    for name in INT_UNARY:
        for label in ("i32", "i64", "bool", "u8", "py-int", "0d"):
            x = UNARY_INPUTS[label] if label != "0d" else np.asarray(3, np.int32)
            out.append(call(name, x, label=label))
    return out


BINARY = names(
    "add subtract multiply divide true_divide floor_divide mod fmod power maximum minimum "
    "arctan2 hypot logaddexp logaddexp2 fmax fmin heaviside divide_no_nan equal not_equal "
    "greater greater_equal less less_equal logical_and logical_or logical_xor isclose "
    "nextafter"
)
INT_BINARY = names(
    "bitwise_and bitwise_or bitwise_xor left_shift right_shift bitwise_left_shift "
    "bitwise_right_shift gcd lcm"
)
PAIRS = {
    "f32-f32": (F, G),
    "f32-i32": (F, J),
    "i32-i32": (I, J),
    "i32-pyint": (I, 2),
    "pyint-i32": (3, J),
    "f32-pyfloat": (F, 1.5),
    "pyfloat-f32": (1.5, G),
    "i32-pyfloat": (I, 1.5),
    "bool-bool": (B, ~B),
    "bool-i32": (B, J),
    "bool-pyfloat": (B, 1.5),
    "f16-f32": (H, G),
    "f16-pyfloat": (H, 1.5),
    "f16-i32": (H, J),
    "col-row": (COL, ROW),
    "0d-f32": (S0, G),
    "i64-i32": (L, J),
    "i64-pyint": (L, 2),
    "u8-i32": (U8, J),
    "u8-pyint": (U8, 3),
    "empty": (E, E),
    "nan": (N, G),
}
INT_PAIRS = ("i32-i32", "i32-pyint", "pyint-i32", "bool-bool", "bool-i32", "i64-i32", "u8-i32")


def binary_calls():
    out = []
    for name in BINARY:
        for label, (x, y) in PAIRS.items():
            # JAX divides bools by False to garbage: there only the dtype is Keras'
            garbage = label == "bool-bool" and name in ("floor_divide", "mod", "fmod")
            out.append(call(name, x, y, label=label, values=not garbage))
    for name in INT_BINARY:
        for label in INT_PAIRS:
            x, y = PAIRS[label]
            out.append(call(name, x, y, label=label))
    for label, (x, y) in PAIRS.items():
        out.append(call("where", B, x, y, label=label))
        if label != "empty":
            out.append(call("ldexp", x, J, label=label))
    out.append(call("where", B, label="one-arg", compiled=False))  # nonzero: eager only
    return out


AXIS_REDUCTIONS = names(
    "sum mean max min prod any all amax amin var std logsumexp count_nonzero ptp median "
    "nansum nanmean nanmax nanmin nanprod nanvar nanstd nanmedian"
)
ARG_REDUCTIONS = ["argmax", "argmin", "nanargmax", "nanargmin"]
SCAN_REDUCTIONS = ["cumsum", "cumprod", "nancumsum", "nancumprod"]
REDUCE_INPUTS = {"f32": F3, "i32": I, "bool": B, "f16": H, "nan": N, "0d": S0, "empty": E}
AXES = {"none": None, "0": 0, "-1": -1, "tuple": (0, -1), "neg-tuple": (-1, -2)}


def reduction_calls():
    out = []
    for name in AXIS_REDUCTIONS:
        for label, x in REDUCE_INPUTS.items():
            for alabel, axis in AXES.items():
                if x.ndim == 0 and axis is not None:
                    continue
                if label == "empty" and "median" in name and axis != -1:
                    continue  # JAX fails in a gather (TypeError); kgraph raises ValueError
                out.append(call(name, x, axis=axis, label=f"{label}-{alabel}"))
            if x.ndim:
                out.append(call(name, x, axis=-1, keepdims=True, label=f"{label}-keep"))
                if not (label == "empty" and "median" in name):
                    out.append(call(name, x, keepdims=True, label=f"{label}-keep-none"))
    for name in ARG_REDUCTIONS + SCAN_REDUCTIONS:
        for label, x in REDUCE_INPUTS.items():
            for alabel, axis in (("none", None), ("0", 0), ("-1", -1)):
                if x.ndim == 0 and axis is not None:
                    continue
                out.append(call(name, x, axis=axis, label=f"{label}-{alabel}"))
            if name in ARG_REDUCTIONS and x.ndim:
                out.append(call(name, x, axis=-1, keepdims=True, label=f"{label}-keep"))
    for label, x in REDUCE_INPUTS.items():
        out.append(call("average", x, label=label))
        if x.ndim:
            out.append(call("average", x, axis=-1, label=f"{label}--1"))
            out.append(call("diff", x, label=label))
            out.append(call("diff", x, n=2, axis=0, label=f"{label}-n2"))
            out.append(call("trapezoid", x, label=label))
            out.append(call("sort", x, label=label))
            out.append(call("sort", x, axis=0, label=f"{label}-0"))
            out.append(call("argsort", x, axis=None, label=f"{label}-none"))
            out.append(call("quantile", x, [0.1, 0.9], axis=-1, keepdims=True, label=f"{label}-k"))
            out.append(call("nanquantile", x, 0.5, axis=-1, label=label))
            if label != "empty":  # as for median above
                out.append(call("quantile", x, 0.3, label=label))
                out.append(call("percentile", x, 40, axis=0, method="nearest", label=label))
                out.append(call("nanpercentile", x, 25.0, label=label))
    out.append(call("average", F, axis=1, weights=G[0], label="weights"))
    out.append(call("average", F, axis=None, weights=G, label="weights-none"))
    out.append(call("var", F, axis=0, label="f32-2d"))
    return out


def sweep():
    """Every call of the sweep (unique ids)."""
    from tests.oracle.ops_differential_more import more_calls

    calls = unary_calls() + binary_calls() + reduction_calls() + more_calls()
    return calls
