"""The applications' pretrained weight files: Keras' own file names, addresses and hashes,
looked up in Keras' cache (``$KERAS_HOME/models`` or ``~/.keras/models``), so a machine that
ran a Keras application once needs no download; downloaded with a progress bar and a hash check
when missing. Offline, one error line names the file and where to put it.

Keras' published files are legacy HDF5 files with one group per layer; they load layer by
layer in order (as Keras loads them), after a check that the layer names agree.
"""

from __future__ import annotations

import os

from kgraph.datasets.cache import DatasetFileError, get_file

BASE = "https://storage.googleapis.com/tensorflow/keras-applications/"


class WeightsUnavailableError(ValueError):
    """A pretrained weights file is not in the Keras cache and cannot be downloaded."""


def cached_file(file_name, origin, file_hash=None, what="Weights") -> str:
    """The path of ``file_name`` in the Keras cache's ``models`` folder (downloaded from
    ``origin`` and checked against ``file_hash`` when absent or different)."""
    try:
        return get_file(file_name, origin, file_hash, cache_subdir="models")
    except DatasetFileError as error:
        raise WeightsUnavailableError(
            str(error).replace("Dataset file", f"{what} file", 1)
        ) from None


def check_weights_argument(weights, include_top, classes, imagenet_classes=1000):
    """Keras' checks of ``weights`` (``"imagenet"``, ``None`` or an existing file) and of
    ``classes`` with the ImageNet top."""
    if not (weights in {"imagenet", None} or os.path.exists(str(weights))):
        raise ValueError(
            "The `weights` argument should be either `None` (random initialization), "
            "`imagenet` (pre-training on ImageNet), or the path to the weights file to be "
            f"loaded.  Received: weights={weights}"
        )
    if weights == "imagenet" and include_top and classes != imagenet_classes:
        raise ValueError(
            'If using `weights="imagenet"` with `include_top` as true, `classes` should be '
            f"{imagenet_classes}.  Received: classes={classes}"
        )


def _is_legacy(path: str) -> bool:
    return path.endswith((".h5", ".hdf5")) and not path.endswith(".weights.h5")


def _base_name(name: str) -> str:
    """A layer name without the ``_<n>`` suffix of an automatic name (``normalization_3``)."""
    head, _, tail = name.rpartition("_")
    return head if head and tail.isdigit() else name


def _check_layer_names(model, path: str) -> None:
    """The file's layers with weights are the model's, in order (automatic names, which
    depend on how many layers the process made before, may differ in their number)."""
    import h5py

    from kgraph.saving.legacy_h5 import attribute_strings, weights_group

    with h5py.File(path, "r") as h5:
        group = weights_group(h5)
        names = [
            n
            for n in attribute_strings(group, "layer_names")
            if attribute_strings(group[n], "weight_names")
        ]
    ours = [layer.name for layer in model.layers if layer.weights]
    for theirs, mine in zip(names, ours):
        if _base_name(theirs) != _base_name(mine):
            raise ValueError(
                f"The weights file {path} does not fit {model.name}: its layer '{theirs}' "
                f"comes where the model has '{mine}'. Was it saved from the same architecture?"
            )


def load_weights(model, path) -> None:
    """Loads a local weights file into an application model: a legacy ``.h5`` (Keras'
    published files) layer by layer in order, as Keras loads them, after checking the layer
    names; a ``.weights.h5`` or ``.keras`` file as Keras 3 saved it."""
    path = os.fspath(path)
    if _is_legacy(path):
        _check_layer_names(model, path)
    model.load_weights(path)


def load(model, weights, file_name=None, file_hash=None, origin=None) -> None:
    """Gives ``model`` its weights: nothing for ``None``, the cached (or downloaded) ImageNet
    file ``file_name`` for ``"imagenet"``, else the local file ``weights``."""
    if weights == "imagenet":
        load_weights(model, cached_file(file_name, origin, file_hash))
    elif weights is not None:
        load_weights(model, weights)
