"""A minimal prediction service that embeds kgraph's runtime and nothing else of kgraph.

Only ``kgraph.runtime`` (onnxruntime + numpy) and the standard library are imported: the
service runs where kgraph's compiler and front end (onnx, onnx_ir, onnxscript) are not
installed. ``kgraph serve`` offers more (metrics, image uploads, uvicorn); this shows the
embedding API:

* ``Predictor(path, warmup=True)`` loads the model and runs it once, so that the first request
  is not slow; ``predictor.metadata`` holds the class names and input contract of the file;
* ``MicroBatcher(predictor, max_batch_size, max_wait_ms)`` joins concurrent requests (one
  thread per connection here) into batches;
* a bad request raises ``ValueError`` (shape, dtype) or ``RunError`` (onnxruntime failed), each
  one line naming the input, which becomes the 400 answer.

Run it::

    python examples/service.py model.onnx --port 8000
    curl -s localhost:8000/predict -d '{"inputs": [[0.1, 0.2, 0.3, 0.4]]}'

SIGTERM or Ctrl-C stops it after the requests in flight.
"""

from __future__ import annotations

import argparse
import json
import logging
import signal
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import numpy as np

from kgraph.runtime import MicroBatcher, Predictor, RunError

MAX_BODY = 1 << 20


def make_handler(batcher: MicroBatcher, class_names: list[str] | None):
    class Handler(BaseHTTPRequestHandler):
        def answer(self, status: int, payload: dict) -> None:
            body = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_POST(self) -> None:
            if self.path != "/predict":
                return self.answer(404, {"error": f"no route {self.path}"})
            size = int(self.headers.get("Content-Length") or 0)
            if size > MAX_BODY:
                return self.answer(413, {"error": f"body over {MAX_BODY} bytes"})
            try:
                inputs = np.asarray(json.loads(self.rfile.read(size))["inputs"])
                outputs = batcher.predict(inputs, timeout=30)
            except (ValueError, KeyError, TypeError, RunError) as exc:
                return self.answer(400, {"error": str(exc)})
            payload = {"outputs": outputs.tolist()}
            if class_names and outputs.shape[-1] == len(class_names):
                payload["classes"] = [class_names[i] for i in outputs.argmax(-1).ravel()]
            return self.answer(200, payload)

        def log_message(self, *args) -> None:  # keep stderr quiet; a real service logs here
            pass

    return Handler


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    args = parser.parse_args()
    logging.getLogger("kgraph.runtime").setLevel(logging.ERROR)  # no CUDA-fallback warning
    predictor = Predictor(args.model, device="auto", warmup=True)
    with MicroBatcher(predictor, max_batch_size=32, max_wait_ms=2) as batcher:
        handler = make_handler(batcher, predictor.metadata.class_names)
        server = ThreadingHTTPServer((args.host, args.port), handler)
        stop = lambda *_: threading.Thread(target=server.shutdown).start()
        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        print(f"listening on http://{args.host}:{server.server_address[1]}", flush=True)
        server.serve_forever()
        server.server_close()


if __name__ == "__main__":
    main()
