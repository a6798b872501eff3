"""``sobel_edges``, ``ssim``, ``extract_patches_3d`` and ``elastic_transform`` of
``kgraph.ops.image``: compositions of convolutions, reductions and ``warp``, so each lowers to
ONNX through ops that already have their own lowering (eager and traced alike)."""

from __future__ import annotations

import numpy as np

from kgraph.ops import numpy as knp
from kgraph.ops.array import expand_dims, reshape, squeeze, transpose
from kgraph.ops.conv_ops import depthwise_conv
from kgraph.ops.core import _spec_of
from kgraph.ops.nn import conv
from kgraph.utils.argument_validation import standardize_data_format

_SOBEL_Y = np.array([[-1, -2, -1], [0, 0, 0], [1, 2, 1]], dtype=np.float64)


def _float(dtype: str) -> str:
    return dtype if dtype.startswith("float") else "float32"


def _rank_error(name: str, shape, ranks="rank 3 (single image) or rank 4 (batch of images)"):
    return ValueError(
        f"Invalid {name} rank: expected {ranks}. Received input with shape: {name}.shape={shape}"
    )


def sobel_edges(images, data_format=None):
    """Sobel gradients of every channel, zero padded ('same' size), stacked last as
    ``[dy, dx]``: shape ``images.shape + (2,)``, as Keras returns them."""
    data_format = standardize_data_format(data_format)
    spec = _spec_of(images)
    if spec.ndim != 4:
        raise _rank_error("images", spec.shape, "rank 4 (batch of images)")
    first = data_format == "channels_first"
    x = transpose(images, (0, 2, 3, 1)) if first else images
    channels = x.shape[-1]
    dtype = _float(spec.dtype)
    x = knp.cast(x, dtype) if dtype != spec.dtype else x
    edges = []
    for k in (_SOBEL_Y, _SOBEL_Y.T):
        kernel = np.tile(k[:, :, None, None], (1, 1, channels, 1)).astype(dtype)
        e = depthwise_conv(x, kernel, 1, "same")
        edges.append(transpose(e, (0, 3, 1, 2)) if first else e)
    return knp.stack(edges, axis=-1)


def _gaussian(size: int, sigma: float) -> np.ndarray:
    x = np.arange(size, dtype=np.float64) - (size - 1) / 2.0
    g = np.exp(-(x**2) / (2.0 * sigma**2))
    g = g / g.sum()
    return np.outer(g, g)


def ssim(
    image1,
    image2,
    max_val=1.0,
    filter_size=11,
    filter_sigma=1.5,
    k1=0.01,
    k2=0.03,
    data_format=None,
):
    """Structural similarity (Wang et al. 2004) of two images or batches: local statistics
    under a ``filter_size`` Gaussian window ('valid' positions only), averaged over space
    and channels. One value per image (a scalar for single images)."""
    data_format = standardize_data_format(data_format)
    s1, s2 = _spec_of(image1), _spec_of(image2)
    for name, s in (("image1", s1), ("image2", s2)):
        if s.ndim not in (3, 4):
            raise _rank_error(name, s.shape)
    dtype = _float(s1.dtype)
    a, b = knp.cast(image1, dtype), knp.cast(image2, dtype)
    if s1.ndim == 3:
        a, b = expand_dims(a, 0), expand_dims(b, 0)
    if data_format == "channels_first":
        a, b = transpose(a, (0, 2, 3, 1)), transpose(b, (0, 2, 3, 1))
    c = a.shape[-1]
    kernel = np.tile(_gaussian(filter_size, filter_sigma)[:, :, None, None], (1, 1, c, 1))
    kernel = kernel.astype(dtype)

    def blur(t):
        return depthwise_conv(t, kernel, 1, "valid")

    mu1, mu2 = blur(a), blur(b)
    c1, c2 = (k1 * max_val) ** 2, (k2 * max_val) ** 2
    var1 = blur(a * a) - mu1 * mu1
    var2 = blur(b * b) - mu2 * mu2
    cov = blur(a * b) - mu1 * mu2
    num = (2.0 * mu1 * mu2 + c1) * (2.0 * cov + c2)
    den = (mu1 * mu1 + mu2 * mu2 + c1) * (var1 + var2 + c2)
    out = knp.mean(num / den, axis=(1, 2, 3))
    out = squeeze(out, 0) if s1.ndim == 3 else out
    return knp.cast(out, s1.dtype) if s1.dtype != dtype else out


def extract_patches_3d(
    volumes, size, strides=None, dilation_rate=1, padding="valid", data_format=None
):
    """Patches of ``size`` (an int, or (depth, height, width)) of 4-D or 5-D volumes, stacked
    on the channel axis in (depth, row, column, channel) order: a 3-D convolution with a
    one-hot kernel, as Keras computes them."""
    size = (size, size, size) if isinstance(size, int) else tuple(size)
    if len(size) != 3:
        raise TypeError(
            "Invalid `size` argument. Expected an int or a tuple of length 3. "
            f"Received: size={size}"
        )
    strides = size if strides is None else strides
    strides = (strides,) * 3 if isinstance(strides, int) else tuple(strides)
    if len(strides) != 3:
        raise ValueError(f"Invalid `strides` argument. Got: {strides}")
    data_format = standardize_data_format(data_format)
    spec = _spec_of(volumes)
    if spec.ndim not in (4, 5):
        raise ValueError(
            "Invalid volumes rank: expected rank 4 (single volume) or rank 5 (batch of "
            f"volumes). Received input with shape: volumes.shape={spec.shape}"
        )
    channels = spec.shape[-1] if data_format == "channels_last" else spec.shape[-4]
    depth = size[0] * size[1] * size[2] * channels
    kernel = np.eye(depth, dtype=_float(spec.dtype)).reshape(*size, channels, depth)
    x = volumes if spec.ndim == 5 else expand_dims(volumes, 0)
    out = conv(x, kernel, strides, padding, data_format, dilation_rate)
    return out if spec.ndim == 5 else squeeze(out, 0)


def elastic_transform(
    images,
    alpha=20.0,
    sigma=5.0,
    interpolation="bilinear",
    fill_mode="reflect",
    fill_value=0.0,
    seed=None,
    data_format=None,
):
    """Elastic deformation (Simard et al. 2003): a per-pixel normal displacement field
    (stddev ``sigma``), smoothed by a Gaussian blur of ``sigma`` (kernel ``int(6 * sigma) | 1``)
    and scaled by ``alpha``, moves every pixel's sampling point. The two fields (rows,
    columns) are drawn independently (Keras' JAX backend reuses one seed for both). Random
    numbers come from ``kgraph.random``, so values differ from Keras' for the same seed."""
    from kgraph import random
    from kgraph.ops.image import gaussian_blur
    from kgraph.ops.image_warp import warp

    data_format = standardize_data_format(data_format)
    spec = _spec_of(images)
    if spec.ndim not in (3, 4):
        raise _rank_error("images", spec.shape)
    if None in spec.shape:
        raise ValueError(f"elastic_transform needs a static image shape. Received: {spec.shape}")
    first = data_format == "channels_first"
    x = images if spec.ndim == 4 else expand_dims(images, 0)
    n, h, w = (x.shape[0], *x.shape[2:]) if first else x.shape[:3]
    dtype = _float(spec.dtype)
    ksize = int(6 * sigma) | 1
    seeds = (seed, seed + 1) if isinstance(seed, int) else (seed, seed)
    fields = []
    for s in seeds:
        d = random.normal((n, h, w, 1), dtype=dtype, seed=s) * sigma
        d = gaussian_blur(d, (ksize, ksize), (sigma, sigma), "channels_last")
        fields.append(reshape(d, (n, h, w)) * alpha)
    rows, cols = np.meshgrid(np.arange(h), np.arange(w), indexing="ij")
    ys = fields[1] + rows.astype(dtype)
    xs = fields[0] + cols.astype(dtype)
    out = warp(x, ys, xs, interpolation, fill_mode, fill_value, data_format)
    out = out if spec.ndim == 4 else squeeze(out, 0)
    return knp.cast(out, spec.dtype) if out.dtype != spec.dtype else out
