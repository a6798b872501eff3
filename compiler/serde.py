"""IR ↔ ONNX protobuf: the one module of the compiler that imports ``onnx``.

It fixes the ``ir_version`` (onnx 1.23 writes 14 by default, which onnxruntime 1.31/1.32 refuse),
fills ``value_info`` for every intermediate edge through ONNX shape inference, attaches metadata
and checks the result. Failures of the checker or of shape inference, and files that are not
ONNX models, are raised as :class:`InvalidModelError`, so callers need not import ``onnx``.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import tempfile
from collections.abc import Mapping

import onnx
import onnx_ir as ir

IR_VERSION = 10  # understood by every onnxruntime from 1.17 on; opsets up to 23 are allowed
PRODUCER = "kgraph"


class InvalidModelError(Exception):
    """An ONNX model that the checker or shape inference rejects, or bytes that are not one."""


def to_model(
    graph: ir.Graph, metadata: Mapping[str, str] | None = None, producer_version: str = ""
) -> ir.Model:
    """Wraps ``graph`` in a model with kgraph's producer, IR version and metadata."""
    return ir.Model(
        graph,
        ir_version=IR_VERSION,
        producer_name=PRODUCER,
        producer_version=producer_version,
        metadata_props=dict(metadata or {}),
    )


def to_proto(model: ir.Model, infer_shapes: bool = True, check: bool = True) -> onnx.ModelProto:
    """Serializes ``model``; with ``infer_shapes`` every intermediate edge gets a value_info."""
    proto = ir.serde.serialize_model(model)
    try:
        if infer_shapes:
            proto = onnx.shape_inference.infer_shapes(proto, strict_mode=True, data_prop=True)
        if check:
            onnx.checker.check_model(proto, full_check=True)
    except (onnx.checker.ValidationError, onnx.shape_inference.InferenceError) as exc:
        raise InvalidModelError(str(exc)) from exc
    return proto


def to_bytes(model: ir.Model, infer_shapes: bool = True, check: bool = True) -> bytes:
    """Serialized ONNX bytes of ``model``."""
    return to_proto(model, infer_shapes, check).SerializeToString()


def infer_shapes(model: ir.Model) -> ir.Model:
    """Returns ``model`` with shapes and dtypes filled in on every value (ONNX inference)."""
    proto = onnx.shape_inference.infer_shapes(ir.serde.serialize_model(model), data_prop=True)
    return ir.serde.deserialize_model(proto)


TEMP_PREFIX = ".kgraph-"  # temporaries are ``.kgraph-<pid>-<random>.tmp`` (or a folder)


def remove_stale_temporaries(folder: str) -> None:
    """Removes kgraph's temporaries in ``folder`` left by a writer that no longer runs (one
    killed with SIGKILL mid-write); a live process' are left alone."""
    try:
        names = os.listdir(folder)
    except OSError:
        return
    for name in names:
        match = re.fullmatch(r"\.kgraph-(\d+)-[^/]*\.tmp", name)
        if match is None or _alive(int(match.group(1))):
            continue
        path = os.path.join(folder, name)
        with contextlib.suppress(OSError):
            if os.path.isdir(path) and not os.path.islink(path):
                shutil.rmtree(path)
            else:
                os.unlink(path)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # it exists but belongs to someone else
        return True
    return True


def save_bytes(data: bytes, path: str | os.PathLike) -> None:
    """Writes ``data`` to ``path`` atomically: a temporary file in the same folder, then rename.

    A symbolic link is written through (its target is replaced, the link stays). An existing
    path that is not a regular file (``/dev/null``, a named pipe) is written in place: renaming
    over it would replace the device or pipe itself.
    """
    path = os.path.realpath(os.fspath(path))
    if os.path.exists(path) and not os.path.isfile(path):
        with open(path, "wb") as f:
            f.write(data)
        return
    folder = os.path.dirname(path)
    remove_stale_temporaries(folder)
    fd, tmp = tempfile.mkstemp(prefix=f"{TEMP_PREFIX}{os.getpid()}-", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes 0600; give the usual mode of a new file
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def load(path_or_bytes: str | os.PathLike | bytes) -> ir.Model:
    """Loads an ONNX model from a path or bytes into the IR (external data stays on disk).

    Raises:
        InvalidModelError: if the bytes do not parse as an ONNX model with a graph, an IR
            version and an opset.
        OSError: if the file cannot be read.
    """
    if isinstance(path_or_bytes, bytes):
        data = path_or_bytes
    else:
        with open(path_or_bytes, "rb") as file:
            data = file.read()
    try:
        proto = onnx.load_from_string(data)
    except Exception as exc:  # protobuf's DecodeError, or onnx's own errors
        reason = " ".join(str(exc).split()) or "cannot parse"
        raise InvalidModelError(f"not an ONNX model ({reason})") from exc
    if not proto.ir_version or not proto.HasField("graph") or not proto.opset_import:
        raise InvalidModelError("not an ONNX model (no graph, IR version or opset)")
    model = ir.serde.deserialize_model(proto)
    if not isinstance(path_or_bytes, bytes):  # external data paths are relative to the file
        ir.external_data.set_base_dir(model.graph, os.path.dirname(os.fspath(path_or_bytes)))
    return model
