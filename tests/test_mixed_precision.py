"""Mixed precision (``mixed_float16``) against numpy: float32 weights, float16 computations and
outputs, ``Cast`` nodes in the ONNX graph, training that ends near the float32 run, and the
dynamic loss scale of the compiled step following Keras' rule.

onnxruntime's CPU provider runs many float16 nodes in float32 and drops the
float32->float16->float32 round trips it then sees, so on CPU the numbers are close to a
float32 run; the tolerances below are float16's (about 1e-3 relative per op)."""

from __future__ import annotations

import numpy as np
import onnx
import pytest

import kgraph
from kgraph import config, layers, mixed_precision, optimizers


@pytest.fixture(autouse=True)
def float32_policy():
    yield
    config.set_dtype_policy("float32")


def _half(a):
    return np.asarray(a, np.float16).astype(np.float32)


def test_dense_keeps_float32_weights_and_computes_in_float16():
    dense = layers.Dense(3, activation="relu", dtype="mixed_float16")
    x = np.random.default_rng(0).normal(size=(4, 5)).astype(np.float32)
    got = dense(x)
    assert got.dtype == np.float16
    assert [w.dtype for w in dense.get_weights()] == [np.float32, np.float32]
    assert isinstance(dense.kernel, kgraph.Variable)  # the call's float16 view is gone
    kernel, bias = dense.get_weights()
    want = np.maximum(_half(x) @ _half(kernel) + _half(bias), 0)
    np.testing.assert_allclose(got.astype(np.float32), want, rtol=1e-2, atol=1e-2)


def test_graph_casts_inputs_and_weights_and_float32_head_gives_float32():
    mixed_precision.set_global_policy("mixed_float16")
    inputs = kgraph.Input((5,))
    hidden = layers.Dense(8, activation="tanh", name="hidden")(inputs)
    logits = layers.Dense(3, name="logits")(hidden)
    probs = layers.Activation("softmax", dtype="float32", name="probs")(logits)
    model = kgraph.Model(inputs, [logits, probs])
    assert (hidden.dtype, logits.dtype, probs.dtype) == ("float16", "float16", "float32")
    graph = onnx.load_from_string(model.to_onnx_bytes()).graph
    half = onnx.TensorProto.FLOAT16
    # inference: the float32 weights' casts fold into float16 initializers (half the bytes)
    assert sorted(i.data_type for i in graph.initializer) == [half] * 4
    casts = [(n.input[0], n.attribute[0].i) for n in graph.node if n.op_type == "Cast"]
    assert (inputs.name, half) in casts
    x = np.random.default_rng(1).normal(size=(6, 5)).astype(np.float32)
    got_logits, got_probs = model.predict(x, verbose=0)
    assert (got_logits.dtype, got_probs.dtype) == (np.float16, np.float32)
    w1, b1, w2, b2 = model.get_weights()
    want = np.tanh(_half(x) @ _half(w1) + _half(b1)) @ _half(w2) + _half(b2)
    np.testing.assert_allclose(got_logits.astype(np.float32), want, rtol=1e-2, atol=1e-2)
    e = np.exp(want - want.max(-1, keepdims=True))
    np.testing.assert_allclose(got_probs, e / e.sum(-1, keepdims=True), atol=5e-3)


def test_weights_are_restored_when_call_raises():
    class Broken(layers.Layer):
        def build(self, shape):
            self.w = self.add_weight(shape=(shape[-1],), initializer="ones")

        def call(self, x):
            raise ValueError("broken call")

    layer = Broken(dtype="mixed_float16")
    with pytest.raises(ValueError, match="broken call"):
        layer(np.ones((2, 3), np.float32))
    assert isinstance(layer.w, kgraph.Variable) and layer.w.dtype == "float32"


def _regression_model(policy):
    mixed_precision.set_global_policy(policy)
    inputs = kgraph.Input((6,))
    x = layers.Dense(16, activation="relu")(inputs)
    x = layers.LayerNormalization()(x)
    outputs = layers.Dense(1, dtype="float32")(x)
    return kgraph.Model(inputs, outputs)


def test_mixed_float16_training_ends_near_the_float32_run():
    rng = np.random.default_rng(2)
    x = rng.normal(size=(96, 6)).astype(np.float32)
    y = (2 * x[:, :1] - x[:, 1:2] ** 2).astype(np.float32)
    reference = _regression_model("float32")
    mixed = _regression_model("mixed_float16")
    mixed.set_weights(reference.get_weights())
    reference.compile(optimizers.Adam(0.01), "mse")
    mixed.compile(mixed_precision.wrap_optimizer(mixed, optimizers.Adam(0.01)), "mse")
    assert type(mixed.optimizer).__name__ == "LossScaleOptimizer"
    args = {"epochs": 4, "batch_size": 16, "shuffle": False, "verbose": 0}
    want = reference.fit(x, y, **args).history["loss"]
    got = mixed.fit(x, y, **args).history["loss"]
    assert got[-1] < 0.6 * got[0]
    np.testing.assert_allclose(got, want, rtol=2e-2)  # float16 tolerance
    assert all(w.dtype == np.float32 for w in mixed.get_weights())
    pred = mixed.predict(x[:8], verbose=0)
    assert pred.dtype == np.float32
    np.testing.assert_allclose(pred, reference.predict(x[:8], verbose=0), rtol=5e-2, atol=5e-2)


def test_wrap_optimizer_follows_keras_rule():
    mixed = _regression_model("mixed_float16")
    assert type(mixed_precision.wrap_optimizer(mixed, optimizers.SGD())) is (
        mixed_precision.LossScaleOptimizer
    )
    wrapped = mixed_precision.wrap_optimizer(_regression_model("mixed_float16"), optimizers.SGD())
    assert wrapped.name == "loss_scale_optimizer"
    assert type(wrapped.inner_optimizer) is optimizers.SGD
    model = _regression_model("mixed_float16")
    assert mixed_precision.wrap_optimizer(model, wrapped) is wrapped
    assert type(mixed_precision.wrap_optimizer(model, optimizers.SGD(), False)) is optimizers.SGD
    for policy in ("float32", "mixed_bfloat16"):
        plain = optimizers.SGD()
        assert mixed_precision.wrap_optimizer(_regression_model(policy), plain) is plain


def _scale(model) -> float:
    """The step graph's dynamic scale (the trainer's engine state: kgraph's LossScaleOptimizer
    does not yet mirror it as Keras' ``dynamic_scale`` variable)."""
    return float(model._trainer.engine.get_state()["loss_scale/dynamic_scale"])


def test_loss_scale_skips_non_finite_steps_and_grows_in_the_graph():
    model = _regression_model("mixed_float16")
    inner = optimizers.SGD(0.05)
    model.compile(mixed_precision.LossScaleOptimizer(inner, 4.0, dynamic_growth_steps=2), "mse")
    rng = np.random.default_rng(3)
    x = rng.normal(size=(8, 6)).astype(np.float32)
    y = rng.normal(size=(8, 1)).astype(np.float32)
    bad = y.copy()
    bad[0, 0] = np.nan  # a non-finite loss: every gradient is NaN
    scale, run, scales, want = 4.0, 0, [], []
    for labels in (y, y, y, bad, y, y, y, bad, y):
        before = model.get_weights()
        model.train_on_batch(x, labels)
        scales.append(_scale(model))
        if labels is bad:  # Keras' rule, written out
            scale, run = scale / 2, 0
            for old, new in zip(before, model.get_weights()):
                np.testing.assert_array_equal(old, new)  # the step was skipped
        else:
            run += 1
            if run == 2:
                scale, run = scale * 2, 0
        want.append(scale)
    assert scales == want == [4.0, 8.0, 8.0, 4.0, 4.0, 8.0, 8.0, 4.0, 4.0]


def test_step_graph_differentiates_the_scaled_loss():
    """The loss is multiplied by the scale before differentiation (Keras' scaled loss, which
    keeps float16 gradients above their underflow) and the gradients divided back."""
    model = _regression_model("mixed_float16")
    model.compile(mixed_precision.wrap_optimizer(model, optimizers.SGD()), "mse")
    x, y = np.ones((4, 6), np.float32), np.ones((4, 1), np.float32)
    model.train_on_batch(x, y)
    graph = onnx.load_from_string(model._trainer.built_programs().step.to_bytes()).graph
    uses = [n for n in graph.node if "loss_scale/dynamic_scale" in n.input]
    kinds = {n.op_type for n in uses if not n.name.startswith("optimizer/")}
    assert {"Mul", "Div"} <= kinds
    half = [n for n in graph.node if n.op_type == "Cast" and n.attribute[0].i == 10]
    assert any(n.name.startswith("grad/") for n in graph.node if n.op_type == "Cast")
    assert half


def test_embedding_and_max_pooling_train_under_mixed_float16():
    """Their gradients are add-scatters, which onnxruntime's CPU provider has no float16
    kernel for: they scatter in float32 (compiler/autodiff/emit.scatter_add). One SGD step
    moves the embedding rows the batch used, as the float32 model's step does."""

    def fit_once(policy):
        config.set_dtype_policy(policy)
        kgraph.utils.set_random_seed(3)
        inputs = kgraph.Input((6,), dtype="int32")
        x = layers.Embedding(10, 4, name="embed")(inputs)
        x = layers.MaxPooling1D(2)(x)
        outputs = layers.Dense(1, dtype="float32")(layers.Flatten()(x))
        model = kgraph.Model(inputs, outputs)
        model.compile(optimizer=optimizers.SGD(0.5), loss="mse")
        before = model.get_layer("embed").get_weights()[0]
        tokens = np.arange(12).reshape(2, 6) % 7  # rows 7-9 are never used
        model.fit(tokens, np.ones((2, 1), np.float32), batch_size=2, verbose=0)
        return before, model.get_layer("embed").get_weights()[0]

    before32, after32 = fit_once("float32")
    before16, after16 = fit_once("mixed_float16")
    np.testing.assert_array_equal(before16, before32)
    assert after16.dtype == np.float32
    moved = np.abs(after16 - before16).max(axis=1) > 0
    assert moved[:7].any() and not moved[7:].any()
    np.testing.assert_allclose(after16 - before16, after32 - before32, rtol=2e-2, atol=1e-4)
