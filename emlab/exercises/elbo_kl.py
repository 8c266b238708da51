"""Checkers for notebook 04 (ELBO and KL): the evidence lower bound and the KL divergence."""

from __future__ import annotations

import numpy as np
from scipy.special import rel_entr

from ..core import e_step as _ref_e_step
from ..core import elbo as _ref_elbo
from ..core import kl_divergence as _ref_kl
from ..core import log_joint
from ..core import log_likelihood as _ref_log_likelihood
from ._cases import far_rows, log_joint_variants, mixture_case, problems, underflow_message
from ._harness import (
    Case,
    CheckResult,
    Fail,
    checker,
    close,
    diagnose_scalar,
    labels,
    numeric,
    run_cases,
    scalar,
    versus,
    warn_note,
)

__all__ = ["check_elbo", "check_kl_divergence"]


def _elbo_cases():
    by_label = {(p.n, p.k, tuple(sorted(p.tags))): p for p in problems(zero_phi=True)}
    rng = np.random.default_rng(4)
    names = ("X", "W", "params")
    cases = []

    def add(what, p, W):
        W = np.asarray(W, dtype=float)
        W.flags.writeable = False
        cases.append(mixture_case(f"{what}, {p.label}", (p.X, W, p.params), names, p))

    def random_W(p, zeros_in=None):
        W = rng.dirichlet(np.ones(p.k), p.X.shape[0])
        if zeros_in is not None:  # exact zeros in one column: 0 ln 0 = 0
            W[:5, zeros_in] = 0.0
            W[:5] /= W[:5].sum(axis=1, keepdims=True)
        return W

    p12, p13 = by_label[(1, 2, ("grid",))], by_label[(1, 3, ("grid",))]
    p23, p32 = by_label[(2, 3, ("grid",))], by_label[(3, 2, ("grid",))]
    add("W = the posterior (where L = l)", p12, _ref_e_step(p12.X, p12.params))
    add("W not the posterior (random)", p13, random_W(p13))
    add("W not the posterior (random, some exact zeros)", p23, random_W(p23, zeros_in=0))
    add("hard 0/1 responsibilities (exact zeros)", p23, np.eye(3)[np.argmax(log_joint(p23.X, p23.params), axis=1)])
    add("W not the posterior (random)", p32, random_W(p32))
    pk1 = next(p for p in by_label.values() if p.k == 1)
    add("k = 1 (W all ones)", pk1, np.ones((pk1.X.shape[0], 1)))
    pz = next(p for p in by_label.values() if "zero_phi" in p.tags)
    add("W = the posterior (0 in the phi_j = 0 column)", pz, _ref_e_step(pz.X, pz.params))
    for p in problems():
        if "far" in p.tags:
            add("W = the posterior", p, _ref_e_step(p.X, p.params))
    return cases


def _compare_elbo(case, out):
    X, W, params = case.args
    out = scalar(out, case, "the ELBO L(q, Theta)")
    ref = _ref_elbo(X, W, params)
    if close(out, ref):
        return
    lj = log_joint(X, params)
    post = _ref_e_step(X, params)
    l_value = _ref_log_likelihood(X, params)
    swapped = l_value - float(rel_entr(post, W).sum())
    if close(out, swapped):
        raise Fail(
            f"you computed l(Theta) - KL(posterior || q): the arguments of KL are swapped. The identity is "
            f"L(q, Theta) = l(Theta) - KL(q || p(z | x)), with q = W first; KL(posterior || W) is +inf where "
            f"W = 0 < posterior. (On {case.label}: {versus(out, ref, 'L')}.)"
        )
    rows = far_rows(X, params)
    if rows.size:
        raise Fail(underflow_message(case, X, params, rows, f"ln(phi_j N) is lost ({versus(out, ref, 'L')})."))
    if not np.isfinite(out):
        zero = params.phi == 0
        if zero.any() and np.all(W[:, zero] == 0) and np.all(W[:, ~zero] > 0):
            raise Fail(
                f"your function returned {out} on {case.label}. A component with phi_j = 0 has ln phi_j = -inf, "
                "and where its w_j^(i) = 0 the term must be 0, but numpy computes 0 * (-inf) = NaN. Take the "
                "expected term only where W > 0 (np.sum(W[W > 0] * a[W > 0]))." + warn_note(case)
            )
        if np.any(W == 0):
            raise Fail(
                f"your function returned {out} on {case.label}, where some w_j^(i) = 0. The term w ln w must be 0 "
                "when w = 0 (0 ln 0 = 0 by continuity), and w ln(phi_j N) too, but 0 * ln 0 = 0 * (-inf) = NaN in "
                "numpy. Use scipy.special.xlogy(W, W) or mask the entries with W > 0." + warn_note(case)
            )
        raise Fail(f"on {case.label} {versus(out, ref, 'L')}." + warn_note(case), generic=True)
    m = W.shape[0]
    expected = float(np.sum(np.where(W > 0, W * lj, 0.0)))
    neg_entropy = float(rel_entr(W, 1.0).sum())  # sum w ln w <= 0
    variants = [
        (
            ref / m,
            f"a mean instead of a total: you returned L / m (m = {m}). The ELBO is the total over the points, "
            "like l(Theta).",
        ),
        (-ref, "the sign is flipped."),
        (
            expected if neg_entropy != 0 else None,
            "the entropy term is missing: L = sum_i sum_j w_j^(i) [ln(phi_j N(x^(i); mu_j, Sigma_j)) - ln w_j^(i)]; "
            "you left out the - w ln w part.",
        ),
        (
            expected + neg_entropy if neg_entropy != 0 else None,
            "the entropy term has the wrong sign: subtract sum w ln w (it is <= 0, so the entropy -sum w ln w "
            "adds to L).",
        ),
        (
            l_value,
            "you returned l(Theta), which does not depend on W. The ELBO equals l(Theta) only when W is the "
            "posterior; here it is not, and L < l.",
        ),
        (
            float(np.sum(np.where(post > 0, post * lj, 0.0)) - neg_entropy),
            "the expected term uses the posterior, not W: L(q, Theta) = sum_ij w_j^(i) ln(phi_j N) "
            "- sum_ij w_j^(i) ln w_j^(i), "
            "with the W you were given in both terms.",
        ),
    ]
    for v, msg in log_joint_variants(X, params):
        variants.append((float(np.sum(np.where(W > 0, W * v, 0.0))) - neg_entropy, msg))
    diagnose_scalar(case, out, ref, "L(q, Theta)", variants)


@checker("ELBO")
def check_elbo(fn) -> CheckResult:
    """Check ``fn(X, W, params) -> L(q, Theta)``, the evidence lower bound for q_i(z = j) = W[i, j].

    L = sum_i sum_j w_j^(i) [ln(phi_j N(x^(i); mu_j, Sigma_j)) - ln w_j^(i)], with 0 ln 0 = 0 (a total).

    Parameters
    ----------
    fn : callable
        The student's function.

    Returns
    -------
    CheckResult
    """
    cases = _elbo_cases()
    run_cases(fn, cases, _compare_elbo)
    return (
        f"matches the reference ELBO, a total over the points, on {len(cases)} cases: W equal to the posterior "
        "(where L = l) and not, responsibilities with exact zeros (0 ln 0 = 0), n = 1, 2 and 3 features, k = 1, 2 "
        "and 3, a component with phi_j = 0, and far points from every component."
    )


def _kl_cases():
    rng = np.random.default_rng(5)
    Q = rng.dirichlet(np.ones(3), 6)
    P = rng.dirichlet(np.ones(3), 6)
    Qz = Q.copy()
    Qz[:3] = [[0.0, 0.4, 0.6], [1.0, 0.0, 0.0], [0.0, 0.0, 1.0]]
    Pz = P.copy()
    Pz[0] = [0.0, 0.5, 0.5]
    Qzz = Qz.copy()
    Qzz[0] = [0.0, 0.25, 0.75]
    names = ("q", "p")
    return [
        Case(
            "q = (0.1, 0.2, 0.3, 0.4) and p = (0.25, 0.15, 0.35, 0.25) (1-D q and p)",
            (np.array([0.1, 0.2, 0.3, 0.4]), np.array([0.25, 0.15, 0.35, 0.25])),
            names,
        ),
        Case("6 rows of 3 components (q and p of shape (6, 3))", (Q, P), names),
        Case(
            "q against a uniform p = (1/4, 1/4, 1/4, 1/4)",
            (np.array([0.1, 0.2, 0.3, 0.4]), np.full(4, 0.25)),
            names,
        ),
        Case("q = p, where KL = 0", (Q, Q.copy()), names),
        Case("q with exact zeros (0 ln(0 / p) = 0)", (Qz, P), names),
        Case("q and p both 0 in the same entries", (Qzz, Pz), names),
        Case(
            "q = (0.2, 0.3, 0.5) and p = (0, 0.5, 0.5) (p = 0 < q, so KL = +inf)",
            (np.array([0.2, 0.3, 0.5]), np.array([0.0, 0.5, 0.5])),
            names,
            allowed_warnings=("divide by zero",),  # q / 0 = inf is the right answer here
        ),
    ]


def _compare_kl(case, a):
    q, p = case.args
    a = numeric(a, case, "the number KL(q || p)")
    if q.ndim == 2:
        if a.shape == (q.shape[0],):
            raise Fail(
                f"you returned one value per row (shape {a.shape}) on {case.label}: KL between the "
                "responsibilities is the total over the points as well; add up the rows too."
            )
        if a.shape == (q.shape[1],):
            raise Fail(
                f"you summed over the wrong axis (one value per component, shape {a.shape}) on {case.label}; "
                "KL(q || p) is summed over the components and over the points (scipy.stats.entropy sums over "
                "axis=0 unless told axis=1)."
            )
    out = scalar(a, case, "the number KL(q || p)")
    ref = _ref_kl(q, p)
    if close(out, ref):
        return
    if np.isposinf(ref):
        raise Fail(
            f"your function returned {out:.6g} on {case.label}, but KL(q || p) = +inf: KL is +inf where p = 0 < q "
            "(q puts mass where p has none), because q ln(q / 0) = +inf. Return inf there: do not patch p with a "
            "small epsilon (that turns +inf into a large finite number), do not skip the entries with p = 0, and "
            "do not use np.nan_to_num. scipy.special.rel_entr(q, p) gets every case right." + warn_note(case)
        )
    if not np.isfinite(out) and np.isfinite(ref):
        raise Fail(
            f"your function returned {out} on {case.label}, where q has exact zeros. A term with q = 0 is 0 "
            "(0 ln 0 = 0), even when p = 0 there, but numpy computes 0 * ln 0 = NaN. Use "
            "scipy.special.rel_entr(q, p) or mask the entries with q > 0." + warn_note(case)
        )
    neg_h_q = float(rel_entr(q, 1.0).sum())
    neg_h_p = float(rel_entr(p, 1.0).sum())
    cross = float(-np.sum(np.where(q > 0, q * np.log(np.where(q > 0, p, 1.0)), 0.0)))
    rows = q.shape[0] if q.ndim == 2 else 1
    variants = [
        (
            float(rel_entr(p, q).sum()),
            "you computed KL(p || q): the arguments are swapped. KL is not symmetric; "
            "KL(q || p) = sum q ln(q / p) weights by q.",
        ),
        (-ref, "the sign is flipped: KL(q || p) = sum q ln(q / p) >= 0."),
        (
            neg_h_q - neg_h_p,
            "KL is not a difference of entropies: KL(q || p) = sum q ln q - sum q ln p, and the "
            "second term weights ln p by q, not by p.",
        ),
        (
            cross,
            "you returned the cross-entropy -sum q ln p alone: KL(q || p) = sum q ln q - sum q ln p, so add "
            "the sum q ln q term (the negative entropy of q).",
        ),
        (neg_h_q, "you returned sum q ln q alone (the negative entropy of q): subtract sum q ln p."),
        (
            ref / rows if rows > 1 else None,
            "a mean instead of a total: you divided by the number of rows; KL here is the total over all points.",
        ),
        (ref / q.size, "a mean over the entries: KL(q || p) is the sum of q ln(q / p) over every entry, not the mean."),
        (ref / np.log(10.0), "you used log10; the course uses the natural log ln (np.log)."),
        (ref / np.log(2.0), "you used log2 (KL in bits); the course uses the natural log ln (np.log)."),
        (
            float(np.sum(np.where(q > 0, np.log(np.where(q > 0, q / np.where(p > 0, p, 1.0), 1.0)), 0.0))),
            "the weights q are missing: KL(q || p) = sum q ln(q / p), each log-ratio weighted by q.",
        ),
        (
            float(-rel_entr(p, q).sum()),
            "you computed sum p ln(q / p) = -KL(p || q): KL(q || p) = sum q ln(q / p), weighted by q, with q on top.",
        ),
    ]
    diagnose_scalar(case, out, ref, "KL(q || p)", variants, generic=False)


@checker("KL divergence")
def check_kl_divergence(fn) -> CheckResult:
    """Check ``fn(q, p) -> KL(q || p) = sum q ln(q / p)``, summed over every entry (a total).

    ``q`` and ``p`` are 1-D distributions, or (m, k) arrays whose rows are distributions; entries
    with q = 0 contribute 0, and an entry with p = 0 < q makes KL = +inf.

    Parameters
    ----------
    fn : callable
        The student's function.

    Returns
    -------
    CheckResult
    """
    cases = _kl_cases()
    run_cases(fn, cases, _compare_kl)
    return f"matches the reference KL divergence on {len(cases)} cases ({labels(cases)})."
