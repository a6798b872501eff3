"""From a model's layer DAG to ONNX: trace the layers into IR, then hand the IR to the compiler."""

from __future__ import annotations

import json

import onnx_ir as ir

from kgraph import trace as tracing_
from kgraph.compiler import compile_inference, serde
from kgraph.compiler.builder import DEFAULT_OPSET, GraphBuilder
from kgraph.layers import masking_support
from kgraph.layers.preprocessing.contract import input_contract
from kgraph.tensor import KerasTensor
from kgraph.utils import tree
from kgraph.version import __version__


def trace_model(
    model, batch_size=None, opset=None, training=False, mark_outputs=True, collect_losses=False
):
    """Replays ``model`` with IR-backed tensors; returns the builder, the trace and the outputs.

    Graph inputs are named after the model's ``Input``s and outputs after its output layers
    (marked as graph outputs unless ``mark_outputs`` is False); node names start with the
    model's name (``model/block_1/conv2d/Conv``). The batch axis stays dynamic
    (``batch``) unless ``batch_size`` is given. With ``collect_losses`` the trace gathers the
    layers' activity penalties (``trace.losses``). ``trace.output_masks`` holds each
    output's Keras mask value (or None).
    """
    builder = GraphBuilder(name=model.name, opset=opset or DEFAULT_OPSET)
    trace = tracing_.Trace(builder, training=training, collect_losses=collect_losses)
    specs = model._trace_inputs()
    with tracing_.tracing(trace):
        feeds = []
        for name, spec in zip(model.input_names, specs):
            shape = (batch_size or spec.shape[0], *spec.shape[1:])
            value = builder.input(name, shape, spec.dtype)
            feeds.append(KerasTensor(shape, spec.dtype, name=name, value=value))
        structure = getattr(model, "_inputs_struct", None)
        inputs = (
            tree.pack_like(structure, feeds)
            if structure is not None
            else (feeds[0] if len(feeds) == 1 else feeds)
        )
        with builder.scope(model.name, type(model).__name__, root=True):
            results = tree.flatten(model.call(inputs))
            outputs = [out._value for out in results]
    trace.output_masks = [output_mask(out) for out in results]
    if mark_outputs:
        outputs = [builder.output(out, name) for name, out in zip(model.output_names, outputs)]
    return builder, trace, outputs


def output_mask(output):
    """The IR value of an output's Keras mask (a bool tensor computed from the inputs), or
    None: the training step weights the masked entries 0 (see ``masking_support``)."""
    mask = masking_support.get_mask(output)
    value = getattr(mask, "_value", None)
    if value is not None and value.shape is None:
        value.shape = ir.Shape(list(mask.shape))
    return value


def metadata(model) -> dict[str, str]:
    """Model metadata stored in the ONNX file: producer, the Keras-style config, the input
    contract and, when the model has a ``class_names`` attribute, the class names."""
    try:
        config = json.dumps(
            {"class_name": type(model).__name__, "config": model.get_config()}, default=str
        )
    except (TypeError, ValueError, NotImplementedError):
        config = "{}"
    meta = {"producer": "kgraph", "kgraph_version": __version__, "keras_config": config}
    class_names = getattr(model, "class_names", None)  # e.g. set from a dataset's class_names
    if class_names is not None:
        meta["class_names"] = json.dumps([str(name) for name in class_names])
    specs = model._trace_inputs()
    contract = input_contract(getattr(model, "layers", []), specs)
    if contract is None:  # no preprocessing: the inputs' dtypes and shapes are the contract
        contract = {
            "inputs": [
                {
                    "name": name,
                    "dtype": spec.dtype,
                    "shape": [d if isinstance(d, int) else None for d in spec.shape],
                }
                for name, spec in zip(model.input_names, specs)
            ],
            "preprocessing": [],
            "value_range": None,
        }
    meta["input_contract"] = json.dumps(contract)
    return meta


def doc_string(model, meta: dict[str, str]) -> str:
    """A few readable lines for viewers (Netron shows the model's doc_string first)."""
    layers = [
        layer for layer in getattr(model, "layers", []) if type(layer).__name__ != "InputLayer"
    ]
    lines = [
        f"{type(model).__name__} model '{model.name}' ({len(layers)} layers), "
        f"exported by kgraph {__version__}.",
    ]
    contract = json.loads(meta.get("input_contract", "{}"))
    for entry in contract.get("inputs", []):
        shape = ", ".join("batch" if d is None else str(d) for d in entry.get("shape", []))
        layout = f" {entry['layout']}" if entry.get("layout") else ""
        lines.append(f"Input '{entry.get('name')}': {entry.get('dtype')} [{shape}]{layout}.")
    if contract.get("preprocessing"):
        lines.append(f"Preprocessing in the graph: {', '.join(contract['preprocessing'])}.")
    if contract.get("value_range") is not None:
        lines.append(f"Raw value range: {contract['value_range']}.")
    if "class_names" in meta:
        lines.append(f"Classes: {', '.join(json.loads(meta['class_names']))}.")
    return "\n".join(lines)


def inference_bytes(model, batch_size=None, opset=None) -> bytes:
    """Serialized inference graph of ``model``."""
    builder, _, _ = trace_model(model, batch_size=batch_size, opset=opset, training=False)
    meta = metadata(model)
    ir_model = compile_inference(builder.graph, meta, producer_version=__version__)
    ir_model.doc_string = doc_string(model, meta)
    return serde.to_bytes(ir_model)
