"""``keras.ops`` core utilities: is_tensor, dtype, saturate_cast, convert_to_numpy and
custom_gradient."""

from __future__ import annotations

import functools

import numpy as np

from kgraph import dtypes, trace
from kgraph import ops as _ops
from kgraph.compiler.autodiff.rules.custom import CUSTOM_VJP, GRADIENT_INPUTS
from kgraph.ops.core import Op, Spec, _annotate, _spec_of, apply
from kgraph.tensor import KerasTensor, Variable

#: The node metadata key of a custom_gradient output whose VJP could not be traced (several
#: outputs): the Identity gradient rule refuses to differentiate through it.
CUSTOM_GRADIENT = "custom_gradient"


def is_tensor(x) -> bool:
    """Whether ``x`` is a kgraph tensor: a numpy array (what eager ops return) or a
    KerasTensor."""
    return isinstance(x, (np.ndarray, KerasTensor))


def _dtype_name(x) -> str:
    spec = _spec_of(x)
    return dtypes.of_python(x) if spec.dtype == "weak" else spec.dtype


def dtype(x) -> str:
    """The standardized dtype name of ``x`` (Python scalars: int32 / floatx / bool)."""
    return _dtype_name(x)


def _limits(name: str) -> tuple:
    if name == "bool":
        return 0, 1
    info = np.iinfo(name) if "int" in name else np.finfo(dtypes.to_numpy(name))
    return info.min, info.max


def saturate_cast(x, dtype):
    """``cast`` that clips to the target dtype's range first (no wrap-around), with the limits
    nudged inward where the input dtype cannot hold them exactly."""
    target = dtypes.standardize(dtype)
    source = _dtype_name(x)
    if source == "bool" or target == "bool":
        return _ops.cast(x, target)
    (in_min, in_max), (out_min, out_max) = _limits(source), _limits(target)
    np_in = np.dtype(dtypes.to_numpy(source))
    lo = np.asarray(max(in_min, out_min)).astype(np_in)
    if lo.item() < out_min:  # compared exactly (numpy would round the limit to np_in)
        lo = np.nextafter(lo, np.asarray(0, np_in))
    hi = np.asarray(min(in_max, out_max)).astype(np_in)
    if hi.item() > out_max:
        hi = np.nextafter(hi, np.asarray(0, np_in))
    return _ops.cast(_clip_exact(x, lo, hi), target)


def _clip_lower(b, x, *, lo, hi, dtype):
    return b.op("Clip", [x, b.constant(np.asarray(lo, dtype)), b.constant(np.asarray(hi, dtype))])


#: Clip with bounds held in the input's own dtype (``ops.clip`` takes them as Python floats,
#: which an int64 bound would not survive).
_clip_op = Op("saturate_clip", lambda x, **_: x, _clip_lower)


def _clip_exact(x, lo, hi):
    return apply(_clip_op, [x], lo=lo.item(), hi=hi.item(), dtype=lo.dtype.name)


def convert_to_numpy(x) -> np.ndarray:
    """A numpy array of concrete ``x`` (a symbolic tensor has no values: one clear error)."""
    if isinstance(x, KerasTensor):
        raise ValueError(
            "convert_to_numpy needs concrete values; a symbolic KerasTensor has none. "
            f"Received: x={x}"
        )
    if isinstance(x, Variable):
        return np.array(x.numpy())
    return np.asarray(x)


def _mark_lower(b, x):
    y = b.op("Identity", [x])
    y.producer().meta[CUSTOM_GRADIENT] = True
    return y


_custom_marker = Op("custom_gradient", lambda x: x, _mark_lower, promote=False)


def _identity(b, t: KerasTensor):
    value = b.op("Identity", [t._value])
    _annotate(value, Spec(tuple(t.shape), t.dtype))
    return value


def _with_vjp(args, output, grad_fn):
    """``output`` through an Identity carrying the traced VJP (see ``rules.custom``)."""
    b = trace.current().builder
    placeholder = KerasTensor(output.shape, output.dtype, value=_identity(b, output))
    grads = grad_fn(placeholder)
    grads = list(grads) if isinstance(grads, (list, tuple)) else [grads]
    if len(grads) != len(args):
        raise ValueError(
            f"custom_gradient: grad_fn returned {len(grads)} gradients for {len(args)} inputs."
        )
    pairs = [(a, g) for a, g in zip(args, grads) if isinstance(a, KerasTensor)]
    y = _identity(b, output)
    node = y.producer()
    node.meta[CUSTOM_VJP] = (
        placeholder._value,
        [g._value if isinstance(g, KerasTensor) else None for _, g in pairs],
    )
    node.meta[GRADIENT_INPUTS] = [a._value for a, _ in pairs]
    return KerasTensor(output.shape, output.dtype, value=y)


def custom_gradient(f):
    """Keras' decorator: ``f(*args)`` returns ``(output, grad_fn)``, ``grad_fn(upstream)`` the
    gradients of the arguments.

    Eagerly the decorated function returns ``output`` (kgraph has no eager autodiff). Traced,
    ``grad_fn`` is traced too, on a placeholder upstream gradient, and the graph autodiff
    replays it with the real upstream gradient (``compiler.autodiff.rules.custom``); gradients
    go to the tensor arguments only (not to weights used inside ``f``), as with JAX. A
    function with several outputs runs, but differentiating through it raises one clear error.
    """

    @functools.wraps(f)
    def wrapper(*args, **kwargs):
        output, grad_fn = f(*args, **kwargs)
        traced = [a for a in args if isinstance(a, KerasTensor)]
        if not traced or any(a._value is None for a in traced) or trace.current() is None:
            return output
        if isinstance(output, KerasTensor):
            return _with_vjp(args, output, grad_fn)

        def mark(t):
            return apply(_custom_marker, [t]) if isinstance(t, KerasTensor) else t

        if isinstance(output, (list, tuple)):
            return type(output)(mark(t) for t in output)
        return mark(output)

    return wrapper
