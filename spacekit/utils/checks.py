"""Checks of user-given settings shared across the package."""

from __future__ import annotations

import math
import numbers
from typing import Any

from ..exceptions import InputError

__all__ = ["as_whole_number", "positive_number", "seed_number", "whole_number"]

#: the largest seed NumPy and scikit-learn accept
MAX_SEED = 2**32 - 1


def as_whole_number(value: Any) -> int | None:
    """``value`` as an int when it is a whole number, else None.

    Integers (Python or numpy) and floats with no fractional part (``3.0``) are whole numbers;
    booleans, text, fractions, NaN and infinities are not.

    Parameters
    ----------
    value : object
        What the user passed.

    Returns
    -------
    int or None
        The whole number, or None.

    Examples
    --------
    >>> import numpy as np
    >>> [as_whole_number(v) for v in (np.int64(3), 4.0, 2.5, True)]
    [3, 4, None, None]
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        return None
    if isinstance(value, numbers.Integral):
        return int(value)
    v = float(value)
    return int(v) if math.isfinite(v) and v.is_integer() else None


def whole_number(value: Any, name: str, *, minimum: int | None = None) -> int:
    """``value`` as an int, or an :class:`~spacekit.exceptions.InputError` naming the setting.

    Parameters
    ----------
    value : object
        What the user passed.
    name : str
        The setting's name, for the message.
    minimum : int, optional
        The smallest value allowed.

    Returns
    -------
    int
        The whole number.

    Examples
    --------
    >>> whole_number(5.0, "epochs", minimum=1)
    5
    >>> whole_number(2.5, "epochs", minimum=1)
    Traceback (most recent call last):
    ...
    spacekit.exceptions.InputError: epochs must be a whole number of at least 1; got 2.5.
    """
    out = as_whole_number(value)
    if out is None or (minimum is not None and out < minimum):
        at_least = "" if minimum is None else f" of at least {minimum}"
        raise InputError(f"{name} must be a whole number{at_least}; got {value!r}.")
    return out


def seed_number(value: Any, name: str = "seed") -> int:
    """``value`` as a random seed: a whole number from 0 to 2**32 - 1 (what NumPy's and
    scikit-learn's generators accept), or an :class:`~spacekit.exceptions.InputError`.

    Parameters
    ----------
    value : object
        What the user passed.
    name : str
        The setting's name, for the message.

    Returns
    -------
    int
        The seed.

    Examples
    --------
    >>> seed_number(42)
    42
    >>> seed_number(-1)
    Traceback (most recent call last):
    ...
    spacekit.exceptions.InputError: seed must be a whole number of at least 0 and at most
    4294967295 (NumPy's limit); got -1.
    """
    out = as_whole_number(value)
    if out is None or not 0 <= out <= MAX_SEED:
        raise InputError(
            f"{name} must be a whole number of at least 0 and at most {MAX_SEED} (NumPy's "
            f"limit); got {value!r}."
        )
    return out


def positive_number(
    value: Any, name: str, *, unit: str = "", advice: str = "", finite: bool = True
) -> float:
    """``value`` as a float when it is a number above 0, else an :class:`InputError`.

    Booleans, text and NaN are refused, and so is infinity unless ``finite=False``.

    Parameters
    ----------
    value : object
        What the user passed.
    name : str
        The setting's name, for the message.
    unit : str
        Said after "a positive number" (e.g. ``" of days"``).
    advice : str
        A sentence added to the message (how to fix it).
    finite : bool
        Whether infinity is refused.

    Returns
    -------
    float
        The number.

    Examples
    --------
    >>> positive_number(2, "oversample")
    2.0
    >>> positive_number(-1, "sigma", unit=" of standard deviations")
    Traceback (most recent call last):
    ...
    spacekit.exceptions.InputError: sigma must be a positive number of standard deviations; got -1.
    """
    ok = isinstance(value, numbers.Real) and not isinstance(value, bool)
    v = float(value) if ok else math.nan
    if not (v > 0) or (finite and not math.isfinite(v)):
        raise InputError(
            f"{name} must be a positive number{unit}; got "
            f"{value!r}.{' ' + advice if advice else ''}"
        )
    return v
