"""Table-driven tests of ``kgraph.ops`` (eager, inside a model, and as exported ONNX)."""
