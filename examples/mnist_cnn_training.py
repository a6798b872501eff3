"""The seed CNN (``mnist_cnn.py``) compiled for training: Adam, sparse categorical
crossentropy, accuracy.

    kgraph compile examples/mnist_cnn_training.py --training -o mnist_training/
    python examples/train_from_artifacts.py mnist_training/ --epochs 3

The first command writes the training artifacts: the step, eval and inference graphs, the
initial state and ``training_spec.json``. The second trains from them with nothing but numpy
and onnxruntime. Without ``--training``, ``kgraph compile`` writes the inference graph as usual.
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
model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
