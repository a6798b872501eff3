"""``audio_dataset_from_directory``: Keras' listing, messages, splits and label modes over
small folders of real WAV files, the decoded samples against numpy's reading of the bytes the
test wrote (``tf.audio.decode_wav``'s ``int16 / 32768``), Keras' zero padding and cutting,
and its errors."""

from __future__ import annotations

import os
import wave

import numpy as np
import pytest

from kgraph.utils.audio_dataset import audio_dataset_from_directory, read_wav

RNG = np.random.default_rng(11)


def write_wav(path, samples, rate=16000, width=2):
    """Writes integer ``samples`` ``(frames, channels)`` as PCM of ``width`` bytes."""
    samples = np.asarray(samples)
    if width == 1:
        data = samples.astype(np.uint8).tobytes()
    elif width == 3:
        data = samples.astype("<i4").view(np.uint8).reshape(-1, 4)[:, :3].tobytes()
    else:
        data = samples.astype(f"<i{width}").tobytes()
    with wave.open(str(path), "wb") as f:
        f.setnchannels(samples.shape[1])
        f.setsampwidth(width)
        f.setframerate(rate)
        f.writeframes(data)


@pytest.fixture
def audio_dir(tmp_path):
    """Three classes (5, 4 and 3 clips) of 16-bit mono clips, 3 to 40 samples long; returns
    the directory and ``{path: int16 samples}``."""
    clips = {}
    for name, count in (("dog", 4), ("bird", 5), ("cat", 3)):
        os.makedirs(tmp_path / name)
        for i in range(count):
            samples = RNG.integers(-32768, 32768, size=(int(RNG.integers(3, 41)), 1))
            path = str(tmp_path / name / f"clip_{i}.wav")
            write_wav(path, samples)
            clips[path] = samples
    (tmp_path / "bird" / "notes.txt").write_text("not audio")
    return str(tmp_path), clips


def _reference(samples):
    return (np.asarray(samples, np.float64) / 32768.0).astype(np.float32)


def test_messages_shapes_labels_and_zero_padding(audio_dir, capsys):
    directory, clips = audio_dir
    ds = audio_dataset_from_directory(directory, batch_size=5, seed=3)
    assert capsys.readouterr().out == "Found 12 files belonging to 3 classes.\n"
    assert ds.class_names == ["bird", "cat", "dog"]
    assert len(ds.file_paths) == 12 and set(ds.file_paths) == set(clips)
    batches = list(ds)
    assert [x.shape[0] for x, _ in batches] == [5, 5, 2]
    seen = []
    for audio, labels in batches:  # shuffled: match each row to the one clip it holds
        assert audio.dtype == np.float32 and labels.dtype == np.int32
        for row, label in zip(audio, labels):
            (path,) = [
                p
                for p, c in clips.items()
                if len(c) <= len(row)
                and np.array_equal(row[: len(c)], _reference(c))
                and not row[len(c) :].any()
            ]
            assert ds.class_names[label] == os.path.basename(os.path.dirname(path))
            seen.append(path)
        assert audio.shape[1] == max(len(clips[p]) for p in seen[-len(labels) :])
    assert sorted(seen) == sorted(clips)


def test_unshuffled_order_is_sorted_and_unbatched_elements_keep_their_length(audio_dir):
    directory, clips = audio_dir
    ds = audio_dataset_from_directory(directory, shuffle=False, batch_size=None, verbose=False)
    expected = sorted(clips, key=lambda p: (os.path.dirname(p), os.path.basename(p)))
    assert ds.file_paths == expected
    for (audio, label), path in zip(ds, expected):
        np.testing.assert_array_equal(audio, _reference(clips[path]))
        assert label.shape == () and int(label) == ["bird", "cat", "dog"].index(
            os.path.basename(os.path.dirname(path))
        )


def test_output_sequence_length_cuts_and_pads_every_clip(audio_dir):
    directory, clips = audio_dir
    ds = audio_dataset_from_directory(
        directory, output_sequence_length=20, shuffle=False, batch_size=4, verbose=False
    )
    audio = np.concatenate([x for x, _ in ds])
    assert audio.shape == (12, 20, 1)
    for row, path in zip(audio, ds.file_paths):
        expected = np.zeros((20, 1), np.float32)
        n = min(20, len(clips[path]))
        expected[:n] = _reference(clips[path][:n])
        np.testing.assert_array_equal(row, expected)


@pytest.mark.parametrize(
    "mode, check",
    [
        ("categorical", lambda y, i: np.array_equal(y, np.eye(3, dtype=np.float32)[i])),
        (None, None),
    ],
)
def test_label_modes(audio_dir, mode, check):
    directory, _ = audio_dir
    ds = audio_dataset_from_directory(directory, label_mode=mode, shuffle=False, verbose=False)
    element = next(iter(ds))
    if mode is None:
        assert isinstance(element, np.ndarray) and element.shape[:2] == (12, 40)
        return
    _, labels = element
    assert labels.dtype == np.float32 and labels.shape == (12, 3)
    assert check(labels, [0] * 5 + [1] * 3 + [2] * 4)


def test_binary_labels_and_explicit_labels(tmp_path):
    for name in ("no", "yes"):
        os.makedirs(tmp_path / name)
        for i in range(2):
            write_wav(tmp_path / name / f"{i}.wav", np.full((4, 1), i + 1))
    ds = audio_dataset_from_directory(str(tmp_path), label_mode="binary", shuffle=False)
    _, labels = next(iter(ds))
    np.testing.assert_array_equal(labels, np.array([[0], [0], [1], [1]], np.float32))
    ds = audio_dataset_from_directory(
        str(tmp_path), labels=[3, 1, 2, 0], shuffle=False, verbose=False
    )
    np.testing.assert_array_equal(next(iter(ds))[1], [3, 1, 2, 0])
    assert ds.class_names == ["0", "1", "2", "3"]


def test_validation_split_is_disjoint_and_both_is_a_tuple(audio_dir, capsys):
    directory, _ = audio_dir
    kwargs = dict(validation_split=0.25, seed=5, verbose=False)
    train = audio_dataset_from_directory(directory, subset="training", **kwargs)
    val = audio_dataset_from_directory(directory, subset="validation", **kwargs)
    out = capsys.readouterr().out
    assert "Using 9 files for training." in out and "Using 3 files for validation." in out
    assert len(set(train.file_paths) | set(val.file_paths)) == 12
    assert not set(train.file_paths) & set(val.file_paths)
    both = audio_dataset_from_directory(directory, subset="both", **kwargs)
    assert isinstance(both, tuple) and len(both) == 2
    assert both[0].file_paths == train.file_paths and both[1].file_paths == val.file_paths
    # Keras leaves the validation half of "both" unshuffled: batches follow file_paths.
    audio = np.concatenate([x for x, _ in both[1]])
    first = read_wav(both[1].file_paths[0])
    np.testing.assert_array_equal(audio[0, : len(first)], first)


@pytest.mark.parametrize("width", [1, 3, 4])
def test_other_pcm_widths_scale_by_their_range(tmp_path, width):
    bits = 8 * width
    if width == 1:
        samples = RNG.integers(0, 256, size=(9, 2))
        expected = (samples - 128) / 128.0
    else:
        samples = RNG.integers(-(2 ** (bits - 1)), 2 ** (bits - 1), size=(9, 2))
        samples[:2, 0] = [-(2 ** (bits - 1)), 2 ** (bits - 1) - 1]
        expected = samples / 2.0 ** (bits - 1)
    path = str(tmp_path / "a.wav")
    write_wav(path, samples, width=width)
    audio = read_wav(path)
    assert audio.dtype == np.float32 and audio.shape == (9, 2)
    np.testing.assert_allclose(audio, expected, rtol=1e-6, atol=1e-7)


def test_stereo_clips_keep_their_channels(tmp_path):
    os.makedirs(tmp_path / "a")
    samples = RNG.integers(-32768, 32768, size=(7, 2))
    write_wav(tmp_path / "a" / "s.wav", samples)
    audio, _ = next(iter(audio_dataset_from_directory(str(tmp_path), verbose=False)))
    np.testing.assert_array_equal(audio[0], _reference(samples))


def test_sampling_rate(audio_dir):
    directory, _ = audio_dir
    ds = audio_dataset_from_directory(directory, sampling_rate=16000, verbose=False, seed=1)
    assert next(iter(ds))[0].shape[0] == 12
    with pytest.raises(ValueError, match=r"does not resample.*sampling_rate=8000"):
        audio_dataset_from_directory(directory, sampling_rate=8000, verbose=False)
    with pytest.raises(ValueError, match="should have an integer value"):
        audio_dataset_from_directory(directory, sampling_rate=16000.0)
    with pytest.raises(ValueError, match="should be higher than 0"):
        audio_dataset_from_directory(directory, sampling_rate=0)


def test_keras_argument_errors(audio_dir):
    directory, _ = audio_dir
    cases = [
        (dict(labels="folders"), "should be a list/tuple of integer"),
        (dict(labels=[0] * 12, class_names=["a"]), "You can only pass `class_names`"),
        (dict(label_mode="sparse"), "`label_mode` argument must be one of"),
        (dict(ragged=True, output_sequence_length=4), "Cannot set both `ragged`"),
        (dict(ragged=True), "no ragged tensors"),
        (dict(label_mode="binary"), "exactly 2 class_names"),
        (dict(validation_split=0.2, subset="training"), "you must provide a `seed`"),
        (dict(validation_split=0.2), "If `subset` is set"),
    ]
    for kwargs, message in cases:
        with pytest.raises(ValueError, match=message):
            audio_dataset_from_directory(directory, verbose=False, **kwargs)


def test_no_files_and_undecodable_files_are_errors(tmp_path):
    os.makedirs(tmp_path / "empty")
    with pytest.raises(ValueError, match="No audio files found"):
        audio_dataset_from_directory(str(tmp_path), labels=None, verbose=False)
    path = tmp_path / "empty" / "float.wav"
    header = b"RIFF" + (36 + 8).to_bytes(4, "little") + b"WAVEfmt " + (16).to_bytes(4, "little")
    fmt = (3).to_bytes(2, "little") + (1).to_bytes(2, "little") + (8000).to_bytes(4, "little")
    fmt += (32000).to_bytes(4, "little") + (4).to_bytes(2, "little") + (32).to_bytes(2, "little")
    path.write_bytes(header + fmt + b"data" + (8).to_bytes(4, "little") + bytes(8))
    ds = audio_dataset_from_directory(str(tmp_path), verbose=False)
    with pytest.raises(ValueError, match=r"float\.wav"):
        next(iter(ds))
