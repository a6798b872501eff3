"""Static shape rules shared by the ops' ``infer`` functions (``None`` is an unknown dim)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def broadcast(*shapes: Sequence) -> tuple:
    """Numpy broadcasting of shapes; raises ValueError naming both shapes when incompatible."""
    rank = max((len(s) for s in shapes), default=0)
    out = []
    for axis in range(rank):
        dims = [s[axis - rank + len(s)] for s in shapes if axis - rank + len(s) >= 0]
        known = {d for d in dims if d is not None and d != 1}
        if len(known) > 1:
            shown = " and ".join(str(tuple(s)) for s in shapes)
            raise ValueError(f"Cannot broadcast shapes {shown}.")
        if known:
            out.append(known.pop())
        elif None in dims:
            out.append(None)
        else:
            out.append(1)
    return tuple(out)


def normalize_axis(axis: int, rank: int) -> int:
    """Returns ``axis`` in ``[0, rank)``; raises for an axis out of range."""
    if not -rank <= axis < rank:
        raise ValueError(f"axis {axis} is out of range for a tensor of rank {rank}.")
    return axis % rank


def normalize_axes(axis, rank: int) -> tuple[int, ...]:
    """``None`` → all axes; an int or a sequence → sorted, non-negative axes."""
    if axis is None:
        return tuple(range(rank))
    if isinstance(axis, int):
        axis = (axis,)
    return tuple(sorted(normalize_axis(a, rank) for a in axis))


def reduced(shape: Sequence, axes: Sequence[int], keepdims: bool) -> tuple:
    """Shape after reducing ``axes``."""
    if keepdims:
        return tuple(1 if i in axes else d for i, d in enumerate(shape))
    return tuple(d for i, d in enumerate(shape) if i not in axes)


def reshaped(shape: Sequence, newshape: Sequence) -> tuple:
    """Shape after ``reshape``: ``-1`` is inferred, ``None`` keeps the input dim at that axis."""
    kept = {i for i, d in enumerate(newshape) if d is None and i < len(shape)}
    newshape = [shape[i] if d is None else int(d) for i, d in enumerate(newshape)]
    if newshape.count(-1) > 1:
        raise ValueError(f"Only one dimension can be -1 in a reshape. Received: {tuple(newshape)}")
    rest_in = [d for i, d in enumerate(shape) if i not in kept]
    rest_out = [d for i, d in enumerate(newshape) if i not in kept and d != -1]
    if -1 in newshape and None not in rest_in + rest_out and _prod(rest_out):
        # Kept dims cancel out, so (None, -1) of (None, 3, 5) is (None, 15).
        if _prod(rest_in) % _prod(rest_out):
            raise ValueError(
                f"Cannot reshape a tensor of shape {tuple(shape)} into shape {tuple(newshape)}."
            )
        newshape[newshape.index(-1)] = _prod(rest_in) // _prod(rest_out)
    known_in = all(d is not None for d in shape)
    total = _prod(shape) if known_in else None
    if -1 in newshape:
        rest = [d for d in newshape if d != -1]
        if total is not None and None not in rest:
            if _prod(rest) == 0 or total % _prod(rest):
                raise ValueError(
                    f"Cannot reshape a tensor of shape {tuple(shape)} into shape {tuple(newshape)}."
                )
            newshape[newshape.index(-1)] = total // _prod(rest)
        else:
            newshape[newshape.index(-1)] = None
    elif total is not None and None not in newshape and _prod(newshape) != total:
        raise ValueError(
            f"Cannot reshape a tensor of shape {tuple(shape)} into shape {tuple(newshape)}."
        )
    return tuple(newshape)


def matmul(a: Sequence, b: Sequence) -> tuple:
    """Shape of ``numpy.matmul(a, b)``."""
    if not a or not b:
        raise ValueError("matmul does not accept scalars.")
    a2 = (1, *a) if len(a) == 1 else tuple(a)
    b2 = (*b, 1) if len(b) == 1 else tuple(b)
    if a2[-1] is not None and b2[-2] is not None and a2[-1] != b2[-2]:
        raise ValueError(
            f"Incompatible shapes for matmul: {tuple(a)} and {tuple(b)} "
            f"(inner dimensions {a2[-1]} and {b2[-2]} differ)."
        )
    batch = broadcast(a2[:-2], b2[:-2])
    out = (*batch, a2[-2], b2[-1])
    if len(a) == 1:
        out = out[:-2] + out[-1:]
    if len(b) == 1:
        out = out[:-1]
    return out


def conv_output_length(length, kernel: int, stride: int, padding: str, dilation: int = 1):
    """Output length of a conv or pool window along one axis (Keras/TF 'valid'/'same')."""
    if length is None:
        return None
    if padding == "same":
        return -(-length // stride)
    effective = (kernel - 1) * dilation + 1
    return (length - effective) // stride + 1


def same_pads(length: int, kernel: int, stride: int, dilation: int = 1) -> tuple[int, int]:
    """TF/Keras 'same' padding (begin, end): the extra pixel goes at the end."""
    effective = (kernel - 1) * dilation + 1
    out = -(-length // stride)
    total = max((out - 1) * stride + effective - length, 0)
    return total // 2, total - total // 2


def _prod(dims) -> int:
    result = 1
    for d in dims:
        result *= d
    return result


def static_shape(x) -> tuple:
    """What is known of ``x``'s shape at trace time: ints, and None where a size is only known
    at run time (where ``ops.shape`` gives a tensor instead). For checks and shape arithmetic
    in kgraph's own layers."""
    shape = getattr(x, "shape", None)
    return tuple(np.shape(x) if shape is None else shape)
