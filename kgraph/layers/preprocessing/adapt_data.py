"""What ``adapt()`` accepts: an array, or an iterable of batches (a kgraph dataset, a
generator, a list of arrays). Elements that are tuples, ``(x, y)``, contribute ``x``."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np


def batches(data, steps=None) -> Iterator[np.ndarray]:
    """Yields numpy batches of ``data``, at most ``steps`` of them."""
    if isinstance(data, np.ndarray) or np.isscalar(data):
        yield np.asarray(data)
        return
    if isinstance(data, (list, tuple)) and data and not hasattr(data[0], "__len__"):
        yield np.asarray(data)  # a plain list of numbers
        return
    if hasattr(data, "numpy") and not hasattr(data, "__iter__"):
        yield np.asarray(data.numpy())
        return
    for i, element in enumerate(data):
        if steps is not None and i >= steps:
            return
        if isinstance(element, tuple):  # an (x, y) or (x, y, sample_weight) element
            element = element[0]
        yield np.asarray(element)
