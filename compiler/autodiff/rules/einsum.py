"""Gradient rule of ``Einsum`` with an explicit equation ``A,B,...->C``: the gradient of
operand ``k`` is the Einsum of the output gradient with the other operands back to ``k``'s
subscripts (``C,B,...->A``). A letter summed within one operand only (it appears nowhere
else) is broadcast back with ``Expand``; repeated letters in one operand (diagonals) and
ellipses are refused (``kgraph.ops.einsum`` always writes equations without them)."""

from __future__ import annotations

from kgraph.compiler.autodiff.emit import attr, ints
from kgraph.compiler.autodiff.registry import rule


def _equation(node) -> tuple[list[str], str]:
    equation = attr(node, "equation")
    equation = equation.decode() if isinstance(equation, bytes) else equation
    inputs, arrow, output = equation.replace(" ", "").partition("->")
    if not arrow or "." in equation:
        raise NotImplementedError(
            f"No gradient for Einsum '{equation}': it needs an explicit output and no ellipsis."
        )
    return inputs.split(","), output


@rule("Einsum")
def _einsum(b, node, grads):
    specs, output = _equation(node)
    results = []
    for k, spec in enumerate(specs):
        if len(set(spec)) != len(spec):
            raise NotImplementedError(f"No gradient for Einsum with a repeated letter in '{spec}'.")
        others = [s for j, s in enumerate(specs) if j != k]
        seen = set(output).union(*others)
        kept = "".join(c for c in spec if c in seen)
        equation = ",".join([output, *others]) + "->" + kept
        operands = [grads[0], *(x for j, x in enumerate(node.inputs) if j != k)]
        grad = b.op("Einsum", operands, {"equation": equation})
        if kept != spec:  # letters summed only here: every cell gets the same gradient
            missing = [i for i, c in enumerate(spec) if c not in seen]
            grad = b.op("Unsqueeze", [grad, ints(b, missing)])
            shape = b.op("Shape", [node.inputs[k]])
            grad = b.op("Expand", [grad, shape])
        results.append(grad)
    return results
