"""Running an eval model on a :class:`runtime.engine.TrainingEngine`'s live state.

An eval model takes a batch and some of the state tensors (by their state input names) and
returns loss and metrics. :class:`Evaluator` binds the engine's current device buffers as those
inputs, so evaluating in the middle of training copies no weights to or from the host.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import numpy as np

from kgraph.runtime._types import cast_same_kind, check_array
from kgraph.runtime.session import Session

if TYPE_CHECKING:
    from kgraph.runtime.engine import TrainingEngine


class Evaluator:
    """Runs one eval model against an engine's live state.

    Args:
        engine: the training engine whose state the eval model reads.
        model: the eval model, as a :class:`Session` on the engine's device, a path or bytes.

    Raises:
        ValueError: if a given Session runs on another device than the engine.
    """

    def __init__(
        self, engine: TrainingEngine, model: Session | str | os.PathLike[str] | bytes
    ) -> None:
        if isinstance(model, Session):
            if model.device != engine.device:
                raise ValueError(
                    f"The eval session runs on {model.device} but the engine's state lives on "
                    f"{engine.device}; build it with device={engine.device!r}."
                )
            self._session = model
        else:
            self._session = Session(model, engine.device, engine.session_options)
        self._engine = engine
        state = set(engine.state_names)
        self._state_inputs = [n for n in self._session.input_names if n in state]

    @property
    def session(self) -> Session:
        """The eval model's :class:`Session`."""
        return self._session

    def run(
        self,
        batch: Mapping[str, object],
        scalars: Mapping[str, float | int] | None = None,
        fetch: Sequence[str] | None = None,
    ) -> dict[str, np.ndarray]:
        """Evaluates one batch.

        Each eval input is taken from ``batch``, else from the engine's live state, else from
        ``scalars``. Batch arrays are cast like the engine casts them (float64 -> float32).

        Args:
            batch: the batch arrays the eval model takes.
            scalars: values for any remaining inputs.
            fetch: outputs to return; all outputs when None.

        Returns:
            ``{output name: host array}``, in the order of ``fetch``.

        Raises:
            ValueError: on an input that nothing fills, an unknown name, or a bad array.
        """
        session, scalars = self._session, scalars or {}
        names = session.output_names if fetch is None else list(fetch)
        unknown_out = [n for n in names if n not in session.output_names]
        unknown_in = [n for n in [*batch, *scalars] if n not in session.input_names]
        if unknown_out or unknown_in:
            raise ValueError(
                f"Unknown eval input(s) {unknown_in} or output(s) {unknown_out}; the eval model "
                f"takes {session.input_names} and returns {session.output_names}."
            )
        binding = session.ort_session.io_binding()
        live = self._engine.state_values()
        for name, shape, dtype in session.inputs:
            if name in batch:
                value = batch[name]
            elif name in live:
                binding.bind_ortvalue_input(name, live[name])
                continue
            elif name in scalars:
                value = scalars[name]
            else:
                raise ValueError(
                    f"Eval input '{name}' is neither in the batch, nor a state tensor, "
                    "nor in scalars."
                )
            array = cast_same_kind(value, dtype)
            check_array(name, shape, dtype, array)
            binding.bind_cpu_input(name, array)
        for name in names:
            binding.bind_output(name, "cpu")
        session.ort_session.run_with_iobinding(binding)
        outputs = binding.get_outputs()
        return {name: np.array(value.numpy()) for name, value in zip(names, outputs, strict=True)}
