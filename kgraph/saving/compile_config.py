"""A model's ``compile_config`` (optimizer, loss, metrics) in Keras 3's spelling, and back.

Keras' optimizer configs carry keys kgraph's optimizers have no argument for (``use_ema``,
``loss_scale_factor``...). At their Keras defaults they are dropped on load; any other value
is a feature kgraph lacks, and compiling from such a config fails with a message naming it
(``load_model`` then returns the model uncompiled, with a warning, as Keras does when a model
cannot be compiled from its config).
"""

from __future__ import annotations

import inspect
import warnings

#: Keras optimizer config keys and their defaults, in Keras' order.
KERAS_OPTIMIZER_DEFAULTS = {
    "use_ema": False,
    "ema_momentum": 0.99,
    "ema_overwrite_frequency": None,
    "loss_scale_factor": None,
    "gradient_accumulation_steps": None,
}
#: Keys of Keras 2 / tf.keras optimizer configs that change nothing at these values (None:
#: any value).
_LEGACY_KEYS = {"decay": 0.0, "is_legacy_optimizer": None, "jit_compile": None}
_BASE_KEYS = ("name", "learning_rate", "weight_decay", "clipnorm", "global_clipnorm", "clipvalue")


def optimizer_config(optimizer) -> dict:
    """``optimizer.get_config()`` in Keras' key order, with Keras' extra keys at defaults and a
    learning-rate schedule written as a full ``{"module", "class_name", ...}`` object."""
    from kgraph.saving.serialization_lib import serialize_keras_object

    own = dict(optimizer.get_config())
    config = {key: own.pop(key, None) for key in _BASE_KEYS}
    for key, default in KERAS_OPTIMIZER_DEFAULTS.items():
        config[key] = own.pop(key, default)
    config.update(own)
    rate = config["learning_rate"]
    if isinstance(rate, dict):
        schedule = _schedule_from(rate)
        config["learning_rate"] = serialize_keras_object(schedule) if schedule else rate
    elif rate is not None:
        config["learning_rate"] = float(rate)
    return config


def _schedule_from(config: dict):
    """The schedule whose ``get_config()`` is ``config`` (the optimizer gives the config only)."""
    from kgraph.optimizers import schedules

    for cls in vars(schedules).values():
        if not (inspect.isclass(cls) and issubclass(cls, schedules.LearningRateSchedule)):
            continue
        try:
            candidate = cls.from_config(dict(config))
        except (TypeError, ValueError, NotImplementedError):
            continue
        if candidate.get_config() == config:
            return candidate
    return None


def optimizer_from_config(cls, config: dict):
    """A kgraph optimizer from a Keras (or kgraph) optimizer config."""
    from kgraph.saving.serialization_lib import deserialize_keras_object

    accepted = set()
    for klass in cls.__mro__:
        init = vars(klass).get("__init__")
        if init is not None:
            accepted |= {
                p.name
                for p in inspect.signature(init).parameters.values()
                if p.kind not in (p.VAR_KEYWORD, p.VAR_POSITIONAL)
            }
    kwargs = {}
    for key, value in config.items():
        if key not in accepted:
            if key in KERAS_OPTIMIZER_DEFAULTS and value == KERAS_OPTIMIZER_DEFAULTS[key]:
                continue
            if key in _LEGACY_KEYS and _LEGACY_KEYS[key] in (None, value):
                continue
            raise ValueError(
                f"kgraph's {cls.__name__} optimizer does not support `{key}`. "
                f"Received: {key}={value!r}"
            )
        kwargs[key] = value
    if isinstance(kwargs.get("learning_rate"), dict):
        kwargs["learning_rate"] = deserialize_keras_object(kwargs["learning_rate"])
    return cls(**kwargs)


def compile_config(model, compile_args) -> dict:
    """Keras' ``get_compile_config()`` of a compiled model: ``{}`` when not compiled.

    ``compile_args`` is ``(loss, loss_weights, metrics, weighted_metrics)`` as given to
    ``compile``."""
    from kgraph.saving.serialization_lib import serialize_keras_object

    if not getattr(model, "compiled", False) or compile_args is None:
        return {}
    loss, loss_weights, metrics, weighted_metrics = compile_args
    return {
        "optimizer": serialize_keras_object(model.optimizer),
        "loss": serialize_keras_object(loss),
        "loss_weights": serialize_keras_object(loss_weights),
        "metrics": serialize_keras_object(metrics),
        "weighted_metrics": serialize_keras_object(weighted_metrics),
        "run_eagerly": False,
        "steps_per_execution": 1,
        "jit_compile": True,
    }


def compile_from_config(model, config: dict) -> bool:
    """Compiles ``model`` as ``config`` says; warns and leaves it uncompiled when kgraph
    cannot (an optimizer, loss or metric it lacks). Returns whether it compiled."""
    from kgraph.saving.serialization_lib import deserialize_keras_object

    try:
        args = {
            key: deserialize_keras_object(config.get(key))
            for key in ("optimizer", "loss", "loss_weights", "metrics", "weighted_metrics")
        }
        if args["optimizer"] is None:
            args.pop("optimizer")
        model.compile(**args)
    except (TypeError, ValueError) as exc:
        warnings.warn(
            "compile() was not called as part of model loading: kgraph cannot compile the "
            f"model as it was saved ({exc}). Call compile() yourself after loading.",
            stacklevel=3,
        )
        return False
    return True
