"""Small public helpers of ``keras.utils``: data packing, ``Config``, dtype and tensor checks,
``get_source_inputs``, ``clear_session`` and the interactive-logging switch."""

from __future__ import annotations

import copy
import json

_INTERACTIVE_LOGGING = [True]


def enable_interactive_logging() -> None:
    """Progress bars redraw in place (the default)."""
    _INTERACTIVE_LOGGING[0] = True


def disable_interactive_logging() -> None:
    """Progress bars print only their final lines (for log files and batch jobs)."""
    _INTERACTIVE_LOGGING[0] = False


def is_interactive_logging_enabled() -> bool:
    """Whether progress bars redraw in place."""
    return _INTERACTIVE_LOGGING[0]


def pack_x_y_sample_weight(x, y=None, sample_weight=None):
    """``x`` alone, ``(x, y)`` or ``(x, y, sample_weight)``, as a dataset element; a lone tuple
    or list ``x`` is wrapped as ``(x,)`` so it is not read as ``(x, y)``."""
    if y is None:
        return (x,) if isinstance(x, (tuple, list)) else x
    if sample_weight is None:
        return (x, y)
    return (x, y, sample_weight)


def unpack_x_y_sample_weight(data):
    """``(x, y, sample_weight)`` from a dataset element (missing parts are None).

    Raises:
        ValueError: for a tuple longer than 3.
    """
    if isinstance(data, list):
        data = tuple(data)
    if not isinstance(data, tuple):
        return (data, None, None)
    if len(data) == 1:
        return (data[0], None, None)
    if len(data) == 2:
        return (data[0], data[1], None)
    if len(data) == 3:
        return data
    raise ValueError(
        "Data is expected to be in format `x`, `(x,)`, `(x, y)`, or `(x, y, sample_weight)`, "
        f"found: {data}"
    )


def is_keras_tensor(x) -> bool:
    """Whether ``x`` is a symbolic tensor (from ``Input`` or a layer call on one)."""
    from kgraph.tensor import KerasTensor

    return isinstance(x, KerasTensor)


def standardize_dtype(dtype) -> str:
    """A dtype (numpy, Python type or name) as Keras' canonical string."""
    from kgraph import dtypes

    return dtypes.standardize(dtype)


def get_source_inputs(tensor) -> list:
    """The ``Input`` tensors ``tensor`` was computed from (itself for an ``Input``)."""
    from kgraph.layers.core.input_layer import InputLayer

    if tensor._history is None:
        return [tensor]
    layer, node_index, _ = tensor._history
    if isinstance(layer, InputLayer):
        return [tensor]
    found: list = []
    for parent in layer._inbound_nodes[node_index].input_tensors:
        found.extend(t for t in get_source_inputs(parent) if all(t is not f for f in found))
    return found


def clear_session(free_memory=True) -> None:
    """Resets automatic layer names (``dense``, ``dense_1``...), as Keras does."""
    del free_memory
    from kgraph.utils import naming

    naming.reset()


class Config:
    """A dict with attribute access that can be frozen (Keras' ``keras.utils.Config``)."""

    def __init__(self, **kwargs):
        object.__setattr__(self, "_config", kwargs)
        object.__setattr__(self, "_frozen", False)

    @property
    def frozen(self) -> bool:
        return self._frozen

    def freeze(self) -> None:
        object.__setattr__(self, "_frozen", True)

    def unfreeze(self) -> None:
        object.__setattr__(self, "_frozen", False)

    def _check(self) -> None:
        if self._frozen:
            raise ValueError("Cannot mutate attribute(s) because the config is frozen.")

    def as_dict(self) -> dict:
        return copy.copy(self._config)

    def to_json(self) -> str:
        return json.dumps(self._config)

    def keys(self):
        return self._config.keys()

    def values(self):
        return self._config.values()

    def items(self):
        return self._config.items()

    def get(self, keyname, value=None):
        return self._config.get(keyname, value)

    def pop(self, *args):
        self._check()
        return self._config.pop(*args)

    def update(self, *args, **kwargs):
        self._check()
        return self._config.update(*args, **kwargs)

    def __setattr__(self, name, value):
        self._check()
        self._config[name] = value

    def __getattr__(self, name):
        config = self.__dict__.get("_config", {})
        if name in config:
            return config[name]
        raise AttributeError(f"Unknown attribute: '{name}'")

    def __setitem__(self, key, item):
        self._check()
        self._config[key] = item

    def __getitem__(self, key):
        return self._config[key]

    def __delitem__(self, key):
        self._check()
        del self._config[key]

    def __contains__(self, item):
        return item in self._config

    def __iter__(self):
        return iter(self._config)

    def __len__(self):
        return len(self._config)

    def __repr__(self):
        return f"<Config {self._config}>"
