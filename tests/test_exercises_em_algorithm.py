"""Notebook 03's checkers (emlab/exercises/em_algorithm.py): the E-step and the log-likelihood.

Each table row is an answer students really write; the checker must reject it and name the mistake.
"""

import numpy as np
import pytest
from _exercise_helpers import as_2d, assert_fails_with, assert_passes, densities, log_joint, posterior
from scipy.special import logsumexp, softmax
from scipy.stats import multivariate_normal, norm

from emlab import core, exercises
from emlab.exercises import _harness


def _linear_w(X, params):
    D = densities(X, params)
    return D / D.sum(axis=1, keepdims=True)


def _argmax_fallback(X, params):  # the forum fix: compute in linear space, give underflowing rows to the argmax
    with np.errstate(invalid="ignore"):
        W = _linear_w(X, params)
    bad = ~np.isfinite(W).all(axis=1)
    W[bad] = np.eye(params.k)[np.argmax(log_joint(X, params)[bad], axis=1)]
    return W


def _only_1d(X, params):  # written for x of shape (m,) with scalar variances
    x = np.asarray(X, dtype=float)
    a = np.column_stack(
        [
            np.log(params.phi[j]) + norm.logpdf(x, params.mu[j, 0], np.sqrt(params.Sigma[j, 0, 0]))
            for j in range(params.k)
        ]
    )
    return np.exp(a - logsumexp(a, axis=1, keepdims=True))


def _two_components(X, params):  # range(2) hard-coded
    a = np.column_stack([log_joint(X, params)[:, j] for j in range(2)])
    return posterior(a)


def _centres_in_place(X, params):
    X = np.asarray(X).reshape(len(X), -1)
    X -= params.mu.mean(axis=0)  # writes into the caller's X
    moved = core.GMMParams(phi=params.phi, mu=params.mu - params.mu.mean(axis=0), Sigma=params.Sigma)
    return core.e_step(X, moved)


E_STEP_WRONG = [
    ("linear space", _linear_w, ["underflow far from the components", "NaN", "log space"]),
    (
        "exp before subtracting the max",
        lambda X, p: (lambda P: P / P.sum(1, keepdims=True))(np.exp(log_joint(X, p))),
        ["underflow far from the components", "0/0 = NaN"],
    ),
    (
        "epsilon in the denominator",
        lambda X, p: (lambda D: D / (D.sum(1, keepdims=True) + 1e-300))(densities(X, p)),
        ["underflow far from the components", "x = 1000", "epsilon"],
    ),
    ("argmax for underflowing rows", _argmax_fallback, ["underflow", "x = 400", "not one-hot", "argmax"]),
    ("unnormalised", lambda X, p: np.exp(log_joint(X, p)), ["do not sum to 1", "without normalising"]),
    ("normalised over the points", lambda X, p: posterior(log_joint(X, p).T).T, ["wrong axis", "axis=1"]),
    ("half a row", lambda X, p: core.e_step(X, p) * np.r_[0.5, np.ones(len(X) - 1)][:, None], ["row 0 sums to 0.5"]),
    ("transposed", lambda X, p: core.e_step(X, p).T, ["transposed", "(200, 2)"]),
    ("no mixing weights", lambda X, p: posterior(log_joint(X, p, phi="none")), ["mixing weights phi_j are missing"]),
    ("hard assignments", lambda X, p: np.eye(p.k)[np.argmax(log_joint(X, p), axis=1)], ["hard 0/1"]),
    ("labels", lambda X, p: np.argmax(log_joint(X, p), axis=1), ["one value per point", "(m, k)"]),
    (
        "log-responsibilities",
        lambda X, p: (lambda a: a - logsumexp(a, 1, keepdims=True))(log_joint(X, p)),
        ["log-responsibilities", "exponentiate"],
    ),
    ("Sigma as a standard deviation", lambda X, p: posterior(log_joint(X, p, sd=True)), ["standard deviation"]),
    ("Sigma for its inverse", lambda X, p: posterior(log_joint(X, p, precision=False)), ["where Sigma_j^{-1} belongs"]),
    ("no 1/2 in the exponent", lambda X, p: posterior(log_joint(X, p, quad=1.0)), ["factor 1/2 is missing"]),
    ("ln|Sigma| without the 1/2", lambda X, p: posterior(log_joint(X, p, logdet=1.0)), ["-1/2 ln|Sigma_j|"]),
    ("no determinant", lambda X, p: posterior(log_joint(X, p, logdet=0.0)), ["determinant term", "missing"]),
    (
        "no keepdims on logsumexp",
        lambda X, p: (lambda a: np.exp(a - logsumexp(a, axis=1)))(log_joint(X, p)),
        ["missing keepdims", "keepdims=True"],
    ),
    (
        "no keepdims on the max",
        lambda X, p: (lambda a: np.exp(a - a.max(axis=1)))(log_joint(X, p)),
        ["missing keepdims"],
    ),
    ("ln(phi + 1e-10)", lambda X, p: posterior(log_joint(X, p, phi="eps")), ["phi_1 = 1e-12", "epsilon", "-inf"]),
    ("np.maximum(phi, eps)", lambda X, p: posterior(log_joint(X, p, phi="maximum")), ["epsilon", "np.maximum"]),
    (
        "plain np.log(phi)",
        lambda X, p: posterior(log_joint(X, p, phi="plain")),
        ["values are right", "divide by zero encountered in log"],
    ),
    (
        "hand-written 2x2 inverse",
        lambda X, p: posterior(log_joint(X, p, hand_2x2=True)),
        ["n <= 2 features", "n = 3", "hand-written inverse"],
    ),
    ("1-D only", _only_1d, ["passed the case with n = 1", "k = 2", "n = 2"]),
    ("k = 2 hard-coded", _two_components, ["(60, 2)", "passed k = 2 with the same n = 1", "k = 3"]),
    ("centres X in place", _centres_in_place, ["changed its input X in place"]),
]


@pytest.mark.parametrize(("fn", "words"), [row[1:] for row in E_STEP_WRONG], ids=[row[0] for row in E_STEP_WRONG])
def test_e_step_wrong_answers_are_named(fn, words):
    assert_fails_with(exercises.check_e_step(fn), *words)


E_STEP_RIGHT = [
    core.e_step,
    lambda X, p: posterior(log_joint(X, p)),
    lambda X, p: (lambda a: np.exp(a - logsumexp(a, axis=1)[:, None]))(log_joint(X, p)),
    lambda X, p: (lambda a: (lambda e: e / e.sum(1, keepdims=True))(np.exp(a - a.max(1, keepdims=True))))(
        core.log_joint(X, p)
    ),
    lambda X, p: softmax(core.log_joint(X, p), axis=1),
    lambda X, p: posterior(
        np.column_stack([multivariate_normal.logpdf(as_2d(X), p.mu[j], p.Sigma[j]) for j in range(p.k)]).reshape(
            len(X), -1
        )
        + np.log(p.phi, out=np.full(p.k, -np.inf), where=p.phi > 0)
    ),
]


@pytest.mark.parametrize("fn", E_STEP_RIGHT, ids=["core", "helper", "[:, None]", "max trick", "softmax", "scipy"])
def test_e_step_correct_variants_pass(fn):
    assert_passes(exercises.check_e_step(fn))


def _ll(a):
    return float(logsumexp(a, axis=1).sum())


def _ll_argmax_fallback(X, params):
    D = densities(X, params).sum(axis=1)
    a = log_joint(X, params)
    with np.errstate(divide="ignore"):
        logs = np.log(D)
    return float(np.where(D > 0, logs, a.max(axis=1)).sum())


LL_WRONG = [
    ("mean", lambda X, p: core.log_likelihood(X, p) / len(X), ["mean instead of a total", "l / m"]),
    (
        "product of densities",
        lambda X, p: np.log(np.prod(densities(X, p).sum(axis=1))),
        ["multiplied in linear space", "m = 2000", "log space"],
    ),
    (
        "linear-space mixture",
        lambda X, p: np.sum(np.log(densities(X, p).sum(axis=1))),
        ["underflow far from the components", "x = 1000", "log space"],
    ),
    (
        "log(p + eps)",
        lambda X, p: np.sum(np.log(densities(X, p).sum(axis=1) + 1e-300)),
        ["underflow far from the components"],
    ),
    ("max term for underflowing rows", _ll_argmax_fallback, ["underflow", "x = 400", "not one-hot"]),
    ("only the largest term", lambda X, p: log_joint(X, p).max(axis=1).sum(), ["only the largest term", "logsumexp"]),
    ("wrong axis", lambda X, p: logsumexp(log_joint(X, p), axis=0).sum(), ["wrong axis", "axis=1"]),
    ("sum outside the log", lambda X, p: log_joint(X, p).sum(), ["inside the log"]),
    ("no mixing weights", lambda X, p: _ll(log_joint(X, p, phi="none")), ["mixing weights phi_j are missing"]),
    ("one value per point", lambda X, p: logsumexp(log_joint(X, p), axis=1), ["shape (200,)", "sum over the points"]),
    ("standard deviation", lambda X, p: np.sum(np.log(densities(X, p, sd=True).sum(axis=1))), ["standard deviation"]),
    ("sign", lambda X, p: -core.log_likelihood(X, p), ["sign is flipped"]),
    ("log10", lambda X, p: core.log_likelihood(X, p) / np.log(10), ["log10"]),
    (
        "mean over components",
        lambda X, p: np.sum(np.log(np.mean(np.exp(log_joint(X, p)), axis=1))),
        ["averaged over the components"],
    ),
    ("n = X.ndim", lambda X, p: _ll(log_joint(X, p, n_2pi="ndim")), ["X.ndim", "n = 1 feature:"]),
    ("no 2 pi", lambda X, p: _ll(log_joint(X, p, n_2pi="none")), ["normalising constant"]),
    ("2 pi for one feature", lambda X, p: _ll(log_joint(X, p, n_2pi="one")), ["as for one feature", "n = 2"]),
    ("ln(phi + 1e-10)", lambda X, p: _ll(log_joint(X, p, phi="eps")), ["phi_j = 0 still contributes", "epsilon"]),
    (
        "plain np.log(phi)",
        lambda X, p: _ll(log_joint(X, p, phi="plain")),
        ["values are right", "divide by zero encountered in log"],
    ),
    ("hand-written 2x2", lambda X, p: _ll(log_joint(X, p, hand_2x2=True)), ["n <= 2 features", "X.ndim"]),
    (
        "no keepdims",
        lambda X, p: (lambda a: np.sum(a.max(1) + np.log(np.exp(a - a.max(1)).sum(1))))(log_joint(X, p)),
        ["missing keepdims"],
    ),
    ("Sigma for its inverse", lambda X, p: _ll(log_joint(X, p, precision=False)), ["Sigma_j^{-1}"]),
    ("ln|Sigma| without 1/2", lambda X, p: _ll(log_joint(X, p, logdet=1.0)), ["1/2 ln|Sigma_j|"]),
    ("k = 2 hard-coded", lambda X, p: _ll(log_joint(X, p, k=min(2, p.k))), ["k = 3", "range(k)"]),
    (
        "math.log",
        lambda X, p: sum(__import__("math").log(v) for v in densities(X, p).sum(axis=1)),
        ["math domain error", "log space"],
    ),
]


@pytest.mark.parametrize(("fn", "words"), [row[1:] for row in LL_WRONG], ids=[row[0] for row in LL_WRONG])
def test_log_likelihood_wrong_answers_are_named(fn, words):
    assert_fails_with(exercises.check_log_likelihood(fn), *words)


LL_RIGHT = [
    core.log_likelihood,
    lambda X, p: _ll(log_joint(X, p)),
    lambda X, p: float(np.sum(np.logaddexp.reduce(core.log_joint(X, p), axis=1))),
    lambda X, p: (lambda a: float(np.sum(a.max(1) + np.log(np.exp(a - a.max(1, keepdims=True)).sum(1)))))(
        core.log_joint(X, p)
    ),
]


@pytest.mark.parametrize("fn", LL_RIGHT, ids=["core", "helper", "logaddexp", "max trick"])
def test_log_likelihood_correct_variants_pass(fn):
    assert_passes(exercises.check_log_likelihood(fn))


def test_a_slow_python_loop_over_points_passes_within_the_limit():
    def per_point(X, params):
        X = as_2d(X)
        return sum(float(logsumexp(core.log_joint(X[i : i + 1], params))) for i in range(len(X)))

    assert _harness.TIME_LIMIT >= 10
    assert_passes(exercises.check_log_likelihood(per_point))
