"""The ASGI app behind ``kgraph serve``: a :class:`kgraph.runtime.Predictor` over HTTP.

Routes:

* ``POST /v1/predict``: JSON (see :mod:`kgraph.serving.decode`) or an image upload; answers
  ``{"outputs": {name: array}, "predictions": array, "classes": [...]}`` (``predictions`` is the
  first output; ``classes`` the arg-max labels, when the file records class names).
* ``GET /v1/metadata``: inputs, outputs, device and what the file says about the model.
* ``GET /healthz``: ``{"status": "ok"}`` once the model is loaded and warmed up.
* ``GET /metrics``: Prometheus text (requests, latency histogram, micro-batching counters).

Concurrent predictions are joined by a :class:`kgraph.runtime.MicroBatcher` (``max_batch`` > 1)
or each run on its own in the thread pool (``max_batch=1``). Every refusal is a 4xx JSON body
``{"error": {"status", "type", "message"}}`` and the server keeps serving.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import time

import numpy as np
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse
from starlette.routing import Route

from kgraph.runtime import MicroBatcher, Predictor, RunError
from kgraph.serving.decode import RequestError, image_feeds, json_feeds, to_json
from kgraph.serving.metrics import Metrics

MAX_BODY_BYTES = 16 * 1024 * 1024
_IMAGE_TYPES = ("image/", "application/octet-stream")


def error(status: int, message: str, kind: str = "invalid_request") -> JSONResponse:
    body = {"error": {"status": status, "type": kind, "message": message}}
    return JSONResponse(body, status_code=status)


async def read_body(request: Request, limit: int) -> bytes:
    """The request body, refused with 413 beyond ``limit`` bytes (declared or streamed)."""
    declared = request.headers.get("content-length")
    if declared is not None:
        if not declared.isdigit():
            raise RequestError(400, f"bad Content-Length header: {declared!r}")
        if int(declared) > limit:
            raise RequestError(413, f"the body has {declared} bytes; at most {limit}", "too_large")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise RequestError(413, f"the body exceeds {limit} bytes", "too_large")
        chunks.append(chunk)
    return b"".join(chunks)


class _Service:
    def __init__(self, predictor: Predictor, max_batch: int, max_wait_ms: float, limit: int):
        self.predictor = predictor
        self.limit = limit
        self.batcher = MicroBatcher(predictor, max_batch, max_wait_ms) if max_batch > 1 else None
        self.metrics = Metrics()
        self.name = os.path.basename(predictor.session.label)

    async def run(self, feeds: dict) -> list[np.ndarray]:
        try:
            if self.batcher is not None:
                result = await asyncio.wrap_future(self.batcher.submit(feeds))
            else:
                checked = self.predictor.checked_feeds(feeds)
                result = await run_in_threadpool(self.predictor.predict, checked, None)
        except (ValueError, TypeError) as exc:
            raise RequestError(422, str(exc), "invalid_input") from None
        except RunError as exc:
            raise RequestError(
                422, f"the model cannot run on this input: {exc}", "run_error"
            ) from None
        return result if isinstance(result, list) else [result]

    async def predict(self, request: Request) -> JSONResponse:
        body = await read_body(request, self.limit)
        kind = request.headers.get("content-type", "application/json").split(";")[0].strip()
        if kind.lower().startswith(_IMAGE_TYPES):
            feeds, single = image_feeds(body, self.predictor), True
        elif kind.lower() in ("application/json", ""):
            feeds, single = json_feeds(body, self.predictor)
        else:
            raise RequestError(
                415,
                f"unsupported Content-Type {kind!r}: send application/json or an image",
                "unsupported_media_type",
            )
        outputs = await self.run(feeds)
        if single:
            outputs = [o[0] if o.ndim else o for o in outputs]
        names = self.predictor.session.output_names
        answer = {"outputs": {n: to_json(o) for n, o in zip(names, outputs, strict=True)}}
        answer["predictions"] = answer["outputs"][names[0]]
        classes = self.predictor.metadata.class_names
        first = outputs[0]
        if classes and first.ndim >= 1 and first.shape[-1] == len(classes):
            best = np.argmax(first, axis=-1)
            labels = np.asarray(classes)[best]
            answer["classes"] = labels.tolist() if labels.ndim else str(labels)
        return JSONResponse(answer)

    async def metadata(self, request: Request) -> JSONResponse:
        session = self.predictor.session

        def specs(items):
            return [{"name": n, "shape": list(s), "dtype": d} for n, s, d in items]

        return JSONResponse(
            {
                "model": self.name,
                "device": session.device,
                "inputs": specs(session.inputs),
                "outputs": specs(session.outputs),
                "max_batch": self.batcher.max_batch_size if self.batcher else 1,
                **self.predictor.metadata.as_dict(),
            }
        )

    async def health(self, request: Request) -> JSONResponse:
        return JSONResponse({"status": "ok", "model": self.name})

    async def prometheus(self, request: Request) -> PlainTextResponse:
        text = self.metrics.render(self.batcher, self.name, self.predictor.session.device)
        return PlainTextResponse(text, media_type="text/plain; version=0.0.4")


def create_app(
    predictor: Predictor,
    max_batch: int = 32,
    max_wait_ms: float = 2.0,
    max_body_bytes: int = MAX_BODY_BYTES,
) -> Starlette:
    """Builds the app around a loaded (ideally warmed-up) predictor.

    Args:
        predictor: the model to serve.
        max_batch: most samples the micro-batcher joins into one run; 1 runs each request
            on its own.
        max_wait_ms: how long a request waits for others to join its batch.
        max_body_bytes: larger request bodies are refused with 413.
    """
    service = _Service(predictor, max_batch, max_wait_ms, max_body_bytes)

    async def refused(request: Request, exc: Exception) -> JSONResponse:
        if isinstance(exc, RequestError):
            return error(exc.status, str(exc), exc.kind)
        assert isinstance(exc, HTTPException)
        if exc.status_code == 404:
            return error(404, f"no route {request.url.path}", "not_found")
        if exc.status_code == 405:
            return error(405, f"{request.method} is not allowed on {request.url.path}", "method")
        return error(exc.status_code, str(exc.detail))

    async def failed(request: Request, exc: Exception) -> JSONResponse:
        return error(500, f"internal error: {type(exc).__name__}: {exc}", "internal")

    @contextlib.asynccontextmanager
    async def lifespan(app):
        yield
        if service.batcher is not None:
            await run_in_threadpool(service.batcher.close)

    app = Starlette(
        routes=[
            Route("/v1/predict", service.predict, methods=["POST"]),
            Route("/v1/metadata", service.metadata, methods=["GET"]),
            Route("/healthz", service.health, methods=["GET"]),
            Route("/metrics", service.prometheus, methods=["GET"]),
        ],
        exception_handlers={RequestError: refused, HTTPException: refused, Exception: failed},
        lifespan=lifespan,
    )
    app.state.service = service
    return _Measured(app, service.metrics)


class _Measured:
    """ASGI wrapper that counts every HTTP request by route and status, and times it."""

    def __init__(self, app: Starlette, metrics: Metrics):
        self.app, self.metrics = app, metrics
        self.state = app.state

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        status, counted = [500], [False]
        start = time.perf_counter()

        def count() -> None:
            if not counted[0]:
                counted[0] = True
                self.metrics.end(scope["path"], status[0], time.perf_counter() - start)

        async def sending(message):
            if message["type"] == "http.response.start":
                status[0] = message["status"]
            elif message["type"] == "http.response.body" and not message.get("more_body"):
                count()  # before the last byte leaves: a client's next scrape sees this request
            await send(message)

        self.metrics.begin()
        try:
            await self.app(scope, receive, sending)
        finally:
            count()
