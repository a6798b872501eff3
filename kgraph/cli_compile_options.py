"""``kgraph compile``'s options beyond the export itself, and the compile work they shape.

``--seed N`` seeds kgraph's random state before MODEL.py runs, so freshly initialised weights,
and so the file, are the same byte for byte on every run (without it weights are drawn afresh,
as in Keras). ``--optimize`` runs onnxscript's optimizer and kgraph's passes; ``--functions``
outlines each layer call into an ONNX function; ``--verify`` then runs the file in onnxruntime
against kgraph's eager evaluation and fails (exit 2) beyond ``--tolerance``.
"""

from __future__ import annotations

import dataclasses

import click


@dataclasses.dataclass(frozen=True)
class CompileOptions:
    """What the extra flags ask for (picklable: the work runs in a child process)."""

    functions: bool = False
    verify: bool = False
    optimize: bool = False
    seed: int | None = None
    tolerance: float = 1e-4


def compile_options(command):
    """Adds ``--functions --optimize --verify --tolerance --seed`` to ``command``."""
    options = [
        click.option(
            "--functions",
            is_flag=True,
            help="One ONNX function per layer (and nested model), so viewers show the Keras "
            "structure; results are those of the flat graph.",
        ),
        click.option(
            "--optimize",
            is_flag=True,
            help="Run onnxscript's optimizer and kgraph's passes (constant and BatchNormalization "
            "folding, Dropout/Identity removal).",
        ),
        click.option(
            "--verify",
            is_flag=True,
            help="Run the file in onnxruntime against kgraph's own evaluation on random inputs; "
            "print the errors per output, fail beyond --tolerance.",
        ),
        click.option(
            "--tolerance",
            type=click.FloatRange(0, 1),
            default=1e-4,
            show_default=True,
            help="--verify's bound: |error| <= tol * (1 + |expected|).",
        ),
        click.option(
            "--seed",
            type=click.IntRange(0, 2**32 - 1),
            metavar="N",
            help="Seed weight initialisation: the same file byte for byte on every run.",
        ),
    ]
    for option in reversed(options):
        command = option(command)
    return command


def compile_work(model_file, target, symbol, opset, batch_size, training, options):
    """Runs MODEL.py and compiles its model: the ONNX bytes, or the lines that report the
    training artifacts written. Prints the summary once the model compiled, then the
    verification report."""
    from kgraph.cli_loading import LoadError, load_model, to_onnx
    from kgraph.cli_output import UserError

    if options.seed is not None:
        from kgraph.utils.seeds import set_random_seed

        set_random_seed(options.seed)
    try:
        model, _ = load_model(model_file, symbol)
        if training:
            from kgraph.models.artifacts import export_for_cli

            return export_for_cli(model, model_file, target, opset, batch_size)
        data = to_onnx(model, model_file, opset, batch_size)
    except LoadError as exc:
        raise UserError(str(exc)) from None
    data = transform(data, options)
    model.summary()  # only once the model compiled: a failure prints its one line alone
    if options.verify:
        from kgraph.cli_verify import verify

        click.echo("\n".join(verify(model, data, options.tolerance, batch_size)))
    return data


def transform(data: bytes, options: CompileOptions) -> bytes:
    """``data`` optimized and/or outlined into functions, as the options ask."""
    if not (options.optimize or options.functions):
        return data
    from kgraph.compiler import serde

    model = serde.load(data)
    if options.optimize:
        from kgraph.compiler.optimize import optimize

        model = optimize(model)
    if options.functions:
        from kgraph.compiler.passes.outline_layers import OutlineLayersPass

        OutlineLayersPass()(model)
    return serde.to_bytes(model)
