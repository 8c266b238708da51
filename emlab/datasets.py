"""The data sets of the course: the two synthetic examples, sampling from any mixture, Old Faithful and digits.

Everything random takes a ``seed`` and draws from its own ``numpy.random.default_rng(seed)``, so the
same seed gives the same data in every notebook, test and figure. Nothing here touches the network:
Old Faithful and the binarised digits ship inside the package (see ``emlab/data/README.md`` for their
provenance and licences).
"""

from __future__ import annotations

import io
from importlib import resources

import numpy as np

from ._validation import check_random_state, is_int
from .core import as_data
from .params import GMMParams

__all__ = [
    "two_gaussians_1d",
    "two_clusters_2d",
    "sample_gmm",
    "load_faithful",
    "load_digits_binary",
    "standardize",
    "FAITHFUL_COLUMNS",
    "DIGITS_THRESHOLD",
]

FAITHFUL_COLUMNS = ("eruptions", "waiting")
# A digits pixel (0..16 "on" cells of its 4x4 block) is 1 when it is at least this, i.e. half or more on.
DIGITS_THRESHOLD = 8


def _rng(seed) -> np.random.Generator:
    if not (is_int(seed) or isinstance(seed, np.random.Generator)):
        raise ValueError(
            f"seed must be an int (or a numpy Generator); got {seed!r}. Pass an int such as seed=0 so the "
            "data are reproducible."
        )
    return check_random_state(seed)


def two_gaussians_1d(seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """The 1-D example of section 1: 100 points from N(1, 1) followed by 100 from N(10, 1).

    Parameters
    ----------
    seed : int, default 0
        Seed of the random generator; the same seed gives the same points.

    Returns
    -------
    x : ndarray of shape (200,)
        The points; the first 100 come from N(1, 1), the last 100 from N(10, 1).
    labels : ndarray of shape (200,), int
        The true component of each point: 0 for N(1, 1), 1 for N(10, 1)
        (z^(i) - 1 in the notebooks' 1-based notation).
    """
    rng = _rng(seed)
    x = np.concatenate([rng.normal(1.0, 1.0, size=100), rng.normal(10.0, 1.0, size=100)])
    labels = np.repeat(np.array([0, 1]), 100)
    return x, labels


def two_clusters_2d(seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """The 2-D example of section 6: 20 points from N([0, 3], diag(0.5, 0.8)), 50 from N([20, 10], I).

    The two clusters differ in size and sit far from [0, 1)^2, which is what makes a naive
    initialisation fail in the notebooks.

    Parameters
    ----------
    seed : int, default 0
        Seed of the random generator.

    Returns
    -------
    X : ndarray of shape (70, 2)
        Rows 0-19 from the small cluster, rows 20-69 from the large one.
    labels : ndarray of shape (70,), int
        0 for the N([0, 3], diag(0.5, 0.8)) points, 1 for the N([20, 10], I) points.
    """
    rng = _rng(seed)
    # diag(0.5, 0.8) are variances, so the per-axis standard deviations are their square roots.
    small = np.array([0.0, 3.0]) + rng.standard_normal((20, 2)) * np.sqrt([0.5, 0.8])
    large = np.array([20.0, 10.0]) + rng.standard_normal((50, 2))
    return np.vstack([small, large]), np.repeat(np.array([0, 1]), [20, 50])


def sample_gmm(params: GMMParams, m: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Draw m points from the mixture: z^(i) ~ Multinomial(phi), x^(i) | z^(i) = j ~ N(mu_j, Sigma_j).

    Parameters
    ----------
    params : GMMParams
        The mixture to sample from.
    m : int
        Number of points (>= 1).
    seed : int, default 0
        Seed of the random generator.

    Returns
    -------
    X : ndarray of shape (m, n)
        The points (n = params.n; shape (m, 1) for a 1-D mixture).
    z : ndarray of shape (m,), int
        The 0-based component each point was drawn from.
    """
    if not isinstance(params, GMMParams):
        raise ValueError(
            f"params must be a GMMParams; got {type(params).__name__}. Build one with "
            "GMMParams(phi=..., mu=..., Sigma=...)."
        )
    if isinstance(m, bool) or not isinstance(m, (int, np.integer)) or m < 1:
        raise ValueError(f"m (the number of points) must be an int >= 1; got {m!r}.")
    rng = _rng(seed)
    z = rng.choice(params.k, size=int(m), p=params.phi)
    eps = rng.standard_normal((int(m), params.n))
    # x = mu_z + L_z eps with L_z the Cholesky factor of Sigma_z, so Cov(x | z) = L_z L_z^T = Sigma_z.
    X = params.mu[z] + np.einsum("mij,mj->mi", params.chol[z], eps)
    return X, z


def load_faithful(as_frame: bool = False):
    """Old Faithful: R's ``datasets::faithful``, 272 eruptions of the geyser.

    Read from the CSV shipped inside the package (no network). Provenance: Härdle (1991);
    Azzalini & Bowman (1990); see ``emlab/data/README.md``. This is not the 299-row MASS ``geyser`` data.

    Parameters
    ----------
    as_frame : bool, default False
        If True, return a pandas DataFrame with columns ``eruptions`` and ``waiting``
        (pandas is installed with seaborn).

    Returns
    -------
    ndarray of shape (272, 2) or pandas.DataFrame
        Column 0 ``eruptions``: eruption time (minutes); column 1 ``waiting``: waiting time to the
        next eruption (minutes).
    """
    text = resources.files("emlab").joinpath("data", "faithful.csv").read_text(encoding="utf-8")
    header = text.splitlines()[0].split(",")
    if tuple(header) != FAITHFUL_COLUMNS:
        raise ValueError(f"emlab/data/faithful.csv has header {header}; expected {list(FAITHFUL_COLUMNS)}.")
    data = np.loadtxt(io.StringIO(text), delimiter=",", skiprows=1)
    if as_frame:
        import pandas as pd

        return pd.DataFrame(data, columns=list(FAITHFUL_COLUMNS))
    return data


def load_digits_binary() -> tuple[np.ndarray, np.ndarray]:
    """The 1,797 8x8 handwritten digits of the UCI "Optical Recognition of Handwritten Digits" set, binarised.

    The images scikit-learn ships as ``load_digits`` (the UCI set's test part), read from the
    copy shipped inside emlab (no network, no scikit-learn). Each pixel of the original images
    counts the "on" cells of a 4x4 block (0..16); here it is 1 when the count is at least
    :data:`DIGITS_THRESHOLD` = 8 and 0 otherwise. Source: Alpaydin and Kaynak (1998), UCI
    Machine Learning Repository, CC BY 4.0; see ``emlab/data/README.md``.

    Returns
    -------
    X : ndarray of shape (1797, 64), int
        One image per row, entries 0 or 1, row-major: ``X[i].reshape(8, 8)`` is image i.
    labels : ndarray of shape (1797,), int
        The digit 0-9 each image shows (about 180 of each), in scikit-learn's order.
    """
    text = resources.files("emlab").joinpath("data", "digits_binary.csv").read_text(encoding="ascii")
    lines = text.splitlines()
    if lines[0] != "label,pixels":
        raise ValueError(f"emlab/data/digits_binary.csv has header {lines[0]!r}; expected 'label,pixels'.")
    labels = np.array([int(line.split(",")[0]) for line in lines[1:]], dtype=np.int64)
    packed = np.frombuffer(bytes.fromhex("".join(line.split(",")[1] for line in lines[1:])), dtype=np.uint8)
    X = np.unpackbits(packed.reshape(len(labels), 8), axis=1, bitorder="big").astype(np.int64)
    return X, labels


def standardize(X) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Centre every column on 0 and scale it to standard deviation 1 (ddof = 0).

    Old Faithful's columns differ in scale by a factor of ~12 (minutes of eruption vs minutes of
    waiting); standardising puts them on one footing, as in Bishop's PRML Fig. 9.8.

    Parameters
    ----------
    X : array-like of shape (m, n) or (m,)

    Returns
    -------
    Xs : ndarray of shape (m, n)
        (X - mean) / std.
    mean : ndarray of shape (n,)
    std : ndarray of shape (n,)
        Undo with ``Xs * std + mean``.
    """
    X = as_data(X)
    mean = X.mean(axis=0)
    std = X.std(axis=0)
    if np.any(std == 0):
        col = int(np.flatnonzero(std == 0)[0])
        raise ValueError(
            f"column {col} of X is constant (std 0), so it cannot be standardised; drop that column."
        )
    return (X - mean) / std, mean, std
