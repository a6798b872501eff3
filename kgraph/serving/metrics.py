"""Prometheus-style counters for ``GET /metrics`` (text exposition format 0.0.4).

Kept by hand (a few dicts under a lock) rather than through ``prometheus_client``, so that the
``serve`` extra needs only uvicorn and starlette. With ``--workers N`` each worker process keeps
its own counts; a scrape sees the one worker that answered it.
"""

from __future__ import annotations

import threading
import time

BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)
ROUTES = ("/v1/predict", "/v1/metadata", "/healthz", "/metrics")


class Metrics:
    """Request counts by route and status, predict latency histogram, in-flight requests."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.started = time.time()
        self.requests: dict[tuple[str, int], int] = {}
        self.latency = [0] * (len(BUCKETS) + 1)
        self.latency_sum = 0.0
        self.in_flight = 0

    def begin(self) -> None:
        with self._lock:
            self.in_flight += 1

    def end(self, path: str, status: int, seconds: float) -> None:
        route = path if path in ROUTES else "other"
        with self._lock:
            self.in_flight -= 1
            self.requests[route, status] = self.requests.get((route, status), 0) + 1
            if route == "/v1/predict":
                index = next((i for i, b in enumerate(BUCKETS) if seconds <= b), len(BUCKETS))
                self.latency[index] += 1
                self.latency_sum += seconds

    def render(self, batcher=None, model: str = "", device: str = "") -> str:
        """The exposition text; ``batcher`` adds the micro-batching counters."""
        with self._lock:
            lines = [
                "# HELP kgraph_model_info The model being served.",
                "# TYPE kgraph_model_info gauge",
                f'kgraph_model_info{{model="{_escape(model)}",device="{device}"}} 1',
                "# HELP kgraph_requests_total HTTP requests by route and status code.",
                "# TYPE kgraph_requests_total counter",
            ]
            for (route, status), count in sorted(self.requests.items()):
                lines.append(f'kgraph_requests_total{{route="{route}",code="{status}"}} {count}')
            lines += [
                "# HELP kgraph_predict_seconds Latency of POST /v1/predict.",
                "# TYPE kgraph_predict_seconds histogram",
            ]
            cumulative = 0
            for bound, count in zip((*BUCKETS, "+Inf"), self.latency, strict=True):
                cumulative += count
                lines.append(f'kgraph_predict_seconds_bucket{{le="{bound}"}} {cumulative}')
            lines += [
                f"kgraph_predict_seconds_sum {self.latency_sum:.6f}",
                f"kgraph_predict_seconds_count {cumulative}",
                "# HELP kgraph_in_flight_requests Requests being handled now.",
                "# TYPE kgraph_in_flight_requests gauge",
                f"kgraph_in_flight_requests {self.in_flight}",
                "# HELP kgraph_uptime_seconds Seconds since the server started.",
                "# TYPE kgraph_uptime_seconds gauge",
                f"kgraph_uptime_seconds {time.time() - self.started:.3f}",
            ]
        if batcher is not None:
            lines += [
                "# HELP kgraph_batches_total Model runs made by the micro-batcher.",
                "# TYPE kgraph_batches_total counter",
                f"kgraph_batches_total {batcher.batches}",
                "# HELP kgraph_batched_samples_total Samples in those runs.",
                "# TYPE kgraph_batched_samples_total counter",
                f"kgraph_batched_samples_total {batcher.samples}",
            ]
        return "\n".join(lines) + "\n"


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
