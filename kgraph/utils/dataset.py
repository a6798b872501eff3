"""``Dataset``: the part of ``tf.data.Dataset`` that Keras programs call, over numpy.

Keras' loading utilities return a ``tf.data.Dataset``; programs then chain ``map``, ``batch``,
``shuffle``, ``cache`` and ``prefetch`` on it and hand it to ``fit``. kgraph runs without
TensorFlow, so this class gives the same methods over numpy elements: each one returns a new,
lazy, re-iterable dataset, and every ``for`` loop over it is one pass (an epoch). Elements are
numpy arrays or tuples / lists / dicts of them.

Parallel ``map`` calls and ``prefetch`` use threads: Pillow's decoders and numpy's matrix
products release the GIL, so image decoding overlaps with training. Results keep their input
order, so a pipeline with a fixed shuffle seed yields the same batches on every run.

``AUTOTUNE`` (-1, the value of ``tf.data.AUTOTUNE``) is exported as ``kgraph.utils.AUTOTUNE``;
it picks one thread per CPU for ``map`` and two elements ahead for ``prefetch``.
"""

from __future__ import annotations

import itertools
import os

import numpy as np

from kgraph.utils import dataset_iterators as its
from kgraph.utils import tree
from kgraph.utils.dataset_extras import DatasetExtras, lists_to_arrays

AUTOTUNE = -1
INFINITE = -1
UNKNOWN = -2


class Cardinality(int):
    """An element count that also answers ``.numpy()`` (``ds.cardinality().numpy()``)."""

    def numpy(self):
        return np.int64(self)


def _workers(num_parallel_calls):
    if num_parallel_calls is None:
        return 1
    if num_parallel_calls == AUTOTUNE:
        return os.cpu_count() or 1
    if not isinstance(num_parallel_calls, int) or num_parallel_calls < 1:
        raise ValueError(
            "num_parallel_calls must be a positive integer or AUTOTUNE. "
            f"Received: num_parallel_calls={num_parallel_calls!r}"
        )
    return num_parallel_calls


def _count(value, name):
    if not isinstance(value, (int, np.integer)) or isinstance(value, bool):
        raise ValueError(f"{name} must be an integer. Received: {name}={value!r}")
    return int(value)


class Dataset(DatasetExtras):
    """A lazy, re-iterable sequence of numpy elements with tf.data's transformations.

    Args:
        make_iterator: Called with the pass number (0, 1, ...) at the start of every pass;
            returns an iterator over the elements.
        cardinality: Number of elements, ``INFINITE`` (-1) or ``UNKNOWN`` (-2).
    """

    def __init__(self, make_iterator, cardinality=UNKNOWN):
        self._make_iterator = make_iterator
        self._cardinality = int(cardinality)
        self._passes = 0
        # Only a dataset of known size has ``__len__``: ``fit`` reads ``len(x)`` as the steps
        # per epoch when it exists, and ``len()`` of an endless or filtered dataset is a
        # TypeError, as in tf.data.
        self.__class__ = SizedDataset if self._cardinality >= 0 else Dataset

    # -- sources ---------------------------------------------------------------------------
    @classmethod
    def from_tensor_slices(cls, tensors):
        """One element per index of the first axis of every array in ``tensors``; a Python
        list is one array, as tf.data reads it (``from_tensor_slices([1, 2, 3])``), tuples
        and dicts are structures."""
        tensors = lists_to_arrays(tensors)
        leaves = [np.asarray(leaf) for leaf in tree.flatten(tensors)]
        if not leaves or any(leaf.ndim == 0 for leaf in leaves):
            raise ValueError("from_tensor_slices needs arrays with at least one axis.")
        size = len(leaves[0])
        if any(len(leaf) != size for leaf in leaves):
            raise ValueError(
                "All arrays given to from_tensor_slices must have the same length. "
                f"Received lengths {[len(leaf) for leaf in leaves]}."
            )

        def slices(_):
            for i in range(size):
                yield tree.pack_like(tensors, [its.element_array(leaf[i]) for leaf in leaves])

        return cls(slices, size)

    @classmethod
    def range(cls, *args):
        """``Dataset.range(stop)`` / ``range(start, stop[, step])`` as int64 scalars."""
        values = range(*args)
        return cls(lambda _: (its.element_array(np.int64(v)) for v in values), len(values))

    @staticmethod
    def zip(*datasets):
        """Elements of several datasets side by side, as a tuple, until the shortest ends."""
        if len(datasets) == 1 and isinstance(datasets[0], (tuple, list)):
            datasets = tuple(datasets[0])
        counts = [d._cardinality for d in datasets]
        finite = [c for c in counts if c >= 0]
        count = min(finite) if finite else (UNKNOWN if UNKNOWN in counts else INFINITE)
        return Dataset(lambda _: zip(*datasets), count)

    # -- iteration ---------------------------------------------------------------------------
    def __iter__(self):
        index, self._passes = self._passes, self._passes + 1
        return iter(self._make_iterator(index))

    def as_numpy_iterator(self):
        """An iterator over the elements as plain numpy: arrays, and numpy scalars for
        scalars, as tf.data's ``as_numpy_iterator``."""

        def plain(leaf):
            leaf = np.asarray(leaf)
            return leaf[()] if leaf.ndim == 0 else leaf

        return (tree.map_structure(plain, element) for element in self)

    def cardinality(self) -> Cardinality:
        """Number of elements; -1 (``INFINITE``) after ``repeat()``, -2 when unknown."""
        return Cardinality(self._cardinality)

    def __bool__(self) -> bool:
        return True

    def _derive(self, make, cardinality):
        return Dataset(make, cardinality)

    # -- transformations -------------------------------------------------------------------
    def map(self, map_func, num_parallel_calls=None, deterministic=None, name=None):
        """Applies ``map_func`` to every element (a tuple element is passed as arguments).

        ``map_func`` runs eagerly on numpy: plain numpy code, ``kgraph.ops`` calls or kgraph
        layers (e.g. an augmentation ``Sequential`` called with ``training=True``).
        ``num_parallel_calls`` runs it in that many threads; the order stays the input order.
        """
        workers = _workers(num_parallel_calls)

        def call(element):
            out = map_func(*element) if isinstance(element, tuple) else map_func(element)
            return its.to_numpy(tuple(out) if isinstance(out, list) else out)  # as tf.data

        autotune = num_parallel_calls == AUTOTUNE
        return self._derive(
            lambda _: its.ordered_map(call, iter(self), workers, autotune), self._cardinality
        )

    def filter(self, predicate, name=None):
        """Keeps the elements for which ``predicate`` returns True."""

        def keep(element):
            out = predicate(*element) if isinstance(element, tuple) else predicate(element)
            return bool(np.asarray(out))

        return self._derive(lambda _: (e for e in self if keep(e)), UNKNOWN)

    def batch(
        self,
        batch_size,
        drop_remainder=False,
        num_parallel_calls=None,
        deterministic=None,
        name=None,
    ):
        """Stacks ``batch_size`` consecutive elements along a new first axis."""
        batch_size = _count(batch_size, "batch_size")
        if batch_size < 1:
            raise ValueError(f"batch_size must be positive. Received: batch_size={batch_size}")
        count = self._cardinality
        if count >= 0:
            count = count // batch_size if drop_remainder else -(-count // batch_size)
        batched = self._derive(lambda _: its.batched(iter(self), batch_size, drop_remainder), count)
        batched._batch_size = batch_size  # split_dataset re-batches its parts alike
        return batched

    def unbatch(self, name=None):
        """Splits every element along its first axis into separate elements."""
        return self._derive(lambda _: its.unbatched(iter(self)), UNKNOWN)

    def rebatch(self, batch_size, drop_remainder=False, name=None):
        """``unbatch().batch(batch_size)``."""
        return self.unbatch().batch(batch_size, drop_remainder)

    def shuffle(self, buffer_size, seed=None, reshuffle_each_iteration=None, name=None):
        """Shuffles through a buffer of ``buffer_size`` elements, as tf.data does (a buffer as
        large as the dataset gives a full shuffle). A new order every pass unless
        ``reshuffle_each_iteration=False``; the same orders for the same ``seed``."""
        buffer_size = _count(buffer_size, "buffer_size")
        if buffer_size < 1 and buffer_size != AUTOTUNE:
            raise ValueError(f"buffer_size must be positive. Received: {buffer_size}")
        if seed is None:
            from kgraph.utils import seeds

            seed = seeds.make_seed()
        reshuffle = reshuffle_each_iteration is not False

        def make(index):
            rng = np.random.default_rng([seed, index if reshuffle else 0])
            return its.shuffled(iter(self), buffer_size, rng)

        return self._derive(make, self._cardinality)

    def take(self, count, name=None):
        """The first ``count`` elements (all of them for -1)."""
        count = _count(count, "count")
        if count < 0:
            return self
        own = self._cardinality
        size = count if own == INFINITE else (min(count, own) if own >= 0 else UNKNOWN)
        return self._derive(lambda _: its.take(iter(self), count), size)

    def skip(self, count, name=None):
        """All but the first ``count`` elements."""
        count = _count(count, "count")
        own = self._cardinality
        size = max(own - count, 0) if own >= 0 else own
        if count < 0:
            size = 0 if own >= 0 else own
        return self._derive(lambda _: its.skip(iter(self), count), size)

    def repeat(self, count=None, name=None):
        """Passes over the dataset ``count`` times (forever for None or -1)."""
        count = -1 if count is None else _count(count, "count")
        own = self._cardinality
        if count < 0:
            size = 0 if own == 0 else INFINITE
        else:
            size = own * count if own >= 0 else own
        return self._derive(lambda _: its.repeated(self, count), size)

    def prefetch(self, buffer_size, name=None):
        """Prepares up to ``buffer_size`` elements in a background thread while the consumer
        (e.g. a training step) works on the current one."""
        buffer_size = _count(buffer_size, "buffer_size")
        size = 2 if buffer_size == AUTOTUNE else buffer_size
        if size < 0:
            raise ValueError(f"buffer_size must be >= 0 or AUTOTUNE. Received: {buffer_size}")
        if size == 0:
            return self
        return self._derive(lambda _: its.prefetched(iter(self), size), self._cardinality)

    def cache(self, filename="", name=None):
        """Keeps the elements of the first complete pass and replays them afterwards; with a
        ``filename`` they are also written there (pickle) and read back by later programs."""
        return self._derive(its.Cache(self, filename), self._cardinality)

    def concatenate(self, dataset, name=None):
        """This dataset's elements followed by ``dataset``'s."""
        a, b = self._cardinality, dataset._cardinality
        size = a + b if a >= 0 and b >= 0 else (INFINITE if INFINITE in (a, b) else UNKNOWN)

        def make(_):
            yield from self
            yield from dataset

        return self._derive(make, size)

    def enumerate(self, start=0, name=None):
        """``(index, element)`` pairs, the index an int64 scalar."""
        return self._derive(
            lambda _: ((np.int64(i), e) for i, e in enumerate(self, start)), self._cardinality
        )

    def __repr__(self) -> str:
        return f"<Dataset cardinality={self._cardinality}>"


class SizedDataset(Dataset):
    """A ``Dataset`` whose number of elements is known: it has ``len()``."""

    def __len__(self) -> int:
        return self._cardinality


def dataset_inputs(data, steps=None):
    """``(x, steps)`` for ``predict``: the inputs of every batch of a dataset or generator
    (the first item of ``(x, y[, w])`` elements) joined along the batch axis, with ``steps``
    used up; arrays and lists or dicts of arrays are returned unchanged."""
    if isinstance(data, (np.ndarray, list, tuple, dict)) or not hasattr(data, "__iter__"):
        return data, steps
    first, columns = None, []
    for element in itertools.islice(iter(data), steps):
        x = element[0] if isinstance(element, tuple) and len(element) in (1, 2, 3) else element
        first = x if first is None else first
        columns.append([np.asarray(leaf) for leaf in tree.flatten(x)])
    if first is None:
        raise ValueError("predict() received an empty dataset.")
    joined = [np.concatenate(parts) for parts in zip(*columns)]
    return tree.pack_like(first, joined), None
