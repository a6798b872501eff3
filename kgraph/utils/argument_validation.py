"""Argument checks shared by layers: tuples of ints, padding, data format, unsupported options."""

from __future__ import annotations

_PADDINGS = ("valid", "same")
_FORMATS = ("channels_last", "channels_first")


def standardize_tuple(value, n: int, name: str, allow_zero: bool = False) -> tuple[int, ...]:
    """Returns ``value`` (an int or ``n`` ints) as a tuple of ``n`` non-negative ints.

    Raises:
        ValueError: when ``value`` has the wrong length, is not integral, is negative, or is
            zero while ``allow_zero`` is False.
    """
    message = f"The `{name}` argument must be a tuple of {n} integers. Received {name}={value}"
    if isinstance(value, int) and not isinstance(value, bool):
        values = (value,) * n
    else:
        try:
            values = tuple(value)
        except TypeError:
            raise ValueError(message) from None
        if len(values) != n:
            raise ValueError(message)
    result = []
    for v in values:
        if isinstance(v, (str, bytes)) or v is None:  # Keras fails comparing it to 0
            raise TypeError(f"{message}, including element {v!r} of type {type(v).__name__}")
        if isinstance(v, bool) or int(v) != v:
            raise ValueError(message)
        result.append(int(v))
    lowest = 0 if allow_zero else 1
    if any(v < lowest for v in result):
        bound = "non-negative" if allow_zero else "positive"
        raise ValueError(
            f"The `{name}` argument must only contain {bound} integers. Received {name}={value}"
        )
    return tuple(result)


def positive_count(value, name: str, message: str, none_is_type_error: bool = True) -> int:
    """``value`` checked as a count (``units`` of cells, ``filters``) with Keras' exception types.

    Keras compares the count with 0, so a string (or ``None`` where ``none_is_type_error``)
    is a TypeError and a count <= 0 a ValueError; numpy ints become ints. A fractional float is
    a ValueError here (Keras only fails on it when it builds the kernel).
    """
    if value is None and not none_is_type_error:
        raise ValueError(f"{message} Received: {name}={value}")
    if value is None or isinstance(value, (str, bytes)) or not hasattr(value, "__int__"):
        raise TypeError(f"{message} Received: {name}={value!r}")
    if isinstance(value, bool) or value <= 0 or int(value) != value:
        raise ValueError(f"{message} Received: {name}={value}")
    return int(value)


def output_size(value, name: str) -> int:
    """An image layer's ``height``/``width`` as an int. kgraph needs it when it builds the
    graph, so ``None`` (which Keras keeps until it runs) is a TypeError naming the argument."""
    if value is None or isinstance(value, (str, bytes, bool)) or not hasattr(value, "__int__"):
        raise TypeError(f"`{name}` must be an integer. Received: {name}={value!r}")
    return int(value)


def check_rate(value, name: str = "rate", upper_inclusive: bool = True) -> float:
    """A probability in [0, 1] (Keras lets ``rate=1`` through); a non-number is a TypeError."""
    if isinstance(value, bool) or (
        not isinstance(value, (int, float)) and not hasattr(value, "__float__")
    ):
        raise TypeError(
            f"Invalid value received for argument `{name}`. Expected a float value between "
            f"0 and 1. Received: {name}={value!r}"
        )
    if not (0 <= value <= 1 if upper_inclusive else 0 <= value < 1):
        raise ValueError(
            f"Invalid value received for argument `{name}`. Expected a float value between "
            f"0 and 1. Received: {name}={value}"
        )
    return float(value)


def standardize_padding(padding, allow_causal: bool = False) -> str:
    """``'valid'`` or ``'same'`` (case-insensitive); also ``'causal'`` when ``allow_causal``."""
    value = str(padding).lower()
    allowed = (*_PADDINGS, "causal") if allow_causal else _PADDINGS
    if value not in allowed:
        raise ValueError(
            f"The `padding` argument must be one of {allowed}. Received: padding={padding}"
        )
    return value


def standardize_data_format(data_format, case_sensitive: bool = False) -> str:
    """``None`` → ``'channels_last'``; otherwise one of channels_last / channels_first, in any
    case unless ``case_sensitive`` (Keras' adaptive pooling refuses ``'CHANNELS_LAST'``)."""
    if data_format is None:
        return "channels_last"
    value = data_format if case_sensitive else str(data_format).lower()
    if value not in _FORMATS:
        raise ValueError(
            f"The `data_format` argument must be one of {_FORMATS}. "
            f"Received: data_format={data_format}"
        )
    return value


def reject_unsupported(layer_name: str, **options) -> None:
    """Raises when an option kgraph does not implement yet (regularizers, constraints…) is set."""
    given = sorted(k for k, v in options.items() if v is not None)
    if given:
        raise ValueError(
            f"{layer_name} in kgraph does not support {', '.join(given)} yet. "
            f"Received: {', '.join(f'{k}={options[k]!r}' for k in given)}"
        )


def to_channels_last_perm(rank: int) -> tuple[int, ...]:
    """Axes that turn an (N, C, spatial…) tensor into (N, spatial…, C)."""
    return (0, *range(2, rank), 1)


def to_channels_first_perm(rank: int) -> tuple[int, ...]:
    """Axes that turn an (N, spatial…, C) tensor into (N, C, spatial…)."""
    return (0, rank - 1, *range(1, rank - 1))
