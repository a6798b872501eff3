"""Tests for runtime.predictor.Predictor: batching, padding, multi-output, threads."""

from __future__ import annotations

import threading

import numpy as np
import pytest
import runtime_models as models

from kgraph.runtime import Predictor, Session

RNG = np.random.default_rng(42)
W = RNG.standard_normal((4, 3)).astype(np.float32)
B = RNG.standard_normal(3).astype(np.float32)


def reference(x: np.ndarray) -> np.ndarray:
    return x.astype(np.float32) @ W + B


@pytest.fixture(scope="module")
def predictor() -> Predictor:
    return Predictor(models.dense_model(W, B), device="cpu")


@pytest.mark.parametrize("batch_size", [None, 1, 7, 32, 100, 1000])
def test_batching_equals_single_run(predictor, batch_size):
    x = RNG.standard_normal((100, 4)).astype(np.float32)
    (whole,) = predictor.session.run({"x": x})
    result = predictor.predict(x, batch_size=batch_size)
    assert isinstance(result, np.ndarray) and result.shape == (100, 3)
    np.testing.assert_allclose(result, whole, rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(result, reference(x), rtol=1e-5, atol=1e-5)


def test_input_forms_and_casting(predictor):
    x = RNG.standard_normal((10, 4))  # float64 is cast to the model's float32
    expected = reference(x)
    for inputs in (x, [x], {"x": x}, x.tolist()):
        np.testing.assert_allclose(predictor(inputs, batch_size=3), expected, rtol=1e-5, atol=1e-5)


def test_bad_batch_size_and_inputs(predictor):
    x = np.zeros((4, 4), np.float32)
    for bad in (0, -1, 2.5, True):
        with pytest.raises(ValueError, match="batch_size must be a positive int"):
            predictor.predict(x, batch_size=bad)
    with pytest.raises(ValueError, match=r"Input 'x' expects shape \(batch, 4\) float32"):
        predictor.predict(np.zeros((4, 5), np.float32))
    with pytest.raises(TypeError, match="inputs must be"):
        predictor.predict(42)  # type: ignore[arg-type]


def test_fixed_batch_dimension_pads_last_batch():
    predictor = Predictor(models.dense_model(W, B, batch=8), device="cpu")
    assert predictor.fixed_batch_size == 8
    for n in (1, 8, 13, 16, 21):
        x = RNG.standard_normal((n, 4)).astype(np.float32)
        for batch_size in (None, 3, 32):  # a fixed batch dimension overrides batch_size
            result = predictor.predict(x, batch_size=batch_size)
            assert result.shape == (n, 3)
            np.testing.assert_allclose(result, reference(x), rtol=1e-5, atol=1e-5)


def test_multi_input_multi_output():
    w = RNG.standard_normal((5, 2)).astype(np.float32)
    predictor = Predictor(Session(models.two_in_two_out_model(w), device="cpu"))
    a = RNG.standard_normal((23, 5)).astype(np.float32)
    c = RNG.standard_normal((23, 5)).astype(np.float32)
    for inputs in ([a, c], {"a": a, "c": c}):
        s, d = predictor.predict(inputs, batch_size=4)
        np.testing.assert_allclose(s, (a + c) @ w, rtol=1e-5, atol=1e-5)
        np.testing.assert_allclose(d, a - c, rtol=1e-6)
    with pytest.raises(
        ValueError, match=r"same number of samples along axis 0. Received: a=23, c=22"
    ):
        predictor.predict([a, c[:22]])
    with pytest.raises(ValueError, match="pass a list or a dict"):
        predictor.predict(a)
    with pytest.raises(ValueError, match="received a list of 3 arrays"):
        predictor.predict([a, c, c])


def test_thread_safety(predictor):
    inputs = [RNG.standard_normal((257, 4)).astype(np.float32) for _ in range(4)]
    results: dict[int, list[np.ndarray]] = {i: [] for i in range(4)}
    errors: list[BaseException] = []
    barrier = threading.Barrier(4)

    def work(index: int) -> None:
        try:
            barrier.wait()
            for _ in range(20):
                results[index].append(predictor.predict(inputs[index], batch_size=16))
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    for index in range(4):
        expected = reference(inputs[index])
        assert len(results[index]) == 20
        for result in results[index]:
            np.testing.assert_allclose(result, expected, rtol=1e-5, atol=1e-5)


def test_scalar_inputs_are_passed_to_every_batch():
    predictor = Predictor(models.image_model(), device="cpu")
    x = RNG.random((10, 28, 28, 1), dtype=np.float32)
    result = predictor.predict({"x": x, "scale": 3.0}, batch_size=4)
    np.testing.assert_allclose(result, x.mean(axis=(1, 2, 3)) * 3, rtol=1e-5)
    with pytest.raises(ValueError, match=r"^Input 'scale' expects shape \(\) float32"):
        predictor.predict({"x": x, "scale": np.ones(10)}, batch_size=4)
