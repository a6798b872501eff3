"""What the ``kgraph`` command line reads: MODEL.py files (and their ONNX), ``.keras`` files,
ONNX files, arrays.

A MODEL.py runs as a fresh module under a unique name (so two files called ``model.py`` never
collide and ``if __name__ == "__main__":`` blocks do not run), with its own folder first on
``sys.path`` so that it can import its neighbours. The model is then found among its top-level
names: a ``Model`` instance, or a function with no required arguments that returns one
(``build_model`` by default).

ONNX files are loaded into the IR by ``compiler.serde``, arrays read from ``.npy``/``.npz``
without pickle. Every problem with a file is raised as :class:`LoadError`, whose message is one
line that names the file (and, for errors raised by a MODEL.py, the line:
``path:line: ExcType: msg``).
"""

from __future__ import annotations

import contextlib
import importlib.util
import inspect
import itertools
import os
import re
import sys
import traceback
from collections.abc import Iterator
from types import ModuleType

from kgraph.cli_files import LoadError, check_file, load_arrays, load_onnx, one_line
from kgraph.models.model import Model

__all__ = ["LoadError", "check_file", "load_arrays", "load_model", "load_onnx", "one_line"]

DEFAULT_FUNCTION = "build_model"
_counter = itertools.count()


def describe_exception(exc: BaseException, path: str, shown: str | None = None) -> str:
    """``path:line: ExcType: message`` for an exception raised while running the file ``path``.

    The line is that of the innermost frame inside ``path``; a ``SyntaxError`` reports its own
    file and line. ``shown`` is how the path is printed (the user's spelling by default).
    """
    shown = shown or path
    name = type(exc).__name__
    if isinstance(exc, SyntaxError):
        where = shown if _same_file(exc.filename, path) else (exc.filename or shown)
        line = f":{exc.lineno}" if exc.lineno else ""
        return f"{where}{line}: {name}: {one_line(exc.msg)}"
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if _same_file(f.filename, path)]
    where = f"{shown}:{frames[-1].lineno}" if frames else shown
    message = one_line(exc)
    return f"{where}: {name}: {message}" if message else f"{where}: {name}"


def _same_file(a: str | None, b: str) -> bool:
    return bool(a) and os.path.abspath(a) == os.path.abspath(b)


@contextlib.contextmanager
def _folder_on_path(folder: str) -> Iterator[None]:
    sys.path.insert(0, folder)
    try:
        yield
    finally:
        with contextlib.suppress(ValueError):
            sys.path.remove(folder)


def _module_name(path: str) -> str:
    stem = "".join(c if c.isalnum() else "_" for c in os.path.splitext(os.path.basename(path))[0])
    return f"_kgraph_model_{stem}_{next(_counter)}"


def run_model_file(path: str) -> ModuleType:
    """Executes ``path`` as a new module and returns it.

    Raises:
        LoadError: if the file is missing or not a ``.py`` file, has a syntax error, or
            raises while it runs.
    """
    check_file(path, "a Python file")
    if not path.endswith(".py"):
        raise LoadError(f"{path}: not a Python file (expected MODEL.py)")
    name = _module_name(path)
    spec = importlib.util.spec_from_file_location(name, os.path.abspath(path))
    if spec is None or spec.loader is None:
        raise LoadError(f"{path}: cannot be loaded as a Python module")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        with _folder_on_path(os.path.dirname(os.path.abspath(path))):
            spec.loader.exec_module(module)
    except KeyboardInterrupt:
        raise
    except BaseException as exc:  # SystemExit too: a model file must not end the CLI
        sys.modules.pop(name, None)
        raise LoadError(describe_exception(exc, path)) from exc
    return module


def _candidates(module: ModuleType) -> dict[str, object]:
    """Top-level Model instances; ``build_model`` (a function) only when there are none, so
    the common ``model = build_model()`` file picks its one model."""
    found: dict[str, object] = {}
    seen: set[int] = set()
    for key, value in vars(module).items():
        if key.startswith("_") or not isinstance(value, Model) or id(value) in seen:
            continue
        seen.add(id(value))
        found[key] = value
    factory = vars(module).get(DEFAULT_FUNCTION)
    if not found and callable(factory) and not isinstance(factory, Model):
        found[DEFAULT_FUNCTION] = factory
    return found


def _materialize(value: object, symbol: str, path: str) -> Model:
    """Turns the chosen symbol into a Model (calling it when it is a function or class)."""
    if isinstance(value, Model):
        return value
    if not callable(value):
        raise LoadError(
            f"{path}: '{symbol}' is a {type(value).__name__}, not a kgraph "
            "Model or a function returning one"
        )
    with contextlib.suppress(TypeError, ValueError):  # builtins may have no signature
        kinds = (
            inspect.Parameter.POSITIONAL_ONLY,
            inspect.Parameter.POSITIONAL_OR_KEYWORD,
            inspect.Parameter.KEYWORD_ONLY,
        )
        required = [
            p.name
            for p in inspect.signature(value).parameters.values()
            if p.default is p.empty and p.kind in kinds
        ]
        if required:
            raise LoadError(
                f"{path}: '{symbol}' needs arguments ({', '.join(required)}); "
                "--model must name a Model or a function with no arguments"
            )
    with _folder_on_path(os.path.dirname(os.path.abspath(path))):
        try:
            result = value()
        except KeyboardInterrupt:
            raise
        except BaseException as exc:
            raise LoadError(describe_exception(exc, path)) from exc
    if not isinstance(result, Model):
        raise LoadError(
            f"{path}: '{symbol}()' returned a {type(result).__name__}, not a kgraph Model"
        )
    return result


def load_model(path: str, symbol: str | None = None) -> tuple[Model, str]:
    """Runs ``path`` and returns ``(model, symbol)``: the model it defines and its name.

    Args:
        path: the MODEL.py file.
        symbol: a top-level name holding a Model, or a function (or Model subclass) that
            takes no arguments and returns one. When None, the file must define exactly one
            top-level Model instance or a ``build_model`` function.

    Raises:
        LoadError: with a one-line message naming the file (and line, for errors raised
            by the file itself).
    """
    if path.endswith(".keras"):
        return load_keras_file(path, symbol), symbol or "model"
    module = run_model_file(path)
    if symbol is not None:
        if symbol not in vars(module):
            models = sorted(_candidates(module))
            hint = f" (models found: {', '.join(models)})" if models else ""
            raise LoadError(f"{path}: no top-level name '{symbol}'{hint}")
        value = vars(module)[symbol]
        if not isinstance(value, Model) and not (
            inspect.isfunction(value) or (inspect.isclass(value) and issubclass(value, Model))
        ):
            raise LoadError(
                f"{path}: '{symbol}' is a {type(value).__name__}, not a kgraph "
                "Model or a function returning one"
            )
        return _materialize(value, symbol, path), symbol
    found = _candidates(module)
    if not found:
        raise LoadError(
            f"{path}: no model found: looked for a top-level kgraph Model instance (e.g. "
            f"'model = keras.Sequential([...])') or a function '{DEFAULT_FUNCTION}()'; "
            "name another with --model NAME"
        )
    if len(found) > 1:
        names = ", ".join(found)
        raise LoadError(
            f"{path}: several models found ({names}); pick one with --model "
            f"NAME, e.g. --model {next(iter(found))}"
        )
    ((name, value),) = found.items()
    return _materialize(value, name, path), name


def load_keras_file(path: str, symbol: str | None = None) -> Model:
    """The model in a ``.keras`` file (kgraph's or Keras 3's), in safe mode; compiled as saved
    when kgraph can (for ``--training``), quietly left uncompiled otherwise."""
    import warnings

    from kgraph.saving import load_model as load_saved

    check_file(path, "a .keras file")
    if symbol is not None:
        raise LoadError(f"{path}: --model names a model in a MODEL.py; a .keras file holds one")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # stderr stays one line
            return load_saved(path)
    except (ValueError, TypeError, OSError) as exc:
        message = one_line(exc)
        raise LoadError(message if path in message else f"{path}: {message}") from None


def _failing_layer(exc: BaseException) -> str | None:
    """The innermost non-model layer with a method on the traceback of ``exc``."""
    from kgraph.layers.layer import Layer

    found, tb = None, exc.__traceback__
    while tb is not None:
        owner = tb.tb_frame.f_locals.get("self")
        if isinstance(owner, Layer) and not isinstance(owner, Model):
            found = f"layer '{owner.name}' ({type(owner).__name__})"
        tb = tb.tb_next
    return found


def to_onnx(
    model: Model, path: str, opset: int | None = None, batch_size: int | None = None
) -> bytes:
    """``model.to_onnx_bytes``, with model errors raised as one-line :class:`LoadError` s.

    A missing lowering (``NotImplementedError``), an ONNX op the opset lacks, or a ``ValueError``
    while tracing name the layer responsible; anything else propagates unchanged.
    """
    from kgraph.compiler.builder import DEFAULT_OPSET
    from kgraph.compiler.serde import InvalidModelError

    where = f"{path}: model '{model.name}'"
    try:
        return model.to_onnx_bytes(batch_size=batch_size, opset=opset)
    except NotImplementedError as exc:
        layer = _failing_layer(exc) or f"model '{model.name}'"
        raise LoadError(f"{path}: {layer} has no ONNX lowering: {one_line(exc)}") from None
    except InvalidModelError as exc:
        text = str(exc)
        node = re.search(r"Name: (\S+)", text)
        op = re.search(r"No Op registered for (\S+) with domain_version of (\d+)", text)
        inside = node.group(1).removeprefix(f"{model.name}/") if node else ""  # model/layer/op
        layer = f"layer '{inside.split('/')[0]}'" if node else f"model '{model.name}'"
        if op:
            raise LoadError(
                f"{path}: {layer} lowers to ONNX op '{op.group(1)}', which opset "
                f"{op.group(2)} does not define"
            ) from None
        raise LoadError(
            f"{path}: {layer} does not compile at opset {opset or DEFAULT_OPSET}: "
            f"{one_line(text.split('==>')[0])}"
        ) from None
    except ValueError as exc:
        layer = _failing_layer(exc)
        raise LoadError(
            f"{where}{f', {layer}' if layer else ''} cannot be compiled: {one_line(exc)}"
        ) from None
