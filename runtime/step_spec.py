"""The description of a training step model's inputs and outputs, and its checks.

A step model maps ``(batch, scalars, state) -> (loss, metrics..., new state)``. A
:class:`StepSpec` names which graph input plays which role, which output carries each state
tensor's update, and which outputs the host reads every step. :func:`check_spec` verifies the
spec against a loaded model so that a mismatch fails at engine construction with one line;
:class:`BatchChecker` checks each step's batch against the model.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

from kgraph.runtime._types import cast_same_kind, numpy_dtype
from kgraph.runtime.session import Session


@dataclass
class StepSpec:
    """Names the roles of a step model's inputs and outputs.

    Attributes:
        batch_inputs: per-batch inputs fed from the host each step, e.g. ``["x", "y"]``
            (add ``"sample_weight"`` when the model takes one).
        state: state input name -> the output name carrying its update, e.g.
            ``{"dense/kernel": "dense/kernel:new"}``.
        scalar_inputs: scalar inputs set each step, e.g. ``["lr", "step"]``.
        fetch: outputs copied back to the host each step, e.g. ``["loss"]`` or
            ``["loss", "metric/accuracy/total"]``.
    """

    batch_inputs: list[str]
    state: dict[str, str]
    scalar_inputs: list[str] = field(default_factory=lambda: ["lr", "step"])
    fetch: list[str] = field(default_factory=lambda: ["loss"])


def check_spec(spec: StepSpec, session: Session) -> None:
    """Checks that a spec and a step model agree on every name and on state dtypes.

    Every model input must have exactly one role; every named output must exist; each state
    update must have its state's dtype.

    Args:
        spec: the spec to check.
        session: the loaded step model.

    Raises:
        ValueError: naming the first disagreement found.
    """
    inputs, outputs = set(session.input_names), set(session.output_names)
    roles = [*spec.batch_inputs, *spec.scalar_inputs, *spec.state]
    twice = sorted({name for name in roles if roles.count(name) > 1})
    if twice:
        raise ValueError(f"StepSpec gives more than one role to input(s) {twice}.")
    unknown = [name for name in roles if name not in inputs]
    if unknown:
        raise ValueError(
            f"StepSpec names input(s) {unknown} that the step model lacks; "
            f"its inputs are {session.input_names}."
        )
    uncovered = [name for name in session.input_names if name not in roles]
    if uncovered:
        raise ValueError(
            f"Step model input(s) {uncovered} have no role in the StepSpec "
            "(batch_inputs, scalar_inputs or state)."
        )
    absent = [name for name in [*spec.state.values(), *spec.fetch] if name not in outputs]
    if absent:
        raise ValueError(
            f"StepSpec names output(s) {absent} that the step model lacks; "
            f"its outputs are {session.output_names}."
        )
    if len(set(spec.state.values())) != len(spec.state):
        raise ValueError("StepSpec.state maps two state inputs to the same output.")
    out_dtypes = {name: dtype for name, _, dtype in session.outputs}
    for name, out in spec.state.items():
        in_dtype = session.input_spec(name)[2]
        if out_dtypes[out] != in_dtype:
            raise ValueError(
                f"State '{name}' is {in_dtype} but its update '{out}' is {out_dtypes[out]}."
            )


class BatchChecker:
    """Checks and converts one step's batch for a step model, with a fast path.

    Arrays that already have the model's dtype, rank and fixed dims and are C-contiguous pass
    with a few attribute reads; anything else goes through :func:`cast_same_kind` and the
    session's full check, which names the input, the expected and the received shape.

    Args:
        names: the batch input names, in order.
        session: the step model's session.
    """

    def __init__(self, names: list[str], session: Session) -> None:
        self._names = list(names)
        self._session = session
        self._expect = []
        for name in self._names:
            _, shape, dtype_name = session.input_spec(name)
            fixed = tuple((axis, d) for axis, d in enumerate(shape) if isinstance(d, int))
            self._expect.append((name, numpy_dtype(dtype_name), dtype_name, len(shape), fixed))

    def __call__(self, batch: Mapping[str, object]) -> dict[str, np.ndarray]:
        """Returns ``{name: contiguous array of the model's dtype}`` in spec order.

        Raises:
            ValueError: on missing or unknown names, a shape or dtype that does not fit, or
                inputs that disagree on the number of samples.
        """
        if len(batch) != len(self._names) or any(name not in batch for name in self._names):
            raise ValueError(
                f"The batch must hold exactly {self._names}. Received: {sorted(batch)}"
            )
        arrays = {}
        rows = None
        for name, dtype, dtype_name, ndim, fixed in self._expect:
            array = batch[name]
            if not (
                type(array) is np.ndarray
                and array.dtype == dtype
                and array.ndim == ndim
                and array.flags.c_contiguous
                and all(array.shape[axis] == d for axis, d in fixed)
            ):
                array = cast_same_kind(array, dtype_name)
                self._session.check_input(name, array, kind="Batch input")
            if array.ndim:
                if rows is None:
                    rows = array.shape[0]
                elif array.shape[0] != rows:
                    sizes = {n: batch[n].shape[0] for n in self._names if np.ndim(batch[n])}
                    raise ValueError(f"Batch inputs disagree on the number of samples: {sizes}.")
            arrays[name] = array
        return arrays
