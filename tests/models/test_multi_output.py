"""Several outputs and loss weights, against numpy written here: ``compile()``'s per-output
losses and metrics (Keras' list and dict forms), the ``<output>_loss`` entries in every log
(unweighted by ``loss_weights``, as in Keras), ``evaluate``'s list order, the eval graph's
typed total loss, and ``kgraph compile --training`` on a two-output model."""

from __future__ import annotations

import json

import numpy as np
import onnx
import pytest
from click.testing import CliRunner

import kgraph as keras
from kgraph import cli, layers

TOL = {"rtol": 1e-5, "atol": 1e-6}
RNG = np.random.default_rng(11)
X = RNG.normal(size=(12, 4)).astype(np.float32)
YC = RNG.integers(0, 3, 12)
YR = RNG.normal(size=(12, 1)).astype(np.float32)


def two_heads(compiled=True, **compile_args):
    inputs = keras.Input((4,), name="x")
    hidden = layers.Dense(6, activation="tanh", name="hidden")(inputs)
    cls = layers.Dense(3, activation="softmax", name="cls")(hidden)
    reg = layers.Dense(1, name="reg")(hidden)
    model = keras.Model(inputs, [cls, reg])
    if compiled:
        model.compile(
            optimizer="sgd", loss=["sparse_categorical_crossentropy", "mse"], **compile_args
        )
    return model


def reference(model, x=X, yc=YC, yr=YR, sw=None):
    """Keras' per-output losses (sum over the batch / batch size) and metrics in numpy."""
    probs, pred = model.predict(x, verbose=0)
    sw = np.ones(len(x), np.float32) if sw is None else sw
    ce = -np.log(np.clip(probs[np.arange(len(x)), yc], 1e-7, 1.0))
    se = ((pred - yr) ** 2).mean(-1)
    return {
        "cls_loss": float((ce * sw).sum() / len(x)),
        "reg_loss": float((se * sw).sum() / len(x)),
        "cls_accuracy": float((probs.argmax(-1) == yc).mean()),
        "reg_mae": float(np.abs(pred - yr).mean()),
    }


@pytest.mark.parametrize(
    "compile_args",
    [{}, {"metrics": None, "weighted_metrics": []}, {"loss_weights": [0.3, 2.0]}],
    ids=["none", "empty", "loss_weights"],
)
def test_two_outputs_without_metrics_fit_and_log_per_output_losses(compile_args):
    model = two_heads(**compile_args)
    history = model.fit(X, [YC, YR], batch_size=12, epochs=2, verbose=0)
    assert list(history.history) == ["loss", "cls_loss", "reg_loss"]
    got = model.evaluate(X, [YC, YR], verbose=0, return_dict=True)
    want = reference(model)
    w = compile_args.get("loss_weights", [1.0, 1.0])
    assert list(got) == ["loss", "cls_loss", "reg_loss"]
    np.testing.assert_allclose(got["cls_loss"], want["cls_loss"], **TOL)
    np.testing.assert_allclose(got["reg_loss"], want["reg_loss"], **TOL)
    total = w[0] * want["cls_loss"] + w[1] * want["reg_loss"]
    np.testing.assert_allclose(got["loss"], total, **TOL)
    # One batch: train_on_batch reports the batch's losses before its update.
    before = reference(model)
    logs = model.train_on_batch(X, [YC, YR], return_dict=True)
    np.testing.assert_allclose(logs["cls_loss"], before["cls_loss"], **TOL)
    np.testing.assert_allclose(logs["reg_loss"], before["reg_loss"], **TOL)


METRIC_FORMS = {
    "nested list": [["accuracy"], ["mae"]],
    "flat list": ["accuracy", "mae"],
    "tuple": ("accuracy", ["mae"]),
    "dict": {"cls": "accuracy", "reg": ["mae"]},
}


@pytest.mark.parametrize("form", list(METRIC_FORMS))
def test_metrics_per_output_in_logs_and_evaluate(form):
    model = two_heads(metrics=METRIC_FORMS[form], loss_weights={"reg": 2.0})
    history = model.fit(X, [YC, YR], batch_size=5, epochs=2, verbose=0, shuffle=False)
    keys = ["loss", "cls_accuracy", "reg_mae", "cls_loss", "reg_loss"]
    assert list(history.history) == keys
    want = reference(model)
    want["loss"] = want["cls_loss"] + 2.0 * want["reg_loss"]
    got = model.evaluate(X, [YC, YR], batch_size=5, verbose=0, return_dict=True)
    assert list(got) == keys
    for key in keys:
        np.testing.assert_allclose(got[key], want[key], err_msg=key, **TOL)
    # The list follows Keras' _flatten_metrics_in_order: losses first, then metrics sorted.
    order = ["loss", "cls_loss", "reg_loss", "cls_accuracy", "reg_mae"]
    listed = model.evaluate(X, [YC, YR], batch_size=5, verbose=0)
    np.testing.assert_allclose(listed, [want[k] for k in order], **TOL)
    np.testing.assert_allclose(model.test_on_batch(X, [YC, YR]), listed, **TOL)


def test_dict_metrics_for_some_outputs_and_weighted_per_output_metrics():
    model = two_heads(metrics={"reg": "mae"}, weighted_metrics=[None, ["mae"]])
    sw = RNG.uniform(0.5, 2.0, 12).astype(np.float32)
    logs = model.evaluate(X, [YC, YR], sample_weight=sw, verbose=0, return_dict=True)
    assert list(logs) == ["loss", "reg_mae", "reg_weighted_mae", "cls_loss", "reg_loss"]
    want = reference(model, sw=sw)
    _, pred = model.predict(X, verbose=0)
    weighted_mae = (np.abs(pred - YR).mean(-1) * sw).sum() / sw.sum()
    np.testing.assert_allclose(logs["reg_weighted_mae"], weighted_mae, **TOL)
    np.testing.assert_allclose(logs["reg_mae"], want["reg_mae"], **TOL)
    np.testing.assert_allclose(logs["cls_loss"], want["cls_loss"], **TOL)  # sample-weighted
    np.testing.assert_allclose(logs["loss"], want["cls_loss"] + want["reg_loss"], **TOL)


@pytest.mark.parametrize(
    "metrics, match",
    [
        (["mae"], r"one entry .* per output.*Received: metrics=\['mae'\]"),
        (["accuracy", "mae", "mse"], r"one entry .* per output"),
        ("mae", r"one entry .* per output"),
        ({"nope": "mae"}, r"keys \['nope'\] that are not outputs"),
    ],
)
def test_metrics_that_do_not_match_the_outputs_are_rejected(metrics, match):
    model = two_heads(compiled=False)
    with pytest.raises(ValueError, match=match) as info:
        model.compile(optimizer="sgd", loss="mse", metrics=metrics)
    assert "\n" not in str(info.value)


@pytest.mark.parametrize("loss_weights", [2.0, [2.0], {"out": 2.0}])
def test_single_output_loss_weights_scale_the_loss_in_fit_and_evaluate(loss_weights):
    model = keras.Sequential([keras.Input((4,)), layers.Dense(1, name="out")])
    model.compile(optimizer="sgd", loss="mse", loss_weights=loss_weights, metrics=["mae"])
    history = model.fit(X, YR, batch_size=12, epochs=1, verbose=0, validation_data=(X, YR))
    assert list(history.history) == ["loss", "mae", "val_loss", "val_mae"]
    pred = model.predict(X, verbose=0)
    logs = model.evaluate(X, YR, verbose=0, return_dict=True)
    assert list(logs) == ["loss", "mae"]
    np.testing.assert_allclose(logs["loss"], 2.0 * ((pred - YR) ** 2).mean(), **TOL)
    np.testing.assert_allclose(logs["mae"], np.abs(pred - YR).mean(), **TOL)
    np.testing.assert_allclose(history.history["val_loss"][0], logs["loss"], **TOL)


def test_eval_graph_total_loss_is_typed():
    """The total loss of several outputs (Add) and a weighted loss (Mul) are graph outputs the
    ONNX checker accepts in the eval graph, which runs no shape inference."""
    model = two_heads(metrics=[["accuracy"], ["mae"]], loss_weights=[1.0, 0.5])
    model.evaluate(X, [YC, YR], verbose=0)
    setup = model._trainer.programs()
    for program in (setup.step, setup.eval):
        graph = onnx.load_from_string(program.to_bytes()).graph
        outputs = {o.name: o for o in graph.output}
        for name in program.fetch:
            assert outputs[name].type.tensor_type.elem_type == onnx.TensorProto.FLOAT, name
        assert program.output_losses == {
            "cls_loss": program.fetch[-2],
            "reg_loss": program.fetch[-1],
        }


MULTI = """
import kgraph as keras
from kgraph import layers

inputs = keras.Input((4,), name="x")
hidden = layers.Dense(6, activation="tanh", name="hidden")(inputs)
cls = layers.Dense(3, activation="softmax", name="cls")(hidden)
reg = layers.Dense(1, name="reg")(hidden)
model = keras.Model(inputs, [cls, reg])
model.compile(
    optimizer="sgd",
    loss=["sparse_categorical_crossentropy", "mse"],
    loss_weights=[1.0, 2.0],
    metrics=[["accuracy"], ["mae"]],
)
"""


def test_cli_training_artifacts_for_two_outputs(tmp_path):
    import onnxruntime as ort

    source = tmp_path / "multi.py"
    source.write_text(MULTI)
    outdir = tmp_path / "out"
    result = CliRunner().invoke(
        cli.main, ["compile", str(source), "--training", "-o", f"{outdir}/"]
    )
    assert result.exit_code == 0, result.output
    spec = json.loads((outdir / "training_spec.json").read_text())
    assert spec["metrics"] == ["cls_accuracy", "reg_mae"]
    assert spec["eval_fetch"][0] == "loss" and len(spec["eval_fetch"]) == 5
    state = dict(np.load(outdir / "initial_state.npz"))
    session = ort.InferenceSession(str(outdir / "eval.onnx"), providers=["CPUExecutionProvider"])
    names = {i.name for i in session.get_inputs()}
    feed = {"x": X, "y/cls": YC.astype(np.int64), "y/reg": YR}
    feed["sample_weight"] = np.ones(len(X), np.float32)
    feed.update({n: state[n] for n in names if n in state})
    feed.update({n: np.zeros((), np.float32) for n in names if n not in feed})
    values = dict(zip(spec["eval_fetch"], session.run(spec["eval_fetch"], feed)))
    inference = ort.InferenceSession(
        str(outdir / "inference.onnx"), providers=["CPUExecutionProvider"]
    )
    probs, pred = inference.run(None, {inference.get_inputs()[0].name: X})
    cls_loss = -np.log(probs[np.arange(len(X)), YC]).mean()
    reg_loss = ((pred - YR) ** 2).mean()
    np.testing.assert_allclose(values["loss"], cls_loss + 2.0 * reg_loss, **TOL)
    np.testing.assert_allclose(values[spec["eval_fetch"][-2]], cls_loss, **TOL)
    np.testing.assert_allclose(values[spec["eval_fetch"][-1]], reg_loss, **TOL)


def test_weights_only_an_unlossed_output_uses_stay_put_with_a_warning():
    """As Keras: weights no loss depends on get no update, and a warning names them."""
    x = keras.Input((4,), name="x")
    model = keras.Model(x, [layers.Dense(2, name="a")(x), layers.Dense(3, name="b")(x)])
    model.compile("sgd", loss=["mse", None])
    data = np.linspace(-1, 1, 32, dtype=np.float32).reshape(8, 4)
    before = model.get_weights()
    with pytest.warns(UserWarning, match=r"Gradients do not exist for variables \['b/kernel'"):
        model.fit(data, [np.ones((8, 2)), np.ones((8, 3))], epochs=2, verbose=0)
    after = model.get_weights()
    assert not np.array_equal(after[0], before[0])  # a/kernel trained
    np.testing.assert_array_equal(after[2], before[2])  # b/kernel untouched
    np.testing.assert_array_equal(after[3], before[3])
