"""The rest of Keras 3's optimizers (exported as ``kgraph.optimizers.X``): configuration with
Keras' names, defaults and argument checks. The update rules are built into the step graph by
``kgraph.compiler.optim`` (one module each) from ``spec()``."""

from __future__ import annotations

from kgraph.optimizers import Optimizer


class Adamax(Optimizer):
    """Adam with the infinity norm of past gradients in place of the second moment."""

    optimizer_name = "adamax"

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7, **kwargs):
        super().__init__(learning_rate, beta_1=beta_1, beta_2=beta_2, epsilon=epsilon, **kwargs)


class Nadam(Optimizer):
    """Adam with Nesterov momentum (and its momentum-decay schedule, as Keras)."""

    optimizer_name = "nadam"

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7, **kwargs):
        super().__init__(learning_rate, beta_1=beta_1, beta_2=beta_2, epsilon=epsilon, **kwargs)


class Lion(Optimizer):
    """Steps by the sign of an interpolation of momentum and gradient.

    Raises:
        ValueError: unless ``0 < beta_1 <= 1``.
    """

    optimizer_name = "lion"

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.99, **kwargs):
        if beta_1 <= 0 or beta_1 > 1:
            raise ValueError(
                "Argument `beta_1` must be in the [0, 1] range. Otherwise, the optimizer "
                f"degenerates to SignSGD. Received: beta_1={beta_1}."
            )
        super().__init__(learning_rate, beta_1=beta_1, beta_2=beta_2, **kwargs)


class Adadelta(Optimizer):
    """Adapts steps from running averages of squared gradients and squared updates."""

    optimizer_name = "adadelta"

    def __init__(self, learning_rate=0.001, rho=0.95, epsilon=1e-7, **kwargs):
        super().__init__(learning_rate, rho=rho, epsilon=epsilon, **kwargs)


class Ftrl(Optimizer):
    """Follow The Regularized Leader (FTRL-Proximal) with L1, L2 and L2-shrinkage terms.

    Raises:
        ValueError: for a positive ``learning_rate_power`` or a negative accumulator or strength.
    """

    optimizer_name = "ftrl"

    def __init__(
        self,
        learning_rate=0.001,
        learning_rate_power=-0.5,
        initial_accumulator_value=0.1,
        l1_regularization_strength=0.0,
        l2_regularization_strength=0.0,
        l2_shrinkage_regularization_strength=0.0,
        beta=0.0,
        **kwargs,
    ):
        from kgraph.compiler.optim import ftrl

        params = {
            "learning_rate_power": learning_rate_power,
            "initial_accumulator_value": initial_accumulator_value,
            "l1_regularization_strength": l1_regularization_strength,
            "l2_regularization_strength": l2_regularization_strength,
            "l2_shrinkage_regularization_strength": l2_shrinkage_regularization_strength,
            "beta": beta,
        }
        ftrl.validate(params)
        super().__init__(learning_rate, **params, **kwargs)


class Adafactor(Optimizer):
    """Adam-like steps with factored (row and column) second moments for matrices."""

    optimizer_name = "adafactor"

    def __init__(
        self,
        learning_rate=0.001,
        beta_2_decay=-0.8,
        epsilon_1=1e-30,
        epsilon_2=1e-3,
        clip_threshold=1.0,
        relative_step=True,
        **kwargs,
    ):
        super().__init__(
            learning_rate,
            beta_2_decay=beta_2_decay,
            epsilon_1=epsilon_1,
            epsilon_2=epsilon_2,
            clip_threshold=clip_threshold,
            relative_step=bool(relative_step),
            **kwargs,
        )


class Muon(Optimizer):
    """Momentum orthogonalized by a Newton-Schulz iteration for 2-D weights; AdamW for the
    others (non-2-D, embeddings with ``exclude_embeddings``, paths matching ``exclude_layers``)."""

    optimizer_name = "muon"

    def __init__(
        self,
        learning_rate=0.001,
        adam_beta_1=0.9,
        adam_beta_2=0.999,
        adam_weight_decay=0.004,
        epsilon=1e-7,
        weight_decay=0.004,
        exclude_layers=None,
        exclude_embeddings=True,
        muon_a=3.4445,
        muon_b=-4.7750,
        muon_c=2.0315,
        adam_lr_ratio=1,
        momentum=0.95,
        ns_steps=5,
        nesterov=True,
        rms_rate=0.2,
        **kwargs,
    ):
        super().__init__(
            learning_rate,
            weight_decay=weight_decay,
            adam_beta_1=adam_beta_1,
            adam_beta_2=adam_beta_2,
            adam_weight_decay=adam_weight_decay,
            epsilon=epsilon,
            exclude_layers=list(exclude_layers or []),
            exclude_embeddings=bool(exclude_embeddings),
            muon_a=muon_a,
            muon_b=muon_b,
            muon_c=muon_c,
            adam_lr_ratio=adam_lr_ratio,
            momentum=momentum,
            ns_steps=int(ns_steps),
            nesterov=bool(nesterov),
            rms_rate=rms_rate,
            **kwargs,
        )


class Lamb(Optimizer):
    """Adam moments with a layer-wise trust ratio ``||weight|| / ||update||`` (LAMB)."""

    optimizer_name = "lamb"

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7, **kwargs):
        super().__init__(learning_rate, beta_1=beta_1, beta_2=beta_2, epsilon=epsilon, **kwargs)


class ScheduleFreeAdamW(Optimizer):
    """Schedule-Free AdamW: AdamW steps on an auxiliary sequence averaged into the weights,
    which removes the need for a decaying schedule (``warmup_steps`` ramps the rate up)."""

    optimizer_name = "schedulefreeadamw"

    def __init__(
        self,
        learning_rate=0.0025,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-8,
        warmup_steps=0,
        **kwargs,
    ):
        if kwargs.get("name") is None:
            kwargs["name"] = "schedule_free_adam_w"
        super().__init__(
            learning_rate,
            beta_1=beta_1,
            beta_2=beta_2,
            epsilon=epsilon,
            warmup_steps=int(warmup_steps),
            **kwargs,
        )


def serialize(optimizer) -> dict:
    """The optimizer as Keras serializes it (``{"module", "class_name", "config", ...}``)."""
    from kgraph.saving import serialize_keras_object

    return serialize_keras_object(optimizer)


def deserialize(config, custom_objects=None):
    """An optimizer from :func:`serialize`'s output; built-in class names in any case."""
    from kgraph import optimizers
    from kgraph.saving import deserialize_keras_object

    config = dict(config)
    name = str(config.get("class_name", ""))
    known = {cls.__name__.lower(): cls.__name__ for cls in vars(optimizers).values()
             if isinstance(cls, type) and issubclass(cls, Optimizer)}  # fmt: skip
    config["class_name"] = known.get(name.lower(), name)
    return deserialize_keras_object(config, custom_objects)


_BASE_DEFAULTS = {
    "weight_decay": None,
    "clipnorm": None,
    "global_clipnorm": None,
    "clipvalue": None,
    "use_ema": False,
    "ema_momentum": 0.99,
    "ema_overwrite_frequency": None,
    "loss_scale_factor": None,
    "gradient_accumulation_steps": None,
}


class LossScaleOptimizer(Optimizer):
    """Dynamic loss scaling around ``inner_optimizer``: a step whose scaled gradients are not
    all finite is skipped and halves the scale; ``dynamic_growth_steps`` finite steps in a row
    double it. The learning rate, iterations and options are the inner optimizer's.

    In the float32 step graph the loss itself is not scaled (see
    ``kgraph.compiler.optim.loss_scale``); the scale state still evolves as Keras'.
    """

    optimizer_name = "loss_scale_optimizer"

    def __init__(
        self, inner_optimizer, initial_scale=2.0**15, dynamic_growth_steps=2000, name=None, **kwargs
    ):
        kwargs.pop("learning_rate", None)  # in saved configs; the rate is the inner one's
        if not kwargs.pop("dynamic", True):
            raise ValueError(
                "LossScaleOptimizer no longer supports `dynamic=False`. Instead, simply set "
                "`loss_scale_factor` directly on the `inner_optimizer`."
            )
        for key, default in _BASE_DEFAULTS.items():
            if key in kwargs and kwargs.pop(key) != default:
                raise ValueError(
                    f"LossScaleOptimizer does not support `{key}`. Instead, set `{key}` on the "
                    "`inner_optimizer`."
                )
        if kwargs:
            raise ValueError(
                f"LossScaleOptimizer does not support arguments: `{'`, `'.join(kwargs)}`."
            )
        if isinstance(inner_optimizer, dict):  # a saved config
            from kgraph.saving import deserialize_keras_object

            inner_optimizer = deserialize_keras_object(inner_optimizer)
        if not isinstance(inner_optimizer, Optimizer):
            raise ValueError(
                "`inner_optimizer` must be an optimizer instance. "
                f"Received: inner_optimizer={inner_optimizer!r}"
            )
        super().__init__(learning_rate=0.0, name=name)  # before inner_optimizer: setters skip
        self.inner_optimizer = inner_optimizer
        self.initial_scale = float(initial_scale)
        self.dynamic_growth_steps = int(dynamic_growth_steps)

    # The rate and the step count live on the inner optimizer, as in Keras.
    @property
    def learning_rate(self):
        return self.inner_optimizer.learning_rate

    @learning_rate.setter
    def learning_rate(self, value):
        if hasattr(self, "inner_optimizer"):
            self.inner_optimizer.learning_rate = value

    @property
    def _learning_rate(self):  # what the base class saves and loads is the inner rate
        inner = self.__dict__.get("inner_optimizer")
        return None if inner is None else inner._learning_rate

    @_learning_rate.setter
    def _learning_rate(self, value):
        del value  # the base constructor's placeholder

    def current_learning_rate(self) -> float:
        return self.inner_optimizer.current_learning_rate()

    @property
    def learning_rate_schedule(self):
        return self.inner_optimizer.learning_rate_schedule

    use_ema = property(lambda self: self.inner_optimizer.use_ema)

    @property
    def iterations(self):
        return self.inner_optimizer.iterations

    @iterations.setter
    def iterations(self, value):
        if hasattr(self, "inner_optimizer"):
            self.inner_optimizer.iterations = value

    def spec(self) -> dict:
        return {
            "name": self.optimizer_name,
            "inner_optimizer": self.inner_optimizer.spec(),
            "initial_scale": self.initial_scale,
            "dynamic_growth_steps": self.dynamic_growth_steps,
        }

    def get_config(self) -> dict:
        from kgraph.saving import serialize_keras_object

        inner = self.inner_optimizer
        return {
            "name": self.name,
            "inner_optimizer": serialize_keras_object(inner),
            "initial_scale": self.initial_scale,
            "dynamic_growth_steps": self.dynamic_growth_steps,
        }


EXTRA = [
    Adamax,
    Nadam,
    Lion,
    Adadelta,
    Ftrl,
    Adafactor,
    Muon,
    Lamb,
    ScheduleFreeAdamW,
    LossScaleOptimizer,
]
