"""``audio_dataset_from_directory``: Keras 3's folder-of-WAV-files loader without TensorFlow.

Files are listed, shuffled and split exactly as Keras (and kgraph's image and text loaders)
do, so a seed gives the same training and validation files. Each clip is decoded with Python's
``wave`` module into float32 ``(samples, channels)`` in ``[-1, 1)``, the values
``tf.audio.decode_wav`` gives for 16-bit PCM (``sample / 32768``). With
``output_sequence_length`` every clip is cut or zero-padded to that length (``decode_wav``'s
``desired_samples``); otherwise a batch is zero-padded to its longest clip, as
``padded_batch`` does in Keras.

Differences from Keras, each because there is no TensorFlow here: 8-, 24- and 32-bit PCM
files are decoded too (scaled by ``2**(bits - 1)``; TensorFlow reads 16-bit PCM only), other
encodings are refused naming the file; ``ragged=True`` is refused (kgraph has no ragged
tensors); ``sampling_rate`` does not resample (Keras needs tensorflow-io for that): it is
accepted when every file already has that rate, else refused naming a file that has not.
Python's ``wave`` module (before 3.12) refuses WAVE_FORMAT_EXTENSIBLE headers, which
TensorFlow reads when they hold 16-bit PCM. Batches are drawn from a full reshuffle of the
files each pass (Keras shuffles through a buffer of eight batches). The dataset also has
``file_paths``, as the image and text loaders' do.
"""

from __future__ import annotations

import wave

import numpy as np

from kgraph.utils import dataset_utils
from kgraph.utils.image_dataset import paths_and_labels_to_dataset

ALLOWED_FORMATS = (".wav",)


def _wav_error(path, reason):
    return ValueError(
        f"kgraph decodes PCM WAV files with 8, 16, 24 or 32-bit samples only; cannot decode "
        f"{path!r}: {reason}"
    )


def _pcm_to_float(data, width, channels):
    """Little-endian PCM bytes as float32 ``(frames, channels)``; unsigned 8-bit is centred on
    128 as the WAV format stores it."""
    if width == 1:
        values = (np.frombuffer(data, np.uint8).astype(np.float32) - 128.0) / 128.0
    elif width == 3:
        raw = np.frombuffer(data, np.uint8).reshape(-1, 3).astype(np.int32)
        signed = (raw[:, 0] | (raw[:, 1] << 8) | (raw[:, 2] << 16)) << 8 >> 8
        values = signed.astype(np.float32) / 2.0**23
    else:
        kind = np.dtype(f"<i{width}")
        values = (np.frombuffer(data, kind).astype(np.float64) / 2.0 ** (8 * width - 1)).astype(
            np.float32
        )
    return values.reshape(-1, channels)


def wav_header(path):
    """``(sampling rate, channels, bytes per sample)`` of a WAV file, or a ValueError naming
    it when ``wave`` cannot read it (compressed, float or extensible encodings)."""
    try:
        with wave.open(path, "rb") as f:
            return f.getframerate(), f.getnchannels(), f.getsampwidth()
    except (wave.Error, EOFError) as error:
        raise _wav_error(path, error) from None


def read_wav(path, output_sequence_length=None):
    """float32 ``(samples, channels)`` of one file, cut or zero-padded to
    ``output_sequence_length`` when given (``tf.audio.decode_wav``'s ``desired_samples``)."""
    try:
        with wave.open(path, "rb") as f:
            channels, width = f.getnchannels(), f.getsampwidth()
            if width not in (1, 2, 3, 4):
                raise _wav_error(path, f"{8 * width}-bit samples")
            frames = f.getnframes()
            if output_sequence_length is not None:
                frames = min(frames, output_sequence_length)
            audio = _pcm_to_float(f.readframes(frames), width, channels)
    except (wave.Error, EOFError) as error:
        raise _wav_error(path, error) from None
    if output_sequence_length is not None and len(audio) < output_sequence_length:
        audio = np.concatenate(
            [audio, np.zeros((output_sequence_length - len(audio), channels), np.float32)]
        )
    return audio


def _padded_batch(output_sequence_length):
    """Loads a batch of clips into one zero-filled array as long as the longest clip; clips
    with different channel counts cannot share a batch (TensorFlow's ``padded_batch`` fails
    on them too)."""

    def load_batch(paths):
        clips = [read_wav(path, output_sequence_length) for path in paths]
        channels = {clip.shape[1] for clip in clips}
        if len(channels) > 1:
            raise ValueError(
                "All audio files of a batch must have the same number of channels. Received "
                f"files with {sorted(channels)} channels in a batch of {list(paths)}"
            )
        batch = np.zeros((len(clips), max(len(c) for c in clips), channels.pop()), np.float32)
        for row, clip in zip(batch, clips):
            row[: len(clip)] = clip
        return batch

    return load_batch


def _check_arguments(labels, label_mode, class_names, output_sequence_length, ragged):
    dataset_utils.check_label_arguments(
        labels, label_mode, class_names, "audio files", "audio samples", lead="The "
    )
    if ragged and output_sequence_length is not None:
        raise ValueError("Cannot set both `ragged` and `output_sequence_length`")
    if ragged:
        raise ValueError(
            "kgraph has no ragged tensors: `ragged=True` is not supported. Leave "
            "`ragged=False` (batches are zero-padded to their longest clip) or set "
            "`output_sequence_length`."
        )


def _check_sampling_rate(sampling_rate):
    if sampling_rate is None:
        return
    if not isinstance(sampling_rate, int):
        raise ValueError(
            f"`sampling_rate` should have an integer value. Received: sampling_rate={sampling_rate}"
        )
    if sampling_rate <= 0:
        raise ValueError(
            f"`sampling_rate` should be higher than 0. Received: sampling_rate={sampling_rate}"
        )


def _check_files_rate(paths, sampling_rate):
    """Keras resamples with tensorflow-io; kgraph cannot, so every file must already be at
    ``sampling_rate`` (headers only are read)."""
    for path in paths:
        rate = wav_header(path)[0]
        if rate != sampling_rate:
            raise ValueError(
                "kgraph does not resample audio (Keras needs tensorflow-io for "
                f"`sampling_rate`): {path!r} has a sampling rate of {rate}, not "
                f"sampling_rate={sampling_rate}. Resample the files beforehand or leave "
                "`sampling_rate=None`."
            )


def audio_dataset_from_directory(
    directory,
    labels="inferred",
    label_mode="int",
    class_names=None,
    batch_size=32,
    sampling_rate=None,
    output_sequence_length=None,
    ragged=False,
    shuffle=True,
    seed=None,
    validation_split=None,
    subset=None,
    follow_links=False,
    verbose=True,
):
    """A ``Dataset`` of ``(audio, labels)`` batches from a folder of ``.wav`` files (one
    subfolder per class), with Keras 3's arguments, checks and messages.

    ``audio`` is float32 ``(batch, samples, channels)``; labels are int32, one-hot float32
    (``"categorical"``) or float32 ``(batch, 1)`` (``"binary"``); without labels the batches
    are the audio alone. ``subset="both"`` returns a ``(training, validation)`` pair, the
    validation part unshuffled as in Keras. The dataset has ``class_names`` and
    ``file_paths``.
    """
    _check_arguments(labels, label_mode, class_names, output_sequence_length, ragged)
    _check_sampling_rate(sampling_rate)
    if labels is None or label_mode is None:
        labels, label_mode = None, None
    dataset_utils.check_validation_split_arg(validation_split, subset, shuffle, seed)
    if seed is None:
        seed = np.random.randint(1e6)
    paths, labels, class_names = dataset_utils.index_directory(
        directory, labels, ALLOWED_FORMATS, class_names, shuffle, seed, follow_links, verbose
    )
    if label_mode == "binary" and len(class_names) != 2:
        raise ValueError(
            'When passing `label_mode="binary"`, there must be exactly 2 class_names. '
            f"Received: class_names={class_names}"
        )
    splits = dataset_utils.subset_parts(
        paths,
        labels,
        validation_split,
        subset,
        lambda which: (
            f"No {which}audio files found in directory {directory}. "
            f"Allowed format(s): {ALLOWED_FORMATS}"
        ),
    )
    if sampling_rate is not None:
        _check_files_rate([p for _, part_paths, _ in splits for p in part_paths], sampling_rate)
    num_classes = len(class_names) if class_names else 0
    datasets = []
    for part, part_paths, part_labels in splits:
        shuffled = shuffle and part != "validation" if subset == "both" else shuffle
        dataset = paths_and_labels_to_dataset(
            part_paths,
            part_labels,
            label_mode,
            num_classes,
            lambda path: read_wav(path, output_sequence_length),
            shuffled,
            seed,
            batch_size,
            _padded_batch(output_sequence_length),
        )
        dataset.class_names = class_names
        dataset.file_paths = list(part_paths)
        datasets.append(dataset)
    return tuple(datasets) if subset == "both" else datasets[0]
