"""Sections 3-4 figures: the EM picture on a 1-D slice of Theta (l, the bound touching it, the M-step,
the next bound) and the ELBO/KL decomposition of l over EM iterations."""

from __future__ import annotations

from dataclasses import dataclass

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from scipy.special import logsumexp

from ..core import as_data, e_step, elbo, log_joint, log_likelihood
from ..history import HISTORY_KEYS
from ..params import GMMParams
from ..style import PALETTE
from ._common import figure_and_axes, no_address_repr

__all__ = ["em_bound", "elbo_kl", "EMBoundArtists", "ELBOKLArtists", "GAP_LABEL"]



# ---------------------------------------------------------------------------------------------- em_bound


@dataclass(repr=False)
class EMBoundArtists:
    """What :func:`em_bound` drew, and the numbers it drew.

    Attributes
    ----------
    fig, ax : the Figure and Axes.
    theta : ndarray of shape (g,)
        The slice: values of the chosen parameter (the grid contains theta_t and theta_next exactly).
    l : ndarray of shape (g,)
        l(theta) along the slice, every other parameter fixed at Theta^(t).
    bound : ndarray of shape (g,)
        B_t(theta) = L(q^(t), theta) with q^(t) = p(z | x; Theta^(t)), the posterior at theta_t.
    next_bound : ndarray of shape (g,)
        B_{t+1}(theta) = L(q^(t+1), theta), built at theta_next.
    theta_t, theta_next : float
        The current value and the bound's maximiser along the slice (the M-step restricted to it).
    l_t, l_next : float
        l(theta_t) and l(theta_next) (from ``emlab.log_likelihood``).
    bound_at_next : float
        B_t(theta_next) = max B_t: l_next - bound_at_next is the gap (a KL divergence) that the next
        E-step closes.
    lines : dict of Line2D
        ``"l"``, ``"bound"``, ``"next_bound"`` curves; ``"touch_t"``, ``"bound_max"``, ``"touch_next"`` markers.
    legend : Legend
    gap_text : Annotation or None
        The box naming the gap at theta_next (None when there is no gap to show).
    """

    fig: plt.Figure
    ax: plt.Axes
    theta: np.ndarray
    l: np.ndarray
    bound: np.ndarray
    next_bound: np.ndarray
    theta_t: float
    theta_next: float
    l_t: float
    l_next: float
    bound_at_next: float
    lines: dict
    legend: object
    gap_text: object = None

    _repr_fields = ("theta_t", "theta_next", "l_t", "bound_at_next", "l_next")
    __repr__ = no_address_repr


def _parse_index(index, params: GMMParams):
    if not isinstance(index, tuple) or len(index) not in (2, 3) or index[1] != "mu":
        raise ValueError(
            f'index must be (j, "mu") or (j, "mu", d): the mean of component j (coordinate d); got {index!r}.'
        )
    j = index[0]
    d = index[2] if len(index) == 3 else 0
    for name, v, top in (("j", j, params.k), ("d", d, params.n)):
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or not 0 <= v < top:
            raise ValueError(f"index {name} must be an int in 0..{top - 1}; got {v!r}.")
    return int(j), int(d)


def _with_mean(params: GMMParams, j: int, d: int, value: float) -> GMMParams:
    mu = params.mu.copy()
    mu[j, d] = value
    return GMMParams(phi=params.phi, mu=mu, Sigma=params.Sigma)


GAP_LABEL = r"gap $\ell - \mathcal{{L}}$ at $\theta_{{t+1}}$: {gap:.2f}"


def em_bound(x, params, index=(0, "mu"), grid=None, ax=None, title=None, gap_label=GAP_LABEL):
    """The EM picture along a 1-D slice of Theta: l(theta), the bound touching it, the M-step, the next bound.

    Only the mean mu_j[d] varies (theta); every other parameter stays at Theta^(t) = ``params``. The
    E-step builds q^(t) = p(z | x; Theta^(t)), and the lower bound B_t(theta) = L(q^(t), theta) touches
    l at theta_t. Its maximiser along the slice,
    theta_next = argmax B_t (for 1-D data: sum_i w_j^(i) x^(i) / sum_i w_j^(i), the M-step's mean), has
    l(theta_next) >= B_t(theta_next) >= B_t(theta_t) = l(theta_t). The next bound B_{t+1}, built at
    theta_next, touches l there. Nothing is fitted: this is one step of the maths, drawn.

    Parameters
    ----------
    x : array-like of shape (m,) or (m, n)
    params : GMMParams
        Theta^(t), the current parameters.
    index : (int, "mu") or (int, "mu", int), default (0, "mu")
        The slice: the mean of component j (0-based; drawn as mu_{j+1}), coordinate d (default 0).
    grid : 1-D array-like, optional
        Values of theta to draw; default: around theta_t and theta_next, wide enough to show both.
    ax : matplotlib Axes, optional
    title : str, optional
    gap_label : str, default ``GAP_LABEL``
        Text of the box naming the gap l(theta_next) - B_t(theta_next); ``{gap}`` is replaced by its value
        (a format field, so write ``{gap:.2f}``, and double any other braces). Notebook 04, which names
        the gap a KL divergence, may pass ``"KL gap at $\\theta_{{t+1}}$: {gap:.2f}"``.

    Returns
    -------
    EMBoundArtists
    """
    if not isinstance(params, GMMParams):
        raise ValueError(f"params must be a GMMParams (Theta^(t)); got {type(params).__name__}.")
    X = as_data(x, params.n)
    j, d = _parse_index(index, params)
    theta_t = float(params.mu[j, d])

    lj = log_joint(X, params)  # (m, k) at Theta^(t)
    W = e_step(X, params)
    N_j = W[:, j].sum()
    if N_j <= 0:
        raise ValueError(
            f"component {j} has no responsibility at Theta^(t) (N_j = 0): the bound does not depend on "
            "its mean. Pick another component or parameters."
        )
    # Along the slice only column j of ln p(x, z; Theta) changes. With Lambda = Sigma_j^{-1},
    # g_i = (Lambda (x^(i) - mu_j))_d and delta = theta - theta_t:
    # ln N(x; mu_j + delta e_d, Sigma_j) = ln N(x; mu_j, Sigma_j) + delta g_i - delta^2 Lambda_dd / 2 (exact).
    Lam = np.linalg.inv(params.Sigma[j])
    g = (X - params.mu[j]) @ Lam[:, d]
    lam = Lam[d, d]

    def column_j(theta):
        delta = np.asarray(theta, dtype=float)[:, None] - theta_t
        return lj[None, :, j] + delta * g[None, :] - 0.5 * lam * delta**2  # (len(theta), m)

    # Maximiser of B_t along the slice: d/d delta sum_i w_ij (delta g_i - delta^2 lam / 2) = 0.
    theta_next = theta_t + float(W[:, j] @ g) / (N_j * lam)
    params_next = _with_mean(params, j, d, theta_next)
    W_next = e_step(X, params_next)

    if grid is None:
        sd = np.sqrt(params.Sigma[j, d, d])
        pad = max(0.6 * abs(theta_next - theta_t), 1.5 * sd)
        lo, hi = min(theta_t, theta_next) - pad, max(theta_t, theta_next) + pad
        grid = np.linspace(lo, hi, 401)
    grid = np.asarray(grid, dtype=float)
    if grid.ndim != 1 or grid.size < 3 or not np.all(np.isfinite(grid)):
        raise ValueError(f"grid must be a 1-D array of at least 3 finite values; got shape {grid.shape}.")
    theta = np.union1d(grid, [theta_t, theta_next])  # so the touching points are drawn exactly

    col = column_j(theta)
    others = np.delete(lj, j, axis=1)
    rest = logsumexp(others, axis=1) if others.shape[1] else np.full(X.shape[0], -np.inf)
    l_curve = np.logaddexp(col, rest[None, :]).sum(axis=1)
    # B(theta) = L(q, Theta^(anchor)) + sum_i w_ij (ln p_j(theta) - ln p_j(anchor)): anchored on emlab.elbo.
    col_next = column_j([theta_next])[0]
    bound = elbo(X, W, params) + (col - lj[None, :, j]) @ W[:, j]
    next_bound = elbo(X, W_next, params_next) + (col - col_next[None, :]) @ W_next[:, j]
    l_t = log_likelihood(X, params)
    l_next = log_likelihood(X, params_next)
    bound_at_next = float(bound[np.searchsorted(theta, theta_next)])
    fig, ax = figure_and_axes(ax)
    name = rf"\mu_{{{j + 1}}}" if params.n == 1 else rf"\mu_{{{j + 1},{d + 1}}}"
    lines = {}
    (lines["l"],) = ax.plot(theta, l_curve, color="black", linewidth=3.0, label=r"$\ell(\theta)$", zorder=3)
    (lines["bound"],) = ax.plot(
        theta, bound, color=PALETTE[0], linestyle="--", linewidth=2.5,
        label=r"bound $\mathcal{L}(q^{(t)},\theta)$, built at $\theta_t$", zorder=4,
    )  # fmt: skip
    (lines["next_bound"],) = ax.plot(
        theta, next_bound, color=PALETTE[2], linestyle="-.", linewidth=2.5,
        label=r"next bound $\mathcal{L}(q^{(t+1)},\theta)$, built at $\theta_{t+1}$", zorder=4,
    )  # fmt: skip
    (lines["touch_t"],) = ax.plot(
        theta_t, l_t, linestyle="none", marker="o", markersize=12, color=PALETTE[0], markeredgecolor="black",
        label=r"E-step: bound touches $\ell$ at $\theta_t$", zorder=6,
    )  # fmt: skip
    (lines["bound_max"],) = ax.plot(
        theta_next, bound_at_next, linestyle="none", marker="^", markersize=13, color=PALETTE[1],
        markeredgecolor="black", label=r"M-step: the bound's maximum, at $\theta_{t+1}$", zorder=6,
    )  # fmt: skip
    (lines["touch_next"],) = ax.plot(
        theta_next, l_next, linestyle="none", marker="s", markersize=11, color=PALETTE[2],
        markeredgecolor="black", label=r"next E-step: touches at $\theta_{t+1}$", zorder=6,
    )  # fmt: skip

    # Zoom on l: the bounds fall away quadratically and would squash everything else.
    span = max(float(l_curve.max() - l_curve.min()), 1e-6 * max(1.0, abs(l_t)))
    y_lo = min(float(l_curve.min()), l_t) - 0.12 * span
    y_hi = float(l_curve.max()) + 0.28 * span  # head-room for the legend
    ax.set_ylim(y_lo, y_hi)
    ax.set_xlim(theta.min(), theta.max())
    for v, lab in ((theta_t, r"$\theta_t$"), (theta_next, r"$\theta_{t+1}$")):
        ax.axvline(v, color="0.55", linestyle=":", linewidth=1.4, zorder=1)
        ax.annotate(lab, (v, 0.0), xycoords=("data", "axes fraction"), xytext=(4, 6), textcoords="offset points",
                    fontsize=14)  # fmt: skip
    ax.annotate(
        "", xy=(theta_next, bound_at_next), xytext=(theta_t, l_t),
        arrowprops={"arrowstyle": "-|>", "color": PALETTE[1], "linewidth": 2.0, "connectionstyle": "arc3,rad=-0.2",
                    "shrinkA": 7, "shrinkB": 8},
    )  # fmt: skip
    if l_next - bound_at_next > 1e-9 * max(1.0, abs(l_next)):
        ax.annotate(
            "", xy=(theta_next, l_next), xytext=(theta_next, bound_at_next),
            arrowprops={"arrowstyle": "<->", "color": PALETTE[5], "linewidth": 1.8, "shrinkA": 0, "shrinkB": 0},
        )  # fmt: skip
        # The label sits in the empty band under the legend, on the far side of theta_t from the step
        # (the bounds there have already fallen below l), with an arrow to the gap; opaque so no curve
        # runs through the text.
        gap = l_next - bound_at_next
        left_step = theta_next < theta_t
        gap_text = ax.annotate(
            gap_label.format(gap=gap), xy=(theta_next, 0.5 * (l_next + bound_at_next)),
            xytext=(0.98 if left_step else 0.02, 0.66), textcoords="axes fraction", va="top",
            ha="right" if left_step else "left", fontsize=12, color="black", zorder=8,
            bbox={"boxstyle": "round,pad=0.3", "facecolor": "white", "edgecolor": PALETTE[5], "alpha": 1.0},
            arrowprops={"arrowstyle": "-", "color": PALETTE[5], "linewidth": 1.0, "shrinkA": 0, "shrinkB": 4},
        )  # fmt: skip
    else:
        gap_text = None
    ax.set_xlabel(rf"$\theta = {name}$ (other parameters fixed at $\Theta^{{(t)}}$)")
    ax.set_ylabel(r"$\ell(\theta)$ and its lower bounds (nats)")
    ax.set_title(title if title is not None else rf"EM along ${name}$: the bound touches, the M-step climbs it")
    legend = ax.legend(loc="upper center", ncols=2, fontsize=11)
    return EMBoundArtists(
        fig=fig, ax=ax, theta=theta, l=l_curve, bound=bound, next_bound=next_bound, theta_t=theta_t,
        theta_next=theta_next, l_t=l_t, l_next=l_next, bound_at_next=bound_at_next, lines=lines, legend=legend,
        gap_text=gap_text,
    )  # fmt: skip


# ---------------------------------------------------------------------------------------------- elbo_kl


@dataclass(repr=False)
class ELBOKLArtists:
    """What :func:`elbo_kl` drew.

    The x axis has two positions per EM iteration t: t - 1/2 (after the E-step) and t (after the M-step).

    Attributes
    ----------
    fig, ax : the Figure and Axes.
    steps : ndarray
        x positions of the bars (t - 1/2, t, t + 1/2, ...).
    is_m_step : ndarray of bool
        True at the after-M-step positions.
    elbo, kl, l : ndarray
        ELBO L(q, Theta), KL(q || p(z|x; Theta)) and l(Theta) at each position (KL = 0 after an E-step).
    baseline : float
        Where the ELBO bars start (the bottom of the axes): a round value just below the lowest ELBO,
        named in the y label (the axis is cut; the bars do not start at 0).
    elbo_bars, kl_bars : BarContainer
        One bar per position; each KL bar is stacked on its ELBO bar and ends at l.
    l_line : Line2D
        l(Theta) across the positions.
    e_markers, m_markers : Line2D
        Markers on l after the E-steps (circles) and after the M-steps (squares).
    legend : Legend
    """

    fig: plt.Figure
    ax: plt.Axes
    steps: np.ndarray
    is_m_step: np.ndarray
    elbo: np.ndarray
    kl: np.ndarray
    l: np.ndarray
    baseline: float
    elbo_bars: object
    kl_bars: object
    l_line: Line2D
    e_markers: Line2D
    m_markers: Line2D
    legend: object

    _repr_fields = ("steps", "elbo", "kl", "l")
    __repr__ = no_address_repr


def _check_history(history) -> dict:
    try:
        h = {key: np.asarray(history[key], dtype=float) for key in HISTORY_KEYS}
    except (KeyError, TypeError):
        have = sorted(history) if hasattr(history, "keys") else type(history).__name__
        raise ValueError(
            f"history must be a dict with keys {list(HISTORY_KEYS)} (a fitted GaussianMixture's history_); "
            f"got {have}."
        ) from None
    sizes = {h[key].shape for key in HISTORY_KEYS}
    if len(sizes) != 1 or h["log_likelihood"].ndim != 1 or h["log_likelihood"].size == 0:
        raise ValueError(
            "history entries must be 1-D arrays of the same length (one value per EM iteration); got shapes "
            + ", ".join(f"{key}: {h[key].shape}" for key in HISTORY_KEYS)
        )
    for key, v in h.items():
        if not np.all(np.isfinite(v)):
            raise ValueError(f"history[{key!r}] contains NaN or inf; every value must be finite.")
    scale = max(1.0, float(np.abs(h["log_likelihood"]).max()))
    if np.any(h["kl_after_m"] < -1e-8 * scale):
        raise ValueError("history['kl_after_m'] has negative values: a KL divergence is >= 0.")
    return h


def elbo_kl(history, ax=None, iterations=None, title=None):
    """ELBO and KL stacked to l(Theta) over EM iterations, E-steps and M-steps told apart.

    ln p(x; Theta) = L(q, Theta) + KL(q || p(z | x; Theta)), summed over the data. After the E-step of
    iteration t (x = t - 1/2), q is the posterior: KL = 0 and the ELBO equals l(Theta^(t-1)). After the
    M-step (x = t) the ELBO has risen and a KL gap has opened; l(Theta^(t)) is their sum.

    Parameters
    ----------
    history : dict
        ``GaussianMixture.history_``: 1-D arrays ``log_likelihood``, ``elbo_after_e``,
        ``elbo_after_m``, ``kl_after_m``, one entry per iteration (totals over the data, nats).
    ax : matplotlib Axes, optional
    iterations : int or (int, int), optional
        Show iterations 1..n, or first..last (1-based, inclusive). Default: all of them.
    title : str, optional

    Returns
    -------
    ELBOKLArtists
    """
    h = _check_history(history)
    T = h["log_likelihood"].size
    if iterations is None:
        first, last = 1, T
    elif isinstance(iterations, (int, np.integer)) and not isinstance(iterations, bool):
        first, last = 1, int(iterations)
    else:
        first, last = (int(v) for v in iterations)
    if not 1 <= first <= last <= T:
        raise ValueError(f"iterations must select a range within 1..{T} (the history's length); got {iterations!r}.")
    t = np.arange(first, last + 1)
    sel = t - 1
    steps = np.column_stack([t - 0.5, t]).ravel()
    is_m = np.tile([False, True], t.size)
    elbo_v = np.column_stack([h["elbo_after_e"][sel], h["elbo_after_m"][sel]]).ravel()
    kl_v = np.column_stack([np.zeros(t.size), h["kl_after_m"][sel]]).ravel()
    # After an E-step the bound is tight, so l(Theta^(t-1)) = ELBO after E; after the M-step it is
    # ELBO + KL. Stacking draws exactly that sum.
    l_v = elbo_v + kl_v

    fig, ax = figure_and_axes(ax)
    span = float(l_v.max() - elbo_v.min())
    span = span if span > 0 else max(1.0, abs(float(l_v.max())) * 1e-3)
    # The bars cannot start at 0 (l is hundreds of nats below it and the steps are a few nats), so the
    # axis is cut: they start at a round value just below the lowest ELBO, l(Theta^(first-1)), and the
    # y label says so.
    raw = float(elbo_v.min()) - 0.15 * span
    unit = 10.0 ** np.floor(np.log10(0.15 * span))
    baseline = float(np.floor(raw / unit) * unit)
    width = 0.4
    alphas = np.where(is_m, 1.0, 0.55)
    e_col = np.array([(*PALETTE[0], a) for a in alphas])
    elbo_bars = ax.bar(steps, elbo_v - baseline, bottom=baseline, width=width, color=e_col,
                       edgecolor=PALETTE[0], linewidth=1.0, label=r"ELBO $\mathcal{L}(q,\Theta)$")  # fmt: skip
    kl_bars = ax.bar(steps, kl_v, bottom=elbo_v, width=width, color=(*PALETTE[1], 0.85), edgecolor="black",
                     hatch="//", linewidth=0.8,
                     label=r"KL$(q\,\|\,p(z\,|\,x;\Theta))$")  # fmt: skip
    (l_line,) = ax.plot(steps, l_v, color="black", linewidth=1.8, label=r"$\ell(\Theta)$ = ELBO + KL", zorder=5)
    (e_markers,) = ax.plot(steps[~is_m], l_v[~is_m], linestyle="none", marker="o", markersize=9,
                           color=PALETTE[0], markeredgecolor="black", zorder=6,
                           label="after E-step: KL = 0")  # fmt: skip
    (m_markers,) = ax.plot(steps[is_m], l_v[is_m], linestyle="none", marker="s", markersize=9,
                           color=PALETTE[1], markeredgecolor="black", zorder=6,
                           label="after M-step: KL gap opens")  # fmt: skip
    ax.set_ylim(baseline, float(l_v.max()) + 0.5 * span)  # head-room for the three-row legend
    ax.set_xlim(steps[0] - 0.5, steps[-1] + 0.5)
    if t.size <= 10:
        ax.set_xticks(steps, [f"{'M' if m else 'E'}{tt}" for m, tt in zip(is_m, np.repeat(t, 2), strict=True)])
        ax.set_xlabel("EM step: E$t$ = after the E-step of iteration $t$, M$t$ = after its M-step")
    else:
        every = int(np.ceil(t.size / 10))
        ax.set_xticks(t[::every])
        ax.set_xlabel(r"EM iteration $t$ (E-step at $t-\frac{1}{2}$, M-step at $t$)")
    ax.tick_params(axis="x", labelsize=12)
    ax.set_ylabel(f"nats, totals over the data\n(axis cut: bars start at {baseline:g}, not at 0)")
    ax.grid(axis="x", visible=False)
    if title is None:
        shown = f"iterations {first}-{last} of {T}" if (first, last) != (1, T) else f"{T} iterations"
        title = rf"$\ell(\Theta) = \mathcal{{L}}(q,\Theta) + $ KL, over EM ({shown})"
    ax.set_title(title)
    # One ELBO container, two shades: give each shade its own legend entry.
    handles = [
        l_line, e_markers, m_markers,
        Patch(facecolor=e_col[0], edgecolor=PALETTE[0], label=r"ELBO $\mathcal{L}(q,\Theta)$ after an E-step"),
        Patch(facecolor=(*PALETTE[0], 1.0), edgecolor=PALETTE[0],
              label=r"ELBO $\mathcal{L}(q,\Theta)$ after an M-step"),
        kl_bars,
    ]  # fmt: skip
    legend = ax.legend(handles=handles, loc="upper center", ncols=2, fontsize=11)
    return ELBOKLArtists(
        fig=fig, ax=ax, steps=steps, is_m_step=is_m, elbo=elbo_v, kl=kl_v, l=l_v, baseline=baseline,
        elbo_bars=elbo_bars, kl_bars=kl_bars, l_line=l_line, e_markers=e_markers, m_markers=m_markers,
        legend=legend,
    )  # fmt: skip
