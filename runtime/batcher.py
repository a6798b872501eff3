"""Micro-batching: many small concurrent requests run as few larger batches.

A service gets requests of a sample or a few at a time, from many threads (or an event loop).
Running each alone leaves most of a CPU's vector units or a GPU idle; :class:`MicroBatcher`
queues them, and one worker thread joins what arrived within ``max_wait_ms`` (up to
``max_batch_size`` samples) into one run, then hands every caller its own rows back.

Requests are checked when submitted, so a malformed one fails at once in its caller and never
joins a batch. Requests whose arrays differ beyond axis 0 (models with free spatial dims) run
in separate batches. If onnxruntime fails on a joined batch, its requests are retried one by
one, so one bad request cannot fail the others.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from concurrent.futures import Future

import numpy as np

from kgraph.runtime.predictor import Inputs, Predictor


class _Request:
    __slots__ = ("feeds", "future", "key", "rows")

    def __init__(self, feeds: dict[str, np.ndarray], rows: int):
        self.feeds = feeds
        self.rows = rows
        self.future: Future = Future()
        self.key = tuple((n, a.dtype.str, a.shape[1:]) for n, a in sorted(feeds.items()))


class MicroBatcher:
    """Joins concurrent requests to one :class:`Predictor` into batches.

    Args:
        predictor: the predictor to run (safe to share: the batcher only calls ``predict``).
        max_batch_size: most samples per run; 1 turns batching off (requests still queue).
        max_wait_ms: how long the first request of a batch waits for others to join.

    Example:
        >>> batcher = MicroBatcher(Predictor("model.onnx", warmup=True))  # doctest: +SKIP
        >>> y = batcher.predict(x)  # from any thread  # doctest: +SKIP
        >>> batcher.close()  # doctest: +SKIP
    """

    def __init__(self, predictor: Predictor, max_batch_size: int = 32, max_wait_ms: float = 2.0):
        if isinstance(max_batch_size, bool) or not isinstance(max_batch_size, int):
            raise ValueError(f"max_batch_size must be an int >= 1. Received: {max_batch_size!r}")
        if max_batch_size < 1:
            raise ValueError(f"max_batch_size must be an int >= 1. Received: {max_batch_size!r}")
        if not isinstance(max_wait_ms, (int, float)) or not 0 <= max_wait_ms <= 60_000:
            raise ValueError(f"max_wait_ms must be from 0 to 60000. Received: {max_wait_ms!r}")
        self.predictor = predictor
        self.max_batch_size = max_batch_size
        self.max_wait = max_wait_ms / 1000
        self._queue: deque[_Request] = deque()
        self._ready = threading.Condition()
        self._closed = False
        self.batches = 0  # runs so far, and the samples they held (read by /metrics)
        self.samples = 0
        self._thread = threading.Thread(target=self._work, name="kgraph-batcher", daemon=True)
        self._thread.start()

    def submit(self, inputs: Inputs) -> Future:
        """Queues a batch of samples (axis 0) and returns a future of its outputs.

        The future's result is what :meth:`Predictor.predict` would return for ``inputs``.

        Raises:
            ValueError, TypeError: at once, if ``inputs`` do not fit the model.
            RuntimeError: if the batcher is closed.
        """
        feeds = self.predictor.checked_feeds(inputs)
        counts = {a.shape[0] for a in feeds.values() if a.ndim}
        if len(counts) > 1:
            raise ValueError(f"All inputs must have the same number of samples; got {counts}.")
        request = _Request(feeds, counts.pop() if counts else 0)
        with self._ready:
            if self._closed:
                raise RuntimeError("The MicroBatcher is closed.")
            self._queue.append(request)
            self._ready.notify()
        return request.future

    def predict(self, inputs: Inputs, timeout: float | None = None) -> np.ndarray | list:
        """Submits ``inputs`` and waits for the result (blocking)."""
        return self.submit(inputs).result(timeout)

    def close(self) -> None:
        """Stops the worker after the queued requests ran."""
        with self._ready:
            self._closed = True
            self._ready.notify()
        self._thread.join()

    def __enter__(self) -> MicroBatcher:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _take(self) -> list[_Request] | None:
        """Waits for a first request, then for more of the same key until the batch is full
        or ``max_wait`` passed. None once closed and drained."""
        with self._ready:
            while not self._queue:
                if self._closed:
                    return None
                self._ready.wait()
            first = self._queue.popleft()
            taken, rows = [first], first.rows
            deadline = time.monotonic() + self.max_wait
            while rows < self.max_batch_size:
                match = next((r for r in self._queue if r.key == first.key), None)
                if match is not None and rows + match.rows <= self.max_batch_size:
                    self._queue.remove(match)
                    taken.append(match)
                    rows += match.rows
                    continue
                left = deadline - time.monotonic()
                if match is not None or left <= 0 or self._closed:
                    break
                self._ready.wait(left)
            return taken

    def _work(self) -> None:
        while (taken := self._take()) is not None:
            taken = [r for r in taken if r.future.set_running_or_notify_cancel()]
            if not taken:  # every caller gave up (a client that disconnected)
                continue
            self.batches += 1
            self.samples += sum(r.rows for r in taken)
            if len(taken) == 1:
                _run_one(self.predictor, taken[0])
                continue
            try:
                joined = {
                    name: np.concatenate([r.feeds[name] for r in taken]) for name in taken[0].feeds
                }
                results = self.predictor.predict(joined, batch_size=None)
                outputs = results if isinstance(results, list) else [results]
                total = sum(r.rows for r in taken)
                if any(o.ndim == 0 or o.shape[0] != total for o in outputs):
                    raise ValueError("outputs do not follow the batch axis")
            except Exception:  # one request may be at fault: run them alone
                for request in taken:
                    _run_one(self.predictor, request)
                continue
            start = 0
            for request in taken:
                parts = [o[start : start + request.rows] for o in outputs]
                start += request.rows
                request.future.set_result(parts if isinstance(results, list) else parts[0])


def _run_one(predictor: Predictor, request: _Request) -> None:
    try:
        request.future.set_result(predictor.predict(request.feeds, batch_size=None))
    except Exception as exc:
        request.future.set_exception(exc)
