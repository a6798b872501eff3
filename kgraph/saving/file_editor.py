"""``keras.saving.KerasFileEditor``: inspect and edit the weights of a ``.keras`` or
``.weights.h5`` file, then write a ``.weights.h5`` file, for adapting a saved file to a model
whose architecture changed.

The editor works on the file alone (no model is built): the weights are a nested dictionary
of paths as Keras 3 lays them out (``layers/dense/0``). Messages are printed as plain text
(Keras prints them through ``rich``, with colours, and has a notebook view). An edit given a
leaf name applies where the name occurs exactly once; Keras 3.15's count of occurrences adds
running totals twice, so it can refuse a name that occurs once when other objects follow it.
"""

from __future__ import annotations

import io
import os

from kgraph.saving import file_editor_tree as tree
from kgraph.saving.saving_lib import h5py_module, read_archive


class KerasFileEditor:
    """Opens ``filepath`` (``.keras`` or ``.weights.h5``) and holds its weights in
    ``weights_dict``; ``config`` and ``metadata`` are the archive's JSON (None for an h5)."""

    def __init__(self, filepath):
        self.filepath = filepath
        self.metadata = None
        self.config = None
        self.model = None
        h5py = h5py_module()
        path = str(filepath)
        if path.endswith(".keras"):
            self.config, self.metadata, raw = read_archive(path)
            source = io.BytesIO(raw or b"")
        elif path.endswith(".weights.h5"):
            source = path
        else:
            raise ValueError(
                "Invalid filename: expected a `.keras` `.weights.h5` extension. "
                f"Received: filepath={filepath}"
            )
        if isinstance(source, io.BytesIO) and not raw:  # an archive without weights
            self.weights_dict, self.object_metadata = {}, {}
        else:
            with h5py.File(source, "r") as h5:
                self.weights_dict, self.object_metadata = tree.extract(h5)
        print(f"Keras model file '{self.filepath}'")
        if self.metadata:
            print(
                f"Saved with Keras {self.metadata.get('keras_version')} - "
                f"date: {self.metadata.get('date_saved')}"
            )

    def summary(self):
        """Prints the tree of objects and weight shapes held in the file."""
        print("Weights structure")
        print("\n".join(tree.structure_lines(self.weights_dict, self.object_metadata)))

    def compare(self, reference_model):
        """Lists the differences between the file and ``reference_model``'s weights; returns
        ``{"status": "success" | "error", "error_count": n, "match_count": m}``."""
        print("Running comparison")
        spec = tree.model_spec(reference_model)
        checked: set = set()
        names = ("saved file", "reference model")
        errors, matches = tree.compare(self.weights_dict, spec, names, print, checked)
        reverse, _ = tree.compare(spec, self.weights_dict, names[::-1], print, checked)
        errors += reverse
        print("─────────────────────")
        if errors == 0:
            print("Comparison successful: saved file is compatible with the reference model")
            print(f"    Found {matches} matching weight{'' if matches == 1 else 's'}")
        else:
            print(
                f"Found {errors} error{'' if errors == 1 else 's'}: saved file is not "
                "compatible with the reference model"
            )
        status = "success" if errors == 0 else "error"
        return {"status": status, "error_count": errors, "match_count": matches}

    def _edit_object(self, edit_fn, source_name, target_name=None):
        """Applies ``edit_fn(parent dict, source_name=, target_name=)`` where ``source_name``
        is: a full path, or a leaf name that must occur exactly once in the file."""
        if target_name is not None and "/" in target_name:
            raise ValueError(
                "Argument `target_name` should be a leaf name, not a full path name. "
                f"Received: target_name='{target_name}'"
            )
        if "/" in source_name:
            *parents, leaf = source_name.split("/")
            node = self.weights_dict
            for part in parents:
                if not isinstance(node, dict) or part not in node:
                    raise ValueError(f"Path '{source_name}' not found in model.")
                node = node[part]
            if not isinstance(node, dict) or leaf not in node:
                raise ValueError(f"Path '{source_name}' not found in model.")
            edit_fn(node, source_name=leaf, target_name=target_name)
            return
        parents = _parents_holding(self.weights_dict, source_name)
        if len(parents) > 1:
            raise ValueError(
                f"Name '{source_name}' occurs more than once in the model; "
                "try passing a complete path"
            )
        if not parents:
            raise ValueError(
                f"Source name '{source_name}' does not appear in the model. "
                "Use `editor.weights_summary()` to list all objects."
            )
        edit_fn(parents[0], source_name=source_name, target_name=target_name)

    def rename_object(self, object_name, new_name):
        """Renames an object (``"dense_2"`` or ``"layers/dense_2"``) to the leaf ``new_name``."""

        def rename(parent, source_name, target_name):
            parent[target_name] = parent.pop(source_name)

        self._edit_object(rename, object_name, new_name)

    def delete_object(self, object_name):
        """Removes an object (a name or a full path) and all its weights."""

        def delete(parent, source_name, target_name=None):
            parent.pop(source_name)

        self._edit_object(delete, object_name)

    def add_object(self, object_path, weights):
        """Adds the object at ``object_path`` (its parent must exist) with ``weights``,
        a dict of weight names (``"0"``, ``"1"``...) to arrays."""
        _check_weights(weights)
        *parents, leaf = object_path.split("/")
        node = self.weights_dict
        for part in parents:
            if part not in node:
                raise ValueError(f"Path '{'/'.join(parents)}' not found in model.")
            node = node[part]
        node[leaf] = weights

    def delete_weight(self, object_name, weight_name):
        """Removes the weight ``weight_name`` (e.g. ``"0"``) of an object."""

        def delete(parent, source_name, target_name=None):
            if weight_name not in parent[source_name]:
                raise ValueError(
                    f"Weight {weight_name} not found in object {object_name}. "
                    f"Weights found: {list(parent[source_name].keys())}"
                )
            parent[source_name].pop(weight_name)

        self._edit_object(delete, object_name)

    def add_weights(self, object_name, weights):
        """Adds (or replaces) weights of an existing object."""
        _check_weights(weights)

        def add(parent, source_name, target_name=None):
            parent[source_name].update(weights)

        self._edit_object(add, object_name)

    def save(self, filepath):
        """Writes the edited weights as a ``.weights.h5`` file."""
        filepath = os.fspath(filepath) if isinstance(filepath, os.PathLike) else str(filepath)
        if not filepath.endswith(".weights.h5"):
            raise ValueError(
                "Invalid `filepath` argument: expected a `.weights.h5` extension. "
                f"Received: filepath={filepath}"
            )
        with h5py_module().File(filepath, "w") as h5:
            tree.write(self.weights_dict, h5)

    def resave_weights(self, filepath):
        """Same as ``save``."""
        self.save(filepath)


def _check_weights(weights) -> None:
    if not isinstance(weights, dict):
        raise ValueError(
            "Argument `weights` should be a dict where keys are weight names (usually '0', "
            "'1', etc.) and values are NumPy arrays. "
            f"Received: type(weights)={type(weights)}"
        )


def _parents_holding(node: dict, name: str) -> list:
    """Every dict in the tree under ``node`` (itself included) that has the key ``name``."""
    found = [node] if name in node else []
    for value in node.values():
        if isinstance(value, dict):
            found += _parents_holding(value, name)
    return found
