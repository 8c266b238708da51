"""Parameters Theta = (phi, mu, Sigma) of a Gaussian mixture, validated at construction."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .covariance import expand_covariances

__all__ = ["GMMParams", "SIMPLEX_TOL", "mixture_arrays"]

# Tolerance for "phi sums to one" and "Sigma is symmetric": loose enough for
# round-off from an M-step, tight enough to catch a real mistake.
SIMPLEX_TOL = 1e-8
_SYMMETRY_RTOL = 1e-8


@dataclass(frozen=True, eq=False)
class GMMParams:
    """Parameters Theta = (phi, mu, Sigma) of a K-component Gaussian mixture in R^n.

    Parameters
    ----------
    phi : array-like of shape (k,)
        Mixing weights phi_j = p(z = j). Non-negative and summing to one
        (``|sum - 1| <= 1e-8``); ``phi_j = 0`` is allowed.
    mu : array-like of shape (k, n), or (k,) when n = 1
        Component means mu_j.
    Sigma : array-like of shape (k, n, n), or (k,) of variances when n = 1
        Component covariances Sigma_j, each symmetric positive definite.

    Raises
    ------
    ValueError
        If a shape is wrong, a value is not finite, phi is not on the
        simplex, or a Sigma_j is not symmetric positive definite. The message
        names the condition that failed.

    Examples
    --------
    >>> p = GMMParams(phi=[0.5, 0.5], mu=[1.0, 10.0], Sigma=[1.0, 1.0])
    >>> p.k, p.n
    (2, 1)
    """

    phi: np.ndarray
    mu: np.ndarray
    Sigma: np.ndarray
    # Lower Cholesky factors of Sigma, computed once during validation.
    chol: np.ndarray = field(init=False, repr=False)

    def __post_init__(self):
        phi = np.array(self.phi, dtype=float)
        mu = np.array(self.mu, dtype=float)
        Sigma = np.array(self.Sigma, dtype=float)
        if phi.ndim != 1 or phi.size == 0:
            raise ValueError(f"phi must be a non-empty 1-D array of shape (k,); got shape {phi.shape}.")
        k = phi.size
        if mu.ndim == 1 and mu.shape[0] == k:
            mu = mu[:, None]  # 1-D data: one mean per component
        if mu.ndim != 2 or mu.shape[0] != k:
            raise ValueError(f"mu must have shape (k, n) = ({k}, n) to match phi; got shape {mu.shape}.")
        n = mu.shape[1]
        if n == 1 and Sigma.shape in {(k,), (k, 1)}:
            Sigma = Sigma.reshape(k, 1, 1)  # 1-D data: variances given directly
        if Sigma.shape != (k, n, n):
            raise ValueError(f"Sigma must have shape (k, n, n) = ({k}, {n}, {n}); got shape {Sigma.shape}.")
        for name, arr in (("phi", phi), ("mu", mu), ("Sigma", Sigma)):
            if not np.all(np.isfinite(arr)):
                raise ValueError(f"{name} contains NaN or inf; every parameter must be finite.")
        if np.any(phi < 0):
            raise ValueError(f"phi must be non-negative (phi is a probability vector); got min phi = {phi.min():.3g}.")
        if abs(phi.sum() - 1.0) > SIMPLEX_TOL:
            raise ValueError(
                f"phi must sum to 1 (it is a distribution over the k components); got sum = {phi.sum():.12g}. "
                "Divide phi by its sum."
            )
        scale = np.maximum(np.abs(Sigma).max(axis=(1, 2)), np.finfo(float).tiny)
        asym = np.abs(Sigma - Sigma.transpose(0, 2, 1)).max(axis=(1, 2)) / scale
        bad = np.flatnonzero(asym > _SYMMETRY_RTOL)
        if bad.size:
            raise ValueError(
                f"Sigma[{bad[0]}] is not symmetric (relative asymmetry {asym[bad[0]]:.2g}); "
                "a covariance must equal its transpose: use (S + S.T) / 2."
            )
        chol = np.empty_like(Sigma)
        for j in range(k):
            try:
                chol[j] = np.linalg.cholesky(Sigma[j])
            except np.linalg.LinAlgError:
                eig_min = np.linalg.eigvalsh(Sigma[j]).min()
                raise ValueError(
                    f"Sigma[{j}] is not positive definite (smallest eigenvalue {eig_min:.3g}); each Sigma_j must "
                    "be a covariance matrix: symmetric with all eigenvalues (variances) > 0."
                ) from None
        for name, arr in (("phi", phi), ("mu", mu), ("Sigma", Sigma), ("chol", chol)):
            arr.setflags(write=False)
            object.__setattr__(self, name, arr)

    @property
    def k(self) -> int:
        """Number of components K."""
        return self.phi.shape[0]

    @property
    def n(self) -> int:
        """Dimension n of the data."""
        return self.mu.shape[1]

    def __repr__(self) -> str:
        def fmt(a, indent):
            return np.array2string(a, precision=4, suppress_small=True, prefix=" " * indent)

        return (
            f"GMMParams(k={self.k}, n={self.n},\n"
            f"  phi={fmt(self.phi, 6)},\n  mu={fmt(self.mu, 5)},\n  Sigma={fmt(self.Sigma, 8)})"
        )


def mixture_arrays(params, covariance_type: str = "full"):
    """Read mixture parameters from any of the forms the plotting functions accept.

    Parameters
    ----------
    params : GMMParams, fitted GaussianMixture, or tuple
        - :class:`~emlab.params.GMMParams` (full covariances);
        - a fitted emlab or scikit-learn ``GaussianMixture``: anything with ``means_`` and ``covariances_``
          (its own ``covariance_type`` attribute wins over the argument; ``weights_`` is read if present);
        - a tuple ``(means, covariances)`` or ``(weights, means, covariances)`` read with ``covariance_type``.
    covariance_type : {"full", "tied", "diag", "spherical"}
        Shape convention of the covariances when ``params`` does not say it itself.

    Returns
    -------
    phi : ndarray of shape (k,) or None
        Mixing weights, None when ``params`` carries none.
    mu : ndarray of shape (k, n)
    Sigma : ndarray of shape (k, n, n)
        Full covariance matrices.
    """
    if isinstance(params, GMMParams):
        return np.asarray(params.phi), np.asarray(params.mu), np.asarray(params.Sigma)
    if hasattr(params, "covariances_") or hasattr(params, "means_"):
        if not (hasattr(params, "means_") and hasattr(params, "covariances_")):
            raise ValueError("the GaussianMixture is not fitted (no means_/covariances_): call fit(X) first.")
        covariance_type = getattr(params, "covariance_type", covariance_type)
        phi, mu, cov = getattr(params, "weights_", None), params.means_, params.covariances_
    elif hasattr(params, "fit") and hasattr(params, "covariance_type"):
        raise ValueError("the GaussianMixture is not fitted (no means_/covariances_): call fit(X) first.")
    elif isinstance(params, tuple | list) and len(params) in (2, 3):
        phi, mu, cov = (None, *params) if len(params) == 2 else params
    else:
        raise ValueError(
            "params must be a GMMParams, a fitted GaussianMixture (means_, covariances_) or a tuple "
            f"(means, covariances); got {type(params).__name__}."
        )
    mu = np.asarray(mu, dtype=float)
    if mu.ndim != 2:
        raise ValueError(f"means must have shape (k, n); got {mu.shape}.")
    k, n = mu.shape
    Sigma = expand_covariances(cov, covariance_type, k, n)
    if phi is not None:
        phi = np.asarray(phi, dtype=float)
        if phi.shape != (k,):
            raise ValueError(f"weights must have shape ({k},) to match the means; got {phi.shape}.")
    return phi, mu, Sigma
