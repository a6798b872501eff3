"""Activations by Keras name; each is a function written in ``kgraph.ops``."""

from __future__ import annotations

import types

from kgraph import ops


def linear(x):
    """Identity."""
    return x


def relu(x, negative_slope=0.0, max_value=None, threshold=0.0):
    if negative_slope == 0.0 and max_value is None and threshold == 0.0:
        return ops.relu(x)
    from kgraph.layers.activations.relu import ReLU

    return ReLU(max_value, negative_slope, threshold).call(x)


def sigmoid(x):
    return ops.sigmoid(x)


def softmax(x, axis=-1):
    return ops.softmax(x, axis=axis)


def tanh(x):
    return ops.tanh(x)


def gelu(x, approximate=False):
    return ops.gelu(x, approximate=approximate)


def silu(x):
    return ops.silu(x)


def elu(x, alpha=1.0):
    return ops.elu(x, alpha)


def selu(x):
    return ops.selu(x)


def softplus(x):
    return ops.softplus(x)


def softsign(x):
    return ops.softsign(x)


def leaky_relu(x, negative_slope=0.2):
    return ops.leaky_relu(x, negative_slope)


def relu6(x):
    return ops.relu6(x)


def log_softmax(x, axis=-1):
    return ops.log_softmax(x, axis=axis)


def exponential(x):
    return ops.exp(x)


def hard_sigmoid(x):
    return ops.hard_sigmoid(x)


def hard_silu(x):
    return ops.hard_silu(x)


def mish(x):
    return ops.mish(x)


def celu(x, alpha=1.0):
    return ops.celu(x, alpha=alpha)


def glu(x, axis=-1):
    return ops.glu(x, axis=axis)


def log_sigmoid(x):
    return ops.log_sigmoid(x)


def sparse_plus(x):
    return ops.sparse_plus(x)


def sparse_sigmoid(x):
    return ops.sparse_sigmoid(x)


def squareplus(x, b=4):
    return ops.squareplus(x, b=b)


def tanh_shrink(x):
    return ops.tanh_shrink(x)


def hard_tanh(x):
    return ops.hard_tanh(x)


def soft_shrink(x, threshold=0.5):
    return ops.soft_shrink(x, threshold=threshold)


def hard_shrink(x, threshold=0.5):
    return ops.hard_shrink(x, threshold=threshold)


def threshold(x, threshold, default_value):
    return ops.threshold(x, threshold, default_value)


def sparsemax(x, axis=-1):
    return ops.sparsemax(x, axis=axis)


swish = silu
hard_swish = hard_silu
_ALL = {
    fn.__name__: fn
    for fn in (
        linear,
        relu,
        sigmoid,
        softmax,
        tanh,
        gelu,
        silu,
        elu,
        selu,
        softplus,
        softsign,
        leaky_relu,
        relu6,
        log_softmax,
        exponential,
        hard_sigmoid,
        hard_silu,
        mish,
        celu,
        glu,
        log_sigmoid,
        sparse_plus,
        sparse_sigmoid,
        squareplus,
        tanh_shrink,
        hard_tanh,
        soft_shrink,
        hard_shrink,
        threshold,
        sparsemax,
    )
}
_ALL["swish"] = silu
_ALL["hard_swish"] = hard_silu


def get(identifier):
    """The activation function for a name, a config, ``None`` (linear) or a callable."""
    if identifier is None:
        return linear
    if callable(identifier):
        return identifier
    if isinstance(identifier, dict):  # a Keras config (a custom function or layer)
        return deserialize(identifier)
    fn = _ALL.get(str(identifier))
    if fn is None:
        raise ValueError(f"Unknown activation: '{identifier}'. Known: {', '.join(sorted(_ALL))}")
    return fn


def serialize(activation):
    """The Keras name of a built-in. A custom named function is written as Keras writes it, a
    ``function`` config under its registered name (``package>name``), so that a function
    registered with ``register_keras_serializable`` loads without ``custom_objects``."""
    name = getattr(activation, "__name__", str(activation))
    if _ALL.get(name) is activation or name == "<lambda>" or not callable(activation):
        return name
    from kgraph.saving.object_registration import get_registered_name
    from kgraph.saving.serialization_lib import serialize_keras_object

    if not isinstance(activation, types.FunctionType):  # a callable object (a layer)
        return serialize_keras_object(activation)
    config = get_registered_name(activation)
    return {
        "module": "builtins",
        "class_name": "function",
        "config": config,
        "registered_name": "function",
    }


def deserialize(config, custom_objects=None):
    """The activation ``config`` names: a name (``serialize``'s output for built-ins) or a
    Keras function/object config dict; ``custom_objects`` first. Like Keras, a name that
    matches nothing comes back unchanged (``get`` then rejects it)."""
    if isinstance(config, str):
        if custom_objects and config in custom_objects:
            return custom_objects[config]
        return _ALL.get(config, config)
    from kgraph.saving.serialization_lib import deserialize_keras_object

    return deserialize_keras_object(config, custom_objects=custom_objects)
