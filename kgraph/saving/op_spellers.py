"""Keras' spelling of the kgraph ops whose call Keras writes differently: the list of tensors
of ``concatenate``, the scalar operand of ``where``, the index key of ``x[key]`` (rebuilt from
kgraph's slicing plan), and arguments Keras counts otherwise (``one_hot``'s axis, ``split``,
``top_k``, ``image.resize``). Each takes kgraph's ``attrs`` and call ``args`` and returns
``(module, class_name, arguments, call_args)``, or None when Keras cannot express the call.
"""

from __future__ import annotations

_NUMPY, _NN, _MATH = (f"keras.src.ops.{m}" for m in ("numpy", "nn", "math"))
_END = 2**63 - 1  # kgraph's get_item plan: a bound past the end (or, negated, the start)


def split(attrs, args):
    if set(attrs) != {"sections", "axis"} or not isinstance(attrs["sections"], int):
        return None  # sizes (kgraph) are not Keras' split indices
    arguments = {"indices_or_sections": attrs["sections"], "axis": int(attrs["axis"])}
    return _NUMPY, "Split", arguments, args


def one_hot(attrs, args):
    """kgraph counts ``axis`` in the output's rank; Keras wants -1 for the new last axis."""
    if set(attrs) != {"num_classes", "axis", "dtype"} or not hasattr(args[0], "shape"):
        return None
    axis = -1 if attrs["axis"] == len(args[0].shape) else int(attrs["axis"])
    arguments = {"num_classes": int(attrs["num_classes"]), "axis": axis, "dtype": attrs["dtype"]}
    return _NN, "OneHot", arguments, args


def resize(attrs, args):
    """``ops.image.resize`` without cropping or padding to the aspect ratio, on float images
    (kgraph's ``matmul`` only picks how the same filter is computed)."""
    _, channels_first, cast_input = attrs["layout"]
    if cast_input or attrs["crop"] is not None or attrs["pad"] is not None:
        return None
    arguments = {
        "size": [int(v) for v in attrs["size"]],
        "interpolation": attrs["interpolation"],
        "antialias": bool(attrs["antialias"]),
        "crop_to_aspect_ratio": False,
        "pad_to_aspect_ratio": False,
        "fill_mode": "constant",
        "fill_value": float(attrs["fill_value"]),
        "data_format": "channels_first" if channels_first else "channels_last",
    }
    return "keras.src.ops.image", "Resize", arguments, args


def top_k(attrs, args):
    """Keras' ``top_k`` takes the largest along the last axis only."""
    if not attrs.get("largest") or attrs.get("axis") != len(getattr(args[0], "shape", ())) - 1:
        return None
    return _MATH, "TopK", {"k": int(attrs["k"]), "sorted": True}, args


def concatenate(attrs, args):
    if set(attrs) != {"axis"}:
        return None
    return _NUMPY, "Concatenate", {"axis": int(attrs["axis"])}, [list(args)]


def where_scalar(attrs, args):
    if len(args) != 2:
        return None
    value = attrs["value"]
    value = value.item() if hasattr(value, "item") else value
    condition, x = args
    operands = [condition, value, x] if attrs["scalar_first"] else [condition, x, value]
    return _NUMPY, "Where", {}, operands


def bound(value: int, default: int | None):
    """A slice bound as a key writes it: None for kgraph's open bounds and for ``default``."""
    return None if abs(value) == _END or value == default else value


def get_item(attrs, args):
    """Rebuilds an index key from kgraph's plan: ``slices`` (axis, start, stop, step) and
    ``squeeze`` are input axes, ``unsqueeze`` the output positions of ``None``. Bounds that
    are the defaults of a known dim are left out, and so are trailing full slices."""
    if len(args) != 1 or not hasattr(args[0], "shape"):
        return None
    shape = list(args[0].shape)
    cut = {int(a): (int(s), int(e), int(st)) for a, s, e, st in attrs["slices"]}
    squeeze, unsqueeze = set(attrs["squeeze"]), set(attrs["unsqueeze"])
    items = []
    for axis, dim in enumerate(shape):
        start, stop, step = cut.get(axis, (0, _END, 1))
        if axis in squeeze:
            items.append(start)
        elif step > 0:
            items.append(slice(bound(start, 0), bound(stop, dim), None if step == 1 else step))
        else:
            items.append(
                slice(bound(start, None if dim is None else dim - 1), bound(stop, None), step)
            )
    key, position = [], 0
    for item in items:
        while position in unsqueeze:
            key.append(None)
            position += 1
        key.append(item)
        position += not isinstance(item, int)
    key += [None] * sum(1 for p in unsqueeze if p >= position)
    key = key or [slice(None)]
    while len(key) > 1 and key[-1] == slice(None):
        key.pop()
    return _NUMPY, "GetItem", {}, [args[0], key if len(key) > 1 else key[0]]
