"""Keras 3's automatic config: a user layer that does not write ``get_config`` is still
saved with its constructor arguments when they are plain values (strings, numbers, bools,
None, and lists/tuples/dicts of them), so ``from_config`` rebuilds it as constructed. Any
other argument (a layer, an array) disables it, as in Keras."""

from __future__ import annotations

import functools
import inspect

_PLAIN = (str, int, float, bool, type(None))


def default(fn):
    """Marks a base class' ``__init__`` / ``get_config``: a subclass that keeps the base
    ``get_config`` but has its own ``__init__`` gets the automatic config."""
    fn.kgraph_default = True
    return fn


def wants_auto_config(cls) -> bool:
    return getattr(cls.get_config, "kgraph_default", False) and not getattr(
        cls.__init__, "kgraph_default", False
    )


def constructor_arguments(cls, args: tuple, kwargs: dict) -> dict | None:
    """The arguments ``cls(*args, **kwargs)`` gets, by name with defaults filled in (``name``
    left out), or None when they cannot be replayed as ``cls(**config)``."""
    try:
        signature = inspect.signature(cls.__init__)
        bound = signature.bind(None, *args, **kwargs)
    except (TypeError, ValueError):
        return None
    params = list(signature.parameters.values())[1:]
    if any(p.kind is inspect.Parameter.POSITIONAL_ONLY for p in params):
        return None
    bound.apply_defaults()
    arguments = dict(bound.arguments)
    arguments.pop(next(iter(signature.parameters)))  # self
    for p in params:
        if p.kind is inspect.Parameter.VAR_KEYWORD:
            arguments.update(arguments.pop(p.name, {}))
        elif p.kind is inspect.Parameter.VAR_POSITIONAL and arguments.pop(p.name, ()):
            return None
    arguments.pop("name", None)
    return arguments if all(_plain(v) for v in arguments.values()) else None


def _plain(value) -> bool:
    if isinstance(value, (list, tuple)):
        return all(_plain(v) for v in value)
    if isinstance(value, dict):
        return all(isinstance(k, str) and _plain(v) for k, v in value.items())
    return isinstance(value, _PLAIN)


def with_arguments(layer, config: dict, arguments: dict) -> dict:
    """``config`` (the base keys win) plus the captured ``arguments``; without ``**kwargs``
    in the layer's ``__init__``, only the keys it takes, so ``cls(**config)`` works."""
    merged = {**arguments, **config}
    params = inspect.signature(type(layer).__init__).parameters
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values()):
        return merged
    return {k: v for k, v in merged.items() if k in params}


def marking_built(build):
    """``build`` that marks the layer built when it returns, as Keras' build wrapper does, so
    a layer built by a direct ``layer.build(shape)`` call is not built again (twice the
    weights) at its first call."""
    if getattr(build, "marks_built", False):
        return build

    @functools.wraps(build)
    def wrapper(self, *args, **kwargs):
        result = build(self, *args, **kwargs)
        self.built = True
        return result

    wrapper.marks_built = True
    return wrapper
