"""Adaptive average and max pooling (1D-3D) against a direct numpy loop over the windows
``floor(i * n / m) .. ceil((i + 1) * n / m)``."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from kgraph import layers
from tests.harness import run_layer_test


def adaptive_ref(x, size, kind, channels_first=False):
    if channels_first:
        x = np.moveaxis(x, 1, -1)
    spatial = x.shape[1:-1]
    out = np.zeros((x.shape[0], *size, x.shape[-1]))
    for index in itertools.product(*(range(m) for m in size)):
        window = tuple(
            slice(i * n // m, -(-(i + 1) * n // m)) for i, n, m in zip(index, spatial, size)
        )
        cells = x[(slice(None), *window)].reshape(x.shape[0], -1, x.shape[-1])
        out[(slice(None), *index)] = cells.max(1) if kind == "max" else cells.mean(1)
    return np.moveaxis(out, -1, 1) if channels_first else out


@pytest.mark.parametrize("kind", ["Average", "Max"])
@pytest.mark.parametrize(
    "rank, size, shape, data_format",
    [
        (1, 3, (2, 7, 2), None),
        (2, (3, 2), (2, 7, 5, 3), None),
        (2, 4, (2, 3, 9, 6), "channels_first"),
        (3, 2, (1, 5, 4, 3, 2), None),
    ],
)
def test_adaptive_pooling(kind, rank, size, shape, data_format):
    cls = getattr(layers, f"Adaptive{kind}Pooling{rank}D")
    sizes = (size,) * rank if isinstance(size, int) else size
    first = data_format == "channels_first"
    out = (shape[0], shape[1], *sizes) if first else (shape[0], *sizes, shape[-1])
    run_layer_test(
        cls,
        dict(output_size=size, data_format=data_format),
        shape,
        out,
        lambda x, w: adaptive_ref(x, sizes, kind.lower(), first),
    )


def test_adaptive_pooling_checks_output_size():
    with pytest.raises(TypeError, match="output_size"):
        layers.AdaptiveAveragePooling2D((2, 2, 2))


@pytest.mark.parametrize("cls", [layers.GlobalAveragePooling2D, layers.GlobalMaxPooling2D])
def test_global_pooling_keepdims(cls):
    reduce = np.mean if "Average" in cls.__name__ else np.max
    run_layer_test(
        cls,
        dict(keepdims=True),
        (2, 3, 4, 5),
        (2, 1, 1, 5),
        lambda x, w: reduce(x, axis=(1, 2), keepdims=True),
    )
