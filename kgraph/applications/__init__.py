"""``kgraph.applications``: Keras' ImageNet architectures with Keras' layer names, so Keras'
published weight files (``weights="imagenet"``, from the Keras cache) load unchanged."""

from kgraph.applications import imagenet_utils, mobilenet_v3
from kgraph.applications.mobilenet_v3 import MobileNetV3Large, MobileNetV3Small

__all__ = [
    "MobileNetV3Large",
    "MobileNetV3Small",
    "imagenet_utils",
    "mobilenet_v3",
]
