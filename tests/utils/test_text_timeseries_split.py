"""``text_dataset_from_directory``, ``timeseries_dataset_from_array`` and ``split_dataset``
against plain-Python references."""

from __future__ import annotations

import os

import numpy as np
import pytest

from kgraph.utils import (
    Dataset,
    split_dataset,
    text_dataset_from_directory,
    timeseries_dataset_from_array,
)


@pytest.fixture
def text_dir(tmp_path):
    texts = {"neg": ["bad film", "awful", "dull plot"], "pos": ["great", "loved it ünïcode"]}
    for label, items in texts.items():
        os.makedirs(tmp_path / label)
        for i, text in enumerate(items):
            (tmp_path / label / f"{i}.txt").write_text(text, encoding="utf-8")
    (tmp_path / "pos" / "skip.md").write_text("not a .txt file")
    return str(tmp_path)


def test_text_dataset_reads_every_file_with_its_label(text_dir, capsys):
    ds = text_dataset_from_directory(text_dir, shuffle=False, batch_size=2)
    assert capsys.readouterr().out == "Found 5 files belonging to 2 classes.\n"
    texts, labels = zip(*((str(t), int(v)) for x, y in ds for t, v in zip(x, y)))
    assert texts == ("bad film", "awful", "dull plot", "great", "loved it ünïcode")
    assert labels == (0, 0, 0, 1, 1) and ds.class_names == ["neg", "pos"]
    short = text_dataset_from_directory(text_dir, shuffle=False, max_length=4, label_mode=None)
    assert [str(t) for t in next(iter(short))] == ["bad ", "awfu", "dull", "grea", "love"]


def test_text_dataset_splits_and_binary_labels(text_dir):
    train, val = text_dataset_from_directory(
        text_dir, validation_split=0.4, subset="both", seed=3, label_mode="binary"
    )
    assert len(train.file_paths) == 3 and len(val.file_paths) == 2
    _, y = next(iter(val))
    assert y.shape == (2, 1) and y.dtype == np.float32
    with pytest.raises(ValueError, match="If `subset` is set"):
        text_dataset_from_directory(text_dir, subset="training")


def _windows(data, targets, length, stride, rate, start, end):
    """Every ``stride``-th window of ``length`` samples ``rate`` apart within [start, end)."""
    out = []
    p = start
    while p + (length - 1) * rate < end and (targets is None or p - start < len(targets)):
        out.append((data[p : p + length * rate : rate], None if targets is None else targets[p]))
        p += stride
    return out


@pytest.mark.parametrize(
    "length,stride,rate,start,end", [(3, 1, 1, None, None), (4, 2, 3, 2, 40), (5, 3, 2, 0, 33)]
)
def test_timeseries_windows_match_reference(length, stride, rate, start, end):
    data = np.arange(50 * 2).reshape(50, 2)
    targets = np.arange(50) * 10
    ds = timeseries_dataset_from_array(
        data, targets, length, stride, rate, batch_size=4, start_index=start, end_index=end
    )
    got = [(x, y) for bx, by in ds for x, y in zip(bx, by)]
    want = _windows(data, targets, length, stride, rate, start or 0, end or 50)
    assert len(got) == len(want)
    for (gx, gy), (wx, wy) in zip(got, want):
        np.testing.assert_array_equal(gx, wx)
        assert gy == wy


def test_timeseries_shuffle_keeps_every_window_and_targets_none():
    data = np.arange(30)
    ds = timeseries_dataset_from_array(data, None, 5, batch_size=None, shuffle=True, seed=1)
    starts = sorted(int(w[0]) for w in ds)
    assert starts == list(range(26))
    with pytest.raises(ValueError, match="sampling_rate"):
        timeseries_dataset_from_array(data, None, 5, sampling_rate=0)


def test_split_dataset_arrays_and_batched_datasets():
    x, y = np.arange(10), np.arange(10) * 2
    left, right = split_dataset((x, y), left_size=0.8)
    assert [int(a) for a, _ in left] == list(range(8))
    assert [(int(a), int(b)) for a, b in right] == [(8, 16), (9, 18)]
    batched = Dataset.from_tensor_slices((x, y)).batch(3)
    left, right = split_dataset(batched, right_size=4, shuffle=True, seed=0)
    sizes = [len(b[0]) for b in left]
    assert sizes == [3, 3] and len(list(right.unbatch())) == 4
    seen = sorted(int(v) for b in (*left, *right) for v in b[0])
    assert seen == list(range(10))
    with pytest.raises(ValueError, match="At least one"):
        split_dataset((x, y))
    with pytest.raises(ValueError, match="left_size"):
        split_dataset((x, y), left_size=12)
