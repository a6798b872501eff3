"""Optimizers with Keras names and defaults.

An optimizer here is configuration plus host-side state (``iterations``, the learning rate):
the compiler builds the update nodes from ``spec()``, and the learning rate and step are fed to
the step graph as inputs at every step, so assigning ``learning_rate`` never recompiles.
"""

from __future__ import annotations

import numpy as np

from kgraph.compiler import optim as _optim
from kgraph.compiler.optim import schedules as _schedules

schedules = _schedules


class LearningRate:
    """An optimizer's learning rate as Keras exposes it: a live scalar variable.

    ``optimizer.learning_rate`` returns this view when the rate is a number (with a schedule it
    returns the rate at ``iterations``, a float, as Keras returns a tensor). It reads the
    optimizer's current rate each time, converts with ``float()`` and ``numpy.asarray`` (float32),
    takes part in arithmetic and comparisons as that number, and ``assign(value)`` sets the rate
    (as ``optimizer.learning_rate = value`` does) without recompiling anything.
    """

    __slots__ = ("_optimizer",)
    shape = ()
    ndim = 0
    dtype = "float32"
    name = "learning_rate"
    path = "learning_rate"
    trainable = False
    __array_priority__ = 100  # numpy defers ``array <op> rate`` to the reflected methods below

    def __init__(self, optimizer):
        self._optimizer = optimizer

    @property
    def value(self) -> float:
        """The current rate."""
        return self._optimizer.current_learning_rate()

    def numpy(self):
        import numpy as np

        return np.asarray(self.value, np.float32)

    def __array__(self, dtype=None, copy=None):
        import numpy as np

        return np.asarray(self.value, dtype or np.float32)

    def assign(self, value):
        """Sets the optimizer's rate to ``value`` (a number or a scalar array)."""
        opt = self._optimizer
        if callable(opt._learning_rate):
            raise TypeError(_SCHEDULE_NOT_SETTABLE)
        opt.learning_rate = _scalar(value)
        return self

    def assign_add(self, value):
        return self.assign(self.value + _scalar(value))

    def assign_sub(self, value):
        return self.assign(self.value - _scalar(value))

    def __float__(self):
        return float(self.value)

    def __int__(self):
        return int(self.value)

    def __bool__(self):
        return bool(self.value)

    def __format__(self, format_spec):
        return format(self.value, format_spec)

    def __repr__(self):
        return f"<LearningRate shape=(), dtype=float32, value={self.value}>"

    __hash__ = object.__hash__

    def __neg__(self):
        return -self.value

    def __pos__(self):
        return self.value

    def __abs__(self):
        return abs(self.value)

    def __round__(self, ndigits=None):
        return round(self.value, ndigits)


def _scalar(value) -> float:
    if isinstance(value, LearningRate):
        return value.value
    import numpy as np

    arr = np.asarray(value)
    if arr.size != 1:
        raise ValueError(f"A learning rate must be a scalar. Received: shape={arr.shape}")
    return float(arr.reshape(()))


def _delegate(op: str):
    import operator

    fn = getattr(operator, op)

    def forward(self, other):
        return fn(self.value, other.value if isinstance(other, LearningRate) else other)

    def reflected(self, other):
        return fn(other, self.value)

    return forward, reflected


for _op in ("add", "sub", "mul", "truediv", "floordiv", "mod", "pow"):
    _fwd, _ref = _delegate(_op)
    setattr(LearningRate, f"__{_op}__", _fwd)
    setattr(LearningRate, f"__r{_op}__", _ref)
for _op in ("eq", "ne", "lt", "le", "gt", "ge"):
    setattr(LearningRate, f"__{_op}__", _delegate(_op)[0])
del _op, _fwd, _ref

_SCHEDULE_NOT_SETTABLE = (
    "This optimizer was created with a `LearningRateSchedule` object as its `learning_rate` "
    "constructor argument, hence its learning rate is not settable. If you need the learning "
    "rate to be settable, you should instantiate the optimizer with a float `learning_rate` "
    "argument."
)


class Optimizer:
    """Base optimizer.

    Args:
        learning_rate: A float or a ``LearningRateSchedule``.
        clipnorm: Clip each gradient to this norm.
        clipvalue: Clip each gradient element to ``[-clipvalue, clipvalue]``.
        global_clipnorm: Clip all gradients together to this global norm. At most one of the
            three clipping arguments may be set.
        use_ema: Keep an exponential moving average of each trainable weight (optimizer slots
            ``<weight>/average``), as Keras does.
        ema_momentum: The average's momentum.
        ema_overwrite_frequency: Every this many steps, write the averages into the weights.
        loss_scale_factor: Keras scales the loss by it and the gradients back; the float32
            step graph differentiates the loss unscaled, which is the same update.
        gradient_accumulation_steps: Apply the mean of this many steps' gradients once every
            this many steps.
    """

    optimizer_name = ""

    def __init__(
        self,
        learning_rate=0.001,
        weight_decay=None,
        clipnorm=None,
        clipvalue=None,
        global_clipnorm=None,
        use_ema=False,
        ema_momentum=0.99,
        ema_overwrite_frequency=None,
        loss_scale_factor=None,
        gradient_accumulation_steps=None,
        name=None,
        **params,
    ):
        for key, value, default in (  # kept (in spec and config) only when set
            ("use_ema", use_ema, False),
            ("ema_momentum", ema_momentum, 0.99),
            ("ema_overwrite_frequency", ema_overwrite_frequency, None),
            ("loss_scale_factor", loss_scale_factor, None),
            ("gradient_accumulation_steps", gradient_accumulation_steps, None),
        ):
            if value != default:
                params[key] = value
        if sum(a is not None for a in (clipnorm, clipvalue, global_clipnorm)) > 1:
            raise ValueError(
                "Only one of `clipnorm`, `clipvalue` and `global_clipnorm` can be set. "
                f"Received: clipnorm={clipnorm}, clipvalue={clipvalue}, "
                f"global_clipnorm={global_clipnorm}"
            )
        for key, value in (
            ("clipnorm", clipnorm),
            ("clipvalue", clipvalue),
            ("global_clipnorm", global_clipnorm),
        ):
            if value is not None and value <= 0:
                raise ValueError(f"`{key}` must be positive. Received: {key}={value}")
        self.name = name or self.optimizer_name
        self._learning_rate = None
        self.learning_rate = learning_rate
        self._learning_rate_view = LearningRate(self)
        self.weight_decay = weight_decay
        self.clipnorm, self.clipvalue, self.global_clipnorm = clipnorm, clipvalue, global_clipnorm
        self.params = params
        self.iterations = 0
        #: Slot Variables in Keras' order, set by the trainer when it builds the step graph.
        self.slot_variables: list = []
        #: Slot values loaded before the step graph existed (see :meth:`load_variables`).
        self.pending_slot_values: list | None = None
        self._exclude_names: list[str] = []
        self._exclude_paths: list[str] = []
        if self.optimizer_name in _optim.OPTIMIZERS:  # Keras checks the arguments right away
            _optim.resolve_config(self.spec())

    def exclude_from_weight_decay(self, var_list=None, var_names=None):
        """Excludes variables from weight decay (before training, as in Keras).

        Args:
            var_list: Variables to exclude.
            var_names: Regular expressions; a variable whose own name (``kernel``, ``bias``)
                contains a match is excluded, e.g. ``var_names=["bias"]``.
        """
        self._exclude_paths = [v.path for v in var_list or []]
        self._exclude_names = list(var_names or [])

    @property
    def learning_rate(self):
        """The learning rate: a live :class:`LearningRate` (``float()``-able, ``assign()``-able)
        for a constant rate, or a schedule's rate at ``iterations`` as a float."""
        if callable(self._learning_rate):
            return self.current_learning_rate()
        return self._learning_rate_view

    @learning_rate.setter
    def learning_rate(self, value):
        if not callable(value):
            if callable(self._learning_rate):
                raise TypeError(_SCHEDULE_NOT_SETTABLE)
            value = _scalar(value)
            if value < 0:
                raise ValueError(f"learning_rate must be >= 0. Received: learning_rate={value}")
        self._learning_rate = value

    def current_learning_rate(self) -> float:
        """The rate of the next step as a plain float: a schedule at ``iterations`` (0-based,
        read before the step increments it, as in Keras), another callable called with no
        arguments (as Keras does), or the constant rate."""
        lr = self._learning_rate
        if isinstance(lr, _schedules.LearningRateSchedule):
            return float(lr(self.iterations))
        return float(lr()) if callable(lr) else lr

    @property
    def learning_rate_schedule(self):
        """The ``LearningRateSchedule`` the rate follows, or None for a constant rate."""
        lr = self._learning_rate
        return lr if isinstance(lr, _schedules.LearningRateSchedule) else None

    # -- state, as Keras saves it ------------------------------------------------------------
    @property
    def variables(self) -> list:
        """Keras' optimizer variables, in Keras' order: ``iteration``, ``learning_rate`` (not
        for a schedule), then each trainable weight's slots, interleaved by weight (Adam:
        ``momentum``, ``velocity`` of the first weight, then of the second, ...).

        The slots exist once training has been set up (``fit``, ``evaluate`` or
        ``train_on_batch``); before that only the first two are listed. Values are current:
        the trainer copies its device state into them at its sync points.
        """
        from kgraph.tensor import Variable

        found = [Variable(np.int64(self.iterations), trainable=False, name="iteration")]
        if not callable(self._learning_rate):
            rate = np.float32(self._learning_rate)
            found.append(Variable(rate, trainable=False, name="learning_rate"))
        return found + list(self.slot_variables)

    def load_variables(self, values) -> None:
        """Sets the state from arrays in :attr:`variables` order (as a saved file lists them).

        Slots given before training is set up are kept in :attr:`pending_slot_values` and
        taken by the trainer when it builds the step graph.
        """
        values = list(values)
        if not values:
            return
        self.iterations = int(np.asarray(values.pop(0)))
        if not callable(self._learning_rate) and values:
            self.learning_rate = float(np.asarray(values.pop(0)))
        if self.slot_variables and len(values) == len(self.slot_variables):
            for variable, value in zip(self.slot_variables, values):
                variable.assign(value)
        else:
            self.pending_slot_values = [np.asarray(v) for v in values]

    # Keras' base-option attributes, read from the arguments given (defaults otherwise).
    use_ema = property(lambda self: bool(self.params.get("use_ema", False)))
    ema_momentum = property(lambda self: self.params.get("ema_momentum", 0.99))
    ema_overwrite_frequency = property(lambda self: self.params.get("ema_overwrite_frequency"))
    loss_scale_factor = property(lambda self: self.params.get("loss_scale_factor"))
    gradient_accumulation_steps = property(
        lambda self: self.params.get("gradient_accumulation_steps")
    )

    def extra_learning_rates(self) -> dict:
        """Rates of further ``lr:<i>`` step-graph inputs (a MultiOptimizer's sub-optimizers)."""
        return {}

    def ema_variables(self, var_list) -> list:
        """The EMA slot (``use_ema``) of each weight of ``var_list``, or None where there is
        none (yet: the slots exist once training has been set up)."""
        by_path = {v.path: v for v in self.slot_variables}
        return [by_path.get(f"{v.path}/average") for v in var_list]

    def finalize_variable_values(self, var_list) -> None:
        """Keras' end-of-``fit`` hook: with ``use_ema`` the weights take their EMA values."""
        if self.use_ema:
            for variable, average in zip(var_list, self.ema_variables(var_list)):
                if average is not None:
                    variable.assign(average.numpy())

    def spec(self) -> dict:
        """Plain-data description for the compiler (learning rate excluded: it is an input)."""
        spec = {"name": self.optimizer_name, **self.params}
        if self.weight_decay is not None:
            spec["weight_decay"] = self.weight_decay
        for key in ("clipnorm", "clipvalue", "global_clipnorm"):
            if getattr(self, key) is not None:
                spec[key] = getattr(self, key)
        if self._exclude_names:
            spec["exclude_from_weight_decay"] = list(self._exclude_names)
        if self._exclude_paths:
            spec["exclude_from_weight_decay_paths"] = list(self._exclude_paths)
        return spec

    def get_config(self) -> dict:
        lr = self._learning_rate
        return {
            "name": self.name,
            "learning_rate": lr.get_config() if hasattr(lr, "get_config") else lr,
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


from kgraph.optimizers_more import (  # noqa: E402  (they subclass Optimizer above)
    Adadelta,
    Adafactor,
    Adamax,
    Ftrl,
    Lamb,
    Lion,
    Nadam,
)
from kgraph.optimizers_multi import MultiOptimizer, OptimizerMap  # noqa: E402, F401
from kgraph.optimizers_special import (  # noqa: E402
    LossScaleOptimizer,
    Muon,
    ScheduleFreeAdamW,
    deserialize,
    serialize,  # noqa: F401  (public: kgraph.optimizers.serialize)
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
