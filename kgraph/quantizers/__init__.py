"""``keras.quantizers``: abs-max int8 quantization (the scheme of ``Model.quantize("int8")``),
Keras' float8 scale helpers, the int8 quantization config, and ``get`` / ``serialize`` /
``deserialize``.

Keras' int4 packing helpers work on concrete arrays. GPTQ/AWQ and the Int4/Float8
configs are not provided: kgraph quantizes to int8 only (``Model.quantize``)."""

from __future__ import annotations

import inspect

from kgraph.quantizers.fake_quant import fake_quant_with_min_max_vars
from kgraph.quantizers.int4_packing import pack_int4, unpack_int4
from kgraph.quantizers.quantization_config import Int8QuantizationConfig, QuantizationConfig
from kgraph.quantizers.quantizers import (
    AbsMaxQuantizer,
    Quantizer,
    abs_max_quantize,
    compute_float8_amax_history,
    compute_float8_scale,
    quantize_and_dequantize,
)
from kgraph.utils.naming import to_snake_case

__all__ = [
    "AbsMaxQuantizer",
    "Int8QuantizationConfig",
    "QuantizationConfig",
    "Quantizer",
    "abs_max_quantize",
    "compute_float8_amax_history",
    "compute_float8_scale",
    "deserialize",
    "fake_quant_with_min_max_vars",
    "get",
    "pack_int4",
    "quantize_and_dequantize",
    "serialize",
    "unpack_int4",
]

_CLASSES = (Quantizer, AbsMaxQuantizer, QuantizationConfig, Int8QuantizationConfig)
ALL_OBJECTS = {c.__name__: c for c in _CLASSES}
ALL_OBJECTS.update({to_snake_case(c.__name__): c for c in _CLASSES})


def serialize(quantizer) -> dict:
    """The Keras 3 config dict of a quantizer or quantization config."""
    return {
        "module": "keras.quantizers",
        "class_name": type(quantizer).__name__,
        "config": quantizer.get_config(),
        "registered_name": None,
    }


def deserialize(config, custom_objects=None):
    """The object a :func:`serialize` dict describes."""
    classes = {**ALL_OBJECTS, **(custom_objects or {})}
    name = config.get("class_name") if isinstance(config, dict) else config
    if name not in classes:
        raise ValueError(f"Could not interpret quantizer identifier: {config}")
    found = classes[name]
    inner = config.get("config", {}) if isinstance(config, dict) else {}
    return found.from_config({k: _plain(k, v) for k, v in inner.items()})


def _plain(key, value):
    """A config value as the constructor takes it: Keras writes tuples as ``__tuple__``
    dicts (or JSON lists) and nested quantizers as their config dicts."""
    if isinstance(value, dict) and value.get("class_name") == "__tuple__":
        return tuple(value["config"]["value"])
    if isinstance(value, dict) and "class_name" in value:
        return deserialize(value)
    if isinstance(value, list) and key in ("value_range", "axis"):
        return tuple(value)
    return value


def get(identifier, **kwargs):
    """A quantizer from None, a config dict, a class name or a quantizer (a class found by
    name is instantiated, as Keras does)."""
    if identifier is None:
        return None
    if isinstance(identifier, dict):
        found = deserialize(identifier)
    elif isinstance(identifier, str):
        found = ALL_OBJECTS.get(identifier)
    else:
        found = identifier
    if callable(found):
        return found(**kwargs) if inspect.isclass(found) else found
    raise ValueError(f"Could not interpret quantizer identifier: {identifier}")
