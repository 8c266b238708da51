"""The course's figures on the course's data, rendered to PNG for review at a glance.

Usage::

    python -m emlab.gallery OUTDIR            # all figures -> OUTDIR/<name>.png
    python -m emlab.gallery OUTDIR --only gmm_2d_soft em_panels_faithful
    python -m emlab.gallery --list

:data:`GALLERY` maps each name to a zero-argument function that returns a matplotlib Figure drawn by one
of the :mod:`emlab.plots` functions; a new figure of the course gets a builder here. The builders own the
example data and the demo runs (:func:`faithful_em_run`), so :mod:`emlab.plots` itself never loads a data
set or fits anything. Figures are drawn with the Agg backend (no display needed) in the course style.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path

import numpy as np

from . import datasets
from .core import log_likelihood, run_em
from .covariance import n_parameters
from .params import GMMParams

__all__ = ["GALLERY", "FAITHFUL_START", "faithful_em_run", "digits_fit", "collect", "render", "main"]


def _plots():
    # Imported on first use: the command selects the Agg backend before pyplot is loaded.
    from . import plots

    return plots


# ----------------------------------------------------------------------------------------------------------
# Demo runs
# ----------------------------------------------------------------------------------------------------------
# Bishop-like start on standardised Old Faithful: two round components off the data's main diagonal; EM
# first stretches both along it, then separates the two clusters (converged by t = 20).
FAITHFUL_START = {"phi": [0.5, 0.5], "mu": [[-1.5, 1.0], [1.5, -1.0]], "Sigma": [0.5 * np.eye(2)] * 2}


@lru_cache(maxsize=2)
def faithful_em_run(T: int = 20):
    """(Xs, (Theta^(0), ..., Theta^(T))) on standardised Old Faithful from :data:`FAITHFUL_START`.

    The gallery's demo run: T EM iterations of :func:`emlab.run_em` with ``tol=0`` (no early stop), so
    every panel of the Fig. 9.8 schedule exists.
    """
    Xs, _, _ = datasets.standardize(datasets.load_faithful())
    _, history = run_em(Xs, GMMParams(**FAITHFUL_START), max_iter=T, tol=0.0, record_params=True)
    Xs.setflags(write=False)  # cached and shared between figures
    return Xs, tuple(history["params"])


def _two_clusters_fit():
    X, _ = datasets.two_clusters_2d(seed=0)
    start = GMMParams(phi=[0.5, 0.5], mu=[[5.0, 5.0], [15.0, 5.0]], Sigma=[20.0 * np.eye(2)] * 2)
    params, _ = run_em(X, start, max_iter=100, tol=1e-8)
    return X, start, params


def _example_1d():
    x, _ = datasets.two_gaussians_1d()
    # The start used in notebooks 03 and 04: both means in the middle, wide variances.
    return x, GMMParams(phi=[0.5, 0.5], mu=[4.0, 6.0], Sigma=[9.0, 9.0])


# ----------------------------------------------------------------------------------------------------------
# Section 1: densities
# ----------------------------------------------------------------------------------------------------------
def _mixture_hist():
    x, z = datasets.two_gaussians_1d()
    return _plots().mixture_1d(x, z).fig


def _mixture_kde_fitted():
    x, z = datasets.two_gaussians_1d()
    # Illustrative parameters (the true ones): drawing a mixture needs no fitting.
    params = GMMParams(phi=[0.5, 0.5], mu=[1.0, 10.0], Sigma=[1.0, 1.0])
    return _plots().mixture_1d(x, z, params=params, kind="kde").fig


def _loglik_surface():
    x, _ = datasets.two_gaussians_1d()
    grid = np.linspace(-2.0, 13.0, 121)
    return _plots().loglik_surface(x, grid, grid).fig


# ----------------------------------------------------------------------------------------------------------
# Sections 2-4: Jensen, the EM bound, ELBO and KL
# ----------------------------------------------------------------------------------------------------------
def _jensen_log():
    return _plots().jensen().fig


def _jensen_convex_many():
    return _plots().jensen(np.exp, x=(-1.0, 0.0, 0.7, 1.5), p=(0.2, 0.3, 0.3, 0.2), xlim=(-1.5, 2.0)).fig


def _jensen_static():
    return _plots().jensen_static().fig


def _em_bound():
    x, theta0 = _example_1d()
    return _plots().em_bound(x, theta0, index=(0, "mu")).fig


def _elbo_kl():
    x, theta0 = _example_1d()
    # Eight iterations, no early stop: the history_ schema, recorded by run_em.
    _, history = run_em(x, theta0, max_iter=8, tol=0.0)
    return _plots().elbo_kl(history).fig


# ----------------------------------------------------------------------------------------------------------
# Sections 5-7: 2-D mixtures, EM in pictures, model choice
# ----------------------------------------------------------------------------------------------------------
def _gmm_soft():
    # Old Faithful two iterations in: the components still overlap, so many points are shared.
    Xs, snaps = faithful_em_run()
    return _plots().gmm_2d(Xs, snaps[2], soft=True, title="Old Faithful, $\\Theta^{(2)}$: soft responsibilities",
                           xlabel="eruptions (std.)", ylabel="waiting (std.)").ax.figure


def _gmm_hard():
    X, _, params = _two_clusters_fit()
    return _plots().gmm_2d(X, params, soft=False,
                           title="converged: hard assignments (argmax $w_j^{(i)}$)").ax.figure


def _covariance_types():
    """One fitted full-covariance mixture drawn in each of the four covariance structures."""
    import matplotlib.pyplot as plt

    from .plots._common import GREY, legend_handles

    Xs, snaps = faithful_em_run()
    p = snaps[-1]
    full = np.asarray(p.Sigma)
    forms = {
        "full": full,
        "tied": np.einsum("j,jab->ab", p.phi, full),
        "diag": np.diagonal(full, axis1=1, axis2=2),
        "spherical": np.diagonal(full, axis1=1, axis2=2).mean(axis=1),
    }
    fig, axes = plt.subplots(2, 2, figsize=(11, 9), sharex=True, sharey=True, layout="constrained")
    for a, (ct, cov) in zip(axes.ravel(), forms.items(), strict=True):
        a.scatter(Xs[:, 0], Xs[:, 1], s=14, color=GREY, alpha=0.6, linewidths=0)
        _plots().ellipses(p.mu, cov, ct, mass=0.95, ax=a)
        a.set_title(f'covariance_type="{ct}"')
        a.set_xlabel("eruption duration (std.)")
        a.set_ylabel("waiting time (std.)")
    fig.legend(handles=legend_handles(p.k, None, True), loc="outside lower center", ncols=p.k + 1)
    fig.suptitle("95% ellipses for the four covariance structures")
    return fig


def _em_panels():
    Xs, snaps = faithful_em_run()
    art = _plots().em_panels(Xs, snaps, xlabel="eruptions (std.)", ylabel="waiting (std.)")
    art.fig.suptitle("EM on Old Faithful (standardised), PRML Fig. 9.8 schedule")
    return art.fig


def _loglik_trace():
    Xs, snaps = faithful_em_run()
    return _plots().loglik_trace([log_likelihood(Xs, s) for s in snaps]).ax.figure


def _information_criteria():
    """BIC/AIC of K = 1..5 on Old Faithful (raw units), each K fitted by the functional core's run_em."""
    X = datasets.load_faithful()
    m, n = X.shape
    ks, bic, aic = np.arange(1, 6), [], []
    order = np.argsort(X[:, 0] + X[:, 1] / X[:, 1].std())
    for k in ks:
        # Deterministic start: k points spread along the data's main direction, shared covariance.
        idx = order[((np.arange(k) + 0.5) / k * m).astype(int)]
        start = GMMParams(phi=np.full(k, 1.0 / k), mu=X[idx], Sigma=[np.cov(X.T)] * k)
        params, _ = run_em(X, start, max_iter=300, tol=1e-6, reg_covar=1e-6)
        l = log_likelihood(X, params)
        p = n_parameters(k, n)
        bic.append(-2 * l + p * np.log(m))
        aic.append(-2 * l + 2 * p)
    return _plots().information_criteria(ks, bic, aic, title="Old Faithful: choosing $K$").ax.figure


def _em_static():
    Xs, snaps = faithful_em_run()
    art = _plots().em_static(Xs, snaps, xlabel="eruptions (std.)", ylabel="waiting (std.)")
    art.fig.suptitle("EM on Old Faithful: the stepper's static fallback")
    return art.fig


def _em_stepper_frame():
    Xs, snaps = faithful_em_run()
    stepper = _plots().em_stepper(Xs, snaps, xlabel="eruptions (std.)", ylabel="waiting (std.)")
    stepper.show(9)  # iteration 5, after its E-step: points recoloured, ellipses not yet moved
    return stepper.fig


def _soft_to_hard():
    """Notebook 08: the equal-weight, shared sigma^2 I mixture's responsibilities hardening as sigma shrinks."""
    X, _ = datasets.two_clusters_2d(seed=0)
    Xs, _, _ = datasets.standardize(X)
    means = np.array([[-0.5, -0.2], [0.5, 0.3]])
    return _plots().soft_to_hard(Xs, means, sigmas=(1.0, 0.4, 0.05)).fig


@lru_cache(maxsize=1)
def digits_fit():
    """BernoulliMixture(K = 10, alpha = 1) on the binarised digits, as notebook 08 fits it."""
    from .bernoulli import BernoulliMixture

    X, _ = datasets.load_digits_binary()
    return BernoulliMixture(n_components=10, alpha=1.0, n_init=5, random_state=0).fit(X)


def _digits_prototypes():
    bm = digits_fit()
    order = np.argsort(-bm.weights_)
    titles = [f"$\\phi$ = {bm.weights_[j]:.2f}" for j in order]
    title = "Bernoulli mixture on the digits: the $\\mu_j$"
    return _plots().image_grid(bm.means_[order], titles=titles, title=title).fig


def _imputation_faithful():
    """Notebook 09: Old Faithful with 30% of the values removed, imputed by the mixture fitted with missing values."""
    from .mixture import GaussianMixture

    X, _, _ = datasets.standardize(datasets.load_faithful())
    rng = np.random.default_rng(30)
    mask = np.zeros(X.size, dtype=bool)
    mask[rng.choice(X.size, size=round(0.3 * X.size), replace=False)] = True
    mask = mask.reshape(X.shape)
    keep = ~mask.all(axis=1)
    Xm = np.where(mask, np.nan, X)[keep]
    gm = GaussianMixture(n_components=2, missing="marginalize", random_state=0).fit(Xm)
    art = _plots().imputation_2d(Xm, gm, X_true=X[keep], labels=("eruption (std.)", "waiting (std.)"),
                                 title="Old Faithful, 30% missing: imputed values $\\pm$ 2 sd")
    return art.ax.figure


def _failure_rate():
    """Notebook 09's figure: how often EM meets a singular covariance, by dimension, with and without the prior."""
    from .mixture import GaussianMixture

    dims, trials = (2, 6, 10, 14), 5
    rates = {"maximum likelihood": [], "MAP, conjugate prior": []}
    for n in dims:
        failed = dict.fromkeys(rates, 0)
        for trial in range(trials):
            rng = np.random.default_rng(1000 * n + trial)
            X = rng.standard_normal((40, n)) + 2 * rng.standard_normal((3, n))[rng.integers(3, size=40)]
            for name, kw in (("maximum likelihood", {}), ("MAP, conjugate prior", {"prior": "conjugate"})):
                try:
                    GaussianMixture(n_components=3, reg_covar=0.0, max_iter=200, random_state=trial, **kw).fit(X)
                except ValueError:
                    failed[name] += 1
        for name in rates:
            rates[name].append(failed[name] / trials)
    return _plots().failure_rate(dims, rates, trials=trials).ax.figure


# ----------------------------------------------------------------------------------------------------------
# Notebook 10: how fast EM is
# ----------------------------------------------------------------------------------------------------------
def _two_components_1d(d, m=1000, seed=1):
    """60% of m points from N(0, 1) and 40% from N(d, 1), as a column, and a start near the truth."""
    rng = np.random.default_rng(seed)
    X = np.r_[rng.normal(0.0, 1.0, 3 * m // 5), rng.normal(d, 1.0, 2 * m // 5)][:, None]
    start = {"weights_init": [0.5, 0.5], "means_init": [[-0.5], [d + 0.5]], "precisions_init": [[[1.0]], [[1.0]]]}
    return X, start


def _rate_vs_separation():
    from . import rate
    from .mixture import GaussianMixture

    seps = [1.5, 2.0, 2.5, 3.0, 3.5, 4.0, 5.0, 6.0]
    rates = []
    for d in seps:
        X, start = _two_components_1d(d)
        gm = GaussianMixture(2, reg_covar=0.0, tol=1e-14, max_iter=20_000, accelerate="squarem", **start).fit(X)
        rates.append(rate.largest_eigenvalue(rate.em_jacobian(X, gm.params_)))
    return _plots().rate_vs_separation(seps, rates).ax.figure


def _convergence_gaps():
    from . import rate
    from .mixture import GaussianMixture

    X, start = _two_components_1d(2.0)
    em = GaussianMixture(2, reg_covar=0.0, tol=1e-13, max_iter=20_000, **start).fit(X)
    M = rate.em_map(X, 2)

    def log_lik(theta):
        return -rate.negative_log_likelihood_and_gradient(theta, X, 2)[0]

    theta, step_max, passes, values = rate.to_unconstrained(GMMParams(*_start_arrays(start))), 1.0, [0], []
    values.append(log_lik(theta))
    while passes[-1] < em.n_iter_ and (len(values) < 2 or values[-1] - values[-2] > 1e-13):
        theta, info = rate.squarem_step(theta, M, log_lik, step_max)
        step_max = info.step_max
        passes.append(passes[-1] + info.n_evaluations)
        values.append(log_lik(theta))
    best = max(max(values), max(em.lower_bounds_))
    gaps = {
        "plain EM": (np.arange(1, len(em.lower_bounds_) + 1), best - np.asarray(em.lower_bounds_)),
        "SQUAREM": (np.asarray(passes), best - np.asarray(values)),
    }
    return _plots().convergence_gaps(gaps).ax.figure


def _start_arrays(start):
    return start["weights_init"], start["means_init"], np.linalg.inv(np.asarray(start["precisions_init"]))


def _stream_scores():
    from .mixture import GaussianMixture

    rng = np.random.default_rng(0)
    means = np.array([[0.0, 0.0], [3.0, 1.0], [-1.0, 3.0]])

    def draw(m, gen):
        z = gen.choice(3, size=m, p=[0.5, 0.3, 0.2])
        return means[z] + gen.normal(size=(m, 2))

    held_out = draw(10_000, np.random.default_rng(99))
    online, seen, scores, batches = GaussianMixture(3, random_state=0), [], [], []
    for t in range(100):
        batches.append(draw(1000, rng))
        online.partial_fit(batches[-1])
        seen.append(1000 * (t + 1))
        scores.append(online.score(held_out))
    batch = GaussianMixture(3, random_state=0, tol=1e-6).fit(np.vstack(batches))
    return _plots().stream_scores(seen, scores, batch.score(held_out)).ax.figure


#: Every figure of the gallery: {name: zero-argument function returning a matplotlib Figure}.
GALLERY: dict[str, Callable] = {
    "mixture_1d_hist": _mixture_hist,
    "mixture_1d_kde_fitted": _mixture_kde_fitted,
    "loglik_surface": _loglik_surface,
    "jensen_log": _jensen_log,
    "jensen_convex_many": _jensen_convex_many,
    "jensen_widget_static": _jensen_static,
    "em_bound": _em_bound,
    "elbo_kl": _elbo_kl,
    "gmm_2d_soft": _gmm_soft,
    "gmm_2d_hard": _gmm_hard,
    "ellipses_covariance_types": _covariance_types,
    "em_panels_faithful": _em_panels,
    "loglik_trace_faithful": _loglik_trace,
    "information_criteria_faithful": _information_criteria,
    "em_static_faithful": _em_static,
    "em_stepper_frame": _em_stepper_frame,
    "soft_to_hard": _soft_to_hard,
    "digits_prototypes": _digits_prototypes,
    "imputation_faithful": _imputation_faithful,
    "failure_rate_mle_map": _failure_rate,


    "rate_vs_separation": _rate_vs_separation,
    "convergence_gaps": _convergence_gaps,
    "stream_scores": _stream_scores,
}


def collect() -> dict[str, Callable]:
    """All registered figures, {name: builder} (a copy of :data:`GALLERY`)."""
    for name, builder in GALLERY.items():
        if not callable(builder):
            raise ValueError(f"GALLERY[{name!r}] must be a zero-argument function.")
    return dict(GALLERY)


def render(outdir, names=None, dpi: float = 100, verbose: bool = False) -> list[Path]:
    """Draw the figures ``names`` (default: all) and save each as ``outdir/<name>.png``.

    Parameters
    ----------
    outdir : path-like
        Created if missing.
    names : iterable of str, optional
    dpi : float, default 100
    verbose : bool, default False
        Print one line per figure (path and seconds).

    Returns
    -------
    list of Path
        The files written, in name order.
    """
    import matplotlib.pyplot as plt
    from matplotlib.figure import Figure

    from .style import course_style

    registry = collect()
    names = sorted(registry) if names is None else list(names)
    unknown = [n for n in names if n not in registry]
    if unknown:
        raise ValueError(f"unknown gallery figure(s) {unknown}; available: {sorted(registry)}.")
    out = Path(outdir)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name in names:
        start = time.perf_counter()
        with course_style():
            fig = registry[name]()
            if not isinstance(fig, Figure):
                raise ValueError(f"GALLERY[{name!r}] returned {type(fig).__name__}, not a matplotlib Figure.")
            path = out / f"{name}.png"
            fig.savefig(path, dpi=dpi)
        plt.close(fig)
        written.append(path)
        if verbose:
            print(f"{path}  ({time.perf_counter() - start:.1f} s)")
    return written


def main(argv=None) -> int:
    """Command line: ``python -m emlab.gallery OUTDIR [--only NAME ...] [--dpi DPI] [--list]``."""
    parser = argparse.ArgumentParser(prog="python -m emlab.gallery", description=__doc__.splitlines()[0])
    parser.add_argument("outdir", nargs="?", help="folder for the PNG files")
    parser.add_argument("--only", nargs="+", metavar="NAME", help="render only these figures")
    parser.add_argument("--dpi", type=float, default=100)
    parser.add_argument("--list", action="store_true", help="list the registered figures and exit")
    args = parser.parse_args(argv)
    import matplotlib

    # No display needed; set here, not at import, so importing this module never changes a notebook's backend.
    matplotlib.use("Agg")
    if args.list:
        for name in sorted(collect()):
            print(name)
        return 0
    if not args.outdir:
        parser.error("OUTDIR is required (or use --list)")
    written = render(args.outdir, names=args.only, dpi=args.dpi, verbose=True)
    print(f"{len(written)} figures written to {Path(args.outdir).resolve()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
