"""What an ONNX file says about itself, read through onnxruntime (no ``onnx`` package needed).

kgraph writes ``metadata_props`` when it exports a model: ``producer``, ``kgraph_version``,
``keras_config`` (the Keras-style config as JSON), ``input_contract`` (JSON, for models that
start with preprocessing: per input dtype, shape and NHWC/NCHW layout, the preprocessing layers
and the raw value range such as ``[0, 255]``) and ``class_names`` (a JSON list). A service reads
them here to label outputs and to decode image uploads the way the model expects; files from
other exporters simply have fewer fields.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import onnxruntime as ort

IMAGE_LAYOUTS = ("NHWC", "NCHW")


def _json(text: str | None) -> Any:
    """Parses a JSON property; a property that is not JSON is kept as the raw string."""
    if text is None:
        return None
    try:
        return json.loads(text)
    except ValueError:
        return text


@dataclass(frozen=True)
class ModelMetadata:
    """A model's self-description.

    Attributes:
        producer: ``producer_name`` of the file (``"kgraph"`` for kgraph's exports).
        version: the kgraph version that wrote the file, when recorded.
        description: the model's ``doc_string``.
        properties: every ``metadata_props`` entry, as raw strings.
        config: the Keras-style config (``{"class_name", "config"}``), or None.
        input_contract: what raw inputs the graph expects (see the module docstring), or None.
        class_names: labels of the output classes, or None when unknown.
    """

    producer: str = ""
    version: str = ""
    description: str = ""
    properties: dict[str, str] = field(default_factory=dict)
    config: dict | None = None
    input_contract: dict | None = None
    class_names: list[str] | None = None

    @classmethod
    def from_session(cls, session: ort.InferenceSession) -> ModelMetadata:
        """Reads the metadata of an onnxruntime session's model."""
        meta = session.get_modelmeta()
        props = dict(meta.custom_metadata_map)
        config = _json(props.get("keras_config"))
        contract = _json(props.get("input_contract"))
        names = _json(props.get("class_names"))
        if not (isinstance(names, list) and all(isinstance(n, str) for n in names)):
            names = None
        return cls(
            producer=meta.producer_name,
            version=props.get("kgraph_version", ""),
            description=meta.description,
            properties=props,
            config=config if isinstance(config, dict) and config else None,
            input_contract=contract if isinstance(contract, dict) else None,
            class_names=names,
        )

    def image_input(self, name: str) -> dict | None:
        """The contract entry of input ``name`` when it is an image (rank 4 with a layout)."""
        entries = (self.input_contract or {}).get("inputs") or []
        for entry in entries:
            if (
                isinstance(entry, dict)
                and entry.get("layout") in IMAGE_LAYOUTS
                and entry.get("name") in (name, None)
            ):
                return entry
        return None

    def value_range(self) -> list[float] | None:
        """The raw value range the contract declares (e.g. ``[0, 255]``), or None."""
        found = (self.input_contract or {}).get("value_range")
        return [float(v) for v in found] if isinstance(found, list) and len(found) == 2 else None

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready view (what ``GET /v1/metadata`` of ``kgraph serve`` returns)."""
        return {
            "producer": self.producer,
            "version": self.version,
            "description": self.description,
            "class_names": self.class_names,
            "input_contract": self.input_contract,
            "config": self.config,
            "properties": {
                k: v
                for k, v in self.properties.items()
                if k not in ("keras_config", "input_contract", "class_names")
            },
        }
