"""Model zoo benchmark: for each application, kgraph's compile time (model to ONNX bytes, no
cache), the ONNX file size, onnxruntime latency at batch 1 and throughput at batch 32, against
Keras 3 on JAX (``predict_on_batch``, jit-compiled once) and torchvision's equivalent; then the
training throughput of a frozen base with a new head, and of fine-tuning (base trainable, its
BatchNormalization kept in inference mode as Keras' ``base(x, training=False)`` does), in all
three.

Each framework runs in its own process (their thread pools would otherwise compete), with the
same thread count (``--threads``, default: all CPUs; JAX either uses all CPUs or, with
``--threads 1``, one). Weights are random (``weights=None``):
speed does not depend on their values. torchvision is not a kgraph dependency: its side runs
under ``--torch-python`` (default ``$KGRAPH_TORCH_PYTHON``, else this interpreter when it
imports torchvision); without one, or for a model torchvision lacks, its column says "-".

Run: ``python benchmarks/zoo.py MobileNetV3Small ResNet50 [--repeats 10] [--train-size 128]
[--threads 1] [--torch-python /path/to/venv/bin/python]``
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

import numpy as np

TORCHVISION = {"MobileNetV3Small": "mobilenet_v3_small", "MobileNetV3Large": "mobilenet_v3_large"}
TORCHVISION |= {"ResNet50": "resnet50", "ResNet101": "resnet101", "ResNet152": "resnet152"}
TORCHVISION |= {"MobileNetV2": "mobilenet_v2", "VGG16": "vgg16", "VGG19": "vgg19"}
TORCHVISION |= {"EfficientNetB0": "efficientnet_b0", "DenseNet121": "densenet121"}
TORCHVISION |= {"EfficientNetV2S": "efficientnet_v2_s"}


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
    import keras

    model = getattr(keras.applications, name)(weights=None)
    one, many = images(1), images(32)
    latency = timed(lambda: np.asarray(model.predict_on_batch(one)), repeats)
    batch = timed(lambda: np.asarray(model.predict_on_batch(many)), max(3, repeats // 3))
    return dict(latency_ms=latency * 1e3, throughput=32 / batch)


def bench_torch(name: str, repeats: int) -> dict:
    import torch
    import torchvision

    model = getattr(torchvision.models, TORCHVISION[name])().eval()
    one = torch.from_numpy(images(1).transpose(0, 3, 1, 2).copy())
    many = torch.from_numpy(images(32).transpose(0, 3, 1, 2).copy())
    with torch.inference_mode():
        latency = timed(lambda: model(one), repeats)
        batch = timed(lambda: model(many), max(3, repeats // 3))
    return dict(latency_ms=latency * 1e3, throughput=32 / batch)


def train_keras_api(keras, name: str, size: int, steps: int) -> dict:
    """Samples/s of ``fit`` in kgraph or real Keras (same program): frozen base + new head,
    then fine-tuning. One warm-up batch per setup (compiles the step)."""
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
        model.fit(x[:32], y[:32], batch_size=32, epochs=1, verbose=0)
        start = time.perf_counter()
        model.fit(x, y, batch_size=32, epochs=1, verbose=0)
        result[setup] = len(x) / (time.perf_counter() - start)
    return result


def train_torch(name: str, size: int, steps: int) -> dict:
    """The same two setups on the torchvision model: its classifier replaced by one Linear
    layer over the pooled features; the base's BatchNorm layers stay in eval mode."""
    import torch
    import torchvision

    model = getattr(torchvision.models, TORCHVISION[name])()
    head_name = "fc" if hasattr(model, "fc") else "classifier"
    head = getattr(model, head_name)
    first = head if isinstance(head, torch.nn.Linear) else next(
        m for m in head.modules() if isinstance(m, torch.nn.Linear)
    )  # fmt: skip
    setattr(model, head_name, torch.nn.Linear(first.in_features, 10))
    base = [p for n, p in model.named_parameters() if not n.startswith(head_name + ".")]
    x = torch.from_numpy(images(32 * steps, size).transpose(0, 3, 1, 2).copy())
    y = torch.from_numpy(np.random.default_rng(0).integers(0, 10, len(x)))
    loss_fn = torch.nn.CrossEntropyLoss()
    model.eval()  # BatchNorm in inference mode, as in Keras' base(x, training=False)
    result = {}
    for setup, trainable, lr in (("frozen", False, 1e-3), ("fine_tune", True, 1e-5)):
        for p in base:
            p.requires_grad_(trainable)
        params = [p for p in model.parameters() if p.requires_grad]
        optimizer = torch.optim.Adam(params, lr=lr)

        def step(xb, yb, optimizer=optimizer):
            optimizer.zero_grad()
            loss_fn(model(xb), yb).backward()
            optimizer.step()

        step(x[:32], y[:32])
        start = time.perf_counter()
        for i in range(0, len(x), 32):
            step(x[i : i + 32], y[i : i + 32])
        result[setup] = len(x) / (time.perf_counter() - start)
    return result


def worker(framework: str, name: str, args) -> dict:
    """Inference then training numbers of one framework on one model, in this process."""
    if framework == "torch":
        import torch

        torch.set_num_threads(args.threads)
        result = bench_torch(name, args.repeats)
        result["train"] = train_torch(name, args.train_size, args.train_steps)
        return result
    if framework == "kgraph":
        import kgraph as keras

        result = bench_kgraph(name, args.repeats, args.threads)
    else:
        import keras

        result = bench_keras(name, args.repeats)
    result["train"] = train_keras_api(keras, name, args.train_size, args.train_steps)
    return result


def _torch_python(given: str | None) -> str | None:
    if given:
        return given if os.path.exists(given) else None
    try:
        import torchvision  # noqa: F401
    except Exception:  # a wheel built for another torch fails with RuntimeError, not ImportError
        return None
    return sys.executable


def run_worker(python: str, framework: str, name: str, args) -> dict | None:
    """Runs ``worker`` in a fresh process under ``python``; its JSON result, or None."""
    command = [python, os.path.abspath(__file__), name, "--worker", framework]
    for option in ("repeats", "threads", "train_size", "train_steps"):
        command += [f"--{option.replace('_', '-')}", str(getattr(args, option))]
    env = dict(os.environ, KERAS_BACKEND="jax", KGRAPH_NUM_THREADS=str(args.threads))
    if args.threads == 1:  # XLA's CPU client has no thread count, only this single-thread mode
        env["XLA_FLAGS"] = "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1"
    done = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
    for line in done.stdout.splitlines():
        if line.startswith("RESULT "):
            return json.loads(line[len("RESULT ") :])
    print(f"{name}: {framework} failed:\n{done.stderr[-3000:]}", file=sys.stderr, flush=True)
    return None


def _pair(results: dict, key: str, fmt: str, train: bool = False) -> str:
    cells = []
    for framework in ("kgraph", "keras", "torch"):
        result = results.get(framework)
        source = result and (result["train"] if train else result)
        cells.append(format(source[key], fmt) if source else "-")
    return " / ".join(cells)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", default=["MobileNetV3Small", "ResNet50"])
    parser.add_argument("--repeats", type=int, default=10)
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    parser.add_argument("--train-size", type=int, default=128)
    parser.add_argument("--train-steps", type=int, default=3)
    parser.add_argument("--torch-python", default=os.environ.get("KGRAPH_TORCH_PYTHON"))
    parser.add_argument("--worker", choices=["kgraph", "keras", "torch"], help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        result = worker(args.worker, args.names[0], args)
        print("RESULT " + json.dumps(result), flush=True)
        return
    torch_python = _torch_python(args.torch_python)
    print(f"load average {os.getloadavg()[0]:.1f}; torch side: {torch_python or 'skipped'}")
    rows = []
    for name in args.names:
        results = {}
        for framework in ("kgraph", "keras", "torch"):
            python = torch_python if framework == "torch" else sys.executable
            if python is None or (framework == "torch" and name not in TORCHVISION):
                continue
            results[framework] = run_worker(python, framework, name, args)
            print(f"{name}: {framework} {json.dumps(results[framework])}", flush=True)
        ours = results.get("kgraph") or {"compile_s": float("nan"), "onnx_mb": float("nan")}
        rows.append(
            f"| {name} | {ours['compile_s']:.2f} s | {ours['onnx_mb']:.1f} MB "
            f"| {_pair(results, 'latency_ms', '.1f')} | {_pair(results, 'throughput', '.1f')} "
            f"| {_pair(results, 'frozen', '.1f', True)} "
            f"| {_pair(results, 'fine_tune', '.1f', True)} |"
        )
    print(f"load average at the end {os.getloadavg()[0]:.1f}")
    print("| model | kgraph compile | ONNX size | latency b1 ms | throughput b32 img/s "
          f"| training {args.train_size}px b32, frozen base, samples/s "
          "| fine-tuning, samples/s |")  # fmt: skip
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    print("\n".join(rows))
    print("(each cell: kgraph / Keras-JAX / torchvision)")


if __name__ == "__main__":
    main()
