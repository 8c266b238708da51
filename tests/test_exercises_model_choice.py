"""Notebook 07's checker (emlab/exercises/model_choice.py): BIC = -2 l + p ln m. (Notebook 07's total
log-likelihood exercise uses check_log_likelihood, tested with notebook 03's checkers.)

Each table row is an answer students really write; the checker must reject it and name the mistake.
"""

import numpy as np
import pytest
from _exercise_helpers import as_2d, assert_fails_with, assert_passes, densities, log_joint
from scipy.special import logsumexp

from emlab import core, exercises


def _p(k, n):
    return (k - 1) + k * n + k * n * (n + 1) // 2


def bic(X, params, l_fn=core.log_likelihood, count=_p, mean=False, log=np.log, m_of=len):
    m = m_of(as_2d(X))
    ll = l_fn(X, params)
    return -2 * (ll / m if mean else ll) + count(params.k, params.n) * log(m)


def _ll(**mistake):
    return lambda X, params: float(logsumexp(log_joint(X, params, **mistake), axis=1).sum())


def _ndim_count(X, params):
    X = np.asarray(X).reshape(len(X), -1)
    n = X.ndim  # always 2
    k = params.k
    return -2 * core.log_likelihood(X, params) + ((k - 1) + k * n + k * n * (n + 1) // 2) * np.log(len(X))


BIC_WRONG = [
    ("mean log-likelihood", lambda X, p: bic(X, p, mean=True), ["mean log-likelihood", "total"]),
    ("sign", lambda X, p: -bic(X, p), ["sign is flipped"]),
    (
        "k mixing weights",
        lambda X, p: bic(X, p, count=lambda k, n: k + k * n + k * n * (n + 1) // 2),
        ["p = 6", "k - 1 are free"],
    ),
    (
        "n^2 covariance entries",
        lambda X, p: bic(X, p, count=lambda k, n: (k - 1) + k * n + k * n * n),
        ["symmetric", "n(n+1)/2"],
    ),
    ("diagonal only", lambda X, p: bic(X, p, count=lambda k, n: (k - 1) + 2 * k * n), ["'diag' model"]),
    ("n(n-1)/2", lambda X, p: bic(X, p, count=lambda k, n: (k - 1) + k * n + k * n * (n - 1) // 2), ["n(n-1)/2"]),
    ("no covariances", lambda X, p: bic(X, p, count=lambda k, n: (k - 1) + k * n), ["left out the covariances"]),
    (
        "no mixing weights",
        lambda X, p: bic(X, p, count=lambda k, n: k * n + k * n * (n + 1) // 2),
        ["left out the k - 1 free mixing weights"],
    ),
    ("n = X.ndim", _ndim_count, ["X.ndim", "X.shape[1]"]),
    ("no penalty", lambda X, p: bic(X, p, count=lambda k, n: 0), ["no penalty"]),
    ("AIC", lambda X, p: -2 * core.log_likelihood(X, p) + 2 * _p(p.k, p.n), ["AIC"]),
    ("half", lambda X, p: bic(X, p) / 2, ["half the BIC"]),
    (
        "ln n",
        lambda X, p: -2 * core.log_likelihood(X, p) + _p(p.k, p.n) * np.log(as_2d(X).shape[1]),
        ["ln n", "number of features", "p ln m"],
    ),
    ("ln k", lambda X, p: -2 * core.log_likelihood(X, p) + _p(p.k, p.n) * np.log(p.k), ["ln k"]),
    ("log10", lambda X, p: bic(X, p, log=np.log10), ["log10(m)"]),
    ("p m", lambda X, p: bic(X, p, log=lambda m: m), ["penalty is p m"]),
    ("ln m without p", lambda X, p: bic(X, p, count=lambda k, n: 1), ["without the number of parameters"]),
    ("m = X.size", lambda X, p: bic(X, p, m_of=np.size), ["X.size"]),
    (
        "linear-space l",
        lambda X, p: bic(X, p, l_fn=lambda X, q: np.sum(np.log(densities(X, q).sum(axis=1)))),
        ["underflow", "log space"],
    ),
    (
        "only the largest term",
        lambda X, p: bic(X, p, l_fn=lambda X, q: core.log_joint(X, q).max(axis=1).sum()),
        ["largest term"],
    ),
    ("no mixing weights in l", lambda X, p: bic(X, p, l_fn=_ll(phi="none")), ["in l(Theta)", "mixing weights"]),
    ("2 pi with X.ndim in l", lambda X, p: bic(X, p, l_fn=_ll(n_2pi="ndim")), ["in l(Theta)", "X.ndim"]),
    ("hand-written 2x2 in l", lambda X, p: bic(X, p, l_fn=_ll(hand_2x2=True)), ["n <= 2 features"]),
]


@pytest.mark.parametrize(("fn", "words"), [r[1:] for r in BIC_WRONG], ids=[r[0] for r in BIC_WRONG])
def test_bic_wrong_answers_are_named(fn, words):
    assert_fails_with(exercises.check_bic(fn), *words)


BIC_RIGHT = [
    bic,
    lambda X, p: 2 * (-core.log_likelihood(X, p) + 0.5 * _p(p.k, p.n) * np.log(len(X))),
    lambda X, p: -2 * float(logsumexp(core.log_joint(X, p), axis=1).sum()) + _p(p.k, p.n) * np.log(np.shape(X)[0]),
]


@pytest.mark.parametrize("fn", BIC_RIGHT, ids=["plain", "factored", "logsumexp"])
def test_bic_correct_variants_pass(fn):
    assert_passes(exercises.check_bic(fn))
