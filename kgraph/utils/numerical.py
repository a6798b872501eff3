"""Numpy helpers Keras keeps in ``keras.utils``."""

from __future__ import annotations

import numpy as np


def to_categorical(x, num_classes=None):
    """One-hot encodes integer class labels (``keras.utils.to_categorical``).

    Args:
        x: Integer labels of any shape; a trailing axis of size 1 is dropped.
        num_classes: Number of classes; ``max(x) + 1`` when None.

    Returns:
        A float64 array (as Keras returns for numpy input) of shape
        ``x.shape + (num_classes,)``.
    """
    labels = np.asarray(x, dtype="int64")
    if labels.ndim > 1 and labels.shape[-1] == 1:
        labels = labels[..., 0]
    if num_classes is None:
        num_classes = int(labels.max()) + 1 if labels.size else 0
    if labels.size and (labels.min() < 0 or labels.max() >= num_classes):
        raise ValueError(
            f"Labels must be in [0, {num_classes}). Received values from {labels.min()} to "
            f"{labels.max()} with num_classes={num_classes}"
        )
    return np.eye(num_classes, dtype="float64")[labels]
