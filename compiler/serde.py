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


#: Initializers larger than this (bytes) reach shape inference without their data.
LARGE_INITIALIZER = 1024


def to_proto(model: ir.Model, infer_shapes: bool = True, check: bool = True) -> onnx.ModelProto:
    """Serializes ``model``; with ``infer_shapes`` every intermediate edge gets a value_info."""
    return onnx.ModelProto.FromString(to_bytes(model, infer_shapes, check))


def to_bytes(model: ir.Model, infer_shapes: bool = True, check: bool = True) -> bytes:
    """Serialized ONNX bytes of ``model``.

    The weights make up nearly all of a model's bytes but matter to neither shape inference
    nor the checker's graph checks, and protobuf copies them at each step (upb also takes
    seconds to serialize one 100 MB message, against milliseconds for its pieces). So shape
    inference (strict, with type checks: the checker's ``full_check``) runs on the model without
    the large initializers' data, the bytes are written piecewise, and the checker reads those
    bytes once.
    """
    proto = ir.serde.serialize_model(model)
    raw_data = _take_raw_data(proto)
    try:
        if infer_shapes:  # what the checker's full_check adds, on the light model
            proto = onnx.shape_inference.infer_shapes(
                proto, check_type=True, strict_mode=True, data_prop=True
            )
        data = _serialize_with_raw_data(proto, raw_data)
        if check:
            onnx.checker.check_model(data, full_check=not infer_shapes)
    except (onnx.checker.ValidationError, onnx.shape_inference.InferenceError) as exc:
        raise InvalidModelError(str(exc)) from exc
    return data


#: Element types whose large initializers are taken out for shape inference: weights. Integer
#: constants (gather indices, frame positions) stay whole, since ``data_prop`` reads them.
_WEIGHT_TYPES = frozenset(
    [
        onnx.TensorProto.FLOAT,
        onnx.TensorProto.DOUBLE,
        onnx.TensorProto.FLOAT16,
        onnx.TensorProto.BFLOAT16,
    ]
)


def _take_raw_data(proto: onnx.ModelProto) -> list[bytes | None]:
    """Removes the raw data of the main graph's large floating-point initializers from
    ``proto``; returns it, one entry per initializer (None for those left whole)."""
    taken: list[bytes | None] = []
    for tensor in proto.graph.initializer:
        raw = tensor.raw_data
        if len(raw) > LARGE_INITIALIZER and tensor.data_type in _WEIGHT_TYPES:
            taken.append(raw)
            tensor.ClearField("raw_data")
        else:
            taken.append(None)
    return taken


def _serialize_with_raw_data(proto: onnx.ModelProto, raw_data: list[bytes | None]) -> bytes:
    """``proto`` serialized with its main graph's initializers (raw data put back) appended to
    the graph's own bytes, in one ``graph`` field: a message's fields may come in any order,
    and readers that keep only the last occurrence of a field (Netron) see the whole graph."""
    initializers = proto.graph.initializer
    if len(initializers) != len(raw_data):
        raise InvalidModelError("Shape inference changed the initializers.")
    pieces: list[bytes] = []
    for tensor, raw in zip(initializers, raw_data):
        head = tensor.SerializeToString()
        tail = [] if raw is None else [_key(_RAW_DATA, 2), _varint(len(raw)), raw]
        size = len(head) + sum(len(p) for p in tail)
        pieces += [_key(_INITIALIZER, 2), _varint(size), head, *tail]
    del initializers[:]
    graph = proto.graph.SerializeToString()
    proto.ClearField("graph")
    graph_size = len(graph) + sum(len(p) for p in pieces)
    head = [proto.SerializeToString(), _key(_GRAPH, 2), _varint(graph_size), graph]
    return b"".join([*head, *pieces])


_GRAPH = onnx.ModelProto.DESCRIPTOR.fields_by_name["graph"].number
_INITIALIZER = onnx.GraphProto.DESCRIPTOR.fields_by_name["initializer"].number
_RAW_DATA = onnx.TensorProto.DESCRIPTOR.fields_by_name["raw_data"].number


def _varint(value: int) -> bytes:
    out = bytearray()
    while value > 0x7F:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def _key(field: int, wire_type: int) -> bytes:
    return _varint(field << 3 | wire_type)


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
