"""Notebook 08's checkers (emlab/exercises/beyond_gaussians.py): the Bernoulli E-step and the smoothed M-step.

Each table row is an answer students really write; the checker must reject it and name the mistake.
"""

import numpy as np
import pytest
from _exercise_helpers import assert_fails_with, assert_passes, stub
from scipy.special import logsumexp, softmax, xlogy

from emlab import bernoulli_core, exercises


def _log_phi(phi):
    phi = np.asarray(phi, dtype=float)
    return np.log(phi, out=np.full_like(phi, -np.inf), where=phi > 0)


def log_joint(X, phi, mu, swap=False, no_off=False, no_phi=False, log=np.log, eps=0.0, phi_eps=0.0):
    """a_ij written the way students write it, with switchable mistakes."""
    X = np.asarray(X, dtype=float)
    on, off = (1 - X, X) if swap else (X, 1 - X)
    if eps:
        a = on @ log(mu + eps).T + (0 if no_off else off @ log(1 - mu + eps).T)
    else:
        a = (xlogy(on[:, None, :], mu[None]) + (0 if no_off else xlogy(off[:, None, :], 1 - mu[None]))).sum(2)
        a = a / np.log(10.0) if log is np.log10 else a
    if no_phi:
        return a
    lp = np.log(phi + phi_eps) if phi_eps else _log_phi(phi)
    return a + (lp / np.log(10.0) if log is np.log10 else lp)


def normalise(a):
    return np.exp(a - logsumexp(a, axis=1, keepdims=True))


def e_right(X, phi, mu):
    return normalise(log_joint(X, phi, mu))


def e_linear(X, phi, mu):
    X = np.asarray(X, dtype=float)
    p = phi * np.prod(mu[None] ** X[:, None, :] * (1 - mu[None]) ** (1 - X[:, None, :]), axis=2)
    return p / p.sum(axis=1, keepdims=True)


def e_linear_argmax(X, phi, mu):
    # The forum fix: linear space, and a row that underflows goes to the most likely component.
    X = np.asarray(X, dtype=float)
    with np.errstate(under="ignore"):
        p = phi * np.prod(mu[None] ** X[:, None, :] * (1 - mu[None]) ** (1 - X[:, None, :]), axis=2)
    s = p.sum(axis=1, keepdims=True)
    a = log_joint(X, phi, mu)
    hard = np.eye(p.shape[1])[a.argmax(axis=1)]
    return np.where(s > 0, p / np.where(s > 0, s, 1), hard)


def e_plain_log(X, phi, mu):
    X = np.asarray(X, dtype=float)
    a = np.log(phi) + X @ np.log(mu).T + (1 - X) @ np.log(1 - mu).T
    return normalise(a)


def e_nan_to_num(X, phi, mu):
    with np.errstate(all="ignore"):
        X = np.asarray(X, dtype=float)
        a = np.log(phi) + X @ np.log(mu).T + (1 - X) @ np.log(1 - mu).T
    return normalise(np.nan_to_num(a, nan=-np.inf))


def e_matrix_form(X, phi, mu):
    # Notebook 08's matrix form x . (ln mu - ln(1 - mu)) + sum_d ln(1 - mu): right for mu in (0, 1), NaN at mu = 1.
    X = np.asarray(X, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        a = np.log(phi) + X @ (np.log(mu) - np.log1p(-mu)).T + np.log1p(-mu).sum(axis=1)
    return normalise(a)


def e_mutates(X, phi, mu):
    X = np.asarray(X)
    X -= 0  # harmless on its own ...
    if X.dtype.kind == "f":
        X *= 1.0
    mu[...] = np.clip(mu, 1e-12, 1 - 1e-12)  # ... but this writes into the caller's mu
    return e_right(X, phi, mu)


def e_while_forever(X, phi, mu):
    t = 0
    while t < 1:
        pass
    return e_right(X, phi, mu)


def e_loops(X, phi, mu):
    X = np.asarray(X, dtype=float)
    m, k = X.shape[0], len(phi)
    W = np.empty((m, k))
    for i in range(m):
        a = np.array(
            [
                _log_phi(phi)[j]
                + sum(xlogy(X[i, d], mu[j, d]) + xlogy(1 - X[i, d], 1 - mu[j, d]) for d in range(X.shape[1]))
                for j in range(k)
            ]
        )
        W[i] = np.exp(a - logsumexp(a))
    return W


def e_two_by_two(X, phi, mu):
    # Written for K = 2 only: the second column is 1 minus the first.
    W = e_right(X, phi, mu)
    return np.column_stack([W[:, 0], 1 - W[:, 0]]) if W.shape[1] > 2 else W


E_WRONG = [
    ("linear space (underflow)", e_linear, ["underflow", "log space"]),
    ("linear space + argmax for underflowed rows", e_linear_argmax, ["argmax", "mixed"]),
    ("np.log(mu) without xlogy: 0 * -inf", e_plain_log, ["NaN", "xlogy"]),
    ("nan_to_num patch", e_nan_to_num, ["xlogy"]),
    ("the notebook's matrix form at mu = 1: inf - inf", e_matrix_form, ["NaN", "matrix form", "(0, 1)", "xlogy"]),
    ("epsilon on mu", lambda X, p, m: normalise(log_joint(X, p, m, eps=1e-10)), ["epsilon on mu", "xlogy"]),
    ("clip mu", lambda X, p, m: normalise(log_joint(X, p, np.clip(m, 1e-9, 1 - 1e-9))), ["epsilon on mu"]),
    ("epsilon on phi", lambda X, p, m: normalise(log_joint(X, p, m, phi_eps=1e-10)), ["epsilon on phi"]),
    ("not normalised", lambda X, p, m: np.exp(log_joint(X, p, m)), ["do not sum to 1", "without normalising"]),
    ("normalised over the points", lambda X, p, m: softmax(log_joint(X, p, m), axis=0), ["axis=0"]),
    (
        "log responsibilities",
        lambda X, p, m: log_joint(X, p, m) - logsumexp(log_joint(X, p, m), 1, keepdims=True),
        ["log-responsibilities"],
    ),
    ("x and 1 - x swapped", lambda X, p, m: normalise(log_joint(X, p, m, swap=True)), ["swapped"]),
    ("off pixels missing", lambda X, p, m: normalise(log_joint(X, p, m, no_off=True)), ["off pixels"]),
    ("ln phi missing", lambda X, p, m: normalise(log_joint(X, p, m, no_phi=True)), ["ln phi_j is missing"]),
    ("phi instead of ln phi", lambda X, p, m: normalise(log_joint(X, p, m, no_phi=True) + p), ["ln phi_j (the log"]),
    ("log10", lambda X, p, m: normalise(log_joint(X, p, m, log=np.log10)), ["log10"]),
    ("hard assignments", lambda X, p, m: np.eye(len(p))[log_joint(X, p, m).argmax(axis=1)], ["hard 0/1"]),
    ("transposed", lambda X, p, m: e_right(X, p, m).T, ["transposed"]),
    (
        "missing keepdims (silent broadcast)",
        lambda X, p, m: np.exp(log_joint(X, p, m) - logsumexp(log_joint(X, p, m), axis=1)),
        ["keepdims"],
    ),
    ("changes mu in place", e_mutates, ["in place"]),
    ("K = 2 only", e_two_by_two, ["k = 3"]),
    ("returns None", lambda X, p, m: None, ["return"]),
    ("one value per image", lambda X, p, m: e_right(X, p, m).max(axis=1), ["shape"]),
]


@pytest.mark.parametrize(("name", "fn", "words"), E_WRONG, ids=[row[0] for row in E_WRONG])
def test_bernoulli_e_step_checker_names_the_mistake(name, fn, words):
    assert_fails_with(exercises.check_bernoulli_e_step(fn), *words)


def test_bernoulli_e_step_checker_stops_an_endless_loop(monkeypatch):
    from emlab.exercises import _harness

    monkeypatch.setattr(_harness, "TIME_LIMIT", 0.5)
    assert_fails_with(exercises.check_bernoulli_e_step(e_while_forever), "did not return", "while loop")


@pytest.mark.parametrize(
    "fn",
    [
        e_right,
        e_loops,  # slow but right
        lambda X, p, m: bernoulli_core.e_step(X, bernoulli_core.BernoulliParams(p, m)),
        lambda X, p, m: softmax(log_joint(X, p, m), axis=1),
    ],
    ids=["xlogy", "python loops", "emlab.bernoulli_core", "scipy softmax"],
)
def test_bernoulli_e_step_checker_accepts_correct_variants(fn):
    assert_passes(exercises.check_bernoulli_e_step(fn))


def test_bernoulli_e_step_checker_reports_a_stub():
    result = exercises.check_bernoulli_e_step(stub)
    assert not result.passed and result.message.startswith("Not implemented yet")


# --------------------------------------------------------------------------------------------------
# The smoothed M-step
# --------------------------------------------------------------------------------------------------


def m_right(X, W, alpha):
    N, S = W.sum(axis=0), W.T @ np.asarray(X, dtype=float)
    denom = (N + 2 * alpha)[:, None]
    return N / len(X), np.divide(S + alpha, denom, out=np.full(S.shape, 0.5), where=denom > 0)


def m_with(mu_fn, phi_fn=None):
    def fn(X, W, alpha):
        X = np.asarray(X, dtype=float)
        N, S = W.sum(axis=0), W.T @ X
        with np.errstate(all="ignore"):
            mu = mu_fn(X, W, alpha, N, S)
        phi = N / len(X) if phi_fn is None else phi_fn(X, W, alpha, N)
        return phi, np.nan_to_num(mu, nan=0.5)  # the empty component's 0/0 handled, silently

    return fn


def _smoothed(X, W, a, N, S):
    return (S + a) / (N + 2 * a)[:, None]


def m_nan(X, W, alpha):
    N, S = W.sum(axis=0), W.T @ np.asarray(X, dtype=float)
    return N / len(X), (S + alpha) / (N + 2 * alpha)[:, None]


def m_mutates(X, W, alpha):
    N = W.sum(axis=0)
    with np.errstate(all="ignore"):
        W /= N  # column-normalised weights, written into the caller's W
        mu = (np.nan_to_num(W).T @ np.asarray(X, dtype=float) * N[:, None] + alpha) / (N + 2 * alpha)[:, None]
    return N / len(X), np.nan_to_num(mu, nan=0.5)


def m_hard(X, W, alpha):
    H = np.eye(W.shape[1])[W.argmax(axis=1)]  # each image to its most likely component
    return W.sum(axis=0) / len(X), m_right(X, H, alpha)[1]


M_WRONG = [
    ("no smoothing", m_with(lambda X, W, a, N, S: S / N[:, None]), ["alpha is missing"]),
    ("N + alpha", m_with(lambda X, W, a, N, S: (S + a) / (N + a)[:, None]), ["needs 2 alpha"]),
    ("N + 2", m_with(lambda X, W, a, N, S: (S + a) / (N + 2)[:, None]), ["not n_j + 2"]),
    ("always Laplace", m_with(lambda X, W, a, N, S: (S + 1) / (N + 2)[:, None]), ["laplace"]),
    ("2 alpha on top", m_with(lambda X, W, a, N, S: (S + 2 * a) / (N + 2 * a)[:, None]), ["adds alpha once"]),
    ("divided by m", m_with(lambda X, W, a, N, S: (S + a) / len(X)), ["number of points"]),
    ("divided by m, no alpha", m_with(lambda X, W, a, N, S: S / len(X)), ["number of points"]),
    ("divided by the total", m_with(lambda X, W, a, N, S: (S + a) / (N.sum() + 2 * a)), ["total responsibility"]),
    ("hard assignments", m_hard, ["hard assignments"]),
    ("counted the off pixels", m_with(lambda X, W, a, N, S: (W.T @ (1 - X) + a) / (N + 2 * a)[:, None]), ["off"]),
    ("phi not divided", m_with(_smoothed, lambda X, W, a, N: N), ["without dividing"]),
    ("phi over k", m_with(_smoothed, lambda X, W, a, N: N / W.shape[1]), ["not k ="]),
    ("phi smoothed too", m_with(_smoothed, lambda X, W, a, N: (N + a) / (len(X) + len(N) * a)), ["smooths mu only"]),
    ("0/0 for an empty component", m_nan, ["N_3 = 0", "0/0"]),
    (
        "epsilon in the denominator",
        m_with(lambda X, W, a, N, S: (S + a) / (N + 2 * a + 1e-10)[:, None]),
        ["epsilon", "N_3 = 1e-11"],
    ),
    ("mu transposed", lambda X, W, a: (m_right(X, W, a)[0], m_right(X, W, a)[1].T), ["transposed"]),
    ("phi and mu swapped", lambda X, W, a: m_right(X, W, a)[::-1], ["swapped"]),
    ("a dict", lambda X, W, a: dict(zip(("phi", "mu"), m_right(X, W, a), strict=True)), ["the pair (phi, mu)"]),
    ("returns None", lambda X, W, a: None, ["return"]),
    ("changes W in place", m_mutates, ["in place"]),
    ("mu for k = 2 only", lambda X, W, a: (m_right(X, W, a)[0], m_right(X, W, a)[1][:2]), ["shape"]),
    ("N over the wrong axis", lambda X, W, a: (W.sum(axis=1) / len(X), m_right(X, W, a)[1]), ["shape"]),
]


@pytest.mark.parametrize(("name", "fn", "words"), M_WRONG, ids=[row[0] for row in M_WRONG])
def test_bernoulli_m_step_checker_names_the_mistake(name, fn, words):
    assert_fails_with(exercises.check_bernoulli_m_step(fn), *words)


@pytest.mark.parametrize(
    "fn",
    [
        m_right,
        lambda X, W, a: tuple(bernoulli_core.m_step(X, W, a)),  # mu_j = 1/2 for an empty ML component, as asked
        lambda X, W, a: (
            W.mean(axis=0),
            (np.einsum("ij,id->jd", W, np.asarray(X, float)) + a) / np.maximum(W.sum(axis=0) + 2 * a, 1e-300)[:, None],
        ),
    ],
    ids=["np.divide with 1/2", "emlab.bernoulli_core", "einsum and a mean"],
)
def test_bernoulli_m_step_checker_accepts_correct_variants(fn):
    assert_passes(exercises.check_bernoulli_m_step(fn))


def test_bernoulli_m_step_checker_flags_a_warning_on_a_right_answer():
    def warns(X, W, alpha):
        N, S = W.sum(axis=0), W.T @ np.asarray(X, dtype=float)
        mu = (S + alpha) / (N + 2 * alpha)[:, None]  # 0/0 warns for the empty component ...
        return N / len(X), np.nan_to_num(mu, nan=0.5)  # ... and the NaN is patched afterwards

    assert_fails_with(exercises.check_bernoulli_m_step(warns), "warning", "invalid value")
