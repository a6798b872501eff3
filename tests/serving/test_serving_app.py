"""The ``kgraph serve`` app through starlette's TestClient: predictions equal numpy's, every bad
request is a 4xx JSON error naming the problem, and the server keeps serving after each."""

from __future__ import annotations

import io
import json
import threading

import numpy as np
import pytest

pytest.importorskip("starlette")
pytest.importorskip("httpx")

from PIL import Image
from starlette.testclient import TestClient

import kgraph as keras
from kgraph import layers
from kgraph.runtime import Predictor
from kgraph.serving.app import create_app

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

RNG = np.random.default_rng(3)


@pytest.fixture(scope="module")
def image_model():
    """Rescaling(1/255) + Dense softmax on 4x4 RGB pictures, with class names recorded."""
    model = keras.Sequential(
        [
            keras.Input((4, 4, 3), name="image"),
            layers.Rescaling(1 / 255),
            layers.Flatten(),
            layers.Dense(3, activation="softmax", name="probs"),
        ]
    )
    model.class_names = ["cat", "dog", "eel"]
    kernel, bias = model.get_weights()
    return model.to_onnx_bytes(), kernel, bias


def reference(x, kernel, bias):
    """The model in numpy, float64."""
    logits = (np.asarray(x, np.float64) / 255).reshape(len(x), -1) @ kernel + bias
    e = np.exp(logits - logits.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


@pytest.fixture(scope="module", params=[1, 16], ids=["unbatched", "micro-batched"])
def client(request, image_model):
    predictor = Predictor(image_model[0], device="cpu", warmup=True)
    app = create_app(predictor, max_batch=request.param, max_wait_ms=5, max_body_bytes=20_000)
    with TestClient(app) as client:
        yield client


def png(width: int, height: int, mode: str = "RGB") -> bytes:
    buffer = io.BytesIO()
    pixels = RNG.integers(0, 256, (height, width, len(mode)), dtype=np.uint8)
    Image.fromarray(pixels.squeeze(-1) if mode == "L" else pixels, mode).save(buffer, "PNG")
    return buffer.getvalue()


def test_json_batches_and_single_examples(client, image_model):
    _, kernel, bias = image_model
    x = RNG.integers(0, 256, (5, 4, 4, 3)).astype(float)
    answer = client.post("/v1/predict", json={"inputs": x.tolist()})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    expected = reference(x, kernel, bias)
    np.testing.assert_allclose(body["predictions"], expected, rtol=1e-5, atol=1e-6)
    assert body["outputs"].keys() == {"probs"}
    assert body["classes"] == [["cat", "dog", "eel"][i] for i in expected.argmax(-1)]
    one = client.post("/v1/predict", json={"instance": x[0].tolist()}).json()
    np.testing.assert_allclose(one["predictions"], expected[0], rtol=1e-5, atol=1e-6)
    named = client.post("/v1/predict", json={"inputs": {"image": x[:2].tolist()}})
    np.testing.assert_allclose(named.json()["predictions"], expected[:2], rtol=1e-5, atol=1e-6)


def test_image_upload_is_decoded_as_the_contract_says(client, image_model):
    _, kernel, bias = image_model
    data = png(4, 4)
    pixels = np.asarray(Image.open(io.BytesIO(data)).convert("RGB"), np.float64)
    answer = client.post("/v1/predict", content=data, headers={"content-type": "image/png"})
    assert answer.status_code == 200, answer.text
    expected = reference(pixels[None], kernel, bias)[0]
    np.testing.assert_allclose(answer.json()["predictions"], expected, rtol=1e-5, atol=1e-6)
    big = client.post("/v1/predict", content=png(9, 7, "L"), headers={"content-type": "image/png"})
    assert big.status_code == 200 and len(big.json()["predictions"]) == 3  # resized, grey->RGB


BAD = [
    (
        {"content": b"{not json", "headers": {"content-type": "application/json"}},
        400,
        "not valid JSON",
    ),
    ({"json": {"x": 1}}, 400, '"inputs" (a batch) or "instance"'),
    ({"json": [1, 2]}, 400, '"inputs" (a batch) or "instance"'),
    (
        {"json": {"inputs": [[1, 2, 3]]}},
        422,
        "expects shape (batch, 4, 4, 3) float32; received (1, 3)",
    ),
    ({"json": {"inputs": [[[[1, 2, 3]] * 4] * 4, [1]]}}, 422, "not a rectangular array"),
    (
        {"json": {"inputs": [[[["a", "b", "c"]] * 4] * 4]}},
        422,
        "float32; received (1, 4, 4, 3) <U1",
    ),
    ({"json": {"inputs": {"other": [1]}}}, 422, "unknown: ['other']"),
    ({"json": {"instance": 1.5}}, 422, "expects shape (batch, 4, 4, 3)"),
    (
        {"content": b"x" * 20_001, "headers": {"content-type": "application/json"}},
        413,
        "at most 20000",
    ),
    (
        {"content": b"\x89PNG garbage", "headers": {"content-type": "image/png"}},
        400,
        "cannot decode the image",
    ),
    (
        {"content": b"a,b", "headers": {"content-type": "text/csv"}},
        415,
        "unsupported Content-Type 'text/csv'",
    ),
]


@pytest.mark.parametrize(("request_args", "status", "message"), BAD)
def test_bad_requests_are_4xx_json_and_the_server_keeps_serving(
    client, request_args, status, message
):
    answer = client.post("/v1/predict", **request_args)
    assert answer.status_code == status, answer.text
    error = answer.json()["error"]
    assert error["status"] == status and message in error["message"], error
    good = client.post("/v1/predict", json={"inputs": np.zeros((1, 4, 4, 3)).tolist()})
    assert good.status_code == 200


def test_unknown_routes_methods_and_chunked_bodies(client):
    assert client.get("/v2/predict").json()["error"]["message"] == "no route /v2/predict"
    assert client.get("/v2/predict").status_code == 404
    answer = client.get("/v1/predict")
    assert answer.status_code == 405 and "GET is not allowed" in answer.json()["error"]["message"]
    chunks = iter([b'{"inputs": ', b"[" + b" " * 30_000 + b"]}"])  # no Content-Length
    answer = client.post("/v1/predict", content=chunks)
    assert answer.status_code == 413 and "exceeds 20000 bytes" in answer.text


def test_metadata_health_and_metrics(client):
    assert client.get("/healthz").json()["status"] == "ok"
    meta = client.get("/v1/metadata").json()
    assert meta["class_names"] == ["cat", "dog", "eel"]
    assert meta["inputs"] == [{"name": "image", "shape": ["batch", 4, 4, 3], "dtype": "float32"}]
    assert meta["input_contract"]["inputs"][0]["layout"] == "NHWC"
    assert meta["config"]["class_name"] == "Sequential"
    client.post("/v1/predict", json={"inputs": [[1]]})
    text = client.get("/metrics").text
    counts = {
        line.rsplit(" ", 1)[0]: float(line.rsplit(" ", 1)[1])
        for line in text.splitlines()
        if line and not line.startswith("#")
    }
    assert counts['kgraph_requests_total{route="/v1/predict",code="422"}'] >= 1
    assert counts['kgraph_requests_total{route="/healthz",code="200"}'] >= 1
    total = counts["kgraph_predict_seconds_count"]
    assert counts['kgraph_predict_seconds_bucket{le="+Inf"}'] == total >= 1


def test_concurrent_requests_equal_single_predictions(client, image_model):
    _, kernel, bias = image_model
    xs = [RNG.integers(0, 256, (int(RNG.integers(1, 4)), 4, 4, 3)).astype(float) for _ in range(24)]
    answers: list = [None] * len(xs)

    def post(i: int) -> None:
        answers[i] = client.post("/v1/predict", json={"inputs": xs[i].tolist()})

    threads = [threading.Thread(target=post, args=(i,)) for i in range(len(xs))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    for x, answer in zip(xs, answers, strict=True):
        assert answer.status_code == 200, answer.text
        expected = reference(x, kernel, bias)
        np.testing.assert_allclose(answer.json()["predictions"], expected, rtol=1e-5, atol=1e-6)


def test_json_output_is_strict_json(image_model):
    nan_model = keras.Sequential([keras.Input((2,)), layers.Lambda(lambda t: keras.ops.log(t))])
    predictor = Predictor(nan_model.to_onnx_bytes(), device="cpu")
    with TestClient(create_app(predictor, max_batch=1)) as client:
        answer = client.post("/v1/predict", json={"inputs": [[-1.0, 1.0]]})
        body = json.loads(answer.text)  # NaN is not JSON: it comes back as null
        assert body["predictions"] == [[None, 0.0]]
        data = png(2, 2)
        images = client.post("/v1/predict", content=data, headers={"content-type": "image/png"})
        assert images.status_code == 415 and "not an image" in images.json()["error"]["message"]


def test_a_run_that_onnxruntime_rejects_is_a_422_and_others_still_run():
    model = keras.Sequential(
        [keras.Input(shape=(None, None, 3)), layers.Conv2D(2, 3), layers.GlobalAveragePooling2D()]
    )
    predictor = Predictor(model.to_onnx_bytes(), device="cpu")
    for max_batch in (1, 8):
        with TestClient(create_app(predictor, max_batch=max_batch)) as client:
            tiny = client.post("/v1/predict", json={"inputs": np.ones((1, 1, 1, 3)).tolist()})
            assert tiny.status_code == 422, tiny.text
            error = tiny.json()["error"]
            assert error["type"] == "run_error" and "float32[1, 1, 1, 3]" in error["message"]
            good = client.post("/v1/predict", json={"inputs": np.ones((2, 5, 5, 3)).tolist()})
            assert good.status_code == 200, good.text
            expected = predictor.predict(np.ones((2, 5, 5, 3), np.float32))
            np.testing.assert_allclose(good.json()["predictions"], expected, rtol=1e-6)
