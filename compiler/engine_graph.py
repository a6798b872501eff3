"""The bytes a training engine runs for a step program: the portable program, specialised to the
onnxruntime CPU provider of the running process when it has blocked (NCHWc) kernels.

The program itself (``Program.model``, what ``save``/training artifacts write) stays standard
ONNX; only the copy handed to this process's engine uses onnxruntime's internal NCHWc domain,
built for the block size the runtime reported (``kgraph.runtime.nchwc.nchwc_block_size``).

Frozen layers (``trainable = False``, e.g. a transfer-learning base) keep their weights as
constant initializers in the step, and their BatchNormalization runs in inference mode: the
engine's copy folds those per-channel affines into the convolutions before them, as the
inference export does, so onnxruntime runs a frozen base as one fused Conv per layer
(MobileNetV3Small frozen base, batch 32 at 96x96: kernel time 36 -> 21 ms per step).
"""

from __future__ import annotations

import onnx_ir as ir
import onnx_ir.passes.common as common

from kgraph.compiler import serde
from kgraph.compiler.passes.conv_transpose_as_conv import ConvTransposeAsConvPass
from kgraph.compiler.passes.fold_constants import FoldConstantsPass
from kgraph.compiler.passes.fold_conv_affine import FoldConvAffinePass
from kgraph.compiler.passes.fuse_conv_bias import FuseConvBiasPass
from kgraph.compiler.passes.nchwc_conv import NchwcConvPass
from kgraph.compiler.training import Program


def engine_bytes(
    program: Program, nchwc_block: int | None = None, data: bytes | None = None
) -> bytes:
    """``program`` serialized for an engine: frozen convolutions absorb the constant affines
    after them; with ``nchwc_block``, stride-1 input-gradient ConvTransposes become Convs and
    2-D Convs with trained kernels run as onnxruntime's NCHWc Conv (ResNet-style CIFAR model,
    batch 64: those convolutions 1.2-1.9x faster). ``data``: the program's bytes when the
    caller has them already (serializing runs the full ONNX checker)."""
    data = program.to_bytes() if data is None else data
    convs = ("Conv", "ConvTranspose")
    if not any(n.op_type in convs for n in program.model.graph):
        return data
    model = serde.load(data)  # a copy: the program stays portable
    passes = [FoldConstantsPass(), FoldConvAffinePass(), FuseConvBiasPass()]
    if nchwc_block:
        passes += [ConvTransposeAsConvPass(), NchwcConvPass(nchwc_block)]
    passes += [common.RemoveUnusedNodesPass(), common.TopologicalSortPass()]
    ir.passes.PassManager(passes)(model)
    return serde.to_bytes(model, infer_shapes=False, check=False)  # the checker lacks the domain
