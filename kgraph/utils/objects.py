"""Keras-style ``get`` and ``serialize`` for small configurable objects (regularizers,
constraints): an identifier is None, a name, a ``{"class_name", "config"}`` dict, a class, an
instance or any callable."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from typing import Any


def get(
    identifier: Any,
    *,
    kind: str,
    names: Mapping[str, Callable[[], Any]],
    classes: Mapping[str, type],
) -> Any:
    """The object ``identifier`` stands for.

    Args:
        identifier: None, a name in ``names``, a config dict whose ``class_name`` is in
            ``classes``, a class (instantiated with its defaults) or a callable (returned as is).
        kind: What is looked up, for error messages (``"regularizer"``).
        names: Factories by name (``"l2"`` → ``L2``).
        classes: Classes by class name, for config dicts.

    Raises:
        ValueError: for an unknown name or class name, or an identifier that is not callable.
    """
    if identifier is None:
        return None
    if isinstance(identifier, dict):
        cls = classes.get(identifier.get("class_name"))
        if cls is None:
            raise ValueError(
                f"Could not interpret {kind} identifier: {identifier}. "
                f"Known classes: {', '.join(sorted(classes))}"
            )
        return cls.from_config(dict(identifier.get("config") or {}))
    if isinstance(identifier, str):
        factory = names.get(identifier)
        if factory is None:
            raise ValueError(
                f"Could not interpret {kind} identifier: '{identifier}'. "
                f"Known names: {', '.join(sorted(names))}"
            )
        return factory()
    if inspect.isclass(identifier):
        return identifier()
    if not callable(identifier):
        raise ValueError(f"Could not interpret {kind} identifier: {identifier!r}")
    return identifier


def serialize(obj: Any, *, base: type, module: str) -> dict | str | None:
    """Keras' config of ``obj``: a dict for ``base`` instances, a name for plain functions."""
    if obj is None:
        return None
    if isinstance(obj, base):
        return {
            "module": module,
            "class_name": type(obj).__name__,
            "config": obj.get_config(),
            "registered_name": None,
        }
    return getattr(obj, "__name__", repr(obj))
