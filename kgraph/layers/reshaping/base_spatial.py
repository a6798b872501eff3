"""What the padding, cropping and upsampling layers share: Keras' per-axis ``(before, after)``
argument forms and the spatial axes of a channels_last or channels_first input."""

from __future__ import annotations

from kgraph.utils import argument_validation as av


def standardize_pairs(value, rank: int, name: str) -> tuple[tuple[int, int], ...]:
    """An int (the same on both sides of every axis), ``rank`` ints (symmetric per axis) or
    ``rank`` pairs → ``rank`` pairs of non-negative ints."""
    if isinstance(value, int) and not isinstance(value, bool):
        if value < 0:
            raise ValueError(f"`{name}` cannot be negative. Received: {name}={value}.")
        return ((value, value),) * rank
    if not hasattr(value, "__len__") or len(value) != rank:
        raise ValueError(f"`{name}` should have {rank} elements. Received: {name}={value}.")
    return tuple(
        av.standardize_tuple(v, 2, f"{_ordinal(i)} entry of {name}", allow_zero=True)
        for i, v in enumerate(value)
    )


def _ordinal(i: int) -> str:
    return ("1st", "2nd", "3rd")[i] if i < 3 else f"{i + 1}th"


def spatial_axes(rank: int, data_format: str) -> list[int]:
    """Axes of the spatial dims in a ``rank + 2`` tensor."""
    first = 2 if data_format == "channels_first" else 1
    return list(range(first, first + rank))
