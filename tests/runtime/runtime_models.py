"""Small ONNX models for the runtime tests, built with the onnx helper API (tests only)."""

from __future__ import annotations

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

FLOAT = TensorProto.FLOAT
INT64 = TensorProto.INT64


def _model(nodes, inputs, outputs, initializers=()) -> bytes:
    graph = helper.make_graph(nodes, "test", inputs, outputs, list(initializers))
    model = helper.make_model(graph, ir_version=10, opset_imports=[helper.make_opsetid("", 21)])
    onnx.checker.check_model(model, full_check=True)
    return model.SerializeToString()


def _info(name: str, elem: int, shape: list | None) -> onnx.ValueInfoProto:
    return helper.make_tensor_value_info(name, elem, shape)


def _const(name: str, value: np.ndarray) -> onnx.TensorProto:
    return numpy_helper.from_array(np.asarray(value), name)


def dense_model(w: np.ndarray, b: np.ndarray, batch: int | str = "batch") -> bytes:
    """``y = x @ w + b`` with w, b as initializers; x is [batch, in] float32."""
    n_in, n_out = w.shape
    return _model(
        [
            helper.make_node("MatMul", ["x", "W"], ["xw"]),
            helper.make_node("Add", ["xw", "B"], ["y"]),
        ],
        [_info("x", FLOAT, [batch, n_in])],
        [_info("y", FLOAT, [batch, n_out])],
        [_const("W", w.astype(np.float32)), _const("B", b.astype(np.float32))],
    )


def two_in_two_out_model(w: np.ndarray) -> bytes:
    """Inputs a, c: [batch, k]. Outputs ``s = (a + c) @ w`` and ``d = a - c``."""
    k, n = w.shape
    return _model(
        [
            helper.make_node("Add", ["a", "c"], ["ac"]),
            helper.make_node("MatMul", ["ac", "W"], ["s"]),
            helper.make_node("Sub", ["a", "c"], ["d"]),
        ],
        [_info("a", FLOAT, ["batch", k]), _info("c", FLOAT, ["batch", k])],
        [_info("s", FLOAT, ["batch", n]), _info("d", FLOAT, ["batch", k])],
        [_const("W", w.astype(np.float32))],
    )


def image_model() -> bytes:
    """x: [batch, 28, 28, 1] float32, scale: [] float32 -> y = mean(x, axes 1..3) * scale."""
    return _model(
        [
            helper.make_node("ReduceMean", ["x", "axes"], ["m"], keepdims=0),
            helper.make_node("Mul", ["m", "scale"], ["y"]),
        ],
        [_info("x", FLOAT, ["batch", 28, 28, 1]), _info("scale", FLOAT, [])],
        [_info("y", FLOAT, ["batch"])],
        [_const("axes", np.array([1, 2, 3], np.int64))],
    )


DECAY = np.float32(0.01)


def sgd_step_model() -> bytes:
    """One SGD step of linear regression with MSE loss.

    Inputs: x[batch,3], y[batch,1], lr[], step[] (float32), w[3,1], b[1], iterations[] int64.
    Outputs: loss, mae, w:new, b:new, iterations:new, pred (x @ w + b), and positive (the
    NonZero indices of ``err > 0``: a shape that depends on the data).
    ``lr_t = lr / (1 + DECAY * step)``, ``w:new = w - lr_t * 2 * mean(x * err, 0)^T``,
    ``b:new = b - lr_t * 2 * mean(err, 0)``, ``err = x @ w + b - y``.
    """
    n = helper.make_node
    nodes = [
        n("MatMul", ["x", "w"], ["xw"]),
        n("Add", ["xw", "b"], ["pred"]),
        n("Sub", ["pred", "y"], ["err"]),
        n("Mul", ["err", "err"], ["sq"]),
        n("ReduceMean", ["sq"], ["loss"], keepdims=0),
        n("Abs", ["err"], ["abs_err"]),
        n("ReduceMean", ["abs_err"], ["mae"], keepdims=0),
        n("Mul", ["step", "decay"], ["ds"]),
        n("Add", ["ds", "one"], ["den"]),
        n("Div", ["lr", "den"], ["lr_t"]),
        n("Mul", ["lr_t", "two"], ["lr2"]),
        n("Mul", ["x", "err"], ["xe"]),
        n("ReduceMean", ["xe", "axis0"], ["gw_row"], keepdims=1),
        n("Transpose", ["gw_row"], ["gw"], perm=[1, 0]),
        n("Mul", ["gw", "lr2"], ["dw"]),
        n("Sub", ["w", "dw"], ["w:new"]),
        n("ReduceMean", ["err", "axis0"], ["gb"], keepdims=0),
        n("Mul", ["gb", "lr2"], ["db"]),
        n("Sub", ["b", "db"], ["b:new"]),
        n("Add", ["iterations", "one_i"], ["iterations:new"]),
        n("Greater", ["err", "zero"], ["is_pos"]),
        n("NonZero", ["is_pos"], ["positive"]),
    ]
    inputs = [
        _info("x", FLOAT, ["batch", 3]),
        _info("y", FLOAT, ["batch", 1]),
        _info("lr", FLOAT, []),
        _info("step", FLOAT, []),
        _info("w", FLOAT, [3, 1]),
        _info("b", FLOAT, [1]),
        _info("iterations", INT64, []),
    ]
    outputs = [
        _info("loss", FLOAT, []),
        _info("mae", FLOAT, []),
        _info("w:new", FLOAT, [3, 1]),
        _info("b:new", FLOAT, [1]),
        _info("iterations:new", INT64, []),
        _info("pred", FLOAT, ["batch", 1]),
        _info("positive", INT64, [2, "n_positive"]),
    ]
    consts = [
        _const("zero", np.float32(0)),
        _const("decay", DECAY),
        _const("one", np.float32(1)),
        _const("two", np.float32(2)),
        _const("one_i", np.int64(1)),
        _const("axis0", np.array([0], np.int64)),
    ]
    return _model(nodes, inputs, outputs, consts)


def eval_model() -> bytes:
    """Inputs x[batch,3], y[batch,1], w[3,1], b[1] -> loss, mae of the linear model."""
    n = helper.make_node
    nodes = [
        n("MatMul", ["x", "w"], ["xw"]),
        n("Add", ["xw", "b"], ["pred"]),
        n("Sub", ["pred", "y"], ["err"]),
        n("Mul", ["err", "err"], ["sq"]),
        n("ReduceMean", ["sq"], ["loss"], keepdims=0),
        n("Abs", ["err"], ["abs_err"]),
        n("ReduceMean", ["abs_err"], ["mae"], keepdims=0),
    ]
    inputs = [
        _info("x", FLOAT, ["batch", 3]),
        _info("y", FLOAT, ["batch", 1]),
        _info("w", FLOAT, [3, 1]),
        _info("b", FLOAT, [1]),
    ]
    return _model(nodes, inputs, [_info("loss", FLOAT, []), _info("mae", FLOAT, [])])


def numpy_sgd_step(x, y, w, b, lr, step):
    """The numpy reference of :func:`sgd_step_model`, in float32. Returns (loss, w, b)."""
    x, y = x.astype(np.float32), y.astype(np.float32)
    err = x @ w + b - y
    loss = np.mean(err * err)
    lr_t = np.float32(lr) / (np.float32(step) * DECAY + np.float32(1))
    lr2 = lr_t * np.float32(2)
    gw = np.mean(x * err, axis=0, keepdims=True).T
    gb = np.mean(err, axis=0)
    return loss, (w - gw * lr2).astype(np.float32), (b - gb * lr2).astype(np.float32)
