"""``keras.visualization``: draw boxes and segmentation masks onto image batches (numpy and
Pillow, where Keras uses OpenCV), and plot galleries of them (matplotlib, imported when a
gallery is plotted)."""

from kgraph.visualization.draw_bounding_boxes import draw_bounding_boxes
from kgraph.visualization.draw_segmentation_masks import draw_segmentation_masks
from kgraph.visualization.galleries import (
    plot_bounding_box_gallery,
    plot_image_gallery,
    plot_segmentation_mask_gallery,
)

__all__ = [
    "draw_bounding_boxes",
    "draw_segmentation_masks",
    "plot_bounding_box_gallery",
    "plot_image_gallery",
    "plot_segmentation_mask_gallery",
]
