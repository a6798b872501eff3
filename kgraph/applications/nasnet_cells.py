"""NASNet-A's cells (Zoph et al., 2018, Fig. 4) with Keras' layer names and Keras' layer
order, so Keras' published NASNet weight files load by position and by name.

Every cell takes the current tensor ``ip`` and the previous cell's input ``p`` and returns
``(output, ip)``. Batch norms use the TensorFlow-Slim settings the weights were trained with
(momentum 0.9997, epsilon 1e-3); 1x1 convolutions start from ``he_normal`` as in Keras.
"""

from __future__ import annotations

from kgraph import layers
from kgraph.applications import imagenet_utils


def _bn(x, name):
    return layers.BatchNormalization(axis=-1, momentum=0.9997, epsilon=1e-3, name=name)(x)


def _conv1x1(x, filters, name):
    return layers.Conv2D(
        filters,
        (1, 1),
        padding="same",
        use_bias=False,
        name=name,
        kernel_initializer="he_normal",
    )(x)


def separable_conv_block(x, filters, kernel_size=(3, 3), strides=(1, 1), block_id=None):
    """Twice relu, separable convolution, batch norm; a strided block pads like TensorFlow's
    'same' first (``correct_pad``) and convolves 'valid', as the weights were trained."""
    x = layers.Activation("relu")(x)
    padding = "same"
    if tuple(strides) == (2, 2):
        pad = imagenet_utils.correct_pad(x, kernel_size)
        x = layers.ZeroPadding2D(padding=pad, name=f"separable_conv_1_pad_{block_id}")(x)
        padding = "valid"
    x = layers.SeparableConv2D(
        filters,
        kernel_size,
        strides=strides,
        padding=padding,
        use_bias=False,
        name=f"separable_conv_1_{block_id}",
    )(x)
    x = _bn(x, f"separable_conv_1_bn_{block_id}")
    x = layers.Activation("relu")(x)
    x = layers.SeparableConv2D(
        filters, kernel_size, padding="same", use_bias=False, name=f"separable_conv_2_{block_id}"
    )(x)
    return _bn(x, f"separable_conv_2_bn_{block_id}")


def _halve(p, filters, block_id):
    """The factorized reduction of ``p`` to half its size: two strided 1x1 paths (the second
    shifted by one pixel), each with half the filters, concatenated."""
    p = layers.Activation("relu", name=f"adjust_relu_1_{block_id}")(p)
    p1 = layers.AveragePooling2D(
        (1, 1), strides=(2, 2), padding="valid", name=f"adjust_avg_pool_1_{block_id}"
    )(p)
    p1 = _conv1x1(p1, filters // 2, f"adjust_conv_1_{block_id}")
    p2 = layers.ZeroPadding2D(padding=((0, 1), (0, 1)))(p)
    p2 = layers.Cropping2D(cropping=((1, 0), (1, 0)))(p2)
    p2 = layers.AveragePooling2D(
        (1, 1), strides=(2, 2), padding="valid", name=f"adjust_avg_pool_2_{block_id}"
    )(p2)
    p2 = _conv1x1(p2, filters // 2, f"adjust_conv_2_{block_id}")
    p = layers.concatenate([p1, p2], axis=-1)
    return _bn(p, f"adjust_bn_{block_id}")


def adjust_block(p, ip, filters, block_id=None):
    """``p`` brought to ``ip``'s width (a factorized reduction) or to ``filters`` channels (a
    1x1 projection). Like Keras, it compares static shapes: an unknown width counts as equal."""
    if p is None:
        return ip
    if p.shape[-2] != ip.shape[-2]:
        return _halve(p, filters, block_id)
    if p.shape[-1] != filters:
        p = layers.Activation("relu")(p)
        p = _conv1x1(p, filters, f"adjust_conv_projection_{block_id}")
        return _bn(p, f"adjust_bn_{block_id}")
    return p


def _squeeze(ip, filters, kind, block_id):
    """The cell's own input: relu, 1x1 convolution to ``filters``, batch norm."""
    h = layers.Activation("relu")(ip)
    h = _conv1x1(h, filters, f"{kind}_conv_1_{block_id}")
    return _bn(h, f"{kind}_bn_1_{block_id}")


def _avg3(x, strides, padding, name):
    return layers.AveragePooling2D((3, 3), strides=strides, padding=padding, name=name)(x)


def normal_a_cell(ip, p, filters, block_id=None):
    """The normal cell: five pairwise sums of separable convolutions, 3x3 average poolings
    and identities, concatenated with the adjusted previous input."""
    p = adjust_block(p, ip, filters, block_id)
    h = _squeeze(ip, filters, "normal", block_id)
    b = block_id

    def sep(x, kernel, side):
        return separable_conv_block(x, filters, kernel, block_id=f"normal_{side}_{b}")

    x1 = layers.add([sep(h, (5, 5), "left1"), sep(p, (3, 3), "right1")], name=f"normal_add_1_{b}")
    x2 = layers.add([sep(p, (5, 5), "left2"), sep(p, (3, 3), "right2")], name=f"normal_add_2_{b}")
    x3 = _avg3(h, (1, 1), "same", f"normal_left3_{b}")
    x3 = layers.add([x3, p], name=f"normal_add_3_{b}")
    x4_1 = _avg3(p, (1, 1), "same", f"normal_left4_{b}")
    x4_2 = _avg3(p, (1, 1), "same", f"normal_right4_{b}")
    x4 = layers.add([x4_1, x4_2], name=f"normal_add_4_{b}")
    x5 = layers.add([sep(h, (3, 3), "left5"), h], name=f"normal_add_5_{b}")
    x = layers.concatenate([p, x1, x2, x3, x4, x5], axis=-1, name=f"normal_concat_{b}")
    return x, ip


def reduction_a_cell(ip, p, filters, block_id=None):
    """The reduction cell: the same kind of sums with stride 2, halving height and width."""
    p = adjust_block(p, ip, filters, block_id)
    h = _squeeze(ip, filters, "reduction", block_id)
    h3 = layers.ZeroPadding2D(
        padding=imagenet_utils.correct_pad(h, 3), name=f"reduction_pad_1_{block_id}"
    )(h)
    b = block_id

    def sep(x, kernel, side, strides=(2, 2)):
        return separable_conv_block(x, filters, kernel, strides, block_id=f"reduction_{side}_{b}")

    def max3(x, name):
        return layers.MaxPooling2D((3, 3), strides=(2, 2), padding="valid", name=name)(x)

    x1 = layers.add(
        [sep(h, (5, 5), "left1"), sep(p, (7, 7), "right1")], name=f"reduction_add_1_{b}"
    )
    x2_1 = max3(h3, f"reduction_left2_{b}")
    x2 = layers.add([x2_1, sep(p, (7, 7), "right2")], name=f"reduction_add_2_{b}")
    x3_1 = _avg3(h3, (2, 2), "valid", f"reduction_left3_{b}")
    x3 = layers.add([x3_1, sep(p, (5, 5), "right3")], name=f"reduction_add3_{b}")
    x4 = layers.add([x2, _avg3(x1, (1, 1), "same", f"reduction_left4_{b}")])
    x5_1 = sep(x1, (3, 3), "left4", strides=(1, 1))
    x5_2 = max3(h3, f"reduction_right5_{b}")
    x5 = layers.add([x5_1, x5_2], name=f"reduction_add4_{b}")
    x = layers.concatenate([x2, x3, x4, x5], axis=-1, name=f"reduction_concat_{b}")
    return x, ip
