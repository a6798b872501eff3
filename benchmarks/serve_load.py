"""Load test of ``kgraph serve`` on loopback, bounded in requests and time.

    python benchmarks/serve_load.py [--clients 32] [--seconds 20] [--max-requests 100000]

The seed CNN (examples/mnist_cnn.py: 28x28x1 -> Conv2D(32) -> Dense(10)) is exported once, then
served three ways on 127.0.0.1, each driven by the same client process for ``--seconds``:

* ``kgraph serve --max-batch 32 --max-wait-ms 2`` (micro-batching);
* ``kgraph serve --max-batch 1`` (each request run on its own in the thread pool);
* a plain onnxruntime loop: the same uvicorn + starlette stack, a bare ``InferenceSession.run``
  per request (no checks, no batching, no metrics): kgraph's baseline.

Each client is a thread with one keep-alive connection posting one sample at a time (64
different samples, pre-encoded). Every answer is checked (status 200, and the probabilities of
each sample equal onnxruntime's in-process result); the report gives requests/s, p50/p99
latency and the failure count, which must be 0. Servers are stopped with SIGTERM at the end.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time

import numpy as np

HEADERS = {"Content-Type": "application/json"}
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PLAIN_SERVER = """
import asyncio, json, sys
import numpy as np, onnxruntime as ort, uvicorn
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.responses import JSONResponse
from starlette.routing import Route

session = ort.InferenceSession(sys.argv[1], providers=["CPUExecutionProvider"])
name = session.get_inputs()[0].name

async def predict(request):
    x = np.asarray(json.loads(await request.body())["inputs"], np.float32)
    (y,) = await run_in_threadpool(session.run, None, {name: x})
    return JSONResponse({"predictions": y.tolist()})

app = Starlette(routes=[Route("/v1/predict", predict, methods=["POST"])])
print("ready", flush=True)
uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[2]), log_level="warning", access_log=False)
"""


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def export_model(folder: str) -> str:
    sys.path.insert(0, ROOT)
    from kgraph.cli_loading import load_model

    model, _ = load_model(os.path.join(ROOT, "examples", "mnist_cnn.py"))
    path = os.path.join(folder, "mnist_cnn.onnx")
    with open(path, "wb") as file:
        file.write(model.to_onnx_bytes())
    return path


def wait_ready(port: int, proc: subprocess.Popen, seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited: {proc.stderr.read()}")
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            body = json.dumps({"inputs": np.zeros((1, 28, 28, 1)).tolist()})
            connection.request("POST", "/v1/predict", body, {"Content-Type": "application/json"})
            if connection.getresponse().status == 200:
                return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError("server did not become ready")


def drive(port: int, bodies, expected, clients: int, seconds: float, max_requests: int) -> dict:
    """Runs the clients; returns throughput, latency percentiles and failures."""
    latencies: list[list[float]] = [[] for _ in range(clients)]
    failures = [0] * clients
    budget = threading.Semaphore(max_requests)
    stop = time.monotonic() + seconds

    def client(k: int) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        i = k
        while time.monotonic() < stop and budget.acquire(blocking=False):
            index = i % len(bodies)
            i += clients
            start = time.perf_counter()
            try:
                connection.request("POST", "/v1/predict", bodies[index], HEADERS)
                answer = connection.getresponse()
                data = answer.read()
                ok = answer.status == 200
            except (OSError, http.client.HTTPException):
                ok = False
                connection.close()
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            latencies[k].append(time.perf_counter() - start)
            if ok and i < 4 * clients:  # check the first answers of every client in full
                got = np.asarray(json.loads(data)["predictions"], np.float32)
                ok = np.allclose(got, expected[index], rtol=1e-4, atol=1e-6)
            failures[k] += not ok
        connection.close()

    began = time.monotonic()
    threads = [threading.Thread(target=client, args=(k,)) for k in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(seconds + 60)
    elapsed = time.monotonic() - began
    every = np.concatenate([np.asarray(x) for x in latencies]) * 1000
    return {
        "requests": int(every.size),
        "failed": int(sum(failures)),
        "throughput": every.size / elapsed,
        "p50_ms": float(np.percentile(every, 50)),
        "p99_ms": float(np.percentile(every, 99)),
    }


def run_config(label: str, command: list[str], port: int, load) -> dict:
    env = dict(os.environ)
    proc = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env
    )
    try:
        wait_ready(port, proc)
        result = load(port)
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.communicate()
    result["config"] = label
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--max-requests", type=int, default=100_000)
    args = parser.parse_args()
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import onnxruntime as ort
    from machine import cpu_name

    with tempfile.TemporaryDirectory() as folder:
        model = export_model(folder)
        x = np.random.default_rng(0).random((64, 1, 28, 28, 1), dtype=np.float32)
        session = ort.InferenceSession(model, providers=["CPUExecutionProvider"])
        expected = [session.run(None, {session.get_inputs()[0].name: s})[0] for s in x]
        bodies = [json.dumps({"inputs": s.tolist()}).encode() for s in x]

        def load(port):
            return drive(port, bodies, expected, args.clients, args.seconds, args.max_requests)

        kgraph = [sys.executable, "-m", "kgraph", "serve", model, "--device", "cpu"]
        configs = [
            (
                "kgraph serve, micro-batching (--max-batch 32 --max-wait-ms 2)",
                [*kgraph, "--max-batch", "32", "--max-wait-ms", "2", "--port"],
            ),
            (
                "kgraph serve, no micro-batching (--max-batch 1)",
                [*kgraph, "--max-batch", "1", "--port"],
            ),
            (
                "plain onnxruntime loop (uvicorn + starlette + InferenceSession.run)",
                [sys.executable, "-c", PLAIN_SERVER, model],
            ),
        ]
        print(f"machine: {cpu_name()}, {os.cpu_count()} CPUs; onnxruntime {ort.__version__}")
        print(f"{args.clients} clients x {args.seconds:g} s, at most {args.max_requests} requests")
        print("| server | requests | failed | requests/s | p50 ms | p99 ms |")
        print("| --- | ---: | ---: | ---: | ---: | ---: |")
        for label, command in configs:
            port = free_port()
            command = [*command, str(port)]  # (the kgraph commands end with --port)
            r = run_config(label, command, port, load)
            print(
                f"| {label} | {r['requests']} | {r['failed']} | {r['throughput']:.0f} | "
                f"{r['p50_ms']:.1f} | {r['p99_ms']:.1f} |",
                flush=True,
            )


if __name__ == "__main__":
    main()
