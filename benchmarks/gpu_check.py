"""GPU check (see gpu_check.sh): CUDA provider, CPU-vs-CUDA loss curves, throughput vs PyTorch."""

from __future__ import annotations

import platform
import time

import numpy as np
import onnxruntime as ort

STEPS, BATCH = 40, 128


def providers_report() -> str:
    """Prints what onnxruntime offers; returns the device to test ("cpu" = dry run)."""
    if hasattr(ort, "preload_dlls"):
        try:
            ort.preload_dlls()
        except Exception as e:  # report and go on; the probe below decides
            print(f"preload_dlls failed: {e}")
    print(f"onnxruntime {ort.__version__}, providers {ort.get_available_providers()}")
    from kgraph.runtime.providers import resolve_providers

    try:
        print(f"resolve_providers('cuda') -> {resolve_providers('cuda')}")
        return "cuda"
    except RuntimeError as e:
        print(f"CUDA UNAVAILABLE: {e} -- dry run with the CPU in its place")
        return "cpu"


def seed_cnn(keras):
    layers = keras.layers
    return keras.Sequential(
        [
            keras.Input(shape=(28, 28, 1)),
            layers.Conv2D(32, (3, 3), activation="relu"),
            layers.Flatten(),
            layers.Dense(10, activation="softmax"),
        ]
    )


def resnet(keras):
    layers = keras.layers
    inputs = keras.Input(shape=(32, 32, 3))
    x = layers.Conv2D(32, 3, padding="same", activation="relu")(inputs)
    for filters in (32, 64, 64):
        y = layers.Conv2D(filters, 3, padding="same")(x)
        y = layers.BatchNormalization()(y)
        y = layers.ReLU()(y)
        y = layers.Conv2D(filters, 3, padding="same")(y)
        shortcut = x if x.shape[-1] == filters else layers.Conv2D(filters, 1)(x)
        x = layers.ReLU()(layers.Add()([y, shortcut]))
        x = layers.MaxPooling2D()(x)
    x = layers.GlobalAveragePooling2D()(x)
    return keras.Model(inputs, layers.Dense(10, activation="softmax")(x))


def data(shape, n):
    rng = np.random.default_rng(0)
    y = rng.integers(0, 10, n)
    x = rng.random((n, *shape), dtype=np.float32) * 0.1
    x[np.arange(n), ..., 0] += (y[:, None, None] / 10.0).astype(np.float32)  # learnable signal
    return x, y


def kgraph_run(build, shape, device):
    import kgraph as keras

    keras.utils.set_random_seed(0)
    model = build(keras)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", device=device)
    x, y = data(shape, STEPS * BATCH)
    losses = [
        model.train_on_batch(x[i * BATCH : (i + 1) * BATCH], y[i * BATCH : (i + 1) * BATCH])
        for i in range(STEPS)
    ]
    engine = model._trainer.engine
    start = time.perf_counter()
    model.fit(x, y, batch_size=BATCH, epochs=1, verbose=0, shuffle=False)
    elapsed = time.perf_counter() - start
    return np.asarray(losses), len(x) / elapsed, engine.device


def torch_rate(shape, resnet_like):
    import torch
    from torch import nn

    if not torch.cuda.is_available():
        return None
    dev = torch.device("cuda")
    if resnet_like:
        model = _torch_resnet(nn).to(dev)
    else:
        model = nn.Sequential(
            nn.Conv2d(1, 32, 3), nn.ReLU(), nn.Flatten(), nn.Linear(32 * 26 * 26, 10)
        ).to(dev)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    x, y = data(shape, STEPS * BATCH)
    xt = torch.tensor(x).permute(0, 3, 1, 2).contiguous()
    yt = torch.tensor(y)
    loss_fn = nn.CrossEntropyLoss()

    def epoch():
        for i in range(STEPS):
            xb = xt[i * BATCH : (i + 1) * BATCH].to(dev, non_blocking=True)
            yb = yt[i * BATCH : (i + 1) * BATCH].to(dev, non_blocking=True)
            opt.zero_grad()
            loss = loss_fn(model(xb), yb)
            loss.backward()
            opt.step()
            loss.item()  # kgraph's fit reads the loss every step too

    epoch()
    torch.cuda.synchronize()
    start = time.perf_counter()
    epoch()
    torch.cuda.synchronize()
    return STEPS * BATCH / (time.perf_counter() - start)


def _torch_resnet(nn):
    """The same architecture as ``resnet`` above, in PyTorch (NCHW)."""

    class Block(nn.Module):
        def __init__(self, cin, cout):
            super().__init__()
            self.body = nn.Sequential(
                nn.Conv2d(cin, cout, 3, padding=1),
                nn.BatchNorm2d(cout),
                nn.ReLU(),
                nn.Conv2d(cout, cout, 3, padding=1),
            )
            self.skip = nn.Identity() if cin == cout else nn.Conv2d(cin, cout, 1)

        def forward(self, x):
            return nn.functional.max_pool2d(nn.functional.relu(self.body(x) + self.skip(x)), 2)

    return nn.Sequential(
        nn.Conv2d(3, 32, 3, padding=1),
        nn.ReLU(),
        Block(32, 32),
        Block(32, 64),
        Block(64, 64),
        nn.AdaptiveAvgPool2d(1),
        nn.Flatten(),
        nn.Linear(64, 10),
    )


def main() -> None:
    print(f"python {platform.python_version()}")
    device = providers_report()
    for name, build, shape in (
        ("seed CNN", seed_cnn, (28, 28, 1)),
        ("ResNet-style", resnet, (32, 32, 3)),
    ):
        cpu_loss, cpu_rate, _ = kgraph_run(build, shape, "cpu")
        gpu_loss, gpu_rate, engine_device = kgraph_run(build, shape, device)
        diff = float(np.max(np.abs(cpu_loss - gpu_loss)))
        print(f"{name}: engine device={engine_device}")
        print(f"{name}: loss CPU  {np.round(cpu_loss[::8], 4).tolist()}")
        print(f"{name}: loss CUDA {np.round(gpu_loss[::8], 4).tolist()}")
        print(
            f"{name}: max |loss CPU - loss CUDA| over {STEPS} steps = {diff:.2e} "
            f"({'OK' if diff < 2e-2 else 'MISMATCH'}); falls: {gpu_loss[-1] < gpu_loss[0]}"
        )
        print(f"{name}: kgraph train samples/s  CPU {cpu_rate:,.0f}  CUDA {gpu_rate:,.0f}")
        rate = torch_rate(shape, name != "seed CNN")
        if rate:
            print(
                f"{name}: PyTorch CUDA eager train samples/s {rate:,.0f} "
                f"(kgraph/PyTorch = {gpu_rate / rate:.2f})"
            )


if __name__ == "__main__":
    main()
