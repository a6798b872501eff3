"""Model zoo benchmark: for each application, kgraph's compile time (model to ONNX bytes, no
cache), the ONNX file size, onnxruntime latency at batch 1 and throughput at batch 32, against
Keras 3 on JAX (``predict_on_batch``, jit-compiled once) and torchvision's equivalent when
torchvision is installed; then kgraph's training throughput with a frozen base and a new head,
and after unfreezing (fine-tuning).

All frameworks use the same thread count (``--threads``, default: all CPUs). Weights are
random (``weights=None``): speed does not depend on their values.

Run: ``python benchmarks/zoo.py MobileNetV3Small ResNet50 [--repeats 10] [--train-size 128]``
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

import numpy as np

TORCHVISION = {"MobileNetV3Small": "mobilenet_v3_small", "MobileNetV3Large": "mobilenet_v3_large"}
TORCHVISION |= {"ResNet50": "resnet50", "ResNet101": "resnet101", "ResNet152": "resnet152"}
TORCHVISION |= {"MobileNetV2": "mobilenet_v2", "VGG16": "vgg16", "VGG19": "vgg19"}
TORCHVISION |= {"EfficientNetB0": "efficientnet_b0", "DenseNet121": "densenet121"}


def timed(fn, repeats: int) -> float:
    """Median seconds of ``fn()`` after one warm-up call."""
    fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def images(batch: int, size: int = 224) -> np.ndarray:
    return np.random.default_rng(0).uniform(0, 255, (batch, size, size, 3)).astype("float32")


def bench_kgraph(name: str, repeats: int, threads: int) -> dict:
    import onnxruntime as ort

    import kgraph
    from kgraph.models import export

    start = time.perf_counter()
    model = getattr(kgraph.applications, name)(weights=None)
    built = time.perf_counter() - start
    compile_s = timed(lambda: export.inference_bytes(model), max(3, repeats // 3))
    data = export.inference_bytes(model)
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    session = ort.InferenceSession(data, options, providers=["CPUExecutionProvider"])
    feed = session.get_inputs()[0].name
    one, many = images(1), images(32)
    latency = timed(lambda: session.run(None, {feed: one}), repeats)
    batch = timed(lambda: session.run(None, {feed: many}), max(3, repeats // 3))
    return dict(
        build_s=built,
        compile_s=compile_s,
        onnx_mb=len(data) / 1e6,
        latency_ms=latency * 1e3,
        throughput=32 / batch,
    )


def bench_keras(name: str, repeats: int) -> dict:
    os.environ.setdefault("KERAS_BACKEND", "jax")
    import keras

    model = getattr(keras.applications, name)(weights=None)
    one, many = images(1), images(32)
    latency = timed(lambda: np.asarray(model.predict_on_batch(one)), repeats)
    batch = timed(lambda: np.asarray(model.predict_on_batch(many)), max(3, repeats // 3))
    return dict(latency_ms=latency * 1e3, throughput=32 / batch)


def bench_torch(name: str, repeats: int, threads: int) -> dict | None:
    try:
        import torch
        import torchvision
    except ImportError:
        return None
    if name not in TORCHVISION:
        return None
    torch.set_num_threads(threads)
    model = getattr(torchvision.models, TORCHVISION[name])().eval()
    one = torch.from_numpy(images(1).transpose(0, 3, 1, 2).copy())
    many = torch.from_numpy(images(32).transpose(0, 3, 1, 2).copy())
    with torch.inference_mode():
        latency = timed(lambda: model(one), repeats)
        batch = timed(lambda: model(many), max(3, repeats // 3))
    return dict(latency_ms=latency * 1e3, throughput=32 / batch)


def bench_training(name: str, size: int, steps: int) -> dict:
    """Samples/s of kgraph's training step: frozen base + new head, then fine-tuning."""
    import kgraph as keras

    base = getattr(keras.applications, name)(
        weights=None, include_top=False, input_shape=(size, size, 3), pooling="avg"
    )
    inputs = keras.Input((size, size, 3))
    outputs = keras.layers.Dense(10)(base(inputs, training=False))
    model = keras.Model(inputs, outputs)
    x = images(32 * steps, size)
    y = np.random.default_rng(0).integers(0, 10, len(x))
    loss = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    result = {}
    for setup, trainable, lr in (("frozen", False, 1e-3), ("fine_tune", True, 1e-5)):
        base.trainable = trainable
        model.compile(keras.optimizers.Adam(lr), loss)
        model.fit(x[:32], y[:32], batch_size=32, epochs=1, verbose=0)  # build + warm up
        start = time.perf_counter()
        model.fit(x, y, batch_size=32, epochs=1, verbose=0)
        result[setup] = len(x) / (time.perf_counter() - start)
    return result


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", default=["MobileNetV3Small", "ResNet50"])
    parser.add_argument("--repeats", type=int, default=10)
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    parser.add_argument("--train-size", type=int, default=128)
    parser.add_argument("--train-steps", type=int, default=3)
    args = parser.parse_args(argv)
    for name in args.names:
        ours = bench_kgraph(name, args.repeats, args.threads)
        print(
            f"{name}: kgraph build {ours['build_s']:.2f} s, compile {ours['compile_s']:.2f} s, "
            f"ONNX {ours['onnx_mb']:.1f} MB, latency b1 {ours['latency_ms']:.1f} ms, "
            f"throughput b32 {ours['throughput']:.1f} img/s",
            flush=True,
        )
        theirs = bench_keras(name, args.repeats)
        print(
            f"{name}: keras-jax latency b1 {theirs['latency_ms']:.1f} ms, "
            f"throughput b32 {theirs['throughput']:.1f} img/s",
            flush=True,
        )
        torch_result = bench_torch(name, args.repeats, args.threads)
        if torch_result is None:
            print(f"{name}: torchvision not installed or no equivalent; skipped", flush=True)
        else:
            print(
                f"{name}: torchvision latency b1 {torch_result['latency_ms']:.1f} ms, "
                f"throughput b32 {torch_result['throughput']:.1f} img/s",
                flush=True,
            )
        train = bench_training(name, args.train_size, args.train_steps)
        print(
            f"{name}: kgraph training at {args.train_size}x{args.train_size}, batch 32: frozen "
            f"base {train['frozen']:.1f} samples/s, fine-tuning {train['fine_tune']:.1f} "
            "samples/s",
            flush=True,
        )


if __name__ == "__main__":
    main()
