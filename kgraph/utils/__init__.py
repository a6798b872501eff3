"""``kgraph.utils``: seeds and data helpers."""

from kgraph.utils.numerical import to_categorical
from kgraph.utils.seeds import set_random_seed

__all__ = ["set_random_seed", "to_categorical"]
