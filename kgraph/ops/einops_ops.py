"""``keras.ops.rearrange``: einops-style axis rearrangement as reshape → transpose → reshape.

Patterns name axes (``b h w c``), group them in parentheses on either side (``(b h) w c``) and
take the lengths of split groups from ``axes_lengths`` (one member of a group may be left to
infer). A dynamic size (``None``) may only pass through ungrouped, or be the one inferred
size; it reaches the reshapes as ``-1``.
"""

from __future__ import annotations

import math
import re

from kgraph import ops as _ops
from kgraph.ops.core import _spec_of

_TOKEN = re.compile(r"\(([^)]*)\)|(\w+)")


def _groups(side: str) -> list[list[str]]:
    out = []
    for group, name in _TOKEN.findall(side):
        out.append(group.split() if group or not name else [name])
    return out


def _sizes(groups, shape, lengths: dict) -> dict:
    sizes = dict(lengths)
    for group, dim in zip(groups, shape, strict=True):
        unknown = [a for a in group if a not in sizes]
        if len(group) == 1 and unknown:
            sizes[group[0]] = dim
            continue
        if len(unknown) > 1:
            raise ValueError(f"rearrange cannot infer the lengths of {unknown}: pass them.")
        known = math.prod(sizes[a] for a in group if a not in unknown)
        if unknown:
            sizes[unknown[0]] = None if dim is None else dim // known
        elif dim is not None and known != dim:
            raise ValueError(f"rearrange: the group {group} has {known} elements, not {dim}.")
    return sizes


def _shape(groups, sizes) -> list[int]:
    out = []
    for group in groups:
        dims = [sizes[a] for a in group]
        out.append(-1 if any(d is None for d in dims) else math.prod(dims))
    return out


def rearrange(tensor, pattern, **axes_lengths):
    """Rearranges the axes of ``tensor`` as the einops ``pattern`` ('in -> out') says."""
    if "->" not in pattern:
        raise ValueError(f"rearrange needs a pattern 'input -> output'. Received: {pattern!r}")
    left, right = (s.strip() for s in pattern.split("->"))
    ins, outs = _groups(left), _groups(right)
    shape = _spec_of(tensor).shape
    if len(ins) != len(shape):
        raise ValueError(
            f"rearrange: the pattern {left!r} has {len(ins)} axes but the tensor has shape {shape}."
        )
    flat_in = [a for g in ins for a in g]
    flat_out = [a for g in outs for a in g]
    if sorted(flat_in) != sorted(flat_out):
        raise ValueError(f"rearrange: both sides must name the same axes. Received: {pattern!r}")
    sizes = _sizes(ins, shape, axes_lengths)
    x = tensor
    if any(len(g) > 1 for g in ins):
        x = _ops.reshape(x, _shape([[a] for a in flat_in], sizes))
    perm = [flat_in.index(a) for a in flat_out]
    if perm != list(range(len(perm))):
        x = _ops.transpose(x, perm)
    if any(len(g) != 1 for g in outs):
        x = _ops.reshape(x, _shape(outs, sizes))
    return x
