"""Training and inference throughput of convnets: kgraph vs PyTorch CPU eager vs Keras-JAX.

    python benchmarks/convnet_throughput.py [--models resnet,seed,mobilenet_frozen,...]
        [--frameworks kgraph,torch,torch_cl,keras] [--steps 20] [--repeats 3] [--rounds 2]
        [--threads N] [--profile] [--kgraph-root PATH]

The models are in ``convnet_models.py`` (issue 12's ResNet-style CIFAR model, the seed CNN,
MobileNetV3Small transfer learning frozen and fine-tuned). Adam (lr 1e-3, eps 1e-7) on sparse
categorical cross-entropy, random data. Every (model, framework) pair runs in its own process
(its own peak RSS); the processes alternate over ``--rounds`` and each pair's best round counts,
and inside a process each timed section runs ``--repeats`` times and the best run counts, so a
busy spell on a shared host does not land on one framework only. ``torch`` is NCHW,
``torch_cl`` the same model in channels_last memory format.

``--profile`` adds, for kgraph, onnxruntime's per-node profile of the training step: the median
kernel time of each node over the timed steps, summed by node type (ms/step). Kernel times are
wall times inside each kernel, so a loaded host inflates them too; with ``--threads 1`` the
share of each node type is what is least disturbed by other processes.

On a shared host, run the measuring command with ``OPENBLAS_CORETYPE`` and ``OPENBLAS_L2_SIZE``
unset if the machine's default sets them (numpy/torch sgemm is ~2x slower with them). Not a
test: numbers depend on the machine (see benchmarks/RESULTS.md).
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import resource
import subprocess
import sys
import time

import numpy as np
from convnet_models import SHAPES, keras_model, torch_model
from machine import cpu_name

FRAMEWORKS = ("kgraph", "torch", "torch_cl", "keras")
MODELS = ("resnet", "seed", "mobilenet_frozen", "mobilenet_finetune")


def _data(name: str, steps: int, seed: int = 0):
    shape, batch = SHAPES[name]
    rng = np.random.default_rng(seed)
    x = rng.random((steps * batch, *shape), dtype=np.float32)
    return x, rng.integers(0, 10, steps * batch).astype(np.int64)


def _best(fn, repeats: int) -> float:
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def _keras_style(lib, name: str, steps: int, repeats: int) -> tuple[dict, object]:
    """Build, compile, fit once (warm-up), time fit and predict; returns (result, model)."""
    batch = SHAPES[name][1]
    model = keras_model(lib, name)
    model.compile(
        optimizer=lib.optimizers.Adam(1e-3, epsilon=1e-7), loss="sparse_categorical_crossentropy"
    )
    x, y = _data(name, steps)
    model.fit(x[: 3 * batch], y[: 3 * batch], batch_size=batch, verbose=0, shuffle=False)
    seconds = _best(lambda: model.fit(x, y, batch_size=batch, verbose=0, shuffle=False), repeats)
    model.predict(x, batch_size=batch, verbose=0)
    infer = _best(lambda: model.predict(x, batch_size=batch, verbose=0), repeats)
    return {"train": len(x) / seconds, "infer": len(x) / infer}, model


def kernel_profile(model, name: str, steps: int) -> dict:
    """Median kernel ms/step by node type of the model's training step (onnxruntime profiler),
    run through a profiling copy of the fit loop's engine on one fixed batch."""
    from kgraph.compiler.engine_graph import engine_bytes
    from kgraph.models.programs import step_spec
    from kgraph.runtime import TrainingEngine
    from kgraph.runtime.nchwc import nchwc_block_for
    from kgraph.runtime.providers import default_session_options

    trainer = model._trainer  # benchmark-only: the compiled step of the model's last fit
    step = trainer.programs().step
    options = default_session_options("cpu")
    options.enable_profiling = True
    options.profile_file_prefix = f"/tmp/kgraph-convnet-{os.getpid()}"
    state = dict(step.initial_state)
    state.update({v.path: v.numpy() for v in trainer.optimizer.slot_variables})
    data = engine_bytes(step, nchwc_block_for("cpu"))  # the graph the fit loop's engine runs
    engine = TrainingEngine(data, step_spec(step), state, "cpu", options=options)
    x, y = _data(name, 1)
    feed = trainer.feed(
        next(iter(trainer.iterate(trainer.prepare(x, y, None), len(x), False))), step
    )
    for i in range(3):
        engine.run_step(feed, {"lr": 1e-3, "step": float(i + 1)})
    cpu = time.process_time()
    for i in range(3, steps + 3):
        engine.run_step(feed, {"lr": 1e-3, "step": float(i + 1)})
    cpu_ms = (time.process_time() - cpu) * 1000 / steps
    path = engine.session.ort_session.end_profiling()
    with open(path) as f:
        events = json.load(f)
    os.remove(path)
    times, types = collections.defaultdict(list), {}
    for e in events:
        if e.get("cat") == "Node" and e["name"].endswith("_kernel_time"):
            times[e["name"]].append(e["dur"])
            types[e["name"]] = e["args"]["op_name"]
    by_type: dict[str, float] = collections.Counter()
    for node, durations in times.items():
        durations = sorted(durations[3:] or durations)  # the first runs plan memory
        by_type[types[node]] += durations[len(durations) // 2] / 1000
    return {"cpu_ms_per_step": cpu_ms, **dict(sorted(by_type.items(), key=lambda kv: -kv[1]))}


def run_torch(name: str, steps: int, repeats: int, threads: int, channels_last: bool) -> dict:
    import torch
    import torch.nn.functional as F  # noqa: N812

    torch.set_num_threads(threads)
    torch.manual_seed(0)
    model = torch_model(name)
    if model is None:
        return {}
    fmt = torch.channels_last if channels_last else torch.contiguous_format
    model = model.to(memory_format=fmt)
    params = [p for p in model.parameters() if p.requires_grad]  # a frozen base has none
    optimizer = torch.optim.Adam(params, lr=1e-3, eps=1e-7)
    batch = SHAPES[name][1]
    x, y = _data(name, steps)
    xt = torch.from_numpy(np.ascontiguousarray(x.transpose(0, 3, 1, 2))).to(memory_format=fmt)
    yt = torch.from_numpy(y)

    def train(count):
        model.train()
        for i in range(count):
            xb, yb = xt[i * batch : (i + 1) * batch], yt[i * batch : (i + 1) * batch]
            optimizer.zero_grad(set_to_none=True)
            loss = F.cross_entropy(model(xb), yb)
            loss.backward()
            optimizer.step()
            float(loss)  # the loss reaches the host every step, as in the fit loops

    def infer():
        model.eval()
        with torch.inference_mode():
            for i in range(0, len(xt), batch):
                torch.softmax(model(xt[i : i + batch]), -1).numpy()

    train(3)
    result = {"train": steps * batch / _best(lambda: train(steps), repeats)}
    infer()
    result["infer"] = len(xt) / _best(infer, repeats)
    return result


def _worker(args) -> None:
    name, framework = args.model, args.worker
    if framework in ("kgraph", "keras"):
        if framework == "keras":
            import keras as lib
        else:
            import kgraph as lib
        if name.startswith("mobilenet") and not hasattr(lib.applications, "MobileNetV3Small"):
            result = {}
        else:
            result, model = _keras_style(lib, name, args.steps, args.repeats)
            result["maxrss_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            if framework == "kgraph" and args.profile:  # a second engine: RSS taken before
                result["profile"] = kernel_profile(model, name, args.steps)
    else:
        result = run_torch(name, args.steps, args.repeats, args.threads, framework == "torch_cl")
    result.setdefault("maxrss_mib", resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    print("RESULT " + json.dumps(result))


def _run_worker(args, name: str, framework: str) -> dict:
    env = {**os.environ, "KERAS_BACKEND": "jax", "KGRAPH_NUM_THREADS": str(args.threads)}
    if framework == "kgraph" and args.kgraph_root:
        paths = [os.path.abspath(args.kgraph_root), os.environ.get("PYTHONPATH", "")]
        env["PYTHONPATH"] = os.pathsep.join(p for p in paths if p)
    cmd = [sys.executable, __file__, "--worker", framework, "--model", name]
    cmd += ["--steps", str(args.steps), "--repeats", str(args.repeats)]
    cmd += ["--threads", str(args.threads)] + (["--profile"] if args.profile else [])
    out = subprocess.run(cmd, capture_output=True, text=True, env=env)
    line = [x for x in out.stdout.splitlines() if x.startswith("RESULT ")]
    if out.returncode or not line:
        raise SystemExit(f"{framework} on {name} failed:\n{out.stderr[-3000:]}")
    return json.loads(line[0][7:])


def _report(name: str, results: dict) -> None:
    shape, batch = SHAPES[name]
    print(f"\n{name}: input {shape}, batch {batch}")
    print(f"{'framework':10s} {'train/s':>9s} {'infer/s':>9s} {'peak RSS MiB':>13s}")
    for fw, r in results.items():
        if "train" not in r:
            print(f"{fw:10s} (not available: no equivalent model in this framework here)")
            continue
        print(f"{fw:10s} {r['train']:9,.0f} {r['infer']:9,.0f} {r['maxrss_mib']:13,.0f}")
    ours = results.get("kgraph", {})
    for fw, r in results.items():
        if fw != "kgraph" and "train" in r and "train" in ours:
            print(
                f"kgraph / {fw}: train {ours['train'] / r['train']:.2f}x, "
                f"infer {ours['infer'] / r['infer']:.2f}x"
            )
    if "profile" in ours:
        cpu = ours["profile"].pop("cpu_ms_per_step")
        total = sum(ours["profile"].values())
        print(f"kgraph profiled step: {cpu:.1f} ms/step of process CPU time (all threads),")
        print(f"kernel time {total:.1f} ms/step by node type:")
        print("  " + ", ".join(f"{k} {v:.1f}" for k, v in ours["profile"].items() if v >= 0.05))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", default="resnet,seed,mobilenet_frozen,mobilenet_finetune")
    parser.add_argument("--frameworks", default=",".join(FRAMEWORKS))
    parser.add_argument("--steps", type=int, default=20, help="timed training steps")
    parser.add_argument("--repeats", type=int, default=3, help="timed runs; the best counts")
    parser.add_argument("--rounds", type=int, default=2, help="alternating processes per pair")
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--profile", action="store_true", help="kgraph kernel time by node type")
    parser.add_argument("--kgraph-root", help="benchmark the kgraph checkout at this path")
    parser.add_argument("--worker", choices=FRAMEWORKS, help=argparse.SUPPRESS)
    parser.add_argument("--model", choices=MODELS, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        _worker(args)
        return
    models, frameworks = args.models.split(","), args.frameworks.split(",")
    for name in models:
        if name not in MODELS:
            raise SystemExit(f"Unknown model {name!r}; choose from {', '.join(MODELS)}.")
    print(
        f"Adam, {args.steps} timed steps (best of {args.repeats} runs x {args.rounds} rounds), "
        f"{args.threads} threads, {os.cpu_count()} CPUs ({cpu_name()}), "
        f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}"
    )
    for name in models:
        results: dict[str, dict] = {}
        for _ in range(args.rounds):  # frameworks alternate, so a busy spell hits all of them
            for fw in frameworks:
                r = _run_worker(args, name, fw)
                best = results.setdefault(fw, r)
                for key in ("train", "infer"):
                    if key in r:
                        best[key] = max(best[key], r[key])
                best["maxrss_mib"] = max(best["maxrss_mib"], r["maxrss_mib"])
        _report(name, results)


if __name__ == "__main__":
    main()
