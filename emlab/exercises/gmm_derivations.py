"""Checkers for notebook 05 (the GMM derivations): the M-step and the phi update from the Lagrangian.

:func:`compare_m_step` also serves notebook 06's loop M-step, which additionally sees the old parameters.
"""

from __future__ import annotations

import numpy as np

from ..core import e_step as _ref_e_step
from ..core import log_joint
from ..core import m_step as _ref_m_step
from ..params import GMMParams
from ._cases import mixture_case, problems
from ._harness import (
    Case,
    CheckResult,
    Fail,
    a_type,
    arr,
    checker,
    close,
    labels,
    match,
    numeric,
    pair,
    run_cases,
    versus_arrays,
    warn_note,
)

__all__ = ["check_m_step", "check_phi_update", "compare_m_step"]

NO_EPSILON = (
    "The exercise asks for the exact M-step: no epsilon on N_j. A guard such as scikit-learn's N_j + 10 * eps "
    "is harmless when N_j is large, but a component with a tiny weight (phi_j = 1e-12) has a tiny N_j, and there "
    "the guard moves mu_j."
)


def unpack_params(out, case: Case, k: int, n: int, m: int):
    """The student's (phi, mu, Sigma) as arrays of shape (k,), (k, n), (k, n, n), or fail in words."""
    if out is None:
        raise Fail(
            f"your function returned None on {case.label}. Did you forget the `return` statement? "
            "Return GMMParams(phi=..., mu=..., Sigma=...) or a tuple (phi, mu, Sigma)."
        )
    if all(hasattr(out, a) for a in ("phi", "mu", "Sigma")):
        parts = (out.phi, out.mu, out.Sigma)
    elif isinstance(out, dict) and {"phi", "mu", "Sigma"} <= set(out):
        parts = (out["phi"], out["mu"], out["Sigma"])
    elif isinstance(out, (tuple, list)) and len(out) == 3:
        parts = tuple(out)
        if np.ndim(parts[1]) == 3 or np.ndim(parts[0]) >= 2:
            raise Fail(
                f"your function returned the three arrays in another order on {case.label} (shapes "
                f"{', '.join(str(np.shape(a)) for a in parts)}): return them as (phi, mu, Sigma), or as "
                "GMMParams(phi=..., mu=..., Sigma=...), which names them."
            )
    else:
        raise Fail(
            f"your function returned {a_type(out)}; return GMMParams(phi=..., mu=..., Sigma=...) or a tuple "
            "(phi, mu, Sigma)."
        )
    try:
        arrays = [np.asarray(a) for a in parts]
        if any(np.iscomplexobj(a) for a in arrays):
            raise Fail(f"your function returned complex numbers on {case.label}; phi, mu and Sigma must be real.")
        phi, mu, Sigma = (a.astype(float) for a in arrays)
    except (TypeError, ValueError):
        raise Fail("phi, mu and Sigma must be numeric arrays; one of them could not be read as numbers.") from None
    if phi.shape == (m,) and m != k:
        raise Fail(
            f"phi has shape ({m},), one entry per point, on {case.label}: you summed the responsibilities over the "
            "wrong axis. N_j = sum_i w_j^(i) adds up the points, down each column of W (axis=0)."
        )
    if phi.size != k:
        raise Fail(
            f"phi has shape {phi.shape} on {case.label}; it must have one weight per component, shape ({k},).",
            generic=True,
        )
    phi = phi.reshape(k)
    if n == 1 and mu.size == k:
        mu = mu.reshape(k, 1)
    if mu.shape == (n, k) and n != k:
        raise Fail(
            f"mu has shape {mu.shape} on {case.label}: it is transposed; it must be (k, n) = ({k}, {n}), one row per "
            "component."
        )
    if mu.shape == (m, n) or mu.shape == (m,):
        raise Fail(
            f"mu has shape {mu.shape}, one row per point, on {case.label}: you summed over the wrong axis. "
            f"mu_j = sum_i w_j^(i) x^(i) / N_j sums over the points i; mu must be (k, n) = ({k}, {n})."
        )
    if mu.shape != (k, n):
        raise Fail(f"mu has shape {mu.shape} on {case.label}; it must be (k, n) = ({k}, {n}).", generic=True)
    if n == 1 and Sigma.size == k:
        Sigma = Sigma.reshape(k, 1, 1)
    if Sigma.shape == (n, n, k) and k != n:
        raise Fail(
            f"Sigma has shape {Sigma.shape} on {case.label}: the components must be along the first axis, "
            f"(k, n, n) = ({k}, {n}, {n})."
        )
    if Sigma.shape == (n, n) and k > 1:
        raise Fail(
            f"Sigma has shape {Sigma.shape} on {case.label}: one covariance for all components. Each component has "
            f"its own Sigma_j: shape (k, n, n) = ({k}, {n}, {n})."
        )
    if Sigma.shape in {(k, m, m), (m, m)}:
        raise Fail(
            f"Sigma has shape {Sigma.shape} on {case.label}: an (m, m) matrix per component comes from D @ D.T. "
            "With D = X - mu_j of shape (m, n), the covariance is the (n, n) matrix (w_j[:, None] * D).T @ D / N_j."
        )
    if Sigma.shape != (k, n, n):
        raise Fail(
            f"Sigma has shape {Sigma.shape} on {case.label}; it must be (k, n, n) = ({k}, {n}, {n}) (or (k,) "
            "variances for 1-D data).",
            generic=True,
        )
    for name, a in (("phi", phi), ("mu", mu), ("Sigma", Sigma)):
        if not np.all(np.isfinite(a)):
            raise Fail(f"{name} contains NaN or inf on {case.label}." + warn_note(case), generic=True)
    return phi, mu, Sigma


def _sigma_about(X, W, centres, weights=None):
    """sum_i w_j^(i) (x^(i) - c_j)(x^(i) - c_j)^T / N_j for given centres c_j (weights w^p with p = weights)."""
    Nk = W.sum(axis=0)
    Wp = W if weights is None else W**weights
    return np.stack([((Wp[:, j, None] * (X - c)).T @ (X - c)) / Nk[j] for j, c in enumerate(centres)])


def _other_centre(S, ref, mu_new):
    """If S - ref = d d^T (rank one, PSD) for one component, the other centre mu_new - d; else None."""
    for j in range(ref.shape[0]):
        D = S[j] - ref[j]
        D = 0.5 * (D + D.T)
        vals, vecs = np.linalg.eigh(D)
        scale = max(1.0, float(np.abs(ref[j]).max()))
        if vals[-1] <= 1e-6 * scale:
            continue
        if np.all(np.abs(vals[:-1]) <= 1e-6 * max(scale, vals[-1])):
            return j, mu_new[j] - np.sqrt(vals[-1]) * vecs[:, -1], mu_new[j] + np.sqrt(vals[-1]) * vecs[:, -1]
        return None
    return None


def _ridge(S, ref):
    """The c > 0 with S = ref + c I for every component, or None."""
    n = ref.shape[1]
    D = S - ref
    c = float(np.mean(np.trace(D, axis1=1, axis2=2)) / n)
    if c > 1e-12 and np.allclose(D, c * np.eye(n), rtol=1e-6, atol=1e-9 * max(1.0, c)):
        return c
    return None


def _guard(mu, S1, Nk):
    """The g with mu_j = S1_j / (N_j + g) for every component, if it is a small positive guard; else None.

    g is read off the component with the smallest N_j, where a guard shows most."""
    j = int(np.argmin(Nk))
    with np.errstate(all="ignore"):
        g = float(S1[j] @ mu[j] / (mu[j] @ mu[j]) - Nk[j])
    if np.isfinite(g) and 0 < g <= 1e-4 and close(mu, S1 / (Nk + g)[:, None]):
        return g
    return None


def compare_m_step(case: Case, out, old_params: GMMParams | None = None):
    """Compare the student's M-step output with the reference; raise Fail with a diagnosis."""
    X, W = case.args[:2]
    X2 = X[:, None] if X.ndim == 1 else X
    m, n = X2.shape
    k = W.shape[1]
    ref = _ref_m_step(X, W)
    phi, mu, Sigma = unpack_params(out, case, k, n, m)
    Nk = W.sum(axis=0)
    seen = f" (Seen on {case.label}.)"
    if not close(phi, ref.phi):
        variants = [
            (
                Nk,
                "phi_j must be N_j / m: you returned N_j = sum_i w_j^(i) without dividing by m. The Lagrange "
                "multiplier of the constraint sum_j phi_j = 1 is lambda = -m.",
            ),
            (Nk / k, "phi_j = N_j / m, the number of points m, not the number of components k."),
            (
                old_params.phi if old_params is not None else None,
                "phi is still old_params.phi: compute the new phi_j = N_j / m from W.",
            ),
            (np.full(k, 1 / k) if k > 1 else None, "you returned equal weights 1/k: phi_j = N_j / m comes from W."),
        ]
        hint = match(phi, variants)
        if hint:
            raise Fail(hint + seen)
        raise Fail(f"phi is wrong on {case.label}: {versus_arrays(phi, ref.phi, 'expected N_j / m =')}.", generic=True)
    S1 = W.T @ X2
    if not close(mu, ref.mu):
        variants = [
            (ref.mu.T if k == n else None, "mu is transposed: it must be (k, n), one row per component."),
            (S1, "mu_j is missing the division by N_j: mu_j = sum_i w_j^(i) x^(i) / N_j, with N_j = sum_i w_j^(i)."),
            (S1 / m, "mu_j is divided by m instead of N_j: mu_j = sum_i w_j^(i) x^(i) / N_j."),
            (S1 / phi[:, None] if np.all(phi > 0) else None, "mu_j is divided by phi_j instead of N_j = m phi_j."),
            (
                np.tile(X2.mean(axis=0), (k, 1)) if k > 1 else None,
                "mu_j is the plain mean of all points: weight each point by w_j^(i).",
            ),
            (
                old_params.mu if old_params is not None else None,
                "mu_j is still the old mean: compute the new mu_j = sum_i w_j^(i) x^(i) / N_j from W.",
            ),
        ]
        hint = match(mu, variants)
        if hint:
            raise Fail(hint + seen)
        g = _guard(mu, S1, Nk)
        if g is not None:
            j = int(np.argmin(Nk))
            mine, right = pair(mu[j], ref.mu[j])
            raise Fail(
                f"you added a small guard to N_j (N_j + {g:.2g}) on {case.label}: there N_{j + 1} = {Nk[j]:.3g}, and "
                f"the guard moves mu_{j + 1} from {right} to {mine}. " + NO_EPSILON
            )
        raise Fail(f"mu is wrong on {case.label}: {versus_arrays(mu, ref.mu)}.", generic=True)
    if close(Sigma, ref.Sigma):
        return
    centred_unweighted = np.stack([(X2 - c).T @ (X2 - c) for c in ref.mu])
    variants = []
    if old_params is not None:
        variants += [
            (
                _sigma_about(X2, W, old_params.mu),
                (
                    "Sigma_j is centred on the old mean: you used the mu_j from the previous parameters (old_params) "
                    "instead of the new mu_j computed from this W. Update mu_j first and use the NEW mean in "
                    "Sigma_j = sum_i w_j^(i) (x^(i) - mu_j)(x^(i) - mu_j)^T / N_j; with the old mean the step no "
                    "longer "
                    "maximises the bound, so it is not exact EM."
                ),
            ),
            (
                old_params.Sigma,
                "Sigma_j is still old_params.Sigma: compute the new covariance from W and the new mean.",
            ),
        ]
    variants += [
        (
            ref.Sigma * Nk[:, None, None],
            "Sigma_j is missing the division by N_j: it is N_j times too big. "
            "Sigma_j = sum_i w_j^(i) (x^(i) - mu_j)(x^(i) - mu_j)^T / N_j.",
        ),
        (ref.Sigma * (Nk / m)[:, None, None], "Sigma_j is divided by m instead of N_j."),
        (
            np.tile(np.atleast_2d(np.cov(X2.T)), (k, 1, 1)),
            "the responsibilities are missing: np.cov(X.T) is the "
            "covariance of all the data, the same for every component. Weight each point by w_j^(i) "
            "(np.cov(X.T, aweights=W[:, j], bias=True)), or write the weighted sum out.",
        ),
        (
            np.tile(np.atleast_2d(np.cov(X2.T, bias=True)), (k, 1, 1)),
            "the responsibilities are missing: "
            "np.cov(X.T, bias=True) is the covariance of all the data, the same for every component. Pass "
            "aweights=W[:, j] as well.",
        ),
        (
            centred_unweighted / m,
            "the responsibilities are missing in Sigma_j: sum_i (x^(i) - mu_j)(x^(i) - mu_j)^T "
            "/ m weights every point equally. Sigma_j = sum_i w_j^(i) (x^(i) - mu_j)(x^(i) - mu_j)^T / N_j.",
        ),
        (
            centred_unweighted / Nk[:, None, None],
            "the responsibilities w_j^(i) are missing inside the sum of "
            "Sigma_j: Sigma_j = sum_i w_j^(i) (x^(i) - mu_j)(x^(i) - mu_j)^T / N_j.",
        ),
        (
            _sigma_about(X2, W, ref.mu, weights=2),
            "the responsibilities enter Sigma_j twice: (w * D).T @ (w * D) "
            "weights each point by w^2. Weight once: (w[:, None] * D).T @ D.",
        ),
        (
            ref.Sigma * (Nk / (Nk - 1))[:, None, None] if np.all(Nk > 1) else None,
            "Sigma_j is divided by N_j - 1 (the "
            "unbiased sample covariance); the maximiser of the bound divides by N_j.",
        ),
        (
            ref.Sigma * (Nk / (Nk - (W**2).sum(axis=0) / Nk))[:, None, None],
            "Sigma_j has np.cov's default "
            "normalisation, N_j - sum_i (w_j^(i))^2 / N_j (the 'unbiased' weighted covariance); pass bias=True so it "
            "divides by N_j, the maximiser of the bound.",
        ),
        (
            _sigma_about(X2, W, np.zeros((k, n))),
            "Sigma_j is not centred: you used x x^T; subtract the new mean, (x^(i) - mu_j)(x^(i) - mu_j)^T.",
        ),
        (
            _sigma_about(X2, W, np.tile(X2.mean(axis=0), (k, 1))) if k > 1 else None,
            "Sigma_j is centred on the mean of all the data; centre it on the new mu_j of its component.",
        ),
        (
            np.sqrt(ref.Sigma) if n == 1 else None,
            "for 1-D data Sigma_j is a variance; you returned the standard deviation.",
        ),
        (np.linalg.inv(ref.Sigma), "you returned the precision Sigma_j^{-1}, not the covariance Sigma_j."),
        (
            np.zeros_like(ref.Sigma),
            "Sigma_j is 0: you took the outer product of the summed deviations, "
            "(sum_i w d)(sum_i w d)^T, which is 0 at the new mean. Sum the outer products: "
            "sum_i w_j^(i) d_i d_i^T.",
        ),
        (
            ref.Sigma * np.eye(n) if n > 1 else None,
            "you kept only the diagonal of Sigma_j (per-feature variances): "
            "the full covariance has the off-diagonal terms sum_i w_j^(i) d_i d_i^T / N_j as well.",
        ),
    ]
    hint = match(Sigma, variants)
    if hint:
        raise Fail(hint + seen)
    c = _ridge(Sigma, ref.Sigma)
    if c is not None:
        # In 1-D a constant added to every variance could also be a centre shifted by sqrt(c): vague there.
        raise Fail(
            f"you added a ridge {c:.3g} I to every Sigma_j (like reg_covar): the exercise's M-step has no ridge "
            "(reg_covar = 0); it is the exact maximiser of the bound." + seen,
            vague=n == 1,
        )
    if n == 1:
        # In 1-D any Sigma_j that is too large is "centred somewhere else" (by (mu_j - c)^2): not a diagnosis.
        raise Fail(
            f"Sigma is wrong on {case.label}: {versus_arrays(Sigma.ravel(), ref.Sigma.ravel())}. Check the centre "
            "(the NEW mu_j) and the division by N_j.",
            vague=True,
        )
    other = _other_centre(Sigma, ref.Sigma, ref.mu)
    if other is not None:
        j, c1, c2 = other
        raise Fail(
            f"Sigma[{j}] is centred on some other point (about {arr(c1)} or {arr(c2)}) instead of the new mean "
            f"mu[{j}] = {arr(ref.mu[j])}: it exceeds the right Sigma[{j}] by (mu_j - c)(mu_j - c)^T. Centre Sigma_j "
            "on the new mu_j computed from this W." + seen
        )
    j = int(np.argmax(np.abs(Sigma - ref.Sigma).reshape(k, -1).max(axis=1)))
    raise Fail(
        f"Sigma[{j}] is wrong on {case.label}: {versus_arrays(Sigma[j], ref.Sigma[j])}.", vague=True, generic=True
    )


def _m_step_cases():
    cases = []
    start1 = GMMParams(phi=[0.5, 0.5], mu=[3.0, 6.0], Sigma=[4.0, 4.0])
    for p in problems(far=False):
        W = _ref_e_step(p.X, start1 if p.n == 1 and p.k == 2 and "tiny" not in p.tags else p.params)
        W.flags.writeable = False
        cases.append(mixture_case(f"W from an E-step, {p.label}", (p.X, W), ("X", "W"), p))
        if p.n == 2 and p.k == 3:
            hard = np.eye(3)[np.argmax(log_joint(p.X, p.params), axis=1)]
            hard.flags.writeable = False
            cases.append(
                mixture_case(f"hard 0/1 responsibilities (exact zeros), {p.label}", (p.X, hard), ("X", "W"), p)
            )
    return cases


@checker("M-step")
def check_m_step(fn) -> CheckResult:
    """Check ``fn(X, W) -> GMMParams`` (or a tuple ``(phi, mu, Sigma)``): the M-step, without reg_covar.

    phi_j = N_j / m, mu_j = sum_i w_j^(i) x^(i) / N_j, Sigma_j = sum_i w_j^(i) (x^(i) - mu_j)(x^(i) - mu_j)^T / N_j
    with the new mu_j, and no epsilon on N_j. For 1-D data ``mu`` may be (k,) and ``Sigma`` (k,) variances.

    Parameters
    ----------
    fn : callable
        The student's M-step.

    Returns
    -------
    CheckResult

    See Also
    --------
    check_loop_m_step : the same check for a function that also receives the old parameters, so a
        Sigma centred on the old mean can be recognised.
    """
    cases = _m_step_cases()
    run_cases(fn, cases, compare_m_step)
    return (
        f"matches the reference M-step (phi, mu, and Sigma around the new mean) on {len(cases)} cases: n = 1, 2 and "
        "3 features, k = 1, 2 and 3 components, hard 0/1 responsibilities and a mixing weight of 1e-12."
    )


def _phi_cases():
    rng = np.random.default_rng(7)
    Wz = rng.dirichlet(np.ones(3), 8)
    Wz[:, 2] = 0.0  # a component no point belongs to: phi_j = 0
    Wz /= Wz.sum(axis=1, keepdims=True)
    return [
        Case("m = 40 points, k = 2", (rng.dirichlet([1.0, 3.0], 40),), ("W",)),
        Case("m = 30 points, k = 3", (rng.dirichlet(np.ones(3), 30),), ("W",)),
        Case("k = 1 (W all ones)", (np.ones((10, 1)),), ("W",)),
        Case("a component with no responsibility (phi_j = 0), k = 3", (Wz,), ("W",)),
        Case("a square W (m = k = 3)", (rng.dirichlet(np.ones(3), 3),), ("W",)),
    ]


def _compare_phi(case, out):
    (W,) = case.args
    m, k = W.shape
    phi = numeric(out, case, "phi, an array of shape (k,)")
    ref = W.sum(axis=0) / m
    if phi.shape == (m,) and m != k:
        raise Fail(
            f"phi has shape ({m},), one value per point, on {case.label}: you summed over the wrong axis. "
            "phi_j = (1/m) sum_i w_j^(i) adds up each column of W (axis=0)."
        )
    if phi.size == 1 and k > 1:
        raise Fail(
            f"you returned a single number on {case.label}: phi has one weight per component, shape ({k},). Sum "
            "each column of W (axis=0), not the whole array."
        )
    if phi.size != k:
        raise Fail(f"phi has shape {phi.shape} on {case.label}; it must be ({k},), one weight per component.")
    phi = phi.reshape(k)
    if close(phi, ref):
        return
    counts = np.bincount(np.argmax(W, axis=1), minlength=k) / m
    variants = [
        (
            W.sum(axis=0),
            "you returned N_j = sum_i w_j^(i): divide by m. The Lagrange multiplier of sum_j phi_j = 1 "
            "is lambda = -m, so phi_j = N_j / m and the weights sum to 1.",
        ),
        (
            W.sum(axis=1) / m if m == k else None,
            "you summed over the wrong axis (over the components j for each "
            "point): phi_j = (1/m) sum_i w_j^(i) adds up the column j of W (axis=0).",
        ),
        (
            W.mean(axis=1) if m == k else None,
            "you averaged over the wrong axis (over the components j for each "
            "point): phi_j = (1/m) sum_i w_j^(i) averages the column j of W (axis=0).",
        ),
        (W.sum(axis=0) / k, "you divided by k; divide N_j by the number of points m."),
        (W.sum(axis=0) / (m - 1) if m > 1 else None, "you divided by m - 1; phi_j = N_j / m, so the weights sum to 1."),
        (
            (W.sum(axis=0) + 1) / (m + k),
            "you added pseudo-counts, (N_j + 1) / (m + k): the maximiser of the bound is N_j / m, with no smoothing.",
        ),
        (
            counts if not np.allclose(counts, ref) else None,
            "you counted hard assignments (the points whose largest "
            "responsibility is j): phi_j = N_j / m uses the soft responsibilities, N_j = sum_i w_j^(i).",
        ),
        (np.full(k, 1 / k) if k > 1 else None, "you returned equal weights 1/k: phi_j = N_j / m depends on W."),
        (W[0], "you returned the first row of W: phi_j averages column j over every point."),
        (
            W.sum(axis=0) / W.size,
            "you divided by W.size = m k, the number of entries of W: divide N_j by the number of points "
            "m = W.shape[0].",
        ),
        (
            W.max(axis=0),
            "you took the largest responsibility in each column: phi_j = (1/m) sum_i w_j^(i), the mean of the column.",
        ),
    ]
    hint = match(phi, variants)
    if hint:
        raise Fail(f"{hint} (Seen on {case.label}.)")
    raise Fail(f"on {case.label} {versus_arrays(phi, ref, 'expected N_j / m =')}.")


@checker("phi update")
def check_phi_update(fn) -> CheckResult:
    """Check ``fn(W) -> phi`` of shape (k,): phi_j = N_j / m, the maximiser from the Lagrangian.

    Parameters
    ----------
    fn : callable
        The student's function; ``W`` is (m, k) with rows summing to 1.

    Returns
    -------
    CheckResult
    """
    cases = _phi_cases()
    run_cases(fn, cases, _compare_phi)
    return f"phi_j = N_j / m on {len(cases)} cases ({labels(cases)})."
