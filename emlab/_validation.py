"""Checks shared by the estimators and the data sets: seeds and scalar parameters."""

from __future__ import annotations

import numbers

import numpy as np

__all__ = ["check_random_state", "is_int", "is_real", "valid_random_state"]


def is_int(value) -> bool:
    """True for Python and numpy integers, not for bool."""
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def is_real(value) -> bool:
    """True for Python and numpy real numbers, not for bool."""
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def valid_random_state(seed) -> bool:
    """Whether :func:`check_random_state` accepts ``seed``."""
    return (
        seed is None
        or seed is np.random
        or is_int(seed)
        or isinstance(seed, (np.random.RandomState, np.random.Generator))
    )


def check_random_state(seed) -> np.random.Generator:
    """A ``numpy.random.Generator`` from None, an int, or a ``RandomState``/``Generator``.

    An int seeds a fresh Generator (fast to build, unlike ``RandomState``), so results are
    reproducible; a ``RandomState`` is drawn from, as scikit-learn does, so repeated calls with
    the same instance differ; a Generator is used as it is.
    """
    if seed is None or seed is np.random:
        return np.random.default_rng()
    if is_int(seed):
        return np.random.default_rng(int(seed))
    if isinstance(seed, np.random.RandomState):
        return np.random.default_rng(seed.randint(2**31 - 1))
    if isinstance(seed, np.random.Generator):
        return seed
    raise ValueError(
        f"random_state must be None, an int, a numpy.random.RandomState or a Generator; got {seed!r}. "
        "Pass an int (for example random_state=0) for reproducible results."
    )
