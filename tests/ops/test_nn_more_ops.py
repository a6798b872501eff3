"""``kgraph.ops`` nn statistics, normalizations, crossentropies, attention, adaptive pools and
pixel rearrangements against numpy references (each composed of traced ops: checked eagerly,
in a model and in plain onnxruntime)."""

from __future__ import annotations

import numpy as np
import pytest

from kgraph import ops
from tests.ops import opcheck as ref
from tests.ops.opcheck import case, check_eager, check_model, check_onnx, f32, params

EPS = 1e-7


def _bn(x, m, v, axis, off, sc, eps=1e-3):
    shape = [1] * x.ndim
    shape[axis] = -1
    y = (x - m.reshape(shape)) / np.sqrt(v.reshape(shape) + eps)
    return y * sc.reshape(shape) + off.reshape(shape)


def _ln(x, g, b, eps):
    m, v = x.mean(-1, keepdims=True), x.var(-1, keepdims=True)
    return (x - m) / np.sqrt(v + eps) * g + b


def _bce(t, p):
    p = np.clip(p, EPS, 1 - EPS)
    return -(t * np.log(p) + (1 - t) * np.log(1 - p))


def _cce_logits(t, z):
    return -(t * ref.log_softmax(z)).sum(-1)


def _adaptive(x, out, fn):
    """Bins over axes 1 and 2 of channels_last ``x``, written as loops."""
    n, h, w, c = x.shape
    y = np.zeros((n, out[0], out[1], c))
    for i in range(out[0]):
        for j in range(out[1]):
            rows = slice(i * h // out[0], -(-(i + 1) * h // out[0]))
            cols = slice(j * w // out[1], -(-(j + 1) * w // out[1]))
            y[:, i, j] = fn(x[:, rows, cols], axis=(1, 2))
    return y


def _attention(q, k, v, causal=False):
    k, v = np.repeat(k, q.shape[2] // k.shape[2], 2), np.repeat(v, q.shape[2] // k.shape[2], 2)
    logits = np.einsum("btnh,bsnh->bnts", q, k) / np.sqrt(q.shape[-1])
    if causal:
        logits = np.where(np.tril(np.ones(logits.shape[-2:], bool)), logits, -np.inf)
    return np.einsum("bnts,bsnh->btnh", ref.softmax(logits), v)


def _d2s(x, r):
    n, h, w, c = x.shape
    y = np.zeros((n, h * r, w * r, c // (r * r)))
    for i in range(r):
        for j in range(r):
            y[:, i::r, j::r] = x[
                ..., (i * r + j) * (c // (r * r)) : (i * r + j + 1) * (c // (r * r))
            ]
    return y


def _unfold(x, k, s, p):
    xp = np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)))
    n, c, h, w = xp.shape
    oh, ow = (h - k) // s + 1, (w - k) // s + 1
    cols = np.zeros((n, c, k, k, oh, ow))
    for i in range(k):
        for j in range(k):
            cols[:, :, i, j] = xp[:, :, i : i + s * (oh - 1) + 1 : s, j : j + s * (ow - 1) + 1 : s]
    return cols.reshape(n, c * k * k, oh * ow)


def _fold(cols, size, k, s, p):
    n, ckk, _ = cols.shape
    c = ckk // (k * k)
    oh, ow = (size + 2 * p - k) // s + 1, (size + 2 * p - k) // s + 1
    cols = cols.reshape(n, c, k, k, oh, ow)
    out = np.zeros((n, c, size + 2 * p, size + 2 * p))
    for i in range(k):
        for j in range(k):
            out[:, :, i : i + s * (oh - 1) + 1 : s, j : j + s * (ow - 1) + 1 : s] += cols[
                :, :, i, j
            ]
    return out[:, :, p : p + size, p : p + size]


X = f32(3, 4, 5)
P = f32(3, 5, low=0.05, high=0.95)
T01 = (f32(3, 5) > 0).astype(np.float32)
LABELS = np.array([[0, 2, 2], [1, 3, 0]], np.int32)
ONEHOT = np.eye(5, dtype=np.float32)[[1, 4, 0]]
IMG = f32(2, 5, 7, 3)
Q, K, V = f32(2, 4, 4, 6), f32(2, 5, 2, 6), f32(2, 5, 2, 6)

CASES = [
    case("moments", lambda x: ops.moments(x, [1])[0], lambda x: x.mean(1), X, label="mean"),
    case(
        "moments",
        lambda x: ops.moments(x, [0, 2], keepdims=True)[1],
        lambda x: x.var((0, 2), keepdims=True),
        X,
        label="var-keepdims",
    ),
    case(
        "batch_normalization",
        lambda x: ops.batch_normalization(
            x,
            np.arange(5.0).astype("f"),
            np.full(5, 2.0, "f"),
            -1,
            np.ones(5, "f"),
            np.full(5, 0.5, "f"),
        ),
        lambda x: _bn(x, np.arange(5.0), np.full(5, 2.0), -1, np.ones(5), np.full(5, 0.5)),
        X,
        label="last",
    ),
    case(
        "batch_normalization",
        lambda x: ops.batch_normalization(x, np.ones(4, "f"), np.full(4, 3.0, "f"), 1, epsilon=0.1),
        lambda x: _bn(x, np.ones(4), np.full(4, 3.0), 1, np.zeros(4), np.ones(4), 0.1),
        X,
        label="axis1",
    ),
    case(
        "normalize",
        lambda x: ops.normalize(x),
        lambda x: x / np.linalg.norm(x, axis=-1, keepdims=True),
        X,
        label="l2",
    ),
    case(
        "normalize",
        lambda x: ops.normalize(x, axis=1, order=1),
        lambda x: x / np.abs(x).sum(1, keepdims=True),
        X,
        label="l1",
    ),
    case(
        "psnr",
        lambda a, b: ops.psnr(a, b, 1.0),
        lambda a, b: 20 * np.log10(1.0) - 10 * np.log10(np.mean((a - b) ** 2)),
        P,
        P[::-1],
        label="max1",
        rtol=1e-4,
    ),
    case(
        "psnr",
        lambda a: ops.psnr(a, a * 0.9, 255.0),
        lambda a: 20 * np.log10(255.0) - 10 * np.log10(np.mean((0.1 * a) ** 2)),
        P,
        label="max255",
        rtol=1e-4,
    ),
    case(
        "rms_normalization",
        lambda x: ops.rms_normalization(x),
        lambda x: x / np.sqrt((x**2).mean(-1, keepdims=True) + EPS),
        X,
        label="plain",
    ),
    case(
        "rms_normalization",
        lambda x: ops.rms_normalization(x, np.arange(1.0, 5.0, dtype="f")[:, None], axis=1),
        lambda x: x / np.sqrt((x**2).mean(1, keepdims=True) + EPS) * np.arange(1.0, 5.0)[:, None],
        X,
        label="scale-axis1",
        rtol=1e-4,
    ),
    case(
        "layer_normalization",
        lambda x: ops.layer_normalization(x, np.full(5, 2.0, "f"), np.ones(5, "f")),
        lambda x: _ln(x, 2.0, 1.0, 1e-7),
        X,
        label="gamma-beta",
        rtol=1e-4,
        atol=1e-4,
    ),
    case(
        "layer_normalization",
        lambda x: ops.layer_normalization(x, epsilon=1e-5),
        lambda x: _ln(x, 1.0, 0.0, 1e-5),
        X,
        label="plain",
        rtol=1e-4,
        atol=1e-4,
    ),
    case(
        "multi_hot",
        lambda y: ops.multi_hot(y, 5),
        lambda y: np.eye(5)[y.astype(int)].max(1),
        LABELS,
        label="2d",
    ),
    case(
        "multi_hot",
        lambda y: ops.multi_hot(y, 4),
        lambda y: np.eye(4)[y.astype(int)].max(0),
        np.array([3, 1, 3], np.int32),
        label="1d",
    ),
    case(
        "binary_crossentropy",
        lambda t, p: ops.binary_crossentropy(t, p),
        _bce,
        T01,
        P,
        label="probs",
        rtol=1e-4,
    ),
    case(
        "binary_crossentropy",
        lambda t, z: ops.binary_crossentropy(t, z, from_logits=True),
        lambda t, z: _bce(t, ref.sigmoid(z)),
        T01,
        f32(3, 5),
        label="logits",
        rtol=1e-4,
        atol=1e-5,
    ),
    case(
        "categorical_crossentropy",
        lambda t, z: ops.categorical_crossentropy(t, z, True),
        _cce_logits,
        ONEHOT,
        f32(3, 5),
        label="logits",
        rtol=1e-4,
    ),
    case(
        "categorical_crossentropy",
        lambda t, p: ops.categorical_crossentropy(t, p),
        lambda t, p: -(t * np.log(p / p.sum(-1, keepdims=True))).sum(-1),
        ONEHOT,
        P,
        label="probs",
        rtol=1e-4,
    ),
    case(
        "sparse_categorical_crossentropy",
        lambda z: ops.sparse_categorical_crossentropy(np.array([1, 4, 0]), z, from_logits=True),
        lambda z: _cce_logits(ONEHOT, z),
        f32(3, 5),
        label="logits",
        rtol=1e-4,
    ),
    case(
        "sparse_categorical_crossentropy",
        lambda p: ops.sparse_categorical_crossentropy(np.array([[1], [4], [0]]), p),
        lambda p: -(ONEHOT * np.log(p / p.sum(-1, keepdims=True))).sum(-1),
        P,
        label="probs-col",
        rtol=1e-4,
    ),
    case(
        "adaptive_average_pool",
        lambda x: ops.adaptive_average_pool(x, (2, 3)),
        lambda x: _adaptive(x, (2, 3), np.mean),
        IMG,
        label="2x3",
    ),
    case(
        "adaptive_average_pool",
        lambda x: ops.adaptive_average_pool(x, 1),
        lambda x: x.mean((1, 2), keepdims=True),
        IMG,
        label="global",
    ),
    case(
        "adaptive_max_pool",
        lambda x: ops.adaptive_max_pool(x, (3, 4)),
        lambda x: _adaptive(x, (3, 4), np.max),
        IMG,
        label="3x4",
    ),
    case(
        "adaptive_max_pool",
        lambda x: ops.adaptive_max_pool(x, (2, 2), data_format="channels_first"),
        lambda x: _adaptive(x.transpose(0, 2, 3, 1), (2, 2), np.max).transpose(0, 3, 1, 2),
        f32(2, 3, 5, 6),
        label="channels-first",
    ),
    case(
        "dot_product_attention",
        lambda q, k, v: ops.dot_product_attention(q, k, v),
        _attention,
        Q,
        K,
        V,
        label="gqa",
        rtol=1e-4,
    ),
    case(
        "dot_product_attention",
        lambda q, k, v: ops.dot_product_attention(q, k, v, is_causal=True),
        lambda q, k, v: _attention(q, k, v, True),
        Q,
        f32(2, 4, 4, 6),
        f32(2, 4, 4, 6),
        label="causal",
        rtol=1e-4,
    ),
    case(
        "depth_to_space",
        lambda x: ops.depth_to_space(x, 2),
        lambda x: _d2s(x, 2),
        f32(2, 3, 4, 8),
        label="r2",
    ),
    case(
        "depth_to_space",
        lambda x: ops.depth_to_space(x, 3),
        lambda x: _d2s(x, 3),
        f32(1, 2, 2, 9),
        label="r3",
    ),
    case(
        "space_to_depth",
        lambda x: ops.space_to_depth(ops.depth_to_space(x, 2), 2),
        lambda x: x,
        f32(2, 3, 4, 8),
        label="roundtrip",
    ),
    case(
        "space_to_depth",
        lambda x: ops.space_to_depth(x, 2),
        lambda x: x.reshape(1, 2, 2, 3, 2, 1).transpose(0, 1, 3, 2, 4, 5).reshape(1, 2, 3, 4),
        f32(1, 4, 6, 1),
        label="r2",
    ),
    case(
        "unfold",
        lambda x: ops.unfold(x, 3, padding=1),
        lambda x: _unfold(x, 3, 1, 1),
        f32(2, 2, 5, 5),
        label="pad1",
    ),
    case(
        "unfold",
        lambda x: ops.unfold(x, 2, stride=2),
        lambda x: _unfold(x, 2, 2, 0),
        f32(2, 3, 6, 6),
        label="stride2",
    ),
    case(
        "fold",
        lambda x: ops.fold(x, 5, 3, padding=1),
        lambda x: _fold(x, 5, 3, 1, 1),
        f32(2, 18, 25),
        label="pad1",
    ),
    case(
        "fold",
        lambda x: ops.fold(x, 6, 2, stride=2),
        lambda x: _fold(x, 6, 2, 2, 0),
        f32(2, 12, 9),
        label="stride2",
    ),
]


@pytest.mark.parametrize("c", params(CASES))
def test_eager(c):
    check_eager(c)


@pytest.mark.parametrize("c", params(CASES))
def test_model(c):
    check_model(c)


@pytest.mark.parametrize("c", params(CASES))
def test_onnx(c):
    check_onnx(c)


def test_errors_name_the_culprit():
    with pytest.raises(ValueError, match="order"):
        ops.normalize(X, order=0)
    with pytest.raises(ValueError, match="same shape"):
        ops.binary_crossentropy(T01, P[:2])
    with pytest.raises(ValueError, match="num_classes"):
        ops.multi_hot(LABELS)
    with pytest.raises(ValueError, match="sparse"):
        ops.one_hot(LABELS, 5, sparse=True)
    np.testing.assert_array_equal(ops.one_hot(LABELS[0], 3, sparse=False), np.eye(3)[LABELS[0]])
    with pytest.raises(ValueError, match="flash_attention"):
        ops.dot_product_attention(Q, K, V, flash_attention=True)


def test_pixel_shuffles_take_unknown_spatial_sizes():
    """ESPCN's ``Input((None, None, 1))``: the shuffles reshape with run-time sizes."""
    import kgraph

    inputs = kgraph.Input((None, None, 8))
    up = ops.depth_to_space(inputs, 2)
    model = kgraph.Model(inputs, [up, ops.space_to_depth(up, 2)])
    rng = np.random.default_rng(0)
    for shape in [(2, 3, 4, 8), (1, 5, 1, 8)]:
        x = rng.standard_normal(shape).astype(np.float32)
        shuffled, back = model.predict(x, verbose=0)
        np.testing.assert_array_equal(shuffled, _d2s(x, 2))
        np.testing.assert_array_equal(back, x)
    first = kgraph.Input((12, None, None))
    out = kgraph.Model(first, ops.depth_to_space(first, 2, data_format="channels_first"))
    x = rng.standard_normal((1, 12, 2, 3)).astype(np.float32)
    # channels_first groups the channels (C', r, r): channel c' * 4 + 2 i + j goes to (i, j)
    expected = x.reshape(1, 3, 2, 2, 2, 3).transpose(0, 1, 4, 2, 5, 3).reshape(1, 3, 4, 6)
    np.testing.assert_array_equal(out.predict(x, verbose=0), expected)
    assert out.output_shape == (None, 3, None, None)
