"""Keras' top-level scopes: ``name_scope``, ``device``, ``StatelessScope``, ``SymbolicScope``,
``RematScope`` and ``remat``.

Programs written for Keras open these around model code; kgraph accepts them with Keras'
arguments and errors, keeps each scope on a per-thread stack that kgraph code can query, and
says below what each one changes here. Where a scope steers a backend (JAX device placement,
gradient checkpointing) kgraph has a different mechanism, named in that scope's docstring.
"""

from __future__ import annotations

import collections
import functools
import inspect
import re
import threading
from typing import Any

_STATE = threading.local()  # per thread, as Keras keeps its global state


def _stack(name: str) -> list:
    stack = getattr(_STATE, name, None)
    if stack is None:
        stack = []
        setattr(_STATE, name, stack)
    return stack


class _StackScope:
    """Pushes itself on its stack on entry and pops on exit."""

    _stack_name = ""

    def __enter__(self):
        _stack(self._stack_name).append(self)
        return self

    def __exit__(self, *exc_info):
        stack = _stack(self._stack_name)
        if stack and stack[-1] is self:
            stack.pop()


class name_scope:  # noqa: N801  (Keras' name)
    """Opens a sub-namespace ``name`` for variable paths, as ``keras.name_scope``.

    Args:
        name: The scope's name: a string without ``/``.
        caller: The object opening the scope (a layer); with ``deduplicate``, re-entering the
            innermost scope of the same caller and name opens nothing new.
        deduplicate: See ``caller``.
        override_parent: An absolute path that replaces the enclosing scopes' path.

    :func:`current_path` gives the joined path (``"outer/inner"``). kgraph names a layer's
    weights ``layer/weight`` when it builds them and does not prefix them with this path.
    """

    def __init__(self, name, caller=None, deduplicate=True, override_parent=None):
        if not isinstance(name, str) or "/" in name:
            raise ValueError(
                "Argument `name` must be a string and cannot contain character `/`. "
                f"Received: name={name}"
            )
        self.name = name
        self.caller = caller
        self.deduplicate = deduplicate
        self.override_parent = override_parent
        if override_parent is None and deduplicate:
            self.override_parent = getattr(caller, "_parent_path", None)
        self._pushed = False

    def __enter__(self):
        stack = _stack("name_scope")
        top = stack[-1] if stack else None
        repeated = top is not None and top.caller is self.caller and top.name == self.name
        if self.deduplicate and self.caller is not None and repeated:
            return self
        stack.append(self)
        self._pushed = True
        return self

    def __exit__(self, *exc_info):
        stack = _stack("name_scope")
        if self._pushed and stack:
            stack.pop()
            self._pushed = False


def current_path() -> str:
    """The path of the open name scopes, ``"outer/inner"`` (``""`` outside any)."""
    parts: list[str] = []
    for scope in _stack("name_scope"):
        if scope.override_parent is not None:
            parts = [part for part in scope.override_parent.split("/") if part]
        parts.append(scope.name)
    return "/".join(parts)


_DEVICE = re.compile(r"^(cpu|gpu|cuda)(?::(\d+))?$")


class _DeviceScope:
    """What ``device(...)`` returns: a context manager holding the checked device name."""

    def __init__(self, device_name: str):
        self.device_name = device_name

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        return None


def device(device_name):
    """Accepts Keras' ``with keras.device("gpu:0"):`` and checks the name.

    kgraph runs every computation through onnxruntime, whose execution provider is chosen per
    model: ``model.compile(device=...)`` (``"auto"``: CUDA when it initialises, else CPU) for
    ``fit``/``predict``, and the CPU provider for eager ops. The scope does not move work
    between devices; it validates the name as Keras does so that Keras programs run unchanged.

    Args:
        device_name: ``"cpu"``, ``"gpu"`` or ``"cuda"`` (Torch's name), optionally with
            ``":index"``; case-insensitive.

    Raises:
        ValueError: for a name that is not a string, or ``cpu`` with an index other than 0.
        RuntimeError: for an unknown device type (``"tpu"``), as Keras' JAX backend does.
    """
    if not isinstance(device_name, str):
        raise ValueError(
            "Invalid value for argument `device_name`. Expected a string like 'gpu:0' or a "
            f"`jax.Device` instance. Received: device_name='{device_name}'"
        )
    name = device_name.lower()
    match = _DEVICE.match(name)
    if match is None:
        kind = name.split(":")[0]
        raise RuntimeError(
            f"Unknown backend {kind}. kgraph places work on 'cpu' or 'gpu' (onnxruntime's "
            f"CPU or CUDA provider). Received: device_name='{device_name}'"
        )
    if match.group(1) == "cpu" and int(match.group(2) or 0) != 0:
        raise ValueError(f"Device not found: {name}")
    return _DeviceScope(name)


class StatelessScope(_StackScope):
    """Keras' scope for stateless computation: variable values come from ``state_mapping``
    and updates are collected in the scope instead of being applied.

    Args:
        state_mapping: ``(variable, value)`` pairs; each value must have the variable's shape.
        collect_losses: Whether layers should add their losses to ``scope.losses``.
        initialize_variables: Kept for Keras compatibility (kgraph variables are created
            initialised).

    ``scope.get_current_value(variable)`` returns the mapped or updated value (``None`` if
    neither); ``add_update((variable, value))`` and ``add_loss(loss)`` record into the scope.
    kgraph's variables hold numpy arrays and its graphs read weights as inputs, so kgraph's
    own ``Variable`` does not yet consult this scope: code that wants stateless values reads
    them from the scope, as Keras' backend code does.
    """

    _stack_name = "stateless_scope"

    def __init__(self, state_mapping=None, collect_losses=False, initialize_variables=True):
        import numpy as np

        from kgraph.tensor import Variable

        self.collect_losses = collect_losses
        self.initialize_variables = initialize_variables
        self.losses: list = []
        self.state_mapping: dict[int, Any] = {}
        for variable, value in state_mapping or {}:
            if not isinstance(variable, Variable):
                raise ValueError(
                    "Invalid reference variable in StatelessScope: all keys in argument "
                    "`mapping` must be Variable instances. Received instead: "
                    f"{variable}"
                )
            value = np.asarray(value, dtype=variable.dtype)
            if tuple(variable.shape) != value.shape:
                raise ValueError(
                    "Invalid variable value in StatelessScope: all values in argument "
                    "`mapping` must be tensors with a shape that matches the corresponding "
                    f"variable shape. For variable {variable}, received invalid value "
                    f"{value} with shape {value.shape}."
                )
            self.state_mapping[id(variable)] = value

    def add_loss(self, loss) -> None:
        self.losses.append(loss)

    def add_update(self, update) -> None:
        variable, value = update
        self.state_mapping[id(variable)] = value

    def get_current_value(self, variable):
        return self.state_mapping.get(id(variable), None)


def get_stateless_scope():
    """The innermost open :class:`StatelessScope`, or ``None``."""
    stack = _stack("stateless_scope")
    return stack[-1] if stack else None


def in_stateless_scope() -> bool:
    return get_stateless_scope() is not None


class SymbolicScope(_StackScope):
    """Marks code that runs on symbolic tensors (shape inference), as ``keras.SymbolicScope``;
    :func:`in_symbolic_scope` tells code inside it."""

    _stack_name = "symbolic_scope"


def get_symbolic_scope():
    """The innermost open :class:`SymbolicScope`, or ``None``."""
    stack = _stack("symbolic_scope")
    return stack[-1] if stack else None


def in_symbolic_scope() -> bool:
    return get_symbolic_scope() is not None


_REMAT_MODES = ("full", "activations", "larger_than", "list_of_layers", None)
RematMode = collections.namedtuple("RematMode", ["mode", "output_size_threshold", "layer_names"])


class RematScope(_StackScope):
    """Keras' rematerialisation (gradient checkpointing) settings for the layers called
    inside it; :func:`get_current_remat_mode` reads the innermost one.

    Args:
        mode: ``"full"``, ``"activations"``, ``"larger_than"``, ``"list_of_layers"`` or
            ``None``.
        output_size_threshold: For ``"larger_than"`` (default 1024).
        layer_names: For ``"list_of_layers"``.

    kgraph does not rematerialise: its training step is one ONNX graph whose intermediate
    buffers onnxruntime plans itself, so the scope records the choice and computes the same
    values.
    """

    _stack_name = "remat_scope"

    def __init__(self, mode="full", output_size_threshold=1024, layer_names=None):
        if mode not in _REMAT_MODES:
            raise ValueError(
                f"Invalid mode '{mode}'. Supported modes are: 'full', 'activations', "
                "'larger_than', 'list_of_layers', or  None."
            )
        self.mode = mode
        self.output_size_threshold = output_size_threshold
        self.layer_names = layer_names or []


def get_current_remat_mode():
    """The innermost :class:`RematScope`'s settings as a ``RematMode``, or ``None``."""
    stack = _stack("remat_scope")
    if not stack:
        return None
    scope = stack[-1]
    return RematMode(scope.mode, scope.output_size_threshold, scope.layer_names)


def remat(f):
    """Marks ``f`` (a function or layer) for rematerialisation, as ``keras.remat``; returns a
    callable computing the same values.

    Rematerialisation trades compute for memory by recomputing activations in the backward
    pass. kgraph does not rematerialise (onnxruntime plans the step graph's memory), so the
    returned callable simply calls ``f``.
    """

    def wrapped(*args, **kwargs):
        return f(*args, **kwargs)

    if inspect.isfunction(f) or inspect.ismethod(f):
        return functools.wraps(f)(wrapped)
    return wrapped
