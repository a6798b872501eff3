"""Thread-safe batched inference on top of :class:`runtime.session.Session`.

:class:`Predictor` accepts one array, a list of arrays (one per model input) or a dict, splits
the samples along axis 0 into batches, runs them, and concatenates the results. Models whose
batch dimension is fixed (an int in the input shape) get their last partial batch padded with
zeros; the padding rows are sliced off the results.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence

import numpy as np
import onnxruntime as ort

from kgraph.runtime._types import cast_same_kind
from kgraph.runtime.session import Session

Inputs = np.ndarray | Sequence[object] | Mapping[str, object]


class Predictor:
    """Batched, thread-safe inference.

    The predictor keeps no mutable state once built, and onnxruntime sessions accept
    concurrent ``run`` calls, so one instance can serve many threads.

    Args:
        model: a :class:`Session`, a path to an ``.onnx`` file, or the model as bytes.
        device: ``"auto"``, ``"cpu"`` or ``"cuda"``; ignored when ``model`` is a Session.
        options: session options; ignored when ``model`` is a Session.

    Example:
        >>> predictor = Predictor("model.onnx", device="cpu")  # doctest: +SKIP
        >>> probabilities = predictor.predict(images, batch_size=64)  # doctest: +SKIP
    """

    def __init__(
        self,
        model: Session | str | os.PathLike[str] | bytes,
        device: str = "auto",
        options: ort.SessionOptions | None = None,
    ) -> None:
        self._session = model if isinstance(model, Session) else Session(model, device, options)
        fixed = {
            name: shape[0]
            for name, shape, _ in self._session.inputs
            if shape and isinstance(shape[0], int)
        }
        if len(set(fixed.values())) > 1:
            raise ValueError(f"The model's inputs disagree on a fixed batch size: {fixed}.")
        self._fixed_batch: int | None = next(iter(fixed.values()), None)

    @property
    def session(self) -> Session:
        """The underlying :class:`Session`."""
        return self._session

    @property
    def fixed_batch_size(self) -> int | None:
        """The model's fixed batch size, or None when the batch dimension is dynamic."""
        return self._fixed_batch

    def _as_feeds(self, inputs: Inputs) -> dict[str, np.ndarray]:
        """Normalizes the accepted input forms to ``{name: array}`` with the model's dtypes."""
        specs = self._session.inputs
        names = [name for name, _, _ in specs]
        if isinstance(inputs, Mapping):
            raw = dict(inputs)
        elif isinstance(inputs, np.ndarray):
            if len(names) != 1:
                raise ValueError(
                    f"The model has {len(names)} inputs ({', '.join(names)}); pass a list or "
                    "a dict of arrays, not a single array."
                )
            raw = {names[0]: inputs}
        elif isinstance(inputs, (list, tuple)):
            if len(names) == 1 and not (len(inputs) == 1 and isinstance(inputs[0], np.ndarray)):
                raw = {names[0]: inputs}  # a nested list holding the one input's samples
            elif len(inputs) != len(names):
                raise ValueError(
                    f"The model has {len(names)} inputs ({', '.join(names)}); "
                    f"received a list of {len(inputs)} arrays."
                )
            else:
                raw = dict(zip(names, inputs, strict=True))
        else:
            raise TypeError(
                "inputs must be an array, a list of arrays or a dict of arrays. "
                f"Received: {type(inputs).__name__}"
            )
        dtypes = {name: dtype for name, _, dtype in specs}
        return {
            name: cast_same_kind(value, dtypes[name]) if name in dtypes else np.asarray(value)
            for name, value in raw.items()
        }

    def predict(self, inputs: Inputs, batch_size: int | None = 32) -> np.ndarray | list[np.ndarray]:
        """Runs the model over all samples, in batches along axis 0.

        Inputs are converted to the model's dtypes where that is safe (float64 -> float32,
        int -> float); anything else is reported by the session's checks.

        Args:
            inputs: one array (single-input models), a list of arrays in input order, or a
                dict ``{input name: array}``. All must have the same length along axis 0.
            batch_size: samples per run; None runs everything at once. A model with a fixed
                batch dimension always runs batches of that size.

        Returns:
            One array for a single-output model, else a list of arrays in output order.

        Raises:
            ValueError: on inconsistent sample counts, a bad ``batch_size``, or a feed that
                does not fit the model.
        """
        if batch_size is not None and (
            isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1
        ):
            raise ValueError(f"batch_size must be a positive int or None. Received: {batch_size!r}")
        feeds = self._session.check_feeds(self._as_feeds(inputs), any_batch=True)
        results = self._run_batched(feeds, batch_size)
        return results[0] if len(results) == 1 else results

    __call__ = predict

    def _run_batched(
        self, feeds: dict[str, np.ndarray], batch_size: int | None
    ) -> list[np.ndarray]:
        """Splits, runs, pads (fixed batch) and concatenates.

        Inputs declared with rank >= 1 are split along axis 0; inputs declared as scalars (or
        of unknown rank) are passed whole to every batch.
        """
        split = [name for name, shape, _ in self._session.inputs if shape and name in feeds]
        if not split:
            return self._session.run(feeds)
        counts = {name: feeds[name].shape[0] for name in split}
        if len(set(counts.values())) > 1:
            listed = ", ".join(f"{name}={count}" for name, count in counts.items())
            raise ValueError(
                f"All inputs must have the same number of samples along axis 0. Received: {listed}"
            )
        total = next(iter(counts.values()))
        size = self._fixed_batch or batch_size or max(total, 1)
        if self._fixed_batch is None and total <= size:
            return self._session.run(feeds)
        chunks: list[list[np.ndarray]] = []
        for start in range(0, max(total, 1), size):
            rows = min(size, total - start)
            batch = dict(feeds)
            for name in split:
                batch[name] = feeds[name][start : start + size]
                if rows < size and self._fixed_batch is not None:
                    batch[name] = _pad(batch[name], size)
            outputs = self._session.run(batch)
            chunks.append([out[:rows] if out.ndim and rows < size else out for out in outputs])
        if len(chunks) == 1:
            return chunks[0]
        return [
            np.concatenate(parts) if parts[0].ndim else np.stack(parts)
            for parts in zip(*chunks, strict=True)
        ]


def _pad(array: np.ndarray, size: int) -> np.ndarray:
    """Pads ``array`` with zero rows along axis 0 up to ``size`` rows."""
    padded = np.zeros((size, *array.shape[1:]), dtype=array.dtype)
    padded[: array.shape[0]] = array
    return padded
