"""emlab.plots._missing: imputation_2d (imputed points with their conditional spread) and failure_rate."""

import numpy as np
import pytest
from plot_helpers import two_blobs

from emlab import GMMParams, missing, plots
from emlab.plots._missing import conditional_spread

THETA = GMMParams(phi=[0.4, 0.6], mu=[[0.0, 0.0], [4.0, 3.0]],
                  Sigma=[[[1.0, 0.6], [0.6, 0.8]], [[0.5, -0.2], [-0.2, 1.0]]])


def with_holes(seed=0):
    X = two_blobs(seed)
    rng = np.random.default_rng(seed)
    Xm = X.copy()
    rows = rng.choice(len(X), size=30, replace=False)
    Xm[rows[:15], 0] = np.nan
    Xm[rows[15:], 1] = np.nan
    return X, Xm


def test_conditional_spread_is_the_mixture_mean_and_the_law_of_total_variance():
    _, Xm = with_holes()
    mean, sd = conditional_spread(Xm, THETA)
    np.testing.assert_allclose(mean, missing.impute(Xm, THETA), atol=1e-12)
    observed = ~np.isnan(Xm)
    assert np.all(sd[observed] == 0)
    # One row by hand: Var = sum_j w_j (C_j + m_j^2) - (sum_j w_j m_j)^2.
    i = int(np.flatnonzero(np.isnan(Xm[:, 1]))[0])
    W = missing.e_step(Xm[[i]], THETA).W[0]
    ms, Cs = zip(*(missing.conditional_gaussian(Xm[i], [True, False], THETA.mu[j], THETA.Sigma[j]) for j in range(2)),
                 strict=True)
    ms, Cs = np.array(ms).ravel(), np.array(Cs).ravel()
    var = np.sum(W * (Cs + ms**2)) - np.sum(W * ms) ** 2
    np.testing.assert_allclose(sd[i, 1], np.sqrt(var), rtol=1e-10)
    # Every spread is at least the smallest within-component conditional sd, and positive.
    assert np.all(sd[~observed] >= np.sqrt(min(Cs)) * (1 - 1e-12))


def test_imputation_2d_draws_each_group_with_its_bars():
    X, Xm = with_holes()
    art = plots.imputation_2d(Xm, THETA, X_true=X, title="imputed")
    assert set(art.groups) == {"complete", "x_1 missing", "x_2 missing", "true values"}
    assert art.ax.get_title() == "imputed" and art.ax.get_xlabel() == "$x_1$" and art.ax.get_ylabel() == "$x_2$"
    np.testing.assert_allclose(art.imputed, missing.impute(Xm, THETA), atol=1e-12)
    assert len(art.groups["complete"].get_offsets()) == np.sum(~np.isnan(Xm).any(axis=1))
    # Vertical bars for missing x_2: their half-length is 2 sd.
    bars = art.groups["x_2 missing"].lines[2][0].get_segments()
    rows = np.isnan(Xm[:, 1])
    np.testing.assert_allclose([abs(b[1, 1] - b[0, 1]) / 2 for b in bars], 2 * art.sd[rows, 1], rtol=1e-10)
    assert "the removed values" in [t.get_text() for t in art.legend.get_texts()]
    assert repr(art).startswith("ImputationArtists(")


@pytest.mark.parametrize(
    ("X", "X_true", "match"),
    [(np.zeros((5, 3)), None, "shape"), (with_holes()[1], np.zeros((3, 2)), "X_true")],
)
def test_imputation_2d_rejects_bad_input(X, X_true, match):
    with pytest.raises(ValueError, match=match):
        plots.imputation_2d(X, THETA, X_true=X_true)


def test_failure_rate_draws_one_line_per_method():
    art = plots.failure_rate([2, 4, 6], {"ML": [0.0, 0.5, 1.0], "MAP": [0.0, 0.0, 0.0]}, trials=4, title="t")
    assert list(art.lines) == ["ML", "MAP"]
    np.testing.assert_array_equal(art.lines["ML"].get_ydata(), [0.0, 0.5, 1.0])
    assert art.lines["ML"].get_marker() != art.lines["MAP"].get_marker()
    assert art.ax.get_ylabel() == "fraction of 4 runs that failed" and art.ax.get_xlabel() == "dimension $n$"


@pytest.mark.parametrize(
    ("dims", "rates", "match"),
    [([], {"a": []}, "dims"), ([2, 3], {}, "at least one"), ([2, 3], {"a": [0.1]}, "one fraction"),
     ([2, 3], {"a": [0.1, 1.5]}, "one fraction")],
)
def test_failure_rate_rejects_bad_input(dims, rates, match):
    with pytest.raises(ValueError, match=match):
        plots.failure_rate(dims, rates, trials=3)
