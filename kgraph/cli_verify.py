"""``kgraph compile --verify``: the exported file, run by onnxruntime, against kgraph's own eager
evaluation of the model (each layer's ops run one at a time, before any graph pass, fusion or
folding), on random inputs drawn from the declared input contract.

Inputs follow the contract: float inputs uniform in its value range (``[0, 255]`` pixels for a
model that starts with Rescaling) or standard normal; integer inputs in ``[0, 2)`` (valid ids
for any embedding); unknown dims other than the batch are 8. A string input cannot be drawn:
verification then says so and fails.
"""

from __future__ import annotations

import json

import numpy as np

from kgraph.cli_output import UserError

SAMPLES = 3
FREE_DIM = 8


def random_inputs(model, contract: dict, samples: int = SAMPLES, seed: int = 0) -> list[np.ndarray]:
    """One array per model input, ``samples`` examples each."""
    rng = np.random.default_rng(seed)
    low_high = contract.get("value_range")
    arrays = []
    for name, spec in zip(model.input_names, model._trace_inputs()):
        shape = (samples, *(d if isinstance(d, int) else FREE_DIM for d in spec.shape[1:]))
        dtype = np.dtype("float32" if spec.dtype == "string" else spec.dtype)
        if spec.dtype == "string":
            raise UserError(f"--verify cannot draw values for the string input '{name}'")
        if dtype.kind == "f" and low_high:
            values = rng.uniform(low_high[0], low_high[1], shape)
        elif dtype.kind == "f":
            values = rng.standard_normal(shape)
        elif dtype.kind == "b":
            values = rng.integers(0, 2, shape).astype(bool)
        else:
            values = rng.integers(0, 2, shape)
        arrays.append(values.astype(dtype))
    return arrays


def compare(expected: np.ndarray, got: np.ndarray) -> tuple[float, float]:
    """``(max absolute error, max relative error)``; relative to ``max(|expected|, 1e-6)``."""
    expected = np.asarray(expected, np.float64)
    got = np.asarray(got, np.float64)
    if expected.shape != got.shape:
        raise UserError(
            f"--verify: output shape {got.shape} differs from kgraph's {expected.shape}"
        )
    if expected.size == 0:
        return 0.0, 0.0
    same = (expected == got) | (np.isnan(expected) & np.isnan(got))  # equal infs, both NaN
    diff = np.where(same, 0.0, np.abs(expected - got))
    diff = np.where(np.isnan(diff), np.inf, diff)  # NaN on one side only: no bound holds
    scale = np.maximum(np.nan_to_num(np.abs(expected), nan=0.0), 1e-6)
    return float(np.max(diff)), float(np.max(diff / scale))


def within(expected, got, tolerance: float) -> bool:
    """Every element within ``tolerance * (1 + |expected|)`` (equal infinities and NaNs pass)."""
    expected = np.asarray(expected, np.float64)
    got = np.asarray(got, np.float64)
    same = (expected == got) | (np.isnan(expected) & np.isnan(got))
    with np.errstate(invalid="ignore"):
        close = np.abs(expected - got) <= tolerance * (1 + np.abs(expected))
    return bool(np.all(same | close))


def eager(model, inputs):
    """``model.call`` on arrays: its layers run eagerly, op by op (``model(x)`` on arrays would
    run the compiled graph, the very thing under test)."""
    import inspect

    if "training" in inspect.signature(model.call).parameters:
        return model.call(inputs, training=False)
    return model.call(inputs)


def verify(model, data: bytes, tolerance: float, batch_size: int | None = None) -> list[str]:
    """Report lines, one per output; raises :class:`UserError` beyond ``tolerance`` (an
    output fails when some element differs by more than ``tolerance * (1 + |expected|)``)."""
    from kgraph.models.export import metadata
    from kgraph.runtime.session import Session
    from kgraph.utils import tree

    contract = json.loads(metadata(model).get("input_contract", "{}"))
    inputs = random_inputs(model, contract, batch_size or SAMPLES)
    session = Session(data, device="cpu")
    got = session.run(dict(zip(model.input_names, inputs)))
    eager_in = inputs[0] if len(inputs) == 1 else inputs
    expected = [np.asarray(t) for t in tree.flatten(eager(model, eager_in))]
    lines, failed = [], []
    for name, want, have in zip(session.output_names, expected, got):
        abs_err, rel_err = compare(want, have)
        ok = bool(within(want, have, tolerance))
        lines.append(
            f"verify {name}: max abs error {abs_err:.3g}, max rel error {rel_err:.3g} "
            f"({'ok' if ok else 'MISMATCH'}, tolerance {tolerance:g}, "
            f"{len(inputs[0])} random samples)"
        )
        if not ok:
            failed.append(name)
    if failed:
        print("\n".join(lines), flush=True)
        raise UserError(
            f"--verify: output {', '.join(repr(n) for n in failed)} of the exported file differs "
            f"from kgraph's evaluation beyond tolerance {tolerance:g}"
        )
    return lines
