"""Checking and converting targets and sample weights before any training starts."""

from __future__ import annotations

import numpy as np


def prepare_labels(y, output_shape: tuple, loss_name: str | None, output_name: str) -> np.ndarray:
    """Returns ``y`` in the dtype and shape the step graph expects, or raises one clear line."""
    y = np.asarray(y)
    if y.dtype.kind not in "biuf":
        raise ValueError(
            f"Targets for output '{output_name}' must be numeric. Received dtype {y.dtype}."
        )
    if loss_name and (
        "sparse" in loss_name or loss_name == "categorical_generalized_cross_entropy"
    ):
        classes = output_shape[-1]
        if y.ndim == len(output_shape) and y.shape[-1] == 1:
            y = y.reshape(y.shape[:-1])
        if y.ndim != len(output_shape) - 1:
            raise ValueError(
                f"{loss_name} expects integer class labels of shape "
                f"{(None, *output_shape[1:-1])} for output '{output_name}' of shape "
                f"{output_shape}. Received labels of shape {y.shape}."
            )
        if y.dtype.kind == "f" and not np.all(np.isfinite(y) & (y == np.round(y))):
            raise ValueError(
                f"{loss_name} expects integer class labels; received non-integer "
                f"values for output '{output_name}'."
            )
        labels = y.astype(np.int64)
        if labels.size and (labels.min() < 0 or (classes and labels.max() >= classes)):
            bad = labels.min() if labels.min() < 0 else labels.max()
            raise ValueError(
                f"Label {bad} is out of range for {loss_name}: output "
                f"'{output_name}' has {classes} classes "
                f"(valid labels 0..{classes - 1})."
            )
        return labels
    if loss_name in ("ctc", "circle"):  # integer ids shaped by the labels, not the output
        return (y.reshape(len(y)) if loss_name == "circle" else y).astype(np.int64)
    y = y.astype(np.float32)
    expected = output_shape[1:]
    if y.ndim == 1 and expected == (1,):
        y = y[:, None]
    matches = len(y.shape) == len(expected) + 1 and all(
        want is None or got == want for got, want in zip(y.shape[1:], expected)
    )  # a None dimension (e.g. an RNN's unknown time length) takes any size
    if not matches:
        raise ValueError(
            f"Targets for output '{output_name}' must have shape "
            f"{(None, *expected)}; received {y.shape}."
        )
    return y


def class_weights_to_sample_weight(y: np.ndarray, class_weight: dict) -> np.ndarray:
    """Per-sample weights from ``class_weight`` (labels, or the argmax of one-hot targets).

    Classes missing from ``class_weight`` get weight 1, as in Keras.
    """
    labels = (
        y
        if y.ndim == 1 or y.dtype.kind in "iu"
        else (np.argmax(y, axis=-1) if y.shape[-1] > 1 else np.round(y[..., 0]).astype(int))
    )
    labels = np.asarray(labels).reshape(len(y), -1)[:, 0].astype(int)
    return np.asarray([class_weight.get(c, 1.0) for c in labels.tolist()], np.float32)


def prepare_targets(y, sample_weight, class_weight, specs, shapes):
    """Targets and per-sample weights for ``fit``/``evaluate``, checked against the outputs.

    Args:
        y: One array, or a list or dict (by output name) of arrays for several outputs.
        sample_weight: Per-sample weights or None.
        class_weight: ``{class: weight}`` or None (single-output models only).
        specs: The compiled ``OutputSpec`` of every output.
        shapes: The outputs' symbolic shapes.

    Returns:
        ``(labels per output, float32 sample weights or None)``.
    """
    ys = y if isinstance(y, (list, tuple)) and len(specs) > 1 else [y]
    if isinstance(y, dict):
        ys = [y[s.name] for s in specs]
    if len(ys) != len(specs):
        raise ValueError(f"Model has {len(specs)} outputs but y has {len(ys)} entries.")
    ys = [
        prepare_labels(v, shape, s.loss["name"] if s.loss else None, s.name)
        for v, shape, s in zip(ys, shapes, specs)
    ]
    if sample_weight is not None:
        sample_weight = np.asarray(sample_weight, np.float32).reshape(-1)
    if class_weight:
        if sample_weight is not None or len(ys) > 1:
            raise ValueError(
                "class_weight needs a single-output model and no "
                "sample_weight (you cannot pass both)."
            )
        sample_weight = class_weights_to_sample_weight(ys[0], class_weight)
    return ys, sample_weight
