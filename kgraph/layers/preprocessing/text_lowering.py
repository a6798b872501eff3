"""``TextVectorization``'s string steps as ONNX ops, so the layer can sit inside a model.

Standard ONNX has no regex replacement, but Keras' default standardization only deletes a
fixed set of characters, and a deletion is a split followed by a join: ``StringSplit`` on one
character gives the pieces between its occurrences (``[N, K]``, padded with ``""``), and a
``Loop`` over the piece axis concatenates them back with ``StringConcat``. Doing that for each
of the 32 ASCII punctuation characters is Keras' ``regex_replace``. A character absent from
the whole batch gives one piece, so its Loop runs a single step: the whole strip costs about
as much as the numpy path (2000 texts of 60 words: 0.1 s either way).

The other steps map onto ONNX directly:

* lowercase: ``StringNormalizer`` with the portable ``"C"`` locale, which lowercases ASCII
  letters only -- exactly ``tf.strings.lower`` without an encoding, which Keras calls;
* whitespace split: ``StringSplit`` without a delimiter splits on runs of spaces only, so tabs,
  newlines, carriage returns, vertical tabs and form feeds (TensorFlow's ``isspace`` set) are
  first joined back as spaces;
* ngrams: slices of the token matrix joined with ``" "`` by ``StringConcat``;
* arranging ids: valid entries first (``TopK`` on their positions), then padded or cut.

``split="character"`` has no lowering: ``StringSplit`` with an empty delimiter splits on
whitespace, and no other ONNX op yields a string's characters.
"""

from __future__ import annotations

import string

import numpy as np
import onnx_ir as ir

from kgraph.ops.core import Op, Spec, apply

PUNCTUATION = string.punctuation  # Keras' character class, the 32 ASCII punctuation marks
EXTRA_WHITESPACE = "\t\n\v\f\r"  # split as spaces, as TensorFlow's ascii isspace does
_STRING = ir.DataType.STRING


def _const(b, array):
    return b.constant(np.asarray(array, dtype=np.int64))


def _string_const(b, text: str):
    return b.op("Constant", [], {"value_string": text}, dtype="string", shape=())


def _value(b, base: str, dtype, shape):
    return ir.Value(name=b.unique_name(base), type=ir.TensorType(dtype), shape=ir.Shape(shape))


def _join_body(b, pieces, sep):
    """A Loop body ``acc -> acc + sep + pieces[:, i]`` (``pieces`` and ``sep`` are outer
    values; ``sep=None`` joins without a separator)."""
    step = _value(b, "join_step", ir.DataType.INT64, [])
    cond = _value(b, "join_cond", ir.DataType.BOOL, [])
    acc = _value(b, "join_acc", _STRING, [None])
    piece = ir.Value(name=b.unique_name("join_piece"))
    cond_out = _value(b, "join_go", ir.DataType.BOOL, [])
    gather = ir.Node("", "Gather", [pieces, step], [ir.AttrInt64("axis", 1)], outputs=[piece])
    nodes = [gather, ir.Node("", "Identity", [cond], outputs=[cond_out])]
    left = acc
    if sep is not None:
        left = ir.Value(name=b.unique_name("join_sep"))
        nodes.append(ir.Node("", "StringConcat", [acc, sep], outputs=[left]))
    out = _value(b, "join_out", _STRING, [None])
    nodes.append(ir.Node("", "StringConcat", [left, piece], outputs=[out]))
    body = ir.Graph([step, cond, acc], [cond_out, out], nodes=nodes)
    body.name = b.unique_name("join_body")
    return body


def _replace_char(b, x, char: str, sep, empty):
    """``x`` with every ``char`` replaced by ``sep`` (None: deleted); ``x`` is ``[N]``.
    A Loop, not a Scan: onnxruntime's Scan corrupts a string state from one step to the
    next (1.31 CPU: joining "a,b,,c" gave "aabc"), while a Loop carries it intact."""
    pieces, _ = b.op("StringSplit", [x], {"delimiter": char}, num_outputs=2)
    steps = b.op("Squeeze", [b.op("Shape", [pieces], {"start": 1, "end": 2})])
    init = b.op("Expand", [empty, b.op("Shape", [x])])
    body = _join_body(b, pieces, sep)
    return b.op("Loop", [steps, None, init], {"body": body}, dtype="string", shape=[None])


def _lowercase(b, x):
    """ASCII lowercase of ``[N]`` strings. StringNormalizer refuses an empty batch, so it
    gets one more string, cut off after."""
    one = b.op("Constant", [], {"value_strings": [""]}, dtype="string", shape=(1,))
    x = b.op("Concat", [x, one], {"axis": 0})
    attrs = {"case_change_action": "LOWER", "locale": "C"}
    x = b.op("StringNormalizer", [x], attrs, dtype="string", shape=[None])
    return b.op("Slice", [x, _const(b, [0]), _const(b, [-1])])


def _infer_tokens(x, *, lower, strip, split):
    return Spec((x.shape[0], None), "string"), Spec((x.shape[0],), "int64")


def _lower_tokens(b, x, *, lower, strip, split):
    empty = _string_const(b, "")
    if lower:
        x = _lowercase(b, x)
    if strip:
        for char in PUNCTUATION:
            x = _replace_char(b, x, char, None, empty)
    if split:
        space = _string_const(b, " ")
        for char in EXTRA_WHITESPACE:
            x = _replace_char(b, x, char, space, empty)
        tokens, counts = b.op("StringSplit", [x], num_outputs=2)
        return tokens, counts
    tokens = b.op("Unsqueeze", [x, _const(b, [1])])
    return tokens, b.op("Expand", [_const(b, 1), b.op("Shape", [x])])


_tokens = Op("text_tokens", _infer_tokens, _lower_tokens, promote=False)


def text_tokens(x, lower: bool, strip: bool, split: bool):
    """Keras' standardize and split of a ``[N]`` string tensor: ``(tokens, counts)``, the
    tokens ``[N, T]`` left-aligned and padded with ``""`` (one token, the text, without
    ``split``)."""
    return apply(_tokens, [x], lower=bool(lower), strip=bool(strip), split=bool(split))


def _column(b, tokens, start, length):
    """``tokens[:, start : start + length]`` with a tensor ``length``."""
    begin = _const(b, [start])
    end = b.op("Add", [begin, length])
    return b.op("Slice", [tokens, begin, end, _const(b, [1])])


def _infer_grams(tokens, counts, *, widths):
    n = tokens.shape[0]
    return Spec((n, None), "string"), Spec((n, None), "bool")


def _lower_grams(b, tokens, counts, *, widths):
    width = b.op("Slice", [b.op("Shape", [tokens]), _const(b, [1]), _const(b, [2])])
    space = _string_const(b, " ")
    grams, valid = [], []
    for n in widths:
        length = b.op("Max", [b.op("Sub", [width, _const(b, [n - 1])]), _const(b, [0])])
        gram = _column(b, tokens, 0, length)
        for j in range(1, n):
            gram = b.op("StringConcat", [gram, space])
            gram = b.op("StringConcat", [gram, _column(b, tokens, j, length)])
        positions = b.op("Range", [_const(b, 0), b.op("Squeeze", [length]), _const(b, 1)])
        count = b.op("Unsqueeze", [b.op("Sub", [counts, _const(b, n - 1)]), _const(b, [1])])
        grams.append(gram)
        valid.append(b.op("Less", [positions, count]))
    if len(widths) == 1:
        return grams[0], valid[0]
    return b.op("Concat", grams, {"axis": 1}), b.op("Concat", valid, {"axis": 1})


_grams = Op("text_ngrams", _infer_grams, _lower_grams, promote=False)


def text_ngrams(tokens, counts, widths):
    """The ``n``-grams of each row for each width (tokens joined by ``" "``), the widths'
    blocks side by side as ``tf.strings.ngrams`` orders them, and which entries are real."""
    return apply(_grams, [tokens, counts], widths=tuple(int(w) for w in widths))


def _infer_arrange(ids, valid, *, length, fill, compact):
    return Spec((ids.shape[0], length), "int64")


def _lower_arrange(b, ids, valid, *, length, fill, compact):
    ids = b.op("Where", [valid, ids, _const(b, fill)])
    if compact:  # real entries first, in order: sort by position, padding pushed behind
        width = b.op("Shape", [ids], {"start": 1, "end": 2})
        positions = b.op("Range", [_const(b, 0), b.op("Squeeze", [width]), _const(b, 1)])
        key = b.op("Where", [valid, positions, b.op("Add", [positions, width])])
        _, order = b.op("TopK", [key, width], {"axis": 1, "largest": 0}, num_outputs=2)
        ids = b.op("GatherElements", [ids, order], {"axis": 1})
    if length is not None:
        pads = _const(b, [0, 0, 0, length])
        ids = b.op("Pad", [ids, pads, _const(b, fill)])
        return b.op("Slice", [ids, _const(b, [0]), _const(b, [length]), _const(b, [1])])
    total = b.op("ReduceSum", [b.op("Cast", [valid], {"to": ir.DataType.INT64}), _const(b, [1])])
    total = b.op("Concat", [b.op("Reshape", [total, _const(b, [-1])]), _const(b, [0])], {"axis": 0})
    longest = b.op("ReduceMax", [total, _const(b, [0])], {"keepdims": 1})
    return b.op("Slice", [ids, _const(b, [0]), longest, _const(b, [1])])


_arrange = Op("text_arrange", _infer_arrange, _lower_arrange, promote=False)


def arrange_ids(ids, valid, length, fill: int, compact: bool):
    """``[N, length]`` ids (``length=None``: the longest row's count): the valid ``ids`` of
    each row first and in order, then ``fill``. ``compact=False`` when the valid entries
    already lead each row."""
    return apply(
        _arrange,
        [ids, valid],
        length=None if length is None else int(length),
        fill=int(fill),
        compact=bool(compact),
    )


__all__ = ["arrange_ids", "text_ngrams", "text_tokens"]
