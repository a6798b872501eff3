"""Listing a directory of class folders, Keras' train/validation split, label encodings and
``split_dataset``; shared by the image and text dataset builders."""

from __future__ import annotations

import os
import random

import numpy as np

from kgraph.utils import tree
from kgraph.utils.dataset import Dataset


def check_validation_split_arg(validation_split, subset, shuffle, seed):
    """Keras' checks of ``validation_split`` / ``subset`` / ``seed``."""
    if validation_split and not 0 < validation_split < 1:
        raise ValueError(
            f"`validation_split` must be between 0 and 1, received: {validation_split}"
        )
    if (validation_split or subset) and not (validation_split and subset):
        raise ValueError("If `subset` is set, `validation_split` must be set, and inversely.")
    if subset not in ("training", "validation", "both", None):
        raise ValueError(
            f'`subset` must be either "training", "validation" or "both", received: {subset}'
        )
    if validation_split and shuffle and seed is None:
        raise ValueError(
            "If using `validation_split` and shuffling the data, you must provide a `seed` "
            "argument, to make sure that there is no overlap between the training and "
            "validation subset."
        )


def check_label_arguments(labels, label_mode, class_names, files: str, samples: str, lead=""):
    """Keras' checks of ``labels``, ``label_mode`` and ``class_names``, shared by the
    ``*_dataset_from_directory`` loaders: their messages differ only in what the files hold
    (``files`` "image files", ``samples`` "images"; ``lead`` "The " for the audio loader)."""
    if labels not in ("inferred", None):
        if not isinstance(labels, (list, tuple)):
            raise ValueError(
                f"{lead}`labels` argument should be a list/tuple of integer labels, of the same "
                f"size as the number of {files} in the target directory. If you wish to infer "
                "the labels from the subdirectory names in the target directory, pass "
                '`labels="inferred"`. If you wish to get a dataset that only contains '
                f"{samples} (no labels), pass `labels=None`. Received: labels={labels}"
            )
        if class_names:
            raise ValueError(
                'You can only pass `class_names` if `labels="inferred"`. '
                f"Received: labels={labels}, and class_names={class_names}"
            )
    if label_mode not in {"int", "categorical", "binary", None}:
        raise ValueError(
            '`label_mode` argument must be one of "int", "categorical", "binary", '
            f"or None. Received: label_mode={label_mode}"
        )


def _class_folders(directory, class_names):
    folders = sorted(
        name
        for name in os.listdir(directory)
        if os.path.isdir(os.path.join(directory, name)) and not name.startswith(".")
    )
    if class_names is not None:
        if not set(class_names).issubset(folders):
            raise ValueError(
                "The `class_names` passed did not match the names of the subdirectories of "
                f"the target directory. Expected: {folders} (or a subset of it), but "
                f"received: class_names={class_names}"
            )
        folders = list(class_names)
    return folders


def _files_under(folder, formats, follow_links):
    """Matching files below ``folder`` in Keras' order: folders sorted by path, files sorted."""
    found = []
    for root, _, files in sorted(os.walk(folder, followlinks=follow_links), key=lambda w: w[0]):
        found += [os.path.join(root, f) for f in sorted(files) if f.lower().endswith(formats)]
    return found


def _list_files(directory, folders, per_class, formats, follow_links):
    """Paths of the matching files of every folder, and each file's folder index; with
    ``per_class`` an empty folder is an error."""
    paths, indices = [], []
    for index, folder in enumerate(folders):
        found = _files_under(os.path.join(directory, folder), formats, follow_links)
        if per_class and not found:
            raise ValueError(
                f"Class folder {os.path.join(directory, folder)!r} contains no files with "
                f"an allowed extension {formats}."
            )
        paths += found
        indices += [index] * len(found)
    return paths, indices


def index_directory(
    directory,
    labels,
    formats,
    class_names=None,
    shuffle=True,
    seed=None,
    follow_links=False,
    verbose=True,
):
    """``(file_paths, labels, class_names)`` for a directory, as Keras lists it.

    With ``labels="inferred"`` each subfolder is a class (alphanumeric order unless
    ``class_names`` is given); a class folder without matching files is an error (Keras
    would silently give that class no samples). ``shuffle`` permutes paths and labels with
    ``np.random.RandomState(seed)`` exactly as Keras does, so the same seed splits alike.
    """
    if not os.path.isdir(directory):
        raise ValueError(f"Directory not found: {directory!r}.")
    if labels == "inferred":
        folders = _class_folders(directory, class_names)
    elif class_names is not None:
        raise ValueError(
            "When `labels=None` (no labels), argument `class_names` cannot be specified."
            if labels is None
            else "When argument `labels` is specified, argument `class_names` cannot be "
            "specified (the `class_names` will be the sorted list of labels)."
        )
    else:
        folders = [""]
    paths, inferred = _list_files(directory, folders, labels == "inferred", formats, follow_links)
    if labels == "inferred":
        labels = np.asarray(inferred, dtype="int32")
        class_names = folders
    elif labels is None:
        class_names = None
    else:
        if len(labels) != len(paths):
            raise ValueError(
                "Expected the lengths of `labels` to match the number of files in the target "
                f"directory. len(labels) is {len(labels)} while we found {len(paths)} files "
                f"in directory {directory}."
            )
        class_names = [str(label) for label in sorted(set(labels))]
        labels = np.asarray(labels)
    if verbose:
        found = f"Found {len(paths)} files"
        print(
            f"{found}." if labels is None else f"{found} belonging to {len(class_names)} classes."
        )
    if shuffle:
        seed = np.random.randint(1e6) if seed is None else seed
        np.random.RandomState(seed).shuffle(paths)
        if labels is not None:
            np.random.RandomState(seed).shuffle(labels)
    return paths, labels, class_names


def get_training_or_validation_split(samples, labels, validation_split, subset):
    """The last ``int(validation_split * n)`` samples for validation, the rest for training,
    with Keras' "Using M files for training." message."""
    if not validation_split:
        return samples, labels
    num_val = int(validation_split * len(samples))
    if subset == "training":
        print(f"Using {len(samples) - num_val} files for training.")
        part = slice(0, len(samples) - num_val)
    elif subset == "validation":
        print(f"Using {num_val} files for validation.")
        part = slice(len(samples) - num_val, None)
    else:
        raise ValueError(f'`subset` must be either "training" or "validation", received: {subset}')
    return samples[part], (labels[part] if labels is not None else None)


def subset_parts(paths, labels, validation_split, subset, no_files) -> list:
    """``[(part, paths, labels)]`` of what ``subset`` asks for ("both": training, then
    validation), as the folder loaders split them. An empty part raises ``ValueError`` with
    ``no_files(which)``, the loader's Keras message (``which`` is "training " or
    "validation " for "both", else "")."""
    found = []
    for part in ("training", "validation") if subset == "both" else (subset,):
        part_paths, part_labels = get_training_or_validation_split(
            paths, labels, validation_split, part
        )
        if not part_paths:
            raise ValueError(no_files(f"{part} " if subset == "both" else ""))
        found.append((part, part_paths, part_labels))
    return found


def encode_labels(labels, label_mode, num_classes):
    """int32 class indices, float32 one-hot rows (categorical) or float32 ``(n, 1)`` (binary).
    A label outside ``[0, num_classes)`` (a ``labels`` list such as ``[0, 2]`` has two class
    names) is a row of zeros, as ``tf.one_hot`` makes it in Keras."""
    labels = np.asarray(labels)
    if label_mode == "binary":
        return labels.astype("float32")[:, None]
    if label_mode == "categorical":
        index = labels.astype("int64")
        return (index[:, None] == np.arange(num_classes)).astype("float32")
    return labels.astype("int32")


def _to_samples(dataset):
    """A list of single samples from a Dataset (batched ones unbatched), an array, or a
    tuple/list/dict of arrays; with the batch size to restore."""
    if isinstance(dataset, Dataset):
        batch = getattr(dataset, "_batch_size", None)
        return list(dataset.unbatch() if batch else dataset), batch
    if isinstance(dataset, np.ndarray):
        return list(dataset), None
    if isinstance(dataset, (tuple, list, dict)):
        leaves = [np.asarray(leaf) for leaf in tree.flatten(dataset)]
        return [
            tree.pack_like(dataset, [leaf[i] for leaf in leaves]) for i in range(len(leaves[0]))
        ], None
    raise TypeError(
        "The `dataset` argument must be either a `Dataset` object, or a list/tuple of arrays. "
        f"Received: dataset={dataset} of type {type(dataset)}"
    )


def _sizes(left_size, right_size, total):
    for name, value in (("left_size", left_size), ("right_size", right_size)):
        if value is not None and type(value) not in (int, float):
            raise TypeError(
                f"Invalid `{name}` Type. Expected: int or float or None, "
                f"Received: type({name})={type(value)}."
            )
        if (type(value) is int and not 0 < value < total) or (
            type(value) is float and not 0 < value < 1
        ):
            raise ValueError(
                f"`{name}` should be either a positive integer smaller than {total}, or a "
                f"float within the range `[0, 1]`. Received: {name}={value}"
            )
    if type(left_size) is type(right_size) is float and left_size + right_size > 1:
        raise ValueError(
            "The sum of `left_size` and `right_size` is greater than 1. "
            "It must be less than or equal to 1."
        )
    left = round(left_size * total) if type(left_size) is float else left_size
    right = round(right_size * total) if type(right_size) is float else right_size
    left = total - right if left is None else left
    right = total - left if right is None else right
    if left + right > total or left == 0 or right == 0:
        raise ValueError(
            f"With `dataset` of length={total}, `left_size`={left_size} and "
            f"`right_size`={right_size}, one side of the split is empty or the sizes exceed "
            "the dataset. Adjust any of the aforementioned parameters."
        )
    return int(left), int(right)


def split_dataset(
    dataset, left_size=None, right_size=None, shuffle=False, seed=None, preferred_backend=None
):
    """Splits a dataset or arrays into two ``Dataset`` objects (Keras' ``split_dataset``);
    a batched ``Dataset`` gives two datasets batched the same way."""
    if left_size is None and right_size is None:
        raise ValueError(
            "At least one of the `left_size` or `right_size` must be specified. "
            "Received: left_size=None and right_size=None"
        )
    samples, batch = _to_samples(dataset)
    if shuffle:
        seed = random.randint(0, int(1e6)) if seed is None else seed
        random.Random(seed).shuffle(samples)
    left, right = _sizes(left_size, right_size, len(samples))
    parts = []
    for chunk in (samples[:left], samples[len(samples) - right :]):
        columns = zip(*(tree.flatten(sample) for sample in chunk))
        part = Dataset.from_tensor_slices(
            tree.pack_like(chunk[0], [np.stack(column) for column in columns])
        )
        parts.append(part.batch(batch) if batch else part)
    return tuple(parts)
