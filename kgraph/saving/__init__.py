"""``kgraph.saving``: rebuilding layers and models from their configs."""

from kgraph.saving.serialization import deserialize_layer, functional_from_config

__all__ = ["deserialize_layer", "functional_from_config"]
