"""Thread-safe batched inference on top of :class:`runtime.session.Session`.

:class:`Predictor` accepts one array, a list of arrays (one per model input) or a dict, splits
the samples along axis 0 into batches, runs them, and concatenates the results. Models whose
batch dimension is fixed (an int in the input shape) get their last partial batch padded with
zeros; the padding rows are sliced off the results.

For services it also reads the model's metadata (:attr:`Predictor.metadata`), warms up at load
(``warmup=True``: one run on zeros, so the first request does not pay for onnxruntime's lazy
allocations), takes one example without its batch axis (:meth:`Predictor.predict_one`) and
streams batches (:meth:`Predictor.iter_batches`: inputs are cast batch by batch, so a
memory-mapped input is never copied whole).
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping, Sequence

import numpy as np
import onnxruntime as ort

from kgraph.runtime._types import cast_same_kind
from kgraph.runtime.metadata import ModelMetadata
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
        warmup: run the model once on zeros now (see :meth:`warm_up`).

    Example:
        >>> predictor = Predictor("model.onnx", device="cpu")  # doctest: +SKIP
        >>> probabilities = predictor.predict(images, batch_size=64)  # doctest: +SKIP
    """

    def __init__(
        self,
        model: Session | str | os.PathLike[str] | bytes,
        device: str = "auto",
        options: ort.SessionOptions | None = None,
        warmup: bool = False,
    ) -> None:
        self._session = model if isinstance(model, Session) else Session(model, device, options)
        self._metadata = ModelMetadata.from_session(self._session.ort_session)
        fixed = {
            name: shape[0]
            for name, shape, _ in self._session.inputs
            if shape and isinstance(shape[0], int)
        }
        if len(set(fixed.values())) > 1:
            raise ValueError(f"The model's inputs disagree on a fixed batch size: {fixed}.")
        self._fixed_batch: int | None = next(iter(fixed.values()), None)
        if warmup:
            self.warm_up()

    @property
    def session(self) -> Session:
        """The underlying :class:`Session`."""
        return self._session

    @property
    def metadata(self) -> ModelMetadata:
        """What the file says about the model: class names, input contract, config."""
        return self._metadata

    def warm_up(self) -> bool:
        """Runs one batch of zeros, so that onnxruntime allocates and plans before the first
        real request. Models with a dimension other than the batch unknown are not warmed up
        (no shape is known to be valid for them).

        Returns:
            True when the model ran.

        Raises:
            RunError: if onnxruntime cannot run the model on zeros of its declared shape.
        """
        feeds = {}
        for name, shape, dtype in self._session.inputs:
            dims = [self._fixed_batch or 1, *shape[1:]] if shape else []
            if not shape or not all(isinstance(d, int) for d in dims) or dtype == "str":
                return False
            try:
                feeds[name] = np.zeros(dims, dtype=dtype)
            except TypeError:  # a dtype numpy lacks (bfloat16)
                return False
        self._session.run(feeds)
        return True

    @property
    def fixed_batch_size(self) -> int | None:
        """The model's fixed batch size, or None when the batch dimension is dynamic."""
        return self._fixed_batch

    def _named(self, inputs: Inputs) -> dict[str, object]:
        """Normalizes the accepted input forms to ``{name: value}`` (nothing cast yet)."""
        names = self._session.input_names
        if isinstance(inputs, Mapping):
            return dict(inputs)
        if isinstance(inputs, np.ndarray):
            if len(names) != 1:
                raise ValueError(
                    f"The model has {len(names)} inputs ({', '.join(names)}); pass a list or "
                    "a dict of arrays, not a single array."
                )
            return {names[0]: inputs}
        if isinstance(inputs, (list, tuple)):
            if len(names) == 1 and not (len(inputs) == 1 and isinstance(inputs[0], np.ndarray)):
                return {names[0]: inputs}  # a nested list holding the one input's samples
            if len(inputs) != len(names):
                raise ValueError(
                    f"The model has {len(names)} inputs ({', '.join(names)}); "
                    f"received a list of {len(inputs)} arrays."
                )
            return dict(zip(names, inputs, strict=True))
        raise TypeError(
            "inputs must be an array, a list of arrays or a dict of arrays. "
            f"Received: {type(inputs).__name__}"
        )

    def _cast(self, name: str, value: object) -> np.ndarray:
        dtypes = {n: dtype for n, _, dtype in self._session.inputs}
        return cast_same_kind(value, dtypes[name]) if name in dtypes else np.asarray(value)

    def checked_feeds(self, inputs: Inputs) -> dict[str, np.ndarray]:
        """``{name: array}`` cast to the model's dtypes and checked (any size along axis 0).

        Raises:
            ValueError, TypeError: naming the input that does not fit, with the expected and
                the received shape and dtype.
        """
        named = {name: self._cast(name, value) for name, value in self._named(inputs).items()}
        return self._session.check_feeds(named, any_batch=True)

    def _probe(self, name: str, array: np.ndarray) -> np.ndarray:
        """A view with ``array``'s shape and the dtype the cast would give, holding no data
        (so that checks and their messages see the real shape without a copy)."""
        dtype = self._cast(name, np.zeros(0, array.dtype)).dtype
        return np.broadcast_to(np.zeros((), dtype), array.shape)

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
            RunError: if onnxruntime fails while running (see :class:`RunError`).
        """
        chunks = [outputs for _, outputs in self.iter_batches(inputs, batch_size)]
        if len(chunks) == 1:
            results = chunks[0]
        else:
            results = [
                np.concatenate(parts) if parts[0].ndim else np.stack(parts)
                for parts in zip(*chunks, strict=True)
            ]
        return results[0] if len(results) == 1 else results

    __call__ = predict

    def predict_one(self, example: Inputs) -> np.ndarray | list[np.ndarray]:
        """Runs one example given without its batch axis; the results have none either.

        Args:
            example: as for :meth:`predict`, with every array lacking axis 0.

        Returns:
            One array for a single-output model, else a list of arrays in output order.
        """
        named = self._named(example)
        batch = {name: np.expand_dims(np.asarray(value), 0) for name, value in named.items()}
        result = self.predict(batch, batch_size=None)
        if isinstance(result, list):
            return [r[0] if r.ndim else r for r in result]
        return result[0] if result.ndim else result

    def iter_batches(
        self, inputs: Inputs, batch_size: int | None = 32
    ) -> Iterator[tuple[int, list[np.ndarray]]]:
        """Yields ``(first sample index, outputs)`` batch after batch.

        Everything is checked before the first run; each batch is cast on its own, so a
        memory-mapped input is read a batch at a time and never copied whole. Inputs declared
        with rank >= 1 are split along axis 0; inputs declared as scalars (or of unknown rank)
        are passed whole to every batch.

        Raises:
            ValueError, TypeError: as :meth:`predict`, before anything runs.
            RunError: if onnxruntime fails on a batch.
        """
        if batch_size is not None and (
            isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1
        ):
            raise ValueError(f"batch_size must be a positive int or None. Received: {batch_size!r}")
        raw = {
            name: value if isinstance(value, np.ndarray) else np.asarray(value)
            for name, value in self._named(inputs).items()
        }
        split = [name for name, shape, _ in self._session.inputs if shape and name in raw]
        whole = {name: self._cast(name, a) for name, a in raw.items() if name not in split}
        probe = {name: self._probe(name, raw[name]) for name in split}
        self._session.check_feeds({**probe, **whole}, any_batch=True)
        if not split:
            yield 0, self._session.run(whole)
            return
        counts = {name: raw[name].shape[0] for name in split}
        if len(set(counts.values())) > 1:
            listed = ", ".join(f"{name}={count}" for name, count in counts.items())
            raise ValueError(
                f"All inputs must have the same number of samples along axis 0. Received: {listed}"
            )
        total = next(iter(counts.values()))
        size = self._fixed_batch or batch_size or max(total, 1)
        for start in range(0, max(total, 1), size):
            rows = min(size, total - start)
            batch = dict(whole)
            for name in split:
                batch[name] = self._cast(name, raw[name][start : start + size])
                if rows < size and self._fixed_batch is not None:
                    batch[name] = _pad(batch[name], size)
            outputs = self._session.run(batch)
            if rows < size and self._fixed_batch is not None:  # drop the padding rows again
                outputs = [out[:rows] if out.ndim else out for out in outputs]
            yield start, outputs


def _pad(array: np.ndarray, size: int) -> np.ndarray:
    """Pads ``array`` with zero rows along axis 0 up to ``size`` rows."""
    padded = np.zeros((size, *array.shape[1:]), dtype=array.dtype)
    padded[: array.shape[0]] = array
    return padded
