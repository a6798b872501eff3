"""MobileNetV3Small in plain PyTorch, for ``convnet_throughput.py``'s transfer-learning rows.

torchvision's PyPI wheel links CUDA torch and does not import on the project's CPU torch, so
the network is written here from its published configuration (Howard et al. 2019, the
"small" table, as Keras' and torchvision's versions build it): a 16-channel stride-2 stem,
eleven inverted-residual blocks (expansion, depthwise 3x3/5x5, squeeze-and-excitation on the
expanded channels rounded to multiples of 8, ReLU or hard-swish), a 576-channel 1x1 conv;
BatchNorm2d(eps=1e-3, momentum=0.01) as Keras' (epsilon 1e-3, momentum 0.999). The head is
global average pooling and a new Linear(576, 10), as in the Keras-style builders.
"""

from __future__ import annotations

import torch
from torch import nn

# (expanded channels, output channels, kernel, stride, squeeze-excite, hard-swish)
SMALL = [
    (16, 16, 3, 2, True, False),
    (72, 24, 3, 2, False, False),
    (88, 24, 3, 1, False, False),
    (96, 40, 5, 2, True, True),
    (240, 40, 5, 1, True, True),
    (240, 40, 5, 1, True, True),
    (120, 48, 5, 1, True, True),
    (144, 48, 5, 1, True, True),
    (288, 96, 5, 2, True, True),
    (576, 96, 5, 1, True, True),
    (576, 96, 5, 1, True, True),
]


def _divisible(value: float, divisor: int = 8) -> int:
    rounded = max(divisor, int(value + divisor / 2) // divisor * divisor)
    return rounded + divisor if rounded < 0.9 * value else rounded


def _conv_bn(cin, cout, kernel=1, stride=1, groups=1, act=None) -> list[nn.Module]:
    layers = [
        nn.Conv2d(cin, cout, kernel, stride, kernel // 2, groups=groups, bias=False),
        nn.BatchNorm2d(cout, eps=1e-3, momentum=0.01),
    ]
    return layers + ([act()] if act else [])


class SqueezeExcite(nn.Module):
    def __init__(self, channels: int):
        super().__init__()
        squeezed = _divisible(channels / 4)
        self.reduce = nn.Conv2d(channels, squeezed, 1)
        self.expand = nn.Conv2d(squeezed, channels, 1)

    def forward(self, x):
        scale = x.mean((2, 3), keepdim=True)
        return x * nn.functional.hardsigmoid(self.expand(torch.relu(self.reduce(scale))))


class InvertedResidual(nn.Module):
    def __init__(self, cin, expanded, cout, kernel, stride, se, hard_swish):
        super().__init__()
        act = nn.Hardswish if hard_swish else nn.ReLU
        body = _conv_bn(cin, expanded, act=act) if expanded != cin else []
        body += _conv_bn(expanded, expanded, kernel, stride, expanded, act)
        body += [SqueezeExcite(expanded)] if se else []
        self.body = nn.Sequential(*body, *_conv_bn(expanded, cout))
        self.residual = stride == 1 and cin == cout

    def forward(self, x):
        return x + self.body(x) if self.residual else self.body(x)


class TransferModel(nn.Module):
    """MobileNetV3Small base + new head; with ``frozen`` the base has no gradients and its
    BatchNorm stays in inference mode in ``train()`` (Keras' frozen-base semantics)."""

    def __init__(self, frozen: bool, classes: int = 10):
        super().__init__()
        blocks, cin = _conv_bn(3, 16, 3, 2, act=nn.Hardswish), 16
        for expanded, cout, kernel, stride, se, hard_swish in SMALL:
            blocks.append(InvertedResidual(cin, expanded, cout, kernel, stride, se, hard_swish))
            cin = cout
        self.base = nn.Sequential(*blocks, *_conv_bn(cin, 576, act=nn.Hardswish))
        self.head = nn.Linear(576, classes)
        self.frozen = frozen
        self.base.requires_grad_(not frozen)

    def train(self, mode: bool = True):
        super().train(mode)
        if self.frozen:
            self.base.eval()
        return self

    def forward(self, x):
        return self.head(self.base(x).mean((2, 3)))
