"""Training artifacts for other ONNX Runtime bindings (C++, C#, Java, JS, plain Python).

``export_training_artifacts(model, outdir)`` writes five files:

- ``step.onnx``: one training step (forward, loss, gradients, optimizer update);
- ``eval.onnx``: loss and metric accumulators, parameters read as inputs;
- ``inference.onnx``: the inference graph (what ``model.export`` writes);
- ``initial_state.npz``: a value for every state input of the step graph (parameters,
  optimizer slots, metric accumulators), the model's current training state;
- ``training_spec.json``: which input is which, and which output feeds which input next step.

Anything that can run an ONNX model can train from these files: feed a batch, ``lr``, ``step``
(the 1-based iteration count) and the state; feed each ``state[name]`` output back as input
``name`` on the next run. Every payload is built in memory first, then all files are written
as one change (``kgraph.models.file_set``): a failure or a kill leaves the folder with the whole
old set or the whole new one.
"""

from __future__ import annotations

import io
import json
import os

import numpy as np

from kgraph.models.file_set import write_file_set
from kgraph.optimizer_iterations import step_count

FILES = ("step.onnx", "eval.onnx", "inference.onnx", "initial_state.npz", "training_spec.json")


def export_training_artifacts(model, outdir) -> dict[str, str]:
    """Writes the training artifacts of a compiled model into ``outdir``.

    Args:
        model: A model on which ``compile()`` was called.
        outdir: The folder to write into; created if missing.

    Returns:
        ``{file name: path}`` for the five files written.

    Raises:
        ValueError: if the model was not compiled, or its training graph cannot be built.
    """
    if not getattr(model, "compiled", False):
        raise ValueError(
            f"Model '{model.name}' is not compiled: call model.compile(optimizer=..., "
            "loss=...) before exporting training artifacts."
        )
    trainer = model._trainer
    programs = trainer.programs()  # synced with the model's current weights
    state = trainer.engine.get_state()
    zeros = programs.metric_state(programs.step)  # the reset accumulators
    state.update({name: value.copy() for name, value in zeros.items()})
    payloads = {
        "step.onnx": programs.step.to_bytes(),
        "eval.onnx": programs.eval_bytes,
        "inference.onnx": model.to_onnx_bytes(),
        "initial_state.npz": _npz_bytes(state),
        "training_spec.json": json.dumps(_spec(model, programs), indent=2).encode(),
    }
    write_file_set(os.fspath(outdir), payloads)
    return {name: os.path.join(os.fspath(outdir), name) for name in FILES}


def export_for_cli(model, model_file: str, outdir, opset=None, batch_size=None) -> list[str]:
    """``kgraph compile MODEL.py --training -o OUTDIR``: prints the summary, writes the
    artifacts and returns the lines to print.

    Raises:
        kgraph.cli_loading.LoadError: with one line, for every problem the user can fix.
    """
    from kgraph.cli_loading import LoadError, one_line

    if opset is not None or batch_size is not None:
        raise LoadError(
            "--opset and --batch-size apply to inference graphs only; leave them out "
            "with --training"
        )
    if not getattr(model, "compiled", False):
        raise LoadError(
            f"{model_file}: model '{model.name}' is not compiled: call "
            "model.compile(optimizer=..., loss=...) in the file to export training "
            "artifacts"
        )
    if model._device == "auto":
        model._device = "cpu"  # exporting needs no accelerator: no CUDA probe, no fallback line
    try:
        paths = export_training_artifacts(model, outdir)
    except OSError as exc:
        raise LoadError(f"cannot write {outdir}: {exc.strerror or exc}") from None
    except (ValueError, NotImplementedError) as exc:
        raise LoadError(
            f"{model_file}: model '{model.name}' cannot be compiled for training: {one_line(exc)}"
        ) from None
    model.summary()
    return [f"Wrote {path} ({os.path.getsize(path):,} bytes)" for path in paths.values()]


def _npz_bytes(arrays: dict[str, np.ndarray]) -> bytes:
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    return buffer.getvalue()


def _spec(model, programs) -> dict:
    step, evaluation = programs.step, programs.eval
    step_state = set(step.state)
    eval_inputs = _describe_inputs(evaluation)
    optimizer = model.optimizer
    return {
        "format": "kgraph-training/1",
        "model": model.name,
        "step_model": "step.onnx",
        "eval_model": "eval.onnx",
        "inference_model": "inference.onnx",
        "initial_state": "initial_state.npz",
        "batch_inputs": step.batch_inputs,
        "scalar_inputs": step.scalar_inputs,
        "state": step.state,
        "fetch": step.fetch,
        "metrics": step.metric_names,
        "losses": {s.name: s.loss and s.loss["name"] for s in model._trainer.specs},
        "parameters": list(programs.changing),
        "metric_state": sorted(programs.metric_state(step)),
        "inputs": _describe_inputs(step),
        "outputs": {
            name: {
                "shape": [d if isinstance(d, int) else None for d in out.shape],
                "dtype": str(out.dtype),
            }
            for name, out in zip(model.output_names, model._output_specs())
        },
        "eval_batch_inputs": evaluation.batch_inputs,
        "eval_state": evaluation.state,
        "eval_fetch": evaluation.fetch,
        "eval_inputs_from_step_state": [n for n in eval_inputs if n in step_state],
        "output_losses": dict(step.output_losses),
        "optimizer": optimizer.spec(),
        "learning_rate": float(optimizer.learning_rate),
        "learning_rate_schedule": _schedule(optimizer),
        "iterations": step_count(optimizer),
        "notes": "Run step_model with batch_inputs (sample_weight: ones for unweighted data), "
        "lr, step (1-based: iterations + 1 for the first run) and every state input "
        "from initial_state; then feed each output state[name] back as input `name`. "
        "Zero metric_state at the start of each epoch. With a learning_rate_schedule, lr "
        "for step k is the schedule at k - 1 (Keras' formulas). eval_model takes "
        "eval_batch_inputs, eval_state (zeros) and eval_inputs_from_step_state.",
    }


def _schedule(optimizer) -> dict | None:
    """``{"class_name", "config"}`` of the optimizer's learning-rate schedule, if it has one."""
    rate = optimizer.learning_rate_schedule
    if rate is None:
        return None
    return {"class_name": type(rate).__name__, "config": rate.get_config()}


def _describe_inputs(program) -> dict[str, dict]:
    result = {}
    for value in program.model.graph.inputs:
        dims = [d if isinstance(d, int) else None for d in value.shape] if value.shape else None
        result[value.name] = {"shape": dims, "dtype": value.dtype.numpy().name}
    return result
