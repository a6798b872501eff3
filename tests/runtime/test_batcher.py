"""The serving side of the runtime: metadata, warm-up, single examples, streaming batches and
micro-batching of concurrent requests (results equal to one-by-one predictions in numpy)."""

from __future__ import annotations

import json
import logging
import threading

import numpy as np
import onnx
import pytest
import runtime_models as models

from kgraph.runtime import MicroBatcher, ModelMetadata, Predictor, RunError, providers

RNG = np.random.default_rng(7)
W = RNG.standard_normal((4, 3)).astype(np.float32)
B = RNG.standard_normal(3).astype(np.float32)


def with_metadata(data: bytes, **props: str) -> bytes:
    proto = onnx.load_from_string(data)
    for key, value in props.items():
        proto.metadata_props.add(key=key, value=value)
    return proto.SerializeToString()


@pytest.fixture(scope="module")
def predictor() -> Predictor:
    return Predictor(models.dense_model(W, B), device="cpu", warmup=True)


def test_metadata_is_read_from_the_file():
    contract = {
        "inputs": [{"name": "x", "layout": "NHWC", "dtype": "uint8"}],
        "value_range": [0, 255],
    }
    data = with_metadata(
        models.dense_model(W, B),
        class_names=json.dumps(["cat", "dog", "eel"]),
        input_contract=json.dumps(contract),
        keras_config='{"class_name": "Sequential", "config": {"name": "m"}}',
        kgraph_version="9.9",
    )
    meta = Predictor(data, device="cpu").metadata
    assert meta.class_names == ["cat", "dog", "eel"]
    assert meta.image_input("x")["dtype"] == "uint8" and meta.image_input("y") is None
    assert meta.value_range() == [0.0, 255.0] and meta.version == "9.9"
    assert meta.config == {"class_name": "Sequential", "config": {"name": "m"}}
    plain = Predictor(models.dense_model(W, B), device="cpu").metadata
    assert plain == ModelMetadata(producer=plain.producer, description="")
    assert plain.class_names is None and plain.image_input("x") is None


def test_warm_up_and_single_examples(predictor):
    assert predictor.warm_up() is True
    x = RNG.standard_normal(4).astype(np.float32)
    np.testing.assert_allclose(predictor.predict_one(x), x @ W + B, rtol=1e-5, atol=1e-6)
    assert predictor.predict_one(x.tolist()).shape == (3,)
    dynamic = models.image_model()  # has a scalar input: not warmed up, still runs
    assert Predictor(dynamic, device="cpu").warm_up() is False


def test_iter_batches_streams_and_casts_batch_by_batch(predictor):
    x = RNG.standard_normal((10, 4))  # float64: cast one batch at a time
    starts, parts = zip(*predictor.iter_batches(x, batch_size=4), strict=True)
    assert starts == (0, 4, 8) and [p[0].shape[0] for p in parts] == [4, 4, 2]
    np.testing.assert_allclose(np.concatenate([p[0] for p in parts]), x @ W + B, rtol=1e-5)
    with pytest.raises(ValueError, match=r"expects shape \(batch, 4\) float32"):
        next(predictor.iter_batches(np.zeros((3, 5))))


def test_micro_batched_results_equal_single_predictions(predictor):
    xs = [RNG.standard_normal((int(RNG.integers(1, 4)), 4)).astype(np.float32) for _ in range(64)]
    results: list = [None] * len(xs)
    with MicroBatcher(predictor, max_batch_size=16, max_wait_ms=20) as batcher:
        barrier = threading.Barrier(16)

        def client(k: int) -> None:
            barrier.wait()
            for i in range(k, len(xs), 16):
                results[i] = batcher.predict(xs[i], timeout=30)

        threads = [threading.Thread(target=client, args=(k,)) for k in range(16)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        assert batcher.batches < len(xs)  # requests were joined
        assert batcher.samples == sum(len(x) for x in xs)
    for x, y in zip(xs, results, strict=True):
        np.testing.assert_allclose(y, x @ W + B, rtol=1e-5, atol=1e-5)
        np.testing.assert_allclose(y, predictor.predict(x), rtol=1e-6, atol=1e-6)


def test_bad_requests_fail_alone():
    conv = _dynamic_conv()
    predictor = Predictor(conv, device="cpu")
    with MicroBatcher(predictor, max_batch_size=8, max_wait_ms=50) as batcher:
        with pytest.raises(ValueError, match="expects shape"):
            batcher.submit(np.zeros((1, 5, 5), np.float32))
        good = [batcher.submit(np.ones((1, 5, 5, 3), np.float32)) for _ in range(3)]
        bad = batcher.submit(np.ones((1, 1, 1, 3), np.float32))  # a different key: own batch
        other = batcher.submit(np.ones((2, 6, 6, 3), np.float32))
        for future in good:
            assert future.result(30).shape == (1, 2)
        assert other.result(30).shape == (2, 2)
        with pytest.raises(RunError, match=r"float32\[1, 1, 1, 3\]"):
            bad.result(30)
    with pytest.raises(RuntimeError, match="closed"):
        batcher.submit(np.ones((1, 5, 5, 3), np.float32))
    for bad_size in (0, 1.5, True):
        with pytest.raises(ValueError, match="max_batch_size"):
            MicroBatcher(predictor, max_batch_size=bad_size)
    with pytest.raises(ValueError, match="max_wait_ms"):
        MicroBatcher(predictor, max_wait_ms=-1)


def _dynamic_conv() -> bytes:
    from onnx import TensorProto, helper, numpy_helper

    w = numpy_helper.from_array(np.ones((2, 3, 3, 3), np.float32), "W")
    nodes = [
        helper.make_node("Transpose", ["x"], ["xt"], perm=[0, 3, 1, 2]),
        helper.make_node("Conv", ["xt", "W"], ["c"]),
        helper.make_node("ReduceMean", ["c"], ["y"], axes=[2, 3], keepdims=0),
    ]
    graph = helper.make_graph(
        nodes,
        "conv",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", None, None, 3])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["batch", 2])],
        [w],
    )
    model = helper.make_model(graph, ir_version=10, opset_imports=[helper.make_opsetid("", 17)])
    return model.SerializeToString()


def test_the_cuda_fallback_line_is_a_log_record_a_service_can_silence(monkeypatch, capfd):
    monkeypatch.setattr(providers.ort, "get_available_providers", lambda: [providers.CUDA])
    monkeypatch.setattr(providers, "_probe_result", ("CUDA failure 100",))
    monkeypatch.setattr(providers, "_warned_fallback", False)
    logger = logging.getLogger("kgraph.runtime")
    logger.setLevel(logging.ERROR)  # (setLevel also clears logging's per-logger cache)
    try:
        assert providers.resolve_providers("auto") == [providers.CPU]
    finally:
        logger.setLevel(logging.NOTSET)
    assert capfd.readouterr().err == ""
