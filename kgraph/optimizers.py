"""Optimizers with Keras names and defaults.

An optimizer here is configuration plus host-side state (``iterations``, the learning rate):
the compiler builds the update nodes from ``spec()``, and the learning rate and step are fed to
the step graph as inputs at every step, so assigning ``learning_rate`` never recompiles.
"""

from __future__ import annotations

from compiler.optim import schedules as _schedules

schedules = _schedules


class Optimizer:
    """Base optimizer.

    Args:
        learning_rate: A float or a ``LearningRateSchedule``.
        clipnorm: Clip each gradient to this norm.
        clipvalue: Clip each gradient element to ``[-clipvalue, clipvalue]``.
        global_clipnorm: Clip all gradients together to this global norm.
    """

    optimizer_name = ""

    def __init__(
        self,
        learning_rate=0.001,
        weight_decay=None,
        clipnorm=None,
        clipvalue=None,
        global_clipnorm=None,
        name=None,
        **params,
    ):
        if clipnorm is not None and global_clipnorm is not None:
            raise ValueError(
                "Only one of `clipnorm` and `global_clipnorm` can be set. Received: "
                f"clipnorm={clipnorm}, global_clipnorm={global_clipnorm}"
            )
        for key, value in (
            ("clipnorm", clipnorm),
            ("clipvalue", clipvalue),
            ("global_clipnorm", global_clipnorm),
        ):
            if value is not None and value <= 0:
                raise ValueError(f"`{key}` must be positive. Received: {key}={value}")
        self.name = name or self.optimizer_name
        self.learning_rate = learning_rate
        self.weight_decay = weight_decay
        self.clipnorm, self.clipvalue, self.global_clipnorm = clipnorm, clipvalue, global_clipnorm
        self.params = params
        self.iterations = 0

    @property
    def learning_rate(self):
        """The current learning rate (a schedule is evaluated at ``iterations``)."""
        if callable(self._learning_rate):
            return float(self._learning_rate(self.iterations))
        return self._learning_rate

    @learning_rate.setter
    def learning_rate(self, value):
        if not callable(value):
            value = float(value)
            if value < 0:
                raise ValueError(f"learning_rate must be >= 0. Received: learning_rate={value}")
        self._learning_rate = value

    def spec(self) -> dict:
        """Plain-data description for the compiler (learning rate excluded: it is an input)."""
        spec = {"name": self.optimizer_name, **self.params}
        if self.weight_decay is not None:
            spec["weight_decay"] = self.weight_decay
        for key in ("clipnorm", "clipvalue", "global_clipnorm"):
            if getattr(self, key) is not None:
                spec[key] = getattr(self, key)
        return spec

    def get_config(self) -> dict:
        lr = self._learning_rate
        return {
            "name": self.name,
            "learning_rate": lr.get_config() if callable(lr) else lr,
            "weight_decay": self.weight_decay,
            "clipnorm": self.clipnorm,
            "clipvalue": self.clipvalue,
            "global_clipnorm": self.global_clipnorm,
            **self.params,
        }


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
_BY_CLASS = {cls.__name__: cls for cls in _BY_NAME.values()}


def get(identifier) -> Optimizer:
    """An optimizer from a Keras name, a class or an instance."""
    if isinstance(identifier, Optimizer):
        return identifier
    if isinstance(identifier, type) and issubclass(identifier, Optimizer):
        return identifier()
    if isinstance(identifier, str):
        cls = _BY_NAME.get(identifier.lower()) or _BY_CLASS.get(identifier)
        if cls is not None:
            return cls()
    raise ValueError(
        f"Unknown optimizer: {identifier!r}. Known optimizers: {', '.join(sorted(_BY_NAME))}."
    )
