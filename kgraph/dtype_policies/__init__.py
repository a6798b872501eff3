"""``keras.dtype_policies``: :class:`DTypePolicy` (and Keras' alias ``FloatDTypePolicy``),
:class:`DTypePolicyMap`, and ``get`` / ``serialize`` / ``deserialize``.

``QuantizedDTypePolicy`` (``"int8_from_float32"``...) is the policy of a layer quantized by
``quantize("int8")``; Keras' int4/float8/GPTQ/AWQ policy classes are not provided (kgraph lowers
int8 kernels only)."""

from __future__ import annotations

from kgraph import dtypes
from kgraph.dtype_policies.dtype_policy import (
    DTypePolicy,
    FloatDTypePolicy,
    dtype_policy,
)
from kgraph.dtype_policies.dtype_policy_map import DTypePolicyMap
from kgraph.dtype_policies.quantized_policy import (
    QUANTIZATION_MODES,
    QuantizedDTypePolicy,
    quantized_policy_from_name,
)

__all__ = [
    "QUANTIZATION_MODES",
    "DTypePolicy",
    "DTypePolicyMap",
    "FloatDTypePolicy",
    "QuantizedDTypePolicy",
    "deserialize",
    "get",
    "serialize",
]

ALL_OBJECTS = {
    c.__name__: c for c in (DTypePolicy, FloatDTypePolicy, DTypePolicyMap, QuantizedDTypePolicy)
}


def serialize(dtype_policy) -> dict:
    """The Keras 3 config dict of a policy (``{"module": "keras", "class_name": ...}``)."""
    return {
        "module": "keras",
        "class_name": type(dtype_policy).__name__,
        "config": dtype_policy.get_config(),
        "registered_name": None,
    }


def deserialize(config, custom_objects=None):
    """The policy a :func:`serialize` dict (or a Keras 3 config's ``dtype`` entry) describes."""
    classes = {**ALL_OBJECTS, **(custom_objects or {})}
    name = config.get("class_name") if isinstance(config, dict) else None
    if name not in classes:
        raise ValueError(
            f"Could not interpret dtype policy config: {config!r}. Known classes: {sorted(classes)}"
        )
    return classes[name].from_config(dict(config.get("config", {})))


def get(identifier) -> DTypePolicy:
    """A policy from None (the global policy), a name, a config dict, a dtype or a policy."""
    if identifier is None:
        return dtype_policy()
    if isinstance(identifier, DTypePolicy):
        return identifier
    if isinstance(identifier, dict):
        return deserialize(identifier)
    if isinstance(identifier, str):
        if identifier.startswith(QUANTIZATION_MODES):
            return quantized_policy_from_name(identifier)
        return DTypePolicy(identifier)
    try:
        return DTypePolicy(dtypes.standardize(identifier))
    except (TypeError, ValueError):
        raise ValueError(
            "Cannot interpret `dtype` argument. Expected a string or an instance of "
            f"DTypePolicy. Received: dtype={identifier}"
        ) from None
