"""The generators behind ``Dataset``'s transformations (one pass each).

Kept apart from ``Dataset`` so each transformation is a small function over an iterator; the
threaded ones (``ordered_map``, ``prefetched``) stop their threads when the consumer stops
early (``take``, ``steps_per_epoch``) and re-raise worker errors in the consumer's thread.
"""

from __future__ import annotations

import contextlib
import itertools
import math
import os
import pickle
import queue
import threading
import time
from collections import deque
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from kgraph.utils import tree


class ElementArray(np.ndarray):
    """A numpy array that also answers ``.numpy()``, as the tensors a tf.data pipeline yields
    do: Keras tutorials write ``images[i].numpy().astype("uint8")``."""

    def numpy(self) -> np.ndarray:
        return np.asarray(self)


def element_array(value) -> ElementArray:
    return np.asarray(value).view(ElementArray)


def to_numpy(value):
    """Leaves converted to numpy arrays (eager kgraph results, Python numbers), tuples kept."""
    if isinstance(value, (tuple, list, dict)):
        return tree.map_structure(element_array, value)
    return element_array(value)


def ordered_map(fn, iterator, workers: int, autotune: bool = False):
    """``map(fn, iterator)`` computed by up to ``workers`` threads, yielded in input order.

    With ``autotune`` (``num_parallel_calls=AUTOTUNE``) the threads in use follow the demand,
    as tf.data's autotuning sizes a map by its consumer: the time ``fn`` takes per element
    over the time the consumer spends between two elements (a training step), rounded up. A
    training step that already uses the cores then keeps one decoding thread busy, not one per
    core competing with it, and an idle consumer gets them all."""
    if workers <= 1:
        yield from map(fn, iterator)
        return
    pool = ThreadPoolExecutor(workers)
    pending = deque()
    demand = Demand(workers) if autotune else None
    task = demand.timed(fn) if demand else fn
    try:
        for item in iterator:
            pending.append(pool.submit(task, item))
            # autotuned: as many in flight as threads wanted (the prefetch after a map keeps
            # the lookahead); else twice the threads, so none idles between elements
            if len(pending) >= (demand.threads() if demand else 2 * workers):
                result = pending.popleft().result()
                with demand.consumer() if demand else contextlib.nullcontext():
                    yield result
        while pending:
            yield pending.popleft().result()
    finally:
        for future in pending:
            future.cancel()
        pool.shutdown(wait=True)


class Demand:
    """Running means of a map's time per element and of its consumer's time between
    elements; :meth:`threads` is the parallelism that keeps up with the consumer."""

    def __init__(self, workers: int):
        self.workers, self.work, self.wait = workers, None, 0.0

    @staticmethod
    def _mean(old, new):
        return new if old is None else 0.7 * old + 0.3 * new

    def timed(self, fn):
        def run(item):
            start = time.perf_counter()
            try:
                return fn(item)
            finally:
                self.work = self._mean(self.work, time.perf_counter() - start)

        return run

    @contextlib.contextmanager
    def consumer(self):
        """Around a ``yield``: the time until the consumer asks for the next element."""
        start = time.perf_counter()
        yield
        self.wait = self._mean(self.wait, time.perf_counter() - start)

    def threads(self) -> int:
        if self.work is None or self.wait <= 0:
            return self.workers
        return max(1, min(self.workers, math.ceil(self.work / self.wait)))


def stack(elements: list):
    """Stacks a list of same-structure elements leaf by leaf along a new first axis."""
    first = elements[0]
    columns = zip(*(tree.flatten(e) for e in elements))
    stacked = []
    for column in columns:
        shapes = {np.shape(leaf) for leaf in column}
        if len(shapes) > 1:
            raise ValueError(
                f"batch() needs elements of one shape to stack; received shapes "
                f"{sorted(shapes)}. Resize or pad the elements first (e.g. with map)."
            )
        stacked.append(element_array(np.stack(column)))
    return tree.pack_like(first, stacked)


def batched(iterator, batch_size: int, drop_remainder: bool):
    while True:
        chunk = list(itertools.islice(iterator, batch_size))
        if not chunk or (drop_remainder and len(chunk) < batch_size):
            return
        yield stack(chunk)


def unbatched(iterator):
    for element in iterator:
        leaves = tree.flatten(element)
        sizes = {len(np.asarray(leaf)) for leaf in leaves}
        if len(sizes) != 1:
            raise ValueError(f"unbatch needs leaves of one first-axis size; got sizes {sizes}.")
        for i in range(sizes.pop()):
            yield tree.pack_like(element, [element_array(np.asarray(leaf)[i]) for leaf in leaves])


def shuffled(iterator, buffer_size: int, rng):
    """tf.data's buffer shuffle: each output is a random element of a buffer refilled from the
    input (``buffer_size`` -1 / AUTOTUNE buffers everything)."""
    if buffer_size < 1:
        buffer = list(iterator)
        for i in rng.permutation(len(buffer)):
            yield buffer[i]
        return
    buffer = list(itertools.islice(iterator, buffer_size))
    for item in iterator:
        i = int(rng.integers(len(buffer)))
        yield buffer[i]
        buffer[i] = item
    for i in rng.permutation(len(buffer)):
        yield buffer[i]


def take(iterator, count: int):
    return itertools.islice(iterator, count)


def skip(iterator, count: int):
    if count < 0:
        return iter(())
    return itertools.islice(iterator, count, None)


def repeated(dataset, count: int):
    for _ in itertools.count() if count < 0 else range(count):
        empty = True
        for element in dataset:
            empty = False
            yield element
        if empty:
            return


_DONE = object()


class _Failure:
    def __init__(self, error):
        self.error = error


def prefetched(iterator, size: int):
    """Runs ``iterator`` in a background thread, ``size`` elements ahead of the consumer."""
    slots = queue.Queue(maxsize=size)
    stop = threading.Event()

    def produce():
        try:
            for item in iterator:
                while not stop.is_set():
                    try:
                        slots.put(item, timeout=0.1)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    return
            slots.put(_DONE)
        except BaseException as error:  # re-raised in the consumer
            slots.put(_Failure(error))
        finally:
            close = getattr(iterator, "close", None)
            if close is not None:
                close()

    thread = threading.Thread(target=produce, daemon=True, name="kgraph-prefetch")
    thread.start()
    try:
        while True:
            item = slots.get()
            if item is _DONE:
                return
            if isinstance(item, _Failure):
                raise item.error
            yield item
    finally:
        stop.set()
        while thread.is_alive():
            with contextlib.suppress(queue.Empty):
                slots.get(timeout=0.05)
        thread.join()


class Cache:
    """``Dataset.cache``: the first complete pass is recorded (and written to ``filename`` when
    one is given); later passes replay it."""

    def __init__(self, dataset, filename: str):
        self.dataset, self.filename, self.elements = dataset, str(filename or ""), None

    def _load(self):
        if self.elements is None and self.filename and os.path.exists(self.filename):
            with open(self.filename, "rb") as f:
                self.elements = pickle.load(f)

    def __call__(self, _index):
        self._load()
        if self.elements is not None:
            return iter(self.elements)
        return self._record()

    def _record(self):
        recorded = []
        for element in self.dataset:
            recorded.append(element)
            yield element
        self.elements = recorded
        if self.filename:
            with open(self.filename, "wb") as f:
                pickle.dump(recorded, f)
