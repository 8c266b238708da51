"""Notebook 09's figures: imputed points with their conditional uncertainty, and how often EM fails by dimension."""

from __future__ import annotations

from dataclasses import dataclass

import matplotlib.pyplot as plt
import numpy as np

from ..missing import e_step as missing_e_step
from ..missing import missing_patterns
from ..params import GMMParams, mixture_arrays
from ..style import component_style
from ._common import GREY, ArtistsRecord

__all__ = ["FailureRateArtists", "ImputationArtists", "conditional_spread", "failure_rate", "imputation_2d"]


def conditional_spread(X, params):
    """Conditional mean and standard deviation of every missing entry of X under a Gaussian mixture.

    E[x_d | x_o] = sum_j w_j m_jd and Var[x_d | x_o] = sum_j w_j (C_j,dd + m_jd^2) - E[x_d | x_o]^2
    (the law of total variance over z): the spread within each component plus the spread between them.

    Parameters
    ----------
    X : array-like of shape (m, n), NaN marking missing values
    params : GMMParams, fitted estimator or (phi, mu, Sigma)

    Returns
    -------
    mean, sd : ndarrays of shape (m, n)
        At observed entries the value itself and 0.
    """
    phi, mu, Sigma = mixture_arrays(params)
    theta = GMMParams(phi=phi, mu=mu, Sigma=Sigma)
    X = np.asarray(X, dtype=float)
    stats = missing_e_step(X, theta)
    W, x_hat = stats.W, stats.x_hat
    mean = np.einsum("ik,ikn->in", W, x_hat)
    second = np.einsum("ik,ikn->in", W, x_hat**2)
    for o, rows in missing_patterns(X):
        h = ~o
        if not h.any():
            continue
        for j in range(theta.k):
            S = theta.Sigma[j]
            B = np.linalg.solve(S[np.ix_(o, o)], S[np.ix_(o, h)]) if o.any() else np.zeros((0, h.sum()))
            C = S[np.ix_(h, h)] - S[np.ix_(h, o)] @ B
            second[np.ix_(rows, h)] += W[rows, j][:, None] * np.diag(C)[None, :]
    var = np.where(np.isnan(X), np.maximum(second - mean**2, 0.0), 0.0)
    return np.where(np.isnan(X), mean, X), np.sqrt(var)


@dataclass(repr=False)
class ImputationArtists(ArtistsRecord):
    """What :func:`imputation_2d` drew.

    Attributes
    ----------
    ax : Axes
    imputed : ndarray of shape (m, 2)
        X with each NaN replaced by its conditional mean.
    sd : ndarray of shape (m, 2)
        The conditional standard deviation of each imputed entry (0 where observed).
    groups : dict str -> artist
        "complete", "x_1 missing", "x_2 missing" (and "true values" when given).
    legend : Legend
    """

    ax: object
    imputed: np.ndarray
    sd: np.ndarray
    groups: dict
    legend: object


def imputation_2d(X, params, X_true=None, ax=None, labels=("$x_1$", "$x_2$"),
                  title: str = "imputed values with their conditional uncertainty") -> ImputationArtists:
    """Observed points, and each incomplete point at its conditional mean with a bar of +-2 conditional sd.

    A row missing x_1 is drawn at (E[x_1 | x_2], x_2) with a horizontal bar, a row missing x_2 with a
    vertical one; the bars show sum_j w_j N(m_j, C_j) summarised by its mean and standard deviation.

    Parameters
    ----------
    X : array-like of shape (m, 2), NaN marking missing values (no row all NaN)
    params : GMMParams, fitted estimator or (phi, mu, Sigma)
        The mixture that imputes.
    X_true : array-like of shape (m, 2), optional
        The complete data: the removed values are then marked too.
    ax : Axes, optional
    labels : (str, str)
        Axis labels.
    title : str

    Returns
    -------
    ImputationArtists
    """
    X = np.asarray(X, dtype=float)
    if X.ndim != 2 or X.shape[1] != 2:
        raise ValueError(f"X must have shape (m, 2); got {X.shape}.")
    if X_true is not None:
        X_true = np.asarray(X_true, dtype=float)
        if X_true.shape != X.shape or np.isnan(X_true).any():
            raise ValueError(f"X_true must be complete and of X's shape {X.shape}; got shape {X_true.shape}.")
    imputed, sd = conditional_spread(X, params)
    if ax is None:
        _, ax = plt.subplots(figsize=(8.0, 5.0), layout="constrained")
    miss = np.isnan(X)
    complete = ~miss.any(axis=1)
    groups = {"complete": ax.scatter(*X[complete].T, s=14, color=GREY, marker="o", alpha=0.6,
                                     label=f"complete rows ({int(complete.sum())})")}
    for d in range(2):
        rows = miss[:, d]
        if not rows.any():
            continue
        s = component_style(d)
        err = {"xerr" if d == 0 else "yerr": 2 * sd[rows, d]}
        name = f"x_{d + 1} missing"
        groups[name] = ax.errorbar(imputed[rows, 0], imputed[rows, 1], **err, fmt=s["marker"], color=s["color"],
                                   markersize=5, elinewidth=0.8, alpha=0.8,
                                   label=f"{labels[d]} missing ({int(rows.sum())}): mean $\\pm$ 2 sd")
    if X_true is not None and miss.any():
        rows = miss.any(axis=1)
        groups["true values"] = ax.scatter(*X_true[rows].T, s=22, marker="x", color="black", linewidths=0.8,
                                           label="the removed values")
    ax.set_xlabel(labels[0])
    ax.set_ylabel(labels[1])
    ax.set_title(title)
    leg = ax.legend(loc="lower right", fontsize="small")
    return ImputationArtists(ax=ax, imputed=imputed, sd=sd, groups=groups, legend=leg)


@dataclass(repr=False)
class FailureRateArtists(ArtistsRecord):
    """What :func:`failure_rate` drew: the axes, one line per method, and the legend."""

    ax: object
    lines: dict
    legend: object


def failure_rate(dims, rates, trials: int, ax=None,
                 title: str = "how often EM meets a singular covariance") -> FailureRateArtists:
    """Fraction of EM runs that fail against the dimension n, one line per method (Murphy's MLE vs MAP figure).

    Parameters
    ----------
    dims : array-like of int
        The dimensions n tried.
    rates : dict str -> array-like of float
        For each method ("maximum likelihood", "MAP, conjugate prior", ...), the fraction of runs that failed,
        one value in [0, 1] per dimension.
    trials : int
        Runs per dimension (shown in the axis label).
    ax : Axes, optional
    title : str

    Returns
    -------
    FailureRateArtists
    """
    dims = np.asarray(dims)
    if dims.ndim != 1 or dims.size == 0:
        raise ValueError("dims must be a non-empty 1-D sequence of dimensions.")
    if not rates:
        raise ValueError("rates must name at least one method.")
    if ax is None:
        _, ax = plt.subplots(figsize=(8.0, 4.5), layout="constrained")
    lines = {}
    for c, (name, vals) in enumerate(rates.items()):
        vals = np.asarray(vals, dtype=float)
        if vals.shape != dims.shape or np.any((vals < 0) | (vals > 1)) or not np.all(np.isfinite(vals)):
            raise ValueError(f"rates[{name!r}] must hold one fraction in [0, 1] per dimension, shape {dims.shape}.")
        s = component_style(c)
        (lines[name],) = ax.plot(dims, vals, marker=s["marker"], linestyle=s["linestyle"], color=s["color"],
                                 markersize=8, label=name)
    ax.set_xlabel("dimension $n$")
    ax.set_ylabel(f"fraction of {trials} runs that failed")
    ax.set_ylim(-0.05, 1.05)
    ax.set_title(title)
    leg = ax.legend(loc="best")
    return FailureRateArtists(ax=ax, lines=lines, legend=leg)
