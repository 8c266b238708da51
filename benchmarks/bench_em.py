"""Per-iteration cost of EM: emlab.GaussianMixture vs scikit-learn vs the naive tutorial loop.

Usage::

    python benchmarks/bench_em.py            # full run: m in 1e3..1e6 (several minutes)
    python benchmarks/bench_em.py --quick    # m in 1e3..1e5, fewer repeats (about a minute)
    python benchmarks/bench_em.py --bernoulli   # only emlab.BernoulliMixture (see bench_bernoulli)
    python benchmarks/bench_em.py --missing  # only the missing-values case (issue 12), about a minute

Every timing starts from the same Theta^(0) (weights, means and precisions
passed as *_init), runs a fixed number of EM iterations (tol=0), and the runs of
emlab, scikit-learn and the loop are interleaved so that machine noise hits all
of them alike. Before each timed call the benchmark rests ``--settle`` seconds,
so that OpenBLAS threads left spinning by the previous call do not steal its CPU.
Per-iteration time = median fit time / iterations (the one final E-step both
estimators do is included in that share). The whole table is produced twice:
with BLAS limited to one thread, then with the default threads.
The naive loop (``emlab.loop_em_step``: per point, per component,
``scipy.stats.multivariate_normal.pdf``) runs only for m <= 1000.

Floors this benchmark reports on (issue 2, section 5):
  * emlab <= 0.5 x scikit-learn per iteration at m >= 1e5 with 1 thread, for both shapes;
  * emlab with default threads no slower than with 1 thread (measured emlab-only, interleaved);
  * the 70-point 2-D example (K=2, tol=1e-4) fits in <= 1 ms.

Missing values (issue 12, ``--missing``): m = 1e5, n = 5, k = 4 with 20% of the
entries removed at random (each row keeps at least one), fitted with
``missing='marginalize'``, against the same fit on the complete data, both from
the same Theta^(0). Goal: per-iteration time within 3x of the complete fit.
"""

from __future__ import annotations

import argparse
import contextlib
import time
import warnings

import numpy as np
from threadpoolctl import threadpool_info, threadpool_limits

from emlab import BernoulliMixture, GaussianMixture, GMMParams, loop_em_step

SHAPES = ((2, 3), (10, 8))


def make_problem(m, n, k, seed=0):
    """Data from a k-component mixture in R^n and a common starting point Theta^(0)."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(scale=4.0, size=(k, n))
    z = rng.integers(k, size=m)
    X = centres[z] + rng.normal(size=(m, n)) * rng.uniform(0.5, 1.5, size=k)[z, None]
    start = {
        "weights_init": np.full(k, 1.0 / k),
        "means_init": X[rng.choice(m, size=k, replace=False)],
        "precisions_init": np.broadcast_to(np.eye(n) / X.var(axis=0).mean(), (k, n, n)).copy(),
    }
    return X, start


SETTLE = 0.25  # seconds of rest before each timed call (set by --settle)


def time_call(fn, *args):
    # OpenBLAS worker threads busy-wait for a while after a multi-threaded call (about 0.1 s);
    # resting first keeps one library's spinning threads from slowing the next one's timing.
    time.sleep(SETTLE)
    t0 = time.perf_counter()
    out = fn(*args)
    return time.perf_counter() - t0, out


def param_diff(a, b):
    """Max relative difference of weights, means, covariances between two fitted mixtures."""
    worst = 0.0
    for name in ("weights_", "means_", "covariances_"):
        x, y = getattr(a, name), getattr(b, name)
        worst = max(worst, float(np.max(np.abs(x - y)) / max(np.max(np.abs(y)), 1e-300)))
    return worst


def bench_size(m, n, k, n_iter, repeats, with_sklearn=True):
    from sklearn.mixture import GaussianMixture as SkGaussianMixture

    X, start = make_problem(m, n, k)
    kw = dict(tol=0.0, max_iter=n_iter, **start)
    ours, theirs, loop = [], [], []
    fitted = {}
    params0 = GMMParams(
        phi=start["weights_init"], mu=start["means_init"], Sigma=np.linalg.inv(start["precisions_init"])
    )
    for r in range(repeats):
        order = ("emlab", "sklearn") if r % 2 == 0 else ("sklearn", "emlab")
        for who in order:
            if who == "emlab":
                t, fitted["emlab"] = time_call(lambda: GaussianMixture(k, **kw).fit(X))
                ours.append(t / n_iter)
            elif with_sklearn:
                t, fitted["sklearn"] = time_call(lambda: SkGaussianMixture(k, **kw).fit(X))
                theirs.append(t / n_iter)
        if m <= 1000 and r < 2:
            t, _ = time_call(lambda: loop_em_step(X, params0))
            loop.append(t)
    return {
        "emlab": float(np.median(ours)),
        "sklearn": float(np.median(theirs)) if theirs else float("nan"),
        "loop": float(np.median(loop)) if loop else float("nan"),
        "diff": param_diff(fitted["emlab"], fitted["sklearn"]) if with_sklearn else float("nan"),
    }


def bench_threads(sizes, repeats):
    """emlab alone, 1 BLAS thread vs default threads, alternating: the fair test of the threads floor.

    In the two tables each emlab run follows a scikit-learn run, whose multi-threaded BLAS
    can still disturb it; here nothing else runs in between.
    """
    print("\n== emlab: default threads vs 1 thread (interleaved, emlab only) ==")
    print(f"{'m':>9} {'n':>3} {'k':>3} {'1 thread ms/it':>15} {'default ms/it':>14} {'default/1':>10}")
    out = {}
    for m in sizes:
        for n, k in SHAPES:
            n_iter = 10 if m <= 100_000 else 3
            X, start = make_problem(m, n, k)
            est = GaussianMixture(k, tol=0.0, max_iter=n_iter, **start)
            one, dflt = [], []
            for r in range(repeats):
                for mode in ("one", "default") if r % 2 == 0 else ("default", "one"):
                    with threadpool_limits(limits=1) if mode == "one" else contextlib.nullcontext():
                        t, _ = time_call(est.fit, X)
                    (one if mode == "one" else dflt).append(t / n_iter)
            a, b = float(np.median(one)), float(np.median(dflt))
            out[(m, n, k)] = b / a
            print(f"{m:>9} {n:>3} {k:>3} {a * 1e3:15.3f} {b * 1e3:14.3f} {b / a:10.3f}", flush=True)
    return out


def bench_70_points(repeats=300):
    """Wall time of fitting the course's 70-point 2-D example with K=2, tol=1e-4 (default k-means init)."""
    rng = np.random.default_rng(0)
    X = np.vstack(
        [
            rng.multivariate_normal([0.0, 3.0], np.diag([0.5, 0.8]), size=20),
            rng.multivariate_normal([20.0, 10.0], np.eye(2), size=50),
        ]
    )
    gm = GaussianMixture(2, tol=1e-4, random_state=0)
    for _ in range(20):
        gm.fit(X)
    time.sleep(SETTLE)
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        gm.fit(X)
        times.append(time.perf_counter() - t0)
    return float(np.median(times)), float(np.min(times))


def run_table(sizes, repeats, label):
    print(f"\n== {label} ==")
    head = (
        f"{'m':>9} {'n':>3} {'k':>3} {'emlab ms/it':>12} {'sklearn ms/it':>14} {'ratio':>7} "
        f"{'loop ms/it':>11} {'max rel diff':>13}"
    )
    print(head)
    print("-" * len(head))
    rows = {}
    for m in sizes:
        for n, k in SHAPES:
            n_iter = 10 if m <= 100_000 else 3
            res = bench_size(m, n, k, n_iter, repeats if m < 1_000_000 else max(2, repeats // 2))
            rows[(m, n, k)] = res
            loop = f"{res['loop'] * 1e3:11.2f}" if np.isfinite(res["loop"]) else f"{'-':>11}"
            print(
                f"{m:>9} {n:>3} {k:>3} {res['emlab'] * 1e3:12.3f} {res['sklearn'] * 1e3:14.3f} "
                f"{res['emlab'] / res['sklearn']:7.3f} {loop} {res['diff']:13.2e}",
                flush=True,
            )
    return rows


def numpy_bernoulli_em(X, phi, mu, n_iter, alpha):
    """The straightforward numpy mixture of Bernoullis: dense matrix products in log space, n_iter EM iterations."""
    m = X.shape[0]
    for _ in range(n_iter):
        log_mu, log_1m = np.log(mu), np.log1p(-mu)
        L = X @ (log_mu - log_1m).T + log_1m.sum(axis=1) + np.log(phi)
        mx = L.max(axis=1, keepdims=True)
        W = np.exp(L - mx)
        s = W.sum(axis=1, keepdims=True)
        log_lik = float((mx[:, 0] + np.log(s[:, 0])).sum())  # noqa: F841 (a real loop would track it)
        W /= s
        N = W.sum(axis=0)
        mu = (W.T @ X + alpha) / (N[:, None] + 2 * alpha)
        phi = N / m
    return phi, mu


def bench_bernoulli(sizes, repeats, n=64, k=10, n_iter=10):
    """emlab.BernoulliMixture vs :func:`numpy_bernoulli_em`, per EM iteration, and the digits fit.

    Both start from the same Theta^(0) (equal weights, mu uniform in [0.25, 0.75]) and run n_iter
    iterations (tol=0, alpha=1); runs are interleaved, once with BLAS limited to one thread and
    once with the default threads. emlab's time includes its input checks, the history and the
    final E-step; the plain loop's does not. Goals (issue 11): emlab no slower than the loop at
    m = 1e5, n = 64, k = 10; fitting the 1,797 binarised digits with K = 10 well under a second.
    """
    from emlab.datasets import load_digits_binary

    print(f"\n== BernoulliMixture vs the plain numpy loop (n={n}, k={k}, {n_iter} iterations, alpha=1) ==")
    print(f"{'threads':>8} {'m':>8} {'emlab ms/it':>12} {'numpy ms/it':>12} {'ratio':>7} {'max |mu diff|':>14}")
    ratios = {}
    for label, limit in (("1", 1), ("default", None)):
        for m in sizes:
            rng = np.random.default_rng(0)
            protos = rng.uniform(0.05, 0.95, size=(k, n))
            X = (rng.uniform(size=(m, n)) < protos[rng.integers(k, size=m)]).astype(float)
            phi0, mu0 = np.full(k, 1.0 / k), rng.uniform(0.25, 0.75, size=(k, n))
            est = BernoulliMixture(k, tol=0.0, max_iter=n_iter, alpha=1.0, weights_init=phi0, means_init=mu0)
            ours, plain = [], []
            with threadpool_limits(limits=limit) if limit else contextlib.nullcontext():
                for r in range(repeats):
                    for who in ("emlab", "numpy") if r % 2 == 0 else ("numpy", "emlab"):
                        if who == "emlab":
                            t, _ = time_call(est.fit, X)
                            ours.append(t / n_iter)
                        else:
                            t, (_, mu) = time_call(numpy_bernoulli_em, X, phi0, mu0, n_iter, 1.0)
                            plain.append(t / n_iter)
            a, b = float(np.median(ours)), float(np.median(plain))
            ratios[(label, m)] = a / b
            diff = float(np.abs(est.means_ - mu).max())
            print(f"{label:>8} {m:>8} {a * 1e3:12.3f} {b * 1e3:12.3f} {a / b:7.3f} {diff:14.2e}", flush=True)

    X, _ = load_digits_binary()
    times, iters = [], []
    for seed in range(max(repeats, 5)):
        t, bm = time_call(BernoulliMixture(10, random_state=seed).fit, X)
        times.append(t)
        iters.append(bm.n_iter_)
    t_digits = float(np.median(times))
    print(
        f"digits (1797 x 64), K=10, default settings: median {t_digits * 1e3:.1f} ms per fit "
        f"(max {max(times) * 1e3:.1f} ms; {int(np.median(iters))} iterations median)"
    )
    print("\n== floors (Bernoulli) ==")
    for (label, m), r in ratios.items():
        verdict = "ok" if r <= 1.1 else "SLOWER"
        print(f"m={m:>8} threads={label:>7}: emlab/numpy = {r:.3f}  [{verdict}, 10% noise allowed]")
    print(f"digits K=10 fit: {t_digits * 1e3:.1f} ms  [{'ok' if t_digits <= 0.25 else 'ABOVE 0.25 s'}]")
    return ratios, t_digits
def remove_at_random(X, fraction, seed=1):
    """X with a ``fraction`` of its entries set to NaN at random; a row left empty keeps its first value."""
    rng = np.random.default_rng(seed)
    Xm = X.copy()
    Xm[rng.random(X.shape) < fraction] = np.nan
    empty = np.isnan(Xm).all(axis=1)
    Xm[empty, 0] = X[empty, 0]
    return Xm


def bench_missing(repeats, m=100_000, n=5, k=4, fraction=0.2, short=5, long=25):
    """Per-iteration time of EM with missing values vs the same fit on complete data (issue 12).

    Two measures, both as medians over interleaved repeats: the whole fit divided by its
    iterations (``long`` iterations, setup included, as in the tables above), and the marginal cost
    of one more iteration, (t(long) - t(short)) / (long - short), which leaves out the one-off
    grouping of rows by missing pattern. With one BLAS thread the CPU time of the process is
    reported too: on a shared machine it is much less disturbed by other processes than wall time.
    """
    X, start = make_problem(m, n, k)
    Xm = remove_at_random(X, fraction)
    n_patterns = len(np.unique(np.isnan(Xm), axis=0))
    print(
        f"\n== missing values: m={m}, n={n}, k={k}, {np.isnan(Xm).mean():.1%} of entries missing, "
        f"{np.mean(np.isnan(Xm).any(axis=1)):.1%} of rows incomplete, {n_patterns} patterns =="
    )
    head = (
        f"{'covariance':>10} {'threads':>8} {'complete ms/it':>15} {'missing ms/it':>14} {'ratio':>7} "
        f"{'complete marg.':>15} {'missing marg.':>14} {'ratio':>7} {'CPU ratio':>10} {'CPU marg.':>10}"
    )
    print(head)
    print("-" * len(head))
    ratios = {}
    for covariance_type in ("full", "tied", "diag", "spherical"):
        init = dict(start)
        init["precisions_init"] = {
            "full": start["precisions_init"],
            "tied": start["precisions_init"][0],
            "diag": np.diagonal(start["precisions_init"], axis1=1, axis2=2).copy(),
            "spherical": start["precisions_init"][:, 0, 0].copy(),
        }[covariance_type]
        thread_modes = ("1", "default") if covariance_type == "full" else ("1",)
        for threads in thread_modes:
            times = {}
            with threadpool_limits(limits=1) if threads == "1" else contextlib.nullcontext():
                for r in range(repeats):
                    cases = [("complete", X, "error"), ("missing", Xm, "marginalize")]
                    for name, data, missing in cases if r % 2 == 0 else cases[::-1]:
                        for n_iter in (short, long):
                            est = GaussianMixture(
                                k, covariance_type=covariance_type, tol=0.0, max_iter=n_iter, missing=missing, **init
                            )
                            cpu0 = time.process_time()
                            t, _ = time_call(est.fit, data)
                            times.setdefault((name, n_iter), []).append(t)
                            times.setdefault(("cpu", name, n_iter), []).append(time.process_time() - cpu0)
            med = {key: float(np.median(v)) for key, v in times.items()}
            per = {name: med[(name, long)] / long for name in ("complete", "missing")}
            marg = {name: (med[(name, long)] - med[(name, short)]) / (long - short) for name in per}
            cpu_whole = med[("cpu", "missing", long)] / med[("cpu", "complete", long)]
            cpu_marg = (med[("cpu", "missing", long)] - med[("cpu", "missing", short)]) / (
                med[("cpu", "complete", long)] - med[("cpu", "complete", short)]
            )
            ratios[(covariance_type, threads)] = (per["missing"] / per["complete"], marg["missing"] / marg["complete"])
            cpu = f"{cpu_whole:10.2f} {cpu_marg:10.2f}" if threads == "1" else f"{'-':>10} {'-':>10}"
            print(
                f"{covariance_type:>10} {threads:>8} {per['complete'] * 1e3:15.3f} {per['missing'] * 1e3:14.3f} "
                f"{per['missing'] / per['complete']:7.2f} {marg['complete'] * 1e3:15.3f} "
                f"{marg['missing'] * 1e3:14.3f} {marg['missing'] / marg['complete']:7.2f} {cpu}",
                flush=True,
            )
    print("\n== missing-values goal: per-iteration time within 3x of the complete fit ==")
    for (covariance_type, threads), (whole, marginal) in ratios.items():
        verdict = "ok" if max(whole, marginal) <= 3.0 else "ABOVE 3x"
        print(
            f"{covariance_type:>10}, {threads} thread(s): whole fit / it {whole:.2f}x, marginal {marginal:.2f}x  "
            f"[{verdict}]"
        )
    return ratios


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="m up to 1e5 and 3 repeats")
    parser.add_argument("--repeats", type=int, default=None, help="timed repeats per size (default 5, quick 3)")
    parser.add_argument("--sizes", type=float, nargs="*", default=None, help="data sizes m to run")
    parser.add_argument(
        "--missing", action="store_true", help="only the missing-values case (m=1e5, n=5, k=4, 20%% missing)"
    )
    parser.add_argument(
        "--settle", type=float, default=0.25, help="seconds to rest before each timed fit (lets BLAS threads sleep)"
    )
    parser.add_argument(
        "--bernoulli", action="store_true", help="run only the BernoulliMixture benchmark (m = 1e5 unless --sizes)"
    )
    args = parser.parse_args(argv)
    global SETTLE
    SETTLE = args.settle
    if args.bernoulli:
        warnings.simplefilter("ignore")  # tol=0 never converges: silence the ConvergenceWarnings
        sizes = [int(s) for s in args.sizes] if args.sizes else [100_000]
        bench_bernoulli(sizes, args.repeats or 5)
        return
    sizes = (
        [int(s) for s in args.sizes]
        if args.sizes
        else ([1000, 10_000, 100_000] if args.quick else [1000, 10_000, 100_000, 1_000_000])
    )
    repeats = args.repeats or (3 if args.quick else 5)

    blas = [(i["internal_api"], i["num_threads"], i["filepath"].split("/")[-1]) for i in threadpool_info()]
    print("BLAS libraries (api, default threads, file):", blas)
    warnings.simplefilter("ignore")  # tol=0 never converges: silence the ConvergenceWarnings
    if args.missing:
        bench_missing(repeats)
        return

    results = {}
    for label, ctx in (("1 BLAS thread", threadpool_limits(limits=1)), ("default threads", contextlib.nullcontext())):
        with ctx:
            results[label] = run_table(sizes, repeats, label)
            t70, t70_min = bench_70_points()
            print(f"70-point 2-D example, K=2, tol=1e-4: median {t70 * 1e3:.3f} ms (min {t70_min * 1e3:.3f} ms)")
            results[label]["70"] = t70

    threads = bench_threads(sizes, repeats)

    one = results["1 BLAS thread"]
    print("\n== floors ==")
    for key, res in one.items():
        if key == "70":
            continue
        m, n, k = key
        if m >= 100_000:
            ratio = res["emlab"] / res["sklearn"]
            verdict = "ok" if ratio <= 0.5 else "ABOVE 0.5"
            print(f"m={m:>8} n={n:>2} k={k}: emlab/sklearn (1 thread) = {ratio:.3f}  [{verdict}]")
    for (m, n, k), r in threads.items():
        verdict = "ok" if r <= 1.1 else "SLOWER"
        print(f"m={m:>8} n={n:>2} k={k}: emlab default threads / 1 thread = {r:.3f}  [{verdict}, 10% noise allowed]")
    t70 = results["default threads"]["70"]
    print(f"70-point fit (default threads): {t70 * 1e3:.3f} ms  [{'ok' if t70 <= 1e-3 else 'ABOVE 1 ms'}]")


if __name__ == "__main__":
    main()
