"""Shared set-up of the unit tests: a headless matplotlib, no figure left open, shared random problems.

Notebooks (collected from notebooks/ by nbval) run in their own kernels: they inherit the BLAS thread limit set
here, nothing else.
"""

import os
import sys

# pytest-xdist runs two workers on two cores, and each starts kernels (nbval's, the browser tests' JupyterLab).
# With BLAS's default of one thread per core their threads spin against each other: notebook 08 took 85 s in the
# browser beside the slide walk with the default threads, 38 s with one (12 s alone). One BLAS thread per process,
# set before numpy loads and inherited by every kernel. The stored outputs were made with the default threads, so
# nbval also checks that no output depends on the thread count.
for _variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_variable, "1")

import matplotlib  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

matplotlib.use("Agg")  # headless: set here, never through MPLBACKEND (which would break nbval's figures)

from plot_helpers import two_blobs  # noqa: E402

from emlab import GMMParams, run_em  # noqa: E402


@pytest.fixture(autouse=True)
def _close_figures():
    """Close every pyplot figure after each test (only when pyplot was loaded at all)."""
    yield
    if "matplotlib.pyplot" in sys.modules:
        sys.modules["matplotlib.pyplot"].close("all")


def make_random_params(rng, k, n, spread=3.0):
    """Random valid Theta: Dirichlet weights, means N(0, spread^2), Sigma = A A^T + 0.5 I (well conditioned)."""
    phi = rng.dirichlet(np.ones(k))
    mu = rng.normal(0, spread, size=(k, n))
    A = rng.normal(size=(k, n, n))
    Sigma = A @ A.transpose(0, 2, 1) + 0.5 * np.eye(n)
    return GMMParams(phi=phi, mu=mu, Sigma=Sigma)


@pytest.fixture
def random_params():
    """``random_params(rng, k, n)``: random valid GMM parameters (see :func:`make_random_params`)."""
    return make_random_params


# ---------------------------------------------------------------------------------------------------------
# A recorded 2-D EM run for the figures of recorded runs (scatter, panels, stepper)
# ---------------------------------------------------------------------------------------------------------
@pytest.fixture(scope="session")
def run():
    """(X, [Theta^(0), ..., Theta^(20)]): 20 EM iterations on :func:`two_blobs`, no early stop."""
    X = two_blobs()
    start = GMMParams(phi=[0.5, 0.5], mu=[[0.0, 4.0], [4.0, 0.0]], Sigma=[np.eye(2)] * 2)
    _, history = run_em(X, start, max_iter=20, tol=0.0, reg_covar=1e-6, record_params=True)
    return X, history["params"]
