"""The seed Sequential model: a small CNN for 28x28 grey-scale digits (MNIST-sized input).

    kgraph compile examples/mnist_cnn.py -o mnist.onnx

The file defines one model object, ``model``, so ``kgraph compile`` needs no ``--model``.
"""

import kgraph as keras
from kgraph import layers

model = keras.Sequential(
    [
        keras.Input(shape=(28, 28, 1)),
        layers.Conv2D(32, (3, 3), activation="relu"),
        layers.Flatten(),
        layers.Dense(10, activation="softmax"),
    ]
)
