"""Metric graph builders: Keras metric specs (plain dicts) in, in-graph accumulators out."""

from kgraph.compiler.metrics.core import (
    ACCURACY_NAMES,
    EXACT_MATCH,
    METRIC_DEFAULTS,
    accumulate,
    build_metric,
    canonical_metric_name,
    metric_state_specs,
    metric_values,
    resolve_metric_name,
)

__all__ = [
    "ACCURACY_NAMES",
    "EXACT_MATCH",
    "METRIC_DEFAULTS",
    "accumulate",
    "build_metric",
    "canonical_metric_name",
    "metric_state_specs",
    "metric_values",
    "resolve_metric_name",
]
