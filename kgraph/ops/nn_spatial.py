"""``keras.ops.nn`` attention, adaptive pooling and pixel rearrangements, composed of kgraph ops
(so they trace, run eagerly and differentiate through existing lowerings and gradient rules).

The spatial sizes must be static: adaptive pooling bins, ``fold`` / ``unfold`` windows and the
pixel shuffles are laid out at trace time.
"""

from __future__ import annotations

import math

from kgraph import ops as _ops
from kgraph.ops.core import _spec_of


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


def depth_to_space(x, block_size, data_format="channels_last"):
    """Pixel shuffle: channels ``C * r * r`` become ``r x r`` spatial blocks."""
    _check4(x, data_format, "depth_to_space")
    r = int(block_size)
    if data_format == "channels_last":
        h, w, c = _static(x, (1, 2, 3), "depth_to_space")
        y = _ops.reshape(x, (-1, h, w, r, r, c // (r * r)))
        y = _ops.transpose(y, (0, 1, 3, 2, 4, 5))
        return _ops.reshape(y, (-1, h * r, w * r, c // (r * r)))
    c, h, w = _static(x, (1, 2, 3), "depth_to_space")
    y = _ops.reshape(x, (-1, c // (r * r), r, r, h, w))
    y = _ops.transpose(y, (0, 1, 4, 2, 5, 3))
    return _ops.reshape(y, (-1, c // (r * r), h * r, w * r))


def space_to_depth(x, block_size, data_format="channels_last"):
    """Pixel unshuffle: ``r x r`` spatial blocks become channels (inverse of depth_to_space)."""
    _check4(x, data_format, "space_to_depth")
    r = int(block_size)
    if data_format == "channels_last":
        h, w, c = _static(x, (1, 2, 3), "space_to_depth")
        y = _ops.reshape(x, (-1, h // r, r, w // r, r, c))
        y = _ops.transpose(y, (0, 1, 3, 2, 4, 5))
        return _ops.reshape(y, (-1, h // r, w // r, c * r * r))
    c, h, w = _static(x, (1, 2, 3), "space_to_depth")
    y = _ops.reshape(x, (-1, c, h // r, r, w // r, r))
    y = _ops.transpose(y, (0, 1, 3, 5, 2, 4))
    return _ops.reshape(y, (-1, c * r * r, h // r, w // r))


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
