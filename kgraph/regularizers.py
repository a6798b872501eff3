"""Weight and activity regularizers with Keras' names, defaults and formulas.

A regularizer maps a tensor to a scalar penalty that training adds to the loss. Penalties are
written with ``kgraph.ops``, so the same code runs eagerly (numpy in, numpy out) and inside a
model trace, where it emits graph nodes whose gradients flow through the compiler's autodiff.
"""

from __future__ import annotations

import math

import numpy as np

from kgraph import ops
from kgraph.ops import lowering, shapes
from kgraph.ops.core import Op, Spec, apply
from kgraph.tensor import KerasTensor, Variable
from kgraph.utils import objects, tree

_EPSILON = 1e-7  # Keras' backend.epsilon()


class Regularizer:
    """Base class: ``regularizer(x)`` returns a scalar penalty (zero for the base class).

    Subclasses override ``__call__`` (written with ``kgraph.ops``) and ``get_config``.
    """

    def __call__(self, x):
        return 0.0

    def get_config(self) -> dict:
        """Constructor arguments that recreate this regularizer."""
        raise NotImplementedError(f"{self} does not implement get_config()")

    @classmethod
    def from_config(cls, config: dict):
        """Creates a regularizer from ``get_config()`` output."""
        return cls(**config)


def _factor(value, name: str) -> float:
    """A non-negative finite float, as Keras validates penalty factors."""
    if (
        isinstance(value, bool)
        or not isinstance(value, (int, float))
        or math.isinf(value)
        or math.isnan(value)
        or value < 0
    ):
        raise ValueError(
            f"Invalid value for argument {name}: expected a non-negative float. "
            f"Received: {name}={value}"
        )
    return float(value)


def _float32(value: float) -> float:
    """``value`` rounded to float32, as Keras stores some factors (and reports them)."""
    return float(np.float32(value))


class L1L2(Regularizer):
    """``l1 * sum(abs(x)) + l2 * sum(square(x))``.

    Args:
        l1: Non-negative L1 factor (None counts as 0).
        l2: Non-negative L2 factor (None counts as 0).
    """

    def __init__(self, l1=0.0, l2=0.0):
        self.l1 = _factor(0.0 if l1 is None else l1, "l1")
        self.l2 = _factor(0.0 if l2 is None else l2, "l2")

    def __call__(self, x):
        penalty = np.float32(0.0)
        if self.l1 != 0.0:
            penalty = ops.add(penalty, ops.multiply(self.l1, ops.sum(ops.abs(x))))
        if self.l2 != 0.0:
            penalty = ops.add(penalty, ops.multiply(self.l2, ops.sum(ops.square(x))))
        return penalty

    def get_config(self):
        return {"l1": self.l1, "l2": self.l2}


class L1(Regularizer):
    """``l1 * sum(abs(x))``.

    Args:
        l1: Non-negative factor (0.01 by default; None counts as the default).
    """

    def __init__(self, l1=0.01):
        self.l1 = _float32(_factor(0.01 if l1 is None else l1, "l1"))

    def __call__(self, x):
        return ops.multiply(self.l1, ops.sum(ops.abs(x)))

    def get_config(self):
        return {"l1": self.l1}


class L2(Regularizer):
    """``l2 * sum(square(x))``.

    Args:
        l2: Non-negative factor (0.01 by default; None counts as the default).
    """

    def __init__(self, l2=0.01):
        self.l2 = _factor(0.01 if l2 is None else l2, "l2")

    def __call__(self, x):
        return ops.multiply(self.l2, ops.sum(ops.square(x)))

    def get_config(self):
        return {"l2": self.l2}


class OrthogonalRegularizer(Regularizer):
    """Pushes the rows (or columns) of a matrix towards being orthogonal.

    The penalty is ``factor * 0.5 * sum(|P - diag(P)|) / (n * (n - 1) / 2)`` where ``P`` holds
    the dot products of the L2-normalised rows (``mode="rows"``) or columns and ``n`` is
    their number.

    Args:
        factor: Non-negative factor (0.01 by default).
        mode: ``"rows"`` or ``"columns"``.
    """

    def __init__(self, factor=0.01, mode="rows"):
        self.factor = _float32(_factor(factor, "factor"))
        if mode not in ("rows", "columns"):
            raise ValueError(
                'Invalid value for argument `mode`. Expected one of {"rows", "columns"}. '
                f"Received: mode={mode}"
            )
        self.mode = mode

    def __call__(self, x):
        shape = ops.shape(x)
        if len(shape) != 2:
            raise ValueError(
                f"Inputs to OrthogonalRegularizer must have rank 2. Received: inputs.shape={shape}"
            )
        axis = 1 if self.mode == "rows" else 0
        inverse_norm = ops.minimum(
            ops.divide(1.0, ops.sqrt(ops.sum(ops.square(x), axis=axis, keepdims=True))),
            1.0 / _EPSILON,
        )
        unit = ops.multiply(x, inverse_norm)
        if self.mode == "rows":
            product, size = ops.matmul(unit, ops.transpose(unit)), shape[0]
        else:
            product, size = ops.matmul(ops.transpose(unit), unit), shape[1]
        off_diagonal = ops.multiply(product, 1.0 - np.eye(size, dtype=np.float32))
        pairs = size * (size - 1.0) / 2.0
        return ops.divide(
            ops.multiply(self.factor * 0.5, ops.sum(ops.abs(off_diagonal))), np.float32(pairs)
        )

    def get_config(self):
        return {"factor": self.factor, "mode": self.mode}


_CLASSES = {cls.__name__: cls for cls in (Regularizer, L1, L2, L1L2, OrthogonalRegularizer)}
_NAMES = {
    **_CLASSES,
    "regularizer": Regularizer,
    "l1": L1,
    "l2": L2,
    "l1l2": L1L2,  # Keras 3's snake-case name: no penalty by default
    "l1_l2": lambda: L1L2(l1=0.01, l2=0.01),  # the documented string default (tf.keras')
    "orthogonal_regularizer": OrthogonalRegularizer,
}

# Keras' lowercase aliases (``l1_l2`` is the class too, whose defaults are no penalty).
l1, l2, l1_l2, orthogonal_regularizer = L1, L2, L1L2, OrthogonalRegularizer


def get(identifier):
    """A regularizer from None, a name (``"l1"``, ``"l2"``, ``"l1_l2"``…), a config dict, a
    class, an instance or any callable mapping a tensor to a scalar.

    Raises:
        ValueError: for an identifier that names no regularizer.
    """
    return objects.get(identifier, kind="regularizer", names=_NAMES, classes=_CLASSES)


def serialize(regularizer):
    """Keras' config of ``regularizer`` (a ``{"class_name", "config"}`` dict), or None."""
    return objects.serialize(regularizer, base=Regularizer, module="keras.regularizers")


def deserialize(config):
    """The regularizer described by ``serialize`` output."""
    return get(config)


# -- activity regularization --------------------------------------------------------------------


def _batch_lower(b, x):
    size = b.op(
        "Squeeze", [b.op("Shape", [x], {"start": 0, "end": 1}), lowering.axes_input(b, [0])]
    )
    return b.op("Max", [lowering.cast(b, size, "float32"), b.constant(np.float32(1.0))])


# The batch size as a float32 scalar, at least 1 (so an empty batch gives 0, not NaN).
_batch_size = Op("activity_batch_size", lambda x: Spec((), "float32"), _batch_lower)


def weight_penalties(layer) -> list:
    """``regularizer(weight)`` for each trainable weight of ``layer`` that has a regularizer."""
    return [w.regularizer(w) for w in layer.trainable_weights if w.regularizer is not None]


def layer_losses(layer) -> list:
    """Keras' ``layer.losses``: the activity penalties of the last eager call of ``layer`` and
    of its sublayers, then its weight penalties."""

    def activity(owner):
        own = [*owner._activity_losses, *getattr(owner, "_added_losses", [])]
        return [*own, *(x for sub in owner._layers for x in activity(sub))]

    return [*activity(layer), *weight_penalties(layer)]


def scalar_loss(loss):
    """A loss term (``Layer.add_loss``) as a float32 scalar: tensors are summed, as Keras sums
    added losses."""
    if isinstance(loss, (KerasTensor, Variable)):
        loss = ops.cast(loss, "float32")
        return ops.sum(loss) if loss.shape else loss
    return np.float32(np.sum(np.asarray(loss, np.float32)))


def record_activity(layer, outputs, active) -> None:
    """Records the activity penalties of a call of ``layer`` that gave ``outputs``: in the
    ``active`` trace when it collects losses, on the layer for an eager call (``active`` None).
    """
    if layer.activity_regularizer is None:
        return
    if active is None:
        layer._activity_losses = activity_losses(layer.activity_regularizer, outputs)
    elif active.losses is not None:
        active.losses += activity_losses(layer.activity_regularizer, outputs)


def activity_losses(regularizer, outputs) -> list:
    """Keras' activity penalties of a layer call: ``regularizer(output)`` per output, divided
    by the batch size for outputs of rank ≥ 1."""
    found = []
    for output in tree.flatten(outputs):
        penalty = regularizer(output)
        shape = shapes.static_shape(output)
        if shape:
            if shape[0] is None:  # traced: the batch axis is dynamic
                batch = apply(_batch_size, [output])
            else:
                batch = np.float32(max(shape[0], 1))
            penalty = ops.divide(penalty, batch)
        found.append(penalty)
    return found
