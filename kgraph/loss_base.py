"""The base class of kgraph's losses (re-exported as :class:`kgraph.losses.Loss`).

A loss object is a config the compiler turns into graph nodes (:meth:`Loss.spec`). Called on
arrays, it builds the compiler's loss graph and runs it in onnxruntime
(:mod:`kgraph.losses_eager`), so eager values match training exactly.
"""

from __future__ import annotations

from kgraph.compiler.losses import REDUCTIONS as _REDUCTIONS


class Loss:
    """Base class: a named loss with ``reduction`` and hyper-parameters.

    Args:
        name: Display name.
        reduction: ``"sum_over_batch_size"`` (default), ``"sum"``, ``"mean"``,
            ``"mean_with_sample_weight"`` (the weighted sum over the sum of the weights), or
            ``"none"``/``None`` (no reduction).
        dtype: Accepted for Keras compatibility; losses compute in float32.
    """

    loss_name = ""

    def __init__(self, name=None, reduction="sum_over_batch_size", dtype=None, **params):
        if reduction not in _REDUCTIONS:
            raise ValueError(
                "Invalid value for argument `reduction`. Expected one of "
                f"{_REDUCTIONS}. Received: reduction={reduction}"
            )
        self.name = name or self.loss_name
        self.reduction = reduction
        self.dtype = dtype or "float32"
        self.params = params

    def spec(self) -> dict:
        """The plain-data description the compiler reads."""
        return {"name": self.loss_name, "reduction": self.reduction, **self.params}

    def get_config(self) -> dict:
        return {"name": self.name, "reduction": self.reduction, **self.params}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __call__(self, y_true, y_pred, sample_weight=None):
        """The loss of a batch: per-sample values, weighted by ``sample_weight``, reduced."""
        from kgraph.losses_eager import evaluate_loss

        return evaluate_loss(self.spec(), y_true, y_pred, sample_weight)

    def call(self, y_true, y_pred):
        """The unreduced, unweighted per-sample loss."""
        from kgraph.losses_eager import loss_values

        return loss_values(self.spec(), y_true, y_pred)

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name!r} reduction={self.reduction!r}>"
