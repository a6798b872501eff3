"""The base of every optimizer: configuration plus host-side state (``iterations``, the
learning rate), which the compiler turns into update nodes through ``spec()``."""

from __future__ import annotations

import numpy as np

from kgraph.compiler import optim as _optim
from kgraph.compiler.optim import schedules as _schedules
from kgraph.learning_rate import SCHEDULE_NOT_SETTABLE, LearningRate, as_learning_rate
from kgraph.optimizer_iterations import Iterations, as_count, step_count
from kgraph.optimizer_keras_api import KerasOptimizerMethods

#: Keras' options of every optimizer after the clipping ones, in its config order.
_BASE_OPTIONS = (
    "use_ema",
    "ema_momentum",
    "ema_overwrite_frequency",
    "loss_scale_factor",
    "gradient_accumulation_steps",
)


class Optimizer(KerasOptimizerMethods):
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
        for key, value, default in (  # kept (in the spec) only when set
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
    def iterations(self) -> Iterations:
        """The number of steps taken, as Keras' int variable: ``int()``-able, ``.numpy()``,
        ``.assign()``; a live view of :attr:`iteration_count` (a plain int)."""
        return Iterations(self)

    @iterations.setter
    def iterations(self, value):
        self.iteration_count = as_count(value)

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
                raise TypeError(SCHEDULE_NOT_SETTABLE)
            value = as_learning_rate(value)
            if value < 0:
                raise ValueError(f"learning_rate must be >= 0. Received: learning_rate={value}")
        self._learning_rate = value

    def current_learning_rate(self) -> float:
        """The rate of the next step as a plain float: a schedule at ``iterations`` (0-based,
        read before the step increments it, as in Keras), another callable called with no
        arguments (as Keras does), or the constant rate."""
        lr = self._learning_rate
        if isinstance(lr, _schedules.LearningRateSchedule):
            return float(lr(step_count(self)))
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

        found = [Variable(np.int64(step_count(self)), trainable=False, name="iteration")]
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
        """Keras' config: a schedule is serialized with its class (``class_name``, ``module``,
        ``registered_name``), so that a user's schedule is found again when a saved model is
        loaded with ``custom_objects``."""
        from kgraph.saving import serialize_keras_object

        lr = self._learning_rate
        config = {
            "name": self.name,
            "learning_rate": serialize_keras_object(lr) if hasattr(lr, "get_config") else lr,
            "weight_decay": self.weight_decay,
            "clipnorm": self.clipnorm,
            "global_clipnorm": self.global_clipnorm,
            "clipvalue": self.clipvalue,
        }
        for key in _BASE_OPTIONS:  # every base option, set or not, in Keras' order
            config[key] = getattr(self, key)
        return config | {k: v for k, v in self.params.items() if k not in _BASE_OPTIONS}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        """The optimizer of ``get_config()``'s dict (a serialized schedule is rebuilt)."""
        config = dict(config)
        rate = config.get("learning_rate")
        if isinstance(rate, dict) and "class_name" in rate:
            from kgraph.saving import deserialize_keras_object

            config["learning_rate"] = deserialize_keras_object(rate, custom_objects)
        elif isinstance(rate, dict):  # get_config()'s schedule config, named by its class
            schedule = getattr(_schedules, str(rate.get("name")), None)
            if not isinstance(schedule, type):
                raise ValueError(f"Unknown learning rate schedule config: {rate}")
            config["learning_rate"] = schedule.from_config(rate)
        return cls(**config)

    def __getattr__(self, name):
        """Keras' hyper-parameter attributes (``beta_1``, ``momentum``, ``epsilon``...), read
        from the constructor's arguments."""
        found = getattr(type(self), name, None)
        if isinstance(found, property):  # a property that raised: its own error, not this one
            return found.__get__(self)
        params = self.__dict__.get("params") or {}
        if name in params:
            return params[name]
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    def __dir__(self):
        return sorted({*super().__dir__(), *(self.__dict__.get("params") or {})})
