"""MixUp, CutMix and RandomErasing: what each sample becomes, checked through one-hot labels
that reveal the mixing partner and weight; Beta draws against their moments."""

from __future__ import annotations

import numpy as np

import kgraph
from kgraph import layers
from kgraph.layers.preprocessing import base_mixing
from tests.harness import training_graph_outputs

RNG = np.random.default_rng(17)
N = 16


def _batch():
    images = RNG.uniform(0, 255, (N, 6, 7, 3)).astype(np.float32)
    return images, np.eye(N, dtype=np.float32)  # label i is sample i


def _partner(labels, i):
    """(partner index, own weight) read from a mixed one-hot label row."""
    row = labels[i].copy()
    own = row[i]
    row[i] = 0
    return (int(np.argmax(row)) if row.max() > 0 else i), own


def test_beta_moments():
    for alpha in (0.2, 1.0):
        draws = np.asarray(base_mixing.beta(layers.MixUp(seed=3), np.zeros((20000, 1)), alpha))
        assert draws.min() >= 0 and draws.max() <= 1
        assert abs(draws.mean() - 0.5) < 0.01
        assert abs(draws.var() - 0.25 / (2 * alpha + 1)) < 0.01


def test_mixup_mixes_images_and_labels_alike():
    x, y = _batch()
    out = layers.MixUp(alpha=0.5, seed=1)({"images": x, "labels": y})
    for i in range(N):
        j, w = _partner(out["labels"], i)
        if j == i:  # mixed with itself
            np.testing.assert_allclose(out["images"][i], x[i], rtol=1e-5)
            continue
        np.testing.assert_allclose(out["images"][i], w * x[i] + (1 - w) * x[j], atol=1e-3)
    partners = [_partner(out["labels"], i)[0] for i in range(N)]
    assert sorted(partners) == list(range(N))  # a permutation of the batch


def test_cutmix_pastes_one_box_weighted_by_area():
    x, y = _batch()
    out = layers.CutMix(seed=2)({"images": x, "labels": y})
    for i in range(N):
        j, w = _partner(out["labels"], i)
        if j == i:
            continue
        pasted = np.all(out["images"][i] == x[j], axis=-1) & np.any(x[i] != x[j], axis=-1)
        kept = np.all(out["images"][i] == x[i], axis=-1)
        assert np.all(pasted | kept)
        rows, cols = np.nonzero(pasted)
        if rows.size:  # a rectangle
            assert pasted[rows.min() : rows.max() + 1, cols.min() : cols.max() + 1].all()
        assert abs(pasted.mean() - (1 - w)) < 0.35  # the label weight is the box's area share


def test_random_erasing_fills_one_box():
    x = RNG.uniform(0, 255, (200, 10, 10, 3)).astype(np.float32)
    inputs = kgraph.Input((10, 10, 3))
    layer = layers.RandomErasing(factor=(0.5, 0.5), fill_value=(1.0, 2.0, 3.0), seed=4)
    (out,) = training_graph_outputs(kgraph.Model(inputs, layer(inputs)), [x])
    erased = np.all(out == np.array([1.0, 2.0, 3.0], np.float32), axis=-1)
    assert np.all(erased | np.all(out == x, axis=-1))
    touched = erased.any(axis=(1, 2))
    assert 0.35 < touched.mean() < 0.65  # probability 0.5
    for mask in erased[touched]:
        rows, cols = np.nonzero(mask)
        assert mask[rows.min() : rows.max() + 1, cols.min() : cols.max() + 1].all()
        assert mask.mean() <= 0.33 + 0.2  # sides sqrt(s) of the image's, s <= 0.33


def test_mixing_layers_in_models():
    x, _ = _batch()
    for layer in (layers.MixUp(seed=1), layers.CutMix(seed=1), layers.RandomErasing(seed=1)):
        inputs = kgraph.Input((6, 7, 3))
        model = kgraph.Model(inputs, layer(inputs))
        np.testing.assert_array_equal(model.predict(x, verbose=0), x)
        (trained,) = training_graph_outputs(model, [x])
        assert trained.shape == x.shape and not np.array_equal(trained, x)
        config = layer.get_config()
        assert type(layer).from_config(config).get_config() == config


def test_dirichlet_moments():
    for alpha in (1.0, 0.5):
        draws = np.asarray(
            base_mixing.dirichlet(layers.AugMix(seed=4), np.zeros((20000, 1)), 3, alpha)
        )
        np.testing.assert_allclose(draws.sum(axis=1), 1.0, atol=1e-5)
        np.testing.assert_allclose(draws.mean(axis=0), 1 / 3, atol=0.01)
        expected_var = (alpha * 2 * alpha) / ((3 * alpha) ** 2 * (3 * alpha + 1))
        np.testing.assert_allclose(draws.var(axis=0), expected_var, rtol=0.06)


def test_augmix_blends_chains():
    x = RNG.uniform(0, 255, (4, 6, 7, 3)).astype(np.float32)
    layer = layers.AugMix(seed=2)
    t = layer.get_random_transformation(x)
    auto = layer.augmentations.index(
        next(c for c in layer.augmentations if type(c).__name__ == "AutoContrast")
    )
    chains = {**t, "chains": [[auto]] * layer.num_chains, "weight_sample": np.zeros(4, np.float32)}
    np.testing.assert_allclose(
        layer.transform_images(x, chains), layers.AutoContrast()(x), atol=1e-3
    )
    skip = {**t, "chains": [[len(layer.augmentations)]] * layer.num_chains}
    np.testing.assert_allclose(layer.transform_images(x, skip), x, atol=1e-3)
    inputs = kgraph.Input((6, 7, 3))
    model = kgraph.Model(inputs, layer(inputs))
    np.testing.assert_array_equal(model.predict(x, verbose=0), x)
    (trained,) = training_graph_outputs(model, [x])
    assert trained.shape == x.shape
