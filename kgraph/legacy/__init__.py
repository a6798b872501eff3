"""``keras.legacy``: Keras 2's ``{"class_name", "config"}`` serialization (``saving``)."""

from kgraph.legacy import saving

__all__ = ["saving"]
