"""``kgraph.utils``: seeds and data helpers."""

from kgraph.utils.seeds import set_random_seed

__all__ = ["set_random_seed"]
