"""Data pipeline benchmark: images/s from a folder of JPEGs, and whether loading slows training.

1. Decode + resize + batch throughput of ``kgraph.utils.image_dataset_from_directory`` over a
   folder of ``--images`` JPEGs of ``--size``x``--size`` pixels (written once into ``--dir``),
   three ways: serial (one thread, no prefetch), threaded decoding without prefetch, and the
   dataset as returned (threaded decoding + prefetch).
2. Step time of the seed CNN (Input(28, 28, 1) → Conv2D(32, 3x3) → Flatten → Dense(10)) fitted
   for one epoch on the same folder loaded at 28x28 grayscale: from numpy arrays in memory (pure
   step time), from the serial pipeline (loading not overlapped) and from the returned dataset
   (loading overlapped with the steps).
3. Keras' own ``image_dataset_from_directory`` needs TensorFlow; it is timed only when
   ``import tensorflow`` works.

``python benchmarks/data_pipeline.py`` (defaults: 2,000 images at 224x224, batches of 32).
"""

from __future__ import annotations

import argparse
import functools
import os
import tempfile
import time

import numpy as np
from machine import cpu_name


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


def _variants(folder: str, size: int, batch: int, **kwargs) -> dict:
    """The same files through the serial, threaded and threaded+prefetch pipelines."""
    from kgraph.utils import AUTOTUNE, Dataset, image_dataset_from_directory
    from kgraph.utils.image_utils import load_resized

    returned = image_dataset_from_directory(
        folder, image_size=(size, size), batch_size=batch, seed=0, verbose=False, **kwargs
    )
    channels = 1 if kwargs.get("color_mode") == "grayscale" else 3
    load = functools.partial(load_resized, image_size=(size, size), num_channels=channels)
    labels = np.array([int(os.path.basename(os.path.dirname(p))[-1]) for p in returned.file_paths])
    files = Dataset.from_tensor_slices((np.array(returned.file_paths), labels))

    def pipeline(parallel):
        mapped = files.map(lambda p, y: (load(str(p)), y), num_parallel_calls=parallel)
        return mapped.batch(batch)

    return {"serial": pipeline(None), "threads": pipeline(AUTOTUNE), "threads+prefetch": returned}


def throughput(folder: str, size: int, batch: int, repeats: int) -> None:
    """Best of ``repeats`` passes per variant, the variants interleaved so that a change in
    the shared machine's load hits them alike."""
    variants = _variants(folder, size, batch)
    best = {name: (float("inf"), 0) for name in variants}
    for _ in range(repeats):
        for name, dataset in variants.items():
            best[name] = min(best[name], _epoch(dataset))
    for name, (seconds, seen) in best.items():
        print(
            f"  kgraph {name:17s} {seen / seconds:8.0f} images/s ({seconds:.2f} s, {seen} images)"
        )


def keras_throughput(folder: str, size: int, batch: int) -> None:
    try:
        import tensorflow as tf  # noqa: F401
    except ImportError:
        print("  Keras + TensorFlow: not timed (TensorFlow is not installed here)")
        return
    os.environ.setdefault("KERAS_BACKEND", "tensorflow")
    import keras

    ds = keras.utils.image_dataset_from_directory(
        folder, image_size=(size, size), batch_size=batch, seed=0, verbose=False
    )
    seconds, seen = _epoch(ds)
    print(f"  Keras+TF (prefetch)      {seen / seconds:8.0f} images/s ({seconds:.2f} s)")


def _seed_cnn():
    import kgraph
    from kgraph import layers

    kgraph.utils.set_random_seed(0)
    model = kgraph.Sequential(
        [
            kgraph.Input((28, 28, 1)),
            layers.Conv2D(32, (3, 3), activation="relu"),
            layers.Flatten(),
            layers.Dense(10, activation="softmax"),
        ]
    )
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    return model


def step_times(folder: str, batch: int, repeats: int) -> None:
    """Best of ``repeats`` one-epoch fits per data source, interleaved."""
    variants = _variants(folder, 28, batch, color_mode="grayscale")
    arrays = [np.concatenate(parts) for parts in zip(*variants["serial"])]
    model = _seed_cnn()
    model.fit(arrays[0][: batch * 4], arrays[1][: batch * 4], batch_size=batch, verbose=0)
    runs = {"numpy in memory": None, **variants}
    steps = -(-len(arrays[0]) // batch)
    best = dict.fromkeys(runs, float("inf"))
    for _ in range(repeats):
        for name, dataset in runs.items():
            start = time.perf_counter()
            if dataset is None:
                model.fit(*arrays, batch_size=batch, epochs=1, shuffle=True, verbose=0)
            else:
                model.fit(dataset, epochs=1, verbose=0)
            best[name] = min(best[name], time.perf_counter() - start)
    for name, seconds in best.items():
        print(f"  seed CNN fit from {name:17s} {seconds / steps * 1e3:6.1f} ms/step")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=2000)
    parser.add_argument("--size", type=int, default=224)
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--repeats", type=int, default=2, help="passes per variant; best counts")
    parser.add_argument("--dir", default=os.path.join(tempfile.gettempdir(), "kgraph_jpegs"))
    args = parser.parse_args()
    folder = f"{args.dir}_{args.images}_{args.size}"
    start = time.perf_counter()
    write_jpegs(folder, args.images, args.size)
    print(f"{args.images} JPEGs of {args.size}x{args.size} in {folder} "
          f"({time.perf_counter() - start:.1f} s to write or check)")  # fmt: skip
    print(f"CPU: {cpu_name()}, {os.cpu_count()} cores; batch size {args.batch}")
    print(f"decode + resize to {args.size}x{args.size} + batch:")
    throughput(folder, args.size, args.batch, args.repeats)
    keras_throughput(folder, args.size, args.batch)
    print("step time, same files at 28x28 grayscale:")
    step_times(folder, args.batch, args.repeats)


if __name__ == "__main__":
    main()
