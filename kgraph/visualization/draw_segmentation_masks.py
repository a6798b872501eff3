"""``keras.visualization.draw_segmentation_masks``, in numpy: the same colours, blending and
uint8 result as Keras'."""

from __future__ import annotations

import numpy as np

from kgraph.config import image_data_format


def _to_numpy(value) -> np.ndarray:
    return np.asarray(value.numpy() if hasattr(value, "numpy") else value)


def _palette(num_classes: int) -> list:
    """Keras' default colours: class ``i`` gets ``(i * [2**25-1, 2**15-1, 2**21-1]) % 255``
    (so class 0, the background, is black)."""
    base = np.array([2**25 - 1, 2**15 - 1, 2**21 - 1])
    return [((i * base) % 255).tolist() for i in range(num_classes)]


def draw_segmentation_masks(
    images,
    segmentation_masks,
    num_classes=None,
    color_mapping=None,
    alpha=0.8,
    blend=True,
    ignore_index=-1,
    data_format=None,
):
    """Paints class ``c`` of ``segmentation_masks`` (``(batch, h, w, 1)`` integers) with its
    colour (``color_mapping[c]`` or Keras' palette) over ``images`` (``(batch, h, w, c)``).

    With ``blend`` the result is ``images * (1 - alpha) + colours * alpha`` as uint8, the
    pixels equal to ``ignore_index`` left as they were; without it, the painted images as
    float32. Classes at or above ``num_classes`` (default: the largest class present) are
    not painted. A ``(batch, h, w)`` mask is also accepted (Keras requires the channel axis).
    """
    data_format = data_format or image_data_format()
    images = _to_numpy(images)
    if images.ndim != 4:
        raise ValueError(
            f"`images` must be batched 4D tensor. Received: images.shape={tuple(images.shape)}"
        )
    masks = _to_numpy(segmentation_masks)
    if data_format == "channels_first":
        images = np.transpose(images, (0, 2, 3, 1))
        masks = np.transpose(masks, (0, 2, 3, 1))
    images = images.astype("float32")
    if masks.dtype.kind not in "iu":
        raise TypeError(
            "`segmentation_masks` must be in integer dtype. "
            f"Received: segmentation_masks.dtype={masks.dtype.name}"
        )
    if masks.ndim == 4:
        masks = masks[..., 0]
    if num_classes is None:
        num_classes = int(masks.max())
    if color_mapping is None:
        colors = _palette(num_classes)
    else:
        colors = [color_mapping[i] for i in range(num_classes)]
    painted = images.copy()
    for index, color in enumerate(colors):
        painted[masks == index] = np.asarray(color, dtype="float32")
    if not blend:
        return painted
    mixed = images * (1 - alpha) + painted * alpha
    mixed = np.where((masks != ignore_index)[..., None], mixed, images)
    return mixed.astype("uint8")
