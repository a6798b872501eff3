"""``keras.distillation``: knowledge distillation from a frozen teacher model to a student
(Keras 3.15's ``Distiller`` and its distillation losses), traced into kgraph's compiled
training graphs."""

from kgraph.distillation.distillation_loss import (
    DistillationLoss,
    FeatureDistillation,
    LogitsDistillation,
)
from kgraph.distillation.distiller import Distiller

__all__ = ["DistillationLoss", "Distiller", "FeatureDistillation", "LogitsDistillation"]
