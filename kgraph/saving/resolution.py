"""Which kgraph class a saved ``{"module", "class_name", "registered_name"}`` names, and back.

Keras writes built-in classes under their public module (``keras.layers``, ``keras.optimizers``,
``keras`` for ``Sequential``, ``keras.src.models.functional`` for ``Functional``) and custom
classes under their Python module with a ``registered_name`` (``"package>Name"``). Files
written by kgraph use the same spellings, so Keras reads them and kgraph reads Keras' files.
Nothing is imported by a name found in a file: only these tables and registered objects
(``register_keras_serializable``, ``custom_objects``, ``custom_object_scope``) are looked in.
"""

from __future__ import annotations

import functools
import inspect

from kgraph.saving.keras_ops import keras_op_function
from kgraph.saving.object_registration import all_custom_objects, get_registered_name

#: kgraph module → the Keras module its public classes are saved under.
_KERAS_MODULE = {
    "layers": "keras.layers",
    "optimizers": "keras.optimizers",
    "schedules": "keras.optimizers.schedules",
    "losses": "keras.losses",
    "metrics": "keras.metrics",
    "initializers": "keras.initializers",
    "regularizers": "keras.regularizers",
    "constraints": "keras.constraints",
}


#: Where Keras writes FeatureSpace's helper objects (kept as is, not read as keras.layers).
FEATURE_SPACE_MODULE = "keras.src.layers.preprocessing.feature_space"


def _classes(module, base) -> dict[str, type]:
    return {
        name: obj
        for name, obj in vars(module).items()
        if inspect.isclass(obj) and issubclass(obj, base) and not name.startswith("_")
    }


@functools.cache
def tables() -> dict[str, dict[str, type]]:
    """``{saved module: {class name: kgraph class}}``, in the order saving prefers."""
    from kgraph import constraints, initializers, layers, losses, metrics, optimizers, regularizers
    from kgraph.layers.core.op_layer import OpLayer
    from kgraph.models import Functional, Model, Sequential
    from kgraph.saving.keras_ops import KerasOpNode

    schedules = optimizers.schedules
    models = {"Sequential": Sequential, "Functional": Functional, "Model": Model}
    found = {
        "keras.layers": _classes(layers, layers.Layer),
        "keras.src.models.functional": {"Functional": Functional},
        "keras": dict(models),
        "keras.models": dict(models),
        "kgraph.layers": {"OpLayer": OpLayer, "KerasOpNode": KerasOpNode},  # ops between layers
    }
    for key, module, base in (
        ("optimizers", optimizers, optimizers.Optimizer),
        ("schedules", schedules, schedules.LearningRateSchedule),
        ("losses", losses, losses.Loss),
        ("metrics", metrics, metrics.Metric),
        ("initializers", initializers, initializers.Initializer),
        ("regularizers", regularizers, regularizers.Regularizer),
        ("constraints", constraints, constraints.Constraint),
    ):
        found[_KERAS_MODULE[key]] = _classes(module, base)
    for name in ("Layer", "InputSpec"):
        found["keras.layers"].pop(name, None)
    found.update(_feature_space_tables())
    found["keras.quantizers"] = _quantizer_classes()
    from kgraph import distillation

    found["keras.distillation"] = _classes(distillation, object)
    return found


def _quantizer_classes() -> dict[str, type]:
    """``Int8QuantizationConfig``, ``AbsMaxQuantizer``...: a quantized layer's config names
    them under ``keras.quantizers``."""
    from kgraph import quantizers

    return {n: c for n, c in quantizers.ALL_OBJECTS.items() if n == c.__name__}


def _feature_space_tables() -> dict[str, dict[str, type]]:
    """A FeatureSpace is saved under ``keras.utils``, its features and crosses under their
    Keras module: ``keras.saving.load_model("fs.keras")`` needs no custom objects."""
    from kgraph.utils import feature_space_specs

    objects = feature_space_specs.saving_objects()
    return {
        "keras.utils": {"FeatureSpace": objects.pop("FeatureSpace")},
        FEATURE_SPACE_MODULE: objects,
    }


@functools.cache
def _locations() -> dict[type, str]:
    where: dict[type, str] = {}
    for module, classes in tables().items():
        for cls in classes.values():
            where.setdefault(cls, module)
    return where


def keras_location(cls: type) -> tuple[str | None, str | None]:
    """``(module, registered_name)`` to save ``cls`` under, as Keras would write them."""
    module = _locations().get(cls)
    if module == FEATURE_SPACE_MODULE:  # registered in Keras under their class names
        return module, cls.__name__
    if module is not None:
        return module, ("Functional" if module == "keras.src.models.functional" else None)
    module = cls.__module__
    return (None if module == "__main__" else module), get_registered_name(cls)


def _normalized(module: str | None) -> str | None:
    """``keras.src.layers.core.dense`` → ``keras.layers`` (Keras' private module paths)."""
    if module and module.startswith("keras.src.") and module != FEATURE_SPACE_MODULE:
        part = module.split(".")[2]
        if part == "models":
            return "keras.models"
        if part == "optimizers" and ".schedules" in module:
            return "keras.optimizers.schedules"
        return f"keras.{part}"
    return module


def resolve_class(
    class_name: str, module: str | None, registered_name: str | None, custom_objects=None
):
    """The class a saved object names, or None when kgraph has no such class."""
    custom = all_custom_objects(custom_objects)
    for key in (registered_name, class_name):
        if key and key in custom:
            return custom[key]
    if keras_op_function(module, class_name) is not None:
        from kgraph.saving.keras_ops import KerasOpNode

        return KerasOpNode
    module = _normalized(module)
    if module is None and registered_name in (None, class_name):
        # kgraph's own in-memory configs name no module: search the built-in classes
        return next((t[class_name] for t in tables().values() if class_name in t), None)
    return tables().get(module or "", {}).get(class_name)


def resolve_function(name: str, module: str | None, custom_objects=None):
    """A saved function (``class_name: "function"``): registered, or a kgraph activation,
    loss or metric function of that name; None when unknown."""
    custom = all_custom_objects(custom_objects)
    if name in custom:
        return custom[name]
    from kgraph import activations, losses, metrics

    candidates = {
        "keras.activations": [activations],
        "keras.losses": [losses],
        "keras.metrics": [metrics],
        "builtins": [activations, losses, metrics],
    }.get(_normalized(module) or "builtins", [])
    for source in candidates:
        fn = vars(source).get(name)
        if inspect.isfunction(fn):
            return fn
    return None
