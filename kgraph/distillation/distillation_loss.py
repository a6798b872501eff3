"""Keras 3.15's distillation losses: how a :class:`~kgraph.distillation.Distiller` compares
what the teacher and the student computed.

``compute_loss`` is written with ``kgraph.ops`` and kgraph losses, so the Distiller traces it
into the training and evaluation graphs (it runs once per graph on symbolic tensors, never per
batch). A custom subclass must do the same: no Python on tensor values.

A string loss names the loss *function* (``"kl_divergence"``, ``"mse"``), as in Keras: the
function's per-sample values are averaged. This matters for :class:`LogitsDistillation`,
whose softmax-and-``temperature**2`` treatment applies only to a ``KLDivergence`` *instance*;
with the default string the KL divergence is taken on the temperature-scaled logits as they
are, exactly as Keras computes it.
"""

from __future__ import annotations

from kgraph import losses as losses_module
from kgraph import ops
from kgraph.utils import tree


def convert_loss(loss):
    """A loss name as Keras' ``keras.losses.get`` resolves it: the loss function of that name
    (aliases such as ``"mse"`` and class names included, so a named KL divergence is never
    taken for a ``KLDivergence`` object); loss objects, functions and None pass through."""
    if not isinstance(loss, str):
        return loss
    try:
        instance = losses_module.get(loss)
    except ValueError:
        raise ValueError(f"Could not interpret loss identifier: {loss}") from None
    for name in (loss, instance.name):
        function = getattr(losses_module, name, None)
        if callable(function) and not isinstance(function, type):
            return function
    return instance


def _loss_structure(loss):
    converted = tree.map_structure(convert_loss, loss)
    return converted, tree.flatten(converted)


def _summed(values: list):
    """The scalar sum of per-output losses (Python zeros for skipped outputs included)."""
    values = [ops.convert_to_tensor(v, "float32") if isinstance(v, float) else v for v in values]
    return ops.sum(ops.stack(values))


def _structure(value):
    """A nested value's shape with its leaves as ``*`` (for error messages)."""
    return tree.map_structure(lambda _: "*", value)


def _deserialize_loss(config):
    """A config's ``loss`` back to losses (loading may have decoded it already)."""
    from kgraph.saving import deserialize_keras_object

    if config is None or callable(config):
        return config
    if isinstance(config, (list, tuple)):
        return [_deserialize_loss(c) for c in config]
    if isinstance(config, dict) and "class_name" not in config:
        return {key: _deserialize_loss(value) for key, value in config.items()}
    return deserialize_keras_object(config)


class DistillationLoss:
    """Base class of the distillation losses. A subclass overrides ``compute_loss`` (with
    ``kgraph.ops``, since it is traced) and may check models or outputs in the two
    ``validate_*`` hooks, which the Distiller calls at construction and at trace time."""

    def compute_loss(self, teacher_outputs, student_outputs, **kwargs):
        """The scalar loss between the teacher's and the student's outputs."""
        raise NotImplementedError("Subclasses must implement compute_loss")

    def validate_outputs(self, teacher_outputs, student_outputs):
        """Raises ValueError when the two output structures differ."""
        tree.assert_same_structure(teacher_outputs, student_outputs)

    def validate_model_compatibility(self, teacher, student):
        """Raises ValueError when this loss cannot compare these models (default: it can)."""


class FeatureDistillation(DistillationLoss):
    """Matches intermediate features (a layer's output by name in each model, or the final
    outputs when a name is None) with ``loss`` (default ``"mse"``), averaged per output and
    summed over outputs; a None entry in a nested ``loss`` skips that output."""

    def __init__(self, loss="mse", teacher_layer_name=None, student_layer_name=None):
        self.teacher_layer_name = teacher_layer_name
        self.student_layer_name = student_layer_name
        self.loss, flat = _loss_structure(loss)
        if all(item is None for item in flat):
            raise ValueError(
                "The `loss` argument in `FeatureDistillation` must contain at least one "
                "non-`None` value."
            )

    def validate_model_compatibility(self, teacher, student):
        """Layer names need models with symbolic inputs (Functional or Sequential), and the
        named layers must exist."""
        if self.teacher_layer_name is not None or self.student_layer_name is not None:
            subclassed = [
                role
                for role, model in (("teacher", teacher), ("student", student))
                if getattr(model, "inputs", None) is None
            ]
            if subclassed:
                raise ValueError(
                    "FeatureDistillation with specific layer names requires Functional or "
                    f"Sequential models. The {' and '.join(subclassed)} model(s) appear to be "
                    "subclassed (no symbolic inputs/outputs). Either use Functional/Sequential "
                    "models, or use FeatureDistillation without layer names (to distill final "
                    "outputs only), or use LogitsDistillation instead."
                )
        for role, model, name in (
            ("teacher", teacher, self.teacher_layer_name),
            ("student", student, self.student_layer_name),
        ):
            if name is not None:
                try:
                    model.get_layer(name=name)
                except ValueError as exc:
                    raise ValueError(f"In {role} model: {exc}") from exc

    def validate_outputs(self, teacher_outputs, student_outputs):
        """The outputs must share one structure, and ``loss`` must follow it."""
        super().validate_outputs(teacher_outputs, student_outputs)
        try:
            tree.assert_same_structure(self.loss, teacher_outputs)
        except ValueError as exc:
            raise ValueError(
                f"Loss structure mismatch. Loss structure: {_structure(self.loss)}, "
                f"Output structure: {_structure(teacher_outputs)}. Error: {exc}"
            ) from exc

    def compute_loss(self, teacher_outputs, student_outputs, **kwargs):
        """Each output's mean loss (teacher features as targets), summed."""

        def one(loss_fn, teacher, student):
            return 0.0 if loss_fn is None else ops.mean(loss_fn(teacher, student))

        values = tree.map_structure(one, self.loss, teacher_outputs, student_outputs)
        return _summed(tree.flatten(values))

    def get_config(self):
        return {
            "loss": losses_module.serialize(self.loss),
            "teacher_layer_name": self.teacher_layer_name,
            "student_layer_name": self.student_layer_name,
        }

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        config["loss"] = _deserialize_loss(config["loss"])
        return cls(**config)


class LogitsDistillation(DistillationLoss):
    """Matches final outputs after dividing both by ``temperature`` (default 3.0) with
    ``loss`` (default ``"kl_divergence"``). With a ``KLDivergence`` instance both sides go
    through a softmax first and the loss is scaled by ``temperature**2``."""

    def __init__(self, temperature=3.0, loss="kl_divergence"):
        self.temperature = temperature
        self.loss, flat = _loss_structure(loss)
        if all(item is None for item in flat):
            raise ValueError("At least one loss must be non-`None`.")
        if not isinstance(temperature, (int, float)):
            raise ValueError(f"temperature must be a number, got {type(temperature)}")
        if temperature <= 0.0:
            raise ValueError("temperature must be positive.")

    def compute_loss(self, teacher_outputs, student_outputs, **kwargs):
        """Each output's mean loss between the scaled logits, summed."""
        t = self.temperature

        def one(loss_fn, teacher, student):
            if loss_fn is None:
                return 0.0
            teacher, student = teacher / t, student / t
            if isinstance(loss_fn, losses_module.KLDivergence):
                teacher = ops.softmax(teacher, axis=-1)
                student = ops.softmax(student, axis=-1)
                return ops.mean(loss_fn(teacher, student)) * (t**2)
            return ops.mean(loss_fn(teacher, student))

        values = tree.map_structure(one, self.loss, teacher_outputs, student_outputs)
        return _summed(tree.flatten(values))

    def get_config(self):
        from kgraph.saving import serialize_keras_object

        return {"temperature": self.temperature, "loss": serialize_keras_object(self.loss)}

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        config["loss"] = _deserialize_loss(config["loss"])
        return cls(**config)


__all__ = ["DistillationLoss", "FeatureDistillation", "LogitsDistillation"]
