"""Model files for the checkpointing callbacks, written atomically.

``model.save`` and ``model.save_weights`` already write through
:mod:`kgraph.saving.atomic` (a temporary file in the same folder, fsynced, then renamed over the
target), and the ONNX graph goes through the same helper, so a process killed during a save
leaves the previous file intact: either the old file or the new one, never a torn one.
"""

from __future__ import annotations

import os

from kgraph.saving.atomic import atomic_write_bytes

#: What a checkpoint can be, by extension (``.weights.h5`` is tested before ``.h5``, the
#: legacy whole-model file Keras still writes).
EXTENSIONS = (".weights.h5", ".keras", ".h5", ".onnx")


def extension(filepath: str) -> str | None:
    """The checkpoint extension of ``filepath``, or None."""
    return next((ext for ext in EXTENSIONS if filepath.endswith(ext)), None)


def write_model_file(model, filepath: str, weights_only: bool = False) -> None:
    """Saves ``model`` to ``filepath`` by extension, atomically: ``.keras`` and ``.h5`` with
    ``model.save``, ``.weights.h5`` with ``model.save_weights``, ``.onnx`` the inference graph
    (``model.to_onnx_bytes()``, as ``model.export`` writes it)."""
    ext = extension(filepath)
    if ext is None:
        raise ValueError(
            "The checkpoint filepath must end in `.keras`, `.h5`, `.weights.h5` or `.onnx`. "
            f"Received: filepath={filepath}"
        )
    folder = os.path.dirname(filepath)
    if folder:
        os.makedirs(folder, exist_ok=True)
    if ext == ".onnx":
        atomic_write_bytes(filepath, model.to_onnx_bytes())
    elif weights_only or ext == ".weights.h5":
        model.save_weights(filepath, overwrite=True)
    else:
        model.save(filepath, overwrite=True)
