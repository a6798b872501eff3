"""Optimizers with Keras names and defaults.

An optimizer here is configuration plus host-side state (``iterations``, the learning rate):
the compiler builds the update nodes from ``spec()``, and the learning rate and step are fed to
the step graph as inputs at every step, so assigning ``learning_rate`` never recompiles.
"""

from __future__ import annotations

from kgraph import optimizers_legacy as legacy  # noqa: F401  (public: kgraph.optimizers.legacy)
from kgraph.compiler.optim import schedules  # noqa: F401  (public: kgraph.optimizers.schedules)
from kgraph.learning_rate import LearningRate  # noqa: F401  (public: kgraph.optimizers.LearningRate)
from kgraph.optimizer_base import Optimizer
from kgraph.optimizers_more import (
    Adadelta,
    Adafactor,
    Adamax,
    Ftrl,
    Lamb,
    Lion,
    Nadam,
)
from kgraph.optimizers_multi import MultiOptimizer, OptimizerMap  # noqa: F401
from kgraph.optimizers_special import (
    LossScaleOptimizer,
    Muon,
    ScheduleFreeAdamW,
    deserialize,
    serialize,  # noqa: F401  (public: kgraph.optimizers.serialize)
)


class SGD(Optimizer):
    optimizer_name = "sgd"

    def __init__(self, learning_rate=0.01, momentum=0.0, nesterov=False, **kwargs):
        if not 0 <= momentum <= 1:
            raise ValueError(f"`momentum` must be in [0, 1]. Received: momentum={momentum}")
        super().__init__(learning_rate, momentum=float(momentum), nesterov=bool(nesterov), **kwargs)


class Adam(Optimizer):
    optimizer_name = "adam"

    def __init__(
        self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7, amsgrad=False, **kwargs
    ):
        super().__init__(
            learning_rate,
            beta_1=beta_1,
            beta_2=beta_2,
            epsilon=epsilon,
            amsgrad=bool(amsgrad),
            **kwargs,
        )


class AdamW(Optimizer):
    optimizer_name = "adamw"

    def __init__(
        self,
        learning_rate=0.001,
        weight_decay=0.004,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-7,
        amsgrad=False,
        **kwargs,
    ):
        super().__init__(
            learning_rate,
            weight_decay=weight_decay,
            beta_1=beta_1,
            beta_2=beta_2,
            epsilon=epsilon,
            amsgrad=bool(amsgrad),
            **kwargs,
        )


class RMSprop(Optimizer):
    optimizer_name = "rmsprop"

    def __init__(
        self, learning_rate=0.001, rho=0.9, momentum=0.0, epsilon=1e-7, centered=False, **kwargs
    ):
        super().__init__(
            learning_rate,
            rho=rho,
            momentum=momentum,
            epsilon=epsilon,
            centered=bool(centered),
            **kwargs,
        )


class Adagrad(Optimizer):
    optimizer_name = "adagrad"

    def __init__(self, learning_rate=0.001, initial_accumulator_value=0.1, epsilon=1e-7, **kwargs):
        super().__init__(
            learning_rate,
            initial_accumulator_value=initial_accumulator_value,
            epsilon=epsilon,
            **kwargs,
        )


_BY_NAME = {"sgd": SGD, "adam": Adam, "adamw": AdamW, "rmsprop": RMSprop, "adagrad": Adagrad}
_BY_NAME.update({c.optimizer_name: c for c in (Adamax, Nadam, Lion, Adadelta, Ftrl, Adafactor)})
_BY_NAME.update({"muon": Muon, "lamb": Lamb, "schedulefreeadamw": ScheduleFreeAdamW})
_BY_CLASS = {cls.__name__: cls for cls in [*_BY_NAME.values(), LossScaleOptimizer, MultiOptimizer]}


def get(identifier) -> Optimizer:
    """An optimizer from a Keras name, a class or an instance."""
    if isinstance(identifier, Optimizer):
        return identifier
    if isinstance(identifier, dict) and "class_name" in identifier:  # a serialized optimizer
        return deserialize(identifier)
    if isinstance(identifier, type) and issubclass(identifier, Optimizer):
        return identifier()
    if isinstance(identifier, str):
        cls = _BY_NAME.get(identifier.lower()) or _BY_CLASS.get(identifier)
        if cls is not None:
            return cls()
    raise ValueError(
        f"Unknown optimizer: {identifier!r}. Known optimizers: {', '.join(sorted(_BY_NAME))}."
    )
