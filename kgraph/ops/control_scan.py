"""``scan`` traced as one ONNX ``Scan`` (``fori_loop`` and ``map`` run through it).

The step function is traced once into the Scan body (as ``control_loop`` traces If branches):
carries are the body's state inputs, the leading-axis slices of ``xs`` its scan inputs, the new
carries and the per-step outputs its outputs. The leading length need not be static (a Scan
runs over whatever length the tensors have), so ``map`` can run over a dynamic batch axis.
``compiler.autodiff.rules.control_scan`` differentiates it (a reverse Scan over the body's VJP).
"""

from __future__ import annotations

import numpy as np

from kgraph import trace
from kgraph.ops.control_loop import (
    BodyTrace,
    leaves,
    map_tree,
    scoped,
    spec,
    structure,
    sub_builder,
    subgraph_outputs,
    value_of,
    wrap,
)
from kgraph.ops.core import Spec
from kgraph.tensor import KerasTensor


def scan_length(xs_leaves, length, name: str = "scan") -> int | None:
    """The common leading length of ``xs_leaves`` and ``length``: an int where any is static,
    ``None`` where all are dynamic; unequal static lengths raise."""
    found = {int(x.shape[0]) for x in xs_leaves if x.shape[0] is not None}
    if length is not None:
        found.add(int(length))
    if len(found) > 1 or (not found and not xs_leaves):
        raise ValueError(
            f"{name} needs one leading length for all its inputs. Received lengths "
            f"{sorted(found) or 'none'}."
        )
    return found.pop() if found else None


def _check_carry(init_specs, new_leaves) -> None:
    for old, new in zip(init_specs, new_leaves):
        shape = spec(new).shape
        if len(shape) != len(old.shape) or any(
            a is not None and b is not None and a != b for a, b in zip(old.shape, shape)
        ):
            raise ValueError(
                "scan's step function must return a carry shaped like the initial one. "
                f"Received initial shape {old.shape} and returned shape {shape}."
            )


def onnx_scan(f, init, xs, length, reverse):
    """``f`` scanned as one ONNX Scan; returns ``(carry, ys)`` like ``ops.scan``. ``xs=None``
    scans an index range of ``length`` that ``f`` does not see."""
    active = trace.current()
    init_leaves = leaves(init)
    init_specs = [spec(x) for x in init_leaves]
    x_leaves = leaves(xs) if xs is not None else [np.arange(length, dtype=np.int64)]
    x_specs = [spec(x) for x in x_leaves]
    n = scan_length(x_leaves, length)
    sub = sub_builder(active, "scan_body")
    with scoped(sub), trace.tracing(BodyTrace(sub, active)):
        carry_in = [sub.input(sub.unique_name("carry"), s.shape, s.dtype) for s in init_specs]
        slice_in = [sub.input(sub.unique_name("slice"), s.shape[1:], s.dtype) for s in x_specs]
        carry = _rebuild(
            init, [KerasTensor(s.shape, s.dtype, value=v) for s, v in zip(init_specs, carry_in)]
        )
        x = None
        if xs is not None:
            x = _rebuild(
                xs, [KerasTensor(s.shape[1:], s.dtype, value=v) for s, v in zip(x_specs, slice_in)]
            )
        new_carry, y = f(carry, x)
    if structure(new_carry) != structure(init):
        raise ValueError(
            "scan's step function must return a carry with the structure of `init`. "
            f"Received init={init} and carry={new_carry}."
        )
    new_leaves, y_leaves = leaves(new_carry), leaves(y)
    _check_carry(init_specs, new_leaves)
    y_specs = [spec(v) for v in y_leaves]
    graph = subgraph_outputs(sub, [*new_leaves, *y_leaves], [*init_specs, *y_specs], "scan_out")
    b = active.builder
    values = [value_of(b, v, s) for v, s in zip([*init_leaves, *x_leaves], [*init_specs, *x_specs])]
    direction = int(bool(reverse))
    attrs = {"body": graph, "num_scan_inputs": len(x_leaves)}
    attrs["scan_input_directions"] = [direction] * len(x_leaves)
    if y_leaves:
        attrs["scan_output_directions"] = [direction] * len(y_leaves)
    outs = b.op("Scan", values, attrs, num_outputs=len(init_leaves) + len(y_leaves))
    outs = outs if isinstance(outs, tuple) else (outs,)
    specs = [*init_specs, *(Spec((n, *s.shape), s.dtype) for s in y_specs)]
    results = [wrap(v, s) for v, s in zip(outs, specs)]
    carry_out = _rebuild(init, results[: len(init_leaves)])
    ys = _rebuild(y, results[len(init_leaves) :]) if y_leaves else None
    return carry_out, ys


def _rebuild(tree, flat):
    it = iter(flat)
    return map_tree(lambda _: next(it), tree)


def symbolic_scan(f, init, xs, length):
    """Definition-time shapes of ``ops.scan``: one symbolic step gives the specs."""
    x_leaves = leaves(xs) if xs is not None else []
    n = scan_length(x_leaves, length) if x_leaves or length is not None else None
    x = None if xs is None else map_tree(lambda a: KerasTensor(a.shape[1:], spec(a).dtype), xs)
    carry, y = f(init, x)
    _check_carry([spec(a) for a in leaves(init)], leaves(carry))
    carry = map_tree(lambda a, _: KerasTensor(spec(a).shape, spec(a).dtype), init, carry)
    return carry, map_tree(lambda v: KerasTensor((n, *spec(v).shape), spec(v).dtype), y)
