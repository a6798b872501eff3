"""Scan gradient rule (a reverse Scan over the body's VJP) against finite differences, built
directly in onnx_ir: every combination of input and output directions, two scan inputs, an
integer carry, an outer-scope read, and a symbolic sequence length."""

from __future__ import annotations

import numpy as np
import pytest
from harness_vjp import check_graph_vjp

from kgraph.compiler.builder import GraphBuilder

RNG = np.random.default_rng(33)
XS = RNG.standard_normal((4, 3))
ZS = RNG.standard_normal((4, 3))
H0 = RNG.standard_normal(3)
W = RNG.standard_normal(3)


def _scan(b, values, in_dirs, out_dirs):
    """State (h: float, k: int64 counter); scan inputs x, z; outputs h*x and sin(z)*w."""
    xs, zs, h0, w = values
    body = GraphBuilder(name=b.unique_name("body"), opset=b.opset)
    body._used = b._used
    dtype = np.dtype(xs.dtype.numpy())
    h = body.input(body.unique_name("h"), (3,), dtype)
    k = body.input(body.unique_name("k"), (), "int64")
    x = body.input(body.unique_name("x"), (3,), dtype)
    z = body.input(body.unique_name("z"), (3,), dtype)
    kf = body.op("Cast", [k], {"to": xs.dtype})
    new_h = body.op("Tanh", [body.op("Add", [body.op("Mul", [h, w]), body.op("Mul", [x, kf])])])
    new_k = body.op("Add", [k, body.constant(np.int64(1))])
    y1 = body.op("Mul", [h, x])
    y2 = body.op("Mul", [body.op("Sin", [z]), w])  # reads w from the outer scope
    for value, name in ((new_h, "h_out"), (new_k, "k_out"), (y1, "y1"), (y2, "y2")):
        body.output(body.op("Identity", [value]), body.unique_name(name))
    start = b.constant(np.int64(1))
    attrs = {
        "body": body.graph,
        "num_scan_inputs": 2,
        "scan_input_directions": list(in_dirs),
        "scan_output_directions": list(out_dirs),
    }
    h_last, _, ys1, ys2 = b.op("Scan", [h0, start, xs, zs], attrs, num_outputs=4)
    return [h_last, ys1, ys2]


@pytest.mark.parametrize("out_dirs", [(0, 0), (1, 0), (0, 1)], ids=str)
@pytest.mark.parametrize("in_dirs", [(0, 0), (1, 1), (0, 1)], ids=str)
def test_scan_directions(in_dirs, out_dirs):
    check_graph_vjp(lambda b, v: _scan(b, v, in_dirs, out_dirs), [XS, ZS, H0, W], wrt=(0, 1, 2, 3))


def test_scan_symbolic_length():
    check_graph_vjp(
        lambda b, v: _scan(b, v, (1, 0), (0, 1)), [XS, ZS, H0, W], wrt=(0, 1), batch=True
    )


def test_second_differentiation_reuses_the_saved_carries():
    """Two backward passes over one forward Scan (the second seeded differently) agree with
    the first pass scaled, and the forward Scan gains its saved carries once."""
    from harness_vjp import session

    from kgraph.compiler import serde
    from kgraph.compiler.autodiff import ensure_shapes, gradients

    b = GraphBuilder(name="twice")
    values = [b.input(f"x{i}", a.shape, "float64") for i, a in enumerate([XS, ZS, H0, W])]
    h_last, _, ys2 = _scan(b, values, (0, 1), (1, 0))
    h_sum, ys_sum = (b.op("ReduceSum", [o], {"keepdims": 0}) for o in (h_last, ys2))
    loss = b.op("Add", [h_sum, ys_sum])
    ensure_shapes(b.graph)
    (first,) = gradients(b, loss, [values[3]])
    scan = next(n for n in b.graph if n.op_type == "Scan")
    count = len(scan.outputs)
    (second,) = gradients(b, loss, [values[3]], b.constant(np.float64(3.0)))
    assert len(scan.outputs) == count
    b.output(first, "g1")
    b.output(second, "g2")
    feeds = {f"x{i}": a for i, a in enumerate([XS, ZS, H0, W])}
    g1, g2 = session(serde.to_bytes(serde.to_model(b.graph), check=False)).run(None, feeds)
    np.testing.assert_allclose(g2, 3.0 * g1, rtol=1e-12)
    assert np.abs(g1).max() > 0
