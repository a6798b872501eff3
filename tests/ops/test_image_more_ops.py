"""``sobel_edges``, ``ssim``, ``extract_patches_3d``, ``scale_and_translate`` and
``elastic_transform`` (``kgraph/ops/image_more.py``, ``image_scale.py``) against numpy
references written here: each case run eagerly, in a model and as ONNX."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from kgraph import trace
from kgraph.ops import image
from kgraph.tensor import KerasTensor
from tests.harness_vjp import check_graph_vjp
from tests.ops.opcheck import case, check_eager, check_model, check_onnx, f32, params

SOBEL_Y = np.array([[-1, -2, -1], [0, 0, 0], [1, 2, 1]], dtype=np.float64)


def _correlate_same(x, k):
    """(N, H, W, C) zero-padded 'same' correlation of every channel with a 3x3 kernel."""
    p = np.pad(x, ((0, 0), (1, 1), (1, 1), (0, 0)))
    h, w = x.shape[1:3]
    return sum(k[i, j] * p[:, i : i + h, j : j + w] for i in range(3) for j in range(3))


def sobel_ref(x, first=False):
    x = np.moveaxis(x, 1, -1) if first else x
    dy, dx = _correlate_same(x, SOBEL_Y), _correlate_same(x, SOBEL_Y.T)
    if first:
        dy, dx = np.moveaxis(dy, -1, 1), np.moveaxis(dx, -1, 1)
    return np.stack([dy, dx], axis=-1)


def ssim_ref(a, b, size=11, sigma=1.5, max_val=1.0, k1=0.01, k2=0.03):
    """Per-image SSIM of (N, H, W, C) batches from explicit windows."""
    g = np.exp(-((np.arange(size) - (size - 1) / 2) ** 2) / (2 * sigma**2))
    win = np.outer(g, g) / g.sum() ** 2
    c1, c2 = (k1 * max_val) ** 2, (k2 * max_val) ** 2
    n, h, w, c = a.shape
    vals = np.zeros((n, h - size + 1, w - size + 1, c))
    for i, j in itertools.product(range(h - size + 1), range(w - size + 1)):
        pa, pb = a[:, i : i + size, j : j + size], b[:, i : i + size, j : j + size]
        mean = lambda t: np.einsum("nhwc,hw->nc", t, win)
        ma, mb = mean(pa), mean(pb)
        va, vb, cov = mean(pa * pa) - ma**2, mean(pb * pb) - mb**2, mean(pa * pb) - ma * mb
        num = (2 * ma * mb + c1) * (2 * cov + c2)
        vals[:, i, j] = num / ((ma**2 + mb**2 + c1) * (va + vb + c2))
    return vals.mean(axis=(1, 2, 3))


def patches_3d_ref(v, size, strides):
    """Valid 3-D patches, flattened in (depth, row, column, channel) order."""
    n, d, h, w, c = v.shape
    out = [range(0, dim - k + 1, s) for dim, k, s in zip((d, h, w), size, strides)]
    res = np.zeros((n, *(len(r) for r in out), np.prod(size) * c))
    for (a, i), (b, j), (e, k) in itertools.product(*(enumerate(r) for r in out)):
        block = v[:, i : i + size[0], j : j + size[1], k : k + size[2]]
        res[:, a, b, e] = block.reshape(n, -1)
    return res


def _linear_weights(n_in, n_out, scale, shift, antialias):
    """Triangle-filter resampling weights, one output column at a time."""
    w = np.zeros((n_in, n_out))
    width = max(1.0 / scale, 1.0) if antialias else 1.0
    for o in range(n_out):
        s = (o + 0.5 - shift) / scale - 0.5
        if not -0.5 <= s <= n_in - 0.5:
            continue
        col = np.maximum(0.0, 1.0 - np.abs(s - np.arange(n_in)) / width)
        w[:, o] = col / col.sum() if col.sum() > 1e-4 else 0.0
    return w


def scale_ref(x, out_hw, scale, shift, antialias=True):
    wh = _linear_weights(x.shape[1], out_hw[0], scale[0], shift[0], antialias)
    ww = _linear_weights(x.shape[2], out_hw[1], scale[1], shift[1], antialias)
    return np.einsum("nhwc,hp,wq->npqc", x, wh, ww)


def _scale_case(label, x, out_hw, scale, shift, antialias=True):
    s, t = np.array(scale, np.float32), np.array(shift, np.float32)
    shape = (x.shape[0], *out_hw, x.shape[3])
    return case(
        "scale_and_translate",
        lambda v: image.scale_and_translate(v, shape, s, t, (1, 2), "bilinear", antialias),
        lambda v: scale_ref(v, out_hw, scale, shift, antialias),
        x,
        label=label,
    )


def _nearest_values(x, out):
    """True when every output pixel is an input value of its own image and channel, or 0."""
    for n, c in itertools.product(range(x.shape[0]), range(x.shape[-1])):
        allowed = np.append(x[n, ..., c].ravel(), 0.0)
        if not np.isin(out[n, ..., c], allowed).all():
            return False
    return True


CASES = [
    case("sobel_edges", image.sobel_edges, sobel_ref, f32(2, 5, 6, 3), label="last"),
    case(
        "sobel_edges",
        lambda v: image.sobel_edges(v, "channels_first"),
        lambda v: sobel_ref(v, first=True),
        f32(2, 3, 4, 5),
        label="first",
    ),
    case(
        "ssim",
        lambda a, b: image.ssim(a, b, filter_size=3),
        lambda a, b: ssim_ref(a, b, size=3),
        f32(2, 6, 7, 3, low=0, high=1),
        f32(2, 6, 7, 3, low=0, high=1),
        label="pair",
        rtol=1e-4,
        atol=1e-5,
    ),
    case(
        "ssim",
        lambda a: image.ssim(a, a * 0.5 + 0.1, max_val=2.0, filter_size=5, filter_sigma=1.0),
        lambda a: ssim_ref(a, a * 0.5 + 0.1, size=5, sigma=1.0, max_val=2.0),
        f32(3, 7, 6, 2, low=0, high=1),
        label="scaled",
        rtol=1e-4,
        atol=1e-5,
    ),
    case(
        "extract_patches_3d",
        lambda v: image.extract_patches_3d(v, 2),
        lambda v: patches_3d_ref(v, (2, 2, 2), (2, 2, 2)),
        f32(2, 4, 5, 4, 2),
        label="size2",
    ),
    case(
        "extract_patches_3d",
        lambda v: image.extract_patches_3d(v, (1, 2, 3), strides=(2, 1, 2)),
        lambda v: patches_3d_ref(v, (1, 2, 3), (2, 1, 2)),
        f32(2, 3, 4, 5, 1),
        label="strided",
    ),
    _scale_case("identity", f32(2, 4, 5, 1), (4, 5), (1.0, 1.0), (0.0, 0.0)),
    _scale_case("up_shift", f32(2, 3, 4, 2), (7, 6), (2.0, 1.5), (0.5, -1.0), antialias=False),
    _scale_case("down_aa", f32(2, 8, 6, 1), (3, 4), (0.4, 0.5), (0.0, 0.7)),
    case(
        "elastic_transform",
        lambda v: image.elastic_transform(v, alpha=0.0, sigma=1.0, seed=1),
        lambda v: v,
        f32(2, 5, 6, 2),
        label="alpha0",
    ),
]


@pytest.mark.parametrize("c", params(CASES))
def test_eager(c):
    check_eager(c)


@pytest.mark.parametrize("c", params(CASES))
def test_in_model(c):
    check_model(c)


@pytest.mark.parametrize("c", params(CASES))
def test_exported_onnx(c):
    check_onnx(c)


def test_elastic_transform_moves_pixels_and_repeats_for_a_seed():
    x = f32(2, 6, 7, 3)
    kwargs = dict(alpha=3.0, sigma=1.0, interpolation="nearest", fill_mode="constant", seed=4)
    out = np.asarray(image.elastic_transform(x, **kwargs))
    assert out.shape == x.shape and out.dtype == np.float32
    assert not np.allclose(out, x)
    assert _nearest_values(x, out)
    np.testing.assert_array_equal(out, np.asarray(image.elastic_transform(x, **kwargs)))
    single = np.asarray(image.elastic_transform(x[0], **kwargs))
    assert single.shape == x.shape[1:]


def test_errors():
    with pytest.raises(ValueError, match="Received: method=nearest"):
        image.scale_and_translate(f32(1, 2, 2, 1), (1, 4, 4, 1), [2, 2], [0, 0], (1, 2), "nearest")
    with pytest.raises(TypeError, match="length 3"):
        image.extract_patches_3d(f32(1, 4, 4, 4, 1), (2, 2))
    with pytest.raises(ValueError, match="rank 4"):
        image.sobel_edges(f32(4, 4, 1))
    with pytest.raises(ValueError, match=r"image2\.shape"):
        image.ssim(f32(4, 4, 1), f32(4, 4))
    with pytest.raises(ValueError, match=r"volumes\.shape"):
        image.extract_patches_3d(f32(4, 4, 1), 2)


def _grad_check(fn, *inputs):
    """``fn`` traced on symbolic float64 inputs, differentiated by ``compiler.autodiff`` and
    compared with central finite differences (``tests/harness_vjp.py``)."""

    def build(b, values):
        with trace.tracing(trace.Trace(b)):
            tensors = [
                KerasTensor(v.shape, np.dtype(v.dtype.numpy()).name, value=v) for v in values
            ]
            return [fn(*tensors)._value]

    check_graph_vjp(build, list(inputs), wrt=tuple(range(len(inputs))), check=False)


GRADIENTS = {
    "sobel_edges": (image.sobel_edges, (2, 4, 5, 2)),
    "ssim": (lambda a, b: image.ssim(a, b, filter_size=3), (2, 5, 4, 2), (2, 5, 4, 2)),
    "scale_and_translate": (
        lambda v: image.scale_and_translate(
            v, (2, 5, 3, 1), [1.7, 0.6], [0.2, -0.3], (1, 2), "cubic"
        ),
        (2, 3, 4, 1),
    ),
    "extract_patches_3d": (lambda v: image.extract_patches_3d(v, 2), (1, 2, 4, 2, 1)),
}


@pytest.mark.parametrize("name", sorted(GRADIENTS))
def test_gradients_match_finite_differences(name):
    fn, *shapes = GRADIENTS[name]
    rng = np.random.default_rng(5)
    _grad_check(fn, *(rng.uniform(0.1, 1.0, s) for s in shapes))
