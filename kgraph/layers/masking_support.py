"""Keras masks between layers: where a layer call reads them and how its outputs get theirs.

A mask is a bool tensor attached to a tensor as ``_keras_mask`` (the attribute Keras uses, so
user code that reads it works). Symbolic and traced ``KerasTensor``s carry it as an attribute:
in a traced model it is an ordinary value of the graph (``NotEqual(ids, 0)`` for
``Embedding(mask_zero=True)``), so masks reach the exported ONNX graph and the training step.
Eager numpy arrays cannot take attributes, so their masks live in a table keyed by the array's
id and dropped with the array, as Keras does for backend tensors without attributes.

A layer call follows Keras' ``Layer.__call__``:

* with one tensor argument, a ``call`` that declares ``mask`` gets the argument's mask (the
  structure of masks for a list); with several, a ``call`` that declares ``<name>_mask`` gets
  the mask of argument ``<name>`` (``query_mask`` for ``query``); masks given explicitly win;
* the previous mask is the ``mask`` argument, else the first argument's mask;
* after the call, a layer that ``supports_masking`` gives its outputs
  ``compute_mask(first argument, previous mask)`` unless every output has a mask already; one
  that does not support masking warns when it received a mask, and its outputs have none
  (not for a sublayer called inside another layer's ``call``: Keras' ``MultiHeadAttention``
  strips its inputs' masks before its projections, and kgraph leaves the caller's tensors
  untouched instead).
"""

from __future__ import annotations

import inspect
import warnings
import weakref

import numpy as np

from kgraph import trace
from kgraph.tensor import KerasTensor
from kgraph.utils import tree

_EAGER_MASKS: dict[int, object] = {}


def get_mask(x):
    """The Keras mask attached to ``x``, or None."""
    if isinstance(x, np.ndarray):
        return _EAGER_MASKS.get(id(x))
    return getattr(x, "_keras_mask", None)


def set_mask(x, mask) -> None:
    """Attaches ``mask`` to ``x`` (None removes it); values that hold none are left alone."""
    if isinstance(x, KerasTensor):
        x._keras_mask = mask
    elif isinstance(x, np.ndarray):
        key = id(x)
        if mask is None:
            _EAGER_MASKS.pop(key, None)
            return
        if key not in _EAGER_MASKS:
            weakref.finalize(x, _EAGER_MASKS.pop, key, None)
        _EAGER_MASKS[key] = mask


def symbolic_like(t):
    """A fresh symbolic tensor of ``t``'s shape and dtype that keeps ``t``'s mask (a layer's
    symbolic outputs are new tensors, and a mask set inside ``call`` must survive that)."""
    out = KerasTensor(t.shape, t.dtype)
    mask = get_mask(t)
    if mask is not None:
        out._keras_mask = mask
    return out


def _is_tensor(x) -> bool:
    return isinstance(x, (KerasTensor, np.ndarray))


def _tensor_argument(value) -> bool:
    """Keras' test: a tensor, or a non-empty nest whose leaves are all tensors or None."""
    if _is_tensor(value):
        return True
    if isinstance(value, (list, tuple, dict)) and len(value) > 0:
        leaves = tree.flatten(value)
        return all(x is None or _is_tensor(x) for x in leaves) and any(map(_is_tensor, leaves))
    return False


def _signature(layer):
    found = vars(layer).get("_call_signature_cache")
    if found is None:
        found = inspect.signature(layer.call)
        object.__setattr__(layer, "_call_signature_cache", found)
    return found


def call_masks(layer, args: tuple, kwargs: dict) -> tuple[dict, object, object]:
    """Fills the mask arguments of ``layer.call`` from its inputs' masks.

    Returns ``(kwargs with masks, first argument, previous mask)``.
    """
    signature = _signature(layer)
    fixed = {
        name: p
        for name, p in signature.parameters.items()
        if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
    }
    try:
        bound = signature.bind(*args, **kwargs)
    except TypeError:  # the call itself reports the wrong arguments
        first = args[0] if args else next(iter(kwargs.values()), None)
        return kwargs, first, tree.map_structure(get_mask, first)
    bound.apply_defaults()
    arguments = {name: value for name, value in bound.arguments.items() if name in fixed}
    first = next(iter(arguments.values()), args[0] if args else None)
    tensors = {name: value for name, value in arguments.items() if _tensor_argument(value)}
    kwargs = dict(kwargs)
    wanted = {"mask": next(iter(tensors.values()))} if len(tensors) == 1 else {}
    if len(tensors) > 1:
        wanted = {f"{name}_mask": value for name, value in tensors.items()}
    for name, value in wanted.items():  # only missing masks that exist (Keras passes None)
        if name in fixed and arguments.get(name) is None:
            masks = _masks_of(value)
            if masks is not None:
                kwargs[name] = masks
    if kwargs.get("mask") is not None:
        previous = kwargs["mask"]
    else:
        previous = _masks_of(first)
    if not layer.supports_masking and trace.in_layer_call():
        previous = None  # a sublayer (MultiHeadAttention's projections): no warning, as Keras
    return kwargs, first, previous


def add_mask_edges(node, kwargs: dict, call_kwargs: dict) -> None:
    """Makes the masks a symbolic call filled (``mask=``, ``query_mask=``) inputs of its
    functional node, as Keras records them: the mask's ops (``NotEqual`` of an embedding's
    ids) become nodes of the model, which Keras counts when it orders the layers and weights.
    They stay out of the node's arguments: a replay fills them again, and the saved config
    leaves them out (see ``Functional.get_config``), so Keras can load it. Masks of tensors
    made inside another layer's call (a nested model's) have no node and are left out."""
    filled = [
        value
        for name, value in call_kwargs.items()
        if name not in kwargs and (name == "mask" or name.endswith("_mask"))
    ]
    leaves = [t for t in tree.flatten(filled) if isinstance(t, KerasTensor)]
    if leaves and all(t._history is not None for t in leaves):
        node.input_tensors = node.input_tensors + leaves
        node.mask_tensors = leaves


def _masks_of(value):
    """The mask of a tensor, or the same structure of masks (None when none has one)."""
    masks = tree.map_structure(lambda x: get_mask(x) if _is_tensor(x) else None, value)
    return None if all(m is None for m in tree.flatten(masks)) else masks


def attach_output_masks(layer, first, outputs, previous) -> None:
    """Gives ``outputs`` the masks Keras would: ``compute_mask`` of a masking layer, else a
    warning when a mask arrived and is lost."""
    if layer.supports_masking:
        flat = [t for t in tree.flatten(outputs) if _is_tensor(t)]
        if not flat or all(get_mask(t) is not None for t in flat):
            return
        masks = layer.compute_mask(first, previous)
        if masks is None:
            return
        for tensor, mask in zip(tree.flatten(outputs), tree.flatten(masks)):
            if mask is not None and _is_tensor(tensor) and get_mask(tensor) is None:
                set_mask(tensor, mask)
    elif any(m is not None for m in tree.flatten(previous)) and not _is_op_node(layer):
        warnings.warn(
            f"Layer '{layer.name}' (of type {type(layer).__name__}) was passed an input with a "
            "mask attached to it. However, this layer does not support masking and will "
            "therefore destroy the mask information. Downstream layers will not see the mask.",
            stacklevel=4,
        )


def _is_op_node(layer) -> bool:
    """An op applied between layers: like Keras' operations, it neither passes nor warns."""
    from kgraph.layers.core.op_layer import OpLayer

    return isinstance(layer, OpLayer)
