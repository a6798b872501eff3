"""``keras.preprocessing.sequence``: ``pad_sequences`` (the one in ``kgraph.utils``)."""

from kgraph.utils.sequence_utils import pad_sequences

__all__ = ["pad_sequences"]
