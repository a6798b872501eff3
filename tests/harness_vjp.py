"""Checks gradient rules against central finite differences, both run in onnxruntime CPU.

``check_vjp(op_type, inputs, attrs, wrt)`` builds a one-node graph, the scalar loss
``sum(output * cotangent)`` (a fixed random cotangent), differentiates it with
``compiler.autodiff.gradients`` and compares the gradients with finite differences of the same
forward graph. It runs in float64 when onnxruntime's CPU kernels have it, else in float32 (the op in
float32, the loss accumulated in float64) with looser tolerances. ``check_graph_vjp`` does the
same for any graph a ``build(b, values)`` callback emits.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence

import numpy as np
import onnx_ir as ir
import onnxruntime as ort
from onnxruntime.capi.onnxruntime_pybind11_state import NotImplemented as OrtNotImplemented

from kgraph.compiler import serde
from kgraph.compiler.autodiff import ensure_shapes, gradients
from kgraph.compiler.builder import GraphBuilder

TOLERANCES = {  # dtype -> (eps, rtol, atol)
    "float64": (1e-6, 1e-5, 1e-6),
    "float32": (1e-3, 3e-3, 3e-3),
}


@dataclasses.dataclass
class VJPResult:
    """What a check computed: analytic and numeric gradients, and the differentiated graph."""

    dtype: str
    analytic: list[np.ndarray]
    numeric: list[np.ndarray]
    graph: ir.Graph
    outputs: list[np.ndarray]
    forward: ort.InferenceSession | None = None


def session(data: bytes) -> ort.InferenceSession:
    """A one-thread CPU session (fast for the tiny graphs of the tests)."""
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    return ort.InferenceSession(data, options, providers=["CPUExecutionProvider"])


def check_vjp(
    op_type: str,
    inputs: Sequence[np.ndarray | None],
    attrs: dict | None = None,
    wrt: Sequence[int] = (0,),
    *,
    num_outputs: int = 1,
    loss_outputs: Sequence[int] | None = None,
    **options,
) -> VJPResult:
    """Checks the gradient of one ``op_type`` node with respect to ``inputs[i]``, i in ``wrt``.

    Args:
        op_type: ONNX op (default domain).
        inputs: One array per node input (``None`` = omitted). Inputs listed in ``wrt`` become
            graph inputs; the others are constants (integer ones keep their dtype).
        attrs: Node attributes.
        wrt: Indices of the inputs to differentiate.
        num_outputs: Number of node outputs.
        loss_outputs: Outputs that enter the loss (default: all floating ones).
        **options: See :func:`check_graph_vjp`.
    """

    def build(b, values):
        outs = b.op(op_type, values, attrs or {}, num_outputs=num_outputs)
        outs = list(outs) if isinstance(outs, tuple) else [outs]
        chosen = range(num_outputs) if loss_outputs is None else loss_outputs
        return [outs[j] for j in chosen]

    return check_graph_vjp(build, inputs, wrt, **options)


def check_graph_vjp(
    build: Callable,
    inputs: Sequence[np.ndarray | None],
    wrt: Sequence[int],
    *,
    dtype: str | None = None,
    eps: float | None = None,
    rtol: float | None = None,
    atol: float | None = None,
    opset: int = 21,
    batch: bool | Sequence[int] = False,
    free_axes: dict[int, Sequence[int]] | None = None,
    seed: int = 0,
    numeric: bool = True,
    check: bool = True,
) -> VJPResult:
    """Checks the gradients of ``build(b, values) -> outputs`` (see :func:`check_vjp`).

    Args:
        build: Emits the graph under test; the loss uses its returned float outputs.
        inputs: Arrays, as in :func:`check_vjp`.
        wrt: Indices of the inputs to differentiate.
        dtype: Force "float64" or "float32" (default: float64 if onnxruntime runs it).
        eps, rtol, atol: Override the finite-difference step and tolerances of the dtype.
        opset: Default-domain opset of the graph.
        batch: Declare axis 0 of the differentiated inputs symbolic (``batch``): all of them
            (``True``) or those whose indices are listed.
        free_axes: ``{input index: axes}`` declared symbolic (e.g. a sequence length), on top
            of ``batch``.
        seed: Seed of the cotangents.
        numeric: Compare with finite differences (off: only compute the analytic gradients).
        check: Run the ONNX checker on the serialized models (off for graphs whose
            intermediate ranks ONNX shape inference cannot find).
    """
    for candidate in [dtype] if dtype else ["float64", "float32"]:
        try:
            free = _free_axes(inputs, wrt, batch, free_axes)
            result = _check(build, inputs, wrt, candidate, opset, free, seed, check)
        except OrtNotImplemented:
            if dtype or candidate == "float32":
                raise
            continue
        if not numeric:
            return result
        step, r, a = TOLERANCES[candidate]
        result.numeric = _numeric(result, inputs, wrt, candidate, eps or step)
        for i, got, want in zip(wrt, result.analytic, result.numeric):
            np.testing.assert_allclose(
                got,
                want,
                rtol=rtol or r,
                atol=atol or a,
                err_msg=f"gradient of input {i} ({candidate})",
            )
        return result
    raise AssertionError("unreachable")


def _cast(array, dtype):
    if array is None or not np.issubdtype(np.asarray(array).dtype, np.floating):
        return array
    return np.asarray(array, dtype=dtype)


def _free_axes(inputs, wrt, batch, free_axes) -> dict[int, set[int]]:
    """``{input index: symbolic axes}`` from ``batch`` and ``free_axes``."""
    free = {i: set((free_axes or {}).get(i, ())) for i in wrt}
    for i in wrt:
        if (batch is True or (batch and i in batch)) and np.ndim(inputs[i]):
            free[i].add(0)
    return free


def _emit(build, inputs, wrt, dtype, opset, free, cotangents):
    """Builds forward + loss; returns the builder, the wrt values and the output values."""
    b = GraphBuilder(name="vjp", opset=opset)
    values = []
    for i, array in enumerate(inputs):
        array = _cast(array, dtype)
        if array is None:
            values.append(None)
        elif i in wrt:
            shape = tuple(None if a in free[i] else d for a, d in enumerate(array.shape))
            values.append(b.input(f"x{i}", shape, array.dtype))
        else:
            values.append(b.constant(array))
    outs = [v for v in build(b, values)]
    if cotangents is None:
        for j, out in enumerate(outs):
            b.output(out, f"out{j}")
        return b, values, outs, None
    terms = []
    for out, found in zip(outs, cotangents):
        if found is None:
            continue
        cot, is_double = found
        wide = out if is_double else b.op("Cast", [out], {"to": ir.DataType.DOUBLE})
        terms.append(b.op("ReduceSum", [b.op("Mul", [wide, b.constant(cot)])], {"keepdims": 0}))
    loss = terms[0] if len(terms) == 1 else b.op("Sum", terms)
    b.output(loss, "loss")
    return b, values, outs, loss


def _check(build, inputs, wrt, dtype, opset, free, seed, check) -> VJPResult:
    feeds = {f"x{i}": _cast(inputs[i], dtype) for i in wrt}
    b, _, _, _ = _emit(build, inputs, wrt, dtype, opset, free, None)
    probe = serde.to_bytes(serde.to_model(b.graph), check=False)  # outputs may lack a rank
    outputs = session(probe).run(None, feeds)
    rng = np.random.default_rng(seed)
    cotangents = [
        (rng.standard_normal(np.shape(o)), o.dtype == np.float64)
        if np.issubdtype(o.dtype, np.floating)
        else None
        for o in outputs
    ]
    b, values, _, loss = _emit(build, inputs, wrt, dtype, opset, free, cotangents)
    forward = serde.to_bytes(serde.to_model(b.graph), check=check)
    ensure_shapes(b.graph)
    grads = gradients(b, loss, [values[i] for i in wrt])
    names = []
    for i, grad in zip(wrt, grads):
        if grad is not None:
            b.output(grad, f"grad{i}")
            names.append(f"grad{i}")
    backward = serde.to_bytes(serde.to_model(b.graph), check=check)
    got = dict(zip(names, session(backward).run(names, feeds)))
    analytic = [got.get(f"grad{i}", np.zeros_like(feeds[f"x{i}"])) for i in wrt]
    return VJPResult(dtype, analytic, [], b.graph, outputs, session(forward))


def _numeric(result, inputs, wrt, dtype, eps) -> list[np.ndarray]:
    """Central differences of the loss, one input element at a time."""
    feeds = {f"x{i}": _cast(inputs[i], dtype).copy() for i in wrt}
    grads = []
    for i in wrt:
        x = feeds[f"x{i}"]
        grad = np.zeros(x.shape, dtype=np.float64)
        for index in np.ndindex(x.shape):
            keep = x[index]
            x[index] = keep + eps
            up = float(result.forward.run(None, feeds)[0])
            x[index] = keep - eps
            down = float(result.forward.run(None, feeds)[0])
            x[index] = keep
            step = np.float64(keep + np.asarray(eps, x.dtype)) - np.float64(
                keep - np.asarray(eps, x.dtype)
            )
            grad[index] = (up - down) / step
        grads.append(grad)
    return grads


def count_ops(graph: ir.Graph, prefix: str = "grad/") -> int:
    """Number of nodes whose name starts with ``prefix`` (the backward nodes by default)."""
    return sum(1 for node in graph if (node.name or "").startswith(prefix))
