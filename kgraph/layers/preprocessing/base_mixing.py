"""Helpers of the batch-mixing and erasing layers (MixUp, CutMix, RandomErasing): per-sample
Beta and normal draws built from uniform ones, batch permutations, and box masks.

ONNX has no Beta or Gamma sampler and the batch size is dynamic, so ``beta`` uses Jöhnk's
method in log space on ``TRIES`` uniform pairs per sample and keeps the first accepted one (the
acceptance rate is at least 1/2 for alpha <= 1, so a miss has odds below 1e-9; a sample that
misses every try takes the mean, 0.5).
"""

from __future__ import annotations

import math

import numpy as np

from kgraph import ops

TRIES = 32


def beta(layer, images, alpha, beta_=None):
    """(batch,) draws from Beta(alpha, beta_) (``beta_`` defaults to ``alpha``); each a float
    or a (batch, 1) tensor."""
    log_u = ops.log(ops.maximum(layer.uniform(images, (TRIES,)), 1e-30))
    log_v = ops.log(ops.maximum(layer.uniform(images, (TRIES,)), 1e-30))
    log_x, log_y = log_u / alpha, log_v / (alpha if beta_ is None else beta_)
    top = ops.maximum(log_x, log_y)
    log_sum = top + ops.log(ops.exp(log_x - top) + ops.exp(log_y - top))
    accepted = ops.less_equal(log_sum, 0.0)
    candidate = ops.exp(log_x - log_sum)
    first = ops.one_hot(ops.argmax(accepted, axis=-1), TRIES)
    value = ops.sum(first * candidate, axis=-1)
    found = ops.greater(ops.max(ops.cast(accepted, "float32"), axis=-1), 0.5)
    return ops.where(found, value, 0.5)


def normal(layer, images, shape):
    """Standard normal draws of shape (batch, *shape) (Box-Muller on two uniform draws)."""
    u1 = ops.maximum(layer.uniform(images, shape), 1e-12)
    u2 = layer.uniform(images, shape)
    return ops.sqrt(-2.0 * ops.log(u1)) * ops.cos(2.0 * math.pi * u2)


def permutation(layer, images):
    """A random permutation of the batch positions (argsort of uniform keys)."""
    keys = ops.reshape(layer.uniform(images, (1,)), (-1,))
    return ops.argsort(keys)


def box_mask(layer, images, x0, x1, y0, y1):
    """Boolean (batch, H, W, 1) (or (batch, 1, H, W)) mask of ``x0 <= x < x1, y0 <= y < y1``,
    the bounds being (batch,) tensors."""
    height, width = layer.image_size(images)
    first = layer.data_format == "channels_first"
    gy = np.arange(height, dtype=np.float32).reshape((1, 1, -1, 1) if first else (1, -1, 1, 1))
    gx = np.arange(width, dtype=np.float32).reshape((1, 1, 1, -1) if first else (1, 1, -1, 1))
    x0, x1, y0, y1 = (ops.reshape(v, (-1, 1, 1, 1)) for v in (x0, x1, y0, y1))
    inside_x = ops.logical_and(ops.greater_equal(gx, x0), ops.less(gx, x1))
    inside_y = ops.logical_and(ops.greater_equal(gy, y0), ops.less(gy, y1))
    return ops.logical_and(inside_x, inside_y)


def crop_bounds(layer, images, length, ratio):
    """Start and end of a span of ``ratio * length`` at a uniform position, per sample."""
    span = ratio * float(length)
    start = ops.reshape(layer.uniform(images, (1,)), (-1,)) * (float(length) - span)
    return start, start + span


def dirichlet(layer, images, count: int, alpha: float):
    """(batch, count) draws from a symmetric Dirichlet(alpha) by stick breaking: share ``k``
    takes a Beta(alpha, (count - 1 - k) * alpha) part of what is left."""
    left, shares = 1.0, []
    for k in range(count - 1):
        part = beta(layer, images, alpha, (count - 1 - k) * alpha) * left
        shares.append(ops.reshape(part, (-1, 1)))
        left = left - part
    shares.append(ops.reshape(left + ops.zeros_like(part), (-1, 1)))
    return ops.concatenate(shares, axis=1)
