"""Turning user data (numpy arrays, lists, dicts) into the arrays a graph expects."""

from __future__ import annotations

import inspect
import itertools

import numpy as np

from kgraph.utils import tree
from kgraph.utils.py_dataset import PyDataset


def as_input_arrays(x, specs, model_name: str, keys=None) -> list[np.ndarray]:
    """One array per model input, cast to the input dtype; clear errors for a wrong rank or shape
    and for non-numeric (string, object) data.

    A dict ``x`` is read by ``keys`` (the dict keys a Functional model was built with, one per
    spec, in the specs' order) when given, else by the inputs' names."""
    if isinstance(x, dict):
        names = list(keys) if keys is not None else [s.name for s in specs]
        missing = [n for n in names if n not in x]
        if missing:
            raise ValueError(f"Model '{model_name}' expects inputs {names}; missing {missing}.")
        leaves = [x[n] for n in names]
    else:
        leaves = tree.flatten(x) if isinstance(x, (list, tuple)) and len(specs) > 1 else [x]
    if len(leaves) != len(specs):
        raise ValueError(
            f"Model '{model_name}' expects {len(specs)} input(s); received {len(leaves)}."
        )
    arrays = []
    for spec, leaf in zip(specs, leaves):
        arr = np.asarray(leaf)
        if arr.ndim == len(spec.shape) - 1 and spec.shape[-1] == 1:
            arr = arr[..., None]  # Keras adds a missing trailing channel axis of size 1
        if spec.dtype == "string" and arr.dtype.kind in "USO":
            arr = arr.astype(object)  # string inputs (StringLookup) reach ONNX as STRING
        elif arr.dtype.kind not in "biuf":
            raise ValueError(
                f"Input '{spec.name}' of model '{model_name}' must be numeric. "
                f"Received an array of dtype {arr.dtype}."
            )
        if arr.ndim != len(spec.shape):
            raise ValueError(
                f"Input '{spec.name}' of model '{model_name}' expects shape "
                f"{spec.shape}; received an array of shape {arr.shape}."
            )
        for expected, got in zip(spec.shape[1:], arr.shape[1:]):
            if expected is not None and expected != got:
                raise ValueError(
                    f"Input '{spec.name}' of model '{model_name}' expects shape "
                    f"{spec.shape}; received an array of shape {arr.shape}."
                )
        arrays.append(arr if spec.dtype == "string" else arr.astype(spec.dtype, copy=False))
    return arrays


class Batches:
    """Numpy data split into batches: ``x`` (one array per input), ``y`` (one per output)."""

    def __init__(self, x: list[np.ndarray], y: list[np.ndarray] | None, sample_weight=None):
        self.x, self.y, self.sample_weight = x, y, sample_weight
        self.size = len(x[0])
        for arr in [*x, *(y or [])]:
            if len(arr) != self.size:
                raise ValueError(
                    f"Data cardinality is ambiguous: x and y must have the same "
                    f"number of samples. Received x sizes {[len(a) for a in x]} "
                    f"and y sizes {[len(a) for a in (y or [])]}."
                )
        if sample_weight is not None and len(sample_weight) != self.size:
            raise ValueError(
                f"sample_weight has {len(sample_weight)} entries but the data has "
                f"{self.size} samples."
            )

    def split(self, fraction: float) -> tuple[Batches, Batches]:
        """Keras' validation_split: the last ``fraction`` of the samples, before shuffling."""
        if not 0 < fraction < 1:
            raise ValueError(f"validation_split must be in (0, 1). Received: {fraction}")
        cut = int(self.size * (1 - fraction))
        if cut == 0 or cut == self.size:
            raise ValueError(
                f"validation_split={fraction} leaves an empty training or "
                f"validation set for {self.size} samples."
            )

        def part(s):
            return Batches(
                [a[s] for a in self.x],
                [a[s] for a in self.y] if self.y else None,
                None if self.sample_weight is None else self.sample_weight[s],
            )

        return part(slice(0, cut)), part(slice(cut, None))

    def num_batches(self, batch_size: int) -> int:
        return -(-self.size // batch_size)

    def __call__(self, batch_size: int, shuffle: bool = False, rng=None):
        order = rng.permutation(self.size) if shuffle else None
        for start in range(0, self.size, batch_size):
            index = (
                order[start : start + batch_size]
                if order is not None
                else slice(start, start + batch_size)
            )
            yield (
                [a[index] for a in self.x],
                [a[index] for a in self.y] if self.y is not None else None,
                None if self.sample_weight is None else self.sample_weight[index],
            )


class EpochIterator:
    """Hands out each epoch's batches the way Keras draws them.

    Without ``steps_per_epoch`` every epoch starts a fresh pass over the data. With it, one
    iterator runs on across epochs (a generator keeps yielding where the last epoch stopped);
    a dataset of known length restarts once all its batches were used.

    Args:
        make_iterator: ``make_iterator(epoch)`` returns a fresh iterator over the batches.
        steps_per_epoch: Batches per epoch, or None for one full pass.
        num_batches: Batches in one pass, when known.
    """

    def __init__(self, make_iterator, steps_per_epoch=None, num_batches=None):
        self._make, self._steps, self._num = make_iterator, steps_per_epoch, num_batches
        self._iterator, self._seen = None, 0

    def epoch(self, index: int = 0):
        """Yields the batches of the next epoch (``index``: its number, for its shuffle)."""
        if self._iterator is None or self._steps is None:
            self._iterator, self._seen = self._make(index), 0
        for _ in range(self._steps) if self._steps else itertools.count():
            if self._num and self._seen >= self._num:
                break
            try:
                item = next(self._iterator)
            except StopIteration:
                break
            self._seen += 1
            yield item
        if self._num and self._seen >= self._num:
            self._iterator = None


def unpack_batch(item):
    """``(x, y, sample_weight)`` from an element of a user iterable, as Keras'
    ``unpack_x_y_sample_weight``: ``x`` alone or ``(x,)`` has no targets (an autoencoder's
    or a VAE's dataset), a list reads as a tuple."""
    if isinstance(item, dict) and "x" in item:
        return item["x"], item.get("y"), item.get("sample_weight")
    if isinstance(item, list):
        item = tuple(item)
    if not isinstance(item, tuple):
        return item, None, None
    if len(item) in (1, 2, 3):
        return (*item, None, None)[:3]
    raise ValueError(
        "Data is expected to be in format `x`, `(x,)`, `(x, y)`, or `(x, y, sample_weight)`, "
        f"found: {item}"
    )


def is_batch_list(x) -> bool:
    """True for a list of ``(x, y)`` / ``(x, y, sample_weight)`` tuples (a dataset in memory)."""
    return (
        isinstance(x, (list, tuple))
        and len(x) > 0
        and all(
            isinstance(item, tuple)
            and len(item) in (2, 3)
            and not isinstance(item[0], (int, float))
            for item in x
        )
    )


def is_xy_pair(data, num_inputs: int) -> bool:
    """True when ``data`` reads as ``(x, y)`` or ``(x, y, sample_weight)`` for a model with
    ``num_inputs`` inputs; False for anything else, such as a list of two or three
    ``(x, y)`` batches.

    When every item is a 2- or 3-tuple, ``data`` is a pair only if its first item is a whole
    ``x``: one array per input. A single-input ``x`` is an array, never a tuple, and a batch's
    ``x`` for several inputs is itself a list, tuple or dict, not an array.
    """
    if not isinstance(data, (tuple, list)) or len(data) not in (2, 3):
        return False
    if not is_batch_list(data):
        return True
    x = data[0]
    return num_inputs > 1 and len(x) == num_inputs and all(isinstance(v, np.ndarray) for v in x)


def is_array_like(x) -> bool:
    """True for numpy arrays, lists/dicts of arrays and nested Python lists of numbers."""
    if isinstance(x, np.ndarray):
        return True
    if isinstance(x, dict):
        return all(is_array_like(v) for v in x.values())
    if isinstance(x, (list, tuple)):
        return all(isinstance(v, (np.ndarray, list, tuple, int, float)) for v in x)
    return False


def holds_arrays(x, y) -> bool:
    """True when ``x`` holds arrays (not an iterable of ``(x, y)`` batches)."""
    return is_array_like(x) and not (y is None and is_batch_list(x))


def refuse_separate_targets(x, y, sample_weight) -> None:
    """Keras' error for ``y`` or ``sample_weight`` passed beside a dataset, a ``PyDataset`` or
    a generator ``x``, whose batches carry their own targets and weights (they would be
    ignored)."""
    if isinstance(x, PyDataset):
        kind = "PyDataset"
    elif inspect.isgenerator(x):
        kind = "generator"
    else:
        kind = "dataset"
    for value, name, what in (
        (y, "y", "the targets"),
        (sample_weight, "sample_weight", "the sample weights"),
    ):
        if value is not None:
            raise ValueError(
                f"When providing `x` as a {kind}, `{name}` should not be passed. Instead, "
                f"{what} should be included as part of the {kind}."
            )


def checked_batch_size(batch_size, what: str = "batch_size") -> int:
    """``batch_size`` (32 when None), checked to be a positive integer."""
    if batch_size is None:
        return 32
    integer = isinstance(batch_size, (int, np.integer)) and not isinstance(batch_size, bool)
    if not integer or batch_size < 1:
        raise ValueError(f"{what} must be a positive integer. Received: {what}={batch_size!r}")
    return int(batch_size)


def built_from_first_batch(model, data):
    """``data`` once a model that waits for data (no ``Input``) is built from its first batch,
    as Keras' ``fit``/``evaluate`` build on the first batch of a dataset: a re-iterable
    dataset is peeked; a one-shot iterator gets its first batch put back in front."""
    if not model._needs_data_build():
        return data
    batches = iter(data)
    try:
        first = next(batches)
    except StopIteration:
        return data
    model._build_on_data(unpack_batch(first)[0])
    return itertools.chain([first], batches) if batches is data else data
