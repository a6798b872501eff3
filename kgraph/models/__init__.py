"""``kgraph.models``: Model, Sequential and Functional."""

from kgraph.models.functional import Functional
from kgraph.models.model import Model
from kgraph.models.sequential import Sequential

__all__ = ["Functional", "Model", "Sequential"]
