"""``kgraph predict``: run an ONNX file over a ``.npy``/``.npz`` of samples, streaming.

The input ``.npy`` is memory-mapped and its pages are dropped once a batch ran; each batch's
outputs are appended to a temporary ``.npy`` (``.kgraph-<pid>-*.tmp`` beside the output) whose
header is written from the first batch, and the file is renamed over the output at the end. So
the peak memory stays near one batch plus the interpreter and onnxruntime, whatever the number
of samples, and a failed run leaves no file. Outputs that do not follow the batch axis, or
that change shape between batches, or hold strings, are gathered in memory instead.

Only the runtime, numpy and the CLI's file helpers are imported: no onnx, no front end.
"""

from __future__ import annotations

import os
import shutil
import zipfile

import numpy as np

from kgraph.cli_files import LoadError, MappedNpy, check_file, load_arrays, one_line
from kgraph.cli_output import (
    UserError,
    check_output,
    new_temporary,
    replace_with,
    temporary_beside,
)


def resolve_device(device: str) -> tuple[str, str]:
    """``auto`` falls back to the CPU quietly (stderr stays one line); the reason goes to
    stdout as a note."""
    import onnxruntime as ort

    from kgraph.runtime.providers import CUDA, cuda_unavailable_reason

    if device != "auto" or CUDA not in ort.get_available_providers():
        return device, ""
    reason = cuda_unavailable_reason()
    return ("cpu", f"; CUDA not available: {reason}") if reason else ("auto", "")


def _load_predictor(onnx_file: str, device: str):
    from kgraph.runtime import Predictor
    from kgraph.runtime.providers import num_threads

    try:
        num_threads()
    except ValueError as exc:
        raise UserError(str(exc)) from None
    try:
        return Predictor(onnx_file, device=device)
    except ValueError as exc:
        raise UserError(
            f"{onnx_file}: not a loadable ONNX model: {one_line(exc).split(': ', 1)[-1]}"
        ) from None
    except RuntimeError as exc:
        raise UserError(one_line(exc)) from None


def _inputs(input_file: str, names: list[str]):
    """The samples, and the memory maps whose used pages can be released (``.npy`` only)."""
    try:
        check_file(input_file, "a .npy file")
        with open(input_file, "rb") as file:
            is_npy = file.read(6) == b"\x93NUMPY"
        if is_npy:
            mapped = MappedNpy(input_file)
            return mapped.array, [mapped]
        return load_arrays(input_file, names), []
    except LoadError as exc:
        raise UserError(str(exc)) from None
    except (OSError, ValueError) as exc:
        raise UserError(f"cannot read {input_file} as a .npy array: {one_line(exc)}") from None


def predict(onnx_file: str, input_file: str, output: str, device: str, batch_size: int) -> str:
    """Runs the prediction and writes ``output``; returns the summary line."""
    from kgraph.runtime import RunError

    try:
        check_file(onnx_file, "an ONNX file")
        check_file(input_file, "a .npy file")
    except LoadError as exc:
        raise UserError(str(exc)) from None
    check_output(output, onnx_file, input_file)
    device, note = resolve_device(device)
    predictor = _load_predictor(onnx_file, device)
    names = predictor.session.output_names
    as_npz = output.endswith(".npz")
    if len(names) > 1 and not as_npz:
        raise UserError(
            f"the model has {len(names)} outputs ({', '.join(names)}); write them "
            f"to an .npz file (-o {os.path.splitext(output)[0]}.npz)"
        )
    inputs, maps = _inputs(input_file, predictor.session.input_names)
    try:
        batches = predictor.iter_batches(inputs, batch_size=batch_size)
        shapes = _write(batches, maps, _total(inputs), names, output, as_npz)
    except (ValueError, TypeError, RunError) as exc:
        raise UserError(f"{input_file}: {one_line(exc)}") from None
    listed = ", ".join(f"{n} {dtype} {shape}" for n, (dtype, shape) in zip(names, shapes))
    return f"Wrote {output}: {listed} (device {predictor.session.device}{note})"


def _write(batches, maps, total, names, output, as_npz) -> list[tuple[np.dtype, tuple]]:
    """Streams the batches into ``output``; returns each output's dtype and shape."""
    start, first = next(batches)
    rows = first[0].shape[0] if first and first[0].ndim else None
    streamable = all(o.ndim and o.shape[0] == rows and o.dtype != object for o in first)
    if not streamable or total is None or not _is_file_or_new(output):
        return _write_in_memory([first, *(b for _, b in batches)], names, output, as_npz)
    with temporary_beside(output) as target:
        parts = [target] if not as_npz else []
        try:
            with _Appenders(output, len(names), as_npz, parts) as files:
                for index, out in enumerate(first):
                    files.begin(index, out, total)
                for start, outputs in batches:
                    for index, out in enumerate(outputs):
                        files.append(index, out, names[index])
                    for mapped in maps:
                        mapped.release(start + outputs[0].shape[0])
            if as_npz:
                _zip(target, names, files.paths)
            replace_with(target, output)
        finally:
            for path in parts[1:] if not as_npz else parts:
                if os.path.exists(path):
                    os.unlink(path)
    return [(o.dtype, (total, *o.shape[1:])) for o in first]


def _total(inputs) -> int | None:
    """The number of samples (None when the inputs disagree: the predictor reports that)."""
    arrays = inputs.values() if isinstance(inputs, dict) else [inputs]
    counts = {a.shape[0] for a in arrays if getattr(a, "ndim", 0)}
    return counts.pop() if len(counts) == 1 else None


def _is_file_or_new(path: str) -> bool:
    return not os.path.exists(path) or os.path.isfile(path)


class _Appenders:
    """One open ``.npy`` per output: the header from the first batch, then rows appended."""

    def __init__(self, output: str, count: int, as_npz: bool, parts: list[str]):
        self._output, self._count, self._as_npz, self._parts = output, count, as_npz, parts
        self.paths: list[str] = []
        self._files: list = []
        self._shapes: list[tuple] = []

    def __enter__(self):
        for _ in range(self._count):
            if self._as_npz:
                path = new_temporary(self._output)
                self._parts.append(path)
            else:
                path = self._parts[0]
            self.paths.append(path)
            self._files.append(open(path, "wb"))
        return self

    def begin(self, index: int, out: np.ndarray, total: int) -> None:
        header = {
            "descr": np.lib.format.dtype_to_descr(out.dtype),
            "fortran_order": False,
            "shape": (total, *out.shape[1:]),
        }
        np.lib.format.write_array_header_1_0(self._files[index], header)
        self._shapes.append(out.shape[1:])
        self._files[index].write(np.ascontiguousarray(out).tobytes())

    def append(self, index: int, out: np.ndarray, name: str) -> None:
        if out.shape[1:] != self._shapes[index]:
            raise ValueError(
                f"output '{name}' changes shape between batches ({self._shapes[index]} then "
                f"{out.shape[1:]}); run it in one batch (--batch-size at least the sample count)"
            )
        self._files[index].write(np.ascontiguousarray(out).tobytes())

    def __exit__(self, *exc) -> None:
        for file in self._files:
            file.close()


def _zip(target: str, names: list[str], paths: list[str]) -> None:
    """Packs the per-output ``.npy`` files into an ``.npz`` (stored, as ``np.savez`` does)."""
    with zipfile.ZipFile(target, "w", zipfile.ZIP_STORED, allowZip64=True) as archive:
        for name, path in zip(names, paths, strict=True):
            with open(path, "rb") as src, archive.open(f"{name}.npy", "w", force_zip64=True) as dst:
                shutil.copyfileobj(src, dst, 1 << 20)


def _write_in_memory(chunks, names, output, as_npz) -> list[tuple[np.dtype, tuple]]:
    import io

    from kgraph.cli_output import write

    if len(chunks) == 1:
        results = chunks[0]
    else:
        results = [
            np.concatenate(parts) if parts[0].ndim else np.stack(parts)
            for parts in zip(*chunks, strict=True)
        ]
    # string outputs come back as Python objects: .npy holds them as unicode, without pickle
    results = [np.asarray(r.tolist(), dtype=str) if r.dtype == object else r for r in results]
    buffer = io.BytesIO()
    if as_npz:
        np.savez(buffer, **dict(zip(names, results, strict=True)))
    else:
        np.save(buffer, results[0], allow_pickle=False)
    write(buffer.getvalue(), output)
    return [(r.dtype, tuple(r.shape)) for r in results]
