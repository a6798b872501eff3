"""Runs the app on uvicorn for ``kgraph serve``.

The model is loaded and warmed up before the port opens, so a bad file fails the command at
once (one line, exit 2) and the first request is not slow. The listening socket is bound here
too: a port in use is one clear line, and ``--port 0`` picks a free port, printed on stdout
(``kgraph: serving MODEL on http://HOST:PORT``) for scripts and tests. With ``--workers N`` >
1, uvicorn forks N processes that each load the model (settings pass through the environment).
"""

from __future__ import annotations

import json
import os
import socket
import sys

ENV = "KGRAPH_SERVE_SETTINGS"  # JSON settings for worker processes (app_from_env)


class ServeError(Exception):
    """A problem with what the user asked for: one line (the CLI exits 2)."""


def _predictor(model: str, device: str):
    from kgraph.runtime import Predictor, RunError

    try:
        return Predictor(model, device=device, warmup=True)
    except (ValueError, FileNotFoundError) as exc:
        raise ServeError(f"{model}: not a loadable ONNX model: {exc}") from None
    except RunError as exc:
        raise ServeError(f"{model}: the model fails on zeros of its input shape: {exc}") from None
    except RuntimeError as exc:
        raise ServeError(str(exc)) from None


def app_from_env():
    """The app factory uvicorn's worker processes call (``--workers`` > 1)."""
    from kgraph.serving.app import create_app

    settings = json.loads(os.environ[ENV])
    predictor = _predictor(settings["model"], settings["device"])
    return create_app(predictor, settings["max_batch"], settings["max_wait_ms"])


def _bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # IPPROTO_TCP explicitly: asyncio sets TCP_NODELAY only on sockets whose proto says TCP;
    # with proto 0, Nagle's algorithm and delayed ACKs add ~40 ms to every small response
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise ServeError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


def serve(
    model: str,
    host: str = "127.0.0.1",
    port: int = 8000,
    device: str = "auto",
    max_batch: int = 32,
    max_wait_ms: float = 2.0,
    workers: int = 1,
) -> None:
    """Loads ``model``, binds ``host:port`` and serves until interrupted (SIGINT/SIGTERM).

    Raises:
        ServeError: if uvicorn/starlette are missing, the model cannot be loaded or run, or
            the address cannot be bound.
    """
    try:
        import uvicorn

        from kgraph.serving.app import create_app
    except ImportError as exc:
        raise ServeError(
            f"kgraph serve needs the 'serve' extra ({exc.name} is missing): "
            "pip install 'kgraph[serve]'"
        ) from None
    predictor = _predictor(model, device)
    sock = _bind(host, port)
    bound = sock.getsockname()[1]
    print(f"kgraph: serving {model} on http://{host}:{bound}", flush=True)
    options = {"log_level": "warning", "access_log": False, "timeout_graceful_shutdown": 5}
    if workers > 1:
        os.environ[ENV] = json.dumps(
            {"model": model, "device": device, "max_batch": max_batch, "max_wait_ms": max_wait_ms}
        )
        config = uvicorn.Config(
            "kgraph.serving.server:app_from_env", factory=True, workers=workers, **options
        )
        import inspect

        from uvicorn.supervisors import Multiprocess

        extra = {}  # uvicorn before 0.30-ish took the worker's target explicitly
        if "target" in inspect.signature(Multiprocess).parameters:
            extra["target"] = uvicorn.Server(config).run
        Multiprocess(config, sockets=[sock], **extra).run()
        return
    app = create_app(predictor, max_batch, max_wait_ms)
    server = uvicorn.Server(uvicorn.Config(app, **options))
    server.run(sockets=[sock])
    sys.stdout.flush()
