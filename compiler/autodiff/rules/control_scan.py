"""Gradient rule of ONNX ``Scan``: a reverse Scan over the body's VJP.

The forward Scan is extended (in place) to also emit, as scan outputs, the carries each
iteration starts from. The backward Scan walks the iterations last to first; its state is the
gradient of the carries plus one accumulator per floating outer-scope value the body reads, and
its scan inputs are the saved carries, the forward scan inputs and the upstream gradients of the
forward scan outputs. Its body is a copy of the forward body (recomputing one iteration from
its saved carry) followed by that copy's backward pass; it emits the gradient of each forward
scan input slice as a scan output. Scan axes other than 0 are not supported.
"""

from __future__ import annotations

import onnx_ir as ir

from kgraph.compiler.autodiff.backward import gradients
from kgraph.compiler.autodiff.emit import attr, is_float, zeros_like
from kgraph.compiler.autodiff.outer import outer_values
from kgraph.compiler.autodiff.registry import rule
from kgraph.compiler.autodiff.rules.control_flow import copy_subgraph, prune
from kgraph.compiler.builder import GraphBuilder

SAVED = "scan_saved_carries"  # node metadata: the forward outputs _save_carries added


@rule("Scan")
def _scan(b, node, grads):
    m = attr(node, "num_scan_inputs")
    n = len(node.inputs) - m
    k = len(node.outputs) - n - len(node.meta.get(SAVED, ()))
    for name in ("scan_input_axes", "scan_output_axes"):
        if any(attr(node, name, [])):
            raise NotImplementedError(f"Scan gradient: only axis 0 is supported ({name}).")
    in_dirs = attr(node, "scan_input_directions", [0] * m)
    out_dirs = attr(node, "scan_output_directions", [0] * k)
    captured = outer_values(node)
    carries, xs = node.inputs[:n], node.inputs[n:]
    diff_carry = [i for i in range(n) if is_float(carries[i])]
    diff_x = [j for j in range(m) if is_float(xs[j])]
    seeded_ys = [j for j in range(k) if grads[n + j] is not None and is_float(node.outputs[n + j])]
    wanted = [v for v in captured if is_float(v)]
    body = _backward_body(b, node, (diff_carry, diff_x, seeded_ys, wanted), n, k)
    saved = _save_carries(b, node, n)
    init = [
        grads[i] if grads[i] is not None else zeros_like(b, node.outputs[i]) for i in diff_carry
    ]
    init += [zeros_like(b, v) for v in wanted]
    scanned = [*saved, *xs, *(grads[n + j] for j in seeded_ys)]
    attrs = {
        "body": body,
        "num_scan_inputs": len(scanned),
        "scan_input_directions": [1] * n
        + [1 - d for d in in_dirs]
        + [1 - out_dirs[j] for j in seeded_ys],
    }
    if diff_x:
        attrs["scan_output_directions"] = [1 - in_dirs[j] for j in diff_x]
    count = len(diff_carry) + len(wanted) + len(diff_x)
    outs = b.op("Scan", [*init, *scanned], attrs, num_outputs=count)
    outs = [outs] if count == 1 else list(outs)
    it = iter(outs)  # positional: one value can be a carry, a scan input and read by the body
    g_carry = [next(it) if i in diff_carry else None for i in range(n)]
    found = {v: next(it) for v in wanted}
    g_x = [next(it) if j in diff_x else None for j in range(m)]
    for out, like in zip([*g_carry, *found.values(), *g_x], [*carries, *wanted, *xs]):
        if out is not None:
            out.type, out.shape = like.type, like.shape
    return [*g_carry, *g_x, *(found.get(v) for v in captured)]


def _backward_body(b: GraphBuilder, node: ir.Node, which, n: int, k: int) -> ir.Graph:
    """The backward Scan's body: state (carry gradients, accumulators), scan inputs (saved
    carry, forward slices, output-slice gradients); outputs the new state and slice gradients."""
    diff_carry, diff_x, seeded_ys, wanted = which
    copy, sub, prefix = copy_subgraph(b, node.attributes["body"].value, "body")
    carry_in, x_in = list(copy.inputs[:n]), list(copy.inputs[n:])
    new_carry, ys = copy.outputs[:n], copy.outputs[n : n + k]
    g_carry = [_input_like(sub, carry_in[i], "grad_carry") for i in diff_carry]
    g_acc = [_input_like(sub, v, "grad_acc") for v in wanted]
    g_y = [_input_like(sub, ys[j], "grad_slice") for j in seeded_ys]
    copy.inputs.clear()
    copy.inputs.extend([*g_carry, *g_acc, *carry_in, *x_in, *g_y])
    losses = [*(new_carry[i] for i in diff_carry), *(ys[j] for j in seeded_ys)]
    wrt = [*(carry_in[i] for i in diff_carry), *(x_in[j] for j in diff_x), *wanted]
    with sub.scope(prefix):
        found = gradients(sub, losses, wrt, [*g_carry, *g_y])
        f_carry, f_x = found[: len(diff_carry)], found[len(diff_carry) : len(wrt) - len(wanted)]
        f_acc = found[len(wrt) - len(wanted) :]
        outs = [_or_zeros(sub, g, v) for g, v in zip(f_carry, (carry_in[i] for i in diff_carry))]
        outs += [
            sub.op("Add", [acc, g]) if g is not None else sub.op("Identity", [acc])
            for acc, g in zip(g_acc, f_acc)
        ]
        outs += [_or_zeros(sub, g, x_in[j]) for g, j in zip(f_x, diff_x)]
    likes = [*(carry_in[i] for i in diff_carry), *wanted, *(x_in[j] for j in diff_x)]
    for out, like in zip(outs, likes):
        out.type, out.shape = like.type, like.shape
    copy.outputs.clear()
    copy.outputs.extend(outs)
    prune(copy)
    return copy


def _input_like(sub: GraphBuilder, like: ir.Value, name: str) -> ir.Value:
    value = ir.Value(name=sub.unique_name(name), type=like.type, shape=like.shape)
    return value


def _or_zeros(sub: GraphBuilder, grad, like: ir.Value) -> ir.Value:
    return sub.op("Identity", [grad if grad is not None else zeros_like(sub, like)])


def _save_carries(b: GraphBuilder, node: ir.Node, n: int) -> list[ir.Value]:
    """Extends the forward Scan to emit the carries each iteration starts from (appended in
    iteration order); returns those stacked values. A second differentiation reuses them."""
    if SAVED in node.meta:
        return node.meta[SAVED]
    body = node.attributes["body"].value
    steps = node.inputs[n].shape[0] if node.inputs[n].shape is not None else None
    old = len(node.outputs)
    for value in body.inputs[:n]:
        out = ir.Value(name=b.unique_name("saved_carry"), type=value.type, shape=value.shape)
        body.append(ir.Node("", "Identity", [value], outputs=[out], name=out.name))
        body.outputs.append(out)
    if "scan_output_directions" in node.attributes:
        directions = [*attr(node, "scan_output_directions"), *([0] * n)]
        node.attributes["scan_output_directions"] = ir.AttrInt64s(
            "scan_output_directions", directions
        )
    node.resize_outputs(old + n)
    saved = node.outputs[old:]
    for out, value in zip(saved, body.inputs[:n]):
        out.name = b.unique_name("saved_carries")
        out.type = value.type
        if value.shape is not None and steps is not None:
            out.shape = ir.Shape([steps, *value.shape])
    node.meta[SAVED] = saved
    return saved
