"""Builds every public layer with bad and unusual arguments in real Keras (JAX) and in kgraph
and says where the two fail differently.

A probe constructs the layer, builds it on a symbolic input shape and calls it on an ``Input``
of that shape; it records the exception type and the phase it came in (``init``, ``build``,
``call``) or ``ok``. Keras is the reference: kgraph must fail with the same type in the same
phase, and accept what Keras accepts.

Run ``KERAS_BACKEND=jax python -m tests.oracle.layer_arguments_differential`` for the full
report of mismatches.
"""

from __future__ import annotations

import dataclasses
import inspect

#: Values for required arguments, so that every layer can be built with its defaults.
REQUIRED = {
    "units": 3,
    "filters": 2,
    "kernel_size": 3,
    "rate": 0.5,
    "stddev": 0.5,
    "num_heads": 2,
    "key_dim": 4,
    "head_dim": 4,
    "num_query_heads": 2,
    "num_key_value_heads": 2,
    "input_dim": 5,
    "output_dim": 3,
    "n": 2,
    "dims": (1,),
    "target_shape": (-1,),
    "function": "relu",
    "activation": "relu",
    "equation": "ab,bc->ac",
    "output_shape": 3,
    "pool_size": 2,
    "output_size": 2,
    "height": 4,
    "width": 4,
    "scale": 2.0,
    "factor": 0.5,
    "value_range": (0, 1),
    "num_tokens": 4,
    "num_bins": 4,
    "max_tokens": 10,
    "num_layers": 1,
}

#: Input shapes of layers that Keras does not check enough to find by trying.
SHAPE_HINTS = {
    "EinsumDense": (2, 4),
    "ConvLSTM1D": (2, 3, 6, 2),
    "ConvLSTM2D": (2, 3, 6, 6, 2),
    "ConvLSTM3D": (2, 3, 6, 6, 6, 2),
}

#: Candidate input shapes (batch first), tried in order until Keras accepts one.
SHAPES = [(2, 6, 6, 3), (2, 6, 3), (2, 4), (2, 6, 6, 6, 3), (2, 6, 6, 3, 2)]


@dataclasses.dataclass(frozen=True)
class Outcome:
    """Exception type name (or ``None``) and the phase it came in."""

    error: str | None
    phase: str
    message: str = ""

    def key(self) -> tuple:
        return (self.error, self.phase)


#: Layers called on a list of two tensors.
MERGING = {"Add", "Average", "Concatenate", "Dot", "Maximum", "Minimum", "Multiply", "Subtract"}


def _symbolic_input(lib, shape):
    return lib.Input(shape=shape[1:], batch_size=shape[0])


def probe(lib, name: str, kwargs: dict, shape, call_kwargs=None) -> Outcome:
    """Constructs ``lib.layers.<name>(**kwargs)``, builds it on ``shape`` and calls it."""
    phase = "init"
    try:
        layer = getattr(lib.layers, name)(**kwargs)
        if shape is None:
            return Outcome(None, "ok")
        pair = name in MERGING
        phase = "build"
        layer.build([shape, shape] if pair else shape)
        phase = "call"
        x = _symbolic_input(lib, shape)
        layer([x, x] if pair else x, **(call_kwargs or {}))
    except Exception as error:
        return Outcome(type(error).__name__, phase, str(error)[:300])
    return Outcome(None, "ok")


def layer_names(keras) -> list[str]:
    """Keras' public layer classes that kgraph also exports."""
    import kgraph

    names = []
    for name in dir(keras.layers):
        cls = getattr(keras.layers, name)
        layer = inspect.isclass(cls) and issubclass(cls, keras.layers.Layer)
        if layer and hasattr(kgraph.layers, name):
            names.append(name)
    return sorted(names)


def parameters(keras, name: str) -> dict:
    """Keras' constructor parameters of ``name``: name -> default (``inspect._empty``)."""
    signature = inspect.signature(getattr(keras.layers, name).__init__)
    return {
        p.name: p.default
        for p in signature.parameters.values()
        if p.name != "self" and p.kind not in (p.VAR_KEYWORD, p.VAR_POSITIONAL)
    }


def base_kwargs(keras, name: str) -> dict | None:
    """Values for ``name``'s required parameters, ``None`` when one is unknown."""
    kwargs = {}
    for param, default in parameters(keras, name).items():
        if default is inspect.Parameter.empty:
            if param not in REQUIRED:
                return None
            kwargs[param] = REQUIRED[param]
    return kwargs


def base_shape(keras, name: str, kwargs: dict):
    """The first candidate shape on which Keras builds and calls ``name``, or ``None``."""
    if name in SHAPE_HINTS:
        return SHAPE_HINTS[name]
    for rank, shape in ((1, SHAPES[1]), (2, SHAPES[0]), (3, SHAPES[3])):
        if f"{rank}D" in name:  # Keras does not check every layer's rank (adaptive pooling)
            return shape
    for shape in SHAPES:
        if probe(keras, name, kwargs, shape).error is None:
            return shape
    return None


#: Bad or unusual values per common parameter: (label, value).
EDGES = {
    "units": [
        ("zero", 0),
        ("neg", -1),
        ("float", 2.5),
        ("intfloat", 3.0),
        ("str", "3"),
        ("none", None),
        ("np_int", "np.int64(3)"),
    ],
    "filters": [("zero", 0), ("neg", -2), ("float", 2.5), ("str", "2"), ("none", None)],
    "kernel_size": [
        ("zero", 0),
        ("neg", -1),
        ("tuple_len", (3, 3, 3, 3)),
        ("float", 2.5),
        ("str", "3"),
        ("tuple", "tuple"),
        ("list", "list"),
    ],
    "strides": [("zero", 0), ("neg", -1), ("tuple_len", (1, 1, 1, 1)), ("str", "1")],
    "pool_size": [("zero", 0), ("neg", -1), ("tuple_len", (2, 2, 2, 2)), ("tuple", "tuple")],
    "dilation_rate": [("zero", 0), ("neg", -1)],
    "padding": [("bad", "full"), ("upper", "SAME"), ("causal", "causal"), ("int", 1)],
    "data_format": [("bad", "channels_middle"), ("none", None), ("upper", "CHANNELS_LAST")],
    "activation": [("bad", "no_such_activation"), ("int", 3), ("none", None), ("upper", "ReLU")],
    "kernel_initializer": [("bad", "no_such_init"), ("obj", "obj:initializers.Ones")],
    "bias_initializer": [("bad", "no_such_init")],
    "kernel_regularizer": [("bad", "no_such_reg"), ("str", "l2")],
    "kernel_constraint": [("bad", "no_such_constraint"), ("str", "non_neg")],
    "rate": [("neg", -0.1), ("one", 1.0), ("big", 1.5), ("zero", 0), ("str", "0.5")],
    "axis": [("out_of_range", 7), ("neg_out", -7), ("list", [-1]), ("float", 1.5)],
    "use_bias": [("str", "yes")],
    "dtype": [("bad", "no_such_dtype"), ("policy", "mixed_float16")],
    "num_heads": [("zero", 0), ("neg", -1)],
    "key_dim": [("zero", 0)],
    "size": [("zero", 0), ("neg", -1)],
    "cropping": [("neg", -1)],
    "n": [("zero", 0), ("neg", -1)],
    "input_dim": [("zero", 0), ("str", "5")],
    "output_dim": [("zero", 0), ("neg", -1), ("str", "3")],
    "depth_multiplier": [("zero", 0), ("str", "1")],
    "groups": [("zero", 0), ("two", 2)],
    "dropout": [("big", 1.5), ("str", "0.1")],
    "recurrent_dropout": [("neg", -0.5)],
    "return_sequences": [("str", "yes")],
    "epsilon": [("neg", -1.0), ("str", "0.1")],
    "momentum": [("str", "0.9")],
    "interpolation": [("bad", "no_such"), ("upper", "NEAREST")],
    "output_size": [("zero", 0), ("tuple_len", (2, 2, 2, 2))],
    "target_shape": [("zero", (0,)), ("two_unknown", (-1, -1))],
}


def resolve(lib, value):
    """Placeholders that need the library itself (objects) or numpy."""
    import numpy as np

    if value == "np.int64(3)":
        return np.int64(3)
    if isinstance(value, str) and value.startswith("obj:"):
        module, cls = value[4:].split(".")
        return getattr(getattr(lib, module), cls)()
    return value


def edge_value(lib, param, value, base):
    """``tuple``/``list`` turn the base value into that container of the layer's rank."""
    if value in ("tuple", "list"):
        current = base.get(param, 2)
        return current if not isinstance(current, int) else None
    return resolve(lib, value)


@dataclasses.dataclass
class Case:
    """One probe: layer, keyword arguments (with placeholders) and input shape."""

    layer: str
    kwargs: dict
    shape: tuple | None
    label: str = ""

    @property
    def id(self) -> str:
        return f"{self.layer}-{self.label}"


def sweep_cases(keras, names=None) -> list[Case]:
    """Every layer's base case and each of its applicable edge values."""
    cases = []
    for name in names or layer_names(keras):
        base = base_kwargs(keras, name)
        if base is None:
            continue
        shape = base_shape(keras, name, base)
        cases.append(Case(name, base, shape, "base"))
        cases.append(Case(name, {**base, "no_such_argument": 1}, shape, "unknown_kwarg"))
        if shape is not None:
            wrong = shape[:-1] if len(shape) > 2 else (*shape, 2)
            cases.append(Case(name, base, wrong, "wrong_rank"))
        for param in base:
            cases.append(Case(name, {**base, param: None}, shape, f"{param}=required_none"))
        for param in parameters(keras, name):
            for label, value in EDGES.get(param, ()):
                if value in ("tuple", "list"):
                    continue
                cases.append(Case(name, {**base, param: value}, shape, f"{param}={label}"))
    return cases


def compare(keras, kgraph, case: Case) -> tuple[Outcome, Outcome]:
    """Keras' and kgraph's outcomes of ``case``."""
    kwargs_k = {k: resolve(keras, v) for k, v in case.kwargs.items()}
    kwargs_g = {k: resolve(kgraph, v) for k, v in case.kwargs.items()}
    return (
        probe(keras, case.layer, kwargs_k, case.shape),
        probe(kgraph, case.layer, kwargs_g, case.shape),
    )


def main() -> None:
    import os

    os.environ.setdefault("KERAS_BACKEND", "jax")
    import warnings

    warnings.filterwarnings("ignore")
    import keras

    import kgraph

    mismatches = 0
    for case in sweep_cases(keras):
        ours_k, ours_g = compare(keras, kgraph, case)
        if ours_k.key() != ours_g.key():
            mismatches += 1
            print(f"{case.id}: keras={ours_k.key()} kgraph={ours_g.key()}")
            print(f"    keras: {ours_k.message[:150]}")
            print(f"    kgraph: {ours_g.message[:150]}")
    print(f"{mismatches} mismatches")


if __name__ == "__main__":
    main()
