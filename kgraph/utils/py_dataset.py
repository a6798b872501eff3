"""``PyDataset``: Keras 3's base class for Python data sources indexed by batch.

A subclass implements ``__len__`` (batches per epoch) and ``__getitem__(index)`` (one batch,
``(x, y)`` or ``(x, y, sample_weight)``). ``fit``, ``evaluate`` and ``predict`` iterate it:
each pass is one epoch, with ``on_epoch_begin`` before the first batch is requested and
``on_epoch_end`` once every batch of the epoch has been produced (the trainer may still be
working on the last one). Batches are produced ``workers`` at a time, in threads, or in forked
processes with ``use_multiprocessing=True``, at most ``max_queue_size`` ahead of the consumer,
and handed out in index order, or in a random order per epoch with ``iterate(shuffle=True)``
(what Keras' ``fit`` does by default).
"""

from __future__ import annotations

import itertools
import multiprocessing
import warnings
from collections import deque
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor

import numpy as np

_WORKER_DATASET = None


def _remember(dataset) -> None:
    global _WORKER_DATASET
    _WORKER_DATASET = dataset


def _item_in_worker(index):
    return _WORKER_DATASET[index]


class PyDataset:
    """Base class for batch-indexed Python datasets (``keras.utils.PyDataset``).

    Args:
        workers: Threads (or processes) producing batches in parallel.
        use_multiprocessing: Produce batches in worker processes (the dataset is shared with
            them by forking, so ``__getitem__`` must not rely on state changed afterwards
            except through ``on_epoch_end``, which runs before a fresh pool per epoch).
        max_queue_size: Batches prepared ahead of the consumer.
    """

    def __init__(self, workers=1, use_multiprocessing=False, max_queue_size=10):
        self._workers = workers
        self._use_multiprocessing = use_multiprocessing
        self._max_queue_size = max_queue_size

    def _warn_if_super_not_called(self):
        missing = False
        for name, default in (("_workers", 1), ("_use_multiprocessing", False)) + (
            ("_max_queue_size", 10),
        ):
            if not hasattr(self, name):
                setattr(self, name, default)
                missing = True
        if missing:
            warnings.warn(
                "Your `PyDataset` class should call `super().__init__(**kwargs)` in its "
                "constructor. `**kwargs` can include `workers`, `use_multiprocessing`, "
                "`max_queue_size`. Do not pass these arguments to `fit()`, as they will be "
                "ignored.",
                stacklevel=3,
            )

    @property
    def workers(self):
        self._warn_if_super_not_called()
        return self._workers

    @workers.setter
    def workers(self, value):
        self._workers = value

    @property
    def use_multiprocessing(self):
        self._warn_if_super_not_called()
        return self._use_multiprocessing

    @use_multiprocessing.setter
    def use_multiprocessing(self, value):
        self._use_multiprocessing = value

    @property
    def max_queue_size(self):
        self._warn_if_super_not_called()
        return self._max_queue_size

    @max_queue_size.setter
    def max_queue_size(self, value):
        self._max_queue_size = value

    def __getitem__(self, index):
        """Returns batch ``index``; subclasses implement it."""
        raise NotImplementedError(
            f"{type(self).__name__} must implement __getitem__(index) returning one batch."
        )

    @property
    def num_batches(self):
        """Batches per epoch (``len(self)``), or None for an endless dataset."""
        if hasattr(self, "__len__"):
            return len(self)
        raise NotImplementedError(
            "You need to implement the `num_batches` property:\n\n"
            "@property\ndef num_batches(self):\n  return ..."
        )

    def on_epoch_begin(self):
        """Called at the start of every epoch."""

    def on_epoch_end(self):
        """Called at the end of every epoch (e.g. to reshuffle)."""

    def _executor(self, workers):
        if self.use_multiprocessing:
            methods = multiprocessing.get_all_start_methods()
            context = multiprocessing.get_context("fork" if "fork" in methods else None)
            return ProcessPoolExecutor(
                workers, mp_context=context, initializer=_remember, initargs=(self,)
            )
        return ThreadPoolExecutor(workers)

    def __iter__(self):
        """One epoch of batches, in index order (as ``evaluate`` and ``predict`` read it)."""
        return self.iterate()

    def iterate(self, shuffle=False, rng=None):
        """One epoch of batches; with ``shuffle`` a finite dataset's batches come in a random
        order (``rng``: a numpy Generator), as Keras' ``fit(shuffle=True)`` requests them.
        ``on_epoch_end`` runs once the epoch's last batch has been produced."""
        try:
            count = self.num_batches
        except NotImplementedError:
            count = None
        if count is None:
            indices = itertools.count()
        elif shuffle:
            indices = [int(i) for i in (rng or np.random.default_rng()).permutation(count)]
        else:
            indices = range(count)
        workers = max(1, int(self.workers or 1))
        ahead = max(1, int(self.max_queue_size or 1), workers)
        self.on_epoch_begin()
        if workers == 1 and not self.use_multiprocessing:
            yield from self._serial(indices, count)
            return
        pool = self._executor(workers)
        fetch = _item_in_worker if self.use_multiprocessing else self.__getitem__
        pending = deque()
        produced = itertools.count(1)
        try:
            for index in indices:
                pending.append(pool.submit(fetch, index))
                if len(pending) >= ahead:
                    yield self._ready(pending.popleft(), next(produced) == count)
            while pending:
                yield self._ready(pending.popleft(), next(produced) == count)
        finally:
            for future in pending:
                future.cancel()
            pool.shutdown(wait=True)

    def _ready(self, future, last):
        batch = future.result()
        if last:
            self.on_epoch_end()
        return batch

    def _serial(self, indices, count):
        for produced, index in enumerate(indices, 1):
            batch = self[index]
            if produced == count:
                self.on_epoch_end()
            yield batch
