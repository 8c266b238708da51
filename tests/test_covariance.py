"""emlab/covariance.py: the covariance types, their shapes, full form and free-parameter count."""

import numpy as np
import pytest

from emlab import GaussianMixture
from emlab.covariance import COVARIANCE_TYPES, check_covariance_type, covariance_shape, expand_covariances, n_parameters


def test_shapes_and_expansion_of_every_type():
    k, n = 3, 2
    rng = np.random.default_rng(0)
    A = rng.normal(size=(k, n, n))
    full = A @ A.transpose(0, 2, 1) + np.eye(n)
    forms = {"full": full, "tied": full[0], "diag": np.diagonal(full, axis1=1, axis2=2), "spherical": full[:, 0, 0]}
    for ct, cov in forms.items():
        assert covariance_shape(ct, k, n) == cov.shape
        out = expand_covariances(cov, ct, k, n)
        assert out.shape == (k, n, n) and not np.shares_memory(out, cov)
        np.testing.assert_allclose(out, out.transpose(0, 2, 1))
    np.testing.assert_array_equal(expand_covariances(forms["tied"], "tied", k, n)[2], full[0])
    np.testing.assert_array_equal(expand_covariances(forms["diag"], "diag", k, n)[1], np.diag(forms["diag"][1]))
    spherical = expand_covariances(forms["spherical"], "spherical", k, n)
    np.testing.assert_array_equal(spherical[2], full[2, 0, 0] * np.eye(n))


@pytest.mark.parametrize("ct", COVARIANCE_TYPES)
def test_parameter_count_matches_the_fitted_arrays(ct):
    # (k - 1) free weights + the entries of the means + the free entries of the covariances (symmetric: n(n+1)/2).
    rng = np.random.default_rng(1)
    X = rng.normal(size=(60, 3))
    gm = GaussianMixture(4, covariance_type=ct, random_state=0).fit(X)
    cov = gm.covariances_
    free_cov = {"full": 4 * 6, "tied": 6, "diag": cov.size, "spherical": cov.size}[ct]
    assert n_parameters(4, 3, ct) == 3 + gm.means_.size + free_cov == gm._n_parameters()


def test_bad_type_and_shape_are_named():
    with pytest.raises(ValueError, match="Unknown covariance_type 'ful'"):
        check_covariance_type("ful")
    with pytest.raises(ValueError, match=r"must have shape \(2, 2\)"):
        expand_covariances(np.ones((3, 2, 2)), "tied", 3, 2)
    with pytest.raises(ValueError, match="NaN or inf"):
        expand_covariances(np.array([1.0, np.nan]), "spherical", 2, 2)
