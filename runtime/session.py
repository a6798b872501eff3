"""A checked, device-aware wrapper around ``onnxruntime.InferenceSession``.

:class:`Session` loads an ONNX model from a path or from bytes, picks providers through
:mod:`runtime.providers`, describes its inputs and outputs with numpy dtype names, and checks
every feed before handing it to onnxruntime, so that a wrong shape or dtype fails with one
clear line instead of an onnxruntime stack trace.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence

import numpy as np
import onnxruntime as ort

from kgraph.runtime._proto import declared_scalar_inputs
from kgraph.runtime._types import Dim, check_array, first_error_line, numpy_dtype_name
from kgraph.runtime.providers import (
    CUDA,
    default_session_options,
    provider_options,
    resolve_providers,
)

TensorSpec = tuple[str, tuple[Dim, ...], str]


def _describe(args: Sequence[ort.NodeArg]) -> list[TensorSpec]:
    return [(a.name, tuple(a.shape), numpy_dtype_name(a.type)) for a in args]


def _quoted(names: Sequence[str]) -> str:
    return ", ".join(f"'{n}'" for n in names)


def _declared_scalars(source: str | bytes, inputs: list[TensorSpec]) -> frozenset[str]:
    """Names of inputs declared rank 0 (ORT reports unknown rank as ``[]`` too)."""
    if not any(len(shape) == 0 for _, shape, _ in inputs):
        return frozenset()
    if isinstance(source, str):
        with open(source, "rb") as file:
            source = file.read()
    return frozenset(declared_scalar_inputs(source))


class RunError(RuntimeError):
    """onnxruntime failed while running a model: a shape its kernels reject, memory it cannot
    allocate. The message is one line: the inputs' dtypes and shapes, then onnxruntime's
    own message without its ``[ONNXRuntimeError]`` prefix."""

    def __init__(self, message: str):
        message = " ".join(message.replace("[ONNXRuntimeError] : ", "").split())
        super().__init__(message)


class Session:
    """An onnxruntime session with provider selection and feed validation.

    ``run`` is thread-safe: onnxruntime allows concurrent ``run`` calls on one session and this
    class holds no mutable state after construction.

    Args:
        model: path to an ``.onnx`` file, or the serialized model as bytes.
        device: ``"auto"``, ``"cpu"`` or ``"cuda"``, see
            :func:`runtime.providers.resolve_providers`.
        options: session options; defaults to
            :func:`runtime.providers.default_session_options`.

    Raises:
        FileNotFoundError: if ``model`` is a path that does not exist.
        ValueError: if the model cannot be loaded, or ``device`` is not a known name.
        RuntimeError: if ``device="cuda"`` and CUDA is unusable.
        TypeError: if ``model`` is neither a path nor bytes.

    Example:
        >>> session = Session("model.onnx", device="cpu")  # doctest: +SKIP
        >>> (y,) = session.run({"x": x})  # doctest: +SKIP
    """

    def __init__(
        self,
        model: str | os.PathLike[str] | bytes,
        device: str = "auto",
        options: ort.SessionOptions | None = None,
    ) -> None:
        if isinstance(model, (bytes, bytearray, memoryview)):
            source: str | bytes = bytes(model)
            label = f"<{len(source)} bytes>"
        elif isinstance(model, (str, os.PathLike)):
            source = os.fspath(model)
            label = source
            if not os.path.isfile(source):
                raise FileNotFoundError(f"ONNX model file not found: '{source}'")
        else:
            raise TypeError(
                "model must be a path or the serialized model as bytes. "
                f"Received: {type(model).__name__}"
            )
        providers = resolve_providers(device)
        if options is None:
            options = default_session_options(device)
        try:
            self._session = ort.InferenceSession(
                source,
                options,
                providers=providers,
                provider_options=provider_options(providers),
                enable_fallback=0,
            )
        except Exception as exc:  # ORT raises its own exception classes.
            raise ValueError(f"Cannot load ONNX model '{label}': {first_error_line(exc)}") from exc
        self._label = label
        self._inputs = _describe(self._session.get_inputs())
        self._outputs = _describe(self._session.get_outputs())
        self._input_index = {spec[0]: spec for spec in self._inputs}
        self._scalars = _declared_scalars(source, self._inputs)
        self._output_set = frozenset(spec[0] for spec in self._outputs)

    @property
    def label(self) -> str:
        """The model's path, or ``<N bytes>`` for a model given as bytes."""
        return self._label

    @property
    def ort_session(self) -> ort.InferenceSession:
        """The wrapped ``onnxruntime.InferenceSession`` (for IOBinding and other raw access)."""
        return self._session

    @property
    def input_names(self) -> list[str]:
        """Graph input names, in graph order."""
        return [spec[0] for spec in self._inputs]

    @property
    def output_names(self) -> list[str]:
        """Graph output names, in graph order."""
        return [spec[0] for spec in self._outputs]

    @property
    def inputs(self) -> list[TensorSpec]:
        """``(name, shape, dtype)`` per input; dims are int, a symbolic name, or None."""
        return list(self._inputs)

    @property
    def outputs(self) -> list[TensorSpec]:
        """``(name, shape, dtype)`` per output; dims are int, a symbolic name, or None."""
        return list(self._outputs)

    @property
    def providers(self) -> list[str]:
        """The providers the session was created with, highest priority first."""
        return list(self._session.get_providers())

    @property
    def device(self) -> str:
        """``"cuda"`` when the CUDA provider leads, else ``"cpu"``."""
        return "cuda" if self._session.get_providers()[0] == CUDA else "cpu"

    def input_spec(self, name: str) -> TensorSpec:
        """Returns ``(name, shape, dtype)`` of one input.

        Raises:
            KeyError: if the model has no such input.
        """
        return self._input_index[name]

    def check_input(
        self, name: str, array: np.ndarray, kind: str = "Input", any_batch: bool = False
    ) -> None:
        """Checks one array's rank, fixed dims and dtype against input ``name``.

        Args:
            name: the input name.
            array: the array to check.
            kind: the word that starts the error message.
            any_batch: do not check the size of axis 0 (for callers that split or pad it).

        Raises:
            KeyError: if the model has no such input.
            ValueError: with the expected and the received shape and dtype.
        """
        _, shape, dtype = self._input_index[name]
        check_array(name, shape, dtype, array, kind, name in self._scalars, any_batch)

    def check_feeds(
        self, feeds: Mapping[str, object], any_batch: bool = False
    ) -> dict[str, np.ndarray]:
        """Checks feed names, ranks, fixed dims and dtypes; returns the feeds as arrays.

        Args:
            feeds: input name -> array (or array-like; nothing is cast).
            any_batch: do not check the size of axis 0 (for callers that split or pad it).

        Returns:
            A new dict with every value as a numpy array.

        Raises:
            ValueError: on a missing or unknown input name or a shape/dtype mismatch.
        """
        missing = [name for name in self._input_index if name not in feeds]
        if missing:
            raise ValueError(
                f"Missing input {_quoted(missing)}; the model's inputs are "
                f"{_quoted(self.input_names)}."
            )
        unknown = [name for name in feeds if name not in self._input_index]
        if unknown:
            raise ValueError(
                f"Unknown input {_quoted(unknown)}; the model's inputs are "
                f"{_quoted(self.input_names)}."
            )
        arrays: dict[str, np.ndarray] = {}
        for name, value in feeds.items():
            array = value if isinstance(value, np.ndarray) else np.asarray(value)
            self.check_input(name, array, any_batch=any_batch)
            arrays[name] = array
        return arrays

    def run(
        self,
        feeds: Mapping[str, object],
        output_names: Sequence[str] | None = None,
    ) -> list[np.ndarray]:
        """Runs the model.

        Args:
            feeds: input name -> array, one per graph input. Dtypes must match exactly.
            output_names: outputs to compute; all outputs in graph order when None.

        Returns:
            One array per requested output, in the requested order.

        Raises:
            ValueError: on a bad feed (see :meth:`check_feeds`) or an unknown output name.
        """
        arrays = self.check_feeds(feeds)
        names = self.output_names if output_names is None else list(output_names)
        unknown = [name for name in names if name not in self._output_set]
        if unknown:
            raise ValueError(
                f"Unknown output {_quoted(unknown)}; the model's outputs are "
                f"{_quoted(self.output_names)}."
            )
        try:
            return self._session.run(names, arrays)
        except Exception as exc:  # onnxruntime's own exception types (Fail, InvalidArgument...)
            shapes = ", ".join(f"{n} {a.dtype}{list(a.shape)}" for n, a in arrays.items())
            raise RunError(f"onnxruntime could not run the model on {shapes}: {exc}") from None

    def __repr__(self) -> str:
        return f"Session({self._label!r}, device={self.device!r})"
