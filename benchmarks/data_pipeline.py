"""Data pipeline benchmark: images/s from a folder of JPEGs, kgraph against Keras + TensorFlow,
and whether loading slows the seed CNN's training.

1. Decode + resize + batch throughput of ``image_dataset_from_directory`` over ``--images``
   JPEGs of ``--source-size`` pixels (written once into ``--dir``) resized to ``--size``:
   kgraph's and Keras' own (on TensorFlow), each as returned (parallel decoding + prefetch)
   and without the final prefetch, plus kgraph decoding on one thread as the per-image cost.
   Every measurement runs in a fresh process, the variants alternating, ``--repeats`` rounds;
   the best round counts. A process times one pass after a warm-up pass.
2. Step time of the seed CNN (Input(28, 28, 1) → Conv2D(32, 3x3) → Flatten → Dense(10)) fitted
   for one epoch on the same folder at 28x28 grayscale: from numpy arrays in memory (pure step
   time), from one-thread loading (not overlapped) and from kgraph's dataset without and with
   prefetch (loading overlapped with the steps; the returned dataset in a later epoch, when
   it copies the images it kept, and in a first epoch, decoding every file); every fit
   starts from the same weights. The same again on 28x28 JPEGs (the seed CNN's own size, as
   MNIST's files), and with ``--tf-python`` Keras+TF's seed CNN from numpy and from its own
   dataset, which decodes every file in every epoch.

TensorFlow is not a kgraph dependency: its side runs under ``--tf-python`` (default
``$KGRAPH_TF_PYTHON``, else this interpreter when it imports TensorFlow), e.g. a separate venv
with ``pip install tensorflow-cpu keras pillow numpy``; without one its rows are skipped.

``python benchmarks/data_pipeline.py [--tf-python /work/tfbench/.venv/bin/python]``
(defaults: 2,000 images at 224x224, batches of 32).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

import numpy as np
from machine import cpu_name

# name -> (framework, prefetch); "kgraph serial" is one thread, no prefetch.
VARIANTS = {
    "kgraph": ("kgraph", True),
    "Keras+TF": ("keras", True),
    "kgraph no prefetch": ("kgraph", False),
    "Keras+TF no prefetch": ("keras", False),
    "kgraph serial": ("serial", False),
}


def write_jpegs(folder: str, count: int, size: int, classes: int = 2) -> None:
    """Smooth random images (gradients + noise), so the JPEG sizes are realistic."""
    from PIL import Image

    rng = np.random.default_rng(0)
    ramp = np.linspace(0, 1, size, dtype=np.float32)
    for i in range(count):
        sub = os.path.join(folder, f"class_{i % classes}")
        os.makedirs(sub, exist_ok=True)
        path = os.path.join(sub, f"{i:05d}.jpg")
        if os.path.exists(path):
            continue
        colours = rng.uniform(0, 255, (2, 3)).astype(np.float32)
        base = ramp[:, None, None] * colours[0] + ramp[None, :, None] * colours[1]
        noise = rng.normal(0, 12, (size, size, 3))
        pixels = np.clip(base / 2 + noise, 0, 255).astype(np.uint8)
        Image.fromarray(pixels).save(path, quality=90)


def _epoch(dataset) -> tuple[float, int]:
    start, seen = time.perf_counter(), 0
    for x, _ in dataset:
        seen += len(x)
    return time.perf_counter() - start, seen


def kgraph_dataset(folder, size, batch, prefetch=True, threads=True, **kwargs):
    """kgraph's dataset as returned, or the same pipeline (shuffled files, one worker task per
    batch) without the final prefetch, or on one thread."""
    from kgraph.utils import AUTOTUNE, Dataset, image_dataset_from_directory
    from kgraph.utils.image_utils import load_resized_batch

    returned = image_dataset_from_directory(
        folder, image_size=(size, size), batch_size=batch, seed=0, verbose=False, **kwargs
    )
    if prefetch:
        return returned
    paths = returned.file_paths
    labels = np.array([int(os.path.basename(os.path.dirname(p))[-1]) for p in paths], "int32")
    channels = 1 if kwargs.get("color_mode") == "grayscale" else 3

    def decode(index):  # as the library's worker task: one preallocated batch
        return load_resized_batch([paths[i] for i in index], (size, size), channels), labels[index]

    indices = Dataset.range(len(paths)).shuffle(len(paths), seed=0).batch(batch)
    return indices.map(decode, num_parallel_calls=AUTOTUNE if threads else None)


def keras_dataset(folder, size, batch, prefetch=True):
    """Keras' dataset on TensorFlow as returned, or less its final ``prefetch`` (tf.data keeps
    each transformation's input as ``_input_dataset``)."""
    os.environ.setdefault("KERAS_BACKEND", "tensorflow")
    import keras

    returned = keras.utils.image_dataset_from_directory(
        folder, image_size=(size, size), batch_size=batch, seed=0, verbose=False
    )
    if prefetch:
        return returned
    inner = returned._input_dataset
    assert "Batch" in type(inner).__name__, type(inner)
    return inner


def worker(kind: str, prefetch: bool, folder: str, size: int, batch: int) -> None:
    """One measurement in this process: a warm-up pass (TensorFlow traces its functions,
    the files enter the page cache), then one timed pass; prints a JSON line."""
    if kind == "keras":
        dataset = keras_dataset(folder, size, batch, prefetch)
    else:
        dataset = kgraph_dataset(folder, size, batch, prefetch, threads=kind == "kgraph")
    _epoch(dataset)
    seconds, seen = _epoch(dataset)
    print("RESULT " + json.dumps({"seconds": seconds, "images": seen}), flush=True)


def keras_step_times(folder: str, batch: int, repeats: int) -> None:
    """Keras' own comparison on TensorFlow: the same seed CNN fitted for one epoch from numpy
    arrays and from its ``image_dataset_from_directory`` (which decodes every file in every
    epoch); prints the best ms/step of each as a JSON line."""
    import keras

    dataset = keras.utils.image_dataset_from_directory(
        folder, image_size=(28, 28), batch_size=batch, seed=0, verbose=False,
        color_mode="grayscale",
    )  # fmt: skip
    x, y = (np.concatenate(part) for part in zip(*dataset.as_numpy_iterator()))
    model = _seed_cnn(keras)
    model.fit(x[: batch * 4], y[: batch * 4], batch_size=batch, verbose=0)
    initial, steps = model.get_weights(), -(-len(x) // batch)
    best = {"numpy in memory": float("inf"), "dataset": float("inf")}
    for _ in range(repeats):
        for name in best:
            model.set_weights(initial)
            start = time.perf_counter()
            if name == "dataset":
                model.fit(dataset, epochs=1, verbose=0)
            else:
                model.fit(x, y, batch_size=batch, epochs=1, shuffle=True, verbose=0)
            best[name] = min(best[name], (time.perf_counter() - start) / steps * 1e3)
    print("RESULT " + json.dumps(best), flush=True)


def _tf_python(given: str | None) -> str | None:
    if given:
        return given if os.path.exists(given) else None
    try:
        import tensorflow  # noqa: F401
    except ImportError:
        return None
    return sys.executable


def _run_worker(python, kind, prefetch, folder, args) -> float | None:
    command = [python, os.path.abspath(__file__), "--worker", kind, "--folder", folder]
    command += ["--size", str(args.size), "--batch", str(args.batch)]
    command += [] if prefetch else ["--no-prefetch"]
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2", KERAS_BACKEND="tensorflow")
    if kind != "keras":
        env.pop("KERAS_BACKEND")
    done = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
    for line in done.stdout.splitlines():
        if line.startswith("RESULT "):
            result = json.loads(line[len("RESULT ") :])
            return result["images"] / result["seconds"]
    print(f"  {kind} worker failed:\n{done.stderr[-2000:]}", file=sys.stderr)
    return None


def throughput(folder: str, args) -> None:
    """Best of ``--repeats`` rounds of fresh processes, the variants alternating in each round
    so that a change in the shared machine's load hits them alike."""
    tf_python = _tf_python(args.tf_python)
    if tf_python is None:
        print("  Keras + TensorFlow: skipped (no --tf-python / $KGRAPH_TF_PYTHON interpreter)")
    best = {}
    for _ in range(args.repeats):
        for name, (kind, prefetch) in VARIANTS.items():
            python = tf_python if kind == "keras" else sys.executable
            if python is None:
                continue
            rate = _run_worker(python, kind, prefetch, folder, args)
            if rate is not None:
                best.setdefault(name, []).append(rate)
    for name, rates in best.items():
        spread = ", ".join(f"{r:.0f}" for r in rates)
        print(f"  {name:21s} {max(rates):6.0f} images/s (rounds: {spread})")


def _seed_cnn(lib=None):
    if lib is None:
        import kgraph as lib
    layers = lib.layers
    lib.utils.set_random_seed(0)
    model = lib.Sequential(
        [
            lib.Input((28, 28, 1)),
            layers.Conv2D(32, (3, 3), activation="relu"),
            layers.Flatten(),
            layers.Dense(10, activation="softmax"),
        ]
    )
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    return model


def step_times(folder: str, batch: int, repeats: int, tf_python: str | None) -> None:
    """Best of ``repeats`` one-epoch fits per data source, interleaved, each from the same
    weights; then Keras+TF's own two rows when ``tf_python`` is given."""
    gray = {"color_mode": "grayscale"}
    runs = {
        "one thread": kgraph_dataset(folder, 28, batch, False, threads=False, **gray),
        "no prefetch": kgraph_dataset(folder, 28, batch, False, **gray),
        "prefetch": kgraph_dataset(folder, 28, batch, True, **gray),
    }
    start = time.perf_counter()
    arrays = [np.concatenate(parts) for parts in zip(*runs["one thread"])]
    per_batch = (time.perf_counter() - start) / -(-len(arrays[0]) // batch)
    model = _seed_cnn()
    model.fit(arrays[0][: batch * 4], arrays[1][: batch * 4], batch_size=batch, verbose=0)
    initial = model.get_weights()  # every fit starts here: drifting weights change step times
    # The returned dataset keeps small decoded images: "prefetch" times later epochs (after
    # one untimed epoch), "first epoch" a fresh dataset per fit that decodes every file.
    _epoch(runs["prefetch"])
    runs = {"numpy in memory": None, **runs, "first epoch": None}
    steps = -(-len(arrays[0]) // batch)
    best = dict.fromkeys(runs, float("inf"))
    for _ in range(repeats):
        for name, dataset in runs.items():
            model.set_weights(initial)
            start = time.perf_counter()
            if name == "first epoch":
                model.fit(kgraph_dataset(folder, 28, batch, True, **gray), epochs=1, verbose=0)
            elif dataset is None:
                model.fit(*arrays, batch_size=batch, epochs=1, shuffle=True, verbose=0)
            else:
                model.fit(dataset, epochs=1, verbose=0)
            best[name] = min(best[name], time.perf_counter() - start)
    print(f"  loading one batch on one thread (no model): {per_batch * 1e3:.1f} ms")
    for name, seconds in best.items():
        print(f"  seed CNN fit from {name:15s} {seconds / steps * 1e3:6.1f} ms/step")
    if tf_python is None:
        return
    command = [tf_python, os.path.abspath(__file__), "--worker", "keras-steps"]
    command += ["--folder", folder, "--batch", str(batch), "--repeats", str(repeats)]
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2", KERAS_BACKEND="tensorflow")
    done = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
    lines = [line for line in done.stdout.splitlines() if line.startswith("RESULT ")]
    if not lines:
        print(f"  Keras+TF step worker failed:\n{done.stderr[-2000:]}", file=sys.stderr)
        return
    for name, ms in json.loads(lines[0][len("RESULT ") :]).items():
        print(f"  Keras+TF seed CNN fit from {name:15s} {ms:6.1f} ms/step")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=2000)
    parser.add_argument("--size", type=int, default=224, help="size the images are resized to")
    parser.add_argument("--source-size", type=int, help="size of the JPEGs (default: --size)")
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--repeats", type=int, default=3, help="rounds; best counts")
    parser.add_argument("--dir", default=os.path.join(tempfile.gettempdir(), "kgraph_jpegs"))
    parser.add_argument("--tf-python", default=os.environ.get("KGRAPH_TF_PYTHON"))
    parser.add_argument("--skip-steps", action="store_true", help="throughput only")
    parser.add_argument(
        "--worker", choices=["kgraph", "keras", "serial", "keras-steps"], help=argparse.SUPPRESS
    )
    parser.add_argument("--folder", help=argparse.SUPPRESS)
    parser.add_argument("--no-prefetch", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker == "keras-steps":
        keras_step_times(args.folder, args.batch, args.repeats)
        return
    if args.worker:
        worker(args.worker, not args.no_prefetch, args.folder, args.size, args.batch)
        return
    source = args.source_size or args.size
    folder = f"{args.dir}_{args.images}_{source}"
    start = time.perf_counter()
    write_jpegs(folder, args.images, source)
    print(f"{args.images} JPEGs of {source}x{source} in {folder} "
          f"({time.perf_counter() - start:.1f} s to write or check)")  # fmt: skip
    print(f"CPU: {cpu_name()}, {os.cpu_count()} cores; load average {os.getloadavg()[0]:.1f}")
    print(f"decode + resize to {args.size}x{args.size} + batch {args.batch}, images/s:")
    throughput(folder, args)
    if not args.skip_steps:
        tf_python = _tf_python(args.tf_python)
        print("step time, same files at 28x28 grayscale:")
        step_times(folder, args.batch, args.repeats, tf_python)
        small = f"{args.dir}_{args.images}_28"  # the seed CNN's own size, as MNIST's files
        write_jpegs(small, args.images, 28)
        print("step time, 28x28 JPEGs (no resizing):")
        step_times(small, args.batch, args.repeats, tf_python)
    print(f"load average at the end: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
