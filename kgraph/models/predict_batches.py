"""``predict`` batch by batch for callbacks: Keras runs ``on_predict_batch_begin`` /
``on_predict_batch_end`` around each batch, the latter with ``{"outputs": batch outputs}``.
Without callbacks ``predict`` hands all batches to the predictor at once."""

from __future__ import annotations

import numpy as np


def predict_with_batch_hooks(predictor, arrays: list, size: int, count: int, cbs):
    """Runs ``count`` batches of ``size`` rows of ``arrays`` through ``predictor`` with the
    batch hooks of ``cbs``; the results are concatenated in the predictor's structure."""
    results = []
    for index in range(count):
        cbs.on_predict_batch_begin(index, {})
        chunk = [a[index * size : (index + 1) * size] for a in arrays]
        out = predictor.predict(chunk if len(chunk) > 1 else chunk[0], batch_size=None)
        cbs.on_predict_batch_end(index, {"outputs": out})
        results.append(out)
    if isinstance(results[0], (list, tuple)):
        return [np.concatenate(parts) for parts in zip(*results)]
    return np.concatenate(results)
