"""Keras' autocasting: a layer casts its floating-point inputs (numpy arrays and tensors, not
Python scalars, integers or variables) to its compute dtype before ``call``, so a float64 numpy
array fed to a float32 layer gives float32 outputs, as in Keras. A layer opts out with
``autocast=False``; Functional models pass their inputs on as they are (as Keras).

Under a mixed policy (``mixed_float16``: float32 weights, float16 computations) the layer also
reads its float weights as the compute dtype inside ``call``, as Keras' ``AutocastScope`` does:
while ``call`` runs, each weight attribute of the layer (``self.kernel``) stands for the weight
cast to float16 -- a ``Cast`` node on the float32 parameter in a traced graph (gradients flow
back through it to the float32 weight), a float16 array eagerly; the weights of its sublayers
with a mixed policy too (an RNN runs its cell's step without calling the cell). Weights made with
``autocast=False`` or ``trainable=False`` (state the call assigns, such as moving statistics)
are read as they are, and weights a layer keeps in lists or dicts are not cast (their ops
then run in float32, which is slower but not less exact)."""

from __future__ import annotations

import contextlib

import numpy as np

from kgraph import ops
from kgraph.layers import masking_support
from kgraph.tensor import KerasTensor, Variable
from kgraph.utils import tree


def _is_float(dtype: str) -> bool:
    return str(dtype).startswith(("float", "bfloat"))


def wants_conversion(layer) -> bool:
    """Whether ``layer`` casts its floating inputs to its dtype."""
    from kgraph.models.functional import Functional  # Keras' Functional converts nothing

    return (
        getattr(layer, "autocast", True)
        and _is_float(layer.compute_dtype)
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
    """``args`` and ``kwargs`` with floating inputs cast to ``layer.compute_dtype`` (call this
    inside the layer's call scope: the casts belong to the layer, not to the model's graph)."""
    if not wants_conversion(layer):
        return args, kwargs
    dtype = layer.compute_dtype
    return tree.map_structure(lambda x: _convert(x, dtype), (tuple(args), dict(kwargs)))


def _cast_weights(layer) -> dict:
    """Attribute name -> the weight it holds, for ``layer``'s own weights read as its compute
    dtype (none unless its policy is mixed)."""
    compute = layer.compute_dtype
    if compute == layer.variable_dtype or not _is_float(compute):
        return {}
    if not getattr(layer, "autocast", True):
        return {}
    return {
        name: value
        for name, value in vars(layer).items()
        if isinstance(value, Variable)
        and value.autocast
        and value.trainable
        and _is_float(value.dtype)
        and value.dtype != compute
    }


def _owners(layer) -> list:
    """``layer`` and its nested sublayers (not nested models, which cast their own): a layer
    may run a sublayer's step without calling it (RNN runs its cell's step in a loop)."""
    from kgraph.models.model import Model

    found, stack, seen = [], [layer], set()
    while stack:
        current = stack.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        found.append(current)
        stack.extend(s for s in getattr(current, "_layers", []) if not isinstance(s, Model))
    return found


@contextlib.contextmanager
def weights_read_as_compute_dtype(layer):
    """Inside the block, the float weight attributes of ``layer`` and of its sublayers with a
    mixed policy read as their compute dtype (see the module docstring); the attributes are
    restored afterwards. A sublayer called inside the block finds its weights already cast."""
    from kgraph.models.model import Model

    if isinstance(layer, Model):
        yield
        return
    swapped = [(owner, _cast_weights(owner)) for owner in _owners(layer)]
    swapped = [(owner, found) for owner, found in swapped if found]
    for owner, found in swapped:
        for name, variable in found.items():
            read = ops.convert_to_tensor(variable, owner.compute_dtype)
            object.__setattr__(owner, name, read)
    try:
        yield
    finally:
        for owner, found in swapped:
            for name, variable in found.items():
                object.__setattr__(owner, name, variable)
