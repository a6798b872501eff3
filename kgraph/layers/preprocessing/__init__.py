"""Preprocessing layers: deterministic ones compiled into every graph, augmentation layers
compiled into the training graph only."""

from kgraph.layers.preprocessing.aug_mix import AugMix
from kgraph.layers.preprocessing.auto_contrast import AutoContrast
from kgraph.layers.preprocessing.category_encoding import CategoryEncoding
from kgraph.layers.preprocessing.center_crop import CenterCrop
from kgraph.layers.preprocessing.clahe import ContrastLimitedAdaptiveHistogramEqualization
from kgraph.layers.preprocessing.cut_mix import CutMix
from kgraph.layers.preprocessing.discretization import Discretization
from kgraph.layers.preprocessing.equalization import Equalization
from kgraph.layers.preprocessing.hashing import Hashing
from kgraph.layers.preprocessing.integer_lookup import IntegerLookup
from kgraph.layers.preprocessing.mix_up import MixUp
from kgraph.layers.preprocessing.normalization import Normalization
from kgraph.layers.preprocessing.pipeline import Pipeline
from kgraph.layers.preprocessing.rand_augment import RandAugment
from kgraph.layers.preprocessing.random_brightness import RandomBrightness
from kgraph.layers.preprocessing.random_color_degeneration import RandomColorDegeneration
from kgraph.layers.preprocessing.random_color_jitter import RandomColorJitter
from kgraph.layers.preprocessing.random_contrast import RandomContrast
from kgraph.layers.preprocessing.random_crop import RandomCrop
from kgraph.layers.preprocessing.random_elastic_transform import RandomElasticTransform
from kgraph.layers.preprocessing.random_erasing import RandomErasing
from kgraph.layers.preprocessing.random_flip import RandomFlip
from kgraph.layers.preprocessing.random_gaussian_blur import RandomGaussianBlur
from kgraph.layers.preprocessing.random_grayscale import RandomGrayscale
from kgraph.layers.preprocessing.random_hue import RandomHue
from kgraph.layers.preprocessing.random_invert import RandomInvert
from kgraph.layers.preprocessing.random_perspective import RandomPerspective
from kgraph.layers.preprocessing.random_posterization import RandomPosterization
from kgraph.layers.preprocessing.random_rotation import RandomRotation
from kgraph.layers.preprocessing.random_saturation import RandomSaturation
from kgraph.layers.preprocessing.random_sharpness import RandomSharpness
from kgraph.layers.preprocessing.random_shear import RandomShear
from kgraph.layers.preprocessing.random_translation import RandomTranslation
from kgraph.layers.preprocessing.random_zoom import RandomZoom
from kgraph.layers.preprocessing.rescaling import Rescaling
from kgraph.layers.preprocessing.resizing import Resizing
from kgraph.layers.preprocessing.solarization import Solarization
from kgraph.layers.preprocessing.string_lookup import StringLookup
from kgraph.layers.preprocessing.text_vectorization import TextVectorization

__all__ = [
    "AugMix",
    "AutoContrast",
    "CategoryEncoding",
    "CenterCrop",
    "ContrastLimitedAdaptiveHistogramEqualization",
    "CutMix",
    "Discretization",
    "Equalization",
    "Hashing",
    "IntegerLookup",
    "MixUp",
    "Normalization",
    "Pipeline",
    "RandAugment",
    "RandomBrightness",
    "RandomColorDegeneration",
    "RandomColorJitter",
    "RandomContrast",
    "RandomCrop",
    "RandomElasticTransform",
    "RandomErasing",
    "RandomFlip",
    "RandomGaussianBlur",
    "RandomGrayscale",
    "RandomHue",
    "RandomInvert",
    "RandomPerspective",
    "RandomPosterization",
    "RandomRotation",
    "RandomSaturation",
    "RandomSharpness",
    "RandomShear",
    "RandomTranslation",
    "RandomZoom",
    "Rescaling",
    "Resizing",
    "Solarization",
    "StringLookup",
    "TextVectorization",
]
