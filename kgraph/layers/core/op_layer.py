"""``OpLayer``: a ``kgraph.ops`` call made between the layers of a Functional model.

Keras 3 lets a functional model apply ops to symbolic tensors directly
(``x = ops.relu(layers.Dense(4)(inputs))``, ``x + skip``, ``x[:, :2]``). Each such call becomes
a weightless layer that records the op (by name), its non-tensor arguments and its attributes,
so the model replays it when it is traced, shows it in ``summary()`` and saves it in its config.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from kgraph.layers.layer import Layer
from kgraph.tensor import KerasTensor
from kgraph.utils import naming

_TENSOR = {"__tensor_input__": True}  # marks where the node's tensor inputs go in ``args``


class OpLayer(Layer):
    """Replays ``op(*args, **attrs)`` with the node's tensors in the marked positions.

    Args:
        op: Name of the op (a key of ``kgraph.ops.core.OPS``).
        args: The op's arguments; tensor inputs are ``{"__tensor_input__": True}``.
        attrs: The op's attributes.
    """

    def __init__(self, op: str, args: list, attrs: dict | None = None, **kwargs):
        from kgraph.ops.core import OPS

        if op not in OPS:
            raise ValueError(f"Unknown kgraph op. Received: op={op!r}")
        kwargs.setdefault("name", naming.auto_name(op))
        kwargs.setdefault("autocast", False)  # an op, not a Keras layer: inputs keep dtypes
        super().__init__(**kwargs)
        self.op = op
        self.args = [_restore(a) for a in args]
        self.attrs = {k: _restore(v) for k, v in (attrs or {}).items()}
        self.built = True

    @classmethod
    def wrap(cls, op, args: list, attrs: dict) -> Any:
        """Calls a new OpLayer for ``op`` on the symbolic tensors among ``args``."""
        tensors = [a for a in args if isinstance(a, KerasTensor)]
        template = [_TENSOR if isinstance(a, KerasTensor) else a for a in args]
        layer = cls(op.name, template, attrs)
        return layer(*tensors)

    @property
    def display_type(self) -> str:
        """The op's name in CamelCase (``get_item`` → ``GetItem``), as Keras shows op nodes."""
        return "".join(part.title() for part in self.op.split("_"))

    def call_arguments(self, tensors) -> list:
        """The op's arguments with ``tensors`` in the marked positions (saving writes them
        as Keras' op call)."""
        given = iter(tensors)
        return [next(given) if _is_slot(a) else a for a in self.args]

    def call(self, *tensors):
        from kgraph.ops.core import OPS, apply

        return apply(OPS[self.op], self.call_arguments(tensors), **self.attrs)

    def get_config(self):
        return {
            **super().get_config(),
            "op": self.op,
            "args": [_jsonable(a) for a in self.args],
            "attrs": {k: _jsonable(v) for k, v in self.attrs.items()},
        }


def _is_slot(value) -> bool:
    return isinstance(value, dict) and value.get("__tensor_input__") is True


def _jsonable(value):
    """Arrays, numpy scalars and tuples as JSON-friendly values that ``_restore`` reverses."""
    if isinstance(value, np.ndarray):
        return {"__array__": value.tolist(), "dtype": value.dtype.name}
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, (tuple, list)):
        return [_jsonable(v) for v in value]
    return value


def _restore(value):
    """Undoes ``_jsonable``; lists come back as the tuples the ops' attributes use."""
    if isinstance(value, dict) and "__array__" in value:
        return np.asarray(value["__array__"], dtype=value["dtype"])
    if isinstance(value, list):
        return tuple(_restore(v) for v in value)
    return value
