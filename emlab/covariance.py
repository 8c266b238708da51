"""The covariance types of a Gaussian mixture: their names, shapes, full form and parameter count.

scikit-learn stores the covariances of its four types in four shapes; everything in emlab
that reads, expands or counts them goes through this module.
"""

from __future__ import annotations

import numpy as np

__all__ = ["COVARIANCE_TYPES", "check_covariance_type", "covariance_shape", "expand_covariances", "n_parameters"]

COVARIANCE_TYPES = ("full", "tied", "diag", "spherical")


def check_covariance_type(covariance_type) -> str:
    """Return ``covariance_type`` if it is one of :data:`COVARIANCE_TYPES`; raise a ValueError otherwise."""
    if covariance_type not in COVARIANCE_TYPES:
        raise ValueError(
            f"Unknown covariance_type {covariance_type!r}; use one of {', '.join(map(repr, COVARIANCE_TYPES))}."
        )
    return covariance_type


def covariance_shape(covariance_type: str, k: int, n: int) -> tuple[int, ...]:
    """Shape of the covariances of ``covariance_type`` for k components in n dimensions.

    "full" (k, n, n), "tied" (n, n), "diag" (k, n), "spherical" (k,).
    """
    check_covariance_type(covariance_type)
    return {"full": (k, n, n), "tied": (n, n), "diag": (k, n), "spherical": (k,)}[covariance_type]


def expand_covariances(covariances, covariance_type: str, k: int, n: int) -> np.ndarray:
    """Covariances of any type as full matrices Sigma_j, shape (k, n, n) (a new array).

    Raises
    ------
    ValueError
        If the type is unknown, the shape does not match it, or a value is not finite.
    """
    C = np.asarray(covariances, dtype=float)
    expected = covariance_shape(covariance_type, k, n)
    if C.shape != expected:
        raise ValueError(
            f"covariances of type {covariance_type!r} must have shape {expected} for k = {k}, n = {n}; "
            f"got {C.shape}. Pass the covariance_type the covariances were fitted with."
        )
    if not np.all(np.isfinite(C)):
        raise ValueError("covariances contain NaN or inf; every covariance must be finite.")
    if covariance_type == "full":
        return C.copy()
    if covariance_type == "tied":
        return np.broadcast_to(C, (k, n, n)).copy()
    full = np.zeros((k, n, n))
    diag = C if covariance_type == "diag" else C[:, None]
    full[:, np.arange(n), np.arange(n)] = diag
    return full


def n_parameters(k: int, n: int, covariance_type: str = "full") -> int:
    """Free parameters of a K-component Gaussian mixture in R^n, as BIC and AIC count them.

    (k - 1) weights (they sum to one), k n means, and the covariance entries: k n (n + 1) / 2
    ("full"), n (n + 1) / 2 ("tied"), k n ("diag") or k ("spherical").
    """
    check_covariance_type(covariance_type)
    cov = {"full": k * n * (n + 1) // 2, "tied": n * (n + 1) // 2, "diag": k * n, "spherical": k}[covariance_type]
    return (k - 1) + k * n + cov
