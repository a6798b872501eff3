"""``Lambda``: a layer around a Python function written in ``kgraph.ops``.

Its config holds the function: a named function by module and name, a ``lambda`` as Keras
writes it (``{"class_name": "__lambda__", "config": {"code", "defaults", "closure"}}``, the
base64 of its marshalled bytecode). Rebuilding a lambda runs code from the config, so model
loading refuses it unless ``safe_mode=False`` (the saving module checks that); bytecode only
loads in the Python version that wrote it.
"""

from __future__ import annotations

import base64
import importlib
import inspect
import marshal
import types

from kgraph.layers.layer import Layer


def _parameters(fn) -> set:
    try:
        return set(inspect.signature(fn).parameters)
    except (TypeError, ValueError):  # a builtin without a signature
        return set()


def function_config(fn) -> dict:
    """Keras' config form of ``fn``."""
    if getattr(fn, "keras_config", None) is not None:
        return fn.keras_config  # rebuilt from a config: the same bytes (marshal is not stable)
    if isinstance(fn, types.LambdaType) and fn.__name__ == "<lambda>":
        code = base64.encodebytes(marshal.dumps(fn.__code__)).decode("ascii")
        closure = [c.cell_contents for c in fn.__closure__] if fn.__closure__ else None
        defaults = list(fn.__defaults__) if fn.__defaults__ else None
        return {
            "class_name": "__lambda__",
            "config": {"code": code, "defaults": defaults, "closure": closure},
        }
    if callable(fn) and hasattr(fn, "__name__"):
        module = fn.__module__
        if module.startswith("kgraph."):  # kgraph.activations.relu is keras.activations.relu
            module = "keras." + module.split(".")[1]
        return {
            "module": module,
            "class_name": "function",
            "config": fn.__name__,
            "registered_name": fn.__name__,
        }
    raise ValueError(f"Invalid input type for serialization. Received: {fn} of type {type(fn)}.")


def function_from_config(config):
    """The function :func:`function_config` described (a callable passes through)."""
    if callable(config):
        return config
    if not isinstance(config, dict) or "class_name" not in config:
        raise ValueError(f"Not a function config: {config!r}")
    inner = config["config"]
    if config["class_name"] == "__lambda__":
        code = marshal.loads(base64.decodebytes(inner["code"].encode("ascii")))
        from kgraph import ops

        closure = inner.get("closure")
        fn = types.FunctionType(
            code,
            {"ops": ops, "__builtins__": __builtins__},
            name=code.co_name,
            argdefs=tuple(inner["defaults"]) if inner.get("defaults") else None,
            closure=tuple(types.CellType(v) for v in closure) if closure else None,
        )
        fn.keras_config = config
        return fn
    module = config.get("module") or "kgraph.activations"
    candidates = [module]
    if module.split(".")[0] == "keras":  # keras.activations or keras.src.activations.…
        candidates = [f"kgraph.{p}" for p in module.split(".")[1:] if p != "src"]
        candidates += ["kgraph.activations", "kgraph.ops"]
    for name in candidates:
        try:
            return getattr(importlib.import_module(name), inner)
        except (ImportError, AttributeError):
            continue
    raise ValueError(f"Cannot find the function '{inner}' in module '{module}'.")


class Lambda(Layer):
    """Applies ``function(inputs, **arguments)``.

    Args:
        function: A callable written in ``kgraph.ops`` (a ``lambda`` or a named function).
        output_shape: Optional output shape without the batch axis (a tuple), or a callable
            mapping the input shape to the output shape; by default it is inferred by a
            symbolic call.
        mask: The outputs' Keras mask: a function ``mask(inputs, previous_mask)`` or a fixed
            mask; without it the layer does not support masking (an input mask is dropped).
        arguments: Extra keyword arguments of ``function``.
    """

    def __init__(self, function, output_shape=None, mask=None, arguments=None, **kwargs):
        super().__init__(**kwargs)
        if not callable(function):
            raise TypeError(f"`function` must be callable. Received: function={function!r}")
        self.function = function
        self._output_shape = output_shape
        self.mask = mask
        self.supports_masking = mask is not None
        self.arguments = dict(arguments or {})

    def call(self, inputs, mask=None, training=None):
        """``function(inputs, **arguments)``, plus ``mask=`` / ``training=`` when the function
        declares them (as Keras' Lambda passes them)."""
        kwargs = dict(self.arguments)
        accepted = _parameters(self.function)
        if "mask" in accepted:
            kwargs["mask"] = mask
        if "training" in accepted:
            kwargs["training"] = training
        return self.function(inputs, **kwargs)

    def compute_mask(self, inputs, mask=None):
        return self.mask(inputs, mask) if callable(self.mask) else self.mask

    def compute_output_shape(self, input_shape):
        if self._output_shape is None:
            return super().compute_output_shape(input_shape)
        if callable(self._output_shape):
            return tuple(self._output_shape(input_shape))
        batch = tuple(input_shape)[:1]
        return (*batch, *self._output_shape)

    def get_config(self):
        config = {**super().get_config(), "function": function_config(self.function)}
        if self._output_shape is not None:
            shape = self._output_shape
            config["output_shape"] = function_config(shape) if callable(shape) else shape
        if self.mask is not None:
            config["mask"] = function_config(self.mask) if callable(self.mask) else self.mask
        config["arguments"] = self.arguments
        return config

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        config["function"] = function_from_config(config["function"])
        for key in ("output_shape", "mask"):
            if isinstance(config.get(key), dict):
                config[key] = function_from_config(config[key])
        return cls(**config)
