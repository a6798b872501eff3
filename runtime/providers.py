"""Choosing, checking and tuning onnxruntime execution providers.

Four public helpers:

* :func:`resolve_providers` turns a device name (``"auto"``, ``"cpu"``, ``"cuda"``) into the
  provider list handed to ``onnxruntime.InferenceSession``. CUDA is only chosen when the CUDA
  provider is compiled in *and* really initialises: a one-off probe (cached per process) builds a
  tiny model from a hard-coded serialized protobuf and runs it on the CUDA provider.
* :func:`default_session_options` gives the documented session tuning used across kgraph.
* :func:`provider_options` gives the per-provider option dicts, aligned with the provider list.
* :func:`shared_cpu_arena` registers the one CPU arena that kgraph's sessions share.

This module imports only the standard library, numpy and onnxruntime.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Sequence

import numpy as np
import onnxruntime as ort

from kgraph.runtime._proto import field as _field
from kgraph.runtime._types import first_error_line

CPU = "CPUExecutionProvider"
CUDA = "CUDAExecutionProvider"
_DEVICES = ("auto", "cpu", "cuda")
_ORT_DEFAULT_LOG_SEVERITY = 2  # onnxruntime's own default (WARNING); it has no getter.

_probe_lock = threading.Lock()
_probe_result: tuple[str | None] | None = None  # (None,) = CUDA works, (reason,) = it does not.
_warned_fallback = False
_arena_lock = threading.Lock()
_arena_shared: bool | None = None  # None: not tried yet
LOGGER = logging.getLogger("kgraph.runtime")  # services silence or route it like any logger


def _probe_model_bytes() -> bytes:
    """Serializes ``y = Identity(x)``, x and y float32 of shape [1], as an ONNX ``ModelProto``.

    Written by hand so that this module needs no ``onnx`` package. Field numbers follow
    ``onnx.proto``: ModelProto(ir_version=1, opset_import=8, producer_name=2, graph=7),
    GraphProto(node=1, name=2, input=11, output=12), NodeProto(input=1, output=2, op_type=4),
    ValueInfoProto(name=1, type=2), TypeProto(tensor_type=1), TypeProto.Tensor(elem_type=1,
    shape=2), TensorShapeProto(dim=1), Dimension(dim_value=1).
    """
    shape = _field(2, _field(1, _field(1, 1)))  # shape [1]
    tensor_type = _field(1, _field(1, 1) + shape)  # elem_type 1 = FLOAT

    def value_info(name: bytes) -> bytes:
        return _field(1, name) + _field(2, tensor_type)

    node = _field(1, b"x") + _field(2, b"y") + _field(4, b"Identity")
    graph = (
        _field(1, node)
        + _field(2, b"kgraph_cuda_probe")
        + _field(11, value_info(b"x"))
        + _field(12, value_info(b"y"))
    )
    opset = _field(1, b"") + _field(2, 13)
    return _field(1, 8) + _field(8, opset) + _field(2, b"kgraph") + _field(7, graph)


def _run_cuda_probe() -> str | None:
    """Tries the CUDA provider once. Returns None when it works, else a one-line reason."""
    if CUDA not in ort.get_available_providers():
        return (
            "this onnxruntime build has no CUDAExecutionProvider "
            "(install onnxruntime-gpu to use CUDA)"
        )
    options = ort.SessionOptions()
    options.log_severity_level = 4
    ort.set_default_logger_severity(4)
    try:
        session = ort.InferenceSession(
            _probe_model_bytes(), options, providers=[CUDA], enable_fallback=0
        )
        if session.get_providers()[0] != CUDA:
            return (
                "CUDAExecutionProvider failed to initialise "
                "(check the CUDA, cuDNN and driver libraries)"
            )
        session.run(None, {"x": np.zeros(1, np.float32)})
    except Exception as exc:  # any failure means "CUDA is not usable"
        return f"CUDAExecutionProvider failed to initialise: {first_error_line(exc)}"
    finally:
        ort.set_default_logger_severity(_ORT_DEFAULT_LOG_SEVERITY)
    return None


def cuda_unavailable_reason() -> str | None:
    """Probes the CUDA provider once per process.

    Returns:
        None when CUDA is usable, else a one-line reason why it is not.
    """
    global _probe_result
    with _probe_lock:
        if _probe_result is None:
            _probe_result = (_run_cuda_probe(),)
        return _probe_result[0]


def resolve_providers(device: str = "auto") -> list[str]:
    """Returns the onnxruntime provider list for a device name.

    Args:
        device: ``"cpu"``, ``"cuda"`` or ``"auto"`` (CUDA when it works, else CPU). With
            ``"auto"``, a build that lists CUDA but cannot initialise it logs one warning on
            the ``kgraph.runtime`` logger, once per process (with no logging configured, Python
            prints it to stderr; a service silences it with
            ``logging.getLogger("kgraph.runtime").setLevel(logging.ERROR)``); a CPU-only build
            falls back silently.

    Returns:
        ``["CPUExecutionProvider"]`` or ``["CUDAExecutionProvider", "CPUExecutionProvider"]``.

    Raises:
        ValueError: if ``device`` is not one of the three names.
        RuntimeError: if ``device="cuda"`` and CUDA is not listed or does not initialise.
    """
    global _warned_fallback
    if device not in _DEVICES:
        raise ValueError(f"device must be 'auto', 'cpu' or 'cuda'. Received: device={device!r}")
    if device == "cpu":
        return [CPU]
    listed = CUDA in ort.get_available_providers()
    reason = cuda_unavailable_reason() if (listed or device == "cuda") else None
    if listed and reason is None:
        return [CUDA, CPU]
    if device == "cuda":
        raise RuntimeError(f"device='cuda' requested but {reason}.")
    if listed and not _warned_fallback:
        _warned_fallback = True
        LOGGER.warning("kgraph: CUDA not available (%s); running on CPU.", reason)
    return [CPU]


def _physical_cores() -> int:
    """Counts the physical cores this process may run on (hyper-threads counted once)."""
    try:
        cpus = sorted(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1
    cores = set()
    for cpu in cpus:
        base = f"/sys/devices/system/cpu/cpu{cpu}/topology"
        try:
            with open(f"{base}/physical_package_id") as pkg, open(f"{base}/core_id") as core:
                cores.add((pkg.read().strip(), core.read().strip()))
        except OSError:
            return len(cpus) or (os.cpu_count() or 1)
    return max(1, len(cores))


MAX_THREADS = 1024  # more threads than this only thrash (and a typo of 100000 hangs the host)


def num_threads() -> int:
    """Intra-op thread count: ``$KGRAPH_NUM_THREADS`` if set, else the physical core count.

    Raises:
        ValueError: if ``KGRAPH_NUM_THREADS`` is not an integer from 1 to ``MAX_THREADS``.
    """
    env = os.environ.get("KGRAPH_NUM_THREADS", "").strip()
    if not env:
        return _physical_cores()
    if not env.isdigit() or not 1 <= int(env) <= MAX_THREADS:
        raise ValueError(
            f"KGRAPH_NUM_THREADS must be an integer from 1 to {MAX_THREADS}. Received: {env!r}"
        )
    return int(env)


def default_session_options(device: str = "auto") -> ort.SessionOptions:
    """Builds the session options kgraph uses unless the caller passes its own.

    | option | value | why |
    | --- | --- | --- |
    | graph_optimization_level | ORT_ENABLE_ALL | constant folding, fusions, layout transforms |
    | intra_op_num_threads | physical cores, or ``$KGRAPH_NUM_THREADS`` | hyper-threads slow
      GEMM-bound kernels; the variable lets services share a host |
    | inter_op_num_threads | 1 | execution is sequential, so a second pool would only spin |
    | execution_mode | ORT_SEQUENTIAL | step graphs are chains; parallel mode adds scheduling cost |
    | log_severity_level | 4 (fatal) | a failed run raises ``RunError`` with ORT's message;
      its own log lines (coloured, multi-line) would only repeat it on stderr |
    | enable_mem_pattern | False | the plan is one block allocated on the second run, on top of
      the arena chunks of the first: a training step's peak RSS was ~1.8x its working set
      (ResNet-style CIFAR model, batch 64: 755 vs 428 MiB), at no measurable speed gain |
    | enable_cpu_mem_arena | True | reuse host buffers instead of malloc/free per run |
    | session.use_env_allocators | "1" | every kgraph session draws on one process-wide CPU arena
      (:func:`shared_cpu_arena`) instead of its own, so predict and eval reuse what the training
      step freed (ResNet-style CIFAR model, batch 64: peak RSS of fit then predict 540 -> 524
      MiB); the arena is kept for the process's lifetime, as each session's own was for its |
    | session.intra_op.allow_spinning | "0" | idle workers sleep instead of busy-waiting, so
      data-loading threads get the cores between steps (seed CNN: step from a loading
      dataset 8-9 -> 4-4.5 ms under load; fit from memory on an idle box 3,273/3,646 ->
      3,552/3,769 samples/s, alternating processes) |

    Args:
        device: the device the session is for (``"auto"``, ``"cpu"`` or ``"cuda"``). The
            options are currently the same for all three; the argument keeps the call sites
            ready for device-specific tuning.

    Returns:
        A fresh ``onnxruntime.SessionOptions``.
    """
    if device not in _DEVICES:
        raise ValueError(f"device must be 'auto', 'cpu' or 'cuda'. Received: device={device!r}")
    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.intra_op_num_threads = num_threads()
    options.inter_op_num_threads = 1
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    options.log_severity_level = 4
    options.enable_mem_pattern = False
    options.enable_cpu_mem_arena = True
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    if shared_cpu_arena():
        options.add_session_config_entry("session.use_env_allocators", "1")
    return options


def shared_cpu_arena() -> bool:
    """Registers one CPU arena allocator in onnxruntime's process environment, once.

    Returns:
        True when sessions can use it (``session.use_env_allocators``), False when this
        onnxruntime build refuses to register it (each session then keeps its own arena).
    """
    global _arena_shared
    with _arena_lock:
        if _arena_shared is None:
            info = ort.OrtMemoryInfo(
                "Cpu", ort.OrtAllocatorType.ORT_ARENA_ALLOCATOR, 0, ort.OrtMemType.DEFAULT
            )
            try:
                ort.create_and_register_allocator(info, ort.OrtArenaCfg(0, -1, -1, -1))
                _arena_shared = True
            except Exception:  # a build without environment allocators: per-session arenas
                _arena_shared = False
        return _arena_shared


def provider_options(providers: Sequence[str]) -> list[dict[str, str | bool]]:
    """Returns one option dict per provider, aligned with ``providers``.

    CUDA options:

    | option | value | why |
    | --- | --- | --- |
    | cudnn_conv_algo_search | HEURISTIC | EXHAUSTIVE benchmarks every algorithm for every new
      input shape; a last partial batch or a new image size then stalls for seconds |
    | arena_extend_strategy | kNextPowerOfTwo | few, large arena growths instead of one per
      new request size: fewer cudaMalloc calls while shapes settle |
    | do_copy_in_default_stream | True | host<->device copies and kernels share one stream, so
      an input copy can never race the kernel that reads it |

    Other providers get an empty dict (onnxruntime's defaults).

    Args:
        providers: provider names, as returned by :func:`resolve_providers`.

    Returns:
        A list of dicts, one per provider.
    """
    cuda = {
        "cudnn_conv_algo_search": "HEURISTIC",
        "arena_extend_strategy": "kNextPowerOfTwo",
        "do_copy_in_default_stream": True,
    }
    return [dict(cuda) if name == CUDA else {} for name in providers]
