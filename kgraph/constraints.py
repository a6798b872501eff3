"""Weight constraints with Keras' names, defaults and formulas.

A constraint maps a weight to its projection (clipped, rescaled…); training assigns the
projection to the weight right after each optimizer update, as Keras does. Projections are
written with ``kgraph.ops``, so they run eagerly on numpy values and, in the training step, as
graph nodes on the updated parameter values.
"""

from __future__ import annotations

from kgraph import ops
from kgraph.utils import objects

_EPSILON = 1e-7  # Keras' backend.epsilon()


class Constraint:
    """Base class: ``constraint(w)`` returns the projected weight (``w`` itself here).

    Subclasses override ``__call__`` (written with ``kgraph.ops``) and ``get_config``.
    """

    def __call__(self, w):
        return w

    def get_config(self) -> dict:
        """Constructor arguments that recreate this constraint."""
        return {}

    @classmethod
    def from_config(cls, config: dict):
        """Creates a constraint from ``get_config()`` output."""
        return cls(**config)


def _norms(w, axis):
    """L2 norms of ``w`` along ``axis``, keeping the reduced axes."""
    return ops.sqrt(ops.sum(ops.square(w), axis=axis, keepdims=True))


def _rescaled(w, desired, norms):
    """``w * desired / (epsilon + norms)``."""
    return ops.multiply(w, ops.divide(desired, ops.add(_EPSILON, norms)))


class MaxNorm(Constraint):
    """Rescales the slices of ``w`` along ``axis`` whose L2 norm exceeds ``max_value``.

    Args:
        max_value: The largest norm allowed.
        axis: Axis or axes the norms are computed over (0: each column of a Dense kernel;
            ``[0, 1, 2]``: each filter of a channels-last Conv2D kernel).
    """

    def __init__(self, max_value=2, axis=0):
        self.max_value = max_value
        self.axis = axis

    def __call__(self, w):
        norms = _norms(w, self.axis)
        return _rescaled(w, ops.clip(norms, 0, self.max_value), norms)

    def get_config(self):
        return {"max_value": self.max_value, "axis": self.axis}


class NonNeg(Constraint):
    """Clips negative weights to zero."""

    def __call__(self, w):
        return ops.maximum(w, 0.0)


class UnitNorm(Constraint):
    """Rescales the slices of ``w`` along ``axis`` to unit L2 norm.

    Args:
        axis: Axis or axes the norms are computed over.
    """

    def __init__(self, axis=0):
        self.axis = axis

    def __call__(self, w):
        return ops.divide(w, ops.add(_EPSILON, _norms(w, self.axis)))

    def get_config(self):
        return {"axis": self.axis}


class MinMaxNorm(Constraint):
    """Moves the L2 norms of the slices of ``w`` along ``axis`` into ``[min_value, max_value]``.

    The new norm is ``rate * clip(norm, min_value, max_value) + (1 - rate) * norm``.

    Args:
        min_value: The smallest norm allowed.
        max_value: The largest norm allowed.
        rate: How strictly the bounds apply (1.0: exactly; below 1: part of the way each step).
        axis: Axis or axes the norms are computed over.
    """

    def __init__(self, min_value=0.0, max_value=1.0, rate=1.0, axis=0):
        self.min_value = min_value
        self.max_value = max_value
        self.rate = rate
        self.axis = axis

    def __call__(self, w):
        norms = _norms(w, self.axis)
        desired = ops.add(
            ops.multiply(self.rate, ops.clip(norms, self.min_value, self.max_value)),
            ops.multiply(1 - self.rate, norms),
        )
        return _rescaled(w, desired, norms)

    def get_config(self):
        return {
            "min_value": self.min_value,
            "max_value": self.max_value,
            "rate": self.rate,
            "axis": self.axis,
        }


_CLASSES = {cls.__name__: cls for cls in (Constraint, MaxNorm, MinMaxNorm, NonNeg, UnitNorm)}
_NAMES = {
    **_CLASSES,
    "constraint": Constraint,
    "max_norm": MaxNorm,
    "min_max_norm": MinMaxNorm,
    "non_neg": NonNeg,
    "unit_norm": UnitNorm,
}

# Keras' lowercase aliases.
max_norm, min_max_norm, non_neg, unit_norm = MaxNorm, MinMaxNorm, NonNeg, UnitNorm


def get(identifier):
    """A constraint from None, a name (``"non_neg"``, ``"max_norm"``…), a config dict, a class,
    an instance or any callable mapping a weight to its projection.

    Raises:
        ValueError: for an identifier that names no constraint.
    """
    return objects.get(identifier, kind="constraint", names=_NAMES, classes=_CLASSES)


def serialize(constraint):
    """Keras' config of ``constraint`` (a ``{"class_name", "config"}`` dict), or None."""
    return objects.serialize(constraint, base=Constraint, module="keras.constraints")


def deserialize(config):
    """The constraint described by ``serialize`` output."""
    return get(config)
