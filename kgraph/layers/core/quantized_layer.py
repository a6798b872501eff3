"""What the int8-quantizable layers share: the checks ``quantize`` makes before touching a
layer (Keras' errors and order), swapping a float weight for its int8 version in place (so the
saved variable order stays Keras'), and the straight-through gradient of a quantized product."""

from __future__ import annotations

from kgraph import dtype_policies, ops, trace


def prepare_quantize(layer, mode, config):
    """The resolved config of ``layer.quantize(mode, config)``, after Keras' checks: the mode
    or config, then that the layer is built, not yet quantized, and not float16."""
    from kgraph.quantizers.quantization_config import validate_and_resolve_config

    config = validate_and_resolve_config(mode, config)
    mode = config.mode
    if not layer.built:
        raise ValueError(
            f"Cannot quantize a layer that isn't yet built. Layer '{layer.name}' (of type "
            f"'{type(layer).__name__}') is not built yet."
        )
    if layer.quantization_mode is not None:
        raise ValueError(
            f"Layer '{layer.name}' is already quantized with "
            f"dtype_policy='{layer.dtype_policy.name}'. Received: mode={mode}"
        )
    if mode == "int8" and layer.compute_dtype == "float16":
        raise ValueError(
            f"Quantization mode='{mode}' doesn't work well with compute_dtype='float16'. "
            "Consider loading model/layer with another dtype policy such as "
            "'mixed_bfloat16' or 'mixed_float16' before calling `quantize()`."
        )
    return config


def not_implemented(layer, what="quantize"):
    """Keras' error for a layer (or a subclass of a quantizable one) without ``quantize``."""
    return NotImplementedError(
        f"Layer {type(layer).__name__} does not have a `{what}` method implemented."
    )


def set_quantized_policy(layer, mode) -> None:
    """``<mode>_from_<policy>``, as Keras names the quantized layer's policy."""
    if layer.dtype_policy.quantization_mode is None:
        layer.dtype_policy = dtype_policies.get(f"{mode}_from_{layer.dtype_policy.name}")


def replace_weight(layer, old, name, value, dtype):
    """A non-trainable ``name`` weight holding ``value``, in ``old``'s place among the layer's
    own weights (Keras saves the int8 kernel where the float one was)."""
    new = layer.add_weight(
        shape=value.shape, initializer="zeros", dtype=dtype, trainable=False, name=name
    )
    new.assign(value)
    own = layer._own_weights
    own.remove(new)
    own[next(i for i, w in enumerate(own) if w is old)] = new
    return new


def add_scale(layer, name, value):
    """A non-trainable float ``name`` weight holding ``value`` (appended, as Keras orders it)."""
    scale = layer.add_weight(shape=value.shape, initializer="ones", trainable=False, name=name)
    scale.assign(value)
    return scale


def straight_through(quantized, inputs, product):
    """``quantized`` in value; in a training graph its gradient is that of ``product(inputs)``
    (the float product with the dequantized kernel), as Keras' custom gradient of the int8
    call: the inputs' gradient flows through the float kernel, the int8 kernel is frozen."""
    active = trace.current()
    if active is None or not active.training:
        return quantized
    exact = product(inputs)
    return ops.add(ops.stop_gradient(quantized), ops.subtract(exact, ops.stop_gradient(exact)))


def as_quantization_config(value):
    """A layer's ``quantization_config`` argument: None, a config, or its serialized dict
    (as a saved Keras config holds it)."""
    if isinstance(value, dict):
        from kgraph.quantizers import deserialize

        return deserialize(value)
    return value


def quantization_config_entry(layer) -> dict:
    """The entries ``get_config`` adds for quantization: ``quantization_config`` (none while it
    is None) and, for a quantized layer, its policy as Keras' ``QuantizedDTypePolicy`` dict
    (Keras reads no ``int8_from_*`` name as a plain ``DTypePolicy``)."""
    found = {}
    if layer.quantization_mode is not None:
        found["dtype"] = dtype_policies.serialize(layer.dtype_policy)
    if layer.quantization_config is not None:
        from kgraph.quantizers import serialize

        found["quantization_config"] = serialize(layer.quantization_config)
    return found
