"""``einsum``: Einstein summation, lowered to ONNX ``Einsum`` with an explicit equation.

Ellipses are expanded to letters here (ranks are static), and an implicit output (no ``->``)
becomes numpy's: the letters used once, sorted.
"""

from __future__ import annotations

import string

from kgraph.ops.core import Op, Spec, _spec_of, apply


def explicit_equation(subscripts: str, ranks: list[int]) -> str:
    """``subscripts`` with ``...`` replaced by fresh letters and an explicit ``->`` output."""
    subscripts = subscripts.replace(" ", "")
    inputs, arrow, output = subscripts.partition("->")
    specs = inputs.split(",")
    if len(specs) != len(ranks):
        raise ValueError(
            f"einsum: {len(specs)} operand subscripts for {len(ranks)} operands in '{subscripts}'."
        )
    used = set(subscripts) & set(string.ascii_letters)
    fresh = [c for c in string.ascii_letters if c not in used]
    widest = max((r - len(s.replace("...", "")) for s, r in zip(specs, ranks) if "..." in s),
                 default=0)  # fmt: skip
    ellipsis = "".join(fresh[:widest])
    expanded = []
    for spec, rank in zip(specs, ranks):
        if "..." in spec:
            count = rank - len(spec.replace("...", ""))
            spec = spec.replace("...", ellipsis[widest - count :] if count else "")
        if len(spec) != rank or not all(c in string.ascii_letters for c in spec):
            raise ValueError(f"einsum: subscripts '{spec}' do not fit an operand of rank {rank}.")
        expanded.append(spec)
    if arrow:
        output = output.replace("...", ellipsis)
    else:
        letters = "".join(expanded)
        output = ellipsis + "".join(sorted(c for c in set(letters) - set(ellipsis)
                                           if letters.count(c) == 1))  # fmt: skip
    return ",".join(expanded) + "->" + output


def _einsum_infer(*specs, equation):
    inputs, output = equation.split("->")
    sizes: dict[str, int | None] = {}
    for spec, x in zip(inputs.split(","), specs):
        for letter, d in zip(spec, x.shape):
            known = sizes.get(letter)
            if d is not None and d != 1 and known not in (None, 1) and known != d:
                raise ValueError(
                    f"einsum '{equation}': size {d} of '{letter}' differs from {known}."
                )
            if known in (None, 1):
                sizes[letter] = d if d is not None or known is None else known
    return Spec(tuple(sizes.get(c) for c in output), specs[0].dtype)


_einsum = Op(
    "einsum",
    _einsum_infer,
    lambda b, *xs, equation: b.op("Einsum", list(xs), {"equation": equation}),
)


def einsum(subscripts, *operands, **kwargs):
    """Evaluates the Einstein summation ``subscripts`` on ``operands`` (numpy's rules).

    ``kwargs`` are accepted as Keras does (it passes them to its backend's einsum, e.g.
    ``optimize``): they only steer how a backend evaluates, so the ONNX Einsum ignores them."""
    equation = explicit_equation(subscripts, [_spec_of(x).ndim for x in operands])
    if operands and all(_spec_of(x).dtype == "bool" for x in operands):
        # ONNX Einsum takes no bools: sum the products as int32; true where any product is
        from kgraph.ops.numpy import cast

        ints = [cast(x, "int32") for x in operands]
        return cast(apply(_einsum, ints, equation=equation), "bool")
    return apply(_einsum, list(operands), equation=equation)
