"""Notebook 05's checkers (emlab/exercises/gmm_derivations.py): the M-step and the phi update.

Each table row is an answer students really write; the checker must reject it and name the mistake.
"""

import numpy as np
import pytest
from _exercise_helpers import as_2d, assert_fails_with, assert_passes

from emlab import GMMParams, core, exercises


def student_m_step(
    X, W, *, centre="new", sigma_div="N", mu_div="N", phi_axis=0, guard=0.0, weights=1, ridge=0.0, k=None
):
    """A vectorised student M-step with switchable mistakes."""
    X = as_2d(X)
    m, n = X.shape
    k = W.shape[1] if k is None else k
    phi = W.sum(axis=phi_axis) / m
    phi = phi[:k] if k < W.shape[1] else phi
    Nk = W.sum(axis=0)[:k] + guard
    mu = W[:, :k].T @ X / {"N": Nk[:, None], "none": 1.0, "m": m}[mu_div]
    Sigma = np.empty((k, n, n))
    for j in range(k):
        c = {"new": mu[j], "zero": 0.0, "shifted": mu[j] + 0.5, "all": X.mean(axis=0)}[centre]
        D = X - c
        S = (W[:, j, None] ** weights * D).T @ D
        Sigma[j] = S / {"N": Nk[j], "none": 1.0, "N-1": Nk[j] - 1, "m": m}[sigma_div] + ridge * np.eye(n)
    return phi, mu, Sigma


def _with(**mistake):
    def m_step(X, W):
        return student_m_step(X, W, **mistake)

    return m_step


def _replace(part, make):
    def m_step(X, W):
        phi, mu, Sigma = student_m_step(X, W)
        out = {"phi": phi, "mu": mu, "Sigma": Sigma}
        out[part] = make(as_2d(X), W, phi, mu, Sigma)
        return out["phi"], out["mu"], out["Sigma"]

    return m_step


def _np_cov(kw):
    return _replace(
        "Sigma", lambda X, W, phi, mu, S: np.stack([np.atleast_2d(np.cov(X.T, **kw(W, j))) for j in range(W.shape[1])])
    )


def _centred_in_place(X, W):
    X = np.asarray(X).reshape(len(X), -1)
    X -= X.mean(axis=0)  # writes into the caller's X
    return core.m_step(X, W)


def _ddT(X, W):
    phi, mu, _ = student_m_step(X, W)
    X = as_2d(X)
    return phi, mu, np.stack([(W[:, j, None] * (X - mu[j])) @ (X - mu[j]).T / W[:, j].sum() for j in range(W.shape[1])])


M_STEP_WRONG = [
    ("Sigma not divided by N_j", _with(sigma_div="none"), ["Sigma_j is missing the division by N_j"]),
    ("mu not divided by N_j", _with(mu_div="none"), ["mu_j is missing the division by N_j"]),
    ("mu divided by m", _with(mu_div="m"), ["divided by m instead of N_j"]),
    ("Sigma divided by m", _with(sigma_div="m"), ["Sigma_j is divided by m instead of N_j"]),
    ("N_j - 1", _with(sigma_div="N-1"), ["N_j - 1"]),
    ("not centred", _with(centre="zero"), ["not centred"]),
    ("centred on another point", _with(centre="shifted"), ["centred on some other point"]),
    ("centred on the data mean", _with(centre="all"), ["mean of all the data"]),
    ("phi over the wrong axis", _with(phi_axis=1), ["wrong axis"]),
    ("np.cov with aweights, default ddof", _np_cov(lambda W, j: {"aweights": W[:, j]}), ["np.cov", "bias=True"]),
    ("np.cov without weights", _np_cov(lambda W, j: {}), ["responsibilities are missing", "np.cov(X.T)"]),
    ("np.cov(bias=True) without weights", _np_cov(lambda W, j: {"bias": True}), ["responsibilities are missing"]),
    ("weights squared", _with(weights=2), ["enter Sigma_j twice", "w^2"]),
    ("ridge", _with(ridge=1e-6), ["ridge", "reg_covar = 0"]),
    ("precision", _replace("Sigma", lambda X, W, phi, mu, S: np.linalg.inv(S)), ["precision"]),
    (
        "outer product of the sums",
        _replace(
            "Sigma",
            lambda X, W, phi, mu, S: np.stack(
                [np.outer(W[:, j] @ (X - mu[j]), W[:, j] @ (X - mu[j])) / W[:, j].sum() for j in range(W.shape[1])]
            ),
        ),
        ["Sigma_j is 0", "outer product"],
    ),
    ("diagonal only", _replace("Sigma", lambda X, W, phi, mu, S: S * np.eye(X.shape[1])), ["only the diagonal"]),
    ("N_j + 1e-10", _with(guard=1e-10), ["guard to N_j", "no epsilon"]),
    ("N_j + 10 eps (scikit-learn)", _with(guard=10 * np.finfo(float).eps), ["guard to N_j", "no epsilon"]),
    (
        "mu is the plain mean",
        _replace("mu", lambda X, W, phi, mu, S: np.tile(X.mean(0), (W.shape[1], 1))),
        ["plain mean of all points"],
    ),
    ("phi = N_j", _replace("phi", lambda X, W, phi, mu, S: W.sum(0)), ["without dividing by m", "lambda = -m"]),
    (
        "phi = N_j / k",
        _replace("phi", lambda X, W, phi, mu, S: W.sum(0) / W.shape[1]),
        ["not the number of components"],
    ),
    (
        "standard deviation (1-D)",
        _replace("Sigma", lambda X, W, phi, mu, S: np.sqrt(S) if X.shape[1] == 1 else S),
        ["standard deviation"],
    ),
    ("one Sigma for all", _replace("Sigma", lambda X, W, phi, mu, S: S[0]), ["one covariance for all components"]),
    ("D @ D.T", _ddT, ["D @ D.T"]),
    ("k = 2 hard-coded", _with(k=2), ["phi has shape (2,)", "passed k = 2 with the same n = 1", "k = 3"]),
    (
        "invalid GMMParams",
        lambda X, W: GMMParams(phi=W.sum(0), mu=[0.0] * W.shape[1], Sigma=[1.0] * W.shape[1]),
        ["raised ValueError", "phi must sum to 1"],
    ),
    ("centres X in place", _centred_in_place, ["changed its input X in place"]),
]


@pytest.mark.parametrize(("fn", "words"), [r[1:] for r in M_STEP_WRONG], ids=[r[0] for r in M_STEP_WRONG])
def test_m_step_wrong_answers_are_named(fn, words):
    assert_fails_with(exercises.check_m_step(fn), *words)


def test_m_step_without_old_params_says_the_centre_is_wrong_not_which():
    def old_mean_hidden(X, W):  # centred on a mean the checker never sees
        if W.shape[1] != 2 or as_2d(X).shape[1] != 1:
            return core.m_step(X, W)
        phi, mu, _ = student_m_step(X, W)
        Sigma = np.stack(
            [(W[:, j, None] * (as_2d(X) - c)).T @ (as_2d(X) - c) / W[:, j].sum() for j, c in enumerate(([3.0], [6.0]))]
        )
        return phi, mu, Sigma

    assert_fails_with(exercises.check_m_step(old_mean_hidden), "Sigma is wrong", "new mu_j", "N_j")


M_STEP_RIGHT = [
    core.m_step,
    student_m_step,  # a tuple (phi, mu, Sigma)
    lambda X, W: dict(zip(("phi", "mu", "Sigma"), student_m_step(X, W), strict=True)),
    lambda X, W: (lambda p: (p.phi, p.mu.ravel(), p.Sigma.ravel()) if p.n == 1 else p)(core.m_step(X, W)),
    _np_cov(lambda W, j: {"aweights": W[:, j], "bias": True}),
    _with(guard=1e-300),  # a guard far below the tolerance changes nothing
]


@pytest.mark.parametrize("fn", M_STEP_RIGHT, ids=["core", "tuple", "dict", "1-D squeezed", "np.cov bias", "tiny guard"])
def test_m_step_correct_variants_pass(fn):
    assert_passes(exercises.check_m_step(fn))


def _phi_in_place(W):
    W /= W.shape[0]
    return W.sum(axis=0)


def _square_wrong_axis(W):  # only the square case can tell, the shapes agree there
    return W.mean(axis=1) if W.shape[0] == W.shape[1] else W.mean(axis=0)


def _loop_forever(W):
    phi, j = np.zeros(W.shape[1]), 0
    while j < W.shape[1]:
        phi[j] = W[:, j].mean()  # j never increases
    return phi


PHI_WRONG = [
    ("N_j", lambda W: W.sum(axis=0), ["divide by m", "lambda = -m"]),
    ("sum over components", lambda W: W.sum(axis=1) / W.shape[0], ["wrong axis", "axis=0"]),
    ("mean over components", lambda W: W.mean(axis=1), ["wrong axis"]),
    ("divided by k", lambda W: W.sum(axis=0) / W.shape[1], ["divided by k"]),
    ("divided by len(W[0])", lambda W: W.sum(axis=0) / len(W[0]), ["divided by k"]),
    ("square wrong axis", _square_wrong_axis, ["wrong axis", "square"]),
    ("m - 1", lambda W: W.sum(axis=0) / (W.shape[0] - 1), ["m - 1"]),
    ("pseudo-counts", lambda W: (W.sum(axis=0) + 1) / (W.shape[0] + W.shape[1]), ["pseudo-counts"]),
    ("hard counts", lambda W: np.bincount(W.argmax(1), minlength=W.shape[1]) / len(W), ["hard assignments"]),
    ("equal weights", lambda W: np.full(W.shape[1], 1 / W.shape[1]), ["equal weights 1/k"]),
    ("first row", lambda W: W[0], ["first row of W"]),
    ("column maximum", lambda W: W.max(axis=0), ["largest responsibility"]),
    ("a single number", lambda W: W.sum() / len(W), ["single number"]),
    ("W.mean()", lambda W: W.mean(), ["single number"]),
    ("transposed sum", lambda W: W.T.sum(axis=0) / len(W), ["wrong axis"]),
    ("changes W", _phi_in_place, ["changed its input W in place"]),
    ("returns None", lambda W: None, ["returned None"]),
    ("returns text", lambda W: str(W.mean(axis=0)), ["returned text"]),
    ("loop that never ends", _loop_forever, ["did not return within", "while loop"]),
    ("divided by W.size", lambda W: W.sum(axis=0) / W.size, ["W.size"]),
]


@pytest.mark.parametrize(("fn", "words"), [r[1:] for r in PHI_WRONG], ids=[r[0] for r in PHI_WRONG])
def test_phi_update_wrong_answers_are_named(fn, words, monkeypatch):
    monkeypatch.setattr(exercises._harness, "TIME_LIMIT", 0.3)
    assert_fails_with(exercises.check_phi_update(fn), *words)


PHI_RIGHT = [
    lambda W: W.sum(axis=0) / W.shape[0],
    lambda W: W.mean(axis=0),
    lambda W: W.sum(axis=0) / W.sum(),
    lambda W: np.array([sum(row[j] for row in W) / len(W) for j in range(W.shape[1])]),
]


@pytest.mark.parametrize("fn", PHI_RIGHT, ids=["sum / m", "mean", "sum / total", "loops"])
def test_phi_update_correct_variants_pass(fn):
    assert_passes(exercises.check_phi_update(fn))
