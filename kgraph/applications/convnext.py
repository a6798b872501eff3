"""ConvNeXtTiny/Small/Base/Large/XLarge (Liu et al., 2022) with Keras' layer names and nested
``Sequential`` stems, so Keras' published weight files load unchanged.

As in Keras, the preprocessing is inside the model (``include_preprocessing``: a
``Normalization`` with ImageNet's mean and variance in pixel units), so the models take raw
``[0, 255]`` pixels and ``preprocess_input`` is the identity.
"""

from __future__ import annotations

import numpy as np

from kgraph import initializers, layers
from kgraph.applications import imagenet_utils
from kgraph.applications import weights as weights_lib
from kgraph.models.functional import Functional
from kgraph.models.sequential import Sequential

BASE_WEIGHTS_PATH = weights_lib.BASE + "convnext/"
#: weights name -> (sha256 of the file with the top, sha256 of the ``notop`` file)
WEIGHTS_HASHES = {
    "convnext_tiny": (
        "8ae6e78ce2933352b1ef4008e6dd2f17bc40771563877d156bc6426c7cf503ff",
        "d547c096cabd03329d7be5562c5e14798aa39ed24b474157cef5e85ab9e49ef1",
    ),
    "convnext_small": (
        "ce1277d8f1ee5a0ef0e171469089c18f5233860ceaf9b168049cb9263fd7483c",
        "6fc8009faa2f00c1c1dfce59feea9b0745eb260a7dd11bee65c8e20843da6eab",
    ),
    "convnext_base": (
        "52cbb006d3dadd03f6e095a8ca1aca47aecdd75acb4bc74bce1f5c695d0086e6",
        "40a20c5548a5e9202f69735ecc06c990e6b7c9d2de39f0361e27baeb24cb7c45",
    ),
    "convnext_large": (
        "070c5ed9ed289581e477741d3b34beffa920db8cf590899d6d2c67fba2a198a6",
        "96f02b6f0753d4f543261bc9d09bed650f24dd6bc02ddde3066135b63d23a1cd",
    ),
    "convnext_xlarge": (
        "c1f5ccab661354fc3a79a10fa99af82f0fbf10ec65cb894a3ae0815f17a889ee",
        "de3f8a54174130e0cecdc71583354753d557fcf1f4487331558e2a16ba0cfe05",
    ),
}
MODEL_CONFIGS = {
    "tiny": ([3, 3, 9, 3], [96, 192, 384, 768]),
    "small": ([3, 3, 27, 3], [96, 192, 384, 768]),
    "base": ([3, 3, 27, 3], [128, 256, 512, 1024]),
    "large": ([3, 3, 27, 3], [192, 384, 768, 1536]),
    "xlarge": ([3, 3, 27, 3], [256, 512, 1024, 2048]),
}


class StochasticDepth(layers.Dropout):
    """Drops whole residual branches per sample in training (scaled by ``1/keep``): a
    dropout whose mask has one value per sample."""

    def __init__(self, drop_path_rate, **kwargs):
        kwargs.pop("rate", None)
        kwargs.pop("noise_shape", None)
        super().__init__(drop_path_rate, **kwargs)
        self.drop_path_rate = drop_path_rate

    def _noise_shape(self, inputs):
        return (inputs.shape[0],) + (1,) * (len(inputs.shape) - 1)

    def get_config(self):
        return {**super().get_config(), "drop_path_rate": self.drop_path_rate}


class LayerScale(layers.Layer):
    """Multiplies each channel by a learned scale that starts at ``init_values``."""

    def __init__(self, init_values, projection_dim, **kwargs):
        super().__init__(**kwargs)
        self.init_values = init_values
        self.projection_dim = projection_dim

    def build(self, input_shape):
        self.gamma = self.add_weight(
            shape=(self.projection_dim,),
            initializer=initializers.Constant(self.init_values),
            trainable=True,
            name="gamma",
        )
        self.built = True

    def call(self, x):
        return x * self.gamma

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        config = super().get_config()
        config.update(init_values=self.init_values, projection_dim=self.projection_dim)
        return config


def ConvNeXtBlock(projection_dim, drop_path_rate=0.0, layer_scale_init_value=1e-6, name=None):
    """7x7 depthwise conv, layer norm, two pointwise Dense layers around a gelu, layer scale,
    added to the input."""

    def apply(inputs):
        x = layers.Conv2D(
            projection_dim, 7, padding="same", groups=projection_dim, name=f"{name}_depthwise_conv"
        )(inputs)
        x = layers.LayerNormalization(epsilon=1e-6, name=f"{name}_layernorm")(x)
        x = layers.Dense(4 * projection_dim, name=f"{name}_pointwise_conv_1")(x)
        x = layers.Activation("gelu", name=f"{name}_gelu")(x)
        x = layers.Dense(projection_dim, name=f"{name}_pointwise_conv_2")(x)
        if layer_scale_init_value is not None:
            x = LayerScale(layer_scale_init_value, projection_dim, name=f"{name}_layer_scale")(x)
        if drop_path_rate:
            layer = StochasticDepth(drop_path_rate, name=f"{name}_stochastic_depth")
        else:
            layer = layers.Activation("linear", name=f"{name}_identity")
        return inputs + layer(x)

    return apply


def _downsampling(name, dims):
    stem = Sequential(
        [
            layers.Conv2D(dims[0], kernel_size=4, strides=4, name=f"{name}_stem_conv"),
            layers.LayerNormalization(epsilon=1e-6, name=f"{name}_stem_layernorm"),
        ],
        name=f"{name}_stem",
    )
    blocks = [stem]
    for i in range(3):
        ln = layers.LayerNormalization(epsilon=1e-6, name=f"{name}_downsampling_layernorm_{i}")
        conv = layers.Conv2D(
            dims[i + 1], kernel_size=2, strides=2, name=f"{name}_downsampling_conv_{i}"
        )
        blocks.append(Sequential([ln, conv], name=f"{name}_downsampling_block_{i}"))
    return blocks


def _head(x, args, name):
    if args["include_top"]:
        imagenet_utils.validate_activation(args["classifier_activation"], args["weights"])
        x = layers.GlobalAveragePooling2D(name=f"{name}_head_gap")(x)
        x = layers.LayerNormalization(epsilon=1e-6, name=f"{name}_head_layernorm")(x)
        return layers.Dense(
            args["classes"], activation=args["classifier_activation"], name=f"{name}_head_dense"
        )(x)
    if args["pooling"] == "avg":
        x = layers.GlobalAveragePooling2D()(x)
    elif args["pooling"] == "max":
        x = layers.GlobalMaxPooling2D()(x)
    return layers.LayerNormalization(epsilon=1e-6)(x)


def ConvNeXt(depths, dims, args: dict, weights_name, drop_path_rate=0.0, scale_init=1e-6):
    """The ConvNeXt of the given stage depths and widths; ``args`` are the public function's
    arguments (include_top, include_preprocessing, weights, input_tensor, input_shape, pooling,
    classes, classifier_activation, name)."""
    weights, include_top, name = args["weights"], args["include_top"], args["name"]
    weights_lib.check_weights_argument(weights, include_top, args["classes"])
    input_shape = imagenet_utils.obtain_input_shape(
        args["input_shape"], 224, 32, require_flatten=include_top, weights=weights
    )
    img_input = imagenet_utils.image_input(args["input_tensor"], input_shape)
    x = img_input
    if args["include_preprocessing"] and input_shape[-1] == 3:
        x = layers.Normalization(
            mean=[0.485 * 255, 0.456 * 255, 0.406 * 255],
            variance=[(0.229 * 255) ** 2, (0.224 * 255) ** 2, (0.225 * 255) ** 2],
            name=f"{name}_prestem_normalization",
        )(x)
    rates = [float(r) for r in np.linspace(0.0, drop_path_rate, sum(depths))]
    cur = 0
    for i, downsample in enumerate(_downsampling(name, dims)):
        x = downsample(x)
        for j in range(depths[i]):
            block = ConvNeXtBlock(
                dims[i], rates[cur + j], scale_init, f"{name}_stage_{i}_block_{j}"
            )
            x = block(x)
        cur += depths[i]
    x = _head(x, args, name)
    model = Functional(imagenet_utils.model_inputs(args["input_tensor"], img_input), x, name=name)
    if weights == "imagenet":
        if weights_name not in name:
            raise ValueError(
                f'Model name "{name}" does not match weights variant "{weights_name}". When '
                "using imagenet weights, model name must contain the weights variant."
            )
        file_name = name + (".h5" if include_top else "_notop.h5")
        file_hash = WEIGHTS_HASHES[weights_name][0 if include_top else 1]
        weights_lib.load(model, weights, file_name, file_hash, BASE_WEIGHTS_PATH + file_name)
    else:
        weights_lib.load(model, weights)
    return model


def _variant(size):
    depths, dims = MODEL_CONFIGS[size]

    def build(
        include_top=True,
        include_preprocessing=True,
        weights="imagenet",
        input_tensor=None,
        input_shape=None,
        pooling=None,
        classes=1000,
        classifier_activation="softmax",
        name=f"convnext_{size}",
    ):
        return ConvNeXt(depths, dims, locals(), f"convnext_{size}")

    build.__name__ = build.__qualname__ = (
        f"ConvNeXt{'XLarge' if size == 'xlarge' else size.title()}"
    )
    build.__doc__ = (
        f"{build.__name__}: stage depths {depths}, widths {dims}; takes raw [0, 255] pixels."
    )
    return build


ConvNeXtTiny = _variant("tiny")
ConvNeXtSmall = _variant("small")
ConvNeXtBase = _variant("base")
ConvNeXtLarge = _variant("large")
ConvNeXtXLarge = _variant("xlarge")


def preprocess_input(x, data_format=None):
    """The identity: ConvNeXt models preprocess inside (``include_preprocessing``)."""
    return x


def decode_predictions(preds, top=5):
    """ImageNet class names of the ``top`` scores of each row (see ``imagenet_utils``)."""
    return imagenet_utils.decode_predictions(preds, top=top)
