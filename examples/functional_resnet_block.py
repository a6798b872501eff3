"""A Functional model with one residual block (a ResNet-style skip connection).

    kgraph compile examples/functional_resnet_block.py -o resnet_block.onnx

The main path is two 3x3 convolutions with "same" padding; the skip path is a 1x1 convolution
that projects the input to the same number of channels, so the two can be added. The sum goes
through a ReLU, global average pooling and a softmax classifier.
``build_model()`` is the one model symbol the file defines (``kgraph compile`` calls it).
"""

import kgraph as keras
from kgraph import layers


def build_model(input_shape=(32, 32, 3), filters=16, num_classes=10):
    """Returns the residual-block classifier (a ``kgraph.Model``)."""
    inputs = keras.Input(shape=input_shape, name="image")
    x = layers.Conv2D(filters, (3, 3), padding="same", activation="relu", name="conv_a")(inputs)
    x = layers.Conv2D(filters, (3, 3), padding="same", name="conv_b")(x)
    shortcut = layers.Conv2D(filters, (1, 1), name="projection")(inputs)
    x = layers.Add(name="skip_add")([x, shortcut])
    x = layers.ReLU(name="block_relu")(x)
    x = layers.GlobalAveragePooling2D(name="pool")(x)
    outputs = layers.Dense(num_classes, activation="softmax", name="classifier")(x)
    return keras.Model(inputs=inputs, outputs=outputs, name="resnet_block")
