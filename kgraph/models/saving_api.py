"""``SavingMixin``: the saving methods of ``Model`` (``save``, ``save_weights``,
``load_weights``) and the hooks Keras 3's file format reads and writes (``get_build_config``,
``get_compile_config``, ``compile_from_config``). The formats live in ``kgraph.saving``."""

from __future__ import annotations


class SavingMixin:
    """Keras 3's saving methods for models."""

    def save(self, filepath, overwrite=True, zipped=None, **kwargs):
        """Saves the model as a ``.keras`` file: its config, weights and optimizer state, in
        Keras 3's format (Keras 3 loads it with ``keras.models.load_model``). The write is
        atomic: an interrupted save leaves any previous file intact."""
        from kgraph.saving import save_model

        return save_model(self, filepath, overwrite=overwrite, zipped=zipped, **kwargs)

    def save_weights(self, filepath, overwrite=True, max_shard_size=None):
        """Saves the weights (and optimizer state) in a ``.weights.h5`` file, in Keras 3's
        layout."""
        from kgraph.saving import save_weights

        return save_weights(self, filepath, overwrite=overwrite, max_shard_size=max_shard_size)

    def load_weights(self, filepath, skip_mismatch=False, **kwargs):
        """Loads weights from a ``.weights.h5`` or ``.keras`` file (Keras 3's layout), or a
        legacy ``.h5`` file (``by_name=True`` matches its layers by name). With
        ``skip_mismatch``, layers whose weights do not fit are skipped with a warning."""
        from kgraph.saving import load_weights

        return load_weights(self, filepath, skip_mismatch=skip_mismatch, **kwargs)

    def to_json(self, **kwargs) -> str:
        """The model's config as Keras 3 JSON (``kwargs`` go to ``json.dumps``); rebuild it
        with ``kgraph.models.model_from_json``."""
        import json

        from kgraph.saving import serialize_keras_object

        return json.dumps(serialize_keras_object(self), **kwargs)

    def get_compile_config(self) -> dict:
        """The arguments ``compile`` was called with, serialized (``{}`` if not compiled)."""
        from kgraph.saving.compile_config import compile_config

        trainer = getattr(self, "_trainer", None)  # compile's arguments live with training
        args = getattr(trainer, "compile_args", None) or getattr(self, "_compile_args", None)
        return compile_config(self, args)

    def compile_from_config(self, config) -> None:
        """Compiles the model from ``get_compile_config()``'s output (warns and stays
        uncompiled when kgraph lacks the optimizer, loss or metrics it names)."""
        from kgraph.saving.compile_config import compile_from_config

        compile_from_config(self, config)

    def get_build_config(self) -> dict | None:
        """The input shape the model was built for (Keras' ``build_config``)."""
        from kgraph.saving.model_config import build_config

        return build_config(self)
