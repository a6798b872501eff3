"""Oracle: kgraph's compiled training step against the same model written in PyTorch.

The same CNNs are built in both libraries with the same initial weights (Keras kernel layout
(kh, kw, in, out) → torch (out, in, kh, kw); Keras flattens NHWC, so the torch model permutes
NCHW → NHWC before flattening). Checked: the loss and every gradient of one step (the step graph
built with ``expose_gradients=True`` outputs ``grad/<param>``, run in a plain onnxruntime
session), and the weights after three ``fit`` steps of Adam and of SGD with momentum. Keras' Adam
adds epsilon to the uncorrected ``sqrt(v)`` (torch's Adam adds it to the bias-corrected one), so
the torch side applies Keras' update formula by hand.
"""

from __future__ import annotations

import numpy as np
import onnxruntime as ort
import pytest

torch = pytest.importorskip("torch")

import kgraph  # noqa: E402
from kgraph.compiler import step as cstep  # noqa: E402
from kgraph.models.export import trace_model  # noqa: E402

pytestmark = pytest.mark.oracle
F = torch.nn.functional
BATCH = 16


# -- the two models, in both libraries ----------------------------------------------------------


def _seed_cnn():
    inputs = kgraph.Input((28, 28, 1))
    x = kgraph.layers.Conv2D(32, (3, 3), activation="relu", name="conv")(inputs)
    x = kgraph.layers.Flatten()(x)
    return kgraph.Model(inputs, kgraph.layers.Dense(10, activation="softmax", name="dense")(x))


def _skip_cnn():
    inputs = kgraph.Input((10, 10, 3))
    x = kgraph.layers.Conv2D(6, 3, padding="same", activation="relu", name="conv_a")(inputs)
    x = kgraph.layers.Conv2D(6, 3, padding="same", name="conv_b")(x)
    shortcut = kgraph.layers.Conv2D(6, 1, name="proj")(inputs)
    x = kgraph.layers.ReLU()(kgraph.layers.Add()([x, shortcut]))
    x = kgraph.layers.Flatten()(kgraph.layers.MaxPooling2D()(x))
    return kgraph.Model(inputs, kgraph.layers.Dense(10, activation="softmax", name="dense")(x))


class _TorchSeed(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = torch.nn.Conv2d(1, 32, 3)
        self.dense = torch.nn.Linear(26 * 26 * 32, 10)

    def forward(self, x):  # logits; x is NCHW
        return self.dense(torch.relu(self.conv(x)).permute(0, 2, 3, 1).flatten(1))


class _TorchSkip(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.conv_a = torch.nn.Conv2d(3, 6, 3, padding=1)
        self.conv_b = torch.nn.Conv2d(6, 6, 3, padding=1)
        self.proj = torch.nn.Conv2d(3, 6, 1)
        self.dense = torch.nn.Linear(5 * 5 * 6, 10)

    def forward(self, x):
        y = self.conv_b(torch.relu(self.conv_a(x)))
        y = F.max_pool2d(torch.relu(y + self.proj(x)), 2)
        return self.dense(y.permute(0, 2, 3, 1).flatten(1))


MODELS = {"seed": (_seed_cnn, _TorchSeed), "skip": (_skip_cnn, _TorchSkip)}


def _torch_param(module, path):
    """The torch tensor behind a kgraph weight path, in Keras layout (a view, no copy)."""
    layer, kind = path.split("/")
    param = getattr(getattr(module, layer), "weight" if kind == "kernel" else "bias")
    return param, (lambda t: t.permute(2, 3, 1, 0)) if param.dim() == 4 else (
        (lambda t: t.t()) if param.dim() == 2 else (lambda t: t)
    )


def _pair(name, seed=0):
    """The kgraph model with random weights and the torch model holding the same values."""
    build, torch_cls = MODELS[name]
    model = build()
    rng = np.random.default_rng(seed)
    for weight in model.trainable_weights:
        weight.assign(rng.uniform(-0.2, 0.2, weight.shape).astype(np.float32))
    torch_model = torch_cls()
    with torch.no_grad():
        for weight in model.trainable_weights:
            param, to_keras = _torch_param(torch_model, weight.path)
            to_keras(param).copy_(torch.from_numpy(np.asarray(weight.value)))
    return model, torch_model


def _data(model, steps=1, seed=1):
    rng = np.random.default_rng(seed)
    shape = model.inputs[0].shape[1:]
    x = rng.random((steps * BATCH, *shape), dtype=np.float32)
    return x, rng.integers(0, 10, steps * BATCH)


def _nchw(x):
    return torch.from_numpy(np.ascontiguousarray(x.transpose(0, 3, 1, 2)))


def _step_outputs(model, x, y):
    """Runs the compiled step graph (gradients exposed) once in a plain onnxruntime session."""
    b, trace, outputs = trace_model(model, training=True, mark_outputs=False)
    ids = {id(w) for w in model.trainable_weights}
    trainable = [p for p, v in trace.variables.items() if id(v) in ids]
    program = cstep.build_step(
        b,
        outputs,
        model._trainer.specs,
        model.optimizer.spec(),
        trainable,
        model.input_names,
        expose_gradients=True,
    )
    session = ort.InferenceSession(program.to_bytes(), providers=["CPUExecutionProvider"])
    feeds = {
        model.input_names[0]: x,
        "y": y.astype(np.int64),
        "sample_weight": np.ones(len(x), np.float32),
        "lr": np.array(0.1, np.float32),
        "step": np.array(1, np.float32),
        **program.initial_state,
    }
    names = [o.name for o in session.get_outputs()]
    return dict(zip(names, session.run(None, feeds))), trainable


@pytest.mark.parametrize("name", sorted(MODELS))
def test_loss_and_gradients_match_torch(name):
    model, torch_model = _pair(name)
    model.compile(optimizer=kgraph.optimizers.SGD(0.1), loss="sparse_categorical_crossentropy")
    x, y = _data(model)
    out, trainable = _step_outputs(model, x, y)
    loss = F.cross_entropy(torch_model(_nchw(x)), torch.from_numpy(y))
    loss.backward()
    np.testing.assert_allclose(out["loss"], loss.item(), rtol=1e-5)
    assert sorted(trainable) == sorted(w.path for w in model.trainable_weights)
    for path in trainable:
        param, to_keras = _torch_param(torch_model, path)
        expected = to_keras(param.grad).numpy()
        scale = np.abs(expected).max()
        np.testing.assert_allclose(
            out[f"grad/{path}"], expected, rtol=1e-4, atol=1e-5 * scale, err_msg=path
        )


def _keras_adam(params, lr=1e-3, beta_1=0.9, beta_2=0.999, epsilon=1e-7):
    """Keras' Adam update, applied to torch tensors after ``backward``."""
    state = {id(p): (torch.zeros_like(p), torch.zeros_like(p)) for p in params}
    count = [0]

    def step():
        count[0] += 1
        t = count[0]
        alpha = lr * np.sqrt(1 - beta_2**t) / (1 - beta_1**t)
        with torch.no_grad():
            for p in params:
                m, v = state[id(p)]
                m.add_((p.grad - m) * (1 - beta_1))
                v.add_((p.grad * p.grad - v) * (1 - beta_2))
                p.sub_(m * alpha / (v.sqrt() + epsilon))

    return step


@pytest.mark.parametrize("name", sorted(MODELS))
@pytest.mark.parametrize("optimizer", ["adam", "sgd_momentum"])
def test_weights_after_three_fit_steps_match_torch(name, optimizer):
    model, torch_model = _pair(name, seed=2)
    params = list(torch_model.parameters())
    if optimizer == "adam":
        model.compile(
            optimizer=kgraph.optimizers.Adam(1e-3), loss="sparse_categorical_crossentropy"
        )
        torch_step = _keras_adam(params)
    else:
        model.compile(
            optimizer=kgraph.optimizers.SGD(0.05, momentum=0.9),
            loss="sparse_categorical_crossentropy",
        )
        torch_step = torch.optim.SGD(params, lr=0.05, momentum=0.9).step
    x, y = _data(model, steps=3, seed=3)
    history = model.fit(x, y, batch_size=BATCH, shuffle=False, verbose=0)
    losses = []
    for i in range(3):
        torch_model.zero_grad()
        loss = F.cross_entropy(
            torch_model(_nchw(x[i * BATCH : (i + 1) * BATCH])),
            torch.from_numpy(y[i * BATCH : (i + 1) * BATCH]),
        )
        loss.backward()
        torch_step()
        losses.append(loss.item())
    np.testing.assert_allclose(history.history["loss"][-1], np.mean(losses), rtol=1e-5)
    for weight in model.trainable_weights:
        param, to_keras = _torch_param(torch_model, weight.path)
        np.testing.assert_allclose(
            np.asarray(weight.value),
            to_keras(param.detach()).numpy(),
            rtol=1e-4,
            atol=1e-6,
            err_msg=weight.path,
        )
