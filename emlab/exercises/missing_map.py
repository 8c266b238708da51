"""Checkers for notebook 09 (missing values and MAP-EM): the conditional Gaussian of one row, and the MAP Sigma update.

The conditional-Gaussian cases vary the dimension (n = 2 to 5) and the missing pattern independently: one
coordinate missing, several missing and not next to each other, all but one missing, and none missing (then
the answer has shapes (0,) and (0, 0)). The covariances are correlated enough that every usual slip (the
marginal instead of the conditional covariance, a sign, a diagonal-only inverse, a block of the precision
matrix used as it is) changes the answer.

The MAP cases vary n = 1, 2, 3 and K = 1, 2, 3, with a prior mean away from 0, weak (kappa = 0.01, nu = n + 2,
the Fraley & Raftery defaults) and strong priors, a component with no responsibility at all (N_j = 0, where
the maximum-likelihood mean is 0/0 but the MAP update is not) and one with N_j = 1e-9.
"""

from __future__ import annotations

import functools

import numpy as np

from ._harness import Case, CheckResult, Fail, arr, checker, match, numeric, run_cases, versus_arrays, warn_note

__all__ = ["check_conditional_gaussian", "check_map_sigma_update"]

COND_SHAPES = (
    " Check the shapes: x and observed are (n,), mu is (n,), Sigma is (n, n); return mean of shape (n_missing,) "
    "and cov of shape (n_missing, n_missing)."
)
MAP_SHAPES = (
    " Check the shapes: N is (K,), sum_x is (K, n), sum_xx is (K, n, n), mean_prior is (n,), Lam is (n, n); "
    "return Sigma of shape (K, n, n)."
)


def _read_only(*arrays):
    for a in arrays:
        a.flags.writeable = False


def _spd(rng, n, strength=0.7):
    """A correlated covariance matrix: unit-ish variances, off-diagonal correlations up to about strength."""
    A = rng.standard_normal((n, n))
    S = A @ A.T + 0.3 * n * np.eye(n)
    d = np.sqrt(np.diag(S))
    R = S / np.outer(d, d)
    R = strength * R + (1 - strength) * np.eye(n)
    scale = rng.uniform(0.5, 2.0, size=n)
    return R * np.outer(scale, scale)


# --------------------------------------------------------------------------------------------------
# Exercise 1: the conditional Gaussian
# --------------------------------------------------------------------------------------------------


@functools.cache
def _cond_problems():
    """(label, x, observed, mu, Sigma, tags); the first case has square 2 x 2 blocks, so transposes show."""
    rng = np.random.default_rng(2026_12_09_1)
    out = []
    patterns = [
        (4, (1, 0, 1, 0), "n = 4, x_1 and x_3 missing", "square"),
        (3, (1, 0, 1), "n = 3, x_2 missing", ""),
        (3, (0, 0, 1), "n = 3, only x_3 observed", "one_left"),
        (3, (1, 1, 1), "n = 3, nothing missing", "none"),
        (2, (0, 1), "n = 2, x_1 missing", ""),
        (5, (1, 0, 1, 0, 0), "n = 5, x_2, x_4 and x_5 missing", ""),
    ]
    for n, obs, label, tag in patterns:
        o = np.array(obs, dtype=bool)
        mu = rng.normal(0, 2, size=n)
        Sigma = _spd(rng, n)
        x = rng.multivariate_normal(mu, Sigma) + rng.normal(0, 1.0, size=n)  # not at the mean, so x_o matters
        x[~o] = np.nan
        _read_only(x, o, mu, Sigma)
        out.append((label, x, o, mu, Sigma, frozenset({tag} - {""})))
    return tuple(out)


def _cond_cases():
    return [
        Case(label, (x, o, mu, S), names=("x", "observed", "mu", "Sigma"), shape_hint=COND_SHAPES, tags=tags)
        for label, x, o, mu, S, tags in _cond_problems()
    ]


def _blocks(x, o, mu, S):
    h = ~o
    return h, S[np.ix_(o, o)], S[np.ix_(h, o)], S[np.ix_(h, h)], x[o] - mu[o]


def _cond_ref(x, o, mu, S):
    h, Soo, Sho, Shh, d = _blocks(x, o, mu, S)
    B = np.linalg.solve(Soo, Sho.T).T if o.any() else np.zeros((h.sum(), 0))
    return mu[h] + B @ d, Shh - B @ Sho.T, B


def _split_pair(out, case, nh):
    if out is None:
        raise Fail(f"your function returned None on {case.label}. Did you forget the `return` statement? It should "
                   "return the pair (mean, cov).")
    if not (isinstance(out, (tuple, list)) and len(out) == 2):
        raise Fail(
            f"your function returned {type(out).__name__} on {case.label}; it should return the pair (mean, cov): "
            f"mean of shape ({nh},) and cov of shape ({nh}, {nh})."
        )
    return numeric(out[0], case, "the conditional mean"), numeric(out[1], case, "the conditional covariance")


def _compare_cond(case, out):
    x, o, mu, S = case.args
    n = len(mu)
    h = ~o
    nh = int(h.sum())
    mean, cov = _split_pair(out, case, nh)
    m_ref, C_ref, B = _cond_ref(x, o, mu, S)
    if mean.shape == (nh, nh) and cov.shape == (nh,) and nh > 1:
        raise Fail(f"mean and cov are swapped on {case.label}: return (mean, cov), the mean first.")
    if nh == 0 and (mean.size != 0 or cov.size != 0):
        raise Fail(
            f"on {case.label} there is nothing to predict, so mean and cov must be empty: shapes (0,) and (0, 0); you "
            f"returned shapes {mean.shape} and {cov.shape}. Index with the mask (mu[~observed], "
            "Sigma[np.ix_(~observed, ~observed)]) and the empty case comes out by itself."
        )
    if mean.shape == (n,) and nh not in (0, n):
        raise Fail(
            f"mean has shape ({n},) on {case.label}: you returned all n coordinates. Return the conditional mean "
            f"of the missing ones only, shape (n_missing,) = ({nh},)."
        )
    if mean.shape == (nh, 1) or mean.shape == (1, nh):
        raise Fail(f"mean has shape {mean.shape} on {case.label}; it must be 1-D, shape ({nh},): solve with a 1-D "
                   "right-hand side (x_o - mu_o), not a column, or flatten with .ravel().")
    if cov.shape == (n, n) and nh not in (0, n):
        raise Fail(
            f"cov has shape ({n}, {n}) on {case.label}: you returned a matrix over all n coordinates. Return C for the "
            f"missing ones only, shape ({nh}, {nh}): Sigma[np.ix_(h, h)] - ..."
        )
    if cov.shape == (nh,) and nh > 1:
        raise Fail(f"cov has shape ({nh},) on {case.label}: you returned the variances only. Return the whole "
                   f"conditional covariance matrix C, shape ({nh}, {nh}): its off-diagonal entries matter too.")
    if mean.shape != (nh,) or cov.shape != (nh, nh):
        raise Fail(
            f"on {case.label} mean has shape {mean.shape} and cov {cov.shape}; they must be ({nh},) and "
            f"({nh}, {nh}).",
            generic=True,
        )
    if nh == 0:
        return
    if np.isnan(mean).any() or np.isnan(cov).any():
        raise Fail(
            f"NaN in your answer on {case.label}: a missing entry of x (NaN) went into the formula. Use only the "
            "observed values x[observed], and check that observed is True where x is observed (not where it is "
            "missing)." + warn_note(case)
        )
    mean_ok, cov_ok = np.allclose(mean, m_ref, rtol=1e-7, atol=1e-9), np.allclose(cov, C_ref, rtol=1e-7, atol=1e-9)
    if mean_ok and cov_ok:
        return
    _, Soo, Sho, Shh, d = _blocks(x, o, mu, S)
    P = np.linalg.inv(S)
    Phh, Pho = P[np.ix_(h, h)], P[np.ix_(h, o)]
    diag_inv = Sho / np.diag(Soo)
    if not cov_ok:
        variants = [
            (Shh, "cov is the marginal covariance Sigma_hh: knowing x_o shrinks it. Subtract "
             "Sigma_ho Sigma_oo^-1 Sigma_oh: C = Sigma_hh - Sigma_ho Sigma_oo^-1 Sigma_oh."),
            (Shh + B @ Sho.T, "the sign of the correction is wrong: C = Sigma_hh MINUS Sigma_ho Sigma_oo^-1 "
             "Sigma_oh (seeing x_o can only reduce the uncertainty about x_h)."),
            (Shh - Sho @ Sho.T, "Sigma_oo^-1 is missing from C: C = Sigma_hh - Sigma_ho Sigma_oo^-1 Sigma_oh "
             "(np.linalg.solve(Sigma_oo, Sigma_oh))."),
            (Shh - Sho @ Soo @ Sho.T, "you multiplied by Sigma_oo instead of its inverse: C = Sigma_hh - Sigma_ho "
             "Sigma_oo^-1 Sigma_oh; use np.linalg.solve(Sigma_oo, Sigma_oh) for Sigma_oo^-1 Sigma_oh."),
            (Shh - diag_inv @ Sho.T if o.sum() > 1 else None, "you inverted only the diagonal of Sigma_oo (dividing by "
             "the variances); the observed coordinates are correlated, so Sigma_oo^-1 needs the whole matrix: "
             "np.linalg.solve(Sigma_oo, Sigma_oh)."),
            (Phh, "you returned the hh block of the precision matrix Sigma^-1; the conditional covariance is the "
             "inverse of that block, C = ((Sigma^-1)_hh)^-1."),
            (1.0 / Phh, "you inverted the precision block entry by entry (1 / P_hh); C = ((Sigma^-1)_hh)^-1 is a "
             "matrix inverse (np.linalg.inv)."),
            (C_ref + np.outer(m_ref, m_ref), "you returned the second moment E[x_h x_h^T | x_o] = C + m m^T; the "
             "conditional covariance is C alone."),
        ]
        hint = match(cov, variants)
        if hint:
            raise Fail(f"{hint} (Seen on {case.label}.)")
        if mean_ok:
            raise Fail(f"cov is wrong on {case.label}: {versus_arrays(cov, C_ref, 'C is')}." + warn_note(case),
                       generic=True)
    Pinv = np.linalg.inv(Phh)
    variants = [
        (mu[h], "the mean ignores the observed values: m = mu_h + Sigma_ho Sigma_oo^-1 (x_o - mu_o); seeing x_o "
         "moves the prediction of x_h when the two are correlated."),
        (mu[h] - B @ d, "the sign of the correction is wrong: m = mu_h PLUS Sigma_ho Sigma_oo^-1 (x_o - mu_o)."),
        (mu[h] + B @ x[o], "x_o must be centred: m = mu_h + Sigma_ho Sigma_oo^-1 (x_o - mu_o), with mu_o "
         "subtracted."),
        (B @ d, "mu_h is missing: m = mu_h + Sigma_ho Sigma_oo^-1 (x_o - mu_o)."),
        (mu[h] + Sho @ d, "Sigma_oo^-1 is missing: m = mu_h + Sigma_ho Sigma_oo^-1 (x_o - mu_o); use "
         "np.linalg.solve(Sigma_oo, x_o - mu_o)."),
        (mu[h] + Sho @ Soo @ d, "you multiplied by Sigma_oo instead of its inverse: m = mu_h + Sigma_ho "
         "Sigma_oo^-1 (x_o - mu_o); use np.linalg.solve(Sigma_oo, x_o - mu_o)."),
        (mu[h] + diag_inv @ d if o.sum() > 1 else None, "you inverted only the diagonal of Sigma_oo (dividing by "
         "the variances); the observed coordinates are correlated: np.linalg.solve(Sigma_oo, x_o - mu_o)."),
        (mu[h] + B.T @ d if "square" in case.tags else None, "the regression matrix is transposed: it is "
         "Sigma_ho Sigma_oo^-1 (rows for the missing coordinates), np.linalg.solve(Sigma_oo, Sigma_oh).T, not "
         "Sigma_oo^-1 Sigma_oh."),
        (mu[h] - Pho @ d, "you used the precision block (Sigma^-1)_ho without the inverse of (Sigma^-1)_hh: in "
         "precision form m = mu_h - ((Sigma^-1)_hh)^-1 (Sigma^-1)_ho (x_o - mu_o)."),
        (mu[h] + Pinv @ Pho @ d, "the sign of the correction is wrong: in precision form m = mu_h MINUS "
         "((Sigma^-1)_hh)^-1 (Sigma^-1)_ho (x_o - mu_o)."),
    ]
    hint = match(mean, variants)
    if hint:
        raise Fail(f"{hint} (Seen on {case.label}.)")
    raise Fail(f"mean is wrong on {case.label}: {versus_arrays(mean, m_ref, 'm is')}." + warn_note(case),
               generic=True)


@checker("conditional Gaussian")
def check_conditional_gaussian(fn) -> CheckResult:
    """Check ``fn(x, observed, mu, Sigma) -> (mean, cov)``: the distribution of x's missing coordinates given the rest.

    mean = mu_h + Sigma_ho Sigma_oo^-1 (x_o - mu_o) and cov = Sigma_hh - Sigma_ho Sigma_oo^-1 Sigma_oh, where o
    are the coordinates with ``observed`` True and h the others (x is NaN there).

    Parameters
    ----------
    fn : callable
        The student's function; ``x`` (n,) with NaN where missing, ``observed`` (n,) bool, ``mu`` (n,),
        ``Sigma`` (n, n).

    Returns
    -------
    CheckResult
    """
    cases = _cond_cases()
    run_cases(fn, cases, _compare_cond)
    return (
        f"matches the conditional mean and covariance on {len(cases)} cases: n = 2 to 5, one, several (not "
        "adjacent) and all but one coordinate missing, and nothing missing (empty answers)."
    )


# --------------------------------------------------------------------------------------------------
# Exercise 2: the MAP Sigma update
# --------------------------------------------------------------------------------------------------


@functools.cache
def _map_problems():
    """(label, N, sum_x, sum_xx, mu_P, kappa, nu, Lam, tags); expected statistics of real responsibilities."""
    rng = np.random.default_rng(2026_12_09_2)
    out = []
    settings = [
        (3, 2, "default", "n = 3, K = 2, the default prior (kappa = 0.01, nu = n + 2)", ""),
        (2, 3, "strong", "n = 2, K = 3, a strong prior (kappa = 5, nu = 9)", ""),
        (1, 2, "default", "n = 1, K = 2, the default prior", ""),
        (2, 1, "strong", "n = 2, K = 1, a strong prior", ""),
        (3, 3, "empty", "n = 3, K = 3, component 3 with N_3 = 0", "empty"),
        (2, 2, "tiny", "n = 2, K = 2, component 2 with N_2 = 1e-9", "tiny"),
    ]
    for n, k, kind, label, tag in settings:
        m = 30
        X = rng.normal(3.0, 1.0, size=(m, n)) + rng.normal(0, 2.0, size=(k, n))[rng.integers(k, size=m)]
        W = rng.dirichlet(np.full(k, 0.8), size=m)
        if kind == "empty":
            W[:, -1] = 0.0
            W /= W.sum(axis=1, keepdims=True)
        if kind == "tiny":
            W[:, -1] = 1e-9 / m
            W[:, 0] = 1.0 - W[:, -1]
        N = W.sum(axis=0)
        sx = W.T @ X
        sxx = np.einsum("ik,ia,ib->kab", W, X, X)
        mu_p = X.mean(axis=0)
        Lam = (np.cov(X, rowvar=False).reshape(n, n)) / k ** (2.0 / n)
        kappa, nu = (5.0, n + 7.0) if kind == "strong" else (0.01, n + 2.0)
        if kind == "empty":
            kappa = 0.5
        for a in (N, sx, sxx, mu_p, Lam):
            _read_only(a)
        out.append((label, N, sx, sxx, mu_p, kappa, nu, Lam, frozenset({tag} - {""})))
    return tuple(out)


def _map_cases():
    return [
        Case(label, (N, sx, sxx, mp, ka, nu, La), names=("N", "sum_x", "sum_xx", "mean_prior", "kappa", "nu", "Lam"),
             n=mp.shape[0], k=N.shape[0], shape_hint=MAP_SHAPES, tags=tags)
        for label, N, sx, sxx, mp, ka, nu, La, tags in _map_problems()
    ]


def _outer(a):
    return a[:, :, None] * a[:, None, :]


def _map_ref(N, sx, sxx, mu_p, kappa, nu, Lam):
    n = mu_p.shape[0]
    mu = (sx + kappa * mu_p) / (N + kappa)[:, None]
    B = sxx + kappa * np.outer(mu_p, mu_p) - (N + kappa)[:, None, None] * _outer(mu)
    return (Lam + B) / (N + nu + n + 2)[:, None, None], mu, B


def _compare_map(case, out):
    N, sx, sxx, mu_p, kappa, nu, Lam = case.args
    k, n = sx.shape
    Sigma = numeric(out, case, f"the covariances Sigma_j, shape ({k}, {n}, {n})")
    ref, mu, B = _map_ref(N, sx, sxx, mu_p, kappa, nu, Lam)
    if Sigma.shape != ref.shape:
        if Sigma.shape == (n, n) and k > 1:
            raise Fail(f"you returned one ({n}, {n}) matrix on {case.label}; return one Sigma_j per component, shape "
                       f"({k}, {n}, {n}).")
        raise Fail(f"Sigma has shape {Sigma.shape} on {case.label}; it must be (K, n, n) = ({k}, {n}, {n}).",
                   generic=True)
    if not np.all(np.isfinite(Sigma)):
        j = int(np.flatnonzero(~np.all(np.isfinite(Sigma.reshape(k, -1)), axis=1))[0])
        if N[j] == 0:
            raise Fail(
                f"Sigma_{j + 1} is not finite on {case.label}, where N_{j + 1} = 0: the data mean s_j / N_j is 0/0 "
                "there. The MAP update never needs it: mu_j = (s_j + kappa mu_P) / (N_j + kappa) and "
                "B_j = S_j + kappa mu_P mu_P^T - (N_j + kappa) mu_j mu_j^T are finite for N_j = 0, and Sigma_j "
                "is then the prior's Lambda / (nu + n + 2)." + warn_note(case)
            )
        raise Fail(f"Sigma contains NaN or inf on {case.label} (component {j + 1})." + warn_note(case), generic=True)
    if np.allclose(Sigma, ref, rtol=1e-7, atol=1e-10):
        return
    c = (N + nu + n + 2)[:, None, None]
    m_tot = N.sum()
    with np.errstate(all="ignore"):
        xbar = sx / N[:, None]
        scatter = sxx - N[:, None, None] * _outer(xbar)  # W_j, about the data mean
        dp = xbar - mu_p
        kp = kappa * np.outer(mu_p, mu_p)
        mu_no_prior = sx / (N + kappa)[:, None]
        inner = sxx + kappa * (mu_p @ mu_p) - ((N + kappa) * np.einsum("ka,ka->k", mu, mu))[:, None, None]
        variants = [
            (scatter / N[:, None, None], "this is the maximum-likelihood update S_j / N_j - xbar_j xbar_j^T: the "
             "prior is missing. Sigma_j = (Lambda + B_j) / (N_j + nu + n + 2)."),
            ((Lam + B) / (N + nu + n + 1)[:, None, None], "the denominator is one short: N_j + nu + n + 2. The "
             "normal prior on mu_j, N(mu_P, Sigma_j / kappa), contributes |Sigma_j|^(-1/2) too: N_j from the data, "
             "1 from the mean prior, nu + n + 1 from the inverse-Wishart."),
            ((Lam + B) / (N + nu + n)[:, None, None], "the denominator is N_j + nu + n + 2 (N_j from the data, 1 "
             "from the mean prior, nu + n + 1 from the inverse-Wishart), not N_j + nu + n."),
            ((Lam + B) / (N + nu + 2)[:, None, None], "n is missing from the denominator: N_j + nu + n + 2, with n "
             "the dimension (the inverse-Wishart's power of |Sigma| is (nu + n + 1) / 2)."),
            ((Lam + B) / (N + nu)[:, None, None], "the denominator is N_j + nu + n + 2, not N_j + nu: count every "
             "power of |Sigma_j| (N_j data points, 1 from the mean prior, nu + n + 1 from the inverse-Wishart)."),
            ((Lam + B) / N[:, None, None], "the denominator is N_j + nu + n + 2, not N_j: the prior's "
             "powers of |Sigma_j| count too."),
            ((Lam + B) / (N + nu - n - 1)[:, None, None], "N_j + nu - n - 1 is the denominator of the posterior "
             "MEAN of an inverse-Wishart; the MAP update is its MODE, (Lambda + B_j) / (N_j + nu + n + 2)."),
            ((Lam + B) / (m_tot + nu + n + 2), f"each component divides by its own N_j + nu + n + 2; you used the "
             f"total m = {m_tot:.6g} for all of them."),
            (B / c, "Lambda is missing: Sigma_j = (Lambda + B_j) / (N_j + nu + n + 2). Lambda is what keeps Sigma_j "
             "away from 0."),
            (B / c + Lam, "Lambda goes inside the numerator: Sigma_j = (Lambda + B_j) / (N_j + nu + n + 2); you "
             "added it after dividing."),
            ((np.linalg.inv(Lam) + B) / c, "you used Lambda^-1; the inverse-Wishart's scale enters as Lambda itself: "
             "Sigma_j = (Lambda + B_j) / (N_j + nu + n + 2)."),
            ((Lam + scatter) / c, "the mean prior's term is missing from B_j: B_j = W_j + kappa N_j / (kappa + N_j) "
             "(xbar_j - mu_P)(xbar_j - mu_P)^T, or equivalently S_j + kappa mu_P mu_P^T - (N_j + kappa) mu_j mu_j^T."),
            ((Lam + scatter + kappa * _outer(dp)) / c, "the weight of the mean-prior term is kappa N_j / (kappa + "
             "N_j), not kappa: B_j = W_j + kappa N_j / (kappa + N_j) (xbar_j - mu_P)(xbar_j - mu_P)^T."),
            ((Lam + scatter - kappa * N[:, None, None] / (kappa + N)[:, None, None] * _outer(dp)) / c, "the mean-prior "
             "term is added, not subtracted: B_j = W_j + kappa N_j / (kappa + N_j) (xbar_j - mu_P)(xbar_j - mu_P)^T."),
            ((Lam + sxx - N[:, None, None] * _outer(mu)) / c, "the kappa terms are missing from B_j: with the MAP mean "
             "mu_j, B_j = S_j + kappa mu_P mu_P^T - (N_j + kappa) mu_j mu_j^T."),
            ((Lam + sxx - (N + kappa)[:, None, None] * _outer(mu)) / c, "kappa mu_P mu_P^T is missing from B_j: "
             "B_j = S_j + kappa mu_P mu_P^T - (N_j + kappa) mu_j mu_j^T."),
            ((Lam + sxx + kp - N[:, None, None] * _outer(mu)) / c, "the last term of B_j is (N_j + kappa) mu_j mu_j^T: "
             "the kappa pseudo-points count in it too."),
            ((Lam + sxx + kp - (N + kappa)[:, None, None] * _outer(xbar)) / c, "mu_j in B_j is the MAP mean "
             "(s_j + kappa mu_P) / (N_j + kappa), not the data mean s_j / N_j."),
            ((Lam + sxx + kp - (N + kappa)[:, None, None] * _outer(mu_no_prior)) / c, "kappa mu_P is missing from the "
             "mean: mu_j = (s_j + kappa mu_P) / (N_j + kappa)."),
            ((Lam + B / N[:, None, None]) / c, "B_j is a sum over the points, not an average: do not divide it by N_j "
             "(the denominator N_j + nu + n + 2 does the averaging)."),
            (np.linalg.inv(ref), "you returned the precisions Sigma_j^-1; return the covariances Sigma_j."),
            ((Lam + inner) / c if n > 1 else None, "mu_P mu_P^T and mu_j mu_j^T are outer products (n x n matrices: "
             "np.outer or mu[:, None] * mu[None, :]), not inner products (numbers)."),
        ]
    mv = [(np.where(np.isfinite(v), v, ref) if v is not None else None, msg) for v, msg in variants]
    hint = match(Sigma, mv)
    if hint:
        raise Fail(f"{hint} (Seen on {case.label}.)")
    err = np.abs(Sigma - ref).reshape(k, -1).max(axis=1)
    j = int(np.argmax(err))
    raise Fail(
        f"Sigma_{j + 1} is wrong on {case.label}: {versus_arrays(Sigma[j], ref[j], 'the MAP update is')}. "
        f"(Its mean is mu_{j + 1} = {arr(mu[j], 6)}.)" + warn_note(case),
        generic=True,
    )


@checker("MAP Sigma update")
def check_map_sigma_update(fn) -> CheckResult:
    """Check ``fn(N, sum_x, sum_xx, mean_prior, kappa, nu, Lam) -> Sigma`` of shape (K, n, n): the MAP covariances.

    Sigma_j = (Lambda + B_j) / (N_j + nu + n + 2) with mu_j = (s_j + kappa mu_P) / (N_j + kappa) and
    B_j = S_j + kappa mu_P mu_P^T - (N_j + kappa) mu_j mu_j^T, where s_j = sum_x[j] and S_j = sum_xx[j].

    Parameters
    ----------
    fn : callable
        The student's update; ``N`` (K,), ``sum_x`` (K, n), ``sum_xx`` (K, n, n), ``mean_prior`` (n,), ``kappa``
        and ``nu`` floats, ``Lam`` (n, n).

    Returns
    -------
    CheckResult
    """
    cases = _map_cases()
    run_cases(fn, cases, _compare_map)
    return (
        f"matches the MAP covariance update on {len(cases)} cases: n = 1, 2, 3 and K = 1, 2, 3, weak (default) and "
        "strong priors, a component with N_j = 0 and one with N_j = 1e-9."
    )
