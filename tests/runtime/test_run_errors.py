"""A failure inside onnxruntime during a run is the runtime's ``RunError``: one line naming the
inputs and onnxruntime's message, and nothing printed by onnxruntime's own logger."""

from __future__ import annotations

import numpy as np
import pytest

import kgraph as keras
from kgraph import layers
from kgraph.runtime import Predictor, RunError


@pytest.fixture(scope="module")
def dynamic_conv():
    model = keras.Sequential(
        [keras.Input(shape=(None, None, 3)), layers.Conv2D(2, 3), layers.GlobalAveragePooling2D()]
    )
    return model.to_onnx_bytes()


def test_a_kernel_failure_is_a_run_error_in_one_line(dynamic_conv, capfd):
    predictor = Predictor(dynamic_conv, device="cpu")
    good = predictor.predict(np.ones((1, 5, 5, 3), np.float32))
    assert good.shape == (1, 2)
    with pytest.raises(RunError) as info:
        predictor.predict(np.ones((2, 1, 1, 3), np.float32))
    message = str(info.value)
    assert "\n" not in message and "[ONNXRuntimeError]" not in message
    assert "float32[2, 1, 1, 3]" in message and "Conv" in message
    assert capfd.readouterr().err == ""
