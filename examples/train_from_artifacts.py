"""Trains a model from kgraph's training artifacts with nothing but numpy and onnxruntime.

    kgraph compile examples/mnist_cnn_training.py --training -o mnist_training/
    python examples/train_from_artifacts.py mnist_training/ --epochs 3 [--data data.npz]

``training_spec.json`` says which inputs of ``step.onnx`` take the batch, the scalars (``lr``
and ``step``, the 1-based iteration count) and the state; ``initial_state.npz`` holds the state.
Each run returns the loss, the metrics and the next value of every state tensor, which goes back
in as input on the next run. This script uses no kgraph, no ONNX library: only the files.

Without ``--data`` it trains on a synthetic data set built with numpy that the model can learn
(noisy copies of one random pattern per class, or a random linear target for regression); with
``--data`` it reads ``x`` and ``y`` from an ``.npz`` file. The last 20% of the samples are held
out and scored with ``eval.onnx`` after training.
"""

import argparse
import json
import os

import numpy as np
import onnxruntime as ort


def load(folder):
    with open(os.path.join(folder, "training_spec.json")) as file:
        spec = json.load(file)
    with np.load(os.path.join(folder, spec["initial_state"])) as arrays:
        state = {name: arrays[name] for name in arrays.files}
    return spec, state


def roles(spec):
    """(input name, label name) of a one-input, one-output model."""
    labels = [n for n in spec["batch_inputs"] if n == "y" or n.startswith("y/")]
    inputs = [n for n in spec["batch_inputs"] if n not in labels and n != "sample_weight"]
    if len(inputs) != 1 or len(labels) != 1:
        raise SystemExit("this example handles models with one input and one output")
    return inputs[0], labels[0]


def synthetic_data(spec, x_name, y_name, n, rng):
    """A learnable data set for the model's input and target shapes."""
    x_info, y_info = spec["inputs"][x_name], spec["inputs"][y_name]
    x_shape = [d or 1 for d in x_info["shape"][1:]]
    (output,) = spec["outputs"].values()
    width = output["shape"][-1]
    (loss,) = spec["losses"].values()
    if "crossentropy" in str(loss):
        count = max(width, 2)  # a width-1 output: binary labels
        classes = rng.integers(0, count, n)
        patterns = rng.random((count, *x_shape))
        x = patterns[classes] + 0.5 * rng.normal(size=(n, *x_shape))
        if y_info["dtype"].startswith("int"):
            y = classes
        else:
            y = classes[:, None] if width == 1 else np.eye(width)[classes]
    else:
        x = rng.normal(size=(n, *x_shape))
        teacher = rng.normal(size=(int(np.prod(x_shape)), width)) / np.sqrt(np.prod(x_shape))
        y = x.reshape(n, -1) @ teacher
    return x.astype(x_info["dtype"]), y.astype(y_info["dtype"])


def learning_rate(schedule, iteration):
    """Keras' schedules at the 0-based ``iteration`` (the spec's ``learning_rate_schedule``)."""
    kind, c = schedule["class_name"], schedule["config"]
    if kind == "ExponentialDecay":
        p = iteration / c["decay_steps"]
        return c["initial_learning_rate"] * c["decay_rate"] ** (
            np.floor(p) if c["staircase"] else p
        )
    if kind == "CosineDecay":
        start, warmup = c["initial_learning_rate"], c["warmup_steps"]
        if c["warmup_target"] is not None:
            if iteration < warmup:
                return start + (c["warmup_target"] - start) * iteration / warmup
            start, iteration = c["warmup_target"], iteration - warmup
        cosine = 0.5 * (1 + np.cos(np.pi * min(iteration, c["decay_steps"]) / c["decay_steps"]))
        return start * ((1 - c["alpha"]) * cosine + c["alpha"])
    if kind == "PiecewiseConstantDecay":
        passed = sum(iteration > boundary for boundary in c["boundaries"])
        return c["values"][passed]
    raise ValueError(f"unknown learning-rate schedule {kind}")


def session(path, device):
    providers = ["CPUExecutionProvider"]
    if device == "cuda":
        providers.insert(0, "CUDAExecutionProvider")
    return ort.InferenceSession(path, providers=providers)


def train(args):
    spec, state = load(args.folder)
    x_name, y_name = roles(spec)
    rng = np.random.default_rng(args.seed)
    if args.data:
        with np.load(args.data) as arrays:
            x = arrays["x"].astype(spec["inputs"][x_name]["dtype"])
            y = arrays["y"].astype(spec["inputs"][y_name]["dtype"])
    else:
        x, y = synthetic_data(spec, x_name, y_name, args.samples, rng)
    cut = int(len(x) * 0.8)
    (x_train, y_train), (x_val, y_val) = (x[:cut], y[:cut]), (x[cut:], y[cut:])
    step_session = session(os.path.join(args.folder, spec["step_model"]), args.device)
    outputs = [o.name for o in step_session.get_outputs()]
    schedule = spec.get("learning_rate_schedule") if args.lr is None else None
    lr = np.array(args.lr if args.lr is not None else spec["learning_rate"], np.float32)
    iteration = spec["iterations"]
    for epoch in range(1, args.epochs + 1):
        for name in spec["metric_state"]:  # metrics restart every epoch
            state[name] = np.zeros_like(state[name])
        order = rng.permutation(len(x_train))
        seen, loss_sum, results = 0, 0.0, {}
        for start in range(0, len(order), args.batch_size):
            index = order[start : start + args.batch_size]
            if schedule is not None:  # read at the 0-based iteration, before the increment
                lr = np.array(learning_rate(schedule, iteration), np.float32)
            iteration += 1
            feed = {
                x_name: x_train[index],
                y_name: y_train[index],
                "sample_weight": np.ones(len(index), np.float32),
                "lr": lr,
                "step": np.array(iteration, np.float32),
                **state,
            }
            values = dict(zip(outputs, step_session.run(outputs, feed)))
            state = {name: values[out] for name, out in spec["state"].items()}
            seen += len(index)
            loss_sum += float(values["loss"]) * len(index)
            results = {m: float(values[f]) for m, f in zip(spec["metrics"], spec["fetch"][1:])}
        line = f"epoch {epoch}/{args.epochs} - loss: {loss_sum / seen:.4f}"
        print(line + "".join(f" - {m}: {v:.4f}" for m, v in results.items()), flush=True)
    evaluate(args, spec, state, x_name, y_name, x_val, y_val)
    if args.save:
        np.savez(args.save, **state)
        print(f"saved the trained state to {args.save}")


def evaluate(args, spec, state, x_name, y_name, x, y):
    """Scores held-out samples with eval.onnx, which reads the parameters from the state."""
    eval_session = session(os.path.join(args.folder, spec["eval_model"]), args.device)
    accumulators = {name: np.zeros((), np.float32) for name in spec["eval_state"]}
    seen, loss_sum, values = 0, 0.0, {}
    for start in range(0, len(x), args.batch_size):
        xb, yb = x[start : start + args.batch_size], y[start : start + args.batch_size]
        feed = {
            x_name: xb,
            y_name: yb,
            "sample_weight": np.ones(len(xb), np.float32),
            **accumulators,
            **{n: state[n] for n in spec["eval_inputs_from_step_state"]},
        }
        names = [o.name for o in eval_session.get_outputs()]
        values = dict(zip(names, eval_session.run(names, feed)))
        accumulators = {n: values[out] for n, out in spec["eval_state"].items()}
        seen, loss_sum = seen + len(xb), loss_sum + float(values["loss"]) * len(xb)
    metrics = zip(spec["metrics"], spec["eval_fetch"][1:])
    print(
        f"held out ({seen} samples) - loss: {loss_sum / max(seen, 1):.4f}"
        + "".join(f" - {m}: {float(values[f]):.4f}" for m, f in metrics)
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("folder", help="the folder `kgraph compile --training -o` wrote")
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--lr", type=float, help="learning rate (default: the compiled one)")
    parser.add_argument("--data", help=".npz file with arrays x and y (default: synthetic)")
    parser.add_argument("--samples", type=int, default=640, help="synthetic samples")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--device", choices=("cpu", "cuda"), default="cpu")
    parser.add_argument("--save", help="write the trained state to this .npz file")
    train(parser.parse_args())


if __name__ == "__main__":
    main()
