"""The nested weights dictionary behind ``KerasFileEditor``: read from, and written back to,
Keras 3's ``.weights.h5`` layout, and compared with a model's own layout.

A file's ``<path>/vars/<i>`` datasets become ``{"<path parts>": {..., "<i>": array}}``: the
``vars`` level is dropped, empty groups are skipped, as Keras' editor does, so that an edited
dictionary can be written back object by object.
"""

from __future__ import annotations

import math

import numpy as np

from kgraph.saving.h5_layout import layout
from kgraph.saving.weights_io import optimizer_variables

#: Arrays declaring more than this are refused (Keras' editor limit).
_MAX_BYTES = 1 << 32


def _checked_array(dataset, path: str) -> np.ndarray:
    """The dataset's value, after the checks Keras makes before reading one."""
    if dataset.external:
        raise ValueError(f"Not allowed: H5 file Dataset with external links: {dataset.external}")
    if dataset.is_virtual:
        raise ValueError(f"Not allowed: H5 file with virtual Dataset at {path}")
    shape = dataset.shape or ()
    if any(dim < 0 for dim in shape):
        raise ValueError(
            "Malformed HDF5 dataset shape encountered in .keras file; negative dimension detected."
        )
    if len(shape) > 64:
        raise ValueError(
            "Malformed HDF5 dataset shape encountered in .keras file; "
            "tensor rank exceeds safety limit."
        )
    size = math.prod(shape) * dataset.dtype.itemsize
    if size > _MAX_BYTES:
        raise ValueError(
            f"HDF5 dataset too large to load safely ({size} bytes; limit is {_MAX_BYTES})."
        )
    return dataset[()]


def _refuse_link(group, key: str) -> None:
    import h5py

    kind = group.get(key, default=None, getclass=True, getlink=True)
    if kind in (h5py.ExternalLink, h5py.SoftLink):
        raise ValueError(f"Not allowed: H5 file with {kind.__name__}")


def extract(group, metadata: dict | None = None, inner_path: str = "") -> tuple[dict, dict]:
    """``(weights dict, {object path: attributes})`` of an open h5 group."""
    import h5py

    metadata = {} if metadata is None else metadata
    attrs = dict(group.attrs.items())
    if attrs:
        metadata[inner_path] = attrs
    result: dict = {}
    for key in group:
        path = f"{inner_path}/{key}"
        _refuse_link(group, key)
        value = group[key]
        if isinstance(value, h5py.Group):
            if len(value) == 0:
                continue
            if "vars" in value:
                _refuse_link(value, "vars")
                value = value["vars"]
                if not isinstance(value, h5py.Group) or len(value) == 0:
                    continue
            result[key], metadata = extract(value, metadata, path)
        elif isinstance(value, h5py.Dataset):
            result[key] = _checked_array(value, path)
    return result, metadata


def write(weights: dict, h5, inner_path: str = "") -> None:
    """Writes ``weights`` into the open h5 file: each object's arrays under ``<path>/vars``
    (the root's under ``vars``); an object with no arrays leaves no group."""
    arrays = {}
    for name, value in weights.items():
        if isinstance(value, dict):
            if value:
                write(value, h5, f"{inner_path}/{name}" if inner_path else name)
        else:
            arrays[name] = value
    if arrays:
        group = h5.require_group(f"{inner_path}/vars" if inner_path else "vars")
        for name, value in arrays.items():
            group.create_dataset(str(name), data=np.asarray(value))


def model_spec(model) -> dict:
    """The nested ``{path part: {weight index: shape}}`` the model would save (its optimizer's
    variables under ``optimizer`` when it has any); objects with no variables are left out."""
    spec: dict = {}
    entries = [(path, variables) for path, _, variables in layout(model)]
    entries.append(("optimizer", optimizer_variables(model)))
    for path, variables in entries:
        if not variables:
            continue
        node = spec
        for part in [p for p in path.split("/") if p]:
            node = node.setdefault(part, {})
        for i, variable in enumerate(variables):
            node[str(i)] = tuple(variable.shape)
    return spec


def compare(
    target: dict, reference: dict, names: tuple, report, checked: set, prefix="", counts=(0, 0)
):
    """``(errors, matches)`` of ``reference``'s entries against ``target``'s; each mismatch is
    reported once (``checked`` holds the paths already reported).

    Counts are kept as Keras keeps them: a nested object starts from its parent's running
    counts, which are added again to the parent's (so ``match_count`` and ``error_count``
    equal Keras' on the same file and model, not the number of weights).
    """
    target_name, ref_name = names
    errors, matches = counts
    for key, ref in reference.items():
        path = f"{prefix}/{key}"
        if path in checked:
            continue
        if key not in target:
            errors += 1
            checked.add(path)
            kind = "Object" if isinstance(ref, dict) else "Weight"
            report(f"...{kind} {path} present in {ref_name}, missing from {target_name}")
            if isinstance(ref, dict):
                report(f"    In {ref_name}, {path} contains the following keys: {list(ref)}")
        elif isinstance(ref, dict):
            sub = target[key] if isinstance(target[key], dict) else {}
            e, m = compare(sub, ref, names, report, checked, path, (errors, matches))
            errors, matches = errors + e, matches + m
        elif _shape(target[key]) != _shape(ref):
            errors += 1
            checked.add(path)
            report(
                f"...Weight shape mismatch for {path}\n    In {ref_name}: shape={_shape(ref)}"
                f"\n    In {target_name}: shape={_shape(target[key])}"
            )
        else:
            matches += 1
    return errors, matches


def _shape(value) -> tuple:
    return tuple(value) if isinstance(value, tuple) else tuple(np.shape(value))


def structure_lines(weights: dict, metadata: dict, prefix: str = "  ", path: str = "") -> list:
    """The tree ``summary()`` prints: objects (with their saved name) and weight shapes."""
    lines = []
    items = list(weights.items())
    for i, (key, value) in enumerate(items):
        connector = "> " if not path and i == 0 else ("└─ " if i == len(items) - 1 else "├─ ")
        inner = f"{path}/{key}"
        if isinstance(value, dict):
            label = f"{prefix}{connector}{key}"
            name = metadata.get(inner, {}).get("name")
            if name is not None:
                label += f" ('{name}')"
            lines.append(label)
            child_prefix = prefix + ("    " if i == len(items) - 1 else "│   ")
            lines += structure_lines(value, metadata, child_prefix, inner)
        else:
            array = np.asarray(value)
            lines.append(f"{prefix}{connector}{key}: shape={array.shape}, dtype={array.dtype}")
    return lines
