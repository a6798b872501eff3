"""Metrics with Keras names. Each is a config the compiler turns into in-graph accumulators."""

from __future__ import annotations


class Metric:
    """A named metric accumulated inside the training graph.

    Args:
        name: Display name (the key in ``History`` and progress bars).
    """

    metric_name = ""

    def __init__(self, name=None, dtype=None, **params):
        self.name = name or self.metric_name
        self.params = params

    def spec(self) -> dict:
        """Plain-data description for the compiler."""
        return {"name": self.metric_name, "display_name": self.name, **self.params}

    def get_config(self) -> dict:
        return {"name": self.name, **self.params}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


def _metric(class_name: str, metric_name: str, **defaults):
    def __init__(self, name=metric_name, dtype=None, **params):  # noqa: N807
        Metric.__init__(self, name=name, dtype=dtype, **{**defaults, **params})

    return type(
        class_name,
        (Metric,),
        {"metric_name": metric_name, "__init__": __init__, "__doc__": f"``{metric_name}`` metric."},
    )


Accuracy = _metric("Accuracy", "accuracy")
SparseCategoricalAccuracy = _metric("SparseCategoricalAccuracy", "sparse_categorical_accuracy")
CategoricalAccuracy = _metric("CategoricalAccuracy", "categorical_accuracy")
BinaryAccuracy = _metric("BinaryAccuracy", "binary_accuracy", threshold=0.5)
MeanAbsoluteError = _metric("MeanAbsoluteError", "mean_absolute_error")
MeanSquaredError = _metric("MeanSquaredError", "mean_squared_error")

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


def get(identifier) -> Metric:
    """A metric from a Keras name or an instance; the name is kept as the display name."""
    if isinstance(identifier, Metric):
        return identifier
    if isinstance(identifier, type) and issubclass(identifier, Metric):
        return identifier()
    if isinstance(identifier, str):
        cls = _BY_NAME.get(identifier) or _BY_CLASS.get(identifier)
        if cls is not None:
            return cls(name=identifier) if identifier in _BY_NAME else cls()
    raise ValueError(
        f"Unknown metric: {identifier!r}. Known metrics: {', '.join(sorted(_BY_NAME))}."
    )


def compile_specs(metrics, weighted_metrics, prefix, loss_name, output_shape, taken) -> list:
    """The compiler specs of one output's ``metrics`` then ``weighted_metrics``, named as Keras
    names them.

    ``"accuracy"`` is resolved from the loss and output shape. Only weighted metrics see
    ``sample_weight``/``class_weight``; one whose display name is taken (in ``taken``, which
    is updated) is shown as ``weighted_<name>``. ``prefix`` is ``"<output>_"`` for models with
    several outputs.
    """
    from compiler.metrics import resolve_metric_name

    specs = []
    for weighted, items in ((False, metrics), (True, weighted_metrics)):
        items = items if isinstance(items, (list, tuple)) else [items] if items else []
        for item in items:
            spec = get(item).spec()
            spec["name"] = resolve_metric_name(spec["name"], loss_name, output_shape)
            display = prefix + spec["display_name"]
            if weighted and display in taken:
                display = f"{prefix}weighted_{spec['display_name']}"
            taken.add(display)
            specs.append({**spec, "display_name": display, "weighted": weighted})
    return specs
