"""Oracle: ``kgraph.distribution`` against Keras' on one CPU device (the JAX backend here has
one): device lists, meshes, layouts and layout maps with Keras' checks and messages; a
distribution over more devices than kgraph runs on is refused in one line."""

from __future__ import annotations

import numpy as np
import pytest

import kgraph
from kgraph import distribution as ours
from tests.oracle.keras_oracle import MARKS, keras

pytestmark = MARKS


def _message(make):
    with pytest.raises(ValueError) as caught:
        make()
    return str(caught.value)


def test_devices_meshes_and_layouts_as_keras():
    theirs = keras.distribution
    assert ours.list_devices("cpu") == theirs.list_devices("cpu") == ["cpu:0"]
    assert ours.get_device_count("cpu") == theirs.get_device_count("cpu") == 1
    for lib in (ours, theirs):
        mesh = lib.DeviceMesh((1,), ["batch"], ["cpu:0"])
        assert (mesh.shape, mesh.axis_names, mesh.devices.tolist()) == ((1,), ["batch"], ["cpu:0"])
    for bad in (((2,), ["batch"]), ((1,), ["a", "b"])):
        assert _message(lambda b=bad: ours.DeviceMesh(*b, ["cpu:0"])) == _message(
            lambda b=bad: theirs.DeviceMesh(*b, ["cpu:0"])
        )
    maps = []
    for lib in (ours, theirs):
        layouts = lib.LayoutMap(lib.DeviceMesh((1,), ["model"], ["cpu:0"]))
        layouts["dense.*kernel"] = (None, "model")
        layouts["conv/bias"] = ("model",)
        maps.append([layouts[p] and layouts[p].axes for p in ("dense_1/kernel", "conv/bias", "x")])
    assert maps[0] == maps[1] == [(None, "model"), ("model",), None]


def test_data_parallel_over_the_device_trains_and_more_devices_are_refused():
    parallel = ours.DataParallel(devices=["cpu:0"])
    assert parallel.batch_dim_name == "batch" and ours.distribution() is None
    with parallel.scope():
        assert ours.distribution() is parallel
        inputs = kgraph.Input((3,))
        model = kgraph.Model(inputs, kgraph.layers.Dense(1)(inputs))
        model.compile(optimizer="sgd", loss="mse")
        x = np.ones((8, 3), np.float32)
        history = model.fit(x, np.zeros((8, 1)), verbose=0, epochs=2)
        assert history.history["loss"][1] < history.history["loss"][0]
    assert ours.distribution() is None
    assert ours.distribute_tensor(x, parallel.get_data_layout(x.shape)) is x
    with pytest.raises(ValueError, match="over 2 devices is not supported"):
        ours.DataParallel(devices=["cpu:0", "cpu:1"])
    with pytest.raises(ValueError, match="multi-process distribution is not supported"):
        ours.initialize(num_processes=2)
