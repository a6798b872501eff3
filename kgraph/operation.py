"""``keras.Operation``: the base class of a stateless computation that users subclass with a
``call`` written in ``keras.ops``.

In Keras, calling an operation on symbolic tensors records one graph node whose output comes
from ``compute_output_spec``. kgraph records the ops that ``call`` itself applies, since each of
them has an ONNX lowering: an ``Operation`` therefore works eagerly (numpy in, numpy out), in a
functional model, in ``predict``, ``fit`` and the exported graph, as long as ``call`` is built
from ``kgraph.ops``. A ``compute_output_spec`` override still answers shape queries but does not
replace tracing ``call``.
"""

from __future__ import annotations

import inspect
import textwrap

from kgraph.layers.auto_config import constructor_arguments, default
from kgraph.tensor import KerasTensor
from kgraph.utils import tree
from kgraph.utils.naming import auto_name, to_snake_case


class Operation:
    """A named computation: subclasses implement ``call(*args, **kwargs)``.

    Args:
        name: The operation's name (the snake-cased class name, made unique, by default).
    """

    def __new__(cls, *args, **kwargs):
        instance = super().__new__(cls)
        instance._auto_config = constructor_arguments(cls, args, kwargs)
        return instance

    @default
    def __init__(self, name=None):
        if name is None:
            name = auto_name(to_snake_case(type(self).__name__))
        if not isinstance(name, str) or "/" in name:
            raise ValueError(
                "Argument `name` must be a string and cannot contain character `/`. "
                f"Received: name={name} (of type {type(name)})"
            )
        self.name = name

    def __call__(self, *args, **kwargs):
        """Runs ``call``: on numpy values it computes, on symbolic tensors it traces."""
        return self.call(*args, **kwargs)

    def call(self, *args, **kwargs):
        raise NotImplementedError

    def compute_output_spec(self, *args, **kwargs):
        """Output shapes and dtypes (``KerasTensor``s) for inputs given as tensors or specs,
        found by tracing ``call`` on placeholders."""

        def placeholder(value):
            if hasattr(value, "shape") and hasattr(value, "dtype"):
                return KerasTensor(tuple(value.shape), dtype=str(value.dtype))
            return value

        try:
            outputs = self.call(*tree.map_structure(placeholder, args), **kwargs)
        except Exception as error:
            name = type(self).__name__
            raise type(error)(
                f"Could not automatically infer the output shape / dtype of '{self.name}' "
                f"(of type {name}). Either the `{name}.call()` method is incorrect, or you "
                f"need to implement the `{name}.compute_output_spec() / "
                f"compute_output_shape()` method. Error encountered:\n\n{error}"
            ) from error
        return tree.map_structure(
            lambda t: KerasTensor(tuple(t.shape), dtype=str(t.dtype)), outputs
        )

    @default
    def get_config(self) -> dict:
        """``{"name": ...}`` plus the constructor's arguments when they are plain values (Keras'
        automatic config); otherwise a subclass must write ``get_config``."""
        config = {"name": self.name}
        if not getattr(type(self).get_config, "kgraph_default", False):
            return config
        if getattr(type(self).__init__, "kgraph_default", False):
            return config
        if self._auto_config is None:
            raise NotImplementedError(
                textwrap.dedent(
                    f"""
                    Object {type(self).__name__} was created by passing non-serializable
                    argument values in `__init__()`, and therefore the object must override
                    `get_config()` in order to be serializable. Please implement
                    `get_config()`."""
                )
            )
        config.update(self._auto_config)
        params = inspect.signature(type(self).__init__).parameters
        takes_kwargs = any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values())
        if "name" not in params and not takes_kwargs:
            config.pop("name")
        return config

    @classmethod
    def from_config(cls, config: dict):
        """Rebuilds the operation from :meth:`get_config`'s output."""
        return cls(**config)

    def __repr__(self) -> str:
        return f"<Operation name={self.name}>"
