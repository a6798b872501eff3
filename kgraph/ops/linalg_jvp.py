"""``keras.ops.jvp`` (forward-mode product ``J t``), eager-only, built on the graph autodiff.

kgraph differentiates graphs in reverse mode only. ``fun`` is traced into a graph whose loss is
``sum_k <out_k, u_k>`` with the cotangents ``u_k`` as graph inputs; the backward pass then gives
``J^T u``. Feeding ``u = e_i`` for each output element ``i`` yields row ``i`` of ``J``, and
``(J t)_i = <J^T e_i, t>``: exact, at one session run per output element (meant for the small
functions ``jvp`` is used on eagerly). The primal inputs must be concrete.
"""

from __future__ import annotations

import numpy as np

from kgraph import dtypes, trace
from kgraph.compiler.autodiff import ensure_shapes, gradients
from kgraph.compiler.builder import GraphBuilder, ir_dtype
from kgraph.ops.core import eager_session
from kgraph.tensor import KerasTensor


def _floats(values, name: str) -> list[np.ndarray]:
    out = []
    for v in values:
        if isinstance(v, KerasTensor):
            raise ValueError(f"jvp runs eagerly only: `{name}` must be concrete arrays.")
        a = np.asarray(v)
        out.append(a.astype(dtypes.FLOATX) if a.dtype.kind != "f" or a.dtype == np.float64 else a)
    return out


def _trace(fun, primals, has_aux):
    b = GraphBuilder(name="jvp")
    values = [b.input(f"p{i}", p.shape, p.dtype) for i, p in enumerate(primals)]
    with trace.tracing(trace.Trace(b)):
        tensors = [KerasTensor(p.shape, p.dtype.name, value=v) for p, v in zip(primals, values)]
        result = fun(*tensors)
    out, aux = result if has_aux else (result, None)
    single = not isinstance(out, (list, tuple))
    outs = [out] if single else list(out)
    return b, values, outs, aux, single


def jvp(fun, primals, tangents, has_aux=False):
    """``(fun(*primals), J(primals) @ tangents)`` (plus ``aux`` with ``has_aux``), as
    ``jax.jvp``; eager-only (see the module docstring for how and at what cost)."""
    primals, tangents = _floats(primals, "primals"), _floats(tangents, "tangents")
    if [p.shape for p in primals] != [t.shape for t in tangents]:
        raise ValueError(
            "jvp: `tangents` must match `primals` in structure and shape. Received: "
            f"{[p.shape for p in primals]} and {[t.shape for t in tangents]}"
        )
    b, values, outs, aux, single = _trace(fun, primals, has_aux)
    cots, terms = [], []
    for k, o in enumerate(outs):
        u = b.input(f"u{k}", o.shape, o.dtype)
        cots.append(u)
        prod = b.op(
            "Mul",
            [
                b.op("Cast", [o._value], {"to": ir_dtype("float64")}),
                b.op("Cast", [u], {"to": ir_dtype("float64")}),
            ],
        )
        terms.append(b.op("ReduceSum", [prod], {"keepdims": 0}))
    loss = terms[0] if len(terms) == 1 else b.op("Sum", terms)
    for k, o in enumerate(outs):
        b.output(o._value, f"out{k}")
    aux_list = [a for a in (aux if isinstance(aux, (list, tuple)) else [aux]) if a is not None]
    for k, a in enumerate(aux_list):
        b.output(a._value, f"aux{k}")
    ensure_shapes(b.graph)
    grads = gradients(b, loss, values)
    for i, g in enumerate(grads):
        b.output(
            g
            if g is not None
            else b.op("Mul", [values[i], b.constant(np.asarray(0, primals[i].dtype))]),
            f"grad{i}",
        )
    session = eager_session(b)
    feeds = {f"p{i}": p for i, p in enumerate(primals)}
    zeros = {f"u{k}": np.zeros(o.shape, o.dtype) for k, o in enumerate(outs)}
    first = session.run({**feeds, **zeros})
    n_out, n_aux = len(outs), len(aux_list)
    primal_out = [np.asarray(r) for r in first[:n_out]]
    tangent_out = []
    for k, o in enumerate(outs):
        t_out = np.zeros(o.shape, np.float64)
        for i in np.ndindex(*o.shape):
            u = dict(zeros)
            u[f"u{k}"] = np.zeros(o.shape, o.dtype)
            u[f"u{k}"][i] = 1
            g = session.run({**feeds, **u})[n_out + n_aux :]
            t_out[i] = sum(float(np.sum(gi * ti)) for gi, ti in zip(g, tangents))
        tangent_out.append(t_out.astype(o.dtype))
    result = (primal_out[0], tangent_out[0]) if single else (primal_out, tangent_out)
    if has_aux:
        aux_vals = [np.asarray(r) for r in first[n_out : n_out + n_aux]]
        return (*result, aux_vals[0] if not isinstance(aux, (list, tuple)) else aux_vals)
    return result
