"""Activations by Keras name; each is a function written in ``kgraph.ops``."""

from __future__ import annotations

from kgraph import ops


def linear(x):
    """Identity."""
    return x


def relu(x):
    return ops.relu(x)


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


swish = silu
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
    )
}
_ALL["swish"] = silu


def get(identifier):
    """The activation function for a name, ``None`` (linear) or a callable."""
    if identifier is None:
        return linear
    if callable(identifier):
        return identifier
    fn = _ALL.get(str(identifier))
    if fn is None:
        raise ValueError(f"Unknown activation: '{identifier}'. Known: {', '.join(sorted(_ALL))}")
    return fn


def serialize(activation) -> str:
    """The Keras name of ``activation`` (its ``__name__`` for custom callables)."""
    return getattr(activation, "__name__", str(activation))
