"""Reading and writing a model's variables in Keras 3's ``.weights.h5`` layout.

Loading is all or nothing: every array is read and checked against its variable (count,
shape, a plain numeric dataset, no links out of the file) before the first one is assigned,
so a damaged or mismatched file leaves the model as it was. Values go through the variables'
public ``numpy()`` / ``assign()``, which keep training state in step.
"""

from __future__ import annotations

import warnings

import numpy as np

from kgraph.saving.h5_layout import layout, vars_group_path


class WeightsFileError(ValueError):
    """A weights file that cannot be read (damaged, truncated, not HDF5, unsafe content)."""


def optimizer_variables(model) -> list:
    """The optimizer's variables as Keras saves them (empty when it exposes none)."""
    optimizer = getattr(model, "optimizer", None)
    return list(getattr(optimizer, "variables", None) or []) if optimizer is not None else []


def _value(variable) -> np.ndarray:
    return np.asarray(variable.numpy() if hasattr(variable, "numpy") else variable)


def write_weights(h5, model, include_optimizer: bool = True) -> None:
    """Writes every variable of ``model`` (and its optimizer) into the open h5 file."""
    for path, name, variables in layout(model):
        group = h5.create_group(vars_group_path(path))
        group.attrs["name"] = name
        for i, variable in enumerate(variables):
            group.create_dataset(str(i), data=_value(variable))
    optimizer = getattr(model, "optimizer", None)
    if include_optimizer and optimizer is not None:
        group = h5.create_group("optimizer/vars")
        group.attrs["name"] = str(getattr(optimizer, "name", "optimizer"))
        for i, variable in enumerate(optimizer_variables(model)):
            group.create_dataset(str(i), data=_value(variable))


#: A dataset declaring more than this, and far more than the file stores, is refused.
_BOMB_FLOOR_BYTES, _MAX_EXPANSION = 1 << 32, 1000


def safe_child(parent, path: str, kind: str):
    """``parent[path]`` (``kind`` "group" or "dataset"), or None when absent; every step must
    be stored in the file: soft and external links are refused, as Keras refuses them."""
    import h5py

    current = parent
    for part in path.split("/"):
        if not part:
            raise WeightsFileError(f"invalid path '{path}' in the weights file")
        if not isinstance(current, h5py.Group) or part not in current:
            return None
        link = current.get(part, getlink=True)
        if not isinstance(link, h5py.HardLink):
            raise WeightsFileError(f"'{current.name}/{part}' is a link out of the stored data")
        current = current[part]
    expected = h5py.Group if kind == "group" else h5py.Dataset
    if not isinstance(current, expected):
        raise WeightsFileError(f"'{current.name}' is not a {kind}")
    return current


def read_dataset(group, key: str, expected_shape=None) -> np.ndarray:
    """``group[key]`` as an array: stored in the file (no links, external or virtual data),
    numeric, of a plausible size, and of ``expected_shape`` (checked before reading)."""
    dataset = safe_child(group, key, "dataset")
    if dataset is None:
        raise WeightsFileError(f"'{group.name}/{key}' is missing")
    if dataset.external or dataset.is_virtual:
        raise WeightsFileError(f"'{dataset.name}' keeps its data outside the file")
    if dataset.dtype.kind not in "biuf":
        raise WeightsFileError(f"'{dataset.name}' holds {dataset.dtype}, not numbers")
    if expected_shape is not None and tuple(dataset.shape) != tuple(expected_shape):
        raise ValueError(
            f"expected shape {tuple(expected_shape)}, received saved weight with shape "
            f"{tuple(dataset.shape)}"
        )
    declared = int(np.prod(dataset.shape, dtype=np.int64)) * dataset.dtype.itemsize
    if declared > _BOMB_FLOOR_BYTES and declared > _MAX_EXPANSION * dataset.id.get_storage_size():
        raise WeightsFileError(f"'{dataset.name}' declares an implausible size")
    return np.asarray(dataset[()])


def _group(h5, path: str):
    return safe_child(h5, vars_group_path(path), "group")


def _numbered_keys(group) -> list[str]:
    return sorted((k for k in group if k.isdigit()), key=int) if group is not None else []


def _plan_object(h5, path: str, name: str, variables: list) -> list:
    group = _group(h5, path)
    keys = _numbered_keys(group)
    if len(keys) != len(variables):
        raise ValueError(
            f"Layer '{name}' expected {len(variables)} variables, but received {len(keys)} "
            f"variables during loading. Expected: {[v.name for v in variables]}"
        )
    plan = []
    for i, variable in enumerate(variables):
        try:
            value = read_dataset(group, str(i), variable.shape)
        except WeightsFileError:
            raise
        except ValueError as exc:
            raise ValueError(f"Weight '{variable.path}' of layer '{name}': {exc}") from None
        plan.append((variable, value))
    return plan


def read_weights(h5, model, skip_mismatch: bool = False, include_optimizer: bool = True):
    """Reads every variable of ``model`` from the open h5 file, then assigns them all.

    Raises:
        ValueError: listing the objects that could not be loaded (with ``skip_mismatch``
            they are skipped with a warning instead).
        WeightsFileError: for a file whose content is unsafe or damaged.
    """
    plan, errors = [], []
    for path, name, variables in layout(model):
        try:
            plan += _plan_object(h5, path, name, variables)
        except WeightsFileError:
            raise
        except ValueError as exc:
            errors.append((name, str(exc)))
    if errors:
        message = (
            f"A total of {len(errors)} objects could not be loaded. Example error message for "
            f"object '{errors[0][0]}': {errors[0][1]}. List of objects that could not be "
            f"loaded: {[name for name, _ in errors]}"
        )
        if not skip_mismatch:
            raise ValueError(message)
        warnings.warn(message, stacklevel=3)
    optimizer_arrays = _optimizer_arrays(h5) if include_optimizer else None
    for variable, value in plan:
        variable.assign(value)
    if optimizer_arrays:
        load_optimizer_state(model, optimizer_arrays)


def _optimizer_arrays(h5) -> list[np.ndarray] | None:
    group = _group(h5, "optimizer")
    keys = _numbered_keys(group)
    return [read_dataset(group, key) for key in keys] if keys else None


def load_optimizer_state(model, arrays: list[np.ndarray]) -> None:
    """Hands the saved optimizer variables to ``optimizer.load_variables`` (when the model's
    optimizer has it); a mismatch is warned about and skipped, as Keras does."""
    load = getattr(getattr(model, "optimizer", None), "load_variables", None)
    if load is None:
        return
    try:
        load(arrays)
    except (ValueError, TypeError, IndexError) as exc:
        warnings.warn(f"Skipping variable loading for the optimizer: {exc}", stacklevel=3)
