"""Keras' custom-object registry: names under which user classes and functions are saved.

A class registered with ``@register_keras_serializable("pkg")`` is written as
``registered_name: "pkg>Name"`` and found again by that name when a file is loaded, as in
Keras. ``custom_object_scope`` adds objects for the duration of a ``with`` block (per thread).
"""

from __future__ import annotations

import inspect
import threading

_GLOBAL_CUSTOM_OBJECTS: dict[str, object] = {}
_GLOBAL_CUSTOM_NAMES: dict[object, str] = {}
_SCOPE = threading.local()


def _scope_objects() -> dict:
    return getattr(_SCOPE, "objects", {})


class CustomObjectScope:
    """Makes ``custom_objects`` (``{name: class or function}``) visible to loading inside a
    ``with`` block; scopes nest, and the previous scope comes back on exit."""

    def __init__(self, custom_objects=None):
        self.custom_objects = dict(custom_objects or {})
        self._backup: dict | None = None

    def __enter__(self):
        self._backup = _scope_objects()
        _SCOPE.objects = {**self._backup, **self.custom_objects}
        return self

    def __exit__(self, *exc_info):
        _SCOPE.objects = self._backup or {}


custom_object_scope = CustomObjectScope


def get_custom_objects() -> dict:
    """The live global dictionary of registered objects (``"pkg>Name"`` → object)."""
    return _GLOBAL_CUSTOM_OBJECTS


def register_keras_serializable(package="Custom", name=None):
    """Decorator registering a class or function under ``"package>name"`` (``name`` defaults
    to the object's ``__name__``). Classes must define ``get_config``."""

    def decorator(arg):
        registered = f"{package}>{name if name is not None else arg.__name__}"
        if inspect.isclass(arg) and not hasattr(arg, "get_config"):
            raise ValueError("Cannot register a class that does not have a get_config() method.")
        _GLOBAL_CUSTOM_OBJECTS[registered] = arg
        _GLOBAL_CUSTOM_NAMES[arg] = registered
        return arg

    return decorator


def get_registered_name(obj) -> str:
    """The name ``obj`` is registered under, else its ``__name__``."""
    return _GLOBAL_CUSTOM_NAMES.get(obj, getattr(obj, "__name__", None))


def get_registered_object(name, custom_objects=None, module_objects=None):
    """The object registered under ``name``: the active scope first, then the global
    registry, then ``custom_objects``, then ``module_objects``; None if none has it."""
    for table in (_scope_objects(), _GLOBAL_CUSTOM_OBJECTS, custom_objects, module_objects):
        if table and name in table:
            return table[name]
    return None


def all_custom_objects(custom_objects=None) -> dict:
    """Every object loading may resolve by name: ``custom_objects``, the active scope and the
    global registry (later ones win, as in Keras)."""
    return {**(custom_objects or {}), **_scope_objects(), **_GLOBAL_CUSTOM_OBJECTS}
