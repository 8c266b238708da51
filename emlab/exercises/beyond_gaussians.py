"""Checkers for notebook 08 (EM beyond Gaussians): the Bernoulli E-step in log space and the smoothed M-step.

The cases vary the number of pixels n and of components k independently, and add what is awkward for a
mixture of Bernoullis: probabilities mu_jd of exactly 0 and 1 (so ln 0 appears), a weight phi_j = 0 and one
of 1e-12, integer 0/1 data, a component with no responsibility at all (N_j = 0), and images of 2,000
pixels, where every p(x | z = j) underflows to 0 in linear space while the posterior stays mixed.
"""

from __future__ import annotations

import functools

import numpy as np
from scipy.special import logsumexp, xlogy

from ._harness import (
    KEEPDIMS,
    Case,
    CheckResult,
    Fail,
    arr,
    checker,
    match,
    numeric,
    run_cases,
    versus_arrays,
    warn_note,
)

__all__ = ["check_bernoulli_e_step", "check_bernoulli_m_step"]

SHAPES = " Check the shapes: X is (m, n) of 0/1, phi is (K,), mu is (K, n) and W is (m, K)."
# Below ln(tiny) ~ -708 a probability is subnormal or exactly 0 in float64: linear space breaks there.
_LOG_TINY = float(np.log(np.finfo(float).tiny))
_EPSILON_MU = (
    "a small epsilon on mu (np.log(mu + 1e-10), np.clip(mu, eps, 1 - eps)) changes the answer: where mu_jd = 0 "
    "and x_d = 1, component j is impossible (w = 0 exactly), and the epsilon makes it possible. Use "
    "scipy.special.xlogy(x, mu) + xlogy(1 - x, 1 - mu), which gives 0 ln 0 = 0 and ln 0 = -inf where it belongs, "
    "without warnings."
)
_EPSILON_PHI = (
    "a small epsilon on phi (np.log(phi + 1e-10), np.maximum(phi, eps)) changes the answer: next to phi_j = 1e-12 "
    "or phi_j = 0 the epsilon is not small. Write ln phi_j = -inf for phi_j = 0, without np.log's warning: "
    "np.log(phi, out=np.full_like(phi, -np.inf), where=phi > 0)."
)


# --------------------------------------------------------------------------------------------------
# Reference formulas (written out here, independent of emlab.bernoulli_core)
# --------------------------------------------------------------------------------------------------


def _log_phi(phi):
    phi = np.asarray(phi, dtype=float)
    return np.log(phi, out=np.full_like(phi, -np.inf), where=phi > 0)


def _log_joint(X, phi, mu, swap=False, drop_off=False, log=None):
    """a_ij = ln phi_j + sum_d [x_id ln mu_jd + (1 - x_id) ln(1 - mu_jd)], and the usual slips in it."""
    X = np.asarray(X, dtype=float)[:, None, :]
    mu = np.asarray(mu, dtype=float)[None]
    on, off = (1 - X, X) if swap else (X, 1 - X)
    pix = xlogy(on, mu) + (0.0 if drop_off else xlogy(off, 1 - mu))
    if log is not None:
        pix = pix / np.log(log)
    return _log_phi(phi) + pix.sum(axis=2)


def _posterior(a, axis=1):
    with np.errstate(invalid="ignore"):
        return np.exp(a - logsumexp(a, axis=axis, keepdims=True))


# --------------------------------------------------------------------------------------------------
# The cases
# --------------------------------------------------------------------------------------------------


def _read_only(*arrays):
    for a in arrays:
        a.flags.writeable = False


def _bernoulli(rng, mu, m):
    z = rng.integers(mu.shape[0], size=m)
    return (rng.uniform(size=(m, mu.shape[1])) < mu[z]).astype(float)


@functools.cache
def _e_problems():
    """(label, X, phi, mu, tags): n and k varied independently, then the awkward cases."""
    rng = np.random.default_rng(2026_12_08)
    out = []

    def add(label, X, phi, mu, *tags):
        X, phi, mu = (np.asarray(a) for a in (X, phi, mu))
        _read_only(X, phi, mu)
        out.append((label, X, phi, mu, frozenset(tags)))

    for n, k in ((4, 2), (4, 3), (9, 2), (9, 3)):
        mu = rng.uniform(0.1, 0.9, size=(k, n))
        phi = rng.dirichlet(np.full(k, 3.0))
        add(f"{n} pixels, K = {k} (m = 12)", _bernoulli(rng, mu, 12), phi, mu, "grid")
    mu = rng.uniform(0.2, 0.8, size=(1, 6))
    add("6 pixels, K = 1 (m = 5)", _bernoulli(rng, mu, 5), [1.0], mu)
    # Saturated probabilities: component 1 is impossible for images with pixel 0 on, component 2 for pixel 1 on.
    mu = rng.uniform(0.2, 0.8, size=(3, 5))
    mu[0, 0], mu[1, 1], mu[2, 2] = 0.0, 0.0, 1.0
    X = np.array([[1, 0, 1, 0, 1], [0, 1, 1, 1, 0], [1, 1, 1, 0, 0], [0, 0, 1, 1, 1], [0, 0, 0, 1, 1]], dtype=float)
    add("5 pixels, K = 3 with mu_jd = 0 and 1 (m = 5)", X, [0.3, 0.3, 0.4], mu, "saturated")
    # Integer data, as the digits are stored, and a weight of exactly 0 and one of 1e-12.
    mu = rng.uniform(0.1, 0.9, size=(3, 7))
    X = _bernoulli(rng, mu, 10).astype(np.int64)
    add("7 pixels, K = 3, integer X, phi_3 = 0 (m = 10)", X, [0.6, 0.4, 0.0], mu, "zero_phi", "int")
    add("7 pixels, K = 3, phi_3 = 1e-12 (m = 10)", X.astype(float), [0.6, 0.4 - 1e-12, 1e-12], mu, "tiny")
    # 2,000 pixels: every p(x | z = j) underflows; two components close enough that the posterior stays mixed.
    base = rng.uniform(0.2, 0.8, size=2000)
    mu = np.vstack([base, np.clip(base + rng.normal(0, 0.003, 2000), 0.01, 0.99), 1 - base])
    X = _bernoulli(rng, mu[:1], 6)
    add("2000 pixels, K = 3 (m = 6)", X, [0.3, 0.3, 0.4], mu, "underflow")
    return tuple(out)


def _e_cases():
    return [
        Case(label, (X, phi, mu), names=("X", "phi", "mu"), n=mu.shape[1], k=mu.shape[0], shape_hint=SHAPES, tags=tags)
        for label, X, phi, mu, tags in _e_problems()
    ]


# --------------------------------------------------------------------------------------------------
# The E-step
# --------------------------------------------------------------------------------------------------


def _compare_e_step(case, out):
    X, phi, mu = case.args
    W = numeric(out, case, "the responsibilities W of shape (m, K)")
    a = _log_joint(X, phi, mu)
    ref = _posterior(a)
    m, k = ref.shape
    if W.shape != ref.shape:
        if W.shape == (k, m):
            raise Fail(f"W has shape {W.shape} on {case.label}: it is transposed. W must be (m, K) = ({m}, {k}).")
        if W.shape == (m, m):
            raise Fail(f"W has shape ({m}, {m}) on {case.label}, not (m, K) = ({m}, {k}). This is " + KEEPDIMS)
        raise Fail(f"W has shape {W.shape} on {case.label}, but it must be (m, K) = ({m}, {k}).", generic=True)
    impossible = ~np.isfinite(a)  # p(x, z = j) = 0 exactly: w must be 0 exactly
    underflow = np.flatnonzero(a.max(axis=1) < _LOG_TINY)
    if not np.all(np.isfinite(W)):
        i = int(np.flatnonzero(~np.all(np.isfinite(W), axis=1))[0])
        if i in underflow:
            raise Fail(
                f"underflow: on {case.label} every p(x^({i + 1}) | z = j) is below exp({a[i].max():.1f}), exactly 0 in "
                "floating point, so normalising in linear space gives 0/0 = NaN. Work in log space: "
                "a_ij = ln phi_j + sum_d [x ln mu + (1 - x) ln(1 - mu)], then subtract logsumexp(a, axis=1, "
                "keepdims=True) and exponentiate." + warn_note(case)
            )
        if "saturated" in case.tags or "zero_phi" in case.tags:
            raise Fail(
                f"W contains NaN on {case.label} (row {i + 1}): 0 * ln 0 = 0 * (-inf) is NaN in numpy. Where x_d = 0 "
                "and mu_jd = 0 the term x_d ln mu_jd must be 0: use scipy.special.xlogy(x, mu) and "
                "xlogy(1 - x, 1 - mu). The matrix form x . (ln mu_j - ln(1 - mu_j)) + sum_d ln(1 - mu_jd) needs mu in "
                "(0, 1) too: at mu_jd = 1 it is inf - inf = NaN; use the pixel sum with xlogy where mu is 0 or 1."
                + warn_note(case)
            )
        raise Fail(f"W contains NaN or inf on {case.label} (first in row {i + 1})." + warn_note(case), generic=True)
    if np.allclose(W, ref, rtol=1e-7, atol=1e-12) and np.all(W[impossible] == 0) and _tiny_ok(W, ref):
        return
    if underflow.size and np.all(np.isin(W[underflow], (0.0, 1.0))) and not np.all(np.isin(ref[underflow], (0, 1))):
        i = int(underflow[0])
        raise Fail(
            f"on {case.label} every p(x | z = j) underflows to 0 and you gave each such row to its most likely "
            f"component, but the posterior is mixed: at row {i + 1} it is {arr(ref[i], 3)}, and your row is "
            f"{arr(W[i], 3)}. The argmax patch is wrong whenever two components explain a point about equally; "
            "work in log space (logsumexp) instead." + warn_note(case)
        )
    if np.any(W[impossible] > 0) and np.allclose(W[~impossible], ref[~impossible], rtol=1e-3, atol=1e-6):
        i, j = (int(v[0]) for v in np.nonzero(impossible & (W > 0)))
        if phi[j] == 0:
            raise Fail(
                f"on {case.label} phi_{j + 1} = 0, so component {j + 1} gets w = 0 exactly, and you gave it "
                f"{W[i, j]:.3g}: " + _EPSILON_PHI
            )
        raise Fail(
            f"on {case.label} component {j + 1} cannot have produced row {i + 1} (some mu_jd is 0 where x_d = 1, or 1 "
            f"where x_d = 0, or phi_j = 0), so w = 0 exactly; you gave it {W[i, j]:.3g}. " + _EPSILON_MU
        )
    small = np.flatnonzero(np.asarray(phi) <= 1e-10)
    if small.size and np.any(W[:, small] > 2 * ref[:, small] + 1e-300):
        j = int(small[0])
        raise Fail(
            f"the component with phi_{j + 1} = {phi[j]:.3g} gets too much responsibility on {case.label}: "
            + _EPSILON_PHI
        )
    variants = [
        (np.exp(a), "the rows of W do not sum to 1: you returned the joint p(x, z = j) without normalising. Divide "
         "each row by its sum over the components (in log space: subtract logsumexp over axis=1)."),
        (_posterior(a, axis=0) if k > 1 else None, "the rows of W do not sum to 1: you normalised over the points "
         "(axis=0). Normalise each row, over the components j (axis=1)."),
        (a - logsumexp(a, axis=1, keepdims=True), "you returned ln w_j^(i), the log-responsibilities; exponentiate "
         "them (np.exp) so that each row sums to 1."),
        (_posterior(_log_joint(X, phi, mu, swap=True)), "x and 1 - x are swapped: a pixel that is on (x_d = 1) "
         "contributes ln mu_jd, one that is off contributes ln(1 - mu_jd)."),
        (_posterior(_log_joint(X, phi, mu, drop_off=True)), "the off pixels are missing: each pixel with x_d = 0 "
         "contributes ln(1 - mu_jd) too, p(x | z = j) = prod_d mu_jd^x_d (1 - mu_jd)^(1 - x_d)."),
        (_posterior(a - _log_phi(phi)) if k > 1 else None, "ln phi_j is missing: the prior weight of each component "
         "enters the E-step, a_ij = ln phi_j + ln p(x^(i) | z = j)."),
        (_posterior(a - _log_phi(phi) + np.asarray(phi, dtype=float)) if k > 1 else None, "you added phi_j itself; "
         "the E-step adds ln phi_j (the log of the weight)."),
        (_posterior(_log_joint(X, phi, mu, log=10.0) - _log_phi(phi) + _log_phi(phi) / np.log(10.0)),
         "you used log10; the course uses the natural log ln (np.log, xlogy)."),
    ]
    hint = match(W, variants)
    if hint:
        raise Fail(f"{hint} (Seen on {case.label}.)")
    if k > 1 and np.all(np.isin(W, (0.0, 1.0))):
        raise Fail(
            f"you returned hard 0/1 assignments on {case.label}; the E-step gives soft responsibilities "
            "w_j^(i) = p(z^(i) = j | x^(i)), between 0 and 1 (k-means' hard assignments are the sigma -> 0 limit "
            "of a Gaussian mixture, not this model)."
        )
    rows = W.sum(axis=1)
    if not np.allclose(rows, 1.0, rtol=0, atol=1e-6):
        i = int(np.argmax(np.abs(rows - 1.0)))
        raise Fail(f"the rows of W do not sum to 1 on {case.label}: row {i + 1} sums to {rows[i]:.6g}.")
    err = np.abs(W - ref)
    i, j = np.unravel_index(int(np.argmax(err)), err.shape)
    raise Fail(
        f"W differs from the posterior on {case.label}: the largest difference is at row {i + 1}, column {j + 1} "
        f"({versus_arrays(W[i, j], ref[i, j], 'the posterior is')})." + warn_note(case),
        generic=True,
    )


def _tiny_ok(W, ref) -> bool:
    """Responsibilities above 1e-250 right to 1e-6 relative (a 1e-12 weight made 100 times too large is wrong)."""
    big = ref > 1e-250
    return bool(np.allclose(W[big], ref[big], rtol=1e-6, atol=0) and np.all(np.abs(W[~big]) <= 1e-200))


@checker("Bernoulli E-step")
def check_bernoulli_e_step(fn) -> CheckResult:
    """Check ``fn(X, phi, mu) -> W`` of shape (m, K): the responsibilities of a mixture of Bernoullis.

    w_j^(i) = phi_j prod_d mu_jd^x_id (1 - mu_jd)^(1 - x_id) / sum_l (the same for l), computed in log space.

    Parameters
    ----------
    fn : callable
        The student's E-step; ``X`` is (m, n) of 0/1 (float or int), ``phi`` (K,), ``mu`` (K, n).

    Returns
    -------
    CheckResult
    """
    cases = _e_cases()
    run_cases(fn, cases, _compare_e_step)
    return (
        f"matches the posterior on {len(cases)} cases: n = 4 to 2000 pixels and K = 1, 2, 3 components, mu_jd of "
        "exactly 0 and 1, integer X, a weight phi_j = 0 and one of 1e-12, and images whose p(x | z) underflows in "
        "linear space; every row sums to 1 and impossible components get exactly 0."
    )


# --------------------------------------------------------------------------------------------------
# The smoothed M-step
# --------------------------------------------------------------------------------------------------


@functools.cache
def _m_problems():
    """(label, X, W, alpha, tags)."""
    rng = np.random.default_rng(2026_12_09)
    out = []

    def add(label, X, W, alpha, *tags):
        X, W = np.asarray(X), np.asarray(W, dtype=float)
        _read_only(X, W)
        out.append((label, X, W, alpha, frozenset(tags)))

    for n, k, alpha in ((4, 2, 0.0), (4, 3, 1.0), (9, 2, 0.5), (9, 3, 2.0)):
        mu = rng.uniform(0.1, 0.9, size=(k, n))
        W = rng.dirichlet(np.full(k, 0.7), size=15)
        add(f"{n} pixels, K = {k}, alpha = {alpha:g} (m = 15)", _bernoulli(rng, mu, 15), W, alpha, "grid")
    X = _bernoulli(rng, rng.uniform(0.1, 0.9, size=(1, 6)), 8).astype(np.int64)
    W = np.zeros((8, 3))
    W[:5, 0], W[5:, 1] = 1.0, 1.0  # component 3 has no responsibility: N_3 = 0
    add("6 pixels, K = 3, integer X, N_3 = 0, alpha = 0 (m = 8)", X, W, 0.0, "empty", "int")
    add("6 pixels, K = 3, N_3 = 0, alpha = 0.5 (m = 8)", X.astype(float), W, 0.5, "empty")
    W = rng.dirichlet(np.full(2, 1.0), size=10)
    W = np.column_stack([W[:, 0], W[:, 1] - 1e-12, np.full(10, 1e-12)])
    X = _bernoulli(rng, rng.uniform(0.2, 0.8, (1, 5)), 10)
    add("5 pixels, K = 3, a component with N_3 = 1e-11, alpha = 0 (m = 10)", X, W, 0.0, "tiny")
    return tuple(out)


def _m_cases():
    return [
        Case(label, (X, W, alpha), names=("X", "W", "alpha"), n=X.shape[1], k=W.shape[1], shape_hint=SHAPES, tags=tags)
        for label, X, W, alpha, tags in _m_problems()
    ]


def _m_ref(X, W, alpha):
    X = np.asarray(X, dtype=float)
    N = W.sum(axis=0)
    S = W.T @ X
    denom = N + 2 * alpha
    with np.errstate(invalid="ignore", divide="ignore"):
        mu = (S + alpha) / denom[:, None]
    return N / X.shape[0], mu, N, S


def _split(out, case, k, n):
    if isinstance(out, (tuple, list)) and len(out) == 2:
        phi, mu = (numeric(o, case, "phi and mu") for o in out)
    elif hasattr(out, "phi") and hasattr(out, "mu"):
        phi, mu = numeric(out.phi, case, "phi"), numeric(out.mu, case, "mu")
    else:
        raise Fail(
            f"your function returned {type(out).__name__} on {case.label}; it should return the pair (phi, mu): "
            f"phi of shape ({k},) and mu of shape ({k}, {n})."
        )
    if phi.shape == (k, n) and mu.shape == (k,):
        raise Fail(f"phi and mu are swapped on {case.label}: return (phi, mu), phi of shape ({k},) first.")
    if mu.shape == (n, k) and n != k:
        raise Fail(f"mu has shape {mu.shape} on {case.label}: it is transposed. mu must be (K, n) = ({k}, {n}): "
                   "S = W.T @ X has one row per component.")
    if phi.shape != (k,) or mu.shape != (k, n):
        raise Fail(
            f"on {case.label} phi has shape {phi.shape} and mu {mu.shape}; they must be ({k},) and ({k}, {n}).",
            generic=True,
        )
    return phi, mu


def _compare_m_step(case, out):
    X, W, alpha = case.args
    m, n = X.shape
    k = W.shape[1]
    phi, mu = _split(out, case, k, n)
    phi_ref, mu_ref, N, S = _m_ref(X, W, alpha)
    empty = N == 0
    if not np.all(np.isfinite(mu[~empty])) or not np.all(np.isfinite(phi)):
        raise Fail(f"phi or mu contains NaN or inf on {case.label}." + warn_note(case), generic=True)
    if empty.any() and not np.all(np.isfinite(mu[empty])):
        j = int(np.flatnonzero(empty)[0])
        raise Fail(
            f"on {case.label} component {j + 1} has no responsibility at all (N_{j + 1} = 0) and alpha = {alpha:g}, so "
            f"(S + alpha) / (N + 2 alpha) is 0/0 and you returned NaN. Any mu_j in [0, 1] leaves the likelihood "
            "unchanged there: return 1/2 for it (np.divide(..., where=denominator > 0, out=np.full(..., 0.5)))."
            + warn_note(case)
        )
    free = empty & (alpha == 0)  # any mu_j in [0, 1] is a maximiser
    mu_cmp = np.where(free[:, None], mu_ref if not free.any() else np.clip(mu, 0, 1), mu_ref)
    mu_ok = np.allclose(mu, np.where(np.isfinite(mu_cmp), mu_cmp, mu), rtol=1e-7, atol=1e-10)
    phi_ok = np.allclose(phi, phi_ref, rtol=1e-7, atol=1e-12)
    if mu_ok and phi_ok and np.all((mu >= 0) & (mu <= 1)):
        return
    if not phi_ok:
        phi_variants = [
            (N, f"phi_j = N_j / m: you returned N_j without dividing by the number of points m = {m}."),
            (N / k, f"phi_j = N_j / m, with m = {m} the number of points, not k = {k} the number of components."),
            ((N + alpha) / (m + k * alpha) if alpha else None, "alpha smooths mu only: the weights keep "
             "phi_j = N_j / m (the notebook's model has a flat prior on phi)."),
            (W.mean(axis=1) if W.shape[0] == k else None, "summed over the wrong axis: N_j = sum_i w_ij, over the "
             "points (axis=0)."),
        ]
        hint = match(phi, phi_variants)
        if hint:
            raise Fail(f"{hint} (On {case.label}: {versus_arrays(phi, phi_ref, 'phi_j = N_j / m is')}.)")
        raise Fail(f"phi is wrong on {case.label}: {versus_arrays(phi, phi_ref, 'phi_j = N_j / m is')}.", generic=True)
    keep = ~free
    hard = np.eye(k)[W.argmax(axis=1)]
    with np.errstate(all="ignore"):
        mu_variants = [
            (S / N[:, None], f"alpha is missing: with alpha = {alpha:g} the smoothed update is mu_jd = (S_jd + alpha) "
             "/ (N_j + 2 alpha); S / N is the maximum-likelihood update."),
            ((S + alpha) / (N + alpha)[:, None], "the denominator needs 2 alpha: alpha imaginary images with the "
             "pixel on and alpha with it off, mu_jd = (S_jd + alpha) / (N_j + 2 alpha)."),
            ((S + alpha) / (N + 2)[:, None], "the denominator is N_j + 2 alpha, not N_j + 2 (that is alpha = 1 only)."),
            ((S + 1) / (N + 2)[:, None], f"you used Laplace's alpha = 1; this case has alpha = {alpha:g}: "
             "mu_jd = (S_jd + alpha) / (N_j + 2 alpha)."),
            ((S + 2 * alpha) / (N + 2 * alpha)[:, None], "the numerator adds alpha once (the images with the pixel "
             "on), the denominator 2 alpha: mu_jd = (S_jd + alpha) / (N_j + 2 alpha)."),
            ((S + alpha) / m, f"you divided by the number of points m = {m} (the total responsibility sum_j N_j); "
             "each component divides by its own N_j + 2 alpha, with N_j = sum_i w_ij."),
            (S / m, f"you divided by the number of points m = {m} (the total responsibility sum_j N_j); each "
             "component divides by its own N_j (+ 2 alpha), with N_j = sum_i w_ij."),
            ((S + alpha) / (N.sum() + 2 * alpha), "you divided by the total responsibility sum_j N_j = m; each "
             "component divides by its own N_j + 2 alpha."),
            ((hard.T @ X + alpha) / (hard.sum(axis=0) + 2 * alpha)[:, None],
             "you used hard assignments (each image to its most likely component); the M-step weights every image "
             "by its responsibility w_ij: S_jd = sum_i w_ij x_id, N_j = sum_i w_ij."),
            ((W.T @ (1 - X) + alpha) / (N + 2 * alpha)[:, None], "you counted the off pixels: S_jd = sum_i w_ij x_id "
             "counts the images with pixel d on, so mu_jd is the probability that the pixel is on."),
        ]
    mv = [(np.where(keep[:, None], v, mu), msg) for v, msg in mu_variants]
    hint = match(mu, mv)
    if hint:
        raise Fail(f"{hint} (On {case.label}.)")
    if "tiny" in case.tags:
        j = int(np.argmin(N))
        raise Fail(
            f"mu_{j + 1} is wrong on {case.label}, where N_{j + 1} = {N[j]:.3g}: an epsilon added to N_j (N + 1e-10) "
            "is not small next to such a component. Divide by N_j + 2 alpha exactly; only N_j = 0 needs care."
        )
    err = np.abs(np.where(keep[:, None], mu - mu_ref, 0))
    j, d = np.unravel_index(int(np.argmax(err)), err.shape)
    raise Fail(
        f"mu is wrong on {case.label}: at component {j + 1}, pixel {d + 1} "
        f"({versus_arrays(mu[j, d], mu_ref[j, d], '(S + alpha) / (N + 2 alpha) is')})." + warn_note(case),
        generic=True,
    )


@checker("smoothed M-step")
def check_bernoulli_m_step(fn) -> CheckResult:
    """Check ``fn(X, W, alpha) -> (phi, mu)``: phi_j = N_j / m, mu_jd = (S_jd + alpha) / (N_j + 2 alpha).

    N_j = sum_i w_ij and S_jd = sum_i w_ij x_id. A component with N_j = 0 and alpha = 0 may have any mu_j in
    [0, 1] but not NaN.

    Parameters
    ----------
    fn : callable
        The student's M-step; ``X`` is (m, n) of 0/1 (float or int), ``W`` (m, K), ``alpha`` >= 0.

    Returns
    -------
    CheckResult
    """
    cases = _m_cases()
    run_cases(fn, cases, _compare_m_step)
    return (
        f"matches the smoothed M-step on {len(cases)} cases: n = 4 to 9 pixels, K = 2 and 3, alpha = 0, 0.5, 1 "
        "and 2, integer X, a component with N_j = 0 and one with N_j = 1e-11."
    )
