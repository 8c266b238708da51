"""The cases the checkers run, and what can go wrong on them.

All seeded: the same cases and messages on every run. The mixture problems vary the number of
features n in {1, 2, 3} and of components k in {2, 3} independently (plus k = 1), and add the awkward
ones: a mixing weight of 1e-12, a weight phi_j = 0 exactly, far points with one-hot posteriors and a
far point whose posterior is mixed, and m = 2000 points. :func:`log_joint_variants` computes the
usual mistakes in ln phi_j + ln N(x; mu_j, Sigma_j); every checker of a mixture quantity derives its
own known-wrong answers from them.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

from ..core import log_joint
from ..params import GMMParams
from ._harness import MIXTURE_SHAPES, Case, arr, num, warn_note

# Below ln(tiny) ~ -708 a density is subnormal or exactly 0 in float64: linear space breaks there.
LOG_TINY = float(np.log(np.finfo(float).tiny))


@dataclass(frozen=True)
class Problem:
    """Data and parameters of a Gaussian mixture; ``tags`` name what is awkward about them."""

    label: str
    X: np.ndarray
    params: GMMParams
    tags: frozenset = frozenset()

    @property
    def n(self) -> int:
        return self.params.n

    @property
    def k(self) -> int:
        return self.params.k


def _spd(rng, n, scale=1.0):
    A = rng.normal(size=(n, n))
    return scale * (A @ A.T / n + 0.5 * np.eye(n))


def _read_only(*arrays):
    for a in arrays:
        a.flags.writeable = False


@functools.cache
def _all_problems() -> tuple[Problem, ...]:
    rng = np.random.default_rng(20261126)
    out = []

    def add(label, X, params, *tags):
        X = np.asarray(X, dtype=float)
        _read_only(X, params.phi, params.mu, params.Sigma, params.chol)
        out.append(Problem(label, X, params, frozenset(tags)))

    # The grid n in {1, 2, 3} x k in {2, 3}, in an order that lets a failure name the new dimension.
    x = np.concatenate([rng.normal(1.0, 1.0, 100), rng.normal(10.0, 1.0, 100)])
    add("1-D data, k = 2 (m = 200)", x, GMMParams(phi=[0.4, 0.6], mu=[2.0, 8.0], Sigma=[1.5, 2.5]), "grid")
    x3 = np.concatenate([rng.normal(c, 1.0, 20) for c in (-4.0, 0.0, 5.0)])
    add(
        "1-D data, k = 3 (m = 60)",
        x3,
        GMMParams(phi=[0.3, 0.3, 0.4], mu=[-3.0, 0.5, 4.0], Sigma=[1.0, 2.0, 0.7]),
        "grid",
    )
    X22 = np.vstack([rng.multivariate_normal(c, np.eye(2), 20) for c in ([0.0, 0.0], [4.0, 3.0])])
    add(
        "2-D data, k = 2 (m = 40)",
        X22,
        GMMParams(
            phi=[0.45, 0.55], mu=[[0.5, -0.5], [3.5, 3.0]], Sigma=[[[1.2, 0.4], [0.4, 0.9]], [[0.8, -0.3], [-0.3, 1.6]]]
        ),
        "grid",
    )
    centres = np.array([[0.0, 3.0], [6.0, 0.0], [3.0, 8.0]])
    X2 = np.vstack([rng.multivariate_normal(c, np.eye(2), 20) for c in centres])
    p3 = GMMParams(
        phi=[0.2, 0.3, 0.5],
        mu=[[0.5, 2.5], [5.0, 1.0], [3.0, 7.0]],
        Sigma=[[[1.0, 0.3], [0.3, 0.8]], [[2.0, -0.5], [-0.5, 1.0]], [[0.7, 0.0], [0.0, 1.5]]],
    )
    add("2-D data, k = 3 (m = 60)", X2, p3, "grid")
    X32 = np.vstack([rng.multivariate_normal(c, np.eye(3), 20) for c in ([0.0, 0.0, 0.0], [3.0, -2.0, 4.0])])
    add(
        "3-D data, k = 2 (m = 40)",
        X32,
        GMMParams(phi=[0.35, 0.65], mu=[[0.3, 0.2, -0.1], [2.5, -1.5, 3.5]], Sigma=[_spd(rng, 3), _spd(rng, 3, 2.0)]),
        "grid",
    )
    X33 = np.vstack([rng.multivariate_normal(c, np.eye(3), 15) for c in ([0, 0, 0], [4, 0, 2], [0, 5, -2])])
    add(
        "3-D data, k = 3 (m = 45)",
        X33,
        GMMParams(
            phi=[0.25, 0.35, 0.4],
            mu=[[0.5, 0.0, 0.2], [3.5, 0.5, 2.0], [0.0, 4.5, -1.5]],
            Sigma=[_spd(rng, 3), _spd(rng, 3, 1.5), _spd(rng, 3, 0.7)],
        ),
        "grid",
    )
    add("2-D data, k = 1 (m = 25)", X2[:25], GMMParams(phi=[1.0], mu=[[1.0, 2.0]], Sigma=[[[2.0, 0.4], [0.4, 1.0]]]))
    add(
        "a tiny mixing weight phi_1 = 1e-12 (1-D, k = 2)",
        x[::4],
        GMMParams(phi=[1e-12, 1 - 1e-12], mu=[5.0, 4.0], Sigma=[2.0, 9.0]),
        "tiny",
    )
    # phi_3 = 0 exactly, and the last point sits on that component, far from the others (ln phi_j N_j about
    # -350, no underflow): a patched ln(phi + eps) gives it a density about e^320 times too large there.
    Xz = np.vstack([X2[::4], [[3.0, 26.0]]])
    pz = GMMParams(phi=[0.5, 0.5, 0.0], mu=[[0.5, 2.5], [5.0, 1.0], [3.0, 26.0]], Sigma=p3.Sigma)
    add("a component with phi_3 = 0 exactly (2-D, k = 3; a point sits on that component)", Xz, pz, "zero_phi")
    xm = np.concatenate([rng.normal(0.0, 1.0, 1000), rng.normal(4.0, 2.0, 1000)])
    add("m = 2000 points (1-D, k = 2)", xm, GMMParams(phi=[0.5, 0.5], mu=[0.0, 4.0], Sigma=[1.0, 4.0]), "many")
    add(
        "a point 1000 sd from every component (1-D, x = 1000, unit-variance components at 0 and 1)",
        np.array([-0.5, 0.0, 0.5, 1.0, 1.5, 1000.0]),
        GMMParams(phi=[0.5, 0.5], mu=[0.0, 1.0], Sigma=[1.0, 1.0]),
        "far",
    )
    add(
        "a far point with a mixed posterior (1-D, x = 400 between N(0, 100) and N(1, 100): w = (0.018, 0.982))",
        np.array([-10.0, -3.0, 0.0, 4.0, 12.0, 400.0]),
        GMMParams(phi=[0.5, 0.5], mu=[0.0, 1.0], Sigma=[100.0, 100.0]),
        "far",
        "far_mixed",
    )
    add("a point 1000 sd away in 2-D (x = [1000, -1000], k = 3)", np.vstack([X2[::6], [[1000.0, -1000.0]]]), p3, "far")
    return tuple(out)


def problems(*, far: bool = True, zero_phi: bool = False, many: bool = False, tiny: bool = True) -> list[Problem]:
    """The mixture problems, in checking order; switch off the kinds a checker cannot use."""
    skip = set()
    if not far:
        skip.add("far")
    if not zero_phi:
        skip.add("zero_phi")
    if not many:
        skip.add("many")
    if not tiny:
        skip.add("tiny")
    return [p for p in _all_problems() if not (p.tags & skip)]


def mixture_case(label: str, args: tuple, names: tuple, problem: Problem) -> Case:
    """A case whose first argument is the data X of ``problem``."""
    return Case(
        label, args, names=names, n=problem.n, k=problem.k, takes_X=True, shape_hint=MIXTURE_SHAPES, tags=problem.tags
    )


def data_params_cases(**kinds) -> tuple[list[Problem], list[Case]]:
    """The problems and one case ``fn(X, params)`` per problem, for checkers of functions of (X, params)."""
    probs = problems(**kinds)
    return probs, [mixture_case(p.label, (p.X, p.params), ("X", "params"), p) for p in probs]


def summary(problem_list) -> str:
    """What the mixture cases covered, in words, for the success message."""
    tags = set().union(*(p.tags for p in problem_list))
    ns = sorted({p.n for p in problem_list})
    ks = sorted({p.k for p in problem_list})
    parts = [f"n = {', '.join(map(str, ns))} features and k = {', '.join(map(str, ks))} components"]
    if "tiny" in tags:
        parts.append("a mixing weight of 1e-12")
    if "zero_phi" in tags:
        parts.append("a weight phi_j = 0 exactly")
    if "many" in tags:
        parts.append("m = 2000 points")
    if "far_mixed" in tags:
        parts.append("points 1000 sd from every component and a far point whose posterior is not one-hot")
    return ", ".join(parts)


# --------------------------------------------------------------------------------------------------
# What goes wrong far from the components
# --------------------------------------------------------------------------------------------------


def far_rows(X, params) -> np.ndarray:
    """Rows where every phi_j N(x; mu_j, Sigma_j) underflows in linear space."""
    return np.flatnonzero(log_joint(X, params).max(axis=1) < LOG_TINY)


def describe_point(X, i) -> str:
    X = np.asarray(X, dtype=float)
    return f"x = {num(X[i])}" if X.ndim == 1 else f"x = {arr(X[i])}"


def underflow_message(case: Case, X, params, rows, consequence: str) -> str:
    i = int(rows[0])
    lj = log_joint(X, params)[i]
    top = float(lj.max())
    post = np.exp(lj - lj.max())
    post /= post.sum()
    mixed = ""
    if post.max() < 1 - 1e-6:
        mixed = (
            f" Its posterior is {arr(post, 3)}, not one-hot: giving the row to the most likely component (the "
            "argmax), or keeping only the largest term, is wrong here too."
        )
    return (
        f"underflow far from the components. Your answer is right on the earlier cases but wrong on {case.label}: "
        f"at the point {describe_point(X, i)} every phi_j N(x; mu_j, Sigma_j) is at most exp({num(top)}), "
        f"which is exactly 0 in floating point, so {consequence}{mixed} Densities multiplied or normalised in "
        "linear space (or exponentiated before subtracting the largest term, or patched with a small epsilon) "
        "cannot survive this: work in log space, ln phi_j + ln N(x; mu_j, Sigma_j), and combine the components "
        "with scipy.special.logsumexp." + warn_note(case)
    )


# --------------------------------------------------------------------------------------------------
# The usual mistakes in ln phi_j + ln N(x; mu_j, Sigma_j)
# --------------------------------------------------------------------------------------------------


def _log_joint_with(X, params, *, quad=1.0, use_sigma=False, logdet=0.5, two_pi="n", phi=True, sd=False):
    """ln phi_j + ln N(x; mu_j, Sigma_j) with one term changed the way students change it."""
    X = np.asarray(X, dtype=float).reshape(len(X), -1)
    m, n = X.shape
    out = np.empty((m, params.k))
    for j in range(params.k):
        S = params.Sigma[j] ** 2 if sd else params.Sigma[j]
        D = X - params.mu[j]
        A = S if use_sigma else np.linalg.inv(S)
        q = np.einsum("ij,jk,ik->i", D, A, D)
        c = {"n": n, "ndim": 2, "none": 0, "one": 1}[two_pi]
        out[:, j] = -0.5 * c * np.log(2 * np.pi) - logdet * np.linalg.slogdet(S)[1] - 0.5 * quad * q
    if phi:
        with np.errstate(divide="ignore"):
            out += np.log(params.phi)
    return out


def log_joint_variants(X, params, *, constants: bool = True) -> list[tuple[np.ndarray, str]]:
    """(wrong ln phi_j N_j, message) pairs. ``constants=False`` leaves out mistakes in terms that are the
    same for every component (they cancel in the responsibilities)."""
    n = params.n
    out = []
    if params.k > 1:
        out.append(
            (
                _log_joint_with(X, params, phi=False),
                "the mixing weights phi_j are missing: each component's term is phi_j N(x; mu_j, Sigma_j), "
                "ln phi_j + ln N(x; mu_j, Sigma_j) in log space.",
            )
        )
    if n == 1 and not np.allclose(params.Sigma, 1.0):
        out.append(
            (
                _log_joint_with(X, params, sd=True),
                "for 1-D data Sigma_j holds variances, but you used it as a standard deviation (e.g. "
                "norm.pdf(x, mu, Sigma)); use scale=np.sqrt(Sigma_j).",
            )
        )
    if not np.allclose(params.Sigma, np.eye(n)):
        out.append(
            (
                _log_joint_with(X, params, use_sigma=True),
                "the quadratic form uses Sigma_j where Sigma_j^{-1} belongs: ln N(x; mu, Sigma) has "
                "-1/2 (x - mu)^T Sigma^{-1} (x - mu). Use np.linalg.solve(Sigma_j, d) or np.linalg.inv(Sigma_j).",
            )
        )
        out.append(
            (
                _log_joint_with(X, params, logdet=1.0),
                "the log-determinant term is -ln|Sigma_j|, but the Gaussian has -1/2 ln|Sigma_j| (the square root "
                "of the determinant).",
            )
        )
        out.append(
            (
                _log_joint_with(X, params, logdet=0.0),
                "the determinant term -1/2 ln|Sigma_j| is missing from ln N(x; mu_j, Sigma_j).",
            )
        )
        out.append(
            (
                _log_joint_with(X, params, logdet=-0.5),
                "the determinant term has the wrong sign: ln N(x; mu, Sigma) has -1/2 ln|Sigma| "
                "(1/sqrt|Sigma| in the density).",
            )
        )
    out.append(
        (
            _log_joint_with(X, params, quad=2.0),
            "the factor 1/2 is missing in the exponent: ln N(x; mu, Sigma) has -1/2 (x - mu)^T Sigma^{-1} (x - mu).",
        )
    )
    if constants:
        if n != 2:
            out.append(
                (
                    _log_joint_with(X, params, two_pi="ndim"),
                    f"the 2 pi term uses n = X.ndim = 2, but these data have n = {n} feature{'s' if n > 1 else ''}: "
                    "n = X.shape[1], and the term is -(n/2) ln(2 pi).",
                )
            )
        out.append(
            (
                _log_joint_with(X, params, two_pi="none"),
                "the normalising constant -(n/2) ln(2 pi) is missing from ln N(x; mu_j, Sigma_j).",
            )
        )
        if n != 1:
            out.append(
                (
                    _log_joint_with(X, params, two_pi="one"),
                    f"the 2 pi term is -1/2 ln(2 pi), as for one feature; with n = {n} features it is -(n/2) ln(2 pi).",
                )
            )
    return out
