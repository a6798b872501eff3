"""keras.io-style sequence programs (``keras_sequence_programs`` and the audits' translator and
attention models) built in kgraph and in real Keras with the same weights: the predictions, and
for the translator the masked training losses, must agree."""

from __future__ import annotations

import numpy as np
import pytest

import kgraph
from tests.oracle import keras_sequence_programs as programs
from tests.oracle.keras_oracle import MARKS, keras
from tests.sequence_programs import (
    build_query_value_attention,
    build_translator,
    padded_ids,
    translation_pairs,
)

pytestmark = [
    *MARKS,
    pytest.mark.filterwarnings("ignore:Explicitly requested dtype int64:UserWarning"),
    pytest.mark.filterwarnings("ignore:Layer '.*' \\(of type .*\\) was passed an input"),
]
RNG = np.random.default_rng(2)


def same_weights(build, seed=0):
    """``build(lib)`` in kgraph and in Keras with the same random weights (variances > 0)."""
    ours, theirs = build(kgraph), build(keras)
    assert [tuple(w.shape) for w in ours.weights] == [tuple(w.shape) for w in theirs.weights]
    assert ours.count_params() == theirs.count_params()
    rng = np.random.default_rng(seed)
    values = [
        rng.uniform(0.1 if "variance" in w.path else -0.5, 0.5, tuple(w.shape)).astype(w.dtype)
        for w in theirs.weights
    ]
    ours.set_weights(values)
    theirs.set_weights(values)
    return ours, theirs


def normal(*shape):
    return RNG.normal(size=shape).astype("float32")


def padded_series():
    return np.where(np.arange(6)[:, None] < 4, normal(4, 6, 3), 0).astype("float32")


CASES = {
    "imdb_bilstm": (programs.imdb_bilstm, lambda: padded_ids(4, 7)),
    "recurrent_stack": (programs.recurrent_stack, padded_series),
    "seq2seq": (programs.seq2seq, lambda: [normal(4, 5, 6), normal(4, 3, 5)]),
    "timeseries_transformer": (programs.timeseries_transformer, lambda: normal(4, 10, 2)),
    "time_distributed_tagger": (programs.time_distributed_tagger, lambda: padded_ids(4, 6)),
    "query_value_attention": (
        lambda lib: build_query_value_attention(lib, "AdditiveAttention"),
        lambda: [padded_ids(4, 5, 20), padded_ids(4, 6, 20)],
    ),
    "conv_lstm_next_frame": (programs.conv_lstm_next_frame, lambda: normal(2, 3, 8, 8, 1)),
    "bidirectional_variants": (programs.bidirectional_variants, padded_series),
    "bidirectional_initial_state": (
        programs.bidirectional_initial_state,
        lambda: [normal(2, 5, 3)] + [normal(2, 2) for _ in range(4)],
    ),
    "attention_variants": (programs.attention_variants, lambda: [normal(2, 4, 3), normal(2, 5, 3)]),
    "embedding_masks_into_attention": (
        programs.embedding_masks_into_attention,
        lambda: [padded_ids(3, 5, 10), padded_ids(3, 6, 10)],
    ),
    "masked_merges": (
        programs.masked_merges,
        lambda: [padded_ids(2, 5, 10), padded_ids(2, 5, 10), normal(2, 5, 4)],
    ),
    "masks_through_layers": (
        programs.masks_through_layers,
        lambda: [padded_ids(2, 5, 10), normal(2, 5, 3), padded_ids(2, 5) > 0],
    ),
    "wavenet_and_padding_mask_ops": (
        programs.wavenet_and_padding_mask_ops,
        lambda: [normal(2, 9, 2), padded_ids(2, 5, 10)],
    ),
    "video_frames_classifier": (
        programs.video_frames_classifier,
        lambda: RNG.random((2, 3, 8, 8, 3)).astype("float32"),
    ),
}
QUICK = {"seq2seq", "wavenet_and_padding_mask_ops"}  # the rest: 5-18 s of Keras compiling each


@pytest.mark.parametrize(
    "name", [n if n in QUICK else pytest.param(n, marks=pytest.mark.slow) for n in CASES]
)
def test_program_predicts_as_keras(name):
    build, data = CASES[name]
    x = data()
    ours, theirs = same_weights(build)
    want = theirs.predict(x, verbose=0)
    got = ours.predict(x, verbose=0)
    want, got = (v if isinstance(v, list) else [v] for v in (want, got))
    assert len(got) == len(want)
    for g, w in zip(got, want):
        assert g.shape == w.shape
        np.testing.assert_allclose(g, np.asarray(w), rtol=1e-4, atol=1e-5)


@pytest.mark.slow  # Keras compiles each program's predict
@pytest.mark.parametrize(
    "name",
    [
        "imdb_bilstm",
        "bidirectional_variants",
        "masked_merges",
        "video_frames_classifier",
        "embedding_masks_into_attention",  # Keras records Attention's mask op (ConvertToTensor)
    ],
)
def test_saved_files_cross_both_ways(name, tmp_path):
    """kgraph loads Keras' .keras file of the program and Keras loads kgraph's, predicting the
    same (nested cells, Bidirectional's backward layer, a TimeDistributed Sequential)."""
    build, data = CASES[name]
    x = data()
    ours, theirs = same_weights(build)
    want = [np.asarray(w) for w in kgraph.tree.flatten(ours.predict(x, verbose=0))]
    theirs.save(tmp_path / "keras.keras")
    ours.save(tmp_path / "kgraph.keras")
    from_keras = kgraph.saving.load_model(tmp_path / "keras.keras").predict(x, verbose=0)
    from_kgraph = keras.saving.load_model(tmp_path / "kgraph.keras").predict(x, verbose=0)
    for got in (from_keras, from_kgraph):
        for g, w in zip(kgraph.tree.flatten(got), want):
            np.testing.assert_allclose(np.asarray(g), w, rtol=1e-5, atol=1e-6)


@pytest.mark.slow  # Keras compiles the predict and training steps (~40 s)
def test_translator_predicts_and_trains_as_keras():
    """The English-to-Spanish Transformer: padded decoder positions included (the query mask
    is the query tensor's), and the decoder's padding mask leaves padded steps out of the loss."""
    src, tgt = translation_pairs(n=4)
    ours, theirs = same_weights(lambda lib: build_translator(lib, rate=0.0))
    feed = {"encoder_inputs": src, "decoder_inputs": tgt[:, :-1]}
    want = np.asarray(theirs.predict(feed, verbose=0))
    np.testing.assert_allclose(ours.predict(feed, verbose=0), want, rtol=1e-4, atol=1e-6)
    losses = []
    for model in (ours, theirs):
        model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
        fit = model.fit(feed, tgt[:, 1:], batch_size=2, epochs=2, shuffle=False, verbose=0)
        losses.append(fit.history["loss"])
    np.testing.assert_allclose(losses[0], losses[1], rtol=1e-4)
