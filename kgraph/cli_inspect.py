"""``kgraph inspect`` (table, JSON or a Markdown report) and ``kgraph view`` (Netron)."""

from __future__ import annotations

import json
import os

from kgraph.cli_files import LoadError, load_onnx
from kgraph.cli_output import UserError, human_size

FORMATS = ("table", "json", "markdown")
NETRON_HINT = (
    "Netron is not installed: pip install 'kgraph[view]' (or pip install netron), "
    "or open the file in https://netron.app"
)


def inspect_text(onnx_file: str, fmt: str = "table") -> str:
    """What ``kgraph inspect`` prints for ``onnx_file`` in format ``fmt``."""
    from kgraph.compiler import report
    from kgraph.compiler.describe import describe

    try:
        model = load_onnx(onnx_file)
    except LoadError as exc:
        raise UserError(str(exc)) from None
    title = f"{onnx_file} ({human_size(os.path.getsize(onnx_file))})"
    if fmt == "table":
        return "\n".join(describe(model, title))
    info = report.report(model)
    if fmt == "json":
        return json.dumps({"file": onnx_file, **info}, indent=2, default=str)
    return report.markdown(info, title).rstrip("\n")


def view(onnx_file: str, host: str, port: int, browse: bool) -> None:
    """Starts serving ``onnx_file`` with Netron (which prints ``Serving 'FILE' at URL``).
    Without the ``netron`` package: a user error that says how to get it."""
    try:
        load_onnx(onnx_file)  # a file Netron could not open fails here, in one line
    except LoadError as exc:
        raise UserError(str(exc)) from None
    try:
        import netron
    except ImportError:
        raise UserError(NETRON_HINT) from None
    try:
        netron.start(onnx_file, (host, port), browse=browse)
    except OSError as exc:
        raise UserError(f"cannot serve on {host}:{port}: {exc.strerror or exc}") from None


def wait() -> None:
    """Blocks until Netron's server stops (Ctrl-C; Netron prints ``Stopping URL``)."""
    import netron

    netron.wait()
