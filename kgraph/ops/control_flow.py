"""``keras.ops`` control flow: cond, switch, while_loop, fori_loop, scan, map, vectorized_map,
associative_scan.

Eagerly, and whenever the predicate or index is a Python or numpy value while tracing, they run
Python control flow (a static predicate folds). While tracing, with tensors:

- ``cond``: one ONNX ``If`` whose branches are the traced functions (``control_loop``);
  ``switch``: a chain of nested Ifs. Differentiable (an If over the branches' VJPs).
- ``scan``, ``map``, ``vectorized_map``, ``fori_loop`` with static bounds: one ONNX ``Scan``
  (``control_scan``); the length may be dynamic. Differentiable (a reverse Scan).
- ``while_loop`` with a traced condition: ``maximum_iterations`` masked steps as one Scan
  (differentiable); without it one ONNX ``Loop``, as is ``fori_loop`` with traced bounds,
  which like JAX's ``while_loop`` refuses reverse-mode differentiation.
- ``associative_scan``: unrolled over the static length.

At definition time (symbolic tensors, no graph) they compute output shapes only.
"""

from __future__ import annotations

import numpy as np

from kgraph import ops as _ops
from kgraph import trace
from kgraph.ops.control_loop import leaves as _leaves
from kgraph.ops.control_loop import map_tree as _map_tree
from kgraph.ops.control_loop import onnx_if, onnx_loop, structure
from kgraph.ops.control_scan import onnx_scan, symbolic_scan
from kgraph.tensor import KerasTensor


def _traced(x) -> bool:
    return isinstance(x, KerasTensor)


def _in_graph(x) -> bool:
    """Whether ``x`` is a tensor of the graph being traced (not a definition-time symbol)."""
    return _traced(x) and x._value is not None and trace.current() is not None


def _select(pred, on_true, on_false):
    return _map_tree(lambda t, f: _ops.where(pred, t, f), on_true, on_false)


def cond(pred, true_fn, false_fn):
    """``true_fn()`` if ``pred`` else ``false_fn()``; a traced ``pred`` becomes one ONNX If
    whose branches are the traced functions."""
    if not _traced(pred):
        return true_fn() if bool(np.asarray(pred)) else false_fn()
    if _in_graph(pred):
        return onnx_if(pred, true_fn, false_fn)
    on_true, on_false = true_fn(), false_fn()  # definition time: shapes only
    if structure(on_true) != structure(on_false):
        raise ValueError(
            "cond with a traced predicate needs both branches to return the same structure. "
            f"Received: true_fn() -> {on_true}, false_fn() -> {on_false}"
        )
    return _select(_ops.cast(pred, "bool"), on_true, on_false)


def switch(index, branches, *operands):
    """``branches[index](*operands)``, ``index`` clamped to the valid range (as in Keras); a
    traced index becomes a chain of nested ONNX Ifs (``index <= 0``, ``index <= 1``, ...)."""
    if not branches:
        raise ValueError("switch needs at least one branch. Received: branches=[]")
    if not _traced(index):
        i = int(np.clip(int(np.asarray(index)), 0, len(branches) - 1))
        return branches[i](*operands)
    index = _ops.cast(index, "int32")

    def chain(k):
        if k == len(branches) - 1:
            return branches[k](*operands)
        return cond(_ops.less_equal(index, k), lambda: branches[k](*operands), lambda: chain(k + 1))

    return chain(0)


def while_loop(cond, body, loop_vars, maximum_iterations=None):
    """Applies ``body`` while ``cond`` holds. A traced condition with ``maximum_iterations``
    runs that many steps whose updates are masked once the condition has failed (one ONNX
    Scan while tracing: differentiable); without it, one ONNX Loop."""
    is_tuple = isinstance(loop_vars, (list, tuple))
    state = tuple(loop_vars) if is_tuple else (loop_vars,)

    def step(values):
        out = body(*values)
        return tuple(out) if is_tuple else (out,)

    running = None
    i = 0
    while maximum_iterations is None or i < maximum_iterations:
        c = cond(*state)
        if running is None and not _traced(c):
            if not bool(np.asarray(c)):
                break
            state, i = step(state), i + 1
            continue
        if maximum_iterations is None and running is None:
            state = onnx_loop(cond, body if is_tuple else _single(body), state, c)
            break
        if running is None and _in_graph(c):  # the masked steps as one Scan
            state = _masked_scan(cond, step, state, c, int(maximum_iterations) - i)
            break
        c = _ops.cast(c, "bool")
        running = c if running is None else _ops.logical_and(running, c)
        state = _select(running, step(state), state)
        i += 1
    return state if is_tuple else state[0]


def _masked_scan(cond, step, state, first, steps: int):
    """``steps`` masked steps as one Scan: the carry is (still running, loop variables)."""

    def masked(carry, _):
        running, values = carry
        running = _ops.logical_and(running, _ops.cast(cond(*values), "bool"))
        return (running, tuple(_select(running, step(values), values))), None

    return scan(masked, (_ops.cast(first, "bool"), tuple(state)), length=steps)[0][1]


def _single(body):
    return lambda *values: (body(*values),)


def fori_loop(lower, upper, body_fun, init_val):
    """``init_val`` through ``body_fun(i, val)`` for ``i`` in ``range(lower, upper)``. While
    tracing, static bounds make one ONNX Scan over the int32 indices (``i`` is a traced scalar,
    as in JAX); traced bounds make a ``while_loop`` (an ONNX Loop: no gradient, as in JAX)."""
    if _traced(lower) or _traced(upper):
        state = (_ops.cast(lower, "int32"), init_val)
        return while_loop(
            lambda i, _: _ops.less(i, upper),
            lambda i, val: (i + 1, body_fun(i, val)),
            state,
        )[1]
    if trace.current() is not None and int(upper) > int(lower):
        indices = np.arange(int(lower), int(upper), dtype=np.int32)
        return scan(lambda val, i: (body_fun(i, val), None), init_val, indices)[0]
    val = init_val
    for i in range(int(lower), int(upper)):
        val = body_fun(i, val)
    return val


def _length(xs, length, name: str = "scan"):
    lens = {int(x.shape[0]) for x in _leaves(xs) if x.shape[0] is not None}
    if length is not None:
        lens.add(int(length))
    if len(lens) != 1:
        raise ValueError(
            f"{name} needs one static leading length for all its inputs (kgraph unrolls it "
            f"eagerly). Received lengths {sorted(lens) or 'unknown'}."
        )
    return lens.pop()


def _stack(items):
    if not items:
        return None
    return _map_tree(lambda *xs: _ops.stack(list(xs), axis=0), *items)


def _graph_scan(xs, length) -> bool:
    """Whether ``scan`` becomes one ONNX Scan: while tracing, over a non-empty length."""
    if trace.current() is None:
        return False
    lengths = [x.shape[0] for x in _leaves(xs)] if xs is not None else [length]
    return all(n is None or int(n) > 0 for n in lengths)


def scan(f, init, xs=None, length=None, reverse=False, unroll=1):
    """``carry, y = f(carry, x)`` over the leading axis of ``xs``; returns the last carry and
    the stacked ``y``. While tracing it is one ONNX Scan (``unroll`` is moot); eagerly a Python
    loop."""
    del unroll
    xs_arr = None if xs is None else _map_tree(_as_array, xs)
    if xs_arr is None and length is None:
        raise ValueError("scan needs `xs` or `length`. Received xs=None and length=None.")
    if _graph_scan(xs_arr, length):
        return onnx_scan(f, init, xs_arr, length, reverse)
    if any(_traced(x) for x in [*_leaves(xs_arr), *_leaves(init)]):  # definition time
        return symbolic_scan(f, init, xs_arr, length)
    n = _length(xs_arr, length) if xs_arr is not None else int(length)
    order = range(n - 1, -1, -1) if reverse else range(n)
    carry, ys = init, []
    for i in order:
        x = None if xs_arr is None else _map_tree(lambda a, i=i: a[i], xs_arr)
        carry, y = f(carry, x)
        ys.append(y)
    if reverse:
        ys.reverse()
    return carry, _stack(ys) if ys and ys[0] is not None else None


def _as_array(x):
    return x if _traced(x) else np.asarray(x)


def map(f, xs):  # noqa: A001  (Keras' name)
    """``f`` applied to each slice along the leading axis of ``xs``, the results stacked (one
    ONNX Scan while tracing, which may run over a dynamic batch axis)."""
    return scan(lambda _, x: (None, f(x)), None, xs)[1]


def vectorized_map(function, elements):
    """``map`` by another name: kgraph has no vmap transform, so the function runs once per
    slice (one ONNX Scan while tracing)."""
    return map(function, elements)


def associative_scan(f, elems, reverse=False, axis=0):
    """Inclusive prefix combination with the associative ``f`` along ``axis`` (sequential,
    unrolled: ``f`` sees slices that keep the axis, so a vectorized ``f`` works as in Keras)."""
    elems = _map_tree(_as_array, elems)
    leaves = _leaves(elems)
    n = int(leaves[0].shape[axis])
    if any(int(e.shape[axis]) != n for e in leaves):
        raise ValueError(
            "Array inputs to associative_scan must have the same first dimension. "
            f"Received shapes {[tuple(e.shape) for e in leaves]}."
        )

    def piece(i):
        def take(a):
            index = [slice(None)] * len(a.shape)
            index[axis] = slice(i, i + 1)
            return a[tuple(index)]

        return _map_tree(take, elems)

    order = range(n - 1, -1, -1) if reverse else range(n)
    acc, parts = None, []
    for i in order:
        acc = piece(i) if acc is None else (f(piece(i), acc) if reverse else f(acc, piece(i)))
        parts.append(acc)
    if reverse:
        parts.reverse()
    return _map_tree(lambda *xs: _ops.concatenate(list(xs), axis=axis), *parts)
