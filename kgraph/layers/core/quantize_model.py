"""``Model.quantize``: Keras' walk over the model's leaf layers, quantizing those that can be
(Dense, EinsumDense, Embedding) and warning for the others that cannot, then dropping the
compiled graphs so the next ``predict``/``fit``/export traces the quantized layers."""

from __future__ import annotations

import re
import warnings


def should_quantize_layer(layer, filters) -> bool:
    """Whether ``filters`` (a regex, a list of regexes searched in the name, or a predicate)
    selects ``layer``; everything when None."""
    if filters is None:
        return True
    if isinstance(filters, str):
        return bool(re.search(filters, layer.name))
    if isinstance(filters, (list, tuple)):
        return any(re.search(p, layer.name) for p in filters)
    return filters(layer) if callable(filters) else True


def _leaves(layer):
    children = list(getattr(layer, "_layers", []))
    if not children:
        yield layer
    for child in children:
        yield from _leaves(child)


def quantize_model(model, mode=None, config=None, filters=None, **kwargs) -> None:
    """Quantizes every leaf layer of ``model`` that ``filters`` selects (see Model.quantize)."""
    from kgraph.quantizers.quantization_config import validate_and_resolve_config

    type_check = kwargs.pop("type_check", True)
    if kwargs:
        raise ValueError(
            f"Unrecognized keyword arguments passed to {type(model).__name__}: {kwargs}"
        )
    if (
        filters is not None
        and not isinstance(filters, (str, list, tuple))
        and not callable(filters)
    ):
        raise ValueError(
            "The `filters` argument must be a regex string, a list of regex strings, or a "
            f"callable. Received: {type(filters)}"
        )
    config = validate_and_resolve_config(mode, config)  # unsupported modes: one error here
    modified = False
    seen = set()
    for layer in _leaves(model):
        if id(layer) in seen or layer is model or not should_quantize_layer(layer, filters):
            continue
        seen.add(id(layer))
        try:
            layer.quantize(config.mode, type_check=type_check, config=config)
            modified = True
        except NotImplementedError as e:
            warnings.warn(str(e), stacklevel=3)
        except AttributeError:
            pass
    if modified:
        model._compiled_cache.clear()
