"""Random normal noise shaped like a tensor (ONNX ``RandomNormalLike``), for the noise layers.

A random node: a compiled graph draws fresh values on every run from the node's ``seed``.
"""

from __future__ import annotations

from kgraph.ops.core import Op, Spec, apply


def _normal_like_lower(b, x, *, mean, stddev, seed):
    return b.op("RandomNormalLike", [x], {"mean": mean, "scale": stddev, "seed": float(seed)})


_normal_like = Op(
    "random_normal_like",
    lambda x, **_: Spec(x.shape, x.dtype),
    _normal_like_lower,
    promote=False,
    random=True,
)


def normal_like(x, mean: float, stddev: float, seed: int):
    """Normal samples of ``x``'s shape and float dtype (``x`` gives only shape and dtype)."""
    return apply(_normal_like, [x], mean=float(mean), stddev=float(stddev), seed=int(seed))
