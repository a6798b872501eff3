"""kgraph's command line: ``compile`` a MODEL.py to ONNX, ``inspect``, ``predict``, ``serve``.

Exit codes: 0 success; 2 a problem with what the user gave (arguments, files, the model, the
input data), reported as ONE line ``kgraph: error: ...`` on stderr; 1 an unexpected internal
error, also one line unless ``--debug`` (or ``KGRAPH_DEBUG=1``) asks for the traceback.
Outputs are written atomically (temporary file, then rename): a failed command never leaves a
partial file and never touches an existing one.
"""

from __future__ import annotations

import contextlib
import os
import sys

import click

from kgraph.cli_compile_options import compile_options
from kgraph.cli_output import Stopped, UserError, check_output, human_size, terminate, write

MIN_OPSET, MAX_OPSET = 17, 23
DEVICES = ("auto", "cpu", "cuda")


def _one_line(text: object, limit: int = 400) -> str:
    line = " ".join(str(text).split())
    return line if len(line) <= limit else line[: limit - 3] + "..."


@contextlib.contextmanager
def _loading():
    """Turns the loaders' one-line errors into user errors (exit code 2)."""
    from kgraph.cli_files import LoadError

    try:
        yield
    except LoadError as exc:
        raise UserError(str(exc)) from None


class _Group(click.Group):
    """Reports every failure as one line; tracebacks only for internal errors with --debug."""

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True, **extra):
        try:
            result = super().main(
                args, prog_name or "kgraph", complete_var, standalone_mode=False, **extra
            )
            code = result if isinstance(result, int) and not isinstance(result, bool) else 0
        except click.ClickException as exc:
            message = exc.format_message()
            if isinstance(exc, click.UsageError) and exc.ctx is not None:
                message += f" (see '{exc.ctx.command_path} --help')"
            click.echo(f"kgraph: error: {_one_line(message)}", err=True)
            code = exc.exit_code
        except click.Abort:
            click.echo("kgraph: error: aborted", err=True)
            code = 1
        if standalone_mode:
            sys.exit(code)
        return code

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except (click.ClickException, click.exceptions.Exit, click.Abort):
            raise
        except KeyboardInterrupt:
            raise Stopped("interrupted", 130) from None
        except Exception as exc:
            if ctx.params.get("debug"):
                raise
            click.echo(
                f"kgraph: internal error: {type(exc).__name__}: {_one_line(exc)} "
                "(run 'kgraph --debug ...' for the traceback)",
                err=True,
            )
            ctx.exit(1)


@click.group(
    cls=_Group,
    invoke_without_command=True,
    context_settings={"help_option_names": ["-h", "--help"]},
)
@click.option(
    "--debug",
    is_flag=True,
    envvar="KGRAPH_DEBUG",
    help="Show the traceback of internal errors (also KGRAPH_DEBUG=1).",
)
@click.version_option(package_name="kgraph", prog_name="kgraph")
@click.pass_context
def main(ctx: click.Context, debug: bool) -> None:
    """Compile Keras-style models to ONNX, inspect ONNX files and run predictions."""
    if ctx.invoked_subcommand is None:  # a bare `kgraph` shows the help, as `kgraph -h` does
        click.echo(ctx.get_help())
        ctx.exit(0)
    import signal

    previous = signal.signal(signal.SIGTERM, terminate)  # only while the command runs
    ctx.call_on_close(lambda: signal.signal(signal.SIGTERM, previous))


# -- compile -------------------------------------------------------------------------------------
@main.command("compile")
@click.argument("model_file", metavar="MODEL.py")
@click.option(
    "-o",
    "--output",
    required=True,
    metavar="OUT.onnx",
    help="The ONNX file to write (with --training: the folder to write into).",
)
@click.option(
    "--model",
    "symbol",
    metavar="NAME",
    help="Top-level Model, or function returning one (default: the only Model "
    "instance, or build_model()).",
)
@click.option(
    "--opset",
    type=click.IntRange(MIN_OPSET, MAX_OPSET),
    metavar="N",
    help=f"ONNX opset, {MIN_OPSET}-{MAX_OPSET} (default: kgraph's, 21).",
)
@click.option(
    "--batch-size",
    type=click.IntRange(min=1),
    metavar="N",
    help="Fix the batch dimension (default: dynamic).",
)
@click.option("--training", is_flag=True, help="Write training artifacts into the -o folder.")
@compile_options
def compile_command(model_file, output, symbol, opset, batch_size, training, **extras) -> None:
    """Compile the model that MODEL.py defines into an ONNX file (or training artifacts)."""
    from kgraph.cli_child import ChildError, run_in_child
    from kgraph.cli_compile_options import CompileOptions
    from kgraph.cli_loading import check_file

    options = CompileOptions(**extras)
    if training and (options.functions or options.optimize or options.verify):
        raise UserError(
            "--functions, --optimize and --verify apply to the ONNX file, not --training"
        )

    with _loading():
        check_file(model_file, "a Python file")
    check_output(
        os.path.join(output, "x") if training and os.path.isdir(output) else output, model_file
    )
    target = os.path.abspath(output)  # a MODEL.py that changes directory cannot move it

    args = (model_file, target, symbol, opset, batch_size, training, options)
    try:
        result = run_in_child("kgraph.cli_compile_options:compile_work", args, model_file)
    except ChildError as failure:
        if failure.exit_code != 1:
            raise Stopped(str(failure), failure.exit_code) from None
        if _debug():
            click.echo(failure.details, err=True, nl=False)
        else:
            click.echo(
                f"kgraph: internal error: {_one_line(failure)} "
                "(run 'kgraph --debug ...' for the traceback)",
                err=True,
            )
        sys.exit(1)
    if training:
        return click.echo("\n".join(result))
    write(result, target)
    click.echo(f"Wrote {output} ({human_size(len(result))})")


def _debug() -> bool:
    ctx = click.get_current_context(silent=True)
    return bool(ctx and ctx.find_root().params.get("debug"))


# -- inspect -------------------------------------------------------------------------------------
@main.command("inspect")
@click.argument("onnx_file", metavar="MODEL.onnx")
@click.option("--format", "fmt", type=click.Choice(("table", "json", "markdown")), default="table")
def inspect_command(onnx_file: str, fmt: str) -> None:
    """Describe an ONNX file: I/O, opset, op histogram, parameters (per layer), metadata."""
    from kgraph.cli_inspect import inspect_text

    click.echo(inspect_text(onnx_file, fmt))


@main.command("view")
@click.argument("onnx_file", metavar="MODEL.onnx")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", type=click.IntRange(0, 65535), default=8080, show_default=True)
@click.option("--no-browser", is_flag=True, help="Only serve; do not open a browser.")
def view_command(onnx_file: str, host: str, port: int, no_browser: bool) -> None:
    """Open MODEL.onnx in Netron (the extra 'view': pip install 'kgraph[view]')."""
    from kgraph import cli_inspect

    cli_inspect.view(onnx_file, host, port, not no_browser)
    cli_inspect.wait()


# -- predict -------------------------------------------------------------------------------------
@main.command("predict")
@click.argument("onnx_file", metavar="MODEL.onnx")
@click.argument("input_file", metavar="INPUT.npy")
@click.option(
    "-o",
    "--output",
    required=True,
    metavar="PRED.npy",
    help="Where to write the predictions: .npy for one output, .npz (keyed by output "
    "name) for several.",
)
@click.option("--device", type=click.Choice(DEVICES), default="auto", show_default=True)
@click.option(
    "--batch-size", type=click.IntRange(min=1), default=32, show_default=True, metavar="N"
)
def predict_command(
    onnx_file: str, input_file: str, output: str, device: str, batch_size: int
) -> None:
    """Run MODEL.onnx on the samples in INPUT.npy (or .npz: one array per input)."""
    from kgraph.cli_predict import predict

    click.echo(predict(onnx_file, input_file, output, device, batch_size))


# -- serve ---------------------------------------------------------------------------------------
@main.command("serve")
@click.argument("onnx_file", metavar="MODEL.onnx")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", type=click.IntRange(0, 65535), default=8000, show_default=True)
@click.option("--device", type=click.Choice(DEVICES), default="auto", show_default=True)
@click.option(
    "--max-batch",
    type=click.IntRange(1, 65536),
    default=32,
    show_default=True,
    help="Most samples joined into one run (1: no micro-batching).",
)
@click.option(
    "--max-wait-ms",
    type=click.FloatRange(0, 60_000),
    default=2.0,
    show_default=True,
    help="How long a request waits for others to join its batch.",
)
@click.option("--workers", type=click.IntRange(1, 256), default=1, show_default=True)
def serve_command(onnx_file, host, port, device, max_batch, max_wait_ms, workers) -> None:
    """Serve MODEL.onnx over HTTP: POST /v1/predict, GET /v1/metadata, /healthz, /metrics."""
    from kgraph.cli_files import check_file
    from kgraph.serving.server import ServeError, serve

    with _loading():
        check_file(onnx_file, "an ONNX file")
    try:
        serve(onnx_file, host, port, device, max_batch, max_wait_ms, workers)
    except ServeError as exc:
        raise UserError(_one_line(exc)) from None
