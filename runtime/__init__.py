"""kgraph's runtime: run ONNX models with onnxruntime and numpy alone.

This package is embedded in services, so it imports only the standard library, numpy and
onnxruntime (never onnx, onnxscript, kgraph or the compiler).

* :class:`Session`: a checked onnxruntime session (path or bytes, device selection).
* :class:`Predictor`: thread-safe batched inference (metadata, warm-up, single examples).
* :class:`MicroBatcher`: joins concurrent requests to a Predictor into batches.
* :class:`ModelMetadata`: class names, input contract and config an ONNX file records.
* :class:`RunError`: onnxruntime failed during a run (one line: the inputs and its message).
* :class:`TrainingEngine` and :class:`StepSpec`: training steps with device-resident state.
* :class:`Evaluator`: eval models run on a training engine's live state.
* :func:`resolve_providers`: ``"auto" | "cpu" | "cuda"`` to onnxruntime providers.
"""

from kgraph.runtime.batcher import MicroBatcher
from kgraph.runtime.engine import TrainingEngine
from kgraph.runtime.evaluator import Evaluator
from kgraph.runtime.metadata import ModelMetadata
from kgraph.runtime.predictor import Predictor
from kgraph.runtime.providers import default_session_options, provider_options, resolve_providers
from kgraph.runtime.session import RunError, Session
from kgraph.runtime.step_spec import StepSpec

__all__ = [
    "Evaluator",
    "MicroBatcher",
    "ModelMetadata",
    "Predictor",
    "RunError",
    "Session",
    "StepSpec",
    "TrainingEngine",
    "default_session_options",
    "provider_options",
    "resolve_providers",
]
