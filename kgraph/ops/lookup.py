"""``kgraph.ops.lookup``: table lookups lowered to ``ai.onnx.ml.LabelEncoder``.

The lookup layers map string tokens to indices (and indices back to strings) with it; ONNX's
default domain has no hash table. onnxruntime runs LabelEncoder for string and int64 keys and
values. A lookup's outputs are integers or strings: it carries no gradient.
"""

from __future__ import annotations

import onnx_ir as ir

from kgraph.ops.core import Op, Spec, _spec_of, apply

ML_DOMAIN = "ai.onnx.ml"
ML_OPSET = 3
_KINDS = {"string": "strings", "int64": "int64s"}


def _infer(x, *, keys, values, default, value_dtype):
    return Spec(x.shape, value_dtype)


def _lower(b, x, *, keys, values, default, value_dtype):
    b.graph.opset_imports.setdefault(ML_DOMAIN, ML_OPSET)
    key_kind = "strings" if isinstance(keys[0], str) else "int64s"
    value_kind = _KINDS[value_dtype]
    if key_kind == "int64s" and x.dtype != ir.DataType.INT64:
        x = b.op("Cast", [x], {"to": ir.DataType.INT64})
    attrs = {
        f"keys_{key_kind}": list(keys),
        f"values_{value_kind}": list(values),
        f"default_{value_kind[:-1]}": default,
    }
    name = b.unique_name("LabelEncoder")
    out = ir.Value(name=name)
    node = ir.Node(
        ML_DOMAIN,
        "LabelEncoder",
        [x],
        ir.convenience.convert_attributes(attrs),
        outputs=[out],
        name=name,
    )
    b.graph.append(node)
    return out


_lookup = Op("lookup", _infer, _lower, promote=False)


def lookup(x, keys, values, default):
    """Maps each element of ``x`` found in ``keys`` to the matching ``values`` entry, and every
    other element to ``default``.

    Args:
        x: A string tensor (keys are strings) or an integer tensor (keys are ints).
        keys: Distinct strings or ints.
        values: As many ints (int64 results) or strings (string results).
        default: The result for elements not in ``keys``.
    """
    keys, values = list(keys), list(values)
    if not keys or len(keys) != len(values):
        raise ValueError(
            f"lookup needs as many values as keys (at least one). Received {len(keys)} keys "
            f"and {len(values)} values."
        )
    strings = isinstance(keys[0], str)
    keys = [str(k) for k in keys] if strings else [int(k) for k in keys]
    value_strings = isinstance(values[0], str)
    values = [str(v) for v in values] if value_strings else [int(v) for v in values]
    spec = _spec_of(x)
    if strings != (spec.dtype == "string"):
        raise ValueError(
            f"lookup keys are {'strings' if strings else 'integers'} but the input has dtype "
            f"{spec.dtype}."
        )
    return apply(
        _lookup,
        [x],
        keys=tuple(keys),
        values=tuple(values),
        default=str(default) if value_strings else int(default),
        value_dtype="string" if value_strings else "int64",
    )


__all__ = ["lookup"]
