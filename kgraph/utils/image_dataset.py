"""``image_dataset_from_directory``: Keras 3's folder-of-images loader without TensorFlow.

Files are listed, shuffled and split exactly as Keras does (same seed, same training and
validation files); images are decoded by libjpeg-turbo (JPEGs through simplejpeg, other
formats through Pillow; ``kgraph.utils.jpeg_decode``) and resized with ``tf.image.resize``'s
arithmetic (``kgraph.utils.image_resize``) in worker threads ahead of the consumer. The result
is a ``kgraph.utils.Dataset`` of ``(images, labels)`` numpy batches.

Differences from Keras: ``format`` ("tf" or "grain") is accepted and checked but always gives
a kgraph ``Dataset``; JPEG files are decoded with libjpeg's accurate integer DCT, which can
differ from TensorFlow's decoder by a grey level or so; images are float32 for every
interpolation (TensorFlow keeps uint8 for "nearest").

Decoding a JPEG costs far more than a small model's training step (a 224x224 file is about
0.4 ms of libjpeg per image, 13 ms per batch of 32; the seed CNN's step is 8-20 ms on two
cores), so when a dataset's resized images all fit in ``DECODED_CACHE_BYTES`` (256 MiB: e.g.
80,000 images at 28x28 grayscale, 1,300 at 224x224 RGB) they are kept in memory after their
first decoding and later epochs copy them instead of decoding again. Keras re-reads the files
every epoch; the values are the same, and a file whose size or modification time changed is
decoded again. ``DECODED_CACHE_BYTES = 0`` turns this off.
"""

from __future__ import annotations

import functools
import os

import numpy as np

from kgraph.utils import dataset_utils
from kgraph.utils.dataset import AUTOTUNE, Dataset
from kgraph.utils.image_resize import INTERPOLATIONS
from kgraph.utils.image_utils import load_resized, load_resized_batch

ALLOWLIST_FORMATS = (".bmp", ".gif", ".jpeg", ".jpg", ".png")
_CHANNELS = {"rgb": 3, "rgba": 4, "grayscale": 1}
DECODED_CACHE_BYTES = 256 * 2**20


def _check_arguments(labels, label_mode, class_names, color_mode, image_size, interpolation):
    dataset_utils.check_label_arguments(labels, label_mode, class_names, "image files", "images")
    if color_mode not in _CHANNELS:
        raise ValueError(
            '`color_mode` must be one of {"rgb", "rgba", "grayscale"}. '
            f"Received: color_mode={color_mode}"
        )
    if isinstance(image_size, int):
        image_size = (image_size, image_size)
    elif not isinstance(image_size, (list, tuple)) or len(image_size) != 2:
        raise ValueError(
            "Invalid `image_size` value. Expected a tuple of 2 integers. "
            f"Received: image_size={image_size}"
        )
    if str(interpolation).lower() not in INTERPOLATIONS:
        raise ValueError(
            f"Argument `interpolation` should be one of {INTERPOLATIONS}. "
            f"Received: interpolation={interpolation}"
        )
    return tuple(int(s) for s in image_size)


def _check_layout(format, crop_to_aspect_ratio, pad_to_aspect_ratio, data_format):  # noqa: A002
    if format not in ("tf", "grain"):
        raise ValueError(f'`format` should be either "tf" or "grain". Received: format={format}')
    if crop_to_aspect_ratio and pad_to_aspect_ratio:
        raise ValueError(
            "Only one of `pad_to_aspect_ratio`, `crop_to_aspect_ratio` can be set to `True`."
        )
    data_format = data_format or "channels_last"
    if data_format not in ("channels_last", "channels_first"):
        raise ValueError(
            "The `data_format` argument must be one of {'channels_first', 'channels_last'}. "
            f"Received: data_format={data_format}"
        )
    return data_format


def paths_and_labels_to_dataset(
    paths, labels, label_mode, num_classes, load, shuffle, seed, batch_size=None, load_batch=None
):
    """Batches (or, with ``batch_size=None``, elements) ``(images, labels)`` or ``images``
    decoded by ``load(path)`` in worker threads, in a seeded order that is reshuffled every
    pass when ``shuffle``, prefetched ahead of the consumer. Each thread decodes a whole batch:
    one hand-over per batch instead of one per image; ``load_batch(paths)``, when given, builds
    it in one preallocated array (else the elements are stacked)."""
    encoded = dataset_utils.encode_labels(labels, label_mode, num_classes) if label_mode else None

    def decode(index):
        if batch_size is None:
            image = load(paths[int(index)])
        elif load_batch is not None:
            image = load_batch([paths[i] for i in index])
        else:
            image = np.stack([load(paths[i]) for i in index])
        return image if encoded is None else (image, encoded[index])

    count = len(paths)
    indices = Dataset(lambda _: iter(range(count)), count)
    if shuffle:
        indices = indices.shuffle(count, seed=seed)
    if batch_size is not None:
        indices = indices.batch(batch_size)
    dataset = indices.map(decode, num_parallel_calls=AUTOTUNE).prefetch(AUTOTUNE)
    dataset._batch_size = batch_size  # split_dataset re-batches its parts alike
    return dataset


def _cached_loaders(load, load_batch, count, image_bytes):
    """``(load, load_batch)`` that keep each resized image after its first decoding, keyed by
    path and checked against the file's size and modification time (one ``stat``, microseconds
    against a decode's hundreds); the originals when ``count`` images exceed the budget."""
    if count * image_bytes > DECODED_CACHE_BYTES:
        return load, load_batch
    images = {}  # path -> ((size, mtime_ns), float32 image); written by the worker threads

    def cached_batch(paths):
        batch = None
        for slot_index, path in enumerate(paths):
            stat = os.stat(path)
            key, hit = (stat.st_size, stat.st_mtime_ns), images.get(path)
            if hit is not None and hit[0] == key:
                image = hit[1]
            else:
                image = load(path)
                images[path] = (key, image)
            if batch is None:
                batch = np.empty((len(paths), *image.shape), np.float32)
            batch[slot_index] = image
        return batch

    return (lambda path: cached_batch([path])[0]), cached_batch


def _named(dataset, class_names, paths):
    dataset.class_names = class_names
    dataset.file_paths = list(paths)
    return dataset


def image_dataset_from_directory(
    directory,
    labels="inferred",
    label_mode="int",
    class_names=None,
    color_mode="rgb",
    batch_size=32,
    image_size=(256, 256),
    shuffle=True,
    seed=None,
    validation_split=None,
    subset=None,
    interpolation="bilinear",
    follow_links=False,
    crop_to_aspect_ratio=False,
    pad_to_aspect_ratio=False,
    data_format=None,
    format="tf",  # noqa: A002  (Keras' argument name)
    verbose=True,
):
    """A ``Dataset`` of ``(images, labels)`` batches from a folder of image files.

    Arguments, defaults and checks are Keras 3's. ``subset="both"`` returns a
    ``(training, validation)`` pair. Images are float32 ``(batch, height, width, channels)``
    (channels first with ``data_format="channels_first"``); labels are int32, one-hot float32
    (``"categorical"``) or float32 ``(batch, 1)`` (``"binary"``). The dataset has
    ``class_names`` and ``file_paths``.
    """
    image_size = _check_arguments(
        labels, label_mode, class_names, color_mode, image_size, interpolation
    )
    if labels is None or label_mode is None:
        labels, label_mode = None, None
    data_format = _check_layout(format, crop_to_aspect_ratio, pad_to_aspect_ratio, data_format)
    dataset_utils.check_validation_split_arg(validation_split, subset, shuffle, seed)
    if seed is None:
        seed = np.random.randint(1e6)
    paths, labels, class_names = dataset_utils.index_directory(
        directory, labels, ALLOWLIST_FORMATS, class_names, shuffle, seed, follow_links, verbose
    )
    if label_mode == "binary" and len(class_names) != 2:
        raise ValueError(
            'When passing `label_mode="binary"`, there must be exactly 2 class_names. '
            f"Received: class_names={class_names}"
        )
    options = {
        "image_size": image_size,
        "num_channels": _CHANNELS[color_mode],
        "interpolation": str(interpolation).lower(),
        "data_format": data_format,
        "crop_to_aspect_ratio": crop_to_aspect_ratio,
        "pad_to_aspect_ratio": pad_to_aspect_ratio,
    }
    load = functools.partial(load_resized, **options)
    load_batch = functools.partial(load_resized_batch, **options)
    num_classes = len(class_names) if class_names else 0
    image_bytes = 4 * options["num_channels"] * image_size[0] * image_size[1]
    datasets = []
    splits = dataset_utils.subset_parts(
        paths,
        labels,
        validation_split,
        subset,
        lambda which: (
            f"No {which}images found in directory {directory}. Allowed formats: {ALLOWLIST_FORMATS}"
        ),
    )
    for part, part_paths, part_labels in splits:
        shuffled = shuffle and part != "validation" if subset == "both" else shuffle
        loaders = _cached_loaders(load, load_batch, len(part_paths), image_bytes)
        dataset = paths_and_labels_to_dataset(
            part_paths,
            part_labels,
            label_mode,
            num_classes,
            loaders[0],
            shuffled,
            seed,
            batch_size,
            loaders[1],
        )
        datasets.append(_named(dataset, class_names, part_paths))
    return datasets if subset == "both" else datasets[0]
