"""``kgraph predict`` and ``kgraph inspect`` as whole processes: start-up time and peak memory.

    python benchmarks/cli_predict.py [--samples 200000] [--repeats 5]

1. Wall time of ``kgraph predict`` on 5 samples and of ``kgraph inspect`` on the seed CNN
   (examples/mnist_cnn.py), median of ``--repeats`` fresh processes: almost all of it is
   imports, so it shows what each command loads.
2. Peak RSS (the child's ``VmHWM``) of ``kgraph predict`` on ``--samples`` samples
   (200,000 x 28x28x1 float32 = 627 MB of input, memory-mapped), next to the same prediction
   done the way kgraph did before streaming (whole result gathered, then serialized to bytes
   and written), in a child process of its own.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
GATHERED = """
import io, sys
import numpy as np
from kgraph.runtime import Predictor
x = np.load(sys.argv[2], mmap_mode="r")
y = Predictor(sys.argv[1], device="cpu").predict(x, batch_size=int(sys.argv[4]))
buffer = io.BytesIO()
np.save(buffer, y)
open(sys.argv[3], "wb").write(buffer.getvalue())
"""


# The child's own high-water mark, written at exit. (ru_maxrss of a child is no use here: Linux
# carries the parent's RSS at fork into it, so every child would report this script's size.)
HWM = """
import atexit, os
def _report():
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                with open(os.environ["KGRAPH_BENCH_HWM"], "w") as out:
                    out.write(line.split()[1])
atexit.register(_report)
"""
CLI = HWM + "import sys\nfrom kgraph.cli import main\nsys.argv[0] = 'kgraph'\nmain()\n"


def run(command: list[str], folder: str) -> tuple[float, float]:
    """Runs ``command``; returns (seconds, peak RSS in MiB of that process)."""
    report = os.path.join(folder, "hwm.txt")
    env = dict(os.environ, KGRAPH_BENCH_HWM=report)
    start = time.perf_counter()
    done = subprocess.run(command, capture_output=True, env=env, check=False)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        raise RuntimeError(f"{command[:4]} failed: {done.stderr.decode()}")
    with open(report) as file:
        return seconds, int(file.read()) / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=200_000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--batch-size", type=int, default=256)
    args = parser.parse_args()
    sys.path.insert(0, ROOT)
    sys.path.insert(0, os.path.join(ROOT, "benchmarks"))
    from machine import cpu_name

    from kgraph.cli_loading import load_model

    kgraph = [sys.executable, "-c", CLI]
    with tempfile.TemporaryDirectory() as folder:
        model_path = os.path.join(folder, "mnist_cnn.onnx")
        model, _ = load_model(os.path.join(ROOT, "examples", "mnist_cnn.py"))
        with open(model_path, "wb") as file:
            file.write(model.to_onnx_bytes())
        small, big = os.path.join(folder, "x5.npy"), os.path.join(folder, "xbig.npy")
        rng = np.random.default_rng(0)
        np.save(small, rng.random((5, 28, 28, 1), dtype=np.float32))
        out = os.path.join(folder, "y.npy")
        print(f"machine: {cpu_name()}, {os.cpu_count()} CPUs")
        for label, command in (
            ("kgraph predict (5 samples)", [*kgraph, "predict", model_path, small, "-o", out]),
            ("kgraph inspect", [*kgraph, "inspect", model_path]),
        ):
            times = [run(command, folder)[0] for _ in range(args.repeats)]
            print(f"{label}: median {statistics.median(times):.2f} s, min {min(times):.2f} s")
        data = np.lib.format.open_memmap(big, "w+", np.float32, (args.samples, 28, 28, 1))
        for start in range(0, args.samples, 10_000):
            rows = min(10_000, args.samples - start)
            data[start : start + rows] = rng.random((rows, 28, 28, 1), dtype=np.float32)
        data.flush()
        del data
        size = os.path.getsize(big) / 2**20
        batch = str(args.batch_size)
        streamed = run(
            [*kgraph, "predict", model_path, big, "-o", out, "--batch-size", batch], folder
        )
        gathered = run(
            [sys.executable, "-c", HWM + GATHERED, model_path, big, out + "2.npy", batch], folder
        )
        out_mib = os.path.getsize(out) / 2**20
        print(f"{args.samples} samples: input {size:.0f} MiB, output {out_mib:.1f} MiB")
        print(f"streamed (kgraph predict): {streamed[0]:.1f} s, peak RSS {streamed[1]:.0f} MiB")
        print(f"gathered (before): {gathered[0]:.1f} s, peak RSS {gathered[1]:.0f} MiB")
        assert np.array_equal(np.load(out, mmap_mode="r"), np.load(out + "2.npy", mmap_mode="r"))


if __name__ == "__main__":
    main()
