"""Number operators for live scalar views (``optimizer.learning_rate``,
``optimizer.iterations``): each one computes on the view's current ``value``, so that
``lr * 0.5`` or ``iterations % 100 == 0`` read as they do on Keras' scalar variables."""

from __future__ import annotations

import operator

ARITHMETIC = ("add", "sub", "mul", "truediv", "floordiv", "mod", "pow")
COMPARISONS = ("eq", "ne", "lt", "le", "gt", "ge")


def _operator_pair(cls: type, name: str):
    fn = getattr(operator, name)

    def forward(self, other):
        return fn(self.value, other.value if isinstance(other, cls) else other)

    def reflected(self, other):
        return fn(other, self.value)

    return forward, reflected


def _float(self):
    return float(self.value)


def _bool(self):
    return bool(self.value)


def _format(self, format_spec):
    return format(self.value, format_spec)


def _neg(self):
    return -self.value


def _abs(self):
    return abs(self.value)


UNARY = {"float": _float, "bool": _bool, "format": _format, "neg": _neg, "abs": _abs}


def with_scalar_operators(cls: type) -> type:
    """Class decorator: arithmetic (both sides), comparisons, ``float``/``bool``/``format``,
    negation and ``abs`` on ``self.value``. Set after the class body, so the class keeps its
    ``__hash__``."""
    for name, method in UNARY.items():
        setattr(cls, f"__{name}__", method)
    for name in ARITHMETIC:
        forward, reflected = _operator_pair(cls, name)
        setattr(cls, f"__{name}__", forward)
        setattr(cls, f"__r{name}__", reflected)
    for name in COMPARISONS:
        setattr(cls, f"__{name}__", _operator_pair(cls, name)[0])
    return cls
