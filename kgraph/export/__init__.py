"""``kgraph.export``: Keras' ``ExportArchive``, writing ONNX endpoints (see
:mod:`kgraph.export.export_archive`)."""

from kgraph.export.export_archive import ExportArchive

__all__ = ["ExportArchive"]
