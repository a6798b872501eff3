"""Checking and converting targets and sample weights before any training starts."""

from __future__ import annotations

import numpy as np

from kgraph.models.sample_weights import check_rank


def prepare_labels(
    y, output_shape: tuple, loss_name: str | None, output_name: str, any_shape: bool = False
) -> np.ndarray:
    """Returns ``y`` in the dtype and shape the step graph expects, or raises one clear line.
    With ``any_shape`` (only the user's code reads the targets: a custom loss or metric, a
    ``compute_loss`` override) float32 targets of another shape are kept as given, as Keras
    hands them to that code (class labels for a softmax output)."""
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
    if any_shape and y.ndim == len(expected) + 2 and y.shape[-1] == 1:
        y = y[..., 0]  # a column for an output without that axis: Keras squeezes it
    matches = _fits(y, expected)  # a None dimension (an RNN's time length) takes any size
    if not matches and any_shape and y.ndim >= 1:
        return y
    if not matches:
        hint = ""
        if loss_name == "traced":  # Keras hands a user loss targets of any shape
            hint = (
                " The output's built-in metrics read targets shaped like it: pass class "
                "labels one-hot (keras.utils.to_categorical), or write those metrics as "
                "functions of (y_true, y_pred)."
            )
        raise ValueError(
            f"Targets for output '{output_name}' must have shape "
            f"{(None, *expected)}; received {y.shape}.{hint}"
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


def _used(spec) -> bool:
    """Whether a loss or a metric reads the output's targets."""
    return spec.loss is not None or bool(spec.metrics)


def user_code_only(spec) -> bool:
    """Whether only the user's code reads the output's targets (a custom loss, custom metrics,
    a ``compute_loss`` override; ``"accuracy"`` follows the targets): then they may have any
    shape, as in Keras."""
    from kgraph.metrics import ACCURACY_NAMES

    if spec.loss is not None and spec.loss["name"] != "traced":
        return False
    return all(
        m.get("traced") is not None or m["name"] in ("override_targets", *ACCURACY_NAMES)
        for m in spec.metrics
    )


def _targets_by_name(y: dict, specs) -> list:
    """Targets of a dict keyed by output name; outputs that no loss or metric reads may be
    left out, as in Keras."""
    missing = [s.name for s in specs if s.name not in y and _used(s)]
    if missing:
        raise ValueError(
            f"y has no targets for outputs {missing}: a dict of targets is keyed by the "
            f"model's output names {[s.name for s in specs]}. Received: y keys {list(y)}"
        )
    return [y.get(s.name) for s in specs]


def _per_output_weights(sample_weight, specs) -> list | None:
    """``sample_weight`` given per output (a dict by output name, or a list of arrays for a
    model with several outputs), as a list in output order; None for one array."""
    if isinstance(sample_weight, dict):
        unknown = [k for k in sample_weight if k not in [s.name for s in specs]]
        if unknown:
            raise ValueError(
                f"sample_weight has keys {unknown} that are not outputs {[s.name for s in specs]}."
            )
        return [sample_weight.get(s.name) for s in specs]
    several = isinstance(sample_weight, (list, tuple)) and len(specs) > 1
    if several and any(np.ndim(w) > 0 or w is None for w in sample_weight):
        if len(sample_weight) != len(specs):
            raise ValueError(
                f"sample_weight has {len(sample_weight)} entries for {len(specs)} outputs."
            )
        return list(sample_weight)
    return None


def _one_sample_weight(sample_weight, specs):
    """The one weight array the graphs take: ``(samples,)`` per sample (``(samples, 1)`` too),
    or ``(samples, *extra)`` per loss element. Per-output weights are accepted when every
    output that a loss or weighted metric reads gets the same weights (outputs nothing reads
    may get any): the training graph has a single ``sample_weight`` input."""
    per_output = _per_output_weights(sample_weight, specs)
    if per_output is not None:
        read = [
            None if w is None else np.asarray(w, np.float32)
            for w, s in zip(per_output, specs)
            if s.loss is not None or any(m.get("weighted") for m in s.metrics)
        ]
        given = [w for w in read if w is not None]
        same = [w is not None and np.array_equal(_flat(w), _flat(given[0])) for w in read]
        if given and not all(same):
            named = [s.name for s, w in zip(specs, per_output) if w is not None]
            raise ValueError(
                "kgraph takes one sample_weight array for all outputs: per-output weights "
                "must be the same for every output with a loss or weighted metric. Received: "
                f"different weights for outputs {named}"
            )
        sample_weight = given[0] if given else None
    if sample_weight is None:
        return None
    return _flat(np.asarray(sample_weight, np.float32))  # per element (timestep): kept


def _flat(weights: np.ndarray) -> np.ndarray:
    """Per-sample weights as ``(samples,)`` (a column too), per-element ones as given."""
    per_sample = weights.ndim <= 1 or int(np.prod(weights.shape[1:])) == 1
    return weights.reshape(-1) if per_sample else weights


def prepare_targets(y, sample_weight, class_weight, specs, shapes, n=0):
    """Targets and per-sample weights for ``fit``/``evaluate``, checked against the outputs.

    Args:
        y: One array, or a list or dict (by output name) of arrays for several outputs.
        sample_weight: Per-sample (or per-element) weights or None.
        class_weight: ``{class: weight}`` or None (single-output models only).
        specs: The compiled ``OutputSpec`` of every output.
        shapes: The outputs' symbolic shapes.
        n: The number of samples (the length of targets no loss or metric reads).

    Returns:
        ``(labels per output, float32 sample weights or None)``: the weights are
        ``(samples,)``, or ``(samples, *extra)`` when given per element.
    """
    ys = y if isinstance(y, (list, tuple)) and len(specs) > 1 else [y]
    if y is None:  # fine when no loss or metric reads targets (a model with added losses)
        ys = [None] * len(specs)
        if any(_used(s) for s in specs):
            raise ValueError(
                "fit() and evaluate() need targets: pass y (or a dataset of (x, y) batches)."
            )
    elif isinstance(y, dict):
        ys = _targets_by_name(y, specs)
    used = [i for i, s in enumerate(specs) if _used(s)]
    if len(ys) != len(specs) and len(ys) == len(used):  # targets of the outputs with a loss
        placed = [None] * len(specs)  # (loss=[fn, None] and one y, as Keras maps them)
        for index, target in zip(used, ys):
            placed[index] = target
        ys = placed
    if len(ys) != len(specs):
        raise ValueError(f"Model has {len(specs)} outputs but y has {len(ys)} entries.")
    size = next((len(v) for v, s in zip(ys, specs) if _used(s) and v is not None), n)
    ys = [
        prepare_labels(v, shape, s.loss["name"] if s.loss else None, s.name, user_code_only(s))
        if _used(s)
        else np.zeros(size, np.float32)  # no loss nor metric reads it: Keras ignores it
        for v, shape, s in zip(ys, shapes, specs)
    ]
    sample_weight = _one_sample_weight(sample_weight, specs)
    if sample_weight is not None:
        used = [(s, shape) for s, shape in zip(specs, shapes) if _used(s)]
        check_rank(sample_weight, [u[0] for u in used], [u[1] for u in used])
    if class_weight:
        if sample_weight is not None or len(ys) > 1:
            raise ValueError(
                "class_weight needs a single-output model and no "
                "sample_weight (you cannot pass both)."
            )
        sample_weight = class_weights_to_sample_weight(ys[0], class_weight)
    return ys, sample_weight


def label_shapes(specs, ys, shapes) -> dict:
    """``{output name: (None, *dims)}`` of the targets that the user's code reads in another
    shape than the output's (their label input takes that shape)."""
    found = {}
    for spec, y, shape in zip(specs, ys, shapes):
        if _used(spec) and user_code_only(spec) and not _fits(y, shape[1:]):
            found[spec.name] = (None, *y.shape[1:])
    return found


def _fits(y, expected) -> bool:
    """Whether targets ``y`` have the output's shape (a None dimension takes any size)."""
    return y.ndim == len(expected) + 1 and all(
        want is None or got == want for got, want in zip(y.shape[1:], expected)
    )


def to_rank(y, shape):
    """Targets the user's code reads as given, fitted to the rank the graph's label input took
    (``shape``; None: as prepared) by a trailing axis of 1: validation labels given as a
    column while training labels were not, or the other way."""
    if shape is None or y.ndim == len(shape):
        return y
    if y.ndim == len(shape) + 1 and y.shape[-1] == 1:
        return y[..., 0]
    return y[..., None] if y.ndim == len(shape) - 1 and shape[-1] == 1 else y
