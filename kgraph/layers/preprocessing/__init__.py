"""Preprocessing layers: deterministic ones compiled into every graph, augmentation layers
compiled into the training graph only."""

from kgraph.layers.preprocessing.category_encoding import CategoryEncoding
from kgraph.layers.preprocessing.center_crop import CenterCrop
from kgraph.layers.preprocessing.discretization import Discretization
from kgraph.layers.preprocessing.normalization import Normalization
from kgraph.layers.preprocessing.random_brightness import RandomBrightness
from kgraph.layers.preprocessing.random_contrast import RandomContrast
from kgraph.layers.preprocessing.random_crop import RandomCrop
from kgraph.layers.preprocessing.random_flip import RandomFlip
from kgraph.layers.preprocessing.random_rotation import RandomRotation
from kgraph.layers.preprocessing.random_shear import RandomShear
from kgraph.layers.preprocessing.random_translation import RandomTranslation
from kgraph.layers.preprocessing.random_zoom import RandomZoom
from kgraph.layers.preprocessing.rescaling import Rescaling
from kgraph.layers.preprocessing.resizing import Resizing

__all__ = [
    "CategoryEncoding",
    "CenterCrop",
    "Discretization",
    "Normalization",
    "RandomBrightness",
    "RandomContrast",
    "RandomCrop",
    "RandomFlip",
    "RandomRotation",
    "RandomShear",
    "RandomTranslation",
    "RandomZoom",
    "Rescaling",
    "Resizing",
]
