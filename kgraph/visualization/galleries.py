"""``keras.visualization.plot_*_gallery``: image grids drawn with matplotlib, which is
imported only when a gallery is plotted (Keras' ImportError when it is missing)."""

from __future__ import annotations

import functools
import math

import numpy as np

from kgraph.config import image_data_format
from kgraph.visualization.draw_bounding_boxes import draw_bounding_boxes
from kgraph.visualization.draw_segmentation_masks import draw_segmentation_masks


def _to_numpy(value) -> np.ndarray:
    return np.asarray(value.numpy() if hasattr(value, "numpy") else value)


def _pyplot():
    try:
        import matplotlib.pyplot as plt
    except ImportError:
        raise ImportError(
            "The `plot_image_gallery` function requires the `matplotlib` "
            "package. Please install it with `pip install matplotlib`."
        ) from None
    return plt


def _check_batched(images) -> tuple:
    shape = tuple(np.shape(images))
    if len(shape) != 4:
        raise ValueError(f"`images` must be batched 4D tensor. Received: images.shape={shape}")
    return shape


def _rescale(images: np.ndarray, value_range) -> np.ndarray:
    """``images`` mapped from ``value_range`` to ``(0, 255)`` (Keras' value-range transform)."""
    low, high = value_range
    if low == 0 and high == 255:
        return images
    images = images.astype("float32")
    return (images - low) / (high - low) * 255.0


def _grid(plt, rows, cols, scale, legend_handles):
    fig, axes = plt.subplots(
        nrows=rows,
        ncols=cols,
        figsize=(cols * scale, rows * scale),
        frameon=False,
        layout="tight",
        squeeze=True,
        sharex="row",
        sharey="col",
    )
    fig.subplots_adjust(wspace=0, hspace=0)
    if isinstance(axes, np.ndarray) and axes.ndim == 1:
        axes = np.expand_dims(axes, 0 if rows == 1 else -1)
    if legend_handles is not None:
        fig.legend(handles=legend_handles, loc="lower center")
    return axes


def _title(index, y_true, y_pred, label_map) -> str:
    parts = []
    if y_true is not None and index < len(y_true):
        parts.append(f"Label: {label_map.get(y_true[index], 'Unknown')}")
    if y_pred is not None and index < len(y_pred):
        parts.append(f"Pred: {label_map.get(y_pred[index], 'Unknown')}")
    return "  ".join(parts)


def plot_image_gallery(
    images,
    y_true=None,
    y_pred=None,
    label_map=None,
    rows=None,
    cols=None,
    value_range=(0, 255),
    scale=2,
    path=None,
    show=None,
    transparent=True,
    dpi=60,
    legend_handles=None,
    data_format=None,
):
    """Plots a ``rows`` x ``cols`` grid of a batch of images (titled with ``label_map``'s
    names of ``y_true``/``y_pred``); saves it to ``path`` or shows it."""
    plt = _pyplot()
    if path is not None and show:
        raise ValueError("plot_gallery() expects either `path` to be set, or `show` to be true.")
    if (y_true is not None or y_pred is not None) and label_map is None:
        raise ValueError(
            "If `y_true` or `y_pred` are provided, a `label_map` must also be provided."
        )
    show = show if show is not None else path is None
    data_format = data_format or image_data_format()
    images = _to_numpy(images)
    batch_size = images.shape[0] if images.ndim == 4 else 1
    rows = rows or math.ceil(math.sqrt(batch_size))
    cols = cols or batch_size // rows  # Keras' floor division
    if images.ndim != 4:
        raise ValueError(
            "`plot_images_gallery()` requires you to batch your `np.array` samples together."
        )
    images = images[: min(rows * cols, batch_size)]
    if data_format == "channels_first":
        images = np.transpose(images, (0, 2, 3, 1))
    axes = _grid(plt, rows, cols, scale, legend_handles)
    images = _rescale(images, value_range)
    y_true = None if y_true is None else _to_numpy(y_true)
    y_pred = None if y_pred is None else _to_numpy(y_pred)
    for row in range(rows):
        for col in range(cols):
            index = row * cols + col
            axis = axes[row, col] if isinstance(axes, np.ndarray) else axes
            axis.imshow(images[index].astype("uint8"))
            axis.margins(x=0, y=0)
            axis.axis("off")
            title = _title(index, y_true, y_pred, label_map or {})
            if title:
                axis.set_title(title, fontsize=8)
    if path is not None:
        plt.savefig(fname=path, pad_inches=0, bbox_inches="tight", transparent=transparent, dpi=dpi)
        plt.close()
    elif show:
        plt.show()
        plt.close()


def plot_bounding_box_gallery(
    images,
    bounding_box_format,
    y_true=None,
    y_pred=None,
    value_range=(0, 255),
    true_color=(0, 188, 212),
    pred_color=(255, 235, 59),
    line_thickness=2,
    font_scale=1.0,
    text_thickness=None,
    class_mapping=None,
    ground_truth_mapping=None,
    prediction_mapping=None,
    legend=False,
    legend_handles=None,
    rows=None,
    cols=None,
    data_format=None,
    **kwargs,
):
    """Draws ``y_true`` and ``y_pred`` boxes (``draw_bounding_boxes``) on the images and
    plots them as a gallery, with a Ground Truth / Prediction legend when ``legend``."""
    try:
        from matplotlib import patches
    except ImportError:
        raise ImportError(
            "The `plot_bounding_box_gallery` function requires the "
            " `matplotlib` package. Please install it with "
            " `pip install matplotlib`."
        ) from None
    data_format = data_format or image_data_format()
    _check_batched(images)
    images = _to_numpy(images)
    if data_format == "channels_first":
        images = np.transpose(images, (0, 2, 3, 1))
    draw = functools.partial(
        draw_bounding_boxes,
        bounding_box_format=bounding_box_format,
        line_thickness=line_thickness,
        text_thickness=text_thickness,
        font_scale=font_scale,
    )
    if y_true is not None:
        images = draw(
            images, y_true, color=true_color, class_mapping=ground_truth_mapping or class_mapping
        )
    if y_pred is not None:
        images = draw(
            images, y_pred, color=pred_color, class_mapping=prediction_mapping or class_mapping
        )
    if legend:
        if legend_handles:
            raise ValueError(
                "Only pass `legend` OR `legend_handles` to "
                "`keras.visualization.plot_bounding_box_gallery()`."
            )
        legend_handles = [
            patches.Patch(color=np.array(true_color) / 255.0, label="Ground Truth"),
            patches.Patch(color=np.array(pred_color) / 255.0, label="Prediction"),
        ]
    return plot_image_gallery(
        images,
        value_range=value_range,
        legend_handles=legend_handles,
        rows=rows,
        cols=cols,
        **kwargs,
    )


def plot_segmentation_mask_gallery(
    images,
    num_classes,
    value_range=(0, 255),
    y_true=None,
    y_pred=None,
    color_mapping=None,
    blend=True,
    alpha=0.8,
    ignore_index=-1,
    data_format=None,
    **kwargs,
):
    """Plots one row per image: the image, then its ``y_true`` and ``y_pred`` masks drawn
    over it (``draw_segmentation_masks``)."""
    data_format = data_format or image_data_format()
    batch_size = _check_batched(images)[0]
    images = _to_numpy(images)
    if data_format == "channels_first":
        images = np.transpose(images, (0, 2, 3, 1))
    draw = functools.partial(
        draw_segmentation_masks,
        num_classes=num_classes,
        color_mapping=color_mapping,
        alpha=alpha,
        ignore_index=ignore_index,
        blend=blend,
        data_format="channels_last",
    )
    drawn = []
    for masks in (y_true, y_pred):
        if masks is not None:
            masks = _to_numpy(masks)
            if data_format == "channels_first":
                masks = np.transpose(masks, (0, 2, 3, 1))
            drawn.append(draw(images, masks.astype("int32")))
    gallery = [image for i in range(batch_size) for image in (images[i], *(d[i] for d in drawn))]
    return plot_image_gallery(
        np.stack(gallery, axis=0),
        value_range=value_range,
        rows=batch_size,
        cols=1 + len(drawn),
        **kwargs,
    )
