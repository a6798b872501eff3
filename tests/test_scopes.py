"""Keras' top-level scopes in kgraph: ``name_scope``, ``device``, ``StatelessScope``,
``SymbolicScope``, ``RematScope`` and ``remat`` take Keras' arguments, raise Keras' errors and
nest as stacks."""

from __future__ import annotations

import threading

import numpy as np
import pytest

import kgraph
from kgraph import scopes


def test_name_scope_paths_nest_and_unwind() -> None:
    assert scopes.current_path() == ""
    with kgraph.name_scope("outer"):
        with kgraph.name_scope("inner") as inner:
            assert scopes.current_path() == "outer/inner"
            assert inner.name == "inner"
        assert scopes.current_path() == "outer"
        with kgraph.name_scope("abs", override_parent="root/x"):
            assert scopes.current_path() == "root/x/abs"
    assert scopes.current_path() == ""


def test_name_scope_deduplicates_the_same_caller() -> None:
    caller = object()
    with kgraph.name_scope("block", caller=caller):
        with kgraph.name_scope("block", caller=caller):
            assert scopes.current_path() == "block"
        with kgraph.name_scope("block", caller=caller, deduplicate=False):
            assert scopes.current_path() == "block/block"
        assert scopes.current_path() == "block"


@pytest.mark.parametrize("name", ["a/b", 3, None])
def test_name_scope_rejects_bad_names(name) -> None:
    with pytest.raises(ValueError, match="cannot contain character `/`"):
        kgraph.name_scope(name)


def test_name_scopes_are_per_thread() -> None:
    seen = []
    with kgraph.name_scope("main"):
        worker = threading.Thread(target=lambda: seen.append(scopes.current_path()))
        worker.start()
        worker.join()
    assert seen == [""]


@pytest.mark.parametrize("name", ["cpu", "CPU:0", "gpu", "gpu:1", "cuda:0"])
def test_device_accepts_keras_names(name) -> None:
    x = np.arange(3, dtype="float32")
    with kgraph.device(name) as scope:
        y = kgraph.ops.add(x, 1.0)  # work inside still runs (on the session's provider)
    assert scope.device_name == name.lower()
    np.testing.assert_array_equal(y, x + 1)


def test_device_errors() -> None:
    with pytest.raises(ValueError, match="Expected a string like 'gpu:0'"):
        kgraph.device(5)
    with pytest.raises(RuntimeError, match="Unknown backend tpu"):
        kgraph.device("tpu")
    with pytest.raises(ValueError, match="Device not found: cpu:1"):
        kgraph.device("cpu:1")


def test_stateless_scope_collects_values_and_updates() -> None:
    variable = kgraph.Variable(np.zeros((2,), "float32"), name="v")
    with kgraph.StatelessScope([(variable, np.ones(2))]) as scope:
        assert scopes.in_stateless_scope() and scopes.get_stateless_scope() is scope
        np.testing.assert_array_equal(scope.get_current_value(variable), [1.0, 1.0])
        scope.add_update((variable, np.full(2, 5.0, "float32")))
        scope.add_loss(3.0)
    assert not scopes.in_stateless_scope()
    np.testing.assert_array_equal(scope.get_current_value(variable), [5.0, 5.0])
    assert scope.losses == [3.0]
    np.testing.assert_array_equal(variable.numpy(), [0.0, 0.0])  # the variable is untouched
    assert scope.get_current_value(kgraph.Variable(1.0)) is None


def test_stateless_scope_validates_the_mapping() -> None:
    variable = kgraph.Variable(np.zeros((2,), "float32"))
    with pytest.raises(ValueError, match="must be Variable instances"):
        kgraph.StatelessScope([(np.zeros(2), np.zeros(2))])
    with pytest.raises(ValueError, match="shape that matches"):
        kgraph.StatelessScope([(variable, np.zeros(3))])


def test_symbolic_scope_nests() -> None:
    assert not scopes.in_symbolic_scope()
    with kgraph.SymbolicScope() as outer:
        with kgraph.SymbolicScope() as inner:
            assert scopes.get_symbolic_scope() is inner
        assert scopes.get_symbolic_scope() is outer
    assert scopes.get_symbolic_scope() is None


def test_remat_scope_modes() -> None:
    assert scopes.get_current_remat_mode() is None
    with kgraph.RematScope(mode="larger_than", output_size_threshold=512):
        with kgraph.RematScope(mode="list_of_layers", layer_names=["dense"]):
            mode = scopes.get_current_remat_mode()
            assert (mode.mode, mode.layer_names) == ("list_of_layers", ["dense"])
        assert scopes.get_current_remat_mode().output_size_threshold == 512
    assert scopes.get_current_remat_mode() is None
    with pytest.raises(ValueError, match="Invalid mode 'half'"):
        kgraph.RematScope(mode="half")


def test_remat_computes_the_same_values() -> None:
    def block(x):
        for _ in range(2):
            x = x + x * 0.1
        return x

    wrapped = kgraph.remat(block)
    assert wrapped.__name__ == "block"
    x = np.arange(4, dtype="float32")
    np.testing.assert_allclose(wrapped(x), x * 1.21, rtol=1e-6)
    layer = kgraph.layers.Dense(2, kernel_initializer="ones", bias_initializer="zeros")
    out = kgraph.remat(layer)(np.ones((1, 3), "float32"))
    np.testing.assert_allclose(np.asarray(out), [[3.0, 3.0]])


def test_remat_inside_a_trained_model() -> None:
    class Scaled(kgraph.layers.Layer):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.scaled = kgraph.remat(lambda x: x * 2.0)

        def call(self, inputs):
            return self.scaled(inputs)

    inputs = kgraph.Input(shape=(3,))
    outputs = kgraph.layers.Dense(1, kernel_initializer="ones")(Scaled()(inputs))
    model = kgraph.Model(inputs, outputs)
    x = np.ones((4, 3), "float32")
    np.testing.assert_allclose(model.predict(x, verbose=0), np.full((4, 1), 6.0))
    model.compile(optimizer="sgd", loss="mse")
    model.fit(x, np.zeros((4, 1)), epochs=1, verbose=0)
    assert model.predict(x, verbose=0)[0, 0] < 6.0  # the gradient flowed through remat
