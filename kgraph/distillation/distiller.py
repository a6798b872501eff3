"""Keras 3.15's ``Distiller``: a model that trains a student on its labels and on what a
frozen teacher computes for the same inputs.

kgraph traces the Distiller's ``compute_loss`` into the compiled step and evaluation graphs
(see ``kgraph.models.loss_override``): the teacher's call, the feature extractors and every
distillation loss become graph nodes, once per graph. The teacher is frozen (``trainable =
False``), so its weights are not updated by the step; the student's are.

As in Keras, ``compile``'s ``loss`` is the student's supervised loss and is computed here,
not by the compiled loss: sample weights and regularization penalties are not applied to it.
kgraph still hands ``loss`` to ``Model.compile`` (that is what makes the step graph read the
label inputs), but ``get_compile_config`` reports Keras' ``loss: None``.
"""

from __future__ import annotations

from kgraph import metrics as metrics_module
from kgraph import ops
from kgraph.distillation.distillation_loss import convert_loss
from kgraph.models.model import Model
from kgraph.utils import tree

FINAL = "final_output"


def _check_shapes(teacher, student, context):
    if len(teacher) != len(student):
        raise ValueError(
            f"Teacher and student {context} shapes have different dimensions. "
            f"Teacher: {teacher}, Student: {student}."
        )
    for a, b in zip(teacher, student):
        if a is not None and b is not None and a != b:
            raise ValueError(
                f"Teacher and student {context} shapes are incompatible. Teacher: {teacher}, "
                f"Student: {student}. All dimensions must match."
            )


def _check_dtypes(teacher, student, context):
    if teacher != student:
        raise ValueError(
            f"Teacher and student {context} dtypes must match. "
            f"Teacher: {teacher}, Student: {student}."
        )


def _validate_models(teacher, student):
    """Keras' checks: both are models, with inputs and outputs of matching shapes and
    dtypes where they are symbolic (a subclassed model has none to compare)."""
    for role, model in (("Teacher", teacher), ("Student", student)):
        if not isinstance(model, Model):
            raise ValueError(f"{role} must be a keras.Model, got {type(model)}")
    pairs = []
    for attribute, context in (("inputs", "input"), ("outputs", "output")):
        t, s = getattr(teacher, attribute, None), getattr(student, attribute, None)
        if t is not None and s is not None:
            pairs.append((t, s, context))
    for t, s, context in pairs:
        tree.map_structure(
            lambda a, b, c=context: _check_shapes(tuple(a.shape), tuple(b.shape), c), t, s
        )
    for t, s, context in pairs:
        tree.map_structure(lambda a, b, c=context: _check_dtypes(a.dtype, b.dtype, c), t, s)


def _feature_extractor(model, layer_names):
    """A functional model giving ``{"final_output": ..., <layer name>: its output}`` in one
    pass (None when no layer is named)."""
    from kgraph.models.sequential import Sequential

    if not layer_names:
        return None
    if getattr(model, "inputs", None) is None:
        raise ValueError(
            f"Cannot create feature extractor for {model.name}. The model has no symbolic "
            "inputs attribute."
        )
    final = model.layers[-1].output if isinstance(model, Sequential) else model.output
    outputs = {FINAL: final}
    for name in layer_names:
        outputs[name] = model.get_layer(name=name).output
    return Model(inputs=model.inputs, outputs=outputs, name=f"{model.name}_multi_feature_extractor")


def _layer_names(losses, attribute) -> list:
    names = []
    for loss in losses:
        name = getattr(loss, attribute, None)
        if name and name not in names:
            names.append(name)
    return names


class Distiller(Model):
    """Trains ``student`` on ``student_loss_weight`` times its supervised loss plus ``1 -
    student_loss_weight`` times the weighted ``distillation_losses`` against ``teacher``;
    calling the Distiller calls the student. Keras' arguments, defaults and errors."""

    def __init__(
        self,
        teacher,
        student,
        distillation_losses,
        distillation_loss_weights=None,
        student_loss_weight=0.5,
        name="distiller",
        **kwargs,
    ):
        super().__init__(name=name, **kwargs)
        _validate_models(teacher, student)
        self.teacher = teacher
        self.student = student
        if not isinstance(student_loss_weight, (int, float)):
            raise ValueError(
                f"student_loss_weight must be a number, got {type(student_loss_weight)}"
            )
        if not 0.0 <= student_loss_weight <= 1.0:
            raise ValueError(
                f"student_loss_weight must be between 0.0 and 1.0, got {student_loss_weight}"
            )
        self.student_loss_weight = student_loss_weight
        self.distillation_losses, self.distillation_loss_weights = _losses_and_weights(
            distillation_losses, distillation_loss_weights
        )
        for loss in self.distillation_losses:
            loss.validate_model_compatibility(teacher, student)
        losses = self.distillation_losses
        self._teacher_feature_extractor = _feature_extractor(
            teacher, _layer_names(losses, "teacher_layer_name")
        )
        self._student_feature_extractor = _feature_extractor(
            student, _layer_names(losses, "student_layer_name")
        )
        self.teacher.trainable = False
        self.student_loss_tracker = metrics_module.Mean(name="student_loss")
        self.distillation_loss_tracker = metrics_module.Mean(name="distillation_loss")
        self.total_loss_tracker = metrics_module.Mean(name="total_loss")

    def compile(self, optimizer="adam", loss=None, metrics=None, **kwargs):
        """Keras' ``compile``: ``loss`` (required) is the student's supervised loss, ``metrics``
        a list or tuple; other arguments go to ``Model.compile``."""
        if loss is None:
            raise ValueError("'loss' cannot be `None`.")
        if metrics is not None and not isinstance(metrics, (list, tuple)):
            raise ValueError(f"metrics must be a list or tuple, got {type(metrics)}")
        self._student_loss = tree.map_structure(convert_loss, loss)
        self._student_loss_for_serialization = loss
        super().compile(optimizer=optimizer, loss=loss, metrics=metrics, **kwargs)

    def get_compile_config(self) -> dict:
        """Keras' compile config: its Distiller hands ``loss=None`` to ``Model.compile``."""
        config = super().get_compile_config()
        if config:
            config["loss"] = None
        return config

    def call(self, inputs, training=None):
        return self.student(inputs, training=training)

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        """``student_loss_weight * student loss + (1 - student_loss_weight) * sum(weight_i *
        distillation loss_i)``, traced; updates the three loss trackers."""
        if y_pred is None:
            y_pred = self(x, training=training)
        student_loss = _traced_zero(y_pred)
        if self.student_loss_weight > 0.0 and y is not None:
            student_loss = self._student_term(y, y_pred)
        distillation_loss = _traced_zero(y_pred)
        if self.student_loss_weight < 1.0:
            distillation_loss = self._distillation_term(x, y_pred)
        total = ops.add(
            ops.multiply(self.student_loss_weight, student_loss),
            ops.multiply(1.0 - self.student_loss_weight, distillation_loss),
        )
        self.student_loss_tracker.update_state(student_loss)
        self.distillation_loss_tracker.update_state(distillation_loss)
        self.total_loss_tracker.update_state(total)
        return total

    def _student_term(self, y, y_pred):
        values = tree.flatten(
            tree.map_structure(lambda fn, t, p: fn(t, p), self._student_loss, y, y_pred)
        )
        loss = ops.sum(ops.stack(values)) if len(values) > 1 else values[0]
        return ops.mean(loss) if len(loss.shape) > 0 else loss

    def _distillation_term(self, x, y_pred):
        if self._teacher_feature_extractor is not None:
            teacher = self._teacher_feature_extractor(x, training=False)
        else:
            teacher = {FINAL: self.teacher(x, training=False)}
        if self._student_feature_extractor is not None:
            student = self._student_feature_extractor(x, training=True)
        else:
            student = {FINAL: y_pred}
        total = 0.0
        for loss, weight in zip(self.distillation_losses, self.distillation_loss_weights):
            if getattr(loss, "teacher_layer_name", None) is not None:
                pair = _named_features(loss, teacher, student)
            else:
                pair = teacher[FINAL], y_pred
            loss.validate_outputs(*pair)
            value = loss.compute_loss(*pair)
            if len(getattr(value, "shape", ())) > 0:
                raise ValueError(
                    f"Distillation loss {type(loss).__name__} returned a non-scalar loss with "
                    f"shape {value.shape}. The compute_loss method must return a scalar tensor."
                )
            total = ops.add(total, ops.multiply(weight, value))
        return total

    def get_config(self):
        from kgraph.saving import serialize_keras_object

        config = {"name": self.name, "trainable": self.trainable}
        config.update(
            {
                "teacher": serialize_keras_object(self.teacher),
                "student": serialize_keras_object(self.student),
                "distillation_losses": [
                    serialize_keras_object(loss) for loss in self.distillation_losses
                ],
                "distillation_loss_weights": self.distillation_loss_weights,
                "student_loss_weight": self.student_loss_weight,
            }
        )
        return config

    @classmethod
    def from_config(cls, config, custom_objects=None):
        from kgraph.distillation import distillation_loss
        from kgraph.saving import deserialize_keras_object

        config = dict(config)
        config.pop("dtype", None)
        known = {name: getattr(distillation_loss, name) for name in distillation_loss.__all__}
        known.update(custom_objects or {})  # the losses resolve without custom objects

        def load(value):  # loading may have decoded the nested objects already
            return deserialize_keras_object(value, known) if isinstance(value, dict) else value

        config["teacher"], config["student"] = load(config["teacher"]), load(config["student"])
        config["distillation_losses"] = [load(loss) for loss in config["distillation_losses"]]
        return cls(**config)


def _traced_zero(y_pred):
    """A float32 zero computed from the traced outputs: a constant would stay a numpy value,
    and the trackers record traced values only (Keras logs a skipped term as 0)."""
    first = tree.flatten(y_pred)[0]
    return ops.zeros_like(ops.cast(ops.sum(first), "float32"))


def _losses_and_weights(losses, weights):
    if losses is None:
        raise ValueError(
            "'distillation_losses' cannot be `None`. Provide a distillation loss (e.g., "
            "LogitsDistillation or FeatureDistillation) or a list of distillation losses."
        )
    if not isinstance(losses, (list, tuple)):
        return [losses], [1.0]
    if weights is None:
        return list(losses), [1.0] * len(losses)
    if len(weights) != len(losses):
        raise ValueError(
            f"Number of distillation_loss_weights ({len(weights)}) must match number of "
            f"distillation_losses ({len(losses)})"
        )
    return list(losses), list(weights)


def _named_features(loss, teacher: dict, student: dict):
    """The teacher's and student's features a FeatureDistillation names (Keras' errors)."""
    picked = []
    for features, name in ((teacher, loss.teacher_layer_name), (student, loss.student_layer_name)):
        key = name or FINAL
        if key not in features:
            raise RuntimeError(
                f"Failed to extract features for {type(loss).__name__} targeting teacher "
                f"layer '{loss.teacher_layer_name}' and student layer "
                f"'{loss.student_layer_name}'. Original error: Layer '{key}' not found in "
                f"extracted features. Available: {list(features)}"
            )
        picked.append(features[key])
    return tuple(picked)


__all__ = ["Distiller"]
