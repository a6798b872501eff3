"""How every kgraph op runs: one lowering, three modes.

An op is a pair, as in Keras: ``infer`` computes the output spec (shape, dtype) from input specs,
and ``lower`` emits ONNX nodes through the compiler's builder. ``apply`` picks the mode:

* symbolic (definition time, inputs are KerasTensors without IR values): only ``infer`` runs;
* tracing (inside ``Model`` compilation): ``lower`` emits into the active trace's builder;
* eager (concrete inputs): ``lower`` builds a one-op graph that onnxruntime runs, so eager
  results have exactly the semantics of the compiled graph. Sessions are cached per signature.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import numpy as np

from kgraph import dtypes, trace
from kgraph.compiler import serde
from kgraph.compiler.builder import GraphBuilder, ir_dtype
from kgraph.tensor import KerasTensor, Variable


@dataclasses.dataclass(frozen=True)
class Spec:
    """Shape and dtype of a tensor, known or symbolic."""

    shape: tuple
    dtype: str

    @property
    def ndim(self) -> int:
        return len(self.shape)


@dataclasses.dataclass(frozen=True)
class Op:
    """One kgraph op: ``infer(*specs, **attrs)`` and ``lower(builder, *values, **attrs)``."""

    name: str
    infer: Callable[..., Any]
    lower: Callable[..., Any]
    promote: bool = True
    #: A random op: an onnxruntime session advances its stream on every run, so eager calls
    #: get a fresh one-op session (seeded by the caller) instead of a cached one.
    random: bool = False

    def __post_init__(self) -> None:
        OPS.setdefault(self.name, self)


#: Every op by name: an op applied between layers of a Functional model is stored by name in
#: the model's config (``kgraph.layers.OpLayer``).
OPS: dict[str, Op] = {}


_WEAK = "weak"  # dtype tag of a Python scalar: it takes the dtype of the other operands


def _spec_of(x: Any) -> Spec:
    if isinstance(x, (KerasTensor, Variable)):
        return Spec(tuple(x.shape), x.dtype)
    if isinstance(x, (bool, int, float)) and not isinstance(x, np.generic):
        return Spec((), _WEAK if not isinstance(x, bool) else "bool")
    arr = np.asarray(x)
    if isinstance(x, (list, tuple)):
        return Spec(arr.shape, dtypes.of_python(x))
    return Spec(arr.shape, _eager_dtype(arr.dtype))


def _eager_dtype(dtype: np.dtype) -> str:
    if np.dtype(dtype).kind in "USO":  # numpy str, bytes or object arrays hold strings
        return "string"
    name = np.dtype(dtype).name
    return "float32" if name == "float64" else name


def _promote(specs: list[Spec], args: list) -> list[Spec]:
    strong = [s.dtype for s in specs if s.dtype != _WEAK]
    common = dtypes.result_type(*strong) if strong else None
    weak_float = any(isinstance(a, float) for a, s in zip(args, specs) if s.dtype == _WEAK)
    if common is None:  # Python scalars only: int32 for ints, floatx once a float is among them
        common = dtypes.FLOATX if weak_float else "int32"
    elif weak_float and not common.startswith("float"):
        common = dtypes.FLOATX
    return [Spec(s.shape, common) for s in specs]


def _resolve_weak(specs: list[Spec], args: list) -> list[Spec]:
    """Without promotion, a Python scalar still needs a dtype of its own."""
    return [
        Spec(s.shape, dtypes.of_python(a)) if s.dtype == _WEAK else s for a, s in zip(args, specs)
    ]


def apply(op: Op, args: list, **attrs: Any) -> Any:
    """Runs ``op`` on ``args`` in the mode they call for (see the module docstring)."""
    raw = [_spec_of(a) for a in args]
    specs = _promote(raw, args) if op.promote else _resolve_weak(raw, args)
    symbolic = [a for a in args if isinstance(a, KerasTensor)]
    active = trace.current()
    if symbolic and all(a._value is None for a in symbolic):
        if not trace.in_layer_call() and any(a._history is not None for a in symbolic):
            from kgraph.layers.core.op_layer import OpLayer

            return OpLayer.wrap(op, args, attrs)  # between layers: a node of the model
        out = op.infer(*specs, **attrs)
        return _wrap(out, lambda s, i: KerasTensor(s.shape, s.dtype))
    # Inside a trace, a random op is a node of the graph even with no tensor input (a fresh
    # draw at every run) and a Variable argument is the graph's parameter.
    if symbolic or (
        active is not None and (op.random or any(isinstance(a, Variable) for a in args))
    ):
        if active is None:
            raise RuntimeError(f"Op '{op.name}' got traced tensors outside a trace.")
        return _trace(op, args, raw, specs, active, attrs)
    return _eager(op, args, specs, attrs)


def _wrap(out, make):
    if isinstance(out, tuple):
        return tuple(make(s, i) for i, s in enumerate(out))
    return make(out, 0)


def _trace(op: Op, args, raw, specs, active, attrs):
    b = active.builder
    values = []
    for a, r, s in zip(args, raw, specs):
        if isinstance(a, KerasTensor):
            v = a._value
        elif isinstance(a, Variable):
            v = active.parameter(a)
        else:
            values.append(b.constant(np.asarray(a, dtype=s.dtype)))
            continue
        if r.dtype != s.dtype:
            v = b.op("Cast", [v], {"to": ir_dtype(s.dtype)}, dtype=s.dtype)
        values.append(v)
    out_specs = op.infer(*specs, **attrs)
    out = op.lower(b, *values, **attrs)
    outs = out if isinstance(out, tuple) else (out,)
    spec_list = out_specs if isinstance(out_specs, tuple) else (out_specs,)
    for v, s in zip(outs, spec_list):
        _annotate(v, s)
    return _wrap(out_specs, lambda s, i: KerasTensor(s.shape, s.dtype, value=outs[i]))


def _annotate(value, spec: Spec) -> None:
    import onnx_ir as ir

    value.type = ir.TensorType(ir_dtype(spec.dtype))
    value.shape = ir.Shape(list(spec.shape))


_SESSIONS: dict[tuple, Any] = {}  # eager one-op sessions by op, attributes and signature
_MAX_SESSIONS = 512


def _eager(op: Op, args, specs, attrs):
    arrays = [np.asarray(a, dtype=dtypes.to_numpy(s.dtype)) for a, s in zip(args, specs)]
    key = (op.name, repr(sorted(attrs.items())), tuple((a.shape, a.dtype.str) for a in arrays))
    session = None if op.random else _SESSIONS.get(key)
    if session is None:
        session = _eager_session(op, arrays, specs, attrs)
        if not op.random:
            if len(_SESSIONS) >= _MAX_SESSIONS:  # drop the oldest signature
                _SESSIONS.pop(next(iter(_SESSIONS)))
            _SESSIONS[key] = session
    results = session.run({f"in{i}": a for i, a in enumerate(arrays)})
    return tuple(results) if len(results) > 1 else results[0]


def _eager_session(op: Op, arrays, specs, attrs):
    b = GraphBuilder(name=op.name)
    values = [b.input(f"in{i}", a.shape, a.dtype) for i, a in enumerate(arrays)]
    out_specs = op.infer(*specs, **attrs)
    out = op.lower(b, *values, **attrs)
    outs = out if isinstance(out, tuple) else (out,)
    spec_list = out_specs if isinstance(out_specs, tuple) else (out_specs,)
    for i, (v, s) in enumerate(zip(outs, spec_list)):
        _annotate(v, s)
        b.output(v, f"out{i}")
    return eager_session(b)


def eager_session(b: GraphBuilder):
    """A CPU session for a small graph run eagerly (one op, or a loss on concrete arrays).

    A single thread: starting a thread pool per signature (about 15 ms each) would dominate
    eager calls on small values.
    """
    from kgraph.runtime import Session, default_session_options

    options = default_session_options("cpu")
    options.intra_op_num_threads = 1
    return Session(
        serde.to_bytes(serde.to_model(b.graph), check=False), device="cpu", options=options
    )
