"""``Model``: a layer with inputs and outputs that compiles to ONNX, predicts and trains.

``Model(inputs=..., outputs=...)`` returns a ``Functional`` model, as in Keras. Subclasses that
define ``call`` are traced with the input shapes they were first called (or built) with.
"""

from __future__ import annotations

import numpy as np

from kgraph.layers.auto_config import default, with_arguments
from kgraph.layers.layer import Layer
from kgraph.models import graph_cut
from kgraph.models.saving_api import SavingMixin
from kgraph.models.training import TrainingMethods
from kgraph.tensor import KerasTensor, Variable, generation
from kgraph.utils import tree


class Model(SavingMixin, TrainingMethods, Layer):
    """A model: groups layers into an object with training and inference features."""

    def __new__(cls, *args, **kwargs):
        if cls is Model and ("inputs" in kwargs or len(args) >= 2):
            from kgraph.models.functional import Functional

            return super().__new__(Functional)
        return super().__new__(cls, *args, **kwargs)  # the arguments: automatic config

    @default
    def __init__(self, *args, name=None, trainable=True, **kwargs):
        if graph_cut.functional_arguments(args, kwargs):  # Subclass(inputs, outputs)
            from kgraph.models.functional import Functional

            graph_cut.make_functional_subclass(type(self), Model, Functional)
            Functional.__init__(self, *args, name=name, trainable=trainable, **kwargs)
            return
        Layer.__init__(self, name=name, trainable=trainable, **kwargs)
        self._compiled_cache: dict = {}
        self._device = "auto"
        self.compiled = False
        self.stop_training = False
        self.history = None

    # -- structure -------------------------------------------------------------------------
    @property
    def layers(self) -> list[Layer]:
        return list(self._layers)

    def get_layer(self, name=None, index=None) -> Layer:
        """Finds a layer by name or index (one of the two, as in Keras)."""
        if index is not None and name is not None:
            raise ValueError(
                f"Provide only a layer name or a layer index. Received: index={index}, name={name}."
            )
        if index is not None:
            if len(self.layers) <= index:
                raise ValueError(
                    f"Was asked to retrieve layer at index {index} but model only has "
                    f"{len(self.layers)} layers."
                )
            return self.layers[index]
        if name is None:
            raise ValueError("Provide either a layer name or layer index at `get_layer`.")
        for layer in self.layers:
            if layer.name == name:
                return layer
        raise ValueError(
            f"No such layer: {name}. Existing layers are: {[layer.name for layer in self.layers]}."
        )

    def build(self, input_shape) -> None:
        """Builds a subclassed model by a symbolic call on ``input_shape``."""
        if isinstance(input_shape, tuple) or (
            input_shape and not isinstance(input_shape[0], (tuple, list))
        ):
            spec = KerasTensor(tuple(input_shape), self.dtype)
        else:
            spec = [KerasTensor(tuple(s), self.dtype) for s in input_shape]
        self._symbolic_inputs = spec
        self.built = True
        self._symbolic_outputs = self._call((spec,), {}, record=False)

    @property
    def input_names(self) -> list[str]:
        return [f"input_{i}" if i else "inputs" for i in range(len(self._trace_inputs()))]

    @property
    def output_names(self) -> list[str]:
        return (
            [self.name]
            if not isinstance(self._symbolic_outputs, (list, tuple))
            else [f"output_{i}" for i in range(len(self._symbolic_outputs))]
        )

    def _target_names(self) -> list[str]:
        """The names ``compile``, targets and logs use for the outputs (see Functional)."""
        return self.output_names

    @property
    def input_shape(self):
        """The input's shape (a list of shapes for several inputs), batch axis included."""
        shapes = [tuple(t.shape) for t in self._trace_inputs()]
        return shapes if len(shapes) > 1 else shapes[0]

    @property
    def output_shape(self):
        """The output's shape (a list of shapes for several outputs), batch axis included."""
        shapes = [tuple(t.shape) for t in self._output_specs()]
        return shapes if len(shapes) > 1 else shapes[0]

    @property
    def metrics_names(self) -> list[str]:
        """The names ``evaluate`` returns its values under (after ``compile``)."""
        from kgraph.models import logs
        from kgraph.models.loss_override import overrides

        if not getattr(self, "compiled", False):
            return []
        if overrides(self, "metrics"):  # the model lists its own (a VAE's trackers), as Keras
            return [metric.name for metric in self.metrics]
        trainer = self._trainer
        return list(dict.fromkeys(logs.metrics_names(trainer.specs, trainer.loss_order)))

    def _input_keys(self) -> list[str] | None:
        """The keys a dict of input data is read by, in ``_trace_inputs`` order; None: by the
        inputs' names."""
        return None

    def _output_specs(self) -> list[KerasTensor]:
        """The symbolic outputs, in output order."""
        return getattr(self, "outputs", None) or tree.flatten(self._symbolic_outputs)

    def _trace_inputs(self) -> list[KerasTensor]:
        if getattr(self, "inputs", None):
            return list(self.inputs)
        spec = getattr(self, "_symbolic_inputs", None)
        if spec is None:
            raise ValueError(
                f"Model '{self.name}' has not been built: call it on data or call "
                "build(input_shape) before compiling it to ONNX."
            )
        return tree.flatten(spec)

    # -- inference ---------------------------------------------------------------------------
    def _call(self, args, kwargs, record):
        leaves = tree.flatten((args, kwargs))
        if (
            leaves
            and not any(isinstance(t, (KerasTensor, Variable)) for t in leaves)
            and all(isinstance(t, np.ndarray) for t in tree.flatten(args[:1]))
            and not kwargs.get("training")  # training=True runs the layers eagerly, as Keras
        ):
            return self.predict(args[0], batch_size=None, verbose=0)
        return super()._call(args, kwargs, record)

    def _predictor(self):
        from kgraph.runtime import Predictor

        cached = self._compiled_cache.get("predictor")
        if cached is None or cached[0] != generation():
            cached = (generation(), Predictor(self.to_onnx_bytes(), device=self._device))
            self._compiled_cache["predictor"] = cached
        return cached[1]

    def _needs_data_build(self) -> bool:
        """Whether the model waits for data to know its input (no ``Input``, not built)."""
        return not self.built or (
            not getattr(self, "inputs", None) and not hasattr(self, "_symbolic_inputs")
        )

    def _build_on_data(self, x) -> None:
        """Builds a model defined without an ``Input`` from the first data it sees (Keras)."""
        if self._needs_data_build():
            self.build(tree.map_structure(lambda a: (None, *np.shape(a)[1:]), x))

    def predict(self, x, batch_size=32, verbose="auto", steps=None, callbacks=None):
        """Runs the inference graph in onnxruntime over ``x`` in batches.

        Args:
            x: Numpy inputs (an array, a list, or a dict by input name), or a dataset,
                ``PyDataset`` or generator of batches (``x`` or ``(x, y[, w])``).
            batch_size: Samples per run (32 by default; None runs all at once).
            verbose: 0 = silent, 1 or "auto" = progress bar (as Keras), 2 = one line.
            steps: Predict only the first ``steps`` batches.
            callbacks: Callbacks whose ``on_predict_*`` hooks run (the batch hooks get
                ``{"outputs": ...}``, as in Keras).

        Returns:
            Numpy results in the structure of the model's outputs (an array, a list, or a dict
            by output name).
        """
        from kgraph import config
        from kgraph.callbacks import CallbackList
        from kgraph.models.data import as_input_arrays
        from kgraph.models.predict_batches import predict_with_batch_hooks
        from kgraph.utils.dataset import dataset_inputs
        from kgraph.utils.progbar import Progbar

        self._check_step_overrides("predict")  # a predict_step override cannot run here
        x, steps = dataset_inputs(x, config.capped_steps(steps))  # a dataset's inputs
        self._build_on_data(x)
        arrays = as_input_arrays(x, self._trace_inputs(), self.name, self._input_keys())
        size = batch_size or len(arrays[0]) or 1
        if steps is not None:
            arrays = [a[: steps * size] for a in arrays]
        verbose = 1 if verbose == "auto" else verbose
        count = max(1, -(-len(arrays[0]) // size))
        cbs = CallbackList(callbacks, model=self, steps=count, verbose=verbose)
        bar = Progbar(count, verbose=verbose)
        cbs.on_predict_begin({})
        predictor = self._predictor()
        if callbacks:
            result = predict_with_batch_hooks(predictor, arrays, size, count, cbs)
        else:
            data = arrays if len(arrays) > 1 else arrays[0]
            result = predictor.predict(data, batch_size=batch_size)
        bar.seen = count
        bar.finish()
        cbs.on_predict_end({})
        structure = getattr(self, "_outputs_struct", None)
        if isinstance(structure, dict):
            return tree.pack_like(structure, result)
        return result

    def predict_on_batch(self, x):
        """``predict`` on one batch, silently."""
        return self.predict(x, batch_size=None, verbose=0)

    def quantize(self, mode=None, config=None, filters=None, **kwargs):
        """Keras' post-training quantization of the built model's Dense, EinsumDense and
        Embedding layers (``"int8"`` only; see ``kgraph.layers.core.quantize_model``)."""
        from kgraph.layers.core.quantize_model import quantize_model

        quantize_model(self, mode, config, filters, **kwargs)

    # -- export ------------------------------------------------------------------------------
    def to_onnx_bytes(self, batch_size=None, opset=None) -> bytes:
        """The serialized inference graph (cached until a weight changes)."""
        from kgraph.models import export

        key = (batch_size, opset, generation())
        cached = self._compiled_cache.get(("bytes", batch_size, opset))
        if cached is None or cached[0] != key:
            cached = (key, export.inference_bytes(self, batch_size=batch_size, opset=opset))
            self._compiled_cache[("bytes", batch_size, opset)] = cached
        return cached[1]

    def export(
        self,
        filepath,
        format=None,  # noqa: A002
        verbose=True,
        batch_size=None,
        opset=None,
    ):
        """Writes the inference graph (Keras 3's spelling; ``format`` may be left out for .onnx)."""
        from kgraph.compiler import serde

        fmt = format or ("onnx" if str(filepath).endswith(".onnx") else None)
        if fmt != "onnx":
            raise ValueError(
                f"kgraph exports format='onnx' only. Received: format={format} "
                f"for filepath={filepath}"
            )
        serde.save_bytes(self.to_onnx_bytes(batch_size=batch_size, opset=opset), filepath)
        if verbose:
            print(f"Saved ONNX model to {filepath}")

    def summary(
        self,
        line_length=None,
        positions=None,
        print_fn=None,
        expand_nested=False,
        show_trainable=False,
        layer_range=None,
    ):
        """Prints the Keras-style table: layer (type), output shape, params, totals."""
        from kgraph.models.summary import print_summary

        print_summary(
            self, line_length, positions, print_fn, expand_nested, show_trainable, layer_range
        )

    # -- config --------------------------------------------------------------------------------
    @default
    def get_config(self):
        config = {"name": self.name, "trainable": self.trainable}
        if self._auto_config is not None:  # a subclass' plain constructor arguments
            return with_arguments(self, config, self._auto_config)
        return config

    @classmethod
    def from_config(cls, config, custom_objects=None):
        """A model from ``get_config()``: a functional config rebuilds its layer graph."""
        if "input_layers" in config and "layers" in config:
            from kgraph.saving.serialization import functional_from_config

            return functional_from_config(config, custom_objects)
        return cls(**config)
