"""The training engine: a step model run with IOBinding, its state resident on the device.

A training *step model* maps ``(batch, scalars, state) -> (loss, metrics..., new state)``.
:class:`TrainingEngine` keeps every state tensor on the session's device as two
``onnxruntime.OrtValue`` buffers, A and B. Step k binds the live buffer as input and the other
one as output, then swaps, so no buffer is ever both input and output of one run, and nothing
but the batch, two scalars and the fetched outputs crosses between host and device per step.

Two IOBindings are built once, one per buffer parity (A->B and B->A), with the state, scalar
and fetch bindings in place; each step only rebinds the batch arrays (and the fetched outputs
when the batch shape changes). That is faster than building a fresh IOBinding per step; the
measurements are in the comment above :class:`TrainingEngine`.

Scalars (``lr``, ``step``) live in small cached numpy arrays wrapped by CPU OrtValues (which
share the array's memory on CPU), so setting them is an in-place write, not a rebind. On CUDA
an input bound from host memory is copied when it is bound, so there they are rebound each step.

Synchronisation: onnxruntime's ``Run`` ends with a sync of the CUDA stream (its default). The
fetched loss and metrics are a few bytes copied out inside that same ``Run``, so reading them
adds no sync of its own, and state never leaves the device. Skipping the per-step stream sync
(the run option ``disable_synchronize_execution_providers`` with device-bound fetches read
every few steps) is not done yet: it needs validating on a GPU first.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

import numpy as np
import onnxruntime as ort

from kgraph.runtime._types import cast_same_kind
from kgraph.runtime.evaluator import Evaluator
from kgraph.runtime.session import Session
from kgraph.runtime.step_spec import BatchChecker, StepSpec, check_spec

Model = Session | str | os.PathLike[str] | bytes


# Prebuilt alternating IOBindings vs a fresh IOBinding per step (best of 3, batch 32,
# onnxruntime 1.32 CPU build, shared 2-core x86 host; "fresh" overrides _binding_for_step):
#   linear regression, state 3x1:       10.6 us/step prebuilt vs 15.8 us/step fresh
#   linear regression, state 256x256:   56.1 us/step prebuilt vs 62.3 us/step fresh
#   linear regression, state 1024x1024: 564 us/step prebuilt vs 694 us/step fresh (noisy)
# A plain InferenceSession.run loop passing the state through numpy ran 10.2, 54.8 and 553
# us/step: on CPU the engine is on par; its gain is on CUDA, where the state stays on the GPU.
class TrainingEngine:
    """Runs a training step model repeatedly with device-resident, double-buffered state.

    Not thread-safe: one engine serves one training loop.

    Args:
        step_model: the step model, as a :class:`Session`, a path or bytes.
        spec: the roles of the model's inputs and outputs.
        initial_state: a value for every state input; float64 arrays are cast to the model's
            float32 (any ``same_kind`` cast is accepted).
        device: ``"auto"``, ``"cpu"`` or ``"cuda"``; ignored when ``step_model`` is a Session.
        options: session options; ignored when ``step_model`` is a Session.

    Raises:
        ValueError: if the spec does not match the model, or the initial state is incomplete
            or has the wrong shapes or dtypes.
    """

    def __init__(
        self,
        step_model: Model,
        spec: StepSpec,
        initial_state: Mapping[str, np.ndarray],
        device: str = "auto",
        options: ort.SessionOptions | None = None,
    ) -> None:
        self._session = (
            step_model if isinstance(step_model, Session) else Session(step_model, device, options)
        )
        self._options = options
        self._ort = self._session.ort_session
        self._spec = spec
        check_spec(spec, self._session)
        self._ort_device = "cuda" if self._session.device == "cuda" else "cpu"
        self._inputs = {name: (shape, dtype) for name, shape, dtype in self._session.inputs}
        self._state_names = list(spec.state)
        self._input_for_output = {out: name for name, out in spec.state.items()}
        missing = [name for name in self._state_names if name not in initial_state]
        extra = [name for name in initial_state if name not in spec.state]
        if missing or extra:
            raise ValueError(
                f"initial_state must hold exactly the state {self._state_names}; "
                f"missing {missing}, unknown {extra}."
            )
        self._buffers: tuple[dict[str, ort.OrtValue], dict[str, ort.OrtValue]] = ({}, {})
        for name in self._state_names:
            array = self._check_state(name, initial_state[name])
            for buffers in self._buffers:
                buffers[name] = ort.OrtValue.ortvalue_from_shape_and_type(
                    array.shape, array.dtype, self._ort_device, 0
                )
            self._buffers[0][name].update_inplace(array)
        self._current = 0  # self._buffers[self._current] holds the live state
        self._scalars: dict[str, np.ndarray] = {}
        self._scalar_values: dict[str, ort.OrtValue] = {}
        for name in spec.scalar_inputs:
            shape, dtype = self._inputs[name]
            array = np.zeros(tuple(d if isinstance(d, int) else 1 for d in shape), dtype)
            self._scalars[name] = array
            self._scalar_values[name] = ort.OrtValue.ortvalue_from_numpy(array)  # shares memory
        self._host_fetch = [name for name in spec.fetch if name not in self._input_for_output]
        self._fetch_plan = [  # (name, index in the binding's outputs, or the state it updates)
            (name, self._host_fetch.index(name), None)
            if name in self._host_fetch
            else (name, -1, self._input_for_output[name])
            for name in spec.fetch
        ]
        self._check_batch = BatchChecker(spec.batch_inputs, self._session)
        self._signatures: list[tuple[tuple[int, ...], ...] | None] = [None, None]
        self._rebind_fetches = False
        self._bindings = (self._build_binding(0), self._build_binding(1))
        self._evaluators: dict[object, Evaluator] = {}

    # -- construction helpers ---------------------------------------------------------------

    def _check_state(self, name: str, value: object, live: bool = False) -> np.ndarray:
        """Casts a state value to the model's dtype; checks its shape (``live``: exactly)."""
        array = cast_same_kind(value, self._inputs[name][1])
        self._session.check_input(name, array, kind="State")
        shape = tuple(self._buffers[self._current][name].shape()) if live else array.shape
        if array.shape != shape:
            raise ValueError(f"State '{name}' has shape {shape}; received {array.shape}.")
        return array

    def _build_binding(self, parity: int) -> ort.IOBinding:
        """Builds the IOBinding that reads state buffer ``parity`` and writes the other one.

        Fetched host outputs are bound first so that they come first in the output vector.
        """
        binding = self._ort.io_binding()
        for name in self._host_fetch:
            binding.bind_output(name, "cpu")
        source, target = self._buffers[parity], self._buffers[1 - parity]
        for name, out in self._spec.state.items():
            binding.bind_ortvalue_input(name, source[name])
            binding.bind_ortvalue_output(out, target[name])
        for name, value in self._scalar_values.items():
            binding.bind_ortvalue_input(name, value)
        return binding

    def _binding_for_step(self) -> ort.IOBinding:
        """The prebuilt binding for the current parity (a benchmark hook)."""
        return self._bindings[self._current]

    # -- public API ---------------------------------------------------------------------------

    @property
    def session(self) -> Session:
        """The step model's :class:`Session`."""
        return self._session

    @property
    def spec(self) -> StepSpec:
        """The step model's :class:`StepSpec`."""
        return self._spec

    @property
    def device(self) -> str:
        """``"cuda"`` or ``"cpu"``: where the state lives."""
        return self._session.device

    @property
    def state_names(self) -> list[str]:
        """State input names, in spec order."""
        return list(self._state_names)

    @property
    def session_options(self) -> ort.SessionOptions | None:
        """The options the engine was built with (None: the defaults); eval sessions reuse them."""
        return self._options

    def state_values(self) -> dict[str, ort.OrtValue]:
        """Returns the live state buffers (device OrtValues), by state input name.

        Do not keep them across steps: the next step writes the other buffer and makes that
        one live.
        """
        return dict(self._buffers[self._current])

    def run_step(
        self, batch: Mapping[str, object], scalars: Mapping[str, float | int]
    ) -> dict[str, np.ndarray]:
        """Runs one training step and advances the state.

        If onnxruntime fails, the state is left as it was before the call.

        Args:
            batch: one array per ``spec.batch_inputs`` name; any batch size. Arrays are cast
                to the model's dtypes where that is safe (float64 -> float32).
            scalars: one number per ``spec.scalar_inputs`` name, e.g. ``{"lr": 0.01, "step": 3}``.

        Returns:
            ``{name: array}`` for every ``spec.fetch`` output (host copies).

        Raises:
            ValueError: on a bad batch or a missing or unknown scalar.
        """
        arrays = self._check_batch(batch)
        if scalars.keys() != self._scalars.keys():
            raise ValueError(
                f"scalars must hold exactly {list(self._scalars)}. Received: {sorted(scalars)}"
            )
        for name, value in scalars.items():
            self._scalars[name][...] = value
        if any(array.dtype.kind in "OSU" for array in arrays.values()):
            return self._run_step_on_host(arrays)
        parity = self._current
        binding = self._binding_for_step()
        for name, array in arrays.items():
            binding.bind_cpu_input(name, array)
        if self._ort_device != "cpu":
            # A CPU input bound for a CUDA node is copied to the device when it is bound, not
            # when the session runs, so in-place writes would never reach the device: rebind.
            for name, value in self._scalars.items():
                binding.bind_cpu_input(name, value)
        # Fetched outputs keep last run's host buffers while the batch shapes repeat (they are
        # copied out after every run); a new batch shape gets fresh ones.
        signature = tuple(array.shape for array in arrays.values())
        if self._rebind_fetches or signature != self._signatures[parity]:
            self._bind_fetches(binding)
            self._signatures[parity] = signature
        try:
            self._ort.run_with_iobinding(binding)
        except Exception:
            if not self._host_fetch or self._rebind_fetches:
                raise
            self._rebind_fetches = True  # a data-dependent fetch shape: fresh buffers from now on
            self._bind_fetches(binding)
            self._ort.run_with_iobinding(binding)
        self._current = 1 - parity
        return self._read_fetches(binding)

    def _run_step_on_host(self, arrays: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        """A step whose batch holds strings (IOBinding binds no string tensor): a plain Run
        that reads the live state from host copies and writes the new state into the other
        buffer, so the state stays double-buffered (and is left as it was on a failure)."""
        parity = self._current
        feed = {**arrays, **self._scalars}
        feed.update({name: value.numpy() for name, value in self._buffers[parity].items()})
        names = list(dict.fromkeys([*self._spec.fetch, *self._spec.state.values()]))
        values = dict(zip(names, self._ort.run(names, feed), strict=True))
        for name, out in self._spec.state.items():
            self._buffers[1 - parity][name].update_inplace(np.ascontiguousarray(values[out]))
        self._current = 1 - parity
        return {name: np.array(values[name]) for name in self._spec.fetch}

    def undo_step(self) -> None:
        """Makes the state from before the last :meth:`run_step` live again.

        The step wrote the other buffer and left the one it read untouched, so this only flips
        the live parity back. Valid once, right after a step (a trainer uses it to drop a step
        whose loss was not finite); the next step overwrites the dropped state.
        """
        self._current = 1 - self._current

    def _bind_fetches(self, binding: ort.IOBinding) -> None:
        """Binds every host-fetched output to a fresh CPU buffer."""
        for name in self._host_fetch:
            binding.bind_output(name, "cpu")

    def _read_fetches(self, binding: ort.IOBinding) -> dict[str, np.ndarray]:
        """Copies the fetched outputs of the last run to host arrays, in ``spec.fetch`` order."""
        getter = getattr(binding, "get_outputs_as_ortvaluevector", None)
        outputs = getter() if getter is not None else binding.get_outputs()
        live = self._buffers[self._current]
        return {
            name: np.array(outputs[index].numpy() if state is None else live[state].numpy())
            for name, index, state in self._fetch_plan
        }

    def get_state(self) -> dict[str, np.ndarray]:
        """Returns host copies of the live state, by state input name."""
        return {
            name: np.array(value.numpy()) for name, value in self._buffers[self._current].items()
        }

    def set_state(self, values: Mapping[str, object]) -> None:
        """Replaces some or all state tensors, in place on the device.

        Args:
            values: state input name -> new value, of the state's shape; ``same_kind`` casts
                (e.g. float64 -> float32) are applied.

        Raises:
            ValueError: on an unknown name or a shape or dtype that does not fit.
        """
        unknown = [name for name in values if name not in self._spec.state]
        if unknown:
            raise ValueError(f"Unknown state {unknown}; the state is {self._state_names}.")
        arrays = {name: self._check_state(name, value, live=True) for name, value in values.items()}
        for name, array in arrays.items():  # all checked first: no half-applied update
            self._buffers[self._current][name].update_inplace(array)

    def run_eval(
        self,
        model: Model,
        batch: Mapping[str, object],
        scalars: Mapping[str, float | int] | None = None,
        fetch: list[str] | None = None,
    ) -> dict[str, np.ndarray]:
        """Runs an eval model on the live state, which stays on the device.

        See :class:`runtime.evaluator.Evaluator`. Sessions built from a path or bytes are
        cached by that path or value; a Session passed in is used as is.

        Args:
            model: the eval model, as a :class:`Session` on the engine's device, path or bytes.
            batch: the batch arrays the eval model takes.
            scalars: values for any other non-state inputs.
            fetch: outputs to return; all outputs when None.

        Returns:
            ``{output name: host array}``.
        """
        if isinstance(model, Session):
            evaluator = Evaluator(self, model)
        else:
            key = os.fspath(model) if isinstance(model, (str, os.PathLike)) else model
            evaluator = self._evaluators.get(key)
            if evaluator is None:
                evaluator = self._evaluators[key] = Evaluator(self, model)
        if any(np.asarray(value).dtype.kind in "OSU" for value in batch.values()):
            return self._run_eval_on_host(evaluator.session, batch, scalars or {}, fetch)
        return evaluator.run(batch, scalars, fetch)

    def _run_eval_on_host(self, session, batch, scalars, fetch) -> dict[str, np.ndarray]:
        """An eval batch with strings (IOBinding binds none): a plain Run on host copies of
        the live state the eval model reads."""
        live = self._buffers[self._current]
        feed = {}
        for name, _, dtype in session.inputs:
            value = batch.get(name, scalars.get(name))
            feed[name] = live[name].numpy() if name in live else cast_same_kind(value, dtype)
        names = session.output_names if fetch is None else list(fetch)
        values = session.ort_session.run(names, feed)
        return {name: np.array(value) for name, value in zip(names, values, strict=True)}
