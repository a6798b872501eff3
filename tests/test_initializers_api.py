"""``kgraph.initializers``: Keras' names and aliases, exact values where deterministic and
statistics where random."""

from __future__ import annotations

import numpy as np
import pytest

from kgraph import initializers as ki

ALIASES = [
    ("Identity", "identity"),
    ("Identity", "IdentityInitializer"),
    ("Orthogonal", "orthogonal"),
    ("Orthogonal", "OrthogonalInitializer"),
    ("STFT", "stft"),
    ("STFT", "STFTInitializer"),
    ("Zeros", "zeros"),
    ("Ones", "ones"),
    ("Constant", "constant"),
    ("RandomNormal", "random_normal"),
    ("RandomUniform", "random_uniform"),
    ("TruncatedNormal", "truncated_normal"),
    ("VarianceScaling", "variance_scaling"),
    ("GlorotNormal", "glorot_normal"),
    ("GlorotUniform", "glorot_uniform"),
    ("HeNormal", "he_normal"),
    ("HeUniform", "he_uniform"),
    ("LecunNormal", "lecun_normal"),
    ("LecunUniform", "lecun_uniform"),
]


@pytest.mark.parametrize("cls,alias", ALIASES)
def test_aliases_are_the_classes(cls, alias):
    assert getattr(ki, alias) is getattr(ki, cls)


def test_identity_values_and_errors():
    np.testing.assert_array_equal(ki.Identity(gain=2.0)((2, 3)), 2.0 * np.eye(2, 3))
    assert ki.get("identity")((3, 3), "float64").dtype == np.float64
    with pytest.raises(ValueError, match="shape=\\(2, 2, 2\\)"):
        ki.Identity()((2, 2, 2))


@pytest.mark.parametrize("shape", [(4, 4), (3, 6), (6, 3), (2, 3, 5)])
def test_orthogonal_is_orthogonal_and_seeded(shape):
    w = ki.Orthogonal(gain=1.5, seed=3)(shape).astype(np.float64)
    assert w.shape == shape
    m = w.reshape(-1, shape[-1]) / 1.5
    small = min(m.shape)
    gram = m.T @ m if m.shape[0] >= m.shape[1] else m @ m.T
    np.testing.assert_allclose(gram, np.eye(small), atol=1e-5)
    np.testing.assert_array_equal(w, ki.Orthogonal(gain=1.5, seed=3)(shape))
    assert not np.allclose(w, ki.Orthogonal(gain=1.5, seed=4)(shape))
    with pytest.raises(ValueError, match="at least two-dimensional"):
        ki.Orthogonal()((3,))


def _dft(frame, bins, side):
    n = (bins - 1) * 2
    t, f = np.arange(frame)[:, None], np.arange(bins)[None, :]
    e = np.exp(-2j * np.pi * t * f / n)
    return (e.real if side == "real" else e.imag)[:, None, :]


@pytest.mark.parametrize("side", ["real", "imag"])
def test_stft_kernel_is_a_windowed_dft(side):
    frame, bins = 8, 5
    win = 0.5 - 0.5 * np.cos(2 * np.pi * np.arange(frame) / (frame - 1))  # symmetric Hann
    got = ki.STFT(side, "hann", "density")((frame, 1, bins))
    want = _dft(frame, bins, side) * win[:, None, None] / np.sqrt(np.sum(win**2))
    np.testing.assert_allclose(got, want, atol=1e-6)
    plain = ki.STFT(side, None, None)((frame, 1, bins))
    np.testing.assert_allclose(plain, _dft(frame, bins, side), atol=1e-6)
    periodic = 0.5 - 0.5 * np.cos(2 * np.pi * np.arange(frame) / frame)
    got = ki.STFT(side, "hann", "spectrum", periodic=True)((frame, 1, bins))
    want = _dft(frame, bins, side) * periodic[:, None, None] / periodic.sum()
    np.testing.assert_allclose(got, want, atol=1e-6)


def test_stft_rejects_bad_arguments():
    with pytest.raises(ValueError, match="side"):
        ki.STFT(side="both")
    with pytest.raises(ValueError, match="Scaling"):
        ki.STFT(scaling="l3")
    with pytest.raises(ValueError, match="window"):
        ki.STFT(window=np.ones(3))((4, 1, 3))


@pytest.mark.parametrize(
    "name,std",
    [
        ("he_normal", np.sqrt(2 / 200)),
        ("lecun_normal", np.sqrt(1 / 200)),
        ("glorot_normal", np.sqrt(2 / 300)),
        ("he_uniform", np.sqrt(2 / 200)),
        ("lecun_uniform", np.sqrt(1 / 200)),
        ("glorot_uniform", np.sqrt(2 / 300)),
    ],
)
def test_variance_scaling_presets_have_keras_variance(name, std):
    w = ki.get(name)((200, 100)).astype(np.float64)
    assert abs(w.std() - std) < 0.03 * std
    assert abs(w.mean()) < 0.05 * std


def test_serialize_roundtrip_and_deserialize():
    for init in (ki.Orthogonal(gain=2.0, seed=1), ki.Identity(gain=3.0), ki.STFT("imag")):
        back = ki.deserialize(ki.serialize(init))
        assert type(back) is type(init) and back.get_config() == init.get_config()
    assert isinstance(ki.deserialize("orthogonal"), ki.Orthogonal)
