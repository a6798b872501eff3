"""``ctc_loss`` against brute force over every alignment, greedy ``ctc_decode`` and
``rearrange`` against numpy (eagerly, in a model, in plain onnxruntime), with a gradient check
of the unrolled CTC recursion."""

from __future__ import annotations

import importlib.util
import itertools
import sys
from pathlib import Path

import numpy as np
import pytest

from kgraph import ops, trace
from kgraph.tensor import KerasTensor
from tests.ops import opcheck as ref
from tests.ops.opcheck import case, check_eager, check_model, check_onnx, f32, params

if "harness_vjp" not in sys.modules:  # the autodiff tests' harness, loaded by path
    _spec = importlib.util.spec_from_file_location(
        "harness_vjp", Path(__file__).resolve().parents[1] / "harness_vjp.py"
    )
    _module = importlib.util.module_from_spec(_spec)
    sys.modules["harness_vjp"] = _module
    _spec.loader.exec_module(_module)
from harness_vjp import check_graph_vjp

TARGET = np.array([[1, 2], [2, 2], [1, 0]], np.int32)
TARGET_LEN = np.array([2, 2, 1])
OUT_LEN = np.array([4, 4, 3])


def _collapse(path, blank):
    out = [k for k, _ in itertools.groupby(path)]
    return [k for k in out if k != blank]


def _ctc_brute(logits, target, tlen, olen, blank=0):
    """-log of the summed probability of every path that collapses to the target."""
    logp = np.log(ref.softmax(logits))
    losses = []
    for b in range(len(logits)):
        want = list(target[b, : tlen[b]])
        total = 0.0
        for path in itertools.product(range(logits.shape[2]), repeat=int(olen[b])):
            if _collapse(path, blank) == want:
                total += np.exp(sum(logp[b, t, k] for t, k in enumerate(path)))
        losses.append(-np.log(total))
    return np.array(losses)


def _greedy(x, lengths, blank=0):
    decoded = -np.ones((1, *x.shape[:2]), np.int64)
    for b in range(len(x)):
        best = list(np.argmax(x[b, : lengths[b]], -1))
        labels = _collapse(best, blank)
        decoded[0, b, : len(labels)] = labels
    return decoded


def _beam_exhaustive(z, lengths, top, blank=0):
    """Every label sequence's total probability over all its alignments, best first."""
    logp = np.log(ref.softmax(z))
    decoded = -np.ones((top, *z.shape[:2]), np.int64)
    scores = np.zeros((len(z), top))
    for b in range(len(z)):
        totals = {}
        for path in itertools.product(range(z.shape[2]), repeat=int(lengths[b])):
            key = tuple(_collapse(path, blank))
            p = np.exp(sum(logp[b, t, k] for t, k in enumerate(path)))
            totals[key] = totals.get(key, 0.0) + p
        best = sorted(totals.items(), key=lambda kv: -kv[1])[:top]
        for k, (labels, p) in enumerate(best):
            decoded[k, b, : len(labels)] = labels
            scores[b, k] = np.log(p)
    return decoded, scores


def _rearrange_split(x):
    b, h, w, c = x.shape
    y = x.reshape(b, 2, h // 2, 2, w // 2, c).transpose(0, 1, 3, 2, 4, 5)
    return y.reshape(b * 4, h // 2, w // 2, c)


MODEL_CASES = [
    case(
        "ctc_loss",
        lambda z: ops.ctc_loss(TARGET, z, TARGET_LEN, OUT_LEN),
        lambda z: _ctc_brute(z, TARGET, TARGET_LEN, OUT_LEN),
        f32(3, 4, 3),
        label="blank0",
        rtol=1e-4,
    ),
    case(
        "ctc_loss",
        lambda z: ops.ctc_loss(TARGET - 0, z, TARGET_LEN, OUT_LEN, mask_index=3),
        lambda z: _ctc_brute(z, TARGET, TARGET_LEN, OUT_LEN, blank=3),
        f32(3, 4, 4),
        label="blank3",
        rtol=1e-4,
    ),
    case(
        "ctc_decode",
        lambda z: ops.ctc_decode(z, np.array([5, 3, 4]))[0],
        lambda z: _greedy(z, [5, 3, 4]),
        f32(3, 5, 4),
        dtype="int32",
        label="labels",
    ),
    case(
        "ctc_decode",
        lambda z: ops.ctc_decode(z, np.array([5, 2, 4]))[1],
        lambda z: (
            -np.stack([z[0].max(-1).sum(), z[1, :2].max(-1).sum(), z[2, :4].max(-1).sum()])[:, None]
        ),
        f32(3, 5, 4),
        label="scores",
    ),
    case(
        "ctc_decode",
        lambda z: ops.ctc_decode(z, np.array([4, 3]), "beam_search", 100, 3)[0],
        lambda z: _beam_exhaustive(z, [4, 3], 3)[0],
        f32(2, 4, 3),
        dtype="int32",
        label="beam-labels",
    ),
    case(
        "ctc_decode",
        lambda z: ops.ctc_decode(z, np.array([4, 4]), "beam_search", 100, 2)[1],
        lambda z: _beam_exhaustive(z, [4, 4], 2)[1],
        f32(2, 4, 3),
        label="beam-scores",
        rtol=1e-5,
    ),
    case(
        "rearrange",
        lambda x: ops.rearrange(x, "b h w c -> b c h w"),
        lambda x: x.transpose(0, 3, 1, 2),
        f32(2, 4, 6, 3),
        label="permute",
    ),
    case(
        "rearrange",
        lambda x: ops.rearrange(x, "b (h1 h) (w1 w) c -> (b h1 w1) h w c", h1=2, w1=2),
        _rearrange_split,
        f32(2, 4, 6, 3),
        label="split",
    ),
    case(
        "rearrange",
        lambda x: ops.rearrange(x, "b h w c -> b (c h w)"),
        lambda x: x.transpose(0, 3, 1, 2).reshape(len(x), -1),
        f32(3, 4, 6, 3),
        label="flatten",
        dynamic=True,
    ),
]
# beam search runs eagerly only (its beam has no fixed-shape ONNX form)
EAGER_CASES = [c for c in MODEL_CASES if c.label.startswith("beam")]
MODEL_CASES = [c for c in MODEL_CASES if not c.label.startswith("beam")]
CASES = MODEL_CASES + EAGER_CASES


@pytest.mark.parametrize("c", params(CASES))
def test_eager(c):
    check_eager(c)


@pytest.mark.parametrize("c", params(MODEL_CASES))
def test_model(c):
    check_model(c)


@pytest.mark.parametrize("c", params(MODEL_CASES))
def test_onnx(c):
    check_onnx(c)


def test_ctc_loss_gradient_matches_finite_differences():
    def build(b, values):
        with trace.tracing(trace.Trace(b)):
            z = KerasTensor(values[0].shape, "float64", value=values[0])
            out = ops.ctc_loss(TARGET, z, TARGET_LEN, OUT_LEN)
        return [out._value]

    check_graph_vjp(
        build, [np.random.default_rng(2).standard_normal((3, 4, 3))], wrt=(0,), check=False
    )


def test_errors():
    with pytest.raises(ValueError, match="Invalid strategy"):
        ops.ctc_decode(f32(2, 3, 4), np.array([3, 3]), strategy="best")
    with pytest.raises(ValueError, match="eagerly only"):
        ops.ctc_decode(KerasTensor((2, 3, 4), "float32"), np.array([3, 3]), "beam_search")
    with pytest.raises(ValueError, match="same axes"):
        ops.rearrange(f32(2, 3), "a b -> a c")
    with pytest.raises(ValueError, match="has 3 axes"):
        ops.rearrange(f32(2, 3), "a b c -> a b c")


def test_ctc_loss_with_a_label_length_known_at_run_time_only():
    """keras.io's captcha OCR: labels ``Input((None,))`` and lengths from ``ops.shape``."""
    import kgraph

    class CTC(kgraph.layers.Layer):
        def call(self, inputs):
            y_true, y_pred = inputs
            batch = ops.shape(y_true)[0]
            label_length = ops.shape(y_true)[1] * ops.ones((batch,), dtype="int32")
            input_length = ops.shape(y_pred)[1] * ops.ones((batch,), dtype="int32")
            return ops.ctc_loss(y_true, y_pred, label_length, input_length)

    labels, logits = kgraph.Input((None,)), kgraph.Input((4, 3))
    model = kgraph.Model([labels, logits], CTC()([labels, logits]))
    x = np.random.default_rng(5).standard_normal((3, 4, 3)).astype(np.float32)
    for target in (np.array([[1, 2], [2, 2], [1, 1]]), np.array([[1], [2], [1]])):
        got = model.predict([target.astype(np.float32), x], verbose=0)
        want = _ctc_brute(x, target, [target.shape[1]] * 3, [4] * 3)
        np.testing.assert_allclose(got, want, rtol=1e-4)
