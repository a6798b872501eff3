"""Losses the user writes: a function ``fn(y_true, y_pred)`` or a ``keras.losses.Loss`` subclass
with its own ``call``, written with ``kgraph.ops``.

The compiler cannot run user code, so the front end traces it: the output's label input is made
here, the function is called on it and on the output as symbolic tensors, and the per-sample
values it returns go to the compiler, which weights and reduces them as it does a built-in
loss's (``compiler.training.LossGraph``). Labels are float32 and shaped like the output.
"""

from __future__ import annotations

from kgraph import ops
from kgraph import trace as tracing
from kgraph.tensor import KerasTensor

SPEC_NAME = "traced"  # the compiler's name for a loss whose values the front end traced


class TracedLoss:
    """``compile()``'s view of a user loss: the callable, its name and its reduction."""

    loss_name = SPEC_NAME

    def __init__(self, fn, name, reduction="sum_over_batch_size"):
        self.fn, self.name, self.reduction = fn, name, reduction

    def spec(self) -> dict:
        return {"name": SPEC_NAME, "reduction": self.reduction}


def resolve(identifier):
    """A built-in loss object (``kgraph.losses.get``) or, for user code, a :class:`TracedLoss`."""
    from kgraph import losses
    from kgraph.loss_base import Loss

    if isinstance(identifier, Loss) and type(identifier).call is not Loss.call:
        name = identifier.name or type(identifier).__name__
        return TracedLoss(identifier.call, name, identifier.reduction)
    user_class = isinstance(identifier, type) and issubclass(identifier, Loss)
    if user_class and identifier.call is not Loss.call:
        return resolve(identifier())
    try:
        return losses.get(identifier)
    except ValueError:
        if callable(identifier) and not isinstance(identifier, type):
            return TracedLoss(identifier, getattr(identifier, "__name__", "loss"))
        raise


def trace_losses(trace, builder, user_losses: dict, specs, outputs, shapes) -> dict:
    """Traces each user loss on its output: returns ``{output name: per-sample IR values}``.

    Args:
        trace: The model's active trace (training or evaluation).
        builder: Its graph builder.
        user_losses: Output name -> :class:`TracedLoss`.
        specs: The outputs' ``OutputSpec`` (label input names).
        outputs: The outputs' IR values, in output order.
        shapes: The outputs' symbolic shapes.
    """
    found = {}
    with tracing.tracing(trace):
        for spec, output, shape in zip(specs, outputs, shapes):
            loss = user_losses.get(spec.name)
            if loss is None:
                continue
            label = builder.input(spec.label_name, (None, *shape[1:]), "float32")
            y_true = KerasTensor((None, *shape[1:]), "float32", value=label)
            y_pred = KerasTensor(shape, str(output.dtype.numpy()), value=output)
            with builder.scope(f"loss/{spec.name}/{loss.name}"):
                values = loss.fn(y_true, y_pred)
                if not isinstance(values, KerasTensor):
                    raise TypeError(
                        f"The loss '{loss.name}' must compute its result from y_true and "
                        f"y_pred with kgraph.ops; it returned {type(values).__name__}."
                    )
                found[spec.name] = ops.cast(values, "float32")._value
    return found
