"""Shape, split and matrix ops (``kgraph/ops/shape_ops.py``, ``split_ops.py``, ``matrix.py``)
against numpy: each case run eagerly, in a model and as ONNX. Ops returning several tensors
are checked through their concatenation."""

from __future__ import annotations

import numpy as np
import pytest

from kgraph import ops
from tests.ops.opcheck import case, check_eager, check_model, check_onnx, f32, i32, params


def c(op, fn, ref, *inputs, **kwargs):
    return case(op, fn, ref, *inputs, **kwargs)


def _joined(parts, axis):
    return ops.concatenate(list(parts), axis=axis)


def _shape_cases():
    return [
        c(
            "tile",
            lambda x: ops.tile(x, (2, 3)),
            lambda x: np.tile(x, (2, 3)),
            f32(2, 3),
            label="2d",
        ),
        c(
            "tile",
            lambda x: ops.tile(x, 2),
            lambda x: np.tile(x, 2),
            i32(2, 3),
            dtype="int32",
            label="int",
        ),
        c(
            "tile",
            lambda x: ops.tile(x, (2, 1, 1)),
            lambda x: np.tile(x, (2, 1, 1)),
            f32(2, 3),
            label="new_axis",
        ),
        c(
            "tile",
            lambda x: ops.tile(x, (1, 2)),
            lambda x: np.tile(x, (1, 2)),
            f32(5, 3),
            label="dyn",
            dynamic=True,
        ),
        c("flip", ops.flip, np.flip, f32(2, 3, 4), label="all"),
        c(
            "flip",
            lambda x: ops.flip(x, 1),
            lambda x: np.flip(x, 1),
            i32(5, 3),
            dtype="int32",
            label="dyn",
            dynamic=True,
        ),
        c("fliplr", ops.fliplr, np.fliplr, f32(3, 4), label="2d"),
        c("fliplr", ops.fliplr, np.fliplr, f32(2, 3, 4), label="3d"),
        c("flipud", ops.flipud, np.flipud, f32(3, 4), label="2d"),
        c("flipud", ops.flipud, np.flipud, i32(4), dtype="int32", label="1d"),
        c("rot90", ops.rot90, np.rot90, f32(3, 4), label="k1"),
        c("rot90", lambda x: ops.rot90(x, 2), lambda x: np.rot90(x, 2), f32(3, 4), label="k2"),
        c(
            "rot90",
            lambda x: ops.rot90(x, -1, (1, 2)),
            lambda x: np.rot90(x, -1, (1, 2)),
            f32(2, 3, 4),
            label="k3_axes",
        ),
        c("roll", lambda x: ops.roll(x, 2), lambda x: np.roll(x, 2), f32(3, 4), label="flat"),
        c(
            "roll",
            lambda x: ops.roll(x, (1, -5), (0, 1)),
            lambda x: np.roll(x, (1, -5), (0, 1)),
            f32(3, 4),
            label="axes",
        ),
        c(
            "roll",
            lambda x: ops.roll(x, -1, 1),
            lambda x: np.roll(x, -1, 1),
            f32(5, 3),
            label="dyn",
            dynamic=True,
        ),
        c(
            "swapaxes",
            lambda x: ops.swapaxes(x, 0, 2),
            lambda x: np.swapaxes(x, 0, 2),
            f32(2, 3, 4),
            label="3d",
        ),
        c(
            "swapaxes",
            lambda x: ops.swapaxes(x, -1, 1),
            lambda x: np.swapaxes(x, -1, 1),
            f32(5, 3, 2),
            label="dyn",
            dynamic=True,
        ),
        c(
            "moveaxis",
            lambda x: ops.moveaxis(x, 0, -1),
            lambda x: np.moveaxis(x, 0, -1),
            f32(2, 3, 4),
            label="one",
        ),
        c(
            "moveaxis",
            lambda x: ops.moveaxis(x, [0, 1], [2, 0]),
            lambda x: np.moveaxis(x, [0, 1], [2, 0]),
            f32(2, 3, 4),
            label="two",
        ),
        c("ravel", ops.ravel, np.ravel, f32(2, 3, 4), label="3d"),
        c("ravel", ops.ravel, np.ravel, i32(3, 2), dtype="int32", label="int"),
        c("append", ops.append, np.append, f32(2, 3), f32(2, 3), label="flat"),
        c(
            "append",
            lambda x, y: ops.append(x, y, 1),
            lambda x, y: np.append(x, y, 1),
            f32(2, 3),
            f32(2, 2),
            label="axis",
        ),
        c(
            "hstack",
            lambda x, y: ops.hstack([x, y]),
            lambda x, y: np.hstack([x, y]),
            f32(2, 3),
            f32(2, 1),
            label="2d",
        ),
        c(
            "hstack",
            lambda x, y: ops.hstack([x, y]),
            lambda x, y: np.hstack([x, y]),
            f32(3),
            f32(2),
            label="1d",
        ),
        c(
            "vstack",
            lambda x, y: ops.vstack([x, y]),
            lambda x, y: np.vstack([x, y]),
            f32(2, 3),
            f32(1, 3),
            label="2d",
        ),
        c(
            "vstack",
            lambda x, y: ops.vstack([x, y]),
            lambda x, y: np.vstack([x, y]),
            f32(3),
            f32(3),
            label="1d",
        ),
        c(
            "dstack",
            lambda x, y: ops.dstack([x, y]),
            lambda x, y: np.dstack([x, y]),
            f32(2, 3),
            f32(2, 3),
            label="2d",
        ),
        c(
            "dstack",
            lambda x, y: ops.dstack([x, y]),
            lambda x, y: np.dstack([x, y]),
            f32(3),
            f32(3),
            label="1d",
        ),
        c(
            "meshgrid",
            lambda x, y: ops.stack(ops.meshgrid(x, y)),
            lambda x, y: np.stack(np.meshgrid(x, y)),
            f32(3),
            f32(4),
            fed=(True, False),
            label="xy",
        ),
        c(
            "meshgrid",
            lambda x, y: ops.stack(ops.meshgrid(x, y, indexing="ij")),
            lambda x, y: np.stack(np.meshgrid(x, y, indexing="ij")),
            f32(3),
            f32(4),
            fed=(True, False),
            label="ij",
        ),
        c("ndim", lambda x: x * ops.ndim(x), lambda x: x * x.ndim, f32(2, 3), label="2d"),
        c("ndim", lambda x: x * ops.ndim(x), lambda x: x * x.ndim, f32(2, 3, 1), label="3d"),
        c("size", lambda x: x * ops.size(x), lambda x: x * x.size, f32(2, 3), label="2d"),
        c(
            "size",
            lambda x: x * ops.size(x),
            lambda x: x * x.size,
            i32(4),
            dtype="int32",
            label="1d",
        ),
    ]


def _split_cases():
    return [
        c(
            "split",
            lambda x: _joined(ops.split(x, 2, 1)[::-1], 1),
            lambda x: np.concatenate(np.split(x, 2, 1)[::-1], 1),
            f32(3, 4),
            label="sections",
        ),
        c(
            "split",
            lambda x: _joined(ops.split(x, [1, 3])[::-1], 0),
            lambda x: np.concatenate(np.split(x, [1, 3])[::-1], 0),
            f32(5, 2),
            label="indices",
        ),
        c(
            "split",
            lambda x: ops.split(x, 3, 1)[1],
            lambda x: np.split(x, 3, 1)[1],
            f32(5, 3),
            label="dyn",
            dynamic=True,
        ),
        c(
            "array_split",
            lambda x: _joined(ops.array_split(x, 3, 1)[::-1], 1),
            lambda x: np.concatenate(np.array_split(x, 3, 1)[::-1], 1),
            f32(2, 7),
            label="uneven",
        ),
        c(
            "array_split",
            lambda x: ops.array_split(x, [2], 0)[1],
            lambda x: np.array_split(x, [2], 0)[1],
            f32(5, 2),
            label="indices",
        ),
        c(
            "hsplit",
            lambda x: ops.hsplit(x, 2)[1],
            lambda x: np.hsplit(x, 2)[1],
            f32(3, 4),
            label="2d",
        ),
        c(
            "hsplit",
            lambda x: ops.hsplit(x, [1])[0],
            lambda x: np.hsplit(x, [1])[0],
            f32(4),
            label="1d",
        ),
        c(
            "vsplit",
            lambda x: ops.vsplit(x, 2)[0],
            lambda x: np.vsplit(x, 2)[0],
            f32(4, 3),
            label="sections",
        ),
        c(
            "vsplit",
            lambda x: ops.vsplit(x, [3])[1],
            lambda x: np.vsplit(x, [3])[1],
            f32(4, 3),
            label="indices",
        ),
        c(
            "dsplit",
            lambda x: ops.dsplit(x, 2)[1],
            lambda x: np.dsplit(x, 2)[1],
            f32(2, 3, 4),
            label="sections",
        ),
        c(
            "dsplit",
            lambda x: ops.dsplit(x, [1])[0],
            lambda x: np.dsplit(x, [1])[0],
            f32(2, 3, 4),
            label="indices",
        ),
        c("unstack", lambda x: ops.unstack(x)[2], lambda x: x[2], f32(3, 4), label="axis0"),
        c(
            "unstack",
            lambda x: ops.unstack(x, axis=-1)[1],
            lambda x: x[..., 1],
            f32(5, 3),
            label="dyn",
            dynamic=True,
        ),
    ]


def _matrix_cases():
    v = f32(3)
    return [
        c("tril", ops.tril, np.tril, f32(3, 4), label="k0"),
        c(
            "tril",
            lambda x: ops.tril(x, -1),
            lambda x: np.tril(x, -1),
            i32(2, 3, 3),
            dtype="int32",
            label="int_batched",
        ),
        c("triu", lambda x: ops.triu(x, 1), lambda x: np.triu(x, 1), f32(4, 3), label="k1"),
        c("triu", ops.triu, np.triu, f32(5, 3, 3), label="dyn", dynamic=True),
        c("diagonal", ops.diagonal, np.diagonal, f32(3, 4), label="2d"),
        c(
            "diagonal",
            lambda x: ops.diagonal(x, -1, 1, 2),
            lambda x: np.diagonal(x, -1, 1, 2),
            f32(5, 3, 4),
            label="dyn",
            dynamic=True,
        ),
        c(
            "diagonal",
            lambda x: ops.diagonal(x, 1, 0, 2),
            lambda x: np.diagonal(x, 1, 0, 2),
            i32(3, 2, 4),
            dtype="int32",
            label="axes",
        ),
        c("trace", ops.trace, np.trace, f32(3, 4), label="2d"),
        c(
            "trace",
            lambda x: ops.trace(x, 1, 1, 2),
            lambda x: np.trace(x, 1, 1, 2),
            f32(5, 3, 3),
            label="dyn",
            dynamic=True,
        ),
        c("diag", ops.diag, np.diag, f32(3, 4), label="matrix"),
        c("diag", lambda x: ops.diag(x, 1), lambda x: np.diag(x, 1), v, label="vector_k1"),
        c(
            "diag",
            lambda x: ops.diag(x, -2),
            lambda x: np.diag(x, -2),
            i32(3),
            dtype="int32",
            label="vector_int",
        ),
        c("diagflat", ops.diagflat, np.diagflat, f32(2, 2), label="k0"),
        c(
            "diagflat",
            lambda x: ops.diagflat(x, -1),
            lambda x: np.diagflat(x, -1),
            f32(3),
            label="k-1",
        ),
        c("tensordot", ops.tensordot, np.tensordot, f32(2, 3, 4), f32(3, 4, 5), label="axes2"),
        c(
            "tensordot",
            lambda x, y: ops.tensordot(x, y, ([0, 2], [1, 0])),
            lambda x, y: np.tensordot(x, y, ([0, 2], [1, 0])),
            f32(2, 3, 4),
            f32(4, 2, 5),
            label="pairs",
        ),
        c(
            "tensordot",
            lambda x, y: ops.tensordot(x, y, 1),
            lambda x, y: np.tensordot(x, y, 1),
            f32(5, 3),
            f32(3, 2),
            label="dyn",
            dynamic=True,
        ),
        c("dot", ops.dot, np.dot, f32(3, 4), f32(4, 2), label="2d"),
        c("dot", ops.dot, np.dot, f32(2, 3, 4), f32(4), label="vector"),
        c("dot", ops.dot, np.dot, f32(2, 3, 4), f32(2, 4, 5), label="nd"),
        c("dot", ops.dot, np.dot, i32(3, 4), i32(4, 2), dtype="int32", label="int"),
        c("vdot", ops.vdot, np.vdot, f32(3, 4), f32(3, 4), label="2d"),
        c("vdot", ops.vdot, np.vdot, f32(5), f32(5), label="1d"),
        c("inner", ops.inner, np.inner, f32(2, 4), f32(3, 4), label="2d"),
        c("inner", ops.inner, np.inner, f32(4), f32(4), label="1d"),
        c("outer", ops.outer, np.outer, f32(3), f32(4), label="1d"),
        c("outer", ops.outer, np.outer, i32(2, 2), i32(3), dtype="int32", label="flattened"),
        c("kron", ops.kron, np.kron, f32(2, 3), f32(2, 2), label="2d"),
        c("kron", ops.kron, np.kron, f32(3), f32(2, 2), label="ranks"),
        c("cross", ops.cross, np.cross, f32(4, 3), f32(4, 3), label="3d"),
        c(
            "cross",
            lambda x, y: ops.cross(x, y, axis=0),
            lambda x, y: np.cross(x, y, axis=0),
            f32(3, 2),
            f32(3, 2),
            label="axis0",
        ),
        c(
            "cross",
            ops.cross,
            lambda x, y: x[..., 0] * y[..., 1] - x[..., 1] * y[..., 0],
            f32(4, 2),
            f32(4, 2),
            label="2d",
        ),
        c("vander", ops.vander, np.vander, f32(4), label="default"),
        c(
            "vander",
            lambda x: ops.vander(x, 3, True),
            lambda x: np.vander(x, 3, True),
            i32(4),
            dtype="int32",
            label="increasing",
        ),
    ]


def _cdist(x, y):
    return np.sqrt(((x[..., :, None, :] - y[..., None, :, :]) ** 2).sum(-1))


def _signal_cases():
    cases = []
    for m, n in [(5, 3), (2, 3), (4, 4)]:
        for mode in ("valid", "same", "full"):
            cases.append(
                c(
                    "correlate",
                    lambda x, y, mode=mode: ops.correlate(x, y, mode),
                    lambda x, y, mode=mode: np.correlate(x, y, mode),
                    f32(m),
                    f32(n),
                    fed=(True, False),
                    label=f"{m}x{n}_{mode}",
                )
            )
    cases += [
        c("corrcoef", ops.corrcoef, np.corrcoef, f32(3, 6), label="rows"),
        c("corrcoef", ops.corrcoef, np.corrcoef, f32(5), label="one"),
        c("cdist", ops.cdist, _cdist, f32(4, 3), f32(5, 3), label="2d"),
        c("cdist", ops.cdist, _cdist, f32(2, 4, 3), f32(2, 2, 3), label="batched"),
        c("cdist", ops.cdist, _cdist, f32(5, 4, 2), f32(1, 3, 2), label="dyn", dynamic=True),
    ]
    return cases


CASES = _shape_cases() + _split_cases() + _matrix_cases() + _signal_cases()


@pytest.mark.parametrize("c", params(CASES))
def test_eager(c):
    check_eager(c)


@pytest.mark.parametrize("c", params(CASES))
def test_in_model(c):
    check_model(c)


@pytest.mark.parametrize("c", params(CASES))
def test_exported_onnx(c):
    check_onnx(c)


def test_errors():
    with pytest.raises(ValueError, match="equal division"):
        ops.split(np.ones((3, 4), np.float32), 3, axis=1)
    with pytest.raises(ValueError, match="at least 2 dimensions"):
        ops.rot90(np.ones(3, np.float32))
    with pytest.raises(ValueError, match="same number of axes"):
        ops.moveaxis(np.ones((2, 3), np.float32), [0, 1], [0])
    with pytest.raises(ValueError, match="length 2 or 3"):
        ops.cross(np.ones((2, 4), np.float32), np.ones((2, 4), np.float32))
