"""Bad and unusual layer arguments fail (or pass) in kgraph as in Keras 3: same exception type
in the same phase (init, build, call). The table is the common parameters on representative
layers; the slow sweep runs every public layer through ``layer_arguments_differential``."""

from __future__ import annotations

import pytest

import kgraph
from tests.oracle.keras_oracle import MARKS, keras
from tests.oracle.layer_arguments_differential import Case, compare, sweep_cases

pytestmark = MARKS

#: Exceptions that are Keras crashes rather than argument checks (``padding=1`` hits
#: ``int.lower``, ``axis=7`` a tuple index): kgraph raises a ValueError no later instead.
CRASHES = {"AttributeError", "OverflowError", "IndexError", "ZeroDivisionError"}
PHASES = ("init", "build", "call", "ok")

IMG, SEQ, VEC = (2, 6, 6, 3), (2, 6, 3), (2, 4)
CASES = [
    Case("Dense", {"units": 3}, VEC, "base"),
    Case("Dense", {"units": 0}, VEC, "units=0"),
    Case("Dense", {"units": -1}, VEC, "units=-1"),
    Case("Dense", {"units": 2.5}, VEC, "units=2.5"),
    Case("Dense", {"units": "3"}, VEC, "units=str"),
    Case("Dense", {"units": None}, VEC, "units=None"),
    Case("Dense", {"units": 3, "activation": "no_such"}, VEC, "activation=bad"),
    Case("Dense", {"units": 3, "kernel_initializer": "no_such"}, VEC, "initializer=bad"),
    Case("Dense", {"units": 3, "kernel_regularizer": "l2"}, VEC, "regularizer=l2"),
    Case("Dense", {"units": 3, "kernel_constraint": "non_neg"}, VEC, "constraint=str"),
    Case("Dense", {"units": 3, "no_such_argument": 1}, VEC, "unknown_kwarg"),
    Case("Dense", {"units": 3}, (2, 4, 5, 6, 7, 8, 9, 1, 2, 3), "deep_input"),
    Case("Conv2D", {"filters": 2, "kernel_size": 3}, IMG, "base"),
    Case("Conv2D", {"filters": 0, "kernel_size": 3}, IMG, "filters=0"),
    Case("Conv2D", {"filters": "2", "kernel_size": 3}, IMG, "filters=str"),
    Case("Conv2D", {"filters": None, "kernel_size": 3}, IMG, "filters=None"),
    Case("Conv2DTranspose", {"filters": 2.5, "kernel_size": 3}, IMG, "filters=2.5"),
    Case("SeparableConv1D", {"filters": None, "kernel_size": 3}, SEQ, "filters=None"),
    Case("Conv2D", {"filters": 2, "kernel_size": (3, 3)}, IMG, "kernel_size=tuple"),
    Case("Conv2D", {"filters": 2, "kernel_size": [3, 1]}, IMG, "kernel_size=list"),
    Case("Conv2D", {"filters": 2, "kernel_size": 0}, IMG, "kernel_size=0"),
    Case("Conv2D", {"filters": 2, "kernel_size": -1}, IMG, "kernel_size=-1"),
    Case("Conv2D", {"filters": 2, "kernel_size": (3, 3, 3)}, IMG, "kernel_size=len3"),
    Case("Conv2D", {"filters": 2, "kernel_size": 2.5}, IMG, "kernel_size=float"),
    Case("Conv1D", {"filters": 2, "kernel_size": "3"}, SEQ, "kernel_size=str"),
    Case("Conv1D", {"filters": 2, "kernel_size": 3, "strides": "1"}, SEQ, "strides=str"),
    Case("Conv2D", {"filters": 2, "kernel_size": 3, "strides": 0}, IMG, "strides=0"),
    Case("Conv2D", {"filters": 2, "kernel_size": 3, "padding": "SAME"}, IMG, "padding=SAME"),
    Case("Conv2D", {"filters": 2, "kernel_size": 3, "padding": "full"}, IMG, "padding=bad"),
    Case("Conv1D", {"filters": 2, "kernel_size": 3, "padding": "causal"}, SEQ, "causal"),
    Case("Conv2D", {"filters": 2, "kernel_size": 3, "padding": 1}, IMG, "padding=int"),
    Case("Conv2D", {"filters": 2, "kernel_size": 3, "data_format": None}, IMG, "format=None"),
    Case("Conv2D", {"filters": 2, "kernel_size": 3, "data_format": "nhwc"}, IMG, "format=bad"),
    Case("Conv2D", {"filters": 2, "kernel_size": 3}, SEQ, "rank=3"),
    Case("MaxPooling2D", {"pool_size": (2, 2)}, IMG, "pool_size=tuple"),
    Case("MaxPooling2D", {"pool_size": 0}, IMG, "pool_size=0"),
    Case("MaxPooling2D", {"pool_size": (2, 2, 2)}, IMG, "pool_size=len3"),
    Case("LSTM", {"units": 3}, SEQ, "base"),
    Case("LSTM", {"units": 0}, SEQ, "units=0"),
    Case("LSTM", {"units": "3"}, SEQ, "units=str"),
    Case("LSTM", {"units": None}, SEQ, "units=None"),
    Case("GRU", {"units": 3, "dropout": 1.5}, SEQ, "dropout=1.5"),
    Case("Dropout", {"rate": 0}, VEC, "rate=0"),
    Case("Dropout", {"rate": 1.0}, VEC, "rate=1"),
    Case("Dropout", {"rate": -0.1}, VEC, "rate<0"),
    Case("Dropout", {"rate": 1.5}, VEC, "rate>1"),
    Case("Dropout", {"rate": "0.5"}, VEC, "rate=str"),
    Case("BatchNormalization", {"axis": -1}, IMG, "axis=-1"),
    Case("BatchNormalization", {"axis": 7}, IMG, "axis=7"),
    Case("LayerNormalization", {"axis": [-1]}, IMG, "axis=list"),
    Case("LayerNormalization", {"axis": -7}, IMG, "axis=-7"),
    Case("Activation", {"activation": "no_such"}, VEC, "activation=bad"),
    Case("Activation", {"activation": "relu", "no_such_argument": 1}, VEC, "unknown_kwarg"),
    Case("GRU", {"units": 3, "no_such_argument": 1}, SEQ, "unknown_kwarg"),
    Case("Embedding", {"input_dim": 5, "output_dim": 0}, VEC, "output_dim=0"),
    Case("Flatten", {}, VEC, "base"),
    Case("RepeatVector", {"n": 0}, VEC, "n=0"),
    Case("RepeatVector", {"n": 2.0}, VEC, "n=float"),
    Case(
        "AdaptiveAveragePooling2D",
        {"output_size": 2, "data_format": "CHANNELS_LAST"},
        IMG,
        "format=upper",
    ),
    Case("Lambda", {"function": "relu"}, VEC, "function=str"),
    Case("Concatenate", {"axis": 1.5}, VEC, "axis=float"),
    Case("RandomGaussianBlur", {"kernel_size": "3"}, IMG, "kernel_size=str"),
    Case("RandomHue", {"factor": None}, IMG, "factor=None"),
    Case("AdaptiveMaxPooling1D", {"output_size": (2, 2)}, SEQ, "output_size=len2"),
    Case("AdaptiveMaxPooling2D", {"output_size": (2, 2, 2)}, IMG, "output_size=len3"),
    Case("Embedding", {"input_dim": 0, "output_dim": 3}, VEC, "input_dim=0"),
    Case(
        "SeparableConv2D",
        {"filters": 2, "kernel_size": 3, "depth_multiplier": 0},
        IMG,
        "depth_multiplier=0",
    ),
    Case("Conv2D", {"filters": 2, "kernel_size": 3, "groups": 2}, IMG, "groups=2"),
    Case("GaussianDropout", {"rate": "0.1"}, VEC, "rate=str"),
    Case("LayerNormalization", {"epsilon": "0.1"}, IMG, "epsilon=str"),
    Case("RandomContrast", {"factor": None}, IMG, "factor=None"),
    Case("RandomPosterization", {"factor": None}, IMG, "factor=None"),
    Case("Reshape", {"target_shape": None}, IMG, "target_shape=None"),
    Case(
        "GroupQueryAttention",
        {"head_dim": None, "num_query_heads": 2, "num_key_value_heads": 2},
        None,
        "head_dim=None",
    ),
    Case("Reshape", {"target_shape": (-1,)}, IMG, "base"),
]


def agrees(theirs, ours) -> bool:
    """Same (type, phase); a Keras crash may be any ValueError/TypeError no later."""
    if theirs.error in CRASHES:
        return ours.error in ("ValueError", "TypeError") and PHASES.index(
            ours.phase
        ) <= PHASES.index(theirs.phase)
    return theirs.key() == ours.key()


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_fails_as_keras(case):
    theirs, ours = compare(keras, kgraph, case)
    assert agrees(theirs, ours), f"keras={theirs} kgraph={ours}"
    if case.label == "unknown_kwarg":
        assert ours.message == theirs.message
    if ours.error and ours.phase == "init" and theirs.error == ours.error:
        named = [k for k, v in case.kwargs.items() if k in ours.message or str(v) in ours.message]
        assert named, f"message names no argument: {ours.message}"


#: Parameters whose checks are shared validators: every layer must agree on them.
SHARED = ("unknown_kwarg", "units=str", "units=none", "kernel_size=str", "strides=str")


@pytest.mark.slow
def test_every_layer_agrees_on_shared_checks():
    cases = [c for c in sweep_cases(keras) if c.label.startswith(SHARED)]
    bad = []
    for case in cases:
        theirs, ours = compare(keras, kgraph, case)
        known_keras_quirk = case.layer.startswith("SpatialDropout") or theirs.error == "ImportError"
        if not agrees(theirs, ours) and not known_keras_quirk:
            bad.append(f"{case.id}: keras={theirs.key()} kgraph={ours.key()}")
    assert not bad, "\n".join(bad)
