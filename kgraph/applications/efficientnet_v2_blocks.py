"""The building blocks of EfficientNetV2 (Tan and Le, 2021): the stage tables of each variant
and the MBConv and Fused-MBConv blocks, with Keras' layer names (``block1a_project_conv``, ...)
so that the layers come in the order of Keras' published weight files.

Convolutions with stride 2 use ``padding="same"`` (TensorFlow's asymmetric padding, more at the
bottom and right), as the weights were trained; EfficientNetV1's explicit ``ZeroPadding2D`` is
not used here.
"""

from __future__ import annotations

import math

from kgraph import initializers, layers

#: Stage tables: (num_repeat, input_filters, output_filters, expand_ratio, se_ratio, strides,
#: fused). Every kernel is 3x3. ``fused`` picks Fused-MBConv (a full convolution expands)
#: over MBConv (1x1 expansion, then a depthwise convolution).
_B = [
    (1, 32, 16, 1, 0.0, 1, True),
    (2, 16, 32, 4, 0.0, 2, True),
    (2, 32, 48, 4, 0.0, 2, True),
    (3, 48, 96, 4, 0.25, 2, False),
    (5, 96, 112, 6, 0.25, 1, False),
    (8, 112, 192, 6, 0.25, 2, False),
]
STAGES = {
    "b0": _B,
    "b1": _B,
    "b2": _B,
    "b3": _B,
    "s": [
        (2, 24, 24, 1, 0.0, 1, True),
        (4, 24, 48, 4, 0.0, 2, True),
        (4, 48, 64, 4, 0.0, 2, True),
        (6, 64, 128, 4, 0.25, 2, False),
        (9, 128, 160, 6, 0.25, 1, False),
        (15, 160, 256, 6, 0.25, 2, False),
    ],
    "m": [
        (3, 24, 24, 1, 0.0, 1, True),
        (5, 24, 48, 4, 0.0, 2, True),
        (5, 48, 80, 4, 0.0, 2, True),
        (7, 80, 160, 4, 0.25, 2, False),
        (14, 160, 176, 6, 0.25, 1, False),
        (18, 176, 304, 6, 0.25, 2, False),
        (5, 304, 512, 6, 0.25, 1, False),
    ],
    "l": [
        (4, 32, 32, 1, 0.0, 1, True),
        (7, 32, 64, 4, 0.0, 2, True),
        (7, 64, 96, 4, 0.0, 2, True),
        (10, 96, 192, 4, 0.25, 2, False),
        (19, 192, 224, 6, 0.25, 1, False),
        (25, 224, 384, 6, 0.25, 2, False),
        (7, 384, 640, 6, 0.25, 1, False),
    ],
}
KERNEL_SIZE = 3
BN_MOMENTUM = 0.9


def conv_init():
    """He-style truncated normal on fan-out, the initializer the paper's convolutions use."""
    return initializers.VarianceScaling(2.0, "fan_out", "truncated_normal")


def round_filters(filters, width, divisor=8, min_depth=8):
    """``filters * width`` rounded to the nearest multiple of ``divisor`` (V2 drops V1's
    ``+ divisor`` correction when rounding lost more than 10%)."""
    filters *= width
    return int(max(min_depth, int(filters + divisor / 2) // divisor * divisor))


def round_repeats(repeats, depth):
    return math.ceil(depth * repeats)


def conv_bn(x, filters, kernel, strides, activation, name, conv_name, bn_name, act_name):
    """A bias-free convolution and its batch normalization, then ``activation`` if named."""
    x = layers.Conv2D(
        filters,
        kernel,
        strides=strides,
        padding="same",
        use_bias=False,
        kernel_initializer=conv_init(),
        name=f"{name}{conv_name}",
    )(x)
    x = layers.BatchNormalization(axis=3, momentum=BN_MOMENTUM, name=f"{name}{bn_name}")(x)
    if act_name is None:
        return x
    return layers.Activation(activation, name=f"{name}{act_name}")(x)


def _squeeze_excite(x, filters, filters_in, se_ratio, activation, name):
    """Channel gates from the globally pooled features; the bottleneck is sized from the
    block's *input* filters, as in the reference implementation."""
    se = layers.GlobalAveragePooling2D(name=f"{name}se_squeeze")(x)
    se = layers.Reshape((1, 1, filters), name=f"{name}se_reshape")(se)
    reduce = max(1, int(filters_in * se_ratio))
    for size, act, part in ((reduce, activation, "reduce"), (filters, "sigmoid", "expand")):
        se = layers.Conv2D(
            size,
            1,
            padding="same",
            activation=act,
            kernel_initializer=conv_init(),
            name=f"{name}se_{part}",
        )(se)
    return layers.multiply([x, se], name=f"{name}se_excite")


def _residual(x, inputs, strides, filters_in, filters_out, drop_rate, name):
    """The skip connection when shapes allow, with per-sample drop connect in training."""
    if strides != 1 or filters_in != filters_out:
        return x
    if drop_rate:
        x = layers.Dropout(drop_rate, noise_shape=(None, 1, 1, 1), name=f"{name}drop")(x)
    return layers.add([x, inputs], name=f"{name}add")


def mb_conv(inputs, spec, activation, drop_rate, name):
    """MBConv: 1x1 expansion, depthwise 3x3, squeeze-excite, 1x1 projection, residual."""
    filters_in, filters_out, expand, se_ratio, strides = spec
    filters = filters_in * expand
    x = inputs
    if expand != 1:
        x = conv_bn(
            x, filters, 1, 1, activation, name, "expand_conv", "expand_bn", "expand_activation"
        )
    x = layers.DepthwiseConv2D(
        KERNEL_SIZE,
        strides=strides,
        padding="same",
        use_bias=False,
        depthwise_initializer=conv_init(),
        name=f"{name}dwconv2",
    )(x)
    x = layers.BatchNormalization(axis=3, momentum=BN_MOMENTUM, name=f"{name}bn")(x)
    x = layers.Activation(activation, name=f"{name}activation")(x)
    if 0 < se_ratio <= 1:
        x = _squeeze_excite(x, filters, filters_in, se_ratio, activation, name)
    x = conv_bn(x, filters_out, 1, 1, None, name, "project_conv", "project_bn", None)
    return _residual(x, inputs, strides, filters_in, filters_out, drop_rate, name)


def fused_mb_conv(inputs, spec, activation, drop_rate, name):
    """Fused-MBConv: one full 3x3 convolution expands (and strides), squeeze-excite, a 1x1
    projection; without expansion the 3x3 projection itself is activated."""
    filters_in, filters_out, expand, se_ratio, strides = spec
    filters = filters_in * expand
    x = inputs
    if expand != 1:
        x = conv_bn(
            x,
            filters,
            KERNEL_SIZE,
            strides,
            activation,
            name,
            "expand_conv",
            "expand_bn",
            "expand_activation",
        )
    if 0 < se_ratio <= 1:
        x = _squeeze_excite(x, filters, filters_in, se_ratio, activation, name)
    kernel, stride = (1, 1) if expand != 1 else (KERNEL_SIZE, strides)
    act_name = "project_activation" if expand == 1 else None
    x = conv_bn(
        x, filters_out, kernel, stride, activation, name, "project_conv", "project_bn", act_name
    )
    return _residual(x, inputs, strides, filters_in, filters_out, drop_rate, name)


def blocks(x, stages, width, depth, activation, drop_connect_rate=0.2):
    """Every stage's blocks, named ``block<stage><letter>_``; the drop-connect rate grows
    linearly from 0 over the blocks (counted before depth scaling, as Keras counts them)."""
    total, b = float(sum(stage[0] for stage in stages)), 0
    for i, (repeats, f_in, f_out, expand, se_ratio, strides, fused) in enumerate(stages):
        f_in, f_out = round_filters(f_in, width), round_filters(f_out, width)
        block = fused_mb_conv if fused else mb_conv
        for j in range(round_repeats(repeats, depth)):
            spec = (f_in, f_out, expand, se_ratio, strides)
            x = block(
                x, spec, activation, drop_connect_rate * b / total, f"block{i + 1}{chr(j + 97)}_"
            )
            f_in, strides, b = f_out, 1, b + 1
    return x
