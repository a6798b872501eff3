"""TensorBoard records built without TensorFlow: scalars, histograms, images, the Keras model
config and the graph, as protocol buffers from the ``tensorboard`` package (its own writer,
``EventFileWriter``, puts them into event files).

The graph is the model's ONNX inference graph turned into a TensorBoard ``GraphDef``: one node
per ONNX node (op type, inputs, attributes as text, output shapes), one ``Placeholder`` per
graph input and one ``Const`` per weight, so TensorBoard's graph view shows the layer scopes
(``dense/MatMul`` ...) that kgraph's node names carry.
"""

from __future__ import annotations

import json
import struct
import time
import zlib

import numpy as np
from tensorboard.compat.proto import (
    attr_value_pb2,
    event_pb2,
    graph_pb2,
    node_def_pb2,
    summary_pb2,
    tensor_pb2,
    tensor_shape_pb2,
    types_pb2,
)
from tensorboard.plugins.histogram.summary_v2 import histogram_pb
from tensorboard.plugins.scalar.summary_v2 import scalar_pb

from kgraph.compiler import serde


def scalar_event(tag: str, value, step: int) -> event_pb2.Event:
    return _event(scalar_pb(tag, float(value)), step)


def histogram_event(tag: str, values: np.ndarray, step: int) -> event_pb2.Event:
    return _event(histogram_pb(tag, np.asarray(values, np.float64).ravel()), step)


def _event(summary: summary_pb2.Summary, step: int) -> event_pb2.Event:
    return event_pb2.Event(wall_time=time.time(), step=int(step), summary=summary)


def _string_tensor(values: list[bytes], shape: list[int]) -> tensor_pb2.TensorProto:
    dims = [tensor_shape_pb2.TensorShapeProto.Dim(size=s) for s in shape]
    return tensor_pb2.TensorProto(
        dtype=types_pb2.DT_STRING,
        tensor_shape=tensor_shape_pb2.TensorShapeProto(dim=dims),
        string_val=values,
    )


def png_bytes(image: np.ndarray) -> bytes:
    """An 8-bit grey, RGB or RGBA PNG of an (h, w, c) uint8 array (zlib, no image library)."""
    height, width, channels = image.shape
    color = {1: 0, 3: 2, 4: 6}[channels]
    rows = b"".join(b"\x00" + image[i].tobytes() for i in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, color, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def image_event(tag: str, images: np.ndarray, step: int, max_outputs: int = 3):
    """A TensorBoard v2 image summary of ``images`` (k, h, w, c) as ``tf.summary.image`` writes
    it: floats taken as [0, 1] (saturated), at most ``max_outputs`` images."""
    pixels = np.clip(np.round(np.asarray(images, np.float64) * 255.0), 0, 255).astype(np.uint8)
    pixels = pixels[:max_outputs]
    height, width = pixels.shape[1:3]
    encoded = [png_bytes(p) for p in pixels]
    metadata = summary_pb2.SummaryMetadata(
        plugin_data=summary_pb2.SummaryMetadata.PluginData(plugin_name="images")
    )
    tensor = _string_tensor(
        [str(width).encode(), str(height).encode(), *encoded], [2 + len(pixels)]
    )
    value = summary_pb2.Summary.Value(tag=tag, metadata=metadata, tensor=tensor)
    return _event(summary_pb2.Summary(value=[value]), step)


def keras_model_event(model) -> event_pb2.Event | None:
    """The model's config as JSON under the ``keras`` tag (TensorBoard's conceptual graph)."""
    try:
        text = json.dumps({"class_name": type(model).__name__, "config": model.get_config()})
    except (TypeError, ValueError, NotImplementedError):
        return None
    metadata = summary_pb2.SummaryMetadata(
        plugin_data=summary_pb2.SummaryMetadata.PluginData(
            plugin_name="graph_keras_model", content=b"1"
        )
    )
    value = summary_pb2.Summary.Value(
        tag="keras", metadata=metadata, tensor=_string_tensor([text.encode()], [])
    )
    return _event(summary_pb2.Summary(value=[value]), 0)


def _shape_attr(values) -> attr_value_pb2.AttrValue:
    shapes = []
    for value in values:
        if value is None or value.shape is None:
            shapes.append(tensor_shape_pb2.TensorShapeProto(unknown_rank=True))
            continue
        dims = [d if isinstance(d, int) else -1 for d in value.shape]
        shapes.append(
            tensor_shape_pb2.TensorShapeProto(
                dim=[tensor_shape_pb2.TensorShapeProto.Dim(size=d) for d in dims]
            )
        )
    return attr_value_pb2.AttrValue(list=attr_value_pb2.AttrValue.ListValue(shape=shapes))


def onnx_graph_def(onnx_bytes: bytes) -> graph_pb2.GraphDef:
    """A TensorBoard ``GraphDef`` of an ONNX model's main graph (see the module docstring)."""
    graph = serde.load(onnx_bytes).graph
    nodes, source = [], {}
    for value, op in [(v, "Placeholder") for v in graph.inputs] + [
        (v, "Const") for v in graph.initializers.values()
    ]:
        source[id(value)] = value.name
        nodes.append(
            node_def_pb2.NodeDef(
                name=value.name, op=op, attr={"_output_shapes": _shape_attr([value])}
            )
        )
    for index, node in enumerate(graph):
        name = node.name or f"{node.op_type}_{index}"
        for k, out in enumerate(node.outputs):
            source[id(out)] = name if k == 0 else f"{name}:{k}"
        attrs = {
            key: attr_value_pb2.AttrValue(s=str(a.value).encode())
            for key, a in node.attributes.items()
        }
        attrs["_output_shapes"] = _shape_attr(node.outputs)
        inputs = [source.get(id(v), v.name) for v in node.inputs if v is not None]
        nodes.append(node_def_pb2.NodeDef(name=name, op=node.op_type, input=inputs, attr=attrs))
    return graph_pb2.GraphDef(node=nodes)


def graph_event(onnx_bytes: bytes) -> event_pb2.Event:
    return event_pb2.Event(
        wall_time=time.time(), graph_def=onnx_graph_def(onnx_bytes).SerializeToString()
    )
