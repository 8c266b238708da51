"""Notebook 02's checkers (emlab/exercises/jensen.py): the Jensen gap and its ln version.

Each table row is an answer students really write; the checker must reject it and name the mistake.
"""

import math

import numpy as np
import pytest
from _exercise_helpers import assert_fails_with, assert_passes

from emlab import exercises


def _masked(f, x, p):
    keep = p > 0
    return float(p[keep] @ f(x[keep]) - f(p @ x))


def _sorts_x(f, x, p):
    x.sort()  # sorts the caller's x in place (and loses its pairing with p)
    return _masked(f, x, p)


def _nansum(f, x, p):
    return float(np.nansum(p * f(x)) - f(np.sum(p * x)))


def _while(f, x, p):
    total, i = 0.0, 0
    while i < len(x):
        if p[i] > 0:
            total += p[i] * f(x[i])
            i += 1  # only advances when p[i] > 0: stuck at the first zero
    return total - f(p @ x)


JENSEN_WRONG = [
    ("sign", lambda f, x, p: -_masked(f, x, p), ["sign is flipped", "f(E[x]) - E[f(x)]"]),
    ("abs", lambda f, x, p: abs(_masked(f, x, p)), ["|gap|", "concave"]),
    ("clipped at 0", lambda f, x, p: max(0.0, _masked(f, x, p)), ["came out as 0", "max(0, ...)"]),
    ("unweighted", lambda f, x, p: np.mean(f(x)) - f(np.mean(x)), ["without the weights p"]),
    ("f of the plain mean", lambda f, x, p: p @ f(x) - f(np.mean(x)), ["plain mean of x"]),
    ("plain mean of f", lambda f, x, p: np.mean(f(x)) - f(p @ x), ["plain mean of f(x)"]),
    (
        "np.mean(p * ...)",
        lambda f, x, p: np.mean(p[p > 0] * f(x[p > 0])) * (p > 0).sum() / len(x) - f(p @ x) / len(x),
        ["np.mean(p * ...)", "no division"],
    ),
    ("f missing in the first term", lambda f, x, p: p @ x - f(p @ x), ["the first term is E_p[x]"]),
    ("f missing in the second term", lambda f, x, p: p @ f(x) - p @ x, ["the second term is E_p[x]"]),
    ("E f alone", lambda f, x, p: p @ f(x), ["E_p[f(x)] alone"]),
    ("f(E x) alone", lambda f, x, p: f(p @ x), ["f(E_p[x]) alone"]),
    ("f of p x", lambda f, x, p: np.sum(f(p * x)) - f(p @ x), ["applied f to p_i x_i"]),
    ("f of the sum of x", lambda f, x, p: p @ f(x) - f(np.sum(x)), ["not the plain sum of x"]),
    ("0 * (-inf)", lambda f, x, p: np.sum(p * f(x)) - f(np.sum(p * x)), ["p = 0", "NaN", "p > 0"]),
    ("np.dot without mask", lambda f, x, p: np.dot(p, f(x)) - f(np.dot(p, x)), ["p = 0", "0 * (-inf) = NaN"]),
    ("no sum", lambda f, x, p: p * f(x) - f(np.sum(p * x)), ["shape (2,)", "single number"]),
    ("nansum", _nansum, ["values are right", "warning", "np.log(0)"]),
    ("x.sort() in place", _sorts_x, ["changed its input x in place"]),
    ("while loop stuck", _while, ["did not return within", "while loop"]),
    (
        "math.exp for any f",
        lambda f, x, p: sum(pi * math.exp(xi) for xi, pi in zip(x, p, strict=True)) - f(p @ x),
        ["fixed function (np.exp)", "the f you were given"],
    ),
    ("returns a string", lambda f, x, p: f"{_masked(f, x, p):.3f}", ["returned text", "formatted string"]),
]


@pytest.mark.parametrize(("fn", "words"), [r[1:] for r in JENSEN_WRONG], ids=[r[0] for r in JENSEN_WRONG])
def test_jensen_gap_wrong_answers_are_named(fn, words, monkeypatch):
    monkeypatch.setattr(exercises._harness, "TIME_LIMIT", 0.3)
    assert_fails_with(exercises.check_jensen_gap(fn), *words)


JENSEN_RIGHT = [
    _masked,
    lambda f, x, p: np.dot(p[p > 0], f(x[p > 0])) - f(np.dot(p, x)),
    lambda f, x, p: np.average(f(x[p > 0]), weights=p[p > 0]) - f(np.average(x, weights=p)),
    lambda f, x, p: sum(pi * f(xi) for xi, pi in zip(x, p, strict=True) if pi > 0) - f(sum(p * x)),
]


@pytest.mark.parametrize("fn", JENSEN_RIGHT, ids=["masked", "dot", "np.average", "loop"])
def test_jensen_gap_correct_variants_pass(fn):
    assert_passes(exercises.check_jensen_gap(fn))


def _log_gap(x, p):
    return float(np.log(p @ x) - p @ np.log(x))


LOG_JENSEN_WRONG = [
    ("sign", lambda x, p: -_log_gap(x, p), ["sign is flipped", "concave"]),
    ("unweighted", lambda x, p: np.log(np.mean(x)) - np.mean(np.log(x)), ["without the weights"]),
    ("log10", lambda x, p: np.log10(p @ x) - p @ np.log10(x), ["log10"]),
    ("log2", lambda x, p: np.log2(p @ x) - p @ np.log2(x), ["log2"]),
    ("np.mean(p * ...)", lambda x, p: np.log(p @ x) / len(x) - np.mean(p * np.log(x)), ["np.mean(p * ...)"]),
    ("ln E alone", lambda x, p: np.log(p @ x), ["ln E[x] alone"]),
    ("first term missing", lambda x, p: -(p @ np.log(x)), ["first term is missing"]),
    ("E[x] not ln E[x]", lambda x, p: p @ x - p @ np.log(x), ["first term is E[x]"]),
    ("ln(p x)", lambda x, p: np.log(p @ x) - np.sum(np.log(p[p > 0] * x[p > 0])), ["ln(p_i x_i)"]),
    ("ln E[ln x]", lambda x, p: np.log(p @ x) - np.log(p @ np.log(x)), ["not ln E[ln x]"]),
    ("ln of the plain sum", lambda x, p: np.log(np.sum(x)) - p @ np.log(x), ["not the plain sum of x"]),
    ("same term twice", lambda x, p: np.log(p @ x) - np.log(p @ x), ["came out as 0"]),
    ("no sum", lambda x, p: np.log(p @ x) - p * np.log(x), ["single number"]),
    ("x.sort() in place", lambda x, p: (x.sort(), _log_gap(x, p))[1], ["changed its input x in place"]),
    ("math.log on an array", lambda x, p: math.log(p @ x) - p @ math.log(x), ["raised TypeError", "np.log"]),
    ("returns None", lambda x, p: None, ["returned None", "return"]),
    ("returns a list", lambda x, p: [_log_gap(x, p)] * 2, ["single number"]),
    ("p and x swapped", lambda x, p: np.log(p @ x) - np.sum(x[p > 0] * np.log(p[p > 0])), ["ln x_i"]),
    ("E[ln x] as a plain mean", lambda x, p: np.log(p @ x) - np.mean(np.log(x)), ["plain mean of ln x"]),
    (
        "p divided by its length",
        lambda x, p: _log_gap(x, p / len(p)) if len(p) > 2 else _log_gap(x, p),
        ["x = (0.5, 2, 8)"],
    ),
]


@pytest.mark.parametrize(("fn", "words"), [r[1:] for r in LOG_JENSEN_WRONG], ids=[r[0] for r in LOG_JENSEN_WRONG])
def test_log_jensen_gap_wrong_answers_are_named(fn, words):
    assert_fails_with(exercises.check_log_jensen_gap(fn), *words)


LOG_JENSEN_RIGHT = [
    _log_gap,
    lambda x, p: abs(np.log(p @ x) - p @ np.log(x)),  # the gap is >= 0, so abs() changes nothing
    lambda x, p: np.log(np.average(x, weights=p)) - np.average(np.log(x), weights=p),
    lambda x, p: -np.sum(p[p > 0] * np.log(x[p > 0] / (p @ x))),
]


@pytest.mark.parametrize("fn", LOG_JENSEN_RIGHT, ids=["dot", "abs", "np.average", "log ratio"])
def test_log_jensen_gap_correct_variants_pass(fn):
    assert_passes(exercises.check_log_jensen_gap(fn))
