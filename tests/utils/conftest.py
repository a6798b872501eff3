"""Folders of small image files for the loading tests."""

from __future__ import annotations

import os

import numpy as np
import pytest
from PIL import Image


def write_images(root, counts, size=(12, 10), fmt="png", seed=0):
    """``counts[name]`` images (random RGB, ``size`` = (height, width)) in ``root/name``."""
    rng = np.random.default_rng(seed)
    for name, count in counts.items():
        os.makedirs(os.path.join(root, name), exist_ok=True)
        for i in range(count):
            pixels = rng.integers(0, 256, (*size, 3), dtype=np.uint8)
            Image.fromarray(pixels).save(os.path.join(root, name, f"img_{i:02d}.{fmt}"))
    return str(root)


@pytest.fixture
def image_dir(tmp_path):
    """Three classes ("cat": 5, "dog": 4, "owl": 3 PNGs of 12x10)."""
    return write_images(tmp_path / "images", {"cat": 5, "dog": 4, "owl": 3})
