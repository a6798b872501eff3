"""The NCHWc block size of this process's onnxruntime on this CPU.

onnxruntime's CPU provider has blocked-layout kernels (domain ``com.microsoft.nchwc``) whose
channel block depends on the instruction set it found at start-up (16 floats with AVX-512, 8
with AVX2). A graph that uses them directly (a training step whose convolutions the compiler
rewrote, see ``compiler/passes/nchwc_conv.py``) must be built for that block size, so it is
asked here once per process: ``ReorderInput`` pads a four-channel tensor (it takes multiples
of 4) to one block.

This module imports only the standard library, numpy and onnxruntime.
"""

from __future__ import annotations

import functools

import numpy as np
import onnxruntime as ort

from kgraph.runtime._proto import field as _field
from kgraph.runtime.providers import CPU, resolve_providers

DOMAIN = b"com.microsoft.nchwc"


def _probe_model_bytes() -> bytes:
    """``y = com.microsoft.nchwc.ReorderInput(x)``, x float32 [1, 4, 1, 1], as ModelProto bytes
    (field numbers as in ``providers._probe_model_bytes``; NodeProto.domain = 7)."""
    shape = _field(2, b"".join(_field(1, _field(1, d)) for d in (1, 4, 1, 1)))
    tensor_type = _field(1, _field(1, 1) + shape)
    node = _field(1, b"x") + _field(2, b"y") + _field(4, b"ReorderInput") + _field(7, DOMAIN)
    graph = (
        _field(1, node)
        + _field(2, b"kgraph_nchwc_probe")
        + _field(11, _field(1, b"x") + _field(2, tensor_type))
        + _field(12, _field(1, b"y") + _field(2, _field(1, _field(1, 1))))
    )
    opsets = _field(8, _field(1, b"") + _field(2, 13)) + _field(8, _field(1, DOMAIN) + _field(2, 1))
    return _field(1, 8) + opsets + _field(2, b"kgraph") + _field(7, graph)


@functools.cache
def nchwc_block_size() -> int | None:
    """The channel block of onnxruntime's NCHWc CPU kernels here, or None when this build or
    CPU has none (the kernels are x86-only)."""
    options = ort.SessionOptions()
    options.log_severity_level = 4
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    try:
        session = ort.InferenceSession(
            _probe_model_bytes(), options, providers=["CPUExecutionProvider"]
        )
        (y,) = session.run(None, {"x": np.ones((1, 4, 1, 1), np.float32)})
    except Exception:  # not registered in this build: no NCHWc kernels
        return None
    block = int(y.shape[1]) if y.ndim == 4 else 0
    return block if block > 4 else None  # 4: no blocking, the input came back unpadded


def nchwc_block_for(device: str) -> int | None:
    """:func:`nchwc_block_size` when sessions for ``device`` run on the CPU provider, else None
    (the CUDA provider has no NCHWc kernels)."""
    return nchwc_block_size() if resolve_providers(device)[0] == CPU else None
