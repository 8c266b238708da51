"""Notebook 09's checkers (emlab/exercises/missing_map.py): the conditional Gaussian and the MAP Sigma update.

Each table row is an answer students really write; the checker must reject it and name the mistake.
"""

import numpy as np
import pytest
from _exercise_helpers import assert_fails_with, assert_passes, stub

from emlab import exercises, missing, prior
from emlab.prior import ConjugatePrior

# --------------------------------------------------------------------------------------------------
# The conditional Gaussian
# --------------------------------------------------------------------------------------------------


def blocks(x, observed, mu, Sigma):
    o = np.asarray(observed, dtype=bool)
    h = ~o
    return o, h, Sigma[np.ix_(o, o)], Sigma[np.ix_(h, o)], Sigma[np.ix_(h, h)], x[o] - mu[o]


def cond_with(mean_fn=None, cov_fn=None):
    """The right answer with one part replaced by a student's slip."""

    def fn(x, observed, mu, Sigma):
        o, h, Soo, Sho, Shh, d = blocks(x, observed, mu, Sigma)
        B = np.linalg.solve(Soo, Sho.T).T
        mean = mu[h] + B @ d if mean_fn is None else mean_fn(x, o, h, mu, Sigma, Soo, Sho, Shh, d, B)
        cov = Shh - B @ Sho.T if cov_fn is None else cov_fn(x, o, h, mu, Sigma, Soo, Sho, Shh, d, B)
        return mean, cov

    return fn


cond_right = cond_with()


def precision_blocks(Sigma, o, h):
    P = np.linalg.inv(Sigma)
    return P[np.ix_(h, h)], P[np.ix_(h, o)]


def cond_precision(x, observed, mu, Sigma):
    # Right, via the precision matrix: C = (P_hh)^-1, m = mu_h - (P_hh)^-1 P_ho (x_o - mu_o).
    o, h, _, _, _, d = blocks(x, observed, mu, Sigma)
    Phh, Pho = precision_blocks(Sigma, o, h)
    C = np.linalg.inv(Phh)
    return mu[h] - C @ Pho @ d, C


def cond_inverse(x, observed, mu, Sigma):
    # Right, with an explicit inverse and boolean indexing in two steps.
    o = np.asarray(observed)
    h = np.logical_not(o)
    inv = np.linalg.inv(Sigma[o][:, o])
    return mu[h] + Sigma[h][:, o] @ inv @ (x[o] - mu[o]), Sigma[h][:, h] - Sigma[h][:, o] @ inv @ Sigma[o][:, h]


def cond_mask_inverted(x, observed, mu, Sigma):
    return cond_right(x, ~np.asarray(observed), mu, Sigma)


def cond_mutates(x, observed, mu, Sigma):
    x[~np.asarray(observed)] = 0.0  # "clean" the NaN first, into the caller's row
    return cond_right(x, observed, mu, Sigma)


def cond_whole_row(x, observed, mu, Sigma):
    mean, cov = cond_right(x, observed, mu, Sigma)
    full = np.array(x, dtype=float)
    full[~np.asarray(observed)] = mean
    return full, cov


def cond_padded(x, observed, mu, Sigma):
    mean, cov = cond_right(x, observed, mu, Sigma)
    h = ~np.asarray(observed)
    full = np.zeros_like(Sigma)
    full[np.ix_(h, h)] = cov
    return mean, full


def cond_column(x, observed, mu, Sigma):
    o, h, Soo, Sho, Shh, d = blocks(x, observed, mu, Sigma)
    mean = mu[h][:, None] + Sho @ np.linalg.solve(Soo, d[:, None])
    return mean, Shh - Sho @ np.linalg.solve(Soo, Sho.T)


def cond_crash_when_complete(x, observed, mu, Sigma):
    o = np.asarray(observed)
    if o.all():
        first_missing = np.flatnonzero(~o)[0]  # IndexError: nothing is missing
        return first_missing
    return cond_right(x, observed, mu, Sigma)


def _diag_inv(Soo, Sho):
    return Sho / np.diag(Soo)


COND_WRONG = [
    ("marginal covariance", cond_with(cov_fn=lambda x, o, h, mu, S, Soo, Sho, Shh, d, B: Shh), ["marginal"]),
    ("covariance sign", cond_with(cov_fn=lambda x, o, h, mu, S, Soo, Sho, Shh, d, B: Shh + B @ Sho.T), ["sign"]),
    ("covariance without the inverse", cond_with(cov_fn=lambda x, o, h, mu, S, Soo, Sho, Shh, d, B: Shh - Sho @ Sho.T),
     ["sigma_oo^-1 is missing"]),
    ("covariance times Sigma_oo",
     cond_with(cov_fn=lambda x, o, h, mu, S, Soo, Sho, Shh, d, B: Shh - Sho @ Soo @ Sho.T), ["instead of its inverse"]),
    ("covariance, diagonal-only inverse",
     cond_with(cov_fn=lambda x, o, h, mu, S, Soo, Sho, Shh, d, B: Shh - _diag_inv(Soo, Sho) @ Sho.T),
     ["only the diagonal"]),
    ("precision block as covariance",
     cond_with(cov_fn=lambda x, o, h, mu, S, Soo, Sho, Shh, d, B: precision_blocks(S, o, h)[0]), ["precision matrix"]),
    ("precision block inverted entry by entry",
     cond_with(cov_fn=lambda x, o, h, mu, S, Soo, Sho, Shh, d, B: 1.0 / precision_blocks(S, o, h)[0]),
     ["entry by entry"]),
    ("second moment instead of covariance",
     cond_with(cov_fn=lambda x, o, h, mu, S, Soo, Sho, Shh, d, B: Shh - B @ Sho.T + np.outer(mu[h] + B @ d,
                                                                                              mu[h] + B @ d)),
     ["second moment"]),
    ("mean ignores x_o", cond_with(mean_fn=lambda x, o, h, mu, S, Soo, Sho, Shh, d, B: mu[h]),
     ["ignores the observed"]),
    ("mean sign", cond_with(mean_fn=lambda x, o, h, mu, S, Soo, Sho, Shh, d, B: mu[h] - B @ d), ["sign"]),
    ("x_o not centred", cond_with(mean_fn=lambda x, o, h, mu, S, Soo, Sho, Shh, d, B: mu[h] + B @ x[o]), ["centred"]),
    ("mu_h missing", cond_with(mean_fn=lambda x, o, h, mu, S, Soo, Sho, Shh, d, B: B @ d), ["mu_h is missing"]),
    ("mean without the inverse", cond_with(mean_fn=lambda x, o, h, mu, S, Soo, Sho, Shh, d, B: mu[h] + Sho @ d),
     ["sigma_oo^-1 is missing"]),
    ("mean times Sigma_oo", cond_with(mean_fn=lambda x, o, h, mu, S, Soo, Sho, Shh, d, B: mu[h] + Sho @ Soo @ d),
     ["instead of its inverse"]),
    ("mean, diagonal-only inverse",
     cond_with(mean_fn=lambda x, o, h, mu, S, Soo, Sho, Shh, d, B: mu[h] + _diag_inv(Soo, Sho) @ d),
     ["only the diagonal"]),
    ("regression matrix transposed", cond_with(mean_fn=lambda x, o, h, mu, S, Soo, Sho, Shh, d, B: mu[h] + B.T @ d),
     ["transposed"]),
    ("precision block in the mean",
     cond_with(mean_fn=lambda x, o, h, mu, S, Soo, Sho, Shh, d, B: mu[h] - precision_blocks(S, o, h)[1] @ d),
     ["(sigma^-1)_hh"]),
    ("precision form, sign",
     cond_with(mean_fn=lambda x, o, h, mu, S, Soo, Sho, Shh, d, B: mu[h] + np.linalg.solve(
         precision_blocks(S, o, h)[0], precision_blocks(S, o, h)[1] @ d)), ["sign"]),
    ("observed mask inverted", cond_mask_inverted, ["nan", "observed is true where"]),
    ("whole row returned", cond_whole_row, ["all n coordinates"]),
    ("covariance padded to n x n", cond_padded, ["over all n coordinates"]),
    ("variances only", lambda x, o, mu, S: (cond_right(x, o, mu, S)[0], np.diag(cond_right(x, o, mu, S)[1])),
     ["variances only"]),
    ("mean and cov swapped", lambda x, o, mu, S: cond_right(x, o, mu, S)[::-1], ["swapped"]),
    ("mean as a column", cond_column, ["must be 1-d"]),
    ("crashes when nothing is missing", cond_crash_when_complete, ["raised indexerror", "nothing missing"]),
    ("returns None", lambda x, o, mu, S: None, ["return"]),
    ("returns only the mean", lambda x, o, mu, S: cond_right(x, o, mu, S)[0], ["the pair (mean, cov)"]),
    ("changes Sigma in place", cond_mutates, ["in place"]),
]


@pytest.mark.parametrize(("name", "fn", "words"), COND_WRONG, ids=[row[0] for row in COND_WRONG])
def test_conditional_gaussian_checker_names_the_mistake(name, fn, words):
    assert_fails_with(exercises.check_conditional_gaussian(fn), *words)


@pytest.mark.parametrize(
    "fn",
    [
        cond_right,
        cond_precision,
        cond_inverse,
        lambda x, o, mu, S: missing.conditional_gaussian(x, o, mu, S),
    ],
    ids=["solve", "precision matrix", "explicit inverse", "emlab.missing"],
)
def test_conditional_gaussian_checker_accepts_correct_variants(fn):
    assert_passes(exercises.check_conditional_gaussian(fn))


def test_conditional_gaussian_checker_reports_a_stub():
    result = exercises.check_conditional_gaussian(stub)
    assert not result.passed and result.message.startswith("Not implemented yet")


# --------------------------------------------------------------------------------------------------
# The MAP Sigma update
# --------------------------------------------------------------------------------------------------


def outer(a):
    return a[:, :, None] * a[:, None, :]


def map_with(numerator=None, denominator=None, mean=None):
    """The right update with one part replaced by a student's slip; every part sees the same quantities."""

    def fn(N, sum_x, sum_xx, mean_prior, kappa, nu, Lam):
        n = len(mean_prior)
        mu = (sum_x + kappa * mean_prior) / (N + kappa)[:, None] if mean is None else mean(N, sum_x, mean_prior, kappa)
        B = sum_xx + kappa * np.outer(mean_prior, mean_prior) - (N + kappa)[:, None, None] * outer(mu)
        num = Lam + B if numerator is None else numerator(N, sum_x, sum_xx, mean_prior, kappa, Lam, mu, B)
        den = N + nu + n + 2 if denominator is None else denominator(N, nu, n)
        return num / np.asarray(den, dtype=float).reshape(-1, 1, 1) if np.ndim(den) else num / den

    return fn


map_right = map_with()


def scatter(N, sum_x, sum_xx):
    xbar = sum_x / N[:, None]
    return sum_xx - N[:, None, None] * outer(xbar), xbar


def map_textbook(N, sum_x, sum_xx, mean_prior, kappa, nu, Lam):
    # Right, the textbook way: scatter about the data mean plus the shrinkage term; xbar only where N_j > 0.
    n = len(mean_prior)
    out = np.empty_like(sum_xx, dtype=float)
    for j in range(len(N)):
        if N[j] == 0:
            out[j] = Lam / (nu + n + 2)
            continue
        xbar = sum_x[j] / N[j]
        Wj = sum_xx[j] - N[j] * np.outer(xbar, xbar)
        dev = xbar - mean_prior
        out[j] = (Lam + Wj + kappa * N[j] / (kappa + N[j]) * np.outer(dev, dev)) / (N[j] + nu + n + 2)
    return out


def map_ml(N, sum_x, sum_xx, mean_prior, kappa, nu, Lam):
    W, _ = scatter(N, sum_x, sum_xx)
    return np.nan_to_num(W / N[:, None, None])


def map_textbook_nan(N, sum_x, sum_xx, mean_prior, kappa, nu, Lam):
    n = len(mean_prior)
    W, xbar = scatter(N, sum_x, sum_xx)  # 0/0 for an empty component
    dev = xbar - mean_prior
    shrink = (kappa * N / (kappa + N))[:, None, None]
    return (Lam + W + shrink * outer(dev)) / (N + nu + n + 2)[:, None, None]


def map_textbook_kappa(sign=1.0, weight="shrink"):
    def fn(N, sum_x, sum_xx, mean_prior, kappa, nu, Lam):
        n = len(mean_prior)
        with np.errstate(all="ignore"):
            W, xbar = scatter(N, sum_x, sum_xx)
        w = kappa * N / (kappa + N) if weight == "shrink" else np.full_like(N, kappa)
        out = (Lam + W + sign * w[:, None, None] * outer(xbar - mean_prior)) / (N + nu + n + 2)[:, None, None]
        return np.where(np.isfinite(out), out, Lam / (nu + n + 2))

    return fn


def map_no_kappa_term(N, sum_x, sum_xx, mean_prior, kappa, nu, Lam):
    n = len(mean_prior)
    with np.errstate(all="ignore"):
        W, _ = scatter(N, sum_x, sum_xx)
    out = (Lam + W) / (N + nu + n + 2)[:, None, None]
    return np.where(np.isfinite(out), out, Lam / (nu + n + 2))


def map_mutates(N, sum_x, sum_xx, mean_prior, kappa, nu, Lam):
    n = len(mean_prior)
    mu = (sum_x + kappa * mean_prior) / (N + kappa)[:, None]
    B = sum_xx  # an alias, not a copy: the += below writes into the caller's sum_xx
    B += kappa * np.outer(mean_prior, mean_prior)
    B -= (N + kappa)[:, None, None] * outer(mu)
    return (Lam + B) / (N + nu + n + 2)[:, None, None]


def map_inner(N, sum_x, sum_xx, mean_prior, kappa, nu, Lam):
    n = len(mean_prior)
    mu = (sum_x + kappa * mean_prior) / (N + kappa)[:, None]
    B = sum_xx + kappa * (mean_prior @ mean_prior) - ((N + kappa) * np.einsum("ka,ka->k", mu, mu))[:, None, None]
    return (Lam + B) / (N + nu + n + 2)[:, None, None]


MAP_WRONG = [
    ("maximum likelihood", map_ml, ["maximum-likelihood", "prior is missing"]),
    ("denominator one short", map_with(denominator=lambda N, nu, n: N + nu + n + 1), ["one short"]),
    ("denominator N + nu + n", map_with(denominator=lambda N, nu, n: N + nu + n), ["not n_j + nu + n"]),
    ("n missing from the denominator", map_with(denominator=lambda N, nu, n: N + nu + 2), ["n is missing"]),
    ("denominator N + nu", map_with(denominator=lambda N, nu, n: N + nu), ["not n_j + nu:"]),
    ("denominator N", map_with(denominator=lambda N, nu, n: N), ["not n_j:"]),
    ("posterior mean of the IW", map_with(denominator=lambda N, nu, n: N + nu - n - 1), ["mode"]),
    ("total m in the denominator", map_with(denominator=lambda N, nu, n: np.full_like(N, N.sum() + nu + n + 2)),
     ["its own n_j"]),
    ("Lambda missing", map_with(numerator=lambda N, sx, sxx, mp, ka, La, mu, B: B), ["lambda is missing"]),
    ("Lambda added after dividing",
     lambda N, sx, sxx, mp, ka, nu, La: map_with(numerator=lambda *a: a[-1])(N, sx, sxx, mp, ka, nu, La) + La,
     ["added it after dividing"]),
    ("Lambda inverted", map_with(numerator=lambda N, sx, sxx, mp, ka, La, mu, B: np.linalg.inv(La) + B),
     ["lambda^-1"]),
    ("mean-prior term missing", map_no_kappa_term, ["mean prior's term is missing"]),
    ("kappa instead of kappa N / (kappa + N)", map_textbook_kappa(weight="kappa"), ["not kappa"]),
    ("mean-prior term subtracted", map_textbook_kappa(sign=-1.0), ["added, not subtracted"]),
    ("kappa terms missing", map_with(numerator=lambda N, sx, sxx, mp, ka, La, mu, B: La + sxx
                                     - N[:, None, None] * outer(mu)), ["kappa terms are missing"]),
    ("kappa mu_P mu_P^T missing", map_with(numerator=lambda N, sx, sxx, mp, ka, La, mu, B: La + sxx
                                           - (N + ka)[:, None, None] * outer(mu)), ["kappa mu_p mu_p^t is missing"]),
    ("N instead of N + kappa", map_with(numerator=lambda N, sx, sxx, mp, ka, La, mu, B: La + sxx + ka * np.outer(mp, mp)
                                        - N[:, None, None] * outer(mu)), ["(n_j + kappa) mu_j mu_j^t"]),
    ("data mean in B", map_with(mean=lambda N, sx, mp, ka: np.nan_to_num(sx / N[:, None])), ["not the data mean"]),
    ("kappa mu_P missing from the mean", map_with(mean=lambda N, sx, mp, ka: sx / (N + ka)[:, None]),
     ["kappa mu_p is missing from the"]),
    ("B averaged", map_with(numerator=lambda N, sx, sxx, mp, ka, La, mu, B: La + B / N[:, None, None]),
     ["not an average"]),
    ("precisions returned", lambda *a: np.linalg.inv(map_right(*a)), ["precisions"]),
    ("inner products", map_inner, ["outer products"]),
    ("0/0 for an empty component", map_textbook_nan, ["n_3 = 0", "0/0"]),
    ("one matrix for all components", lambda *a: map_right(*a).sum(axis=0), ["one sigma_j per component"]),
    ("returns None", lambda *a: None, ["return"]),
    ("changes its inputs in place", map_mutates, ["in place"]),
]


@pytest.mark.parametrize(("name", "fn", "words"), MAP_WRONG, ids=[row[0] for row in MAP_WRONG])
def test_map_sigma_update_checker_names_the_mistake(name, fn, words):
    assert_fails_with(exercises.check_map_sigma_update(fn), *words)


def map_emlab(N, sum_x, sum_xx, mean_prior, kappa, nu, Lam):
    p = ConjugatePrior("full", len(N), 1.0, np.asarray(mean_prior), float(kappa), float(nu), np.asarray(Lam))
    return prior.map_m_step(N, sum_x, sum_xx, p)[2]


@pytest.mark.parametrize(
    "fn",
    [map_right, map_textbook, map_emlab],
    ids=["closed form", "textbook scatter + shrinkage, loop", "emlab.prior.map_m_step"],
)
def test_map_sigma_update_checker_accepts_correct_variants(fn):
    assert_passes(exercises.check_map_sigma_update(fn))


def test_map_sigma_update_checker_reports_a_stub():
    result = exercises.check_map_sigma_update(stub)
    assert not result.passed and result.message.startswith("Not implemented yet")


def test_map_sigma_update_checker_flags_a_warning_on_a_right_answer():
    def warns(N, sum_x, sum_xx, mean_prior, kappa, nu, Lam):
        out = map_textbook_nan(N, sum_x, sum_xx, mean_prior, kappa, nu, Lam)  # 0/0 warns ...
        n = len(mean_prior)
        return np.where(np.isfinite(out), out, Lam / (nu + n + 2))  # ... and is patched afterwards

    assert_fails_with(exercises.check_map_sigma_update(warns), "warning", "invalid value")
