"""``text_dataset_from_directory``: Keras 3's folder-of-text-files loader without TensorFlow.

Files are listed, shuffled and split as Keras does; each element is the file's text as a numpy
string (``str``, decoded as UTF-8; TensorFlow yields bytes), truncated to ``max_length``
bytes before decoding as ``tf.strings.substr`` does.
"""

from __future__ import annotations

import numpy as np

from kgraph.utils import dataset_utils
from kgraph.utils.image_dataset import paths_and_labels_to_dataset


def _reader(max_length):
    def read(path):
        with open(path, "rb") as f:
            data = f.read()
        if max_length is not None:
            data = data[:max_length]
        return np.str_(data.decode("utf-8", errors="replace"))

    return read


def _check_arguments(labels, label_mode, class_names, format):  # noqa: A002
    dataset_utils.check_label_arguments(
        labels, label_mode, class_names, "text files", "text samples"
    )
    if format not in ("tf", "grain"):
        raise ValueError(f'`format` should be either "tf" or "grain". Received: format={format}')


def text_dataset_from_directory(
    directory,
    labels="inferred",
    label_mode="int",
    class_names=None,
    batch_size=32,
    max_length=None,
    shuffle=True,
    seed=None,
    validation_split=None,
    subset=None,
    follow_links=False,
    format="tf",  # noqa: A002  (Keras' argument name)
    verbose=True,
):
    """A ``Dataset`` of ``(texts, labels)`` batches from a folder of ``.txt`` files (one
    subfolder per class); ``subset="both"`` returns ``[training, validation]``."""
    _check_arguments(labels, label_mode, class_names, format)
    if labels is None or label_mode is None:
        labels, label_mode = None, None
    dataset_utils.check_validation_split_arg(validation_split, subset, shuffle, seed)
    if seed is None:
        seed = np.random.randint(1e6)
    paths, labels, class_names = dataset_utils.index_directory(
        directory, labels, (".txt",), class_names, shuffle, seed, follow_links, verbose
    )
    if label_mode == "binary" and len(class_names) != 2:
        raise ValueError(
            'When passing `label_mode="binary"`, there must be exactly 2 class_names. '
            f"Received: class_names={class_names}"
        )
    num_classes = len(class_names) if class_names else 0
    splits = dataset_utils.subset_parts(
        paths,
        labels,
        validation_split,
        subset,
        lambda which: f"No {which}text files found in directory {directory}. Allowed format: .txt",
    )
    datasets = []
    for part, part_paths, part_labels in splits:
        shuffled = shuffle and part != "validation" if subset == "both" else shuffle
        read = _reader(max_length)
        dataset = paths_and_labels_to_dataset(
            part_paths, part_labels, label_mode, num_classes, read, shuffled, seed, batch_size
        )
        dataset.class_names = class_names
        dataset.file_paths = list(part_paths)
        datasets.append(dataset)
    return datasets if subset == "both" else datasets[0]
