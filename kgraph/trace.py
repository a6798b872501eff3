"""The tracing context: while active, kgraph ops emit IR nodes into its builder.

``Model`` opens a :class:`Trace` around a replay of its layer DAG. Variables met during the trace
become named parameter values of the builder (``dense/kernel``), so the compiler can later turn
them into graph inputs for training.
"""

from __future__ import annotations

import contextlib
import contextvars

from kgraph.compiler.builder import GraphBuilder

_CURRENT: contextvars.ContextVar[Trace | None] = contextvars.ContextVar(
    "kgraph_trace", default=None
)


class Trace:
    """State of one trace: the builder, the training flag, and the variables it met.

    With ``collect_losses``, layers append their activity penalties (traced scalars) to
    ``losses``, for the training and evaluation graphs to add to the loss.
    """

    def __init__(self, builder: GraphBuilder, training: bool = False, collect_losses=False):
        self.builder = builder
        self.training = training
        self.losses: list | None = [] if collect_losses else None
        self.variables: dict[str, object] = {}  # path -> Variable, in first-use order
        self.updates: dict[str, object] = {}  # path -> IR value assigned to it by the graph
        self._paths: dict[int, str] = {}
        self._bound: dict[int, object] = {}  # id(variable) -> the IR value it reads as

    def bind(self, variable, value) -> None:
        """Makes ``variable`` read as the IR value ``value`` (not a parameter of the model):
        a metric's accumulator fed as a graph input. Its assignments rebind it (see
        :meth:`record_update`), so later reads see the value assigned last."""
        self._bound[id(variable)] = value

    def bound_value(self, variable):
        """The IR value a bound variable reads as now."""
        return self._bound[id(variable)]

    def parameter(self, variable):
        """Returns the IR value standing for ``variable``, registering it on first use. Once
        the graph has assigned it (:meth:`record_update`), later reads see that value, as a
        Keras variable does within a step: a BatchNormalization called twice updates its
        moving statistics from the first call's."""
        if id(variable) in self._bound:
            return self._bound[id(variable)]
        path = self._paths.get(id(variable))
        if path is not None and path in self.updates:
            return self.updates[path]
        if path is None:
            path = variable.path
            suffix = 1
            while path in self.variables:
                path = f"{variable.path}_{suffix}"
                suffix += 1
            self._paths[id(variable)] = path
            self.variables[path] = variable
        return self.builder.parameter(path, variable.value, variable.trainable)

    def record_update(self, variable, value) -> None:
        """Records that the graph assigns ``value`` to ``variable`` (a state update)."""
        if id(variable) in self._bound:
            self._bound[id(variable)] = value
            return
        self.parameter(variable)
        self.updates[self._paths[id(variable)]] = value


def current() -> Trace | None:
    """The active trace, or None outside model tracing."""
    return _CURRENT.get()


@contextlib.contextmanager
def tracing(trace: Trace):
    """Makes ``trace`` the active trace inside the block."""
    token = _CURRENT.set(trace)
    try:
        yield trace
    finally:
        _CURRENT.reset(token)


_LAYER_DEPTH: contextvars.ContextVar[int] = contextvars.ContextVar("kgraph_layer_depth", default=0)


def in_layer_call() -> bool:
    """True inside some layer's ``call``: ops there belong to that layer, not to the model."""
    return _LAYER_DEPTH.get() > 0


@contextlib.contextmanager
def layer_call():
    """Marks the block as running a layer's ``call``."""
    token = _LAYER_DEPTH.set(_LAYER_DEPTH.get() + 1)
    try:
        yield
    finally:
        _LAYER_DEPTH.reset(token)
