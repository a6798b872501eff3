"""The base class of kgraph's metrics (re-exported as :class:`kgraph.metrics.Metric`), and
Keras' ``Mean``, ``Sum`` and ``MeanMetricWrapper``.

A metric object is a config (:meth:`Metric.spec`) the compiler turns into state tensors of the
step and eval graphs. Used on its own, as Keras users do (``update_state`` / ``result`` /
``reset_state``), it keeps that same state as numpy arrays and runs the compiler's update and
result graphs in onnxruntime (:mod:`kgraph.losses_eager`), so eager and compiled values agree.
"""

from __future__ import annotations

import contextlib
import contextvars

import numpy as np

# While a model's ``compute_loss`` override is traced (``kgraph.models.loss_override``), a
# recorder that turns updates on traced tensors into accumulators of the step or eval graph.
_RECORDER: contextvars.ContextVar = contextvars.ContextVar("kgraph_metric_recorder", default=None)


@contextlib.contextmanager
def recording(recorder):
    """Inside the block, ``update_state`` on traced tensors and ``result()`` of a metric that
    ``recorder`` holds go to ``recorder`` (``update(metric, y_true, y_pred, sample_weight)``,
    ``result(metric)``; ``takes(*values)`` says whether a call is traced)."""
    token = _RECORDER.set(recorder)
    try:
        yield recorder
    finally:
        _RECORDER.reset(token)


def traced_recorder(*values):
    """The active recorder when one of ``values`` is a traced tensor, else None."""
    recorder = _RECORDER.get()
    return recorder if recorder is not None and recorder.takes(*values) else None


class Metric:
    """A named metric accumulated inside the training graph.

    Args:
        name: Display name (the key in ``History`` and progress bars).
        dtype: Accepted for Keras compatibility; metrics accumulate in float32.
    """

    metric_name = ""

    def __init__(self, name=None, dtype=None, **params):
        self.name = name or self.metric_name
        self.dtype = dtype or "float32"
        self.params = params
        self._built_spec = None
        self._state = None
        self._own_variables: list = []  # add_variable()'s, in a subclass written with ops

    def spec(self) -> dict:
        """Plain-data description for the compiler."""
        return {"name": self.metric_name, "display_name": self.name, **self.params}

    def get_config(self) -> dict:
        return {"name": self.name, "dtype": self.dtype, **self.params}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    # -- eager use ---------------------------------------------------------------------------
    def _build(self, y_pred) -> dict:
        """The spec completed from the first batch's shape (as Keras builds its variables)."""
        if self._built_spec is None:
            from kgraph.compiler.metrics import complete_spec

            self._built_spec = complete_spec(self.spec(), np.shape(y_pred))
        return self._built_spec

    def update_state(self, y_true, y_pred, sample_weight=None):
        """Accumulates a batch into the metric's state (into the graph's accumulators when
        called on traced tensors inside a ``compute_loss`` override)."""
        from kgraph.losses_eager import metric_state, metric_state_update

        recorder = traced_recorder(y_true, y_pred, sample_weight)
        if recorder is not None:
            return recorder.update(self, y_true, y_pred, sample_weight)

        spec = self._build(y_pred)
        if self._state is None:
            self._state = metric_state(spec)
        self._state = metric_state_update(spec, self._state, y_true, y_pred, sample_weight)

    def result(self):
        """The metric's value so far (a float32 scalar array, or a vector for per-threshold or
        per-class results)."""
        from kgraph.losses_eager import metric_state, metric_state_result

        recorder = _RECORDER.get()
        if recorder is not None and recorder.holds(self):
            return recorder.result(self)
        spec = self._built_spec or self.spec()
        try:
            state = self._state if self._state is not None else metric_state(spec)
        except ValueError:  # state sized by data not seen yet
            return np.float32(0.0)
        value = metric_state_result(spec, state)
        return np.float32(value) if np.ndim(value) == 0 else value

    def reset_state(self):
        """Forgets every batch seen (the state, and any ``add_variable`` variable, returns to
        zeros)."""
        self._state = None
        for variable in self._own_variables:
            variable.assign(np.zeros(variable.shape, variable.dtype))

    def load_state(self, state: dict, spec: dict | None = None) -> None:
        """Sets the state (``<name>/<variable>`` -> array) that a compiled graph accumulated
        for this metric (a tracker a ``compute_loss`` override updates), so that ``result()``
        reads it after ``fit``/``evaluate`` as a Keras metric object's would. ``spec`` is the
        completed spec the graph used."""
        if spec is not None:
            self._built_spec = spec
        self._state = {k: np.asarray(v) for k, v in state.items()}

    def add_variable(self, shape, initializer="zeros", dtype=None, aggregation="sum", name=None):
        """A state variable of a metric subclass written with ``kgraph.ops`` (Keras' API): its
        ``update_state`` assigns it, and in ``fit``/``evaluate`` it is an accumulator of the
        step and eval graphs, reset with ``reset_state`` at each epoch."""
        from kgraph.tensor import Variable

        name = name or f"variable_{len(self._own_variables)}"
        variable = Variable(
            initializer,
            shape=shape,
            dtype=dtype or self.dtype,
            trainable=False,
            aggregation=aggregation,
            name=name,
            path=f"{self.name}/{name}",
        )
        self._own_variables.append(variable)
        return variable

    def add_weight(self, shape=(), initializer=None, dtype=None, name=None):
        """Keras' older name for :meth:`add_variable`, a scalar by default (metrics written
        before Keras 3 call ``self.add_weight(name="total", initializer="zeros")``)."""
        if initializer is None:
            raise ValueError(
                f"Metric '{self.name}' needs an initializer for its variable '{name}' "
                "(for example initializer='zeros'). Received: initializer=None"
            )
        return self.add_variable(shape, initializer=initializer, dtype=dtype, name=name)

    def __call__(self, y_true, y_pred, sample_weight=None):
        """Updates the state with a batch and returns the result."""
        self.update_state(y_true, y_pred, sample_weight)
        return self.result()

    @property
    def variables(self) -> list:
        """The ``add_variable`` variables of a subclass; for kgraph's own metrics the state
        arrays (zeros before the first update)."""
        if self._own_variables:
            return list(self._own_variables)
        return [] if self._state is None else _snapshots(self._state)

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name!r}>"


def _snapshots(state: dict) -> list:
    """The state arrays as Variables named as Keras names them (``mean/total``)."""
    from kgraph.tensor import Variable

    return [
        Variable(np.asarray(v), trainable=False, name=k.rsplit("/", 1)[-1], path=k)
        for k, v in state.items()
    ]


class Mean(Metric):
    """The (weighted) mean of the values given to ``update_state(values, sample_weight)``."""

    metric_name = "mean"

    def __init__(self, name="mean", dtype=None):
        super().__init__(name=name, dtype=dtype)

    def update_state(self, values, sample_weight=None):
        recorder = traced_recorder(values, sample_weight)
        if recorder is not None:
            return recorder.update(self, values, values, sample_weight)
        values = np.asarray(values, np.float32)
        super().update_state(np.zeros_like(values), values, sample_weight)

    def _part(self, key):
        """Keras' ``total`` / ``count`` variable (a snapshot; zeros before any update)."""
        found = {k: v for k, v in (self._state or {}).items() if k.endswith(f"/{key}")}
        return _snapshots(found or {f"{self.name}/{key}": np.float32(0.0)})[0]

    total = property(lambda self: self._part("total"))
    count = property(lambda self: self._part("count"))


class Sum(Mean):
    """The (weighted) sum of the values given to ``update_state(values, sample_weight)``."""

    metric_name = "sum"

    def __init__(self, name="sum", dtype=None):
        Metric.__init__(self, name=name, dtype=dtype)


class MeanMetricWrapper(Metric):
    """The mean of ``fn(y_true, y_pred, **kwargs)`` over samples, for a built-in metric or loss
    function ``fn`` (``kgraph.metrics.*`` / ``kgraph.losses.*``)."""

    def __init__(self, fn, name=None, dtype=None, **kwargs):
        from kgraph.compiler.metrics import canonical_metric_name

        fn_name = getattr(fn, "__name__", str(fn))
        try:
            self.metric_name = canonical_metric_name(fn_name)
        except ValueError:
            raise ValueError(
                f"MeanMetricWrapper takes a built-in metric or loss function of kgraph. "
                f"Received: fn={fn!r}"
            ) from None
        self.fn = fn
        super().__init__(name=name or fn_name, dtype=dtype, **kwargs)

    def get_config(self) -> dict:
        return {"fn": self.fn, **super().get_config()}
