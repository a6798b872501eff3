"""Training artifacts for other ONNX Runtime bindings (C++, C#, Java, JS, plain Python).

``export_training_artifacts(model, outdir)`` writes the step, eval and inference graphs, the
initial state (``initial_state.npz``) and ``training_spec.json``, which says which outputs feed
which inputs. Anything that can run an ONNX model can train from these files.
"""

from __future__ import annotations

import json
import os
import tempfile

import numpy as np

from compiler import serde


def _atomic_write(path: str, data: bytes) -> None:
    serde.save_bytes(data, path)


def export_training_artifacts(model, outdir) -> dict[str, str]:
    """Writes the artifacts of a compiled model into ``outdir``; returns the written paths."""
    from kgraph.models.programs import TrainingSetup

    if not getattr(model, "compiled", False):
        raise ValueError(f"Model '{model.name}' is not compiled: call model.compile(optimizer=..., "
                         "loss=...) before exporting training artifacts.")
    outdir = os.fspath(outdir)
    os.makedirs(outdir, exist_ok=True)
    setup = model._training_setup or TrainingSetup(model, model._output_train_specs,
                                                   model.optimizer, "cpu")
    step, evaluation = setup.step, setup.eval
    inputs = {name: spec for name, spec in _describe_inputs(step).items()}
    spec = {
        "format": "kgraph-training/1",
        "step_model": "step.onnx", "eval_model": "eval.onnx", "inference_model": "inference.onnx",
        "initial_state": "initial_state.npz",
        "batch_inputs": step.batch_inputs, "scalar_inputs": step.scalar_inputs,
        "state": step.state, "fetch": step.fetch, "metrics": step.metric_names,
        "eval_state": evaluation.state, "eval_fetch": evaluation.fetch,
        "inputs": inputs,
        "learning_rate": float(model.optimizer.learning_rate),
        "notes": "Feed batch_inputs, scalar_inputs (lr; step = 1-based iteration count) and every "
                 "state input; after each run feed state[name]'s output back as input `name`.",
    }
    paths = {}
    files = {"step.onnx": step.to_bytes(), "eval.onnx": evaluation.to_bytes(),
             "inference.onnx": model.to_onnx_bytes()}
    for name, data in files.items():
        paths[name] = os.path.join(outdir, name)
        _atomic_write(paths[name], data)
    state = setup.engine.get_state() if model._training_setup is setup else step.initial_state
    fd, tmp = tempfile.mkstemp(suffix=".npz", dir=outdir)
    os.close(fd)
    np.savez(tmp, **state)
    paths["initial_state.npz"] = os.path.join(outdir, "initial_state.npz")
    os.replace(tmp, paths["initial_state.npz"])
    paths["training_spec.json"] = os.path.join(outdir, "training_spec.json")
    _atomic_write(paths["training_spec.json"], json.dumps(spec, indent=2).encode())
    return paths


def _describe_inputs(program) -> dict[str, dict]:
    result = {}
    for value in program.model.graph.inputs:
        dims = [d if isinstance(d, int) else None for d in value.shape] if value.shape else None
        result[value.name] = {"shape": dims, "dtype": value.dtype.numpy().name}
    return result
