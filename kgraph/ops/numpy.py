"""Numpy-like ops. Each is an ``Op`` (shape rule + ONNX lowering) applied through ``core.apply``."""

from __future__ import annotations

import numpy as np

from kgraph import dtypes, trace
from kgraph.ops import shapes
from kgraph.ops.core import Op, Spec, _promote, _spec_of, apply
from kgraph.ops.lowering import cast as _cast_node
from kgraph.ops.lowering import scalar

#: Small integer dtypes onnxruntime's Pow, ReduceSum and ReduceProd reject: computed as int32.
SMALL_INTS = ("bool", "int8", "int16", "uint8", "uint16")

# -- element-wise ---------------------------------------------------------------------------


def _same(x: Spec) -> Spec:
    return x


def _unary(name: str, onnx_op: str, to_float: bool = False, doc: str = ""):
    op = Op(name, _same, lambda b, x: b.op(onnx_op, [x]))

    def fn(x):
        if to_float and not _spec_of(x).dtype.startswith("float"):
            x = cast(x, dtypes.FLOATX)
        return apply(op, [x])

    fn.__name__ = name
    fn.__doc__ = doc or f"Element-wise ``{name}`` (ONNX ``{onnx_op}``)."
    return fn


_abs = _unary("abs", "Abs")
_negative = _unary("negative", "Neg")
exp = _unary("exp", "Exp", True)
log = _unary("log", "Log", True)
sqrt = _unary("sqrt", "Sqrt", True)
sin = _unary("sin", "Sin", True)
cos = _unary("cos", "Cos", True)
tanh = _unary("tanh", "Tanh", True)
floor = _unary("floor", "Floor", True)
ceil = _unary("ceil", "Ceil", True)
_sign = _unary("sign", "Sign")
reciprocal = _unary("reciprocal", "Reciprocal", True)
erf = _unary("erf", "Erf", True)
_square = Op("square", _same, lambda b, x: b.op("Mul", [x, x]))


def _no_bool(name: str, x) -> None:
    if _spec_of(x).dtype == "bool":
        raise TypeError(f"`{name}` does not accept bool tensors. Received: x.dtype=bool")


def abs(x):  # noqa: A001
    """Element-wise absolute value; bools and unsigned ints are their own (as in Keras)."""
    if _spec_of(x).dtype in ("bool", "uint8", "uint16", "uint32", "uint64"):
        return convert_to_tensor(x) if not isinstance(x, (bool, int)) else x
    return _abs(x)


def negative(x):
    """Element-wise ``-x``; unsigned ints wrap around (ONNX ``Neg`` takes no unsigned types)."""
    _no_bool("negative", x)
    dtype = _spec_of(x).dtype
    if dtype.startswith("uint"):
        return cast(subtract(cast(0, "int64"), cast(x, "int64")), dtype)
    return _negative(x)


def sign(x):
    """Element-wise sign (-1, 0 or 1, in ``x``'s dtype)."""
    _no_bool("sign", x)
    return _sign(x)


def square(x):
    """Element-wise ``x * x``; bools square as int32 (as in Keras)."""
    if _spec_of(x).dtype == "bool":
        x = cast(x, "int32")
    return apply(_square, [x])


def _broadcast(a: Spec, b: Spec) -> Spec:
    return Spec(shapes.broadcast(a.shape, b.shape), a.dtype)


def _compare(a: Spec, b: Spec) -> Spec:
    return Spec(shapes.broadcast(a.shape, b.shape), "bool")


def _binary(
    name: str, onnx_op: str, infer=_broadcast, to_float: bool = False, on_bool: str | None = None
):
    """An element-wise binary op; ``on_bool`` is the ONNX op for bool operands (which ``Max``
    and ``Min`` do not take: the maximum of two bools is their ``Or``)."""
    op = Op(name, infer, lambda b, x, y: b.op(onnx_op, [x, y]))
    bool_op = Op(f"{name}_bool", infer, lambda b, x, y: b.op(on_bool, [x, y])) if on_bool else None

    def fn(x1, x2):
        common = _promote([_spec_of(x1), _spec_of(x2)], [x1, x2])[0].dtype
        if to_float and not common.startswith("float"):
            x1, x2 = cast(x1, dtypes.FLOATX), cast(x2, dtypes.FLOATX)
        elif common == "bool":
            if bool_op is not None:
                return apply(bool_op, [x1, x2])
            if on_bool is None and infer is _broadcast:
                raise TypeError(f"`{name}` does not accept two bool tensors.")
            x1, x2 = cast(x1, "int32"), cast(x2, "int32")  # ONNX compares no bools
        return apply(op, [x1, x2])

    fn.__name__ = name
    fn.__doc__ = f"Element-wise ``{name}`` with numpy broadcasting (ONNX ``{onnx_op}``)."
    return fn


add = _binary("add", "Add", on_bool="Or")
subtract = _binary("subtract", "Sub")
multiply = _binary("multiply", "Mul", on_bool="And")
divide = _binary("divide", "Div", to_float=True)
true_divide = divide
_power = _binary("power", "Pow")


def power(x1, x2):
    """``x1 ** x2`` element-wise; bools and small ints raise as int32 (ONNX ``Pow`` takes
    neither), as Keras computes them."""
    common = _promote([_spec_of(x1), _spec_of(x2)], [x1, x2])[0].dtype
    if common in SMALL_INTS:
        out = _power(cast(x1, "int32"), cast(x2, "int32"))
        return out if common == "bool" else cast(out, common)
    return _power(x1, x2)


maximum = _binary("maximum", "Max", on_bool="Or")
minimum = _binary("minimum", "Min", on_bool="And")
greater = _binary("greater", "Greater", _compare)
less = _binary("less", "Less", _compare)
greater_equal = _binary("greater_equal", "GreaterOrEqual", _compare)
less_equal = _binary("less_equal", "LessOrEqual", _compare)
equal = _binary("equal", "Equal", _compare)


def _matmul_infer(a: Spec, b: Spec) -> Spec:
    return Spec(shapes.matmul(a.shape, b.shape), a.dtype)


_matmul = Op("matmul", _matmul_infer, lambda b, x, y: b.op("MatMul", [x, y]))


def matmul(x1, x2):
    """Matrix product with numpy's ``matmul`` semantics (ONNX ``MatMul``); bools multiply as
    int32 and give bool (any true product), as in Keras."""
    if _promote([_spec_of(x1), _spec_of(x2)], [x1, x2])[0].dtype == "bool":
        return not_equal_zero(apply(_matmul, [cast(x1, "int32"), cast(x2, "int32")]))
    return apply(_matmul, [x1, x2])


def not_equal_zero(x):
    """``x != 0`` as a bool tensor."""
    return cast(x, "bool")


_where = Op(
    "where",
    lambda c, x, y: Spec(shapes.broadcast(c.shape, x.shape, y.shape), x.dtype),
    lambda b, c, x, y: b.op("Where", [c, x, y]),
    promote=False,
)


def where(condition, x1=None, x2=None):
    """Picks ``x1`` where ``condition`` is true, else ``x2`` (broadcasting); with neither, the
    indices of the true elements (``nonzero``)."""
    if (x1 is None) != (x2 is None):
        raise ValueError(
            "`x1` and `x2` either both should be `None` or both should have non-None value. "
            f"Received: x1={x1}, x2={x2}"
        )
    if x1 is None:
        from kgraph.ops.counting import nonzero

        return nonzero(condition)
    if _spec_of(condition).dtype != "bool":
        condition = cast(condition, "bool")
    if _promote([_spec_of(x1), _spec_of(x2)], [x1, x2])[0].dtype == "bool":
        # ORT has no bool Where kernel: pick between the branches as uint8
        return cast(where(condition, cast(x1, "uint8"), cast(x2, "uint8")), "bool")
    # Only the two branches are promoted to a common dtype; the condition stays bool.
    dtype = _promote([_spec_of(x1), _spec_of(x2)], [x1, x2])[0].dtype
    weak = [_spec_of(v).dtype == "weak" for v in (x1, x2)]
    if weak[0] != weak[1]:
        # The Python scalar becomes a constant of the tensor's dtype inside the lowering: as a
        # numpy array it would pass as float32 (eager numpy float64 means floatx) and break a
        # float64 graph.
        tensor, value = (x2, x1) if weak[0] else (x1, x2)
        return apply(
            _where_scalar,
            [condition, cast(tensor, dtype)],
            value=value,
            dtype=dtype,
            scalar_first=weak[0],
        )
    x1, x2 = (np.asarray(v, dtype) if w else cast(v, dtype) for v, w in zip((x1, x2), weak))
    return apply(_where, [condition, x1, x2])


def _where_scalar_lower(b, c, x, *, value, dtype, scalar_first):
    s = scalar(b, value, dtype)
    return b.op("Where", [c, s, x] if scalar_first else [c, x, s])


_where_scalar = Op(
    "where_scalar",
    lambda c, x, **_: Spec(shapes.broadcast(c.shape, x.shape), x.dtype),
    _where_scalar_lower,
    promote=False,
)


def _clip_lower(b, x, *, x_min, x_max, dtype):
    return b.op("Clip", [x, scalar(b, x_min, dtype), scalar(b, x_max, dtype)])


_clip = Op("clip", lambda x, **_: x, _clip_lower)


def clip(x, x_min, x_max):
    """Clamps ``x`` to ``[x_min, x_max]``."""
    if _spec_of(x).dtype == "weak":
        x = convert_to_tensor(x)  # a Python int is int32, a float floatx
    if _spec_of(x).dtype == "bool":
        x = cast(x, "int32")  # ONNX Clip takes no bools; Keras clips them as int32
    spec = _spec_of(x)
    dtype = spec.dtype
    if not dtype.startswith("float") and any(
        isinstance(v, (float, np.floating)) for v in (x_min, x_max)
    ):
        # Float bounds promote int ``x`` to floatx (as in Keras) rather than being truncated.
        x, dtype = cast(x, dtypes.FLOATX), dtypes.FLOATX
    return apply(_clip, [x], x_min=float(x_min), x_max=float(x_max), dtype=dtype)


# -- dtype ------------------------------------------------------------------------------------

_cast = Op(
    "cast",
    lambda x, *, dtype: Spec(x.shape, dtype),
    lambda b, x, *, dtype: _cast_node(b, x, dtype),
    promote=False,
)


def cast(x, dtype):
    """Casts ``x`` to ``dtype``."""
    dtype = dtypes.standardize(dtype)
    if _spec_of(x).dtype == dtype:
        # Eager float64 arrays count as float32 (as on Keras' JAX backend), but the cast
        # itself must still give float32.
        if isinstance(x, np.ndarray) and x.dtype.kind == "f" and x.dtype.name != dtype:
            return x.astype(dtype)
        return x
    return apply(_cast, [x], dtype=dtype)


def convert_to_tensor(x, dtype=None, sparse=None, ragged=None):
    """Returns ``x`` as a tensor: a numpy array eagerly, the tensor itself when symbolic.
    ``sparse`` and ``ragged`` are Keras' flags; kgraph's tensors are dense, so True raises."""
    from kgraph.ops.dynamic_shapes import as_tensor_list

    for flag, value in (("sparse", sparse), ("ragged", ragged)):
        if value:
            raise ValueError(f"`{flag}=True` is not supported by kgraph. Received: {flag}={value}")
    from kgraph.tensor import KerasTensor, Variable

    stacked = as_tensor_list(x)  # [batch, 1, 1] with a run-time size from ops.shape
    if stacked is not None:
        x = stacked
    if isinstance(x, KerasTensor):
        return x if dtype is None else cast(x, dtype)
    if isinstance(x, Variable):
        active = trace.current()
        if active is not None:  # traced, a Variable reads as its graph value, not its numbers
            value = KerasTensor(tuple(x.shape), x.dtype, value=active.parameter(x))
            return value if dtype is None else cast(value, dtype)
        x = x.value
    target = dtypes.standardize(dtype) if dtype is not None else _spec_of(x).dtype
    if target == "weak":
        target = dtypes.of_python(x)
    return np.asarray(x, dtype=target)


def array(x, dtype=None):
    """``keras.ops.numpy.array``: ``x`` as a tensor (see :func:`convert_to_tensor`)."""
    return convert_to_tensor(x, dtype)


def __getattr__(name: str):
    """``kgraph.ops.numpy.<name>`` for every numpy-style op, as ``keras.ops.numpy`` offers
    them (most live in sibling modules, which import this one: hence the lazy lookup)."""
    import kgraph.ops

    if name in kgraph.ops.__all__:
        return getattr(kgraph.ops, name)
    raise AttributeError(f"module 'kgraph.ops.numpy' has no attribute '{name}'")


# The reductions live in their own module, which imports the element-wise ops above: hence
# the import at the end (``kgraph.ops.numpy`` stays the one place they are imported from).
from kgraph.ops.numpy_reductions import (  # noqa: E402, F401  (re-exported)
    argmax,
    check_arg_reduction,
    first_nan_wins,
    max,  # noqa: A004
    mean,
    min,  # noqa: A004
    prod,
    reduce_max,
    reduces_nothing,
    sum,  # noqa: A004
)
