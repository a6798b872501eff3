"""InceptionV3 (Szegedy et al., 2015) with Keras' layers in Keras' order: its convolutions
and batch norms are unnamed in Keras too, so Keras' published weight files load by position.
Inputs go through ``inception_v3.preprocess_input`` (mode "tf": to ``[-1, 1]``)."""

from __future__ import annotations

from kgraph import layers
from kgraph.applications import imagenet_utils
from kgraph.applications import weights as weights_lib

BASE = weights_lib.BASE + "inception_v3/"
WEIGHTS = (
    ("inception_v3_weights_tf_dim_ordering_tf_kernels.h5", "9a0d58056eeedaa3f26cb7ebd46da564"),
    (
        "inception_v3_weights_tf_dim_ordering_tf_kernels_notop.h5",
        "bcbd6486424b2319ff4ef7d526e38f63",
    ),
)


def conv2d_bn(x, filters, num_row, num_col, padding="same", strides=(1, 1), name=None):
    """Convolution without bias, batch norm without scale, relu."""
    x = layers.Conv2D(
        filters,
        (num_row, num_col),
        strides=strides,
        padding=padding,
        use_bias=False,
        name=None if name is None else f"{name}_conv",
    )(x)
    x = layers.BatchNormalization(axis=3, scale=False, name=None if name is None else f"{name}_bn")(
        x
    )
    return layers.Activation("relu", name=name)(x)


def _chain(x, specs):
    """``conv2d_bn`` for each ``(filters, rows, cols)`` in turn."""
    for filters, rows, cols in specs:
        x = conv2d_bn(x, filters, rows, cols)
    return x


def _avg_branch(x, filters):
    pooled = layers.AveragePooling2D((3, 3), strides=(1, 1), padding="same")(x)
    return conv2d_bn(pooled, filters, 1, 1)


def _block_35(x, pool_filters, name):
    b1 = conv2d_bn(x, 64, 1, 1)
    b5 = _chain(x, [(48, 1, 1), (64, 5, 5)])
    b3 = _chain(x, [(64, 1, 1), (96, 3, 3), (96, 3, 3)])
    return layers.concatenate([b1, b5, b3, _avg_branch(x, pool_filters)], axis=3, name=name)


def _block_17(x, width, name):
    b1 = conv2d_bn(x, 192, 1, 1)
    b7 = _chain(x, [(width, 1, 1), (width, 1, 7), (192, 7, 1)])
    b7dbl = _chain(x, [(width, 1, 1), (width, 7, 1), (width, 1, 7), (width, 7, 1), (192, 1, 7)])
    return layers.concatenate([b1, b7, b7dbl, _avg_branch(x, 192)], axis=3, name=name)


def _block_8(x, i):
    b1 = conv2d_bn(x, 320, 1, 1)
    b3 = conv2d_bn(x, 384, 1, 1)
    b3 = layers.concatenate(
        [conv2d_bn(b3, 384, 1, 3), conv2d_bn(b3, 384, 3, 1)], axis=3, name=f"mixed9_{i}"
    )
    dbl = _chain(x, [(448, 1, 1), (384, 3, 3)])
    dbl = layers.concatenate([conv2d_bn(dbl, 384, 1, 3), conv2d_bn(dbl, 384, 3, 1)], axis=3)
    return layers.concatenate([b1, b3, dbl, _avg_branch(x, 192)], axis=3, name=f"mixed{9 + i}")


def _reduction(x, first, second, name):
    """Stride-2 branches ``first`` and ``second`` (their last convolution is strided and
    'valid') beside a max pooling."""
    branches = []
    for specs in (first, second):
        y = _chain(x, specs[:-1])
        filters, rows, cols = specs[-1]
        branches.append(conv2d_bn(y, filters, rows, cols, strides=(2, 2), padding="valid"))
    pooled = layers.MaxPooling2D((3, 3), strides=(2, 2))(x)
    return layers.concatenate([*branches, pooled], axis=3, name=name)


def _body(img_input):
    x = conv2d_bn(img_input, 32, 3, 3, strides=(2, 2), padding="valid")
    x = conv2d_bn(x, 32, 3, 3, padding="valid")
    x = conv2d_bn(x, 64, 3, 3)
    x = layers.MaxPooling2D((3, 3), strides=(2, 2))(x)
    x = conv2d_bn(x, 80, 1, 1, padding="valid")
    x = conv2d_bn(x, 192, 3, 3, padding="valid")
    x = layers.MaxPooling2D((3, 3), strides=(2, 2))(x)
    x = _block_35(x, 32, "mixed0")
    x = _block_35(x, 64, "mixed1")
    x = _block_35(x, 64, "mixed2")
    x = _reduction(x, [(384, 3, 3)], [(64, 1, 1), (96, 3, 3), (96, 3, 3)], "mixed3")
    x = _block_17(x, 128, "mixed4")
    x = _block_17(x, 160, "mixed5")
    x = _block_17(x, 160, "mixed6")
    x = _block_17(x, 192, "mixed7")
    x = _reduction(
        x,
        [(192, 1, 1), (320, 3, 3)],
        [(192, 1, 1), (192, 1, 7), (192, 7, 1), (192, 3, 3)],
        "mixed8",
    )
    return _block_8(_block_8(x, 0), 1)


def InceptionV3(
    include_top=True,
    weights="imagenet",
    input_tensor=None,
    input_shape=None,
    pooling=None,
    classes=1000,
    classifier_activation="softmax",
    name="inception_v3",
):
    """InceptionV3; 299x299 inputs by default, at least 75x75."""
    return imagenet_utils.inception_family_model(
        _body,
        75,
        WEIGHTS,
        BASE,
        include_top=include_top,
        weights=weights,
        input_tensor=input_tensor,
        input_shape=input_shape,
        pooling=pooling,
        classes=classes,
        classifier_activation=classifier_activation,
        name=name,
    )


def preprocess_input(x, data_format=None):
    """Pixels in ``[0, 255]`` to ``[-1, 1]`` (mode "tf")."""
    return imagenet_utils.preprocess_input(x, data_format=data_format, mode="tf")


def decode_predictions(preds, top=5):
    """ImageNet class names of the ``top`` scores of each row (see ``imagenet_utils``)."""
    return imagenet_utils.decode_predictions(preds, top=top)
