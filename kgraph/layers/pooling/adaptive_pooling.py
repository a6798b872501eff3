"""Adaptive average and max pooling in 1D, 2D and 3D (thin ``BaseAdaptivePooling``s)."""

from __future__ import annotations

from kgraph.layers.pooling.base_adaptive_pooling import BaseAdaptivePooling


class AdaptiveAveragePooling1D(BaseAdaptivePooling):
    """Adaptive average pooling of 1 spatial axes to ``output_size``."""

    def __init__(self, output_size, data_format=None, **kwargs):
        super().__init__(1, output_size, "average", data_format, **kwargs)


class AdaptiveAveragePooling2D(BaseAdaptivePooling):
    """Adaptive average pooling of 2 spatial axes to ``output_size``."""

    def __init__(self, output_size, data_format=None, **kwargs):
        super().__init__(2, output_size, "average", data_format, **kwargs)


class AdaptiveAveragePooling3D(BaseAdaptivePooling):
    """Adaptive average pooling of 3 spatial axes to ``output_size``."""

    def __init__(self, output_size, data_format=None, **kwargs):
        super().__init__(3, output_size, "average", data_format, **kwargs)


class AdaptiveMaxPooling1D(BaseAdaptivePooling):
    """Adaptive max pooling of 1 spatial axes to ``output_size``."""

    def __init__(self, output_size, data_format=None, **kwargs):
        super().__init__(1, output_size, "max", data_format, **kwargs)


class AdaptiveMaxPooling2D(BaseAdaptivePooling):
    """Adaptive max pooling of 2 spatial axes to ``output_size``."""

    def __init__(self, output_size, data_format=None, **kwargs):
        super().__init__(2, output_size, "max", data_format, **kwargs)


class AdaptiveMaxPooling3D(BaseAdaptivePooling):
    """Adaptive max pooling of 3 spatial axes to ``output_size``."""

    def __init__(self, output_size, data_format=None, **kwargs):
        super().__init__(3, output_size, "max", data_format, **kwargs)
