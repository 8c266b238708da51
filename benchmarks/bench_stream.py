"""Online EM on a stream of 10 million 2-D points: time and peak memory of GaussianMixture.partial_fit.

Usage::

    python benchmarks/bench_stream.py                    # 1e7 points in chunks of 1e5
    python benchmarks/bench_stream.py --n 1e6 --chunk 1e4

The points come from a fixed 3-component mixture, generated chunk by chunk, so
the stream is never held in memory. Each chunk goes through one
``partial_fit`` (one stepwise-EM update). Printed:

- the time spent in ``partial_fit`` (and the total, with data generation), and the median
  time of one call per point (medians are robust to other processes on a shared machine);
- the peak resident memory of the process (``ru_maxrss``) above the baseline measured
  after imports and one warm-up call, i.e. what the stream itself costs;
- the per-point cost of one batch EM iteration (``fit`` on ``--batch-m`` points; the median
  time between iterations), measured after the stream so that it does not raise the
  stream's peak. At m = 1e6 the engine caches the feature expansion of X and an iteration
  only reads it; at m = 1e7 (the stream's size) the cache would exceed its 64 MB cap and an
  iteration expands the features block by block, as each streamed batch must;
- the per-sample log-likelihood on held-out data of the streamed fit and of a batch fit.

Goals (issue 13): peak < 200 MB above the baseline; time per streamed point
<= 2x the per-point cost of one batch EM iteration. The ratios are printed.
"""

from __future__ import annotations

import argparse
import resource
import time
import warnings

import numpy as np

from emlab import GaussianMixture

MEANS = np.array([[0.0, 0.0], [3.0, 1.0], [-1.0, 3.0]])
FACTORS = np.array([[[1.0, 0.3], [0.0, 0.7]], [[0.6, 0.0], [0.2, 1.0]], [[0.8, -0.3], [0.0, 0.5]]])


def draw(m, rng):
    z = rng.choice(3, size=m, p=[0.5, 0.3, 0.2])
    return MEANS[z] + np.einsum("iab,ib->ia", FACTORS[z], rng.normal(size=(m, 2)))


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # Linux reports KiB


def batch_iteration_cost(m, k, covariance_type, n_iter=15):
    """Per-point time of one batch EM iteration on m points: the median gap between successive iterations.

    The callback runs once per iteration, so the gaps between its calls are the iteration times
    (a median is robust to other processes on a shared machine).
    """
    X = draw(m, np.random.default_rng(1))
    stamps = []
    gm = GaussianMixture(
        k,
        covariance_type=covariance_type,
        random_state=0,
        max_iter=n_iter,
        tol=0.0,
        callback=lambda est, t, rec: stamps.append(time.perf_counter()),
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # tol=0 runs all n_iter iterations
        gm.fit(X)
    return float(np.median(np.diff(stamps))) / m


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=float, default=1e7, help="points in the stream")
    parser.add_argument("--chunk", type=float, default=1e5, help="points per partial_fit call")
    parser.add_argument("--covariance-type", default="full")
    parser.add_argument(
        "--batch-m", type=float, nargs="*", default=[1e6, 1e7], help="data sizes for the batch-iteration cost"
    )
    args = parser.parse_args(argv)
    n, chunk, k = int(args.n), int(args.chunk), 3

    rng = np.random.default_rng(0)
    # Warm up every code path once (imports, caches), then take the baseline.
    GaussianMixture(k, covariance_type=args.covariance_type, random_state=0).partial_fit(draw(chunk, rng))
    baseline = peak_rss_mb()

    gm = GaussianMixture(k, covariance_type=args.covariance_type, random_state=0)
    chunk_times = []
    t0 = time.perf_counter()
    for _ in range(n // chunk):
        X = draw(chunk, rng)
        t1 = time.perf_counter()
        gm.partial_fit(X)
        chunk_times.append(time.perf_counter() - t1)
    t_total = time.perf_counter() - t0
    peak = peak_rss_mb() - baseline
    t_fit = float(np.sum(chunk_times))
    per_point_stream = float(np.median(chunk_times)) / chunk

    print(f"stream: {n:.0e} points in {n // chunk} chunks of {chunk}, n = 2, k = {k}, {args.covariance_type!r}")
    print(f"time in partial_fit      : {t_fit:8.2f} s  (mean {t_fit / n * 1e9:6.1f} ns per point)")
    print(f"time with data generation: {t_total:8.2f} s")
    print(f"per point, median chunk  : {per_point_stream * 1e9:8.1f} ns")
    print(f"baseline peak RSS        : {baseline:8.1f} MB (after imports and one warm-up call)")
    print(f"peak RSS above baseline  : {peak:8.1f} MB   goal < 200 MB: {'met' if peak < 200 else 'NOT met'}")

    held_out = draw(200_000, np.random.default_rng(99))
    for m in args.batch_m:
        per_point_batch = batch_iteration_cost(int(m), k, args.covariance_type)
        ratio = per_point_stream / per_point_batch
        print(
            f"batch EM iteration, m = {int(m):.0e}: {per_point_batch * 1e9:6.1f} ns per point; "
            f"stream / batch = {ratio:5.2f}   goal <= 2: {'met' if ratio <= 2 else 'NOT met'}",
            flush=True,
        )
    batch = GaussianMixture(k, covariance_type=args.covariance_type, random_state=0, tol=1e-6)
    batch.fit(draw(1_000_000, np.random.default_rng(7)))
    print(
        f"held-out l per sample    : stream {gm.score(held_out):.5f}, batch fit (1e6 points) "
        f"{batch.score(held_out):.5f}, difference {batch.score(held_out) - gm.score(held_out):.1e}"
    )


if __name__ == "__main__":
    main()
