"""Helpers shared by the transpose passes: permutations and single-consumer checks."""

from __future__ import annotations

from collections.abc import Sequence

import onnx_ir as ir

ELEMENTWISE_UNARY = frozenset(
    {
        "Relu",
        "LeakyRelu",
        "Elu",
        "Selu",
        "Sigmoid",
        "Tanh",
        "Softplus",
        "Softsign",
        "Exp",
        "Log",
        "Sqrt",
        "Abs",
        "Neg",
        "Erf",
        "Sin",
        "Cos",
        "Reciprocal",
        "Floor",
        "Ceil",
        "Sign",
        "Clip",
        "Cast",
        "Identity",
        "HardSigmoid",
        "HardSwish",
    }
)
ELEMENTWISE_BINARY = frozenset({"Add", "Sub", "Mul", "Div", "Max", "Min", "Pow"})


def perm_of(node: ir.Node) -> list[int]:
    """The ``perm`` attribute of a Transpose node."""
    return list(node.attributes["perm"].as_ints())


def compose(first: Sequence[int], second: Sequence[int]) -> list[int]:
    """The single perm equal to transposing by ``first`` and then by ``second``."""
    return [first[i] for i in second]


def invert(perm: Sequence[int]) -> list[int]:
    """The inverse permutation."""
    inverse = [0] * len(perm)
    for i, p in enumerate(perm):
        inverse[p] = i
    return inverse


def is_identity(perm: Sequence[int]) -> bool:
    return list(perm) == list(range(len(perm)))


def sole_consumer(value: ir.Value) -> ir.Node | None:
    """The only node reading ``value`` (and not a graph output), else None."""
    if value.is_graph_output():
        return None
    consumers = value.consumers()
    if len(consumers) != 1 or len(value.uses()) != 1:
        return None
    return consumers[0]


def transpose_producer(value: ir.Value | None) -> ir.Node | None:
    """The Transpose node that produced ``value``, if any."""
    node = value.producer() if value is not None else None
    return node if node is not None and node.op_type == "Transpose" else None
