"""How fast kgraph compiles a ~50-layer CNN to ONNX (trace + passes + serialize).

    python benchmarks/compile_speed.py [--repeats 5]

Builds 16 conv blocks (Conv2D, BatchNormalization, ReLU) in four stages separated by max
pooling, then global average pooling and a Dense head, and times what ``model.to_onnx_bytes()``
does without its cache: ``kgraph.models.export.inference_bytes``. The phases are timed
separately as well. Not a test: numbers depend on the machine (see benchmarks/RESULTS.md).
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import time

import kgraph as keras
from kgraph import layers
from kgraph.compiler import compile_inference, serde
from kgraph.models import export


def build_model(stages: int = 4, blocks: int = 4, width: int = 16) -> keras.Model:
    """The benchmark CNN: ``stages * blocks`` conv blocks of three layers each, plus a head."""
    stack: list = [keras.Input(shape=(64, 64, 3))]
    for stage in range(stages):
        for _ in range(blocks):
            stack += [
                layers.Conv2D(width * 2**stage, 3, padding="same", use_bias=False),
                layers.BatchNormalization(),
                layers.ReLU(),
            ]
        if stage < stages - 1:
            stack.append(layers.MaxPooling2D())
    stack += [
        layers.GlobalAveragePooling2D(),
        layers.Dense(128, activation="relu"),
        layers.Dense(10, activation="softmax"),
    ]
    return keras.Sequential(stack, name="bench_cnn")


def _phases(model) -> tuple[float, float, float]:
    """Seconds spent tracing, running the inference passes and serializing (one compile)."""
    start = time.perf_counter()
    builder = export.trace_model(model)[0]
    traced = time.perf_counter()
    ir_model = compile_inference(builder.graph, export.metadata(model))
    passed = time.perf_counter()
    serde.to_bytes(ir_model)
    return traced - start, passed - traced, time.perf_counter() - passed


def main() -> None:
    from machine import cpu_name  # beside this script (tests load the module without main)

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    model = build_model()
    n_layers = len(model.layers)
    export.inference_bytes(model)  # warm-up: imports, first-call caches
    times = []
    for _ in range(args.repeats):
        start = time.perf_counter()
        data = export.inference_bytes(model)
        times.append(time.perf_counter() - start)
    phases = [_phases(model) for _ in range(args.repeats)]
    trace, passes, serialize = (statistics.median(p[i] for p in phases) for i in range(3))
    median = statistics.median(times)
    print(f"machine: {cpu_name()}, {os.cpu_count()} CPUs, python {platform.python_version()}")
    print(
        f"compile speed: {n_layers} layers, {model.count_params():,} params, "
        f"{len(data) / 1e6:.2f} MB ONNX; median {median:.3f} s (min {min(times):.3f} s) over "
        f"{args.repeats} runs = {n_layers / median:,.0f} layers/s; phases: trace "
        f"{trace:.3f} s, passes {passes:.3f} s, serialize {serialize:.3f} s"
    )


if __name__ == "__main__":
    main()
