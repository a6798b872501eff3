"""The models of ``convnet_throughput.py``, each written as its framework's user writes it.

* ``resnet``: the ResNet-style CIFAR model of issue 12 (32x32x3, three stages of
  Conv-BN-ReLU plus a residual block, max pooling between them, global average pooling, Dense
  softmax), batch 64.
* ``seed``: the seed CNN of ``train_throughput.py`` (28x28x1, Conv2D(32) relu, Flatten,
  Dense), batch 128.
* ``mobilenet_frozen`` / ``mobilenet_finetune``: ``applications.MobileNetV3Small``
  (``weights=None``, 96x96x3, no top) with a new Dense head, base frozen or trained, batch 32.
  PyTorch's is ``torch_mobilenet.py`` (torchvision's wheel needs CUDA torch).

kgraph and Keras share one builder (the same API); PyTorch gets modules in NCHW with
``BatchNorm2d(momentum=0.01, eps=1e-3)`` (Keras' defaults) and flattens in NHWC order as Keras.
"""

from __future__ import annotations

SHAPES = {  # model: (input shape, batch)
    "resnet": ((32, 32, 3), 64),
    "seed": ((28, 28, 1), 128),
    "mobilenet_frozen": ((96, 96, 3), 32),
    "mobilenet_finetune": ((96, 96, 3), 32),
}


def keras_model(lib, name: str):
    """The model ``name`` built with ``lib`` (``kgraph`` or ``keras``), uncompiled."""
    layers = lib.layers
    shape = SHAPES[name][0]
    if name == "seed":
        return lib.Sequential(
            [
                lib.Input(shape),
                layers.Conv2D(32, (3, 3), activation="relu"),
                layers.Flatten(),
                layers.Dense(10, activation="softmax"),
            ]
        )
    if name.startswith("mobilenet"):
        base = lib.applications.MobileNetV3Small(
            weights=None, include_top=False, input_shape=shape, include_preprocessing=False
        )
        base.trainable = name == "mobilenet_finetune"
        inputs = lib.Input(shape)
        features = layers.GlobalAveragePooling2D()(base(inputs))
        return lib.Model(inputs, layers.Dense(10, activation="softmax")(features))

    def conv_bn_relu(x, filters, bias=False):
        x = layers.Conv2D(filters, 3, padding="same", use_bias=bias)(x)
        return layers.ReLU()(layers.BatchNormalization()(x))

    def block(x, filters):  # the issue writes the block's convs with Keras' default bias
        y = conv_bn_relu(x, filters, bias=True)
        y = layers.BatchNormalization()(layers.Conv2D(filters, 3, padding="same")(y))
        return layers.ReLU()(layers.Add()([x, y]))

    inputs = lib.Input(shape)
    x = inputs
    for filters, pool in ((32, True), (64, True), (128, False)):
        x = block(conv_bn_relu(x, filters), filters)
        if pool:
            x = layers.MaxPooling2D(2)(x)
    x = layers.GlobalAveragePooling2D()(x)
    return lib.Model(inputs, layers.Dense(10, activation="softmax")(x))


def torch_model(name: str):
    """The PyTorch module of ``name`` (NCHW input, logits out), or None without one."""
    import torch
    from torch import nn

    if name == "seed":

        class Seed(nn.Module):
            def __init__(self):
                super().__init__()
                self.conv, self.dense = nn.Conv2d(1, 32, 3), nn.Linear(26 * 26 * 32, 10)

            def forward(self, x):  # NHWC flatten order, as in Keras
                return self.dense(torch.relu(self.conv(x)).permute(0, 2, 3, 1).flatten(1))

        return Seed()
    if name.startswith("mobilenet"):
        from torch_mobilenet import TransferModel

        return TransferModel(frozen=name == "mobilenet_frozen")
    if name != "resnet":
        return None

    def cbr(cin, cout, bias=False):
        return [nn.Conv2d(cin, cout, 3, padding=1, bias=bias), nn.BatchNorm2d(cout, 1e-3, 0.01)]

    class Block(nn.Module):
        def __init__(self, f):
            super().__init__()
            self.body = nn.Sequential(*cbr(f, f, True), nn.ReLU(), *cbr(f, f, True))

        def forward(self, x):
            return torch.relu(x + self.body(x))

    stages, cin = [], 3
    for f, pool in ((32, True), (64, True), (128, False)):
        stages += [*cbr(cin, f), nn.ReLU(), Block(f)] + ([nn.MaxPool2d(2)] if pool else [])
        cin = f
    return nn.Sequential(*stages, nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(128, 10))
