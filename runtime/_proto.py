"""The few protobuf wire-format reads and writes the runtime needs, without the onnx package.

Writing: :func:`field` builds ``ModelProto`` bytes by hand (the CUDA probe model).
Reading: :func:`declared_scalar_inputs` finds the graph inputs declared as rank-0 tensors.
onnxruntime reports both a scalar and a tensor of unknown rank as shape ``[]``, so this is the
only way to check a scalar feed's rank without the onnx package.

Field numbers follow ``onnx.proto``: ModelProto.graph = 7, GraphProto.input = 11,
ValueInfoProto.name = 1 and .type = 2, TypeProto.tensor_type = 1, TypeProto.Tensor.shape = 2,
TensorShapeProto.dim = 1.
"""

from __future__ import annotations

from collections.abc import Iterator

_VARINT, _I64, _LEN, _I32 = 0, 1, 2, 5


def varint(value: int) -> bytes:
    """Encodes a non-negative int as a protobuf varint."""
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if not value:
            out.append(byte)
            return bytes(out)
        out.append(byte | 0x80)


def field(number: int, payload: bytes | int) -> bytes:
    """Encodes one field: an int as a varint, bytes as a length-delimited record."""
    if isinstance(payload, int):
        return varint(number << 3) + varint(payload)
    return varint(number << 3 | _LEN) + varint(len(payload)) + payload


def _read_varint(data: memoryview, pos: int) -> tuple[int, int]:
    result = shift = 0
    while True:
        byte = data[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        if byte < 0x80:
            return result, pos
        shift += 7


def fields(data: memoryview) -> Iterator[tuple[int, memoryview | int]]:
    """Yields ``(field number, value)`` for one message; sub-messages stay undecoded bytes.

    Raises:
        ValueError: on a wire type this reader does not know (groups) or truncated data.
    """
    pos, end = 0, len(data)
    while pos < end:
        key, pos = _read_varint(data, pos)
        number, wire = key >> 3, key & 7
        if wire == _VARINT:
            value, pos = _read_varint(data, pos)
            yield number, value
        elif wire == _LEN:
            length, pos = _read_varint(data, pos)
            if pos + length > end:
                raise ValueError("truncated protobuf message")
            yield number, data[pos : pos + length]
            pos += length
        elif wire in (_I64, _I32):
            pos += 8 if wire == _I64 else 4
        else:
            raise ValueError(f"unsupported protobuf wire type {wire}")


def _sub(data: memoryview, number: int) -> Iterator[memoryview]:
    for num, value in fields(data):
        if num == number and isinstance(value, memoryview):
            yield value


def declared_scalar_inputs(model: bytes) -> set[str]:
    """Names of the graph inputs whose type has a shape with zero dims.

    Args:
        model: a serialized ONNX ``ModelProto``.

    Returns:
        The declared-scalar input names; empty when the bytes cannot be read.
    """
    scalars: set[str] = set()
    try:
        for graph in _sub(memoryview(model), 7):
            for info in _sub(graph, 11):
                name = next((bytes(v).decode() for v in _sub(info, 1)), "")
                for type_proto in _sub(info, 2):
                    for tensor in _sub(type_proto, 1):
                        for shape in _sub(tensor, 2):
                            if not any(num == 1 for num, _ in fields(shape)):
                                scalars.add(name)
    except (ValueError, IndexError, UnicodeDecodeError):
        return set()
    return scalars
