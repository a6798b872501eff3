"""Metric graph builders: Keras metric specs (plain dicts) in, in-graph accumulators out
(see :mod:`.core`)."""

from kgraph.compiler.metrics.core import (
    ACCURACY_NAMES,
    EXACT_MATCH,
    METRIC_DEFAULTS,
    build_metric,
    canonical_metric_name,
    complete_spec,
    metric_config,
    metric_result,
    metric_state_specs,
    metric_update,
    resolve_metric_name,
)
from kgraph.compiler.metrics.mean import accumulate, metric_values

__all__ = [
    "ACCURACY_NAMES",
    "EXACT_MATCH",
    "METRIC_DEFAULTS",
    "accumulate",
    "build_metric",
    "canonical_metric_name",
    "complete_spec",
    "metric_config",
    "metric_result",
    "metric_state_specs",
    "metric_update",
    "metric_values",
    "resolve_metric_name",
]
