"""emlab/params.py: GMMParams (validated at construction) and mixture_arrays (parameters from any source)."""

import numpy as np
import pytest

from emlab import GaussianMixture, GMMParams
from emlab.params import SIMPLEX_TOL, mixture_arrays


def test_params_accept_1d_shorthand():
    p = GMMParams(phi=[0.3, 0.7], mu=[1.0, 10.0], Sigma=[1.0, 2.0])
    assert p.mu.shape == (2, 1) and p.Sigma.shape == (2, 1, 1)
    assert (p.k, p.n) == (2, 1)
    np.testing.assert_allclose(p.chol[:, 0, 0] ** 2, [1.0, 2.0])


def test_params_are_read_only():
    p = GMMParams(phi=[1.0], mu=[[0.0, 0.0]], Sigma=[np.eye(2)])
    with pytest.raises(ValueError):
        p.mu[0, 0] = 1.0


@pytest.mark.parametrize(
    "kwargs, words",
    [
        ({"phi": [0.5, 0.6], "mu": [0.0, 1.0], "Sigma": [1.0, 1.0]}, "sum to 1"),
        ({"phi": [0.5, 0.4], "mu": [0.0, 1.0], "Sigma": [1.0, 1.0]}, "sum to 1"),  # two-sided check
        ({"phi": [1.5, -0.5], "mu": [0.0, 1.0], "Sigma": [1.0, 1.0]}, "non-negative"),
        ({"phi": [0.5, 0.5], "mu": [0.0, 1.0, 2.0], "Sigma": [1.0, 1.0]}, "mu must have shape"),
        ({"phi": [0.5, 0.5], "mu": [[0.0, 0.0], [1.0, 1.0]], "Sigma": [np.eye(3)] * 2}, "Sigma must have shape"),
        ({"phi": [1.0], "mu": [[0.0, 0.0]], "Sigma": [[[1.0, 0.5], [0.0, 1.0]]]}, "not symmetric"),
        ({"phi": [1.0], "mu": [[0.0, 0.0]], "Sigma": [[[1.0, 2.0], [2.0, 1.0]]]}, "not positive definite"),
        ({"phi": [1.0], "mu": [[np.nan, 0.0]], "Sigma": [np.eye(2)]}, "NaN or inf"),
        ({"phi": [], "mu": [], "Sigma": []}, "non-empty"),
    ],
)
def test_params_validation_names_the_failed_condition(kwargs, words):
    with pytest.raises(ValueError, match=words):
        GMMParams(**kwargs)


def test_singular_sigma_message_says_what_a_covariance_must_be():
    with pytest.raises(ValueError, match="eigenvalues"):
        GMMParams(phi=[1.0], mu=[[0.0, 0.0]], Sigma=[np.zeros((2, 2))])



def test_simplex_tolerance_is_the_one_phi_is_checked_with():
    GMMParams(phi=[0.5, 0.5 + 0.5 * SIMPLEX_TOL], mu=[0.0, 1.0], Sigma=[1.0, 1.0])
    with pytest.raises(ValueError, match="sum to 1"):
        GMMParams(phi=[0.5, 0.5 + 2 * SIMPLEX_TOL], mu=[0.0, 1.0], Sigma=[1.0, 1.0])


def test_mixture_arrays_reads_params_estimators_and_tuples_alike():
    rng = np.random.default_rng(3)
    X = np.vstack([rng.normal(0, 1, (40, 2)), rng.normal(6, 1, (40, 2))])
    for covariance_type in ("full", "tied", "diag", "spherical"):
        gm = GaussianMixture(2, covariance_type=covariance_type, random_state=0).fit(X)
        phi, mu, Sigma = mixture_arrays(gm)
        np.testing.assert_array_equal(phi, gm.weights_)
        np.testing.assert_array_equal(mu, gm.means_)
        np.testing.assert_allclose(Sigma, gm.params_.Sigma)
        same = mixture_arrays((gm.weights_, gm.means_, gm.covariances_), covariance_type)
        np.testing.assert_allclose(same[2], Sigma)
    p = gm.params_
    assert all(np.array_equal(a, b) for a, b in zip(mixture_arrays(p), (p.phi, p.mu, p.Sigma), strict=True))
    assert mixture_arrays((p.mu, p.Sigma))[0] is None
    with pytest.raises(ValueError, match="not fitted"):
        mixture_arrays(GaussianMixture(2))
    with pytest.raises(ValueError, match="GMMParams"):
        mixture_arrays("theta")
