"""Legacy HDF5 weight files (``.h5``), as Keras 2 wrote them and Keras applications publish
their pretrained weights.

The file (or its ``model_weights`` group, in a whole-model ``.h5``) lists its layers in the
attribute ``layer_names``; each layer's group lists its datasets in ``weight_names``
(``conv1/kernel:0``...), in the legacy order: trainable weights, then non-trainable ones.
Long lists are split over ``layer_names0``, ``layer_names1``... attributes. Layers are matched
by name (``by_name=True``: layers missing from the file or the model are skipped) or by
position among the layers that have weights. Every value is read and checked before any is
assigned.
"""

from __future__ import annotations

import warnings

from kgraph.saving.weights_io import WeightsFileError, read_dataset, safe_child


def attribute_strings(group, name: str) -> list[str]:
    """A list attribute, joined from its chunks when it was split (``name0``, ``name1``...)."""
    if name in group.attrs:
        values = list(group.attrs[name])
    else:
        values, chunk = [], 0
        while f"{name}{chunk}" in group.attrs:
            values += list(group.attrs[f"{name}{chunk}"])
            chunk += 1
    return [v.decode("utf8") if hasattr(v, "decode") else str(v) for v in values]


def legacy_weights(layer) -> list:
    """A layer's variables in the legacy order: trainable ones, then non-trainable ones."""
    return list(layer.trainable_weights) + list(layer.non_trainable_weights)


def _layer_group(group, name: str):
    found = safe_child(group, name, "group")
    if found is None:
        raise WeightsFileError(f"the file lists layer '{name}' but has no group for it")
    return found


def _weight_names(group, name: str) -> list[str]:
    return attribute_strings(_layer_group(group, name), "weight_names")


def _plan_layer(group, file_name: str, layer, where: str, skip_mismatch: bool) -> list:
    names = _weight_names(group, file_name)
    variables = legacy_weights(layer)
    if len(names) != len(variables):
        message = (
            f"Weight count mismatch for {where}. Layer expects {len(variables)} weight(s). "
            f"Received {len(names)} saved weight(s)"
        )
        if skip_mismatch:
            warnings.warn(f"Skipping loading of weights for {where}: {message}", stacklevel=4)
            return []
        raise ValueError(message)
    layer_group, plan = _layer_group(group, file_name), []
    for variable, weight_name in zip(variables, names):
        try:
            value = read_dataset(layer_group, weight_name, variable.shape)
        except WeightsFileError:
            raise
        except ValueError as exc:
            if skip_mismatch:
                warnings.warn(f"Skipping weight {variable.path} of {where}: {exc}", stacklevel=4)
                continue
            raise ValueError(
                f"Shape mismatch in {where} for weight {variable.path}: {exc}"
            ) from None
        plan.append((variable, value))
    return plan


def load_weights_by_name(group, model, skip_mismatch: bool = False) -> None:
    """Loads each layer of the file into the model's layers of the same name."""
    index: dict[str, list] = {}
    for layer in model.layers:
        index.setdefault(layer.name, []).append(layer)
    plan = []
    for k, name in enumerate(attribute_strings(group, "layer_names")):
        for layer in index.get(name, []):
            plan += _plan_layer(group, name, layer, f"layer #{k} (named {name})", skip_mismatch)
    for variable, value in plan:
        variable.assign(value)


def load_weights_by_position(group, model, skip_mismatch: bool = False) -> None:
    """Loads the file's layers that have weights into the model's, in order."""
    layers = [layer for layer in model.layers if legacy_weights(layer)]
    names = [n for n in attribute_strings(group, "layer_names") if _weight_names(group, n)]
    if len(names) != len(layers):
        raise ValueError(
            "Layer count mismatch when loading weights from file. "
            f"Model expected {len(layers)} layers, found {len(names)} saved layers."
        )
    plan = []
    for k, (name, layer) in enumerate(zip(names, layers)):
        where = f"layer #{k} (named {layer.name} in the current model, {name} in the save file)"
        plan += _plan_layer(group, name, layer, where, skip_mismatch)
    for variable, value in plan:
        variable.assign(value)


def weights_group(h5):
    """The group holding the layers: the file itself, or ``model_weights`` of a whole-model
    file."""
    if "layer_names" not in h5.attrs and "layer_names0" not in h5.attrs:
        found = safe_child(h5, "model_weights", "group")
        if found is not None:
            return found
        raise WeightsFileError("it has no 'layer_names' attribute (not a Keras weights file)")
    return h5
