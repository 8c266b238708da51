"""Helpers for the exercise-checker tests: assertions on verdicts, and building blocks written the way
students write them (linear-space densities, hand-written log-densities with switchable mistakes)."""

from __future__ import annotations

import re

import numpy as np
from scipy.special import logsumexp
from scipy.stats import multivariate_normal

from emlab.exercises import CheckResult


def as_2d(X):
    X = np.asarray(X, dtype=float)
    return X[:, None] if X.ndim == 1 else X


def stub(*args):
    raise NotImplementedError


_PAIR = re.compile(r"you returned (?P<a>.+?); (?P<what>[^;]*?)(?:=|is|expected) (?P<b>.+?) \((?:largest )?difference")


def assert_numbers_differ(message: str):
    """Every 'you returned A; ... B (difference ...)' shows A and B differently, and every number quoted
    after 'you returned' comes with the right value and their difference."""
    pairs = list(_PAIR.finditer(message))
    for found in pairs:
        assert found["a"].strip() != found["b"].strip(), f"two equal-looking numbers in: {message}"
    quoted = re.findall(r"you returned (?:-?\d|\[)", message)
    assert len(quoted) <= len(pairs), f"a number quoted without the right one and their difference: {message}"


def assert_fails_with(result, *words):
    assert isinstance(result, CheckResult)
    assert result.passed is False and not result
    assert result.message.startswith(("Not yet:", "Not implemented yet:")), result.message
    assert "checker itself" not in result.message, result.message
    text = result.message.lower()
    for word in words:
        assert word.lower() in text, f"{word!r} not in: {result.message}"
    assert_numbers_differ(result.message)


def assert_passes(result):
    assert result.passed is True, result.message
    assert result.message.startswith("Correct:")


# --------------------------------------------------------------------------------------------------
# Mixture building blocks, written the way a student would
# --------------------------------------------------------------------------------------------------


def densities(X, params, sd=False):
    """phi_j N(x^(i); mu_j, Sigma_j) in linear space, shape (m, k); sd=True reads 1-D Sigma as a standard deviation."""
    X = as_2d(X)
    cols = []
    for j in range(params.k):
        S = params.Sigma[j] ** 2 if sd else params.Sigma[j]
        cols.append(np.atleast_1d(params.phi[j] * multivariate_normal.pdf(X, params.mu[j], S)))
    return np.column_stack(cols)


def log_phi(phi, how="masked"):
    phi = np.asarray(phi, dtype=float)
    if how == "masked":
        return np.log(phi, out=np.full_like(phi, -np.inf), where=phi > 0)
    if how == "plain":
        return np.log(phi)  # warns on phi_j = 0
    if how == "eps":
        return np.log(phi + 1e-10)
    if how == "maximum":
        return np.log(np.maximum(phi, 1e-10))
    if how == "none":
        return np.zeros_like(phi)
    raise ValueError(how)


def inv_2x2(S):
    """The hand-written inverse and determinant of a 2 x 2 matrix, applied to any square matrix."""
    a, b, c, d = S[0, 0], S[0, 1], S[1, 0], S[1, 1]
    det = a * d - b * c
    inv = np.zeros_like(S)
    inv[:2, :2] = np.array([[d, -b], [-c, a]]) / det
    return inv, det


def log_joint(
    X, params, phi="masked", quad=0.5, precision=True, logdet=0.5, n_2pi="n", hand_2x2=False, sd=False, k=None
):
    """a_ij = ln phi_j + ln N(x^(i); mu_j, Sigma_j), with switchable student mistakes."""
    X = as_2d(X)
    m, n = X.shape
    k = params.k if k is None else k
    lp = log_phi(params.phi, phi)
    cols = []
    for j in range(k):
        S = params.Sigma[j] ** 2 if sd else params.Sigma[j]
        if hand_2x2 and n > 1:
            inv, det = inv_2x2(S)
        else:
            inv, det = np.linalg.inv(S), np.linalg.det(S)
        A = inv if precision else S
        D = X - params.mu[j]
        nn = {"n": n, "ndim": X.ndim, "none": 0, "one": 1}[n_2pi]
        cols.append(lp[j] - 0.5 * nn * np.log(2 * np.pi) - logdet * np.log(det) - quad * np.sum(D @ A * D, axis=1))
    return np.column_stack(cols)


def posterior(a):
    return np.exp(a - logsumexp(a, axis=1, keepdims=True))
