"""Python lambdas in configs, in Keras' ``__lambda__`` spellings: ``{"value": [code, defaults,
closure]}`` (serialization_lib) or ``{"code", "defaults", "closure"}`` (the Lambda layer), with
``code`` the base64 of the marshalled bytecode.

Rebuilding one runs code from the file, so callers allow it only with ``safe_mode=False``
(see ``serialization_lib``). Bytecode only loads in the Python version that wrote it.
"""

from __future__ import annotations

import base64
import binascii
import marshal
import types


def dump(fn) -> list:
    """``[code, defaults, closure]`` of a lambda, as Keras writes it."""
    code = base64.encodebytes(marshal.dumps(fn.__code__)).decode("ascii")
    closure = [c.cell_contents for c in fn.__closure__] if fn.__closure__ else None
    return [code, list(fn.__defaults__) if fn.__defaults__ else None, closure]


def load(value) -> types.FunctionType:
    """The function ``dump`` (or Keras) wrote. Runs only what the caller allowed."""
    if isinstance(value, dict):  # the Lambda layer's spelling: {"code", "defaults", "closure"}
        value = [value.get("code"), value.get("defaults"), value.get("closure")]
    if isinstance(value, (list, tuple)):
        code, defaults, closure = (list(value) + [None, None])[:3]
    else:
        code, defaults, closure = value, None, None
    try:
        raw = base64.decodebytes(code.encode("ascii"))
        compiled = marshal.loads(raw)
    except (binascii.Error, ValueError, EOFError, TypeError) as exc:
        raise ValueError(
            f"Cannot rebuild a saved lambda (written by another Python version?): {exc}"
        ) from None
    from kgraph import ops

    cells = tuple(types.CellType(v) for v in closure) if closure else None
    return types.FunctionType(
        compiled,
        {"ops": ops, "__builtins__": __builtins__},
        name=compiled.co_name,
        argdefs=tuple(defaults) if defaults else None,
        closure=cells,
    )
