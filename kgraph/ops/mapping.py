"""``vectorize``: numpy's ``vectorize`` (with ``excluded`` and gufunc ``signature``) by
unrolling.

ONNX graphs here have no loop over a function written in Python, so the vectorized function
calls ``pyfunc`` once per element of the broadcast loop dims (the dims left of the core dims of
the signature) on slices of the inputs, then stacks the results. That gives numpy's semantics
for any ``pyfunc`` written in ``kgraph.ops``, eagerly and inside a model, but the graph grows
with the number of elements: it suits small static shapes (the loop dims must be static).
"""

from __future__ import annotations

import re

import numpy as np

from kgraph.ops import shapes
from kgraph.ops.array import reshape, stack
from kgraph.ops.core import _spec_of
from kgraph.ops.layout_ops import broadcast_to

_TERM = re.compile(r"\(([^()]*)\)")


def _parse(signature, count):
    if signature is None:
        return [0] * count, None
    inputs, _, outputs = signature.replace(" ", "").partition("->")
    cores = [len([d for d in m.split(",") if d]) for m in _TERM.findall(inputs)]
    outs = [len([d for d in m.split(",") if d]) for m in _TERM.findall(outputs)]
    if len(cores) != count:
        raise ValueError(
            f"vectorize: the signature {signature!r} has {len(cores)} inputs, the call {count}."
        )
    return cores, outs


def _vectorized(pyfunc, excluded, signature):
    def call(*args, **kwargs):
        positions = [i for i in range(len(args)) if i not in excluded]
        cores, _ = _parse(signature, len(positions))
        specs = [_spec_of(args[i]) for i in positions]
        loops = [s.shape[: s.ndim - c] for s, c in zip(specs, cores)]
        loop = shapes.broadcast(*loops) if loops else ()
        if None in loop:
            raise ValueError(
                f"vectorize needs static loop dims (it unrolls over them). Received: {loop}"
            )
        wide = list(args)
        for i, s, c in zip(positions, specs, cores):
            target = tuple(loop) + tuple(s.shape[s.ndim - c :])
            if tuple(s.shape) != target:
                wide[i] = broadcast_to(args[i], target)
        results = []
        for index in np.ndindex(*loop):
            picked = [wide[i][index] if i in positions else wide[i] for i in range(len(args))]
            results.append(pyfunc(*picked, **kwargs))
        return _assemble(results, tuple(loop))

    return call


def _assemble(results, loop):
    if not results:
        raise ValueError("vectorize got an empty loop: there is no element to call pyfunc on.")
    if isinstance(results[0], tuple):
        return tuple(_assemble([r[k] for r in results], loop) for k in range(len(results[0])))
    out = stack(results, axis=0)
    return reshape(out, loop + tuple(_spec_of(results[0]).shape))


def vectorize(pyfunc, *, excluded=None, signature=None):
    """``pyfunc`` mapped over the elements (or, with ``signature``, the core sub-arrays) of
    its broadcast arguments; arguments at the ``excluded`` positions pass through unchanged.

    It unrolls the loop (see the module docstring): the loop dims must be static.
    """
    if not callable(pyfunc):
        raise ValueError(f"Expected argument `pyfunc` to be a callable. Received: pyfunc={pyfunc}")
    return _vectorized(pyfunc, set(excluded or ()), signature)
