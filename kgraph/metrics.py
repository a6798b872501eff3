"""Metrics with Keras names. Each is a config the compiler turns into in-graph accumulators.

Metric objects also work on their own as Keras mean metrics (``update_state``, ``result``,
``reset_state``, calling one updates it and returns the result), and the metric functions
(``binary_accuracy``, ``sparse_categorical_accuracy``...) return one value per sample. Both run
the compiler's metric graph in onnxruntime (:mod:`kgraph.losses_eager`).
"""

from __future__ import annotations

from kgraph.compiler.metrics import ACCURACY_NAMES, EXACT_MATCH, resolve_metric_name
from kgraph.losses import mae, mean_absolute_error, mean_squared_error, mse


class Metric:
    """A named metric accumulated inside the training graph.

    Args:
        name: Display name (the key in ``History`` and progress bars).
    """

    metric_name = ""

    def __init__(self, name=None, dtype=None, **params):
        self.name = name or self.metric_name
        self.dtype = dtype or "float32"
        self.params = params
        self.reset_state()

    def spec(self) -> dict:
        """Plain-data description for the compiler."""
        return {"name": self.metric_name, "display_name": self.name, **self.params}

    def get_config(self) -> dict:
        return {"name": self.name, **self.params}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    # -- eager use, as a Keras mean metric --------------------------------------------------------
    def update_state(self, y_true, y_pred, sample_weight=None):
        """Adds a batch: the (weighted) sum of its per-sample values and their count."""
        from kgraph.losses_eager import metric_update

        total, count = metric_update(self.spec(), y_true, y_pred, sample_weight)
        self._total += total
        self._count += count

    def result(self):
        """The mean so far (0 before any sample), as a float32 scalar array."""
        import numpy as np

        return np.float32(self._total / self._count if self._count else 0.0)

    def reset_state(self):
        """Forgets every batch seen."""
        self._total, self._count = 0.0, 0.0

    def __call__(self, y_true, y_pred, sample_weight=None):
        """Updates the state with a batch and returns the result."""
        self.update_state(y_true, y_pred, sample_weight)
        return self.result()

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name!r}>"


class Accuracy(Metric):
    """How often ``y_pred`` equals ``y_true`` exactly (Keras' ``Accuracy``; the ``"accuracy"``
    string in ``compile`` instead picks binary, sparse or categorical accuracy)."""

    metric_name = EXACT_MATCH

    def __init__(self, name="accuracy", dtype=None):
        super().__init__(name=name, dtype=dtype)


class SparseCategoricalAccuracy(Metric):
    """How often the arg-max of ``y_pred`` equals the integer label."""

    metric_name = "sparse_categorical_accuracy"

    def __init__(self, name="sparse_categorical_accuracy", dtype=None):
        super().__init__(name=name, dtype=dtype)


class CategoricalAccuracy(Metric):
    """How often the arg-max of ``y_pred`` equals the arg-max of one-hot ``y_true``."""

    metric_name = "categorical_accuracy"

    def __init__(self, name="categorical_accuracy", dtype=None):
        super().__init__(name=name, dtype=dtype)


class BinaryAccuracy(Metric):
    """How often ``y_pred > threshold`` equals ``y_true``."""

    metric_name = "binary_accuracy"

    def __init__(self, name="binary_accuracy", dtype=None, threshold=0.5):
        super().__init__(name=name, dtype=dtype, threshold=threshold)


class MeanAbsoluteError(Metric):
    """The mean of ``abs(y_true - y_pred)``."""

    metric_name = "mean_absolute_error"

    def __init__(self, name="mean_absolute_error", dtype=None):
        super().__init__(name=name, dtype=dtype)


class MeanSquaredError(Metric):
    """The mean of ``square(y_true - y_pred)``."""

    metric_name = "mean_squared_error"

    def __init__(self, name="mean_squared_error", dtype=None):
        super().__init__(name=name, dtype=dtype)


# -- functions: one value per sample (per element for the binary accuracy) ---------------------
def _values(name, y_true, y_pred, **params):
    from kgraph.losses_eager import metric_values

    return metric_values({"name": name, **params}, y_true, y_pred)


def sparse_categorical_accuracy(y_true, y_pred):
    """1.0 where the arg-max of ``y_pred`` equals the integer label, else 0.0."""
    return _values("sparse_categorical_accuracy", y_true, y_pred)


def categorical_accuracy(y_true, y_pred):
    """1.0 where the arg-maxes of ``y_pred`` and one-hot ``y_true`` agree, else 0.0."""
    return _values("categorical_accuracy", y_true, y_pred)


def binary_accuracy(y_true, y_pred, threshold=0.5):
    """1.0 where ``y_pred > threshold`` equals ``y_true``, elementwise."""
    return _values("binary_accuracy", y_true, y_pred, threshold=threshold)


_BY_NAME = {
    "accuracy": Accuracy,
    "acc": Accuracy,
    "sparse_categorical_accuracy": SparseCategoricalAccuracy,
    "categorical_accuracy": CategoricalAccuracy,
    "binary_accuracy": BinaryAccuracy,
    "mae": MeanAbsoluteError,
    "mean_absolute_error": MeanAbsoluteError,
    "mse": MeanSquaredError,
    "mean_squared_error": MeanSquaredError,
}
_BY_CLASS = {cls.__name__: cls for cls in _BY_NAME.values()}
_BY_FUNCTION = {
    sparse_categorical_accuracy: SparseCategoricalAccuracy,
    categorical_accuracy: CategoricalAccuracy,
    binary_accuracy: BinaryAccuracy,
    mean_absolute_error: MeanAbsoluteError,
    mean_squared_error: MeanSquaredError,
}


def get(identifier) -> Metric:
    """A metric from a Keras name, a class or class name, a config dict, a metric function
    (``kgraph.metrics.binary_accuracy``) or an instance.

    A name is kept as the display name and a function's ``__name__`` is, as Keras' ``compile``
    names them. ``"accuracy"`` alone is the exact-match ``Accuracy``; ``compile`` resolves the
    string from the loss and output shape instead (see :func:`compile_specs`).
    """
    if isinstance(identifier, Metric):
        return identifier
    if isinstance(identifier, type) and issubclass(identifier, Metric):
        return identifier()
    if isinstance(identifier, dict) and identifier.get("class_name") in _BY_CLASS:
        return _BY_CLASS[identifier["class_name"]].from_config(identifier.get("config", {}))
    if isinstance(identifier, str):
        cls = _BY_NAME.get(identifier) or _BY_CLASS.get(identifier)
        if cls is not None:
            return cls(name=identifier) if identifier in _BY_NAME else cls()
    elif callable(identifier) and identifier in _BY_FUNCTION:
        return _BY_FUNCTION[identifier](name=identifier.__name__)
    raise ValueError(
        f"Unknown metric: {identifier!r}. Known metrics: {', '.join(sorted(_BY_NAME))}, "
        "their classes and the functions of kgraph.metrics."
    )


def _unique(name: str, taken: set) -> str:
    """``name``, or Keras' de-duplicated ``name_1``, ``name_2``... when it is taken."""
    index = 1
    while f"{name}_{index}" in taken:
        index += 1
    return f"{name}_{index}"


def compile_specs(metrics, weighted_metrics, prefix, loss_name, output_shape, taken) -> list:
    """The compiler specs of one output's ``metrics`` then ``weighted_metrics``, named as Keras
    names them.

    The strings ``"accuracy"``/``"acc"`` are resolved from the loss and output shape (an
    ``Accuracy()`` object is exact match). Only weighted metrics see ``sample_weight`` /
    ``class_weight``. Names are made unique as Keras' ``CompileMetrics`` does over ``taken``
    (the display names so far; updated): a repeated metric name gets ``_1``, ``_2``...; a
    weighted metric whose name is taken is shown as ``weighted_<name>`` (then
    ``weighted_<name>_1``...). ``prefix`` is ``"<output>_"`` for models with several outputs.
    """
    specs = []
    for weighted, items in ((False, metrics), (True, weighted_metrics)):
        items = items if isinstance(items, (list, tuple)) else [items] if items else []
        for item in items:
            if isinstance(item, str) and item.lower() in ACCURACY_NAMES:
                spec = {"name": item, "display_name": item}
            else:
                spec = get(item).spec()
            spec["name"] = resolve_metric_name(spec["name"], loss_name, output_shape)
            display = prefix + spec["display_name"]
            if display in taken:
                if weighted:
                    display = f"{prefix}weighted_{spec['display_name']}"
                    display = _unique(display, taken) if display in taken else display
                else:
                    display = _unique(display, taken)
            taken.add(display)
            specs.append({**spec, "display_name": display, "weighted": weighted})
    return specs


__all__ = [
    "Accuracy",
    "BinaryAccuracy",
    "CategoricalAccuracy",
    "MeanAbsoluteError",
    "MeanSquaredError",
    "Metric",
    "SparseCategoricalAccuracy",
    "binary_accuracy",
    "categorical_accuracy",
    "compile_specs",
    "get",
    "mae",
    "mean_absolute_error",
    "mean_squared_error",
    "mse",
    "sparse_categorical_accuracy",
]
