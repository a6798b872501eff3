"""Shared checks for pass tests: a pass must keep onnxruntime's results equal."""

from __future__ import annotations

import collections

import numpy as np
import onnx
import onnxruntime as ort
import pytest

from kgraph.compiler import serde
from kgraph.compiler.builder import GraphBuilder


def run(model, feeds):
    proto = serde.to_proto(model, infer_shapes=True, check=True)
    session = ort.InferenceSession(proto.SerializeToString(), providers=["CPUExecutionProvider"])
    return session.run(None, feeds)


def op_counts(model) -> collections.Counter:
    return collections.Counter(node.op_type for node in model.graph)


@pytest.fixture
def check_pass():
    """``check_pass(build, pass_, feeds)`` → (counts before, counts after, modified)."""

    def check(build, pass_, feeds):
        b = GraphBuilder()
        build(b)
        before_model = serde.to_model(b.graph)
        expected = run(before_model, feeds)
        before = op_counts(before_model)
        b2 = GraphBuilder()
        build(b2)
        model = serde.to_model(b2.graph)
        result = pass_(model)
        got = run(result.model, feeds)
        for e, g in zip(expected, got):
            np.testing.assert_allclose(g, e, rtol=1e-5, atol=1e-6)
        onnx.checker.check_model(serde.to_proto(result.model), full_check=True)
        return before, op_counts(result.model), result.modified

    return check
