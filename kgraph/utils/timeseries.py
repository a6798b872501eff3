"""``timeseries_dataset_from_array``: sliding windows over an array, as Keras 3 makes them."""

from __future__ import annotations

import numpy as np

from kgraph.utils.dataset import Dataset
from kgraph.utils.dataset_iterators import element_array


def _check(data, start_index, end_index, sampling_rate, sequence_stride, format):  # noqa: A002
    size = len(data)
    if start_index:
        if start_index < 0:
            raise ValueError(
                f"`start_index` must be 0 or greater. Received: start_index={start_index}"
            )
        if start_index >= size:
            raise ValueError(
                "`start_index` must be lower than the length of the data. "
                f"Received: start_index={start_index}, for data of length {size}"
            )
    if end_index:
        if start_index and end_index <= start_index:
            raise ValueError(
                "`end_index` must be higher than `start_index`. Received: "
                f"start_index={start_index}, and end_index={end_index} "
            )
        if end_index >= size:
            raise ValueError(
                "`end_index` must be lower than the length of the data. "
                f"Received: end_index={end_index}, for data of length {size}"
            )
        if end_index <= 0:
            raise ValueError(f"`end_index` must be higher than 0. Received: end_index={end_index}")
    for name, value in (("sampling_rate", sampling_rate), ("sequence_stride", sequence_stride)):
        if value <= 0:
            raise ValueError(f"`{name}` must be higher than 0. Received: {name}={value}")
        if value >= size:
            raise ValueError(
                f"`{name}` must be lower than the length of the data. "
                f"Received: {name}={value}, for data of length {size}"
            )
    if format not in ("tf", "grain"):
        raise ValueError(f'`format` should be either "tf" or "grain". Received: format={format}')


def timeseries_dataset_from_array(
    data,
    targets,
    sequence_length,
    sequence_stride=1,
    sampling_rate=1,
    batch_size=128,
    shuffle=False,
    seed=None,
    start_index=None,
    end_index=None,
    format="tf",  # noqa: A002  (Keras' argument name)
):
    """A ``Dataset`` of windows ``data[p : p + sequence_length * sampling_rate :
    sampling_rate]`` (and ``targets[p]``) for every ``sequence_stride``-th start ``p`` between
    ``start_index`` and ``end_index``; shuffled windows use Keras' seeded permutation and a
    buffer shuffle of ``8 * batch_size``, as Keras does."""
    _check(data, start_index, end_index, sampling_rate, sequence_stride, format)
    start_index = start_index or 0
    end_index = len(data) if end_index is None else end_index
    data = np.asarray(data)[start_index:end_index]
    num_seqs = end_index - start_index - (sequence_length - 1) * sampling_rate
    if targets is not None:
        targets = np.asarray(targets)[start_index:end_index]
        num_seqs = min(num_seqs, len(targets))
    starts = np.arange(0, max(num_seqs, 0), sequence_stride)
    if shuffle:
        seed = np.random.randint(1e6) if seed is None else seed
        np.random.RandomState(seed).shuffle(starts)
    offsets = np.arange(sequence_length) * sampling_rate

    def windows(_):
        for start in starts:
            window = element_array(data[start + offsets])
            yield window if targets is None else (window, element_array(targets[start]))

    dataset = Dataset(windows, len(starts))
    if shuffle:
        dataset = dataset.shuffle(batch_size * 8 if batch_size is not None else 1024, seed=seed)
    return dataset.batch(batch_size) if batch_size is not None else dataset
