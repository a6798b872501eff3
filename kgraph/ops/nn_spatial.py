"""``keras.ops.nn`` attention, adaptive pooling and pixel rearrangements, composed of kgraph ops
(so they trace, run eagerly and differentiate through existing lowerings and gradient rules).

Adaptive pooling bins and ``fold`` / ``unfold`` windows are laid out at trace time, so their
spatial sizes must be static. The pixel shuffles are one op that reshapes with sizes read at run
time, so they also take images of any height and width (ESPCN's ``Input((None, None, 1))``).
"""

from __future__ import annotations

import math

import numpy as np

from kgraph import ops as _ops
from kgraph.ops.core import Op, Spec, _spec_of, apply


def _pair(value, name: str) -> tuple[int, int]:
    if isinstance(value, int):
        return value, value
    value = tuple(int(v) for v in value)
    if len(value) != 2:
        raise ValueError(f"{name} must be an int or 2 ints. Received: {name}={value}")
    return value


def _static(x, axes, name: str) -> list[int]:
    shape = _spec_of(x).shape
    if any(shape[a] is None for a in axes):
        raise ValueError(f"{name} needs static spatial sizes. Received input shape {shape}.")
    return [shape[a] for a in axes]


# -- attention ------------------------------------------------------------------------------------


def dot_product_attention(
    query,
    key,
    value,
    bias=None,
    mask=None,
    scale=None,
    is_causal=False,
    flash_attention=None,
    attn_logits_soft_cap=None,
):
    """``softmax(Q K^T * scale + bias) V`` for ``(B, T, N, H)`` queries and ``(B, S, K, H)``
    keys/values (``N`` a multiple of ``K``: grouped-query attention); rank-3 inputs have no batch.
    ``mask`` (True keeps) and ``is_causal`` hide logits; ``flash_attention`` must not be True
    (ONNX has no fused kernel; onnxruntime fuses the pattern itself where it can)."""
    if flash_attention:
        raise ValueError("kgraph has no flash attention kernel. Received: flash_attention=True")
    q, k = _spec_of(query), _spec_of(key)
    if q.ndim not in (3, 4) or k.ndim != q.ndim:
        raise ValueError(
            "`query`, `key` and `value` must have rank 4 (or 3 without batch). Received: "
            f"query.shape={q.shape}, key.shape={k.shape}"
        )
    if q.ndim == 3:
        args = [_ops.expand_dims(t, 0) for t in (query, key, value)]
        bias = None if bias is None else _ops.expand_dims(bias, 0)
        mask = None if mask is None else _ops.expand_dims(mask, 0)
        out = dot_product_attention(*args, bias, mask, scale, is_causal, None, attn_logits_soft_cap)
        return _ops.squeeze(out, 0)
    heads, kv_heads = q.shape[2], k.shape[2]
    if heads % kv_heads:
        raise ValueError(
            f"The query heads ({heads}) must be a multiple of the key heads ({kv_heads})."
        )
    if heads != kv_heads:
        key = _ops.repeat(key, heads // kv_heads, axis=2)
        value = _ops.repeat(value, heads // kv_heads, axis=2)
    scale = 1.0 / math.sqrt(q.shape[-1]) if scale is None else scale
    logits = _ops.multiply(_ops.einsum("btnh,bsnh->bnts", query, key), scale)
    if attn_logits_soft_cap is not None:
        cap = float(attn_logits_soft_cap)
        logits = _ops.multiply(_ops.tanh(_ops.divide(logits, cap)), cap)
    if bias is not None:
        logits = _ops.add(logits, bias)
    keep = None if mask is None else _ops.cast(mask, "bool")
    if is_causal:
        t, s = q.shape[1], k.shape[1]
        causal = _ops.tril(_ops.ones((t, s), "bool"))
        keep = causal if keep is None else _ops.logical_and(keep, causal)
    if keep is not None:
        logits = _ops.where(keep, logits, -0.7 * float(_large(_spec_of(logits).dtype)))
    probs = _ops.softmax(logits, axis=-1)
    return _ops.einsum("bnts,bsnh->btnh", probs, value)


def _large(dtype: str) -> float:
    return 65500.0 if dtype == "float16" else 3.0e38


# -- adaptive pooling -----------------------------------------------------------------------------


def _adaptive(inputs, output_size, data_format, reduce, name):
    data_format = data_format or "channels_last"
    if data_format not in ("channels_last", "channels_first"):
        raise ValueError(f"Invalid data_format. Received: data_format={data_format}")
    ndim = _spec_of(inputs).ndim
    n = ndim - 2
    spatial = list(range(1, ndim - 1)) if data_format == "channels_last" else list(range(2, ndim))
    sizes = _static(inputs, spatial, name)
    outs = (output_size,) * n if isinstance(output_size, int) else tuple(output_size)
    if len(outs) != n:
        raise ValueError(f"output_size must have {n} values. Received: output_size={output_size}")
    x = inputs
    for axis, length, out in zip(spatial, sizes, outs):
        pieces = []
        for i in range(out):
            start, stop = (i * length) // out, -(-((i + 1) * length) // out)
            index = [slice(None)] * ndim
            index[axis] = slice(start, stop)
            pieces.append(reduce(x[tuple(index)], axis=axis, keepdims=True))
        x = _ops.concatenate(pieces, axis=axis)
    return x


def adaptive_average_pool(inputs, output_size, data_format=None):
    """Average pooling into ``output_size`` bins per spatial axis (PyTorch's bins: from
    ``floor(i * L / out)`` to ``ceil((i + 1) * L / out)``)."""
    return _adaptive(inputs, output_size, data_format, _ops.mean, "adaptive_average_pool")


def adaptive_max_pool(inputs, output_size, data_format=None):
    """Max pooling into ``output_size`` bins per spatial axis (bins as in
    ``adaptive_average_pool``)."""
    return _adaptive(inputs, output_size, data_format, _ops.max, "adaptive_max_pool")


# -- pixel shuffles -------------------------------------------------------------------------------


def _check4(x, data_format, name):
    if data_format not in ("channels_last", "channels_first"):
        raise ValueError(f"Invalid data_format. Received: data_format={data_format}")
    if _spec_of(x).ndim != 4:
        raise ValueError(f"{name} expects a 4-D input. Received shape {_spec_of(x).shape}.")


def _dims(entries, shape) -> tuple:
    """A shape written as ``entries``: ints, or ``(axis, num, den)`` for ``shape[axis] * num //
    den`` (None where ``shape[axis]`` is unknown)."""
    out = []
    for e in entries:
        if isinstance(e, int):
            out.append(e)
        else:
            axis, num, den = e
            out.append(None if shape[axis] is None else shape[axis] * num // den)
    return tuple(out)


def _dims_lower(b, x, entries):
    """The int64 shape vector of ``entries`` (see :func:`_dims`), read from ``Shape(x)``."""
    parts = []
    for e in entries:
        if isinstance(e, int):
            parts.append(b.constant(np.asarray([e], np.int64)))
            continue
        axis, num, den = e
        d = b.op("Shape", [x], {"start": axis, "end": axis + 1})
        if num != 1:
            d = b.op("Mul", [d, b.constant(np.asarray([num], np.int64))])
        if den != 1:
            d = b.op("Div", [d, b.constant(np.asarray([den], np.int64))])
        parts.append(d)
    return b.op("Concat", parts, {"axis": 0})


def _shuffle_lower(b, x, *, split, perm, merge):
    y = b.op("Reshape", [x, _dims_lower(b, x, split)])
    y = b.op("Transpose", [y], {"perm": list(perm)})
    return b.op("Reshape", [y, _dims_lower(b, x, merge)])


_shuffle = Op(
    "nn.pixel_shuffle",
    lambda x, *, merge, **_: Spec(_dims(merge, x.shape), x.dtype),
    _shuffle_lower,
    promote=False,
)


def _pixel_shuffle(x, block_size, data_format, inverse: bool):
    """Reshape, transpose, reshape with sizes read at run time, so images of any height and
    width go through (ESPCN's ``Input((None, None, 1))``); only the channels must be known."""
    name = "space_to_depth" if inverse else "depth_to_space"
    _check4(x, data_format, name)
    r = int(block_size)
    last = data_format == "channels_last"
    c = _spec_of(x).shape[3 if last else 1]
    if c is None:
        raise ValueError(f"{name} needs a known channel count. Received shape {_spec_of(x).shape}.")
    h, w = (1, 2) if last else (2, 3)
    n = (0, 1, 1)
    if not inverse:
        cr = c // (r * r)
        up = [(h, r, 1), (w, r, 1)]
        if last:
            split, perm = [n, (h, 1, 1), (w, 1, 1), r, r, cr], (0, 1, 3, 2, 4, 5)
            merge = [n, *up, cr]
        else:
            split, perm = [n, cr, r, r, (h, 1, 1), (w, 1, 1)], (0, 1, 4, 2, 5, 3)
            merge = [n, cr, *up]
    else:
        down = [(h, 1, r), (w, 1, r)]
        if last:
            split, perm = [n, down[0], r, down[1], r, c], (0, 1, 3, 2, 4, 5)
            merge = [n, *down, c * r * r]
        else:
            split, perm = [n, c, down[0], r, down[1], r], (0, 1, 3, 5, 2, 4)
            merge = [n, c * r * r, *down]
    return apply(_shuffle, [x], split=tuple(split), perm=perm, merge=tuple(merge))


def depth_to_space(x, block_size, data_format="channels_last"):
    """Pixel shuffle: channels ``C * r * r`` become ``r x r`` spatial blocks."""
    return _pixel_shuffle(x, block_size, data_format, inverse=False)


def space_to_depth(x, block_size, data_format="channels_last"):
    """Pixel unshuffle: ``r x r`` spatial blocks become channels (inverse of depth_to_space)."""
    return _pixel_shuffle(x, block_size, data_format, inverse=True)


# -- im2col / col2im -------------------------------------------------------------------------------


def _grid(size, kernel, dilation, padding, stride):
    return (size + 2 * padding - dilation * (kernel - 1) - 1) // stride + 1


def unfold(x, kernel_size, dilation=1, padding=0, stride=1):
    """im2col of a channels_first ``(N, C, H, W)`` image: ``(N, C * kH * kW, L)`` patches,
    channel-major then kernel row and column (PyTorch's order)."""
    (kh, kw), (dh, dw) = _pair(kernel_size, "kernel_size"), _pair(dilation, "dilation")
    (ph, pw), (sh, sw) = _pair(padding, "padding"), _pair(stride, "stride")
    if _spec_of(x).ndim != 4:
        raise ValueError(f"unfold expects (N, C, H, W). Received shape {_spec_of(x).shape}.")
    c, h, w = _static(x, (1, 2, 3), "unfold")
    oh, ow = _grid(h, kh, dh, ph, sh), _grid(w, kw, dw, pw, sw)
    xp = _ops.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    patches = [
        xp[:, :, i * dh : i * dh + (oh - 1) * sh + 1 : sh, j * dw : j * dw + (ow - 1) * sw + 1 : sw]
        for i in range(kh)
        for j in range(kw)
    ]
    return _ops.reshape(_ops.stack(patches, axis=2), (-1, c * kh * kw, oh * ow))


def _spread(block, stride, oh, ow):
    """``(N, C, oh, ow)`` values placed every ``stride`` cells (zeros between)."""
    sh, sw = stride
    y = _ops.expand_dims(_ops.expand_dims(block, 3), 5)
    y = _ops.pad(y, ((0, 0), (0, 0), (0, 0), (0, sh - 1), (0, 0), (0, sw - 1)))
    y = _ops.reshape(y, (-1, _spec_of(block).shape[1], oh * sh, ow * sw))
    return y[:, :, : (oh - 1) * sh + 1, : (ow - 1) * sw + 1]


def fold(x, output_size, kernel_size, dilation=1, padding=0, stride=1):
    """col2im: sums the ``(N, C * kH * kW, L)`` patches of ``unfold`` back into an
    ``(N, C, oH, oW)`` image (overlaps add up)."""
    (hh, ww), (kh, kw) = _pair(output_size, "output_size"), _pair(kernel_size, "kernel_size")
    (dh, dw), (ph, pw) = _pair(dilation, "dilation"), _pair(padding, "padding")
    (sh, sw) = _pair(stride, "stride")
    if _spec_of(x).ndim != 3:
        raise ValueError(f"fold expects (N, C*kH*kW, L). Received shape {_spec_of(x).shape}.")
    ckk, length = _static(x, (1, 2), "fold")
    oh, ow = _grid(hh, kh, dh, ph, sh), _grid(ww, kw, dw, pw, sw)
    if oh * ow != length:
        raise ValueError(f"fold expects L={oh * ow} blocks for these sizes. Received: L={length}")
    c = ckk // (kh * kw)
    cols = _ops.reshape(x, (-1, c, kh * kw, oh, ow))
    hp, wp = hh + 2 * ph, ww + 2 * pw
    total = None
    for i in range(kh):
        for j in range(kw):
            part = _spread(cols[:, :, i * kw + j], (sh, sw), oh, ow)
            top, left = i * dh, j * dw
            bottom = hp - top - _spec_of(part).shape[2]
            right = wp - left - _spec_of(part).shape[3]
            part = _ops.pad(part, ((0, 0), (0, 0), (top, bottom), (left, right)))
            total = part if total is None else _ops.add(total, part)
    return total[:, :, ph : ph + hh, pw : pw + ww]
