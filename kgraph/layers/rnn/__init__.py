"""Recurrent layers, lowered by unrolling a static number of time steps into ``kgraph.ops``."""
