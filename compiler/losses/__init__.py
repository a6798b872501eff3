"""Loss graph builders: Keras loss specs (plain dicts) in, ONNX nodes out (see :mod:`.core`)."""

from kgraph.compiler.losses.core import (
    EPSILON,
    LOSS_DEFAULTS,
    REDUCTIONS,
    build_loss,
    canonical_loss_name,
    label_signature,
    loss_config,
    per_sample_loss,
    reduce_weighted,
    resolve_loss_name,
)

__all__ = [
    "EPSILON",
    "LOSS_DEFAULTS",
    "REDUCTIONS",
    "build_loss",
    "canonical_loss_name",
    "label_signature",
    "loss_config",
    "per_sample_loss",
    "reduce_weighted",
    "resolve_loss_name",
]
