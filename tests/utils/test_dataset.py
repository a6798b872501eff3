"""``kgraph.utils.Dataset``: tf.data's transformations over numpy, checked element by
element against plain Python on the same data."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest

from kgraph import ops
from kgraph.utils import AUTOTUNE, Dataset


def _values(ds):
    return [np.asarray(e).tolist() for e in ds]


def test_from_tensor_slices_batch_unbatch_and_lengths():
    x, y = np.arange(10).reshape(5, 2), np.arange(5)
    ds = Dataset.from_tensor_slices((x, y))
    assert len(ds) == 5
    batches = list(ds.batch(2))
    assert [b[0].shape for b in batches] == [(2, 2), (2, 2), (1, 2)]
    np.testing.assert_array_equal(batches[1][1], [2, 3])
    assert len(ds.batch(2)) == 3 and len(ds.batch(2, drop_remainder=True)) == 2
    again = [tuple(np.asarray(v).tolist() for v in e) for e in ds.batch(2).unbatch()]
    assert again == [(x[i].tolist(), int(y[i])) for i in range(5)]
    dicts = list(Dataset.from_tensor_slices({"a": x, "b": y}).batch(5))
    np.testing.assert_array_equal(dicts[0]["a"], x)


def test_map_filter_take_skip_repeat_enumerate_concatenate():
    ds = Dataset.range(10)
    assert _values(ds.map(lambda v: v * 2).take(3)) == [0, 2, 4]
    assert _values(ds.skip(7)) == [7, 8, 9] and len(ds.skip(7)) == 3
    assert _values(ds.filter(lambda v: v % 3 == 0)) == [0, 3, 6, 9]
    assert _values(ds.take(2).repeat(3)) == [0, 1] * 3 and len(ds.take(2).repeat(3)) == 6
    assert _values(ds.repeat().take(12))[-2:] == [0, 1]
    assert _values(ds.take(2).concatenate(ds.skip(8))) == [0, 1, 8, 9]
    assert [int(i) for i, _ in ds.enumerate(5).take(2)] == [5, 6]
    assert _values(ds.take(-1)) == list(range(10))


def test_cardinality_and_len_follow_tf_data():
    ds = Dataset.range(10)
    assert ds.repeat().cardinality() == -1 and ds.filter(bool).cardinality() == -2
    assert ds.repeat().take(4).cardinality() == 4
    with pytest.raises(TypeError):
        len(ds.repeat())
    with pytest.raises(TypeError):
        len(ds.filter(bool))


def test_map_unpacks_tuples_and_accepts_kgraph_ops():
    ds = Dataset.from_tensor_slices((np.ones((4, 3), np.float32), np.arange(4))).batch(2)
    mapped = ds.map(lambda x, y: (ops.multiply(x, 3.0), y + 1))
    (x, y), _ = list(mapped)
    np.testing.assert_allclose(x, 3.0)
    np.testing.assert_array_equal(y, [1, 2])


def test_parallel_map_keeps_order_and_runs_in_threads():
    seen = set()

    def slow(v):
        seen.add(threading.get_ident())
        time.sleep(0.01 * (int(v) % 3))
        return v + 100

    out = _values(Dataset.range(12).map(slow, num_parallel_calls=4))
    assert out == list(range(100, 112))
    assert len(seen) > 1


def test_shuffle_is_seeded_reshuffled_and_complete():
    ds = Dataset.range(20).shuffle(20, seed=5)
    first, second = _values(ds), _values(ds)
    assert sorted(first) == list(range(20)) and first != second
    again = Dataset.range(20).shuffle(20, seed=5)
    assert _values(again) == first and _values(again) == second
    fixed = Dataset.range(20).shuffle(20, seed=5, reshuffle_each_iteration=False)
    assert _values(fixed) == _values(fixed)
    small = _values(Dataset.range(50).shuffle(4, seed=0))
    assert sorted(small) == list(range(50))
    # A buffer of 4 can only move an element a few places earlier than its index.
    assert all(pos >= value - 4 for pos, value in enumerate(small))


def test_prefetch_runs_ahead_and_forwards_errors():
    produced = []

    def record(v):
        produced.append(int(v))
        return v

    ds = Dataset.range(6).map(record).prefetch(3)
    it = iter(ds)
    assert int(next(it)) == 0
    time.sleep(0.2)
    assert len(produced) >= 3  # prepared while the consumer held element 0
    assert [int(v) for v in it] == [1, 2, 3, 4, 5]

    def boom(v):
        if v == 2:
            raise RuntimeError("bad element 2")
        return v

    with pytest.raises(RuntimeError, match="bad element 2"):
        list(Dataset.range(5).map(boom, num_parallel_calls=AUTOTUNE).prefetch(AUTOTUNE))
    # Stopping early ends the producer thread.
    list(Dataset.range(10_000).prefetch(2).take(3))


def test_cache_replays_the_first_pass(tmp_path):
    calls = []
    ds = Dataset.range(4).map(lambda v: calls.append(1) or v * 10).cache()
    assert _values(ds) == _values(ds) == [0, 10, 20, 30]
    assert len(calls) == 4
    path = str(tmp_path / "cache.pkl")
    first = Dataset.range(3).cache(path)
    assert _values(first) == [0, 1, 2]
    replay = Dataset.range(0).cache(path)  # a later program reads the file
    assert _values(replay) == [0, 1, 2]


def test_zip_and_as_numpy_iterator():
    pairs = list(Dataset.zip(Dataset.range(3), Dataset.range(10, 20)).as_numpy_iterator())
    assert [(int(a), int(b)) for a, b in pairs] == [(0, 10), (1, 11), (2, 12)]


def test_bad_arguments():
    with pytest.raises(ValueError, match="batch_size"):
        Dataset.range(3).batch(0)
    with pytest.raises(ValueError, match="num_parallel_calls"):
        Dataset.range(3).map(abs, num_parallel_calls=0)
    with pytest.raises(ValueError, match="same length"):
        Dataset.from_tensor_slices((np.zeros(3), np.zeros(4)))


def test_elements_answer_numpy_like_tf_tensors():
    ds = Dataset.from_tensor_slices((np.arange(6.0).reshape(3, 2), np.arange(3))).batch(2)
    x, y = next(iter(ds.map(lambda a, b: (a * 2, b))))
    assert type(x.numpy()) is np.ndarray
    np.testing.assert_array_equal(x[1].numpy().astype("uint8"), [4, 6])
    assert int(y.numpy()[1]) == 1


def test_batching_elements_of_different_shapes_is_one_clear_error():
    ragged = Dataset.range(3).map(lambda v: np.zeros(int(v) + 1))
    with pytest.raises(ValueError, match=r"one shape to stack; received shapes \[\(1,\), \(2,\)"):
        list(ragged.batch(3))


def test_autotuned_map_keeps_order_and_follows_its_consumer():
    """AUTOTUNE runs as many elements at once as the consumer needs: all threads for a fast
    consumer, one for a consumer slower than the map (a training step), order kept."""
    import threading
    import time

    from kgraph.utils import dataset_iterators as its

    running, peak, lock = [0], [0], threading.Lock()

    def work(i):
        with lock:
            running[0] += 1
            peak[0] = max(peak[0], running[0])
        time.sleep(0.002)
        with lock:
            running[0] -= 1
        return i * i

    fast = list(its.ordered_map(work, iter(range(40)), 4, autotune=True))
    assert fast == [i * i for i in range(40)] and peak[0] == 4
    peak[0] = 0
    slow = []
    for value in its.ordered_map(work, iter(range(40)), 4, autotune=True):
        slow.append(value)
        if len(slow) == 10:  # past the warm-up, when no consumer time is known yet
            peak[0] = 0
        time.sleep(0.01)  # the consumer takes five times the map's time per element
    assert slow == [i * i for i in range(40)] and peak[0] == 1
    demand = its.Demand(4)
    demand.work, demand.wait = 0.002, 0.01
    assert demand.threads() == 1
    demand.work = 0.025
    assert demand.threads() == 3
