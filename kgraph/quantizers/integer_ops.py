"""Integer products of int8 operands, accumulated in int32, for the int8-quantized layers.

``matmul_int8`` lowers to ONNX ``MatMulInteger`` (int8 x int8 -> int32; onnxruntime 1.31's CPU
kernel takes int8 on both sides and is exact, checked with full-range operands up to K=4096).
``einsum_int8`` casts both operands to int32 and lowers to ``Einsum`` (onnxruntime has no int8
``Einsum``): exact as well, and the int8 kernel stays int8 in the file.
Neither has a gradient: the layers differentiate through the dequantized float kernel.
"""

from __future__ import annotations

from kgraph.ops import shapes
from kgraph.ops.core import Op, Spec, apply

_matmul_integer = Op(
    "matmul_integer",
    lambda a, b: Spec(shapes.matmul(a.shape, b.shape), "int32"),
    lambda b, x, y: b.op("MatMulInteger", [x, y]),
    promote=False,
)


def matmul_int8(x, kernel):
    """``x @ kernel`` of two int8 tensors, as int32."""
    return apply(_matmul_integer, [x, kernel])


def _einsum_int32_infer(a, b, equation):
    inputs, output = equation.split("->")
    sizes: dict = {}
    for spec, operand in zip(inputs.split(","), (a, b)):
        for letter, d in zip(spec, operand.shape):
            if sizes.get(letter) is None:
                sizes[letter] = d
    return Spec(tuple(sizes.get(c) for c in output), "int32")


def _einsum_int32_lower(b, x, y, equation):
    to_int32 = {"to": 6}  # ONNX TensorProto.INT32
    return b.op(
        "Einsum",
        [b.op("Cast", [x], to_int32), b.op("Cast", [y], to_int32)],
        {"equation": equation},
    )


_einsum_int32 = Op("einsum_int8", _einsum_int32_infer, _einsum_int32_lower, promote=False)


def einsum_int8(equation, x, kernel):
    """``einsum(equation, x, kernel)`` of two int8 tensors (explicit equation), as int32."""
    return apply(_einsum_int32, [x, kernel], equation=equation)
