"""The backward sweep: accumulation, pruning, errors, naming, and a whole MLP."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from harness_vjp import check_graph_vjp, count_ops, session

from kgraph.compiler import serde
from kgraph.compiler.autodiff import ensure_shapes, gradients
from kgraph.compiler.builder import GraphBuilder

RNG = np.random.default_rng(7)


def _scalar_loss(b, value):
    loss = b.op("ReduceSum", [value], {"keepdims": 0})
    b.output(loss, "loss")
    return loss


def test_fan_out_is_accumulated_with_one_sum():
    def build(b, values):
        (x,) = values
        return [b.op("Add", [b.op("Mul", [x, b.op("Neg", [x])]), b.op("Sin", [x])])]

    result = check_graph_vjp(build, [RNG.standard_normal((3, 4))], wrt=[0])
    sums = [n for n in result.graph if n.op_type == "Sum" and n.name.startswith("grad/")]
    assert len(sums) == 1 and len(sums[0].inputs) == 3  # x*(-x) gives two, sin(x) one


def test_value_used_by_two_layers_of_a_branchy_graph():
    def build(b, values):
        x, w = values
        h = b.op("Tanh", [b.op("MatMul", [x, w])])
        return [b.op("Mul", [b.op("Exp", [x]), b.op("MatMul", [h, b.op("Transpose", [w])])])]

    check_graph_vjp(build, [RNG.standard_normal((3, 4)), RNG.standard_normal((4, 4))], wrt=[0, 1])


def test_branch_not_depending_on_wrt_gets_no_nodes():
    b = GraphBuilder()
    x = b.input("x", (3, 4), np.float32)
    c = b.input("c", (3, 4), np.float32)
    with b.scope("branch"):
        side = b.op("Exp", [b.op("Mul", [c, c])])
    total = b.op("Add", [b.op("Tanh", [x]), side])
    loss = _scalar_loss(b, total)
    ensure_shapes(b.graph)
    (grad,) = gradients(b, loss, [x])
    assert grad is not None
    assert count_ops(b.graph, "grad/branch") == 0
    assert count_ops(b.graph) == 4  # Expand (for ReduceSum), Tanh's Mul, Sub, Mul; Add: none


def _mlp(b, x, weights, trainable):
    h = x
    for i, (w, bias) in enumerate(weights):
        with b.scope(f"dense_{i}"):
            w_value = b.parameter(f"dense_{i}/kernel", w, trainable[i])
            b_value = b.parameter(f"dense_{i}/bias", bias, trainable[i])
            h = b.op("Add", [b.op("MatMul", [h, w_value]), b_value])
            if i < len(weights) - 1:
                h = b.op("Tanh", [h])
    return h


def _weights(sizes):
    return [
        (
            RNG.standard_normal((m, n)).astype(np.float32) * 0.5,
            RNG.standard_normal(n).astype(np.float32) * 0.1,
        )
        for m, n in itertools.pairwise(sizes)
    ]


def test_frozen_parameter_gets_no_gradient_nodes():
    counts = {}
    for frozen in (None, 1):
        b = GraphBuilder()
        x = b.input("x", (None, 4), np.float32)
        trainable = [i != frozen for i in range(3)]
        loss = _scalar_loss(b, _mlp(b, x, _weights([4, 5, 5, 2]), trainable))
        ensure_shapes(b.graph)
        wrt = [v for path, v in b.parameters.items() if b.trainable[path]]
        grads = gradients(b, loss, wrt)
        assert all(g is not None for g in grads)
        counts[frozen] = (count_ops(b.graph), count_ops(b.graph, "grad/dense_1/MatMul"))
        initializers = b.graph.initializers.values()
        assert all(v.uses() or v.is_graph_output() for v in initializers)
    # dense_1's kernel gradient (Transpose + MatMul) and its bias ReduceSum are gone
    assert counts[1][0] == counts[None][0] - 3
    assert counts[None][1] == 4 and counts[1][1] == 2  # dx only: Transpose + MatMul


def test_three_layer_mlp_against_finite_differences():
    x = RNG.standard_normal((5, 4))
    labels = np.eye(3)[RNG.integers(0, 3, 5)]
    params = [a for pair in _weights([4, 6, 5, 3]) for a in pair]

    def build(b, values):
        h = values[0]
        for i in range(3):
            h = b.op("Add", [b.op("MatMul", [h, values[1 + 2 * i]]), values[2 + 2 * i]])
            if i < 2:
                h = b.op("Tanh" if i == 0 else "Sigmoid", [h])
        logp = b.op("LogSoftmax", [h], {"axis": -1})
        nll = b.op("Neg", [b.op("Mul", [logp, b.constant(labels)])])
        return [b.op("ReduceMean", [b.op("ReduceSum", [nll, b.constant(np.array([1]))])])]

    check_graph_vjp(build, [x, *params], wrt=list(range(7)), batch=[0])


def test_missing_rule_names_the_op():
    b = GraphBuilder()
    x = b.input("x", (2, 3), np.float32)
    normalized = b.op("LpNormalization", [x], {"axis": -1, "p": 2})  # an op without a rule
    loss = _scalar_loss(b, normalized)
    ensure_shapes(b.graph)
    with pytest.raises(NotImplementedError, match="'LpNormalization'"):
        gradients(b, loss, [x])


def test_missing_rule_off_the_path_is_fine():
    b = GraphBuilder()
    x = b.input("x", (2, 3), np.float32)
    c = b.input("c", (2, 3), np.float32)
    other = b.op("LpNormalization", [c], {"axis": -1, "p": 2})
    loss = _scalar_loss(b, b.op("Mul", [x, other]))
    ensure_shapes(b.graph)
    assert gradients(b, loss, [x])[0] is not None


def test_non_differentiable_paths_and_unrelated_values_give_none():
    b = GraphBuilder()
    x = b.input("x", (2, 3), np.float32)
    unrelated = b.input("u", (2, 3), np.float32)
    index = b.op("Cast", [b.op("ArgMax", [x], {"axis": 1})], {"to": 1})
    floor = b.op("Floor", [x])
    loss = _scalar_loss(b, b.op("Add", [index, b.op("ReduceSum", [floor])]))
    ensure_shapes(b.graph)
    assert gradients(b, loss, [x, unrelated]) == [None, None]
    assert count_ops(b.graph) == 0


def test_gradient_with_respect_to_an_intermediate_value_and_the_loss():
    b = GraphBuilder()
    x = b.input("x", (2, 3), np.float32)
    y = b.op("Mul", [x, b.constant(np.float32(2.0))])
    loss = _scalar_loss(b, b.op("Mul", [y, y]))
    ensure_shapes(b.graph)
    dy, dloss = gradients(b, loss, [y, loss])
    b.output(dy, "dy")
    b.output(dloss, "dloss")
    feed = {"x": RNG.standard_normal((2, 3)).astype(np.float32)}
    got, seed = session(serde.to_bytes(serde.to_model(b.graph))).run(["dy", "dloss"], feed)
    np.testing.assert_allclose(got, 4 * feed["x"], rtol=1e-6)
    assert seed == 1.0
    assert all(n.op_type != "Mul" or not n.name.startswith("grad/Mul/") for n in b.graph)


def test_non_scalar_loss_with_a_symbolic_batch_is_seeded_with_ones():
    b = GraphBuilder()
    x = b.input("x", (None, 3), np.float32)
    y = b.op("Exp", [x])
    b.output(y, "y")
    ensure_shapes(b.graph)
    (dx,) = gradients(b, y, [x])
    b.output(dx, "dx")
    feed = {"x": RNG.standard_normal((4, 3)).astype(np.float32)}
    (got,) = session(serde.to_bytes(serde.to_model(b.graph))).run(["dx"], feed)
    np.testing.assert_allclose(got, np.exp(feed["x"]), rtol=1e-6)


def test_wrapped_loaded_graph_and_node_names():
    b = GraphBuilder()
    x = b.input("x", (None, 4), np.float32)
    with b.scope("dense"):
        h = b.op("MatMul", [x, b.parameter("dense/kernel", np.ones((4, 2), np.float32))])
    b.output(b.op("ReduceSum", [b.op("Relu", [h])], {"keepdims": 0}), "loss")
    model = serde.load(serde.to_bytes(serde.to_model(b.graph)))
    ensure_shapes(model)
    wrapped = GraphBuilder.wrap(model.graph)
    assert wrapped.opset == 21
    kernel = model.graph.initializers["dense/kernel"]
    (grad,) = gradients(wrapped, model.graph.outputs[0], [kernel])
    wrapped.output(grad, "grad_kernel")
    names = [n.name for n in model.graph]
    assert len(names) == len(set(names))
    backward = [n for n in model.graph if n.name.startswith("grad/")]
    assert {n.name.split("/")[1] for n in backward} <= {"dense", "ReduceSum", "Relu"}
    assert any(n.name.startswith("grad/dense/MatMul/") for n in backward)
    feed = {"x": np.abs(RNG.standard_normal((3, 4))).astype(np.float32)}
    (got,) = session(serde.to_bytes(model)).run(["grad_kernel"], feed)
    np.testing.assert_allclose(got, np.repeat(feed["x"].sum(0)[:, None], 2, 1), rtol=1e-5)


def test_unsorted_graph_is_walked_in_dependency_order():
    b = GraphBuilder()
    x = b.input("x", (2, 3), np.float32)
    y = b.op("Exp", [x])
    loss = _scalar_loss(b, b.op("Mul", [y, y]))
    ensure_shapes(b.graph)
    nodes = list(b.graph)
    b.graph.remove(nodes)
    b.graph.extend(reversed(nodes))  # consumers before producers
    (dx,) = gradients(b, loss, [x])
    b.graph.sort()
    b.output(dx, "dx")
    feed = {"x": RNG.standard_normal((2, 3)).astype(np.float32)}
    (got,) = session(serde.to_bytes(serde.to_model(b.graph))).run(["dx"], feed)
    np.testing.assert_allclose(got, 2 * np.exp(2 * feed["x"]), rtol=1e-5)


def test_gradient_of_the_loss_itself_is_the_seed():
    b = GraphBuilder()
    x = b.input("x", (2, 3), np.float32)
    loss = _scalar_loss(b, x)
    ensure_shapes(b.graph)
    (seed,) = gradients(b, loss, [loss])
    assert seed.is_initializer() and seed.const_value.numpy() == 1.0
