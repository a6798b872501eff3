"""If gradient rule (an If over the branches' VJPs) against finite differences, built directly
in onnx_ir: branches reading outer-scope values, nested Ifs, branches that ignore an outer value
or return integers, a symbolic batch; and Loop's refusal."""

from __future__ import annotations

import numpy as np
import pytest
from harness_vjp import check_graph_vjp, count_ops

from kgraph.compiler.autodiff import ensure_shapes, gradients
from kgraph.compiler.builder import GraphBuilder

RNG = np.random.default_rng(21)
X = RNG.standard_normal((3, 4))
Y = RNG.standard_normal(4)


def _branch(b: GraphBuilder, name: str, fn) -> object:
    """A subgraph whose outputs are ``fn(sub)``; it reads outer values by closure."""
    sub = GraphBuilder(name=b.unique_name(name), opset=b.opset)
    sub._used = b._used
    for out in fn(sub):
        sub.output(sub.op("Identity", [out]), sub.unique_name(f"{name}_out"))
    return sub.graph


def _if(b, cond, then_fn, else_fn, n):
    graphs = {
        "then_branch": _branch(b, "then", then_fn),
        "else_branch": _branch(b, "else", else_fn),
    }
    outs = b.op("If", [cond], graphs, num_outputs=n)
    return [outs] if n == 1 else list(outs)


def _positive_sum(b, x):
    zero = b.constant(np.zeros((), np.dtype(x.dtype.numpy())))
    return b.op("Greater", [b.op("ReduceSum", [x], {"keepdims": 0}), zero])


def _two_outputs(b, values):
    x, y = values
    return _if(
        b,
        _positive_sum(b, x),
        lambda s: [s.op("Mul", [x, s.op("Sin", [y])]), s.op("ReduceSum", [x], {"keepdims": 0})],
        lambda s: [
            s.op("Add", [s.op("Exp", [x]), y]),
            s.op("ReduceSum", [s.op("Mul", [x, x])], {"keepdims": 0}),
        ],
        2,
    )


@pytest.mark.parametrize("sign", [1.0, -1.0], ids=["then", "else"])
def test_if_reads_outer_values(sign):
    x = np.abs(X) * sign
    result = check_graph_vjp(_two_outputs, [x, Y], wrt=(0, 1))
    assert count_ops(result.graph) > 0
    assert [n.op_type for n in result.graph if n.name.startswith("grad/")].count("If") == 1


def _nested(b, values):
    x, y = values
    inner_cond = _positive_sum(b, y)

    def then_fn(s):
        inner = _if(
            s,
            inner_cond,
            lambda t: [t.op("Mul", [t.op("Tanh", [x]), y])],
            lambda t: [t.op("Sub", [t.op("Mul", [x, x]), y])],
            1,
        )
        return [s.op("Mul", [inner[0], x])]

    return _if(b, _positive_sum(b, x), then_fn, lambda s: [s.op("Sin", [x])], 1)


@pytest.mark.parametrize("ys", [1.0, -1.0], ids=["inner-then", "inner-else"])
@pytest.mark.parametrize("xs", [1.0, -1.0], ids=["outer-then", "outer-else"])
def test_nested_if(xs, ys):
    check_graph_vjp(_nested, [np.abs(X) * xs, np.abs(Y) * ys], wrt=(0, 1))


def _ignores_and_counts(b, values):
    """The then-branch ignores ``y``; both return an integer output too (no gradient)."""
    x, y = values
    outs = _if(
        b,
        _positive_sum(b, x),
        lambda s: [s.op("Mul", [x, x]), s.op("Shape", [x])],
        lambda s: [s.op("Mul", [x, y]), s.op("Shape", [y])],
        2,
    )
    return outs


@pytest.mark.parametrize("sign", [1.0, -1.0], ids=["then", "else"])
def test_if_zero_gradient_and_integer_outputs(sign):
    result = check_graph_vjp(_ignores_and_counts, [np.abs(X) * sign, Y], wrt=(0, 1))
    if sign > 0:
        np.testing.assert_array_equal(result.analytic[1], np.zeros_like(Y))


def test_if_symbolic_batch():
    check_graph_vjp(_two_outputs, [X, Y], wrt=(0,), batch=True)


def test_loop_refuses_reverse_mode_like_jax():
    b = GraphBuilder(name="loop")
    x = b.input("x", (3,), "float32")
    body = GraphBuilder(name="body", opset=b.opset)
    body._used = b._used
    body.input("i", (), "int64")
    body.input("c", (), "bool")
    v = body.input("v", (3,), "float32")
    body.output(body.op("Identity", [body.constant(np.array(True))]), "c_out")
    body.output(body.op("Mul", [v, x]), "v_out")  # reads x from the outer scope
    trips = b.constant(np.array(3, np.int64))
    out = b.op("Loop", [trips, None, b.constant(np.ones(3, np.float32))], {"body": body.graph})
    loss = b.op("ReduceSum", [out], {"keepdims": 0})
    ensure_shapes(b.graph)
    with pytest.raises(NotImplementedError, match=r"'Loop'.*while_loop.*maximum_iterations"):
        gradients(b, loss, [x])
