"""Keras 3's optimizers with a structure of their own (exported as ``kgraph.optimizers.X``):
Muon (two update rules by weight shape), Schedule-Free AdamW, the LossScaleOptimizer wrapper, and
Keras' ``serialize`` / ``deserialize``. Update rules: ``kgraph.compiler.optim``."""

from __future__ import annotations

from kgraph.optimizer_base import Optimizer


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
