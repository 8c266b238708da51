"""Notebook 06's checker (emlab/exercises/gmm_in_practice.py): the loop M-step that also sees the old
parameters. (Notebook 06's E-step exercise uses check_e_step, tested with notebook 03's checkers.)

Each table row is an answer students really write; the checker must reject it and name the mistake.
"""

import numpy as np
import pytest
from _exercise_helpers import as_2d, assert_fails_with, assert_passes

from emlab import GMMParams, core, exercises


def loop_m_step(
    X, W, old_params, centre_on="new", sigma_div="N", n_features=None, k_components=None, weight_power=1, ridge=0.0
):
    """The tutorial loop M-step, point by point, with switchable mistakes; centre_on="old" is the copied bug."""
    X = as_2d(X)
    m, n = X.shape
    n = n if n_features is None else n_features
    k = W.shape[1] if k_components is None else k_components
    phi, mu, Sigma = np.zeros(k), np.zeros((k, n)), np.zeros((k, n, n))
    for j in range(k):
        N_j = sum(W[i, j] for i in range(m))
        phi[j] = N_j / m
        mu[j] = sum(W[i, j] * X[i, :n] for i in range(m)) / N_j
        centre = old_params.mu[j] if centre_on == "old" else mu[j]
        S = np.zeros((n, n))
        for i in range(m):
            d = X[i, :n] - centre
            S += W[i, j] ** weight_power * np.outer(d, d)
        Sigma[j] = S / {"N": N_j, "N-1": N_j - 1, "m": m, "none": 1.0}[sigma_div] + ridge * np.eye(n)
    return GMMParams(phi=phi, mu=mu, Sigma=Sigma)


def notebook_bug(X, W, old_params):
    """The exercise's code as given: Sigma accumulated around old_params.mu, mu finished afterwards."""
    X = np.asarray(X).reshape(len(X), -1)
    m, n = X.shape
    k = W.shape[1]
    phi, mu, Sigma = np.zeros(k), np.zeros((k, n)), np.zeros((k, n, n))
    for j in range(k):
        N_j = W[:, j].sum()
        for i in range(m):
            d = X[i] - old_params.mu[j]
            Sigma[j] += W[i, j] * np.outer(d, d)
            mu[j] += W[i, j] * X[i]
        phi[j], mu[j], Sigma[j] = N_j / m, mu[j] / N_j, Sigma[j] / N_j
    return GMMParams(phi=phi, mu=mu, Sigma=Sigma)


def _old(part):
    def m_step(X, W, old_params):
        new = core.m_step(X, W)
        parts = {"phi": new.phi, "mu": new.mu, "Sigma": new.Sigma}
        parts[part] = getattr(old_params, part)
        return parts["phi"], parts["mu"], parts["Sigma"]

    return m_step


def _moves_old_params(X, W, old_params):
    new = core.m_step(X, W)
    old_params.mu[:] = new.mu  # "updates" the caller's parameters in place: they are read-only
    return new


def _normalises_W(X, W, old_params):
    W /= W.sum(axis=0)  # the caller's responsibilities become column-normalised
    return core.m_step(X, W * 0 + core.e_step(X, old_params))


def _while_no_increment(X, W, old_params):
    X = as_2d(X)
    j = 0
    while j < W.shape[1]:
        pass  # forgot j += 1
    return core.m_step(X, W)


LOOP_WRONG = [
    ("the notebook's bug", notebook_bug, ["centred on the old mean", "old_params", "new mean", "not exact EM"]),
    ("old mean, loops", lambda X, W, o: loop_m_step(X, W, o, centre_on="old"), ["centred on the old mean"]),
    ("no division by N_j", lambda X, W, o: loop_m_step(X, W, o, sigma_div="none"), ["N_j times too big"]),
    ("N_j - 1", lambda X, W, o: loop_m_step(X, W, o, sigma_div="N-1"), ["N_j - 1"]),
    ("divided by m", lambda X, W, o: loop_m_step(X, W, o, sigma_div="m"), ["divided by m instead of N_j"]),
    ("weights squared", lambda X, W, o: loop_m_step(X, W, o, weight_power=2), ["twice"]),
    ("ridge", lambda X, W, o: loop_m_step(X, W, o, ridge=1e-6), ["ridge"]),
    ("stale mu", _old("mu"), ["still the old mean"]),
    ("stale Sigma", _old("Sigma"), ["still old_params.Sigma"]),
    ("stale phi", _old("phi"), ["still old_params.phi"]),
    ("k = 2 hard-coded", lambda X, W, o: loop_m_step(X, W, o, k_components=2), ["k = 3"]),
    (
        "n = 2 hard-coded",
        lambda X, W, o: loop_m_step(X, W, o, n_features=min(2, as_2d(X).shape[1])),
        ["n <= 2 features", "n = 3"],
    ),
    (
        "returns (mu, Sigma, phi)",
        lambda X, W, o: (lambda p: (p.mu, p.Sigma, p.phi))(core.m_step(X, W)),
        ["another order", "(phi, mu, Sigma)"],
    ),
    ("returns a dict of other names", lambda X, W, o: {"weights": 1, "means": 2, "covariances": 3}, ["a dict"]),
    ("transposed mu", lambda X, W, o: (lambda p: (p.phi, p.mu.T, p.Sigma))(core.m_step(X, W)), ["transposed"]),
    (
        "phi over the points",
        lambda X, W, o: (lambda p: (W.sum(axis=1) / len(W), p.mu, p.Sigma))(core.m_step(X, W)),
        ["wrong axis"],
    ),
    (
        "Sigma (n, n, k)",
        lambda X, W, o: (lambda p: (p.phi, p.mu, np.moveaxis(p.Sigma, 0, -1)))(core.m_step(X, W)),
        ["first axis"],
    ),
    (
        "np.cov without weights",
        lambda X, W, o: (lambda p: (p.phi, p.mu, np.tile(np.atleast_2d(np.cov(as_2d(X).T)), (W.shape[1], 1, 1))))(
            core.m_step(X, W)
        ),
        ["responsibilities are missing"],
    ),
    ("updates old_params in place", _moves_old_params, ["read-only", "params.mu.copy()"]),
    ("normalises W in place", _normalises_W, ["changed its input W in place"]),
    ("while loop without increment", _while_no_increment, ["did not return within", "while loop"]),
    (
        "equal weights",
        lambda X, W, o: (lambda p: (np.full(W.shape[1], 1 / W.shape[1]), p.mu, p.Sigma))(core.m_step(X, W)),
        ["equal weights"],
    ),
]


@pytest.mark.parametrize(("fn", "words"), [r[1:] for r in LOOP_WRONG], ids=[r[0] for r in LOOP_WRONG])
def test_loop_m_step_wrong_answers_are_named(fn, words, monkeypatch):
    monkeypatch.setattr(exercises._harness, "TIME_LIMIT", 0.3)
    assert_fails_with(exercises.check_loop_m_step(fn), *words)


LOOP_RIGHT = [
    loop_m_step,
    lambda X, W, old: core.m_step(X, W),
    lambda X, W, old: (lambda p: {"phi": p.phi, "mu": p.mu, "Sigma": p.Sigma})(core.m_step(X, W)),
]


@pytest.mark.parametrize("fn", LOOP_RIGHT, ids=["loops", "core", "dict"])
def test_loop_m_step_correct_variants_pass(fn):
    assert_passes(exercises.check_loop_m_step(fn))
