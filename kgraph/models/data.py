"""Turning user data (numpy arrays, lists, dicts) into the arrays a graph expects."""

from __future__ import annotations

import numpy as np

from kgraph.utils import tree


def as_input_arrays(x, specs, model_name: str) -> list[np.ndarray]:
    """One array per model input, cast to the input dtype; clear errors for a wrong rank."""
    if isinstance(x, dict):
        names = [s.name for s in specs]
        missing = [n for n in names if n not in x]
        if missing:
            raise ValueError(f"Model '{model_name}' expects inputs {names}; missing {missing}.")
        leaves = [x[n] for n in names]
    else:
        leaves = tree.flatten(x) if isinstance(x, (list, tuple)) and len(specs) > 1 else [x]
    if len(leaves) != len(specs):
        raise ValueError(f"Model '{model_name}' expects {len(specs)} input(s); "
                         f"received {len(leaves)}.")
    arrays = []
    for spec, leaf in zip(specs, leaves):
        arr = np.asarray(leaf)
        if arr.ndim != len(spec.shape):
            raise ValueError(f"Input '{spec.name}' of model '{model_name}' expects shape "
                             f"{spec.shape}; received an array of shape {arr.shape}.")
        for expected, got in zip(spec.shape[1:], arr.shape[1:]):
            if expected is not None and expected != got:
                raise ValueError(f"Input '{spec.name}' of model '{model_name}' expects shape "
                                 f"{spec.shape}; received an array of shape {arr.shape}.")
        arrays.append(arr.astype(spec.dtype, copy=False))
    return arrays
