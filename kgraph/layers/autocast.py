"""Keras' input autocasting: a layer casts its floating-point inputs (numpy arrays and tensors,
not Python scalars, integers or variables) to its own float dtype before ``call``, so a float64
numpy array fed to a float32 layer gives float32 outputs, as in Keras. A layer opts out with
``autocast=False``; Functional models pass their inputs on as they are (as Keras)."""

from __future__ import annotations

import numpy as np

from kgraph import ops
from kgraph.layers import masking_support
from kgraph.tensor import KerasTensor
from kgraph.utils import tree


def _is_float(dtype: str) -> bool:
    return str(dtype).startswith(("float", "bfloat"))


def wants_conversion(layer) -> bool:
    """Whether ``layer`` casts its floating inputs to its dtype."""
    from kgraph.models.functional import Functional  # Keras' Functional converts nothing

    return (
        getattr(layer, "autocast", True)
        and _is_float(layer.dtype)
        and not isinstance(layer, Functional)
    )


def _convert(x, dtype: str):
    if isinstance(x, np.ndarray) and x.dtype.kind == "f" and x.dtype.name != dtype:
        return x.astype(dtype)
    if isinstance(x, KerasTensor) and _is_float(x.dtype) and x.dtype != dtype:
        y = ops.cast(x, dtype)
        mask = masking_support.get_mask(x)
        if mask is not None:
            masking_support.set_mask(y, mask)
        return y
    return x


def convert_inputs(layer, args: tuple, kwargs: dict) -> tuple[tuple, dict]:
    """``args`` and ``kwargs`` with floating inputs cast to ``layer.dtype`` (call this inside
    the layer's call scope: the casts belong to the layer, not to the model's graph)."""
    if not wants_conversion(layer):
        return args, kwargs
    dtype = layer.dtype
    return tree.map_structure(lambda x: _convert(x, dtype), (tuple(args), dict(kwargs)))
