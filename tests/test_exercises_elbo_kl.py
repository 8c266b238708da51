"""Notebook 04's checkers (emlab/exercises/elbo_kl.py): the ELBO and the KL divergence.

Each table row is an answer students really write; the checker must reject it and name the mistake.
"""

import numpy as np
import pytest
from _exercise_helpers import assert_fails_with, assert_passes, densities, log_joint, posterior
from scipy.special import rel_entr, xlogy
from scipy.stats import entropy

from emlab import core, exercises


def _expected(W, a):
    return float(np.sum(np.where(W > 0, W * np.where(W > 0, a, 0.0), 0.0)))


def _neg_entropy(W):
    return float(xlogy(W, W).sum())


def _elbo_with(**mistake):
    def elbo(X, W, params):
        return _expected(W, log_joint(X, params, **mistake)) - _neg_entropy(W)

    return elbo


def _nansum(X, W, params):
    a = log_joint(X, params)
    return float(np.nansum(W * a) - np.nansum(W * np.log(W)))


def _zero_phi_unmasked(X, W, params):  # 0 ln 0 handled, but 0 * ln(phi_j = 0) is not
    with np.errstate(divide="ignore", invalid="ignore"):
        a = log_joint(X, params, phi="plain")
        return float(np.sum(W * a) - xlogy(W, W).sum())


def _cleans_W(X, W, params):
    W[W == 0] = 1e-300  # "fixes" the zeros in the caller's W
    return core.elbo(X, W, params)


def _swapped_kl(X, W, params):
    post = core.e_step(X, params)
    return core.log_likelihood(X, params) - float(rel_entr(post, W).sum())


ELBO_WRONG = [
    ("0 ln 0", lambda X, W, p: np.sum(W * log_joint(X, p)) - np.sum(W * np.log(W)), ["0 ln 0", "NaN", "xlogy"]),
    ("one-sum 0 ln 0", lambda X, W, p: np.sum(W * (log_joint(X, p) - np.log(W))), ["0 ln 0", "xlogy"]),
    ("mean", lambda X, W, p: core.elbo(X, W, p) / len(W), ["mean instead of a total"]),
    ("no entropy", lambda X, W, p: _expected(W, log_joint(X, p)), ["entropy term is missing"]),
    (
        "entropy sign",
        lambda X, W, p: _expected(W, log_joint(X, p)) + _neg_entropy(W),
        ["entropy term has the wrong sign"],
    ),
    ("just l", lambda X, W, p: core.log_likelihood(X, p), ["does not depend on W"]),
    ("sign", lambda X, W, p: -core.elbo(X, W, p), ["sign is flipped"]),
    (
        "linear space",
        lambda X, W, p: _expected(W, np.log(np.maximum(densities(X, p), 1e-320))) - _neg_entropy(W),
        ["underflow", "log space"],
    ),
    ("l - KL(posterior || W)", _swapped_kl, ["KL(posterior || q)", "swapped", "KL(q || p(z | x))"]),
    ("no mixing weights", _elbo_with(phi="none"), ["mixing weights"]),
    (
        "posterior instead of W",
        lambda X, W, p: _expected(core.e_step(X, p), log_joint(X, p)) - _neg_entropy(W),
        ["uses the posterior, not W"],
    ),
    ("standard deviation", _elbo_with(sd=True), ["standard deviation"]),
    ("Sigma for its inverse", _elbo_with(precision=False), ["Sigma_j^{-1}"]),
    ("n = X.ndim", _elbo_with(n_2pi="ndim"), ["X.ndim"]),
    ("no 2 pi", _elbo_with(n_2pi="none"), ["normalising constant"]),
    ("no determinant", _elbo_with(logdet=0.0), ["determinant term"]),
    ("hand-written 2x2", _elbo_with(hand_2x2=True), ["n <= 2 features", "2 x 2"]),
    ("0 * ln(phi_j = 0)", _zero_phi_unmasked, ["phi_j = 0", "0 * (-inf) = NaN", "W > 0"]),
    ("nansum", _nansum, ["values are right", "warning"]),
    ("changes W", _cleans_W, ["changed its input W in place"]),
    ("per point", lambda X, W, p: np.sum(W * log_joint(X, p) - xlogy(W, W), axis=1), ["single number"]),
    (
        "k = 2 hard-coded",
        lambda X, W, p: _expected(W[:, :2], log_joint(X, p)[:, :2]) - _neg_entropy(W[:, :2]),
        ["passed k = 2 with the same n = 1", "k = 3"],
    ),
]


@pytest.mark.parametrize(("fn", "words"), [r[1:] for r in ELBO_WRONG], ids=[r[0] for r in ELBO_WRONG])
def test_elbo_wrong_answers_are_named(fn, words):
    result = exercises.check_elbo(fn)
    assert_fails_with(result, *words)
    if "0 ln 0" in words:  # the NaN diagnosis explains the failure: no pointer to another n or k
        assert "passed the case" not in result.message and "passed k" not in result.message


ELBO_RIGHT = [
    core.elbo,
    _elbo_with(),
    lambda X, W, p: core.log_likelihood(X, p) - float(rel_entr(W, core.e_step(X, p)).sum()),  # l - KL(q || post)
    lambda X, W, p: float(np.sum(W[W > 0] * (core.log_joint(X, p)[W > 0] - np.log(W[W > 0])))),
]


@pytest.mark.parametrize("fn", ELBO_RIGHT, ids=["core", "xlogy", "l - KL(q || posterior)", "masked"])
def test_elbo_correct_variants_pass(fn):
    assert_passes(exercises.check_elbo(fn))


def _masked_kl(q, p):
    keep = q > 0
    return float(np.sum(q[keep] * np.log(q[keep] / p[keep])))


def _where_kl(q, p):  # np.where evaluates both branches: right values, but log(0) warns
    return float(np.sum(np.where(q > 0, q * np.log(q / p), 0.0)))


def _cleans_q(q, p):
    q[q == 0] = 1e-12
    return _masked_kl(q, p)


KL_WRONG = [
    ("0 ln 0", lambda q, p: np.sum(q * np.log(q / p)), ["exact zeros", "0 ln 0", "rel_entr"]),
    ("swapped", lambda q, p: _masked_kl(p, q), ["KL(p || q)", "not symmetric"]),
    ("sign", lambda q, p: -_masked_kl(q, p), ["sign is flipped"]),
    ("ratio upside down", lambda q, p: float(np.sum(q * np.log(p / q))), ["sign is flipped"]),
    ("mean over rows", lambda q, p: _masked_kl(q, p) / (q.shape[0] if q.ndim == 2 else 1), ["mean instead of a total"]),
    ("per row", lambda q, p: np.sum(rel_entr(q, p), axis=-1), ["one value per row"]),
    ("per component", lambda q, p: np.sum(rel_entr(q, p), axis=0), ["wrong axis"]),
    ("scipy entropy default axis", lambda q, p: entropy(q, p), ["wrong axis", "axis=1"]),
    ("epsilon on p", lambda q, p: _masked_kl(q, p + 1e-12), ["KL is +inf where p = 0 < q", "epsilon"]),
    ("skips p = 0", lambda q, p: _masked_kl(q * (p > 0), np.where(p > 0, p, 1.0)), ["+inf where p = 0 < q"]),
    ("nan_to_num", lambda q, p: float(np.sum(np.nan_to_num(q * np.log(q / p)))), ["+inf", "nan_to_num"]),
    ("difference of entropies", lambda q, p: float(xlogy(q, q).sum() - xlogy(p, p).sum()), ["difference of entropies"]),
    ("cross-entropy", lambda q, p: float(-xlogy(q, p).sum()), ["cross-entropy"]),
    ("negative entropy", lambda q, p: float(xlogy(q, q).sum()), ["sum q ln q alone"]),
    ("mean over entries", lambda q, p: float(np.mean(rel_entr(q, p))), ["mean over the entries"]),
    ("log10", lambda q, p: float(rel_entr(q, p).sum() / np.log(10)), ["log10"]),
    ("log2", lambda q, p: float(rel_entr(q, p).sum() / np.log(2)), ["log2"]),
    ("no weights", lambda q, p: float(np.sum(np.log(q[q > 0] / p[q > 0]))), ["weights q are missing"]),
    ("weighted by p", lambda q, p: float(np.sum(p * np.log(q / p))), ["sum p ln(q / p)"]),
    ("np.where both branches", _where_kl, ["values are right", "warning"]),
    ("changes q", _cleans_q, ["changed its input q in place"]),
]


@pytest.mark.parametrize(("fn", "words"), [r[1:] for r in KL_WRONG], ids=[r[0] for r in KL_WRONG])
def test_kl_wrong_answers_are_named(fn, words):
    assert_fails_with(exercises.check_kl_divergence(fn), *words)


def test_the_epsilon_message_quotes_the_finite_value():
    result = exercises.check_kl_divergence(lambda q, p: _masked_kl(q, p + 1e-12))
    finite = 0.2 * np.log(0.2 / 1e-12) + 0.3 * np.log(0.3 / 0.5) + 0.5 * np.log(0.5 / 0.5)
    assert f"returned {finite:.6g} on q = (0.2, 0.3, 0.5) and p = (0, 0.5, 0.5)" in result.message


KL_RIGHT = [
    core.kl_divergence,
    _masked_kl,
    lambda q, p: float(np.sum(rel_entr(q, p))),
    lambda q, p: float(np.sum(xlogy(q, q) - xlogy(q, p))),
    lambda q, p: float(np.sum(entropy(np.atleast_2d(q), np.atleast_2d(p), axis=1))),
]


@pytest.mark.parametrize("fn", KL_RIGHT, ids=["core", "masked", "rel_entr", "xlogy", "scipy entropy axis=1"])
def test_kl_correct_variants_pass(fn):
    assert_passes(exercises.check_kl_divergence(fn))


def test_posterior_helper_matches_core():  # keeps the student-style helper honest
    from emlab.exercises._cases import problems

    for prob in problems():
        assert np.allclose(posterior(log_joint(prob.X, prob.params)), core.e_step(prob.X, prob.params), atol=1e-12)
