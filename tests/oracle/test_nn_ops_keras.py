"""Oracle: the ``keras.ops.nn`` compositions of kgraph (moments, normalizations, crossentropies,
attention, adaptive pools, pixel shuffles, fold/unfold) give Keras' (JAX) values and shapes."""

from __future__ import annotations

import numpy as np
import pytest

from kgraph import ops as kops
from tests.oracle.keras_oracle import MARKS, keras

pytestmark = MARKS

RNG = np.random.default_rng(11)
X = RNG.standard_normal((2, 3, 4)).astype(np.float32)
P = RNG.uniform(0.05, 0.95, (3, 5)).astype(np.float32)
T = (RNG.uniform(size=(3, 5)) > 0.5).astype(np.float32)
IMG = RNG.standard_normal((2, 6, 5, 4)).astype(np.float32)
Q = RNG.standard_normal((2, 3, 4, 8)).astype(np.float32)
KV = RNG.standard_normal((2, 5, 2, 8)).astype(np.float32)
MASK = RNG.uniform(size=(2, 4, 3, 5)) > 0.3
BIAS = RNG.standard_normal((1, 1, 3, 5)).astype(np.float32)
CF = RNG.standard_normal((2, 3, 6, 5)).astype(np.float32)

CALLS = {
    "moments": lambda o: o.moments(X, axes=[0, 2]),
    "moments-keepdims": lambda o: o.moments(X, axes=[1], keepdims=True),
    "batch_normalization": lambda o: o.batch_normalization(
        X, X[0, :, 0], np.abs(X[1, :, 1]), axis=1, offset=X[0, :, 1], scale=X[1, :, 2]
    ),
    "normalize-l2": lambda o: o.normalize(X, axis=1),
    "normalize-l3": lambda o: o.normalize(X, order=3),
    "psnr": lambda o: o.psnr(P, P * 0.8, 1.0),
    "rms_normalization": lambda o: o.rms_normalization(X, scale=X[0, 0], epsilon=1e-5),
    "layer_normalization": lambda o: o.layer_normalization(X, X[0, 0], X[1, 0]),
    "layer_normalization-rms": lambda o: o.layer_normalization(X, rms_scaling=True),
    "multi_hot": lambda o: o.multi_hot(np.array([[0, 3], [2, 2]]), 5),
    "binary_crossentropy": lambda o: o.binary_crossentropy(T, P),
    "binary_crossentropy-logits": lambda o: o.binary_crossentropy(T, P * 4 - 2, from_logits=True),
    "categorical_crossentropy": lambda o: o.categorical_crossentropy(T, P),
    "categorical_crossentropy-logits": lambda o: o.categorical_crossentropy(T, P * 3, True),
    "sparse_categorical_crossentropy": lambda o: o.sparse_categorical_crossentropy(
        np.array([4, 0, 2]), P
    ),
    "adaptive_average_pool": lambda o: o.adaptive_average_pool(IMG, (4, 3)),
    "adaptive_max_pool": lambda o: o.adaptive_max_pool(IMG, (4, 2)),
    "dot_product_attention": lambda o: o.dot_product_attention(Q, KV, KV, bias=BIAS, mask=MASK),
    "dot_product_attention-causal": lambda o: o.dot_product_attention(
        Q, KV, KV, scale=0.2, is_causal=True
    ),
    "depth_to_space": lambda o: o.depth_to_space(IMG, 2),
    "depth_to_space-cf": lambda o: o.depth_to_space(
        np.transpose(IMG, (0, 3, 1, 2)), 2, "channels_first"
    ),
    "space_to_depth": lambda o: o.space_to_depth(IMG[:, :, :4], 2),
    "space_to_depth-cf": lambda o: o.space_to_depth(CF[:, :, :, :4], 2, "channels_first"),
    "unfold": lambda o: o.unfold(CF, (2, 3), dilation=(2, 1), padding=1, stride=(1, 2)),
    "fold": lambda o: o.fold(
        RNG_FOLD, output_size=(6, 5), kernel_size=(2, 3), dilation=(2, 1), padding=1, stride=(1, 2)
    ),
    "ctc_loss": lambda o: o.ctc_loss(
        np.array([[1, 2, 2], [3, 0, 0]]), IMG[:, :, 0], np.array([3, 1]), np.array([6, 4])
    ),
    "ctc_loss-mask3": lambda o: o.ctc_loss(
        np.array([[1, 2], [0, 0]]), IMG[:, :, 1], np.array([2, 2]), np.array([5, 6]), 3
    ),
    "ctc_decode": lambda o: o.ctc_decode(IMG[:, :, 0], np.array([6, 4])),
    "ctc_decode-unmerged": lambda o: o.ctc_decode(
        IMG[:, :, 2], np.array([5, 6]), merge_repeated=False
    ),
    "polar": lambda o: o.polar(P, P * 3.0),
    "view_as_real": lambda o: o.view_as_real(o.polar(P, P * 3.0)),
    "view_as_complex": lambda o: o.view_as_complex(IMG[..., :2]),
    "ctc_decode-beam": lambda o: o.ctc_decode(IMG[:, :, 0], np.array([6, 4]), "beam_search", 5, 3),
    "ctc_decode-beam-mask2": lambda o: o.ctc_decode(
        IMG[:, :, 1], np.array([5, 6]), "beam_search", 100, 2, mask_index=2
    ),
    "rearrange": lambda o: o.rearrange(IMG, "b (h2 h) w c -> (b h2) (w c) h", h2=2),
}
RNG_FOLD = np.random.default_rng(3).standard_normal((2, 18, 18)).astype(np.float32)


SLOW_CALLS = {"ctc_decode-beam-mask2"}  # Keras' beam search compiles for ~10 s on jax


@pytest.mark.parametrize(
    "name", [pytest.param(n, marks=[pytest.mark.slow] * (n in SLOW_CALLS)) for n in sorted(CALLS)]
)
def test_matches_keras(name):
    got, want = CALLS[name](kops), CALLS[name](keras.ops)
    got = got if isinstance(got, tuple) else (got,)
    want = want if isinstance(want, tuple) else (want,)
    for g, w in zip(got, want, strict=True):
        g, w = np.asarray(g), np.asarray(w)
        assert g.shape == w.shape, (g.shape, w.shape)
        np.testing.assert_allclose(g, w, rtol=2e-4, atol=2e-5)
