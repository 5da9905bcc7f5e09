"""planet_hunter vs lightkurve BLS, a bare astropy BLS and transitleastsquares.

On the real light curves of ``../shared/data/lightcurves`` (published periods in its README)
this times, per light curve and side by side in one run:

- ``spacekit``: ``planet_hunter(lc)`` (detrend + resolution-spaced BLS grid + refinement);
- ``lightkurve``: ``lc.flatten().to_periodogram(method="bls")`` with lightkurve's defaults
  (its own grid), period at maximum power (only when lightkurve is importable);
- ``astropy``: a bare ``BoxLeastSquares.autopower`` (astropy's default frequency grid,
  ``frequency_factor=1``, periods 0.5 d to half the baseline, 6 durations 1-8 h) on the
  spacekit-detrended flux;
- ``tls``: ``transitleastsquares(...).power()`` with its defaults on the spacekit-detrended
  flux (numba compilation is done once beforehand on a small light curve and reported
  separately).

Detrending is inside every timed call; reading the file is not. A period counts as found when
it is within 0.1% of a published period of the target (Kepler-90: any of its planets).
Then: cost against the number of points (2k, 20k, 200k, synthetic, 27-day baseline), the
number of trial periods, the multi-planet loop on its own (K2-3), and ``hunt_many``
throughput on one and two Dask workers.

Usage::

    python benchmarks/bench_lightcurves.py                 # everything (a few minutes)
    python benchmarks/bench_lightcurves.py --skip-tls --skip-scaling   # quick

lightkurve conflicts with spacekit[x]'s pins; run the script with a separate venv that has
spacekit core + lightkurve + transitleastsquares to get all four columns, e.g.
``python -m venv /tmp/lkvenv && /tmp/lkvenv/bin/pip install -e . lightkurve
transitleastsquares dask distributed``.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import warnings
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(os.environ.get("SPACEKIT_DATA_MIRROR", ROOT.parent / "shared" / "data")) / "lightcurves"

CASES = [
    # file, label, read kwargs, published periods (days)
    ("EPIC201367065.csv", "K2-3", {"time_format": "bkjd"}, [10.054, 24.646, 44.556]),
    ("hlsp_tess-data-alerts_tess_phot_00025155310-s01_tess_v1_lc.fits", "WASP-126", {}, [3.2888]),
    ("kplr010666592-2009131110544_slc.fits", "HAT-P-7", {}, [2.2047299]),
    (
        "kplr011442793-2009350155506_llc.fits",
        "Kepler-90 Q3",
        {},
        [7.008151, 8.719375, 14.44912, 59.73667, 91.93913, 124.9144, 210.60697, 331.60059],
    ),
    (
        "kplr011442793-2010174085026_llc.fits",
        "Kepler-90 Q5",
        {},
        [7.008151, 8.719375, 14.44912, 59.73667, 91.93913, 124.9144, 210.60697, 331.60059],
    ),
    ("kplr010002792-2009259160929_llc.fits", "KIC 10002792", {}, []),
]


def _match(period: float, published: list[float]) -> bool:
    return any(abs(period - p) / p < 1e-3 for p in published)


def _timed(fn):
    t0 = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t0


def run_spacekit(lc):
    from spacekit.analyzer import planet_hunter

    res, dt = _timed(lambda: planet_hunter(lc))
    return float(res.period.value), dt, len(res.periodogram), res.detected


def run_astropy(lc):
    from astropy.timeseries import BoxLeastSquares

    def go():
        flat = lc.remove_nans().normalize().remove_outliers().flatten(1.0)
        t = flat.time_days()
        y = flat.flux.value
        model = BoxLeastSquares(t, y)
        base = t.max() - t.min()
        pg = model.autopower(
            np.geomspace(1 / 24, 8 / 24, 6),
            minimum_period=0.5,
            maximum_period=base / 2,
            frequency_factor=1.0,
        )
        return float(pg.period[np.argmax(pg.power)]), len(pg.period)

    (period, n), dt = _timed(go)
    return period, dt, n


def run_lightkurve(lc):
    def go():
        lk_lc = lc.remove_nans().to_lightkurve()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            pg = lk_lc.flatten().to_periodogram(method="bls")
        return float(pg.period_at_max_power.value), len(pg.period)

    (period, n), dt = _timed(go)
    return period, dt, n


def run_tls(lc, threads):
    from transitleastsquares import transitleastsquares

    def go():
        flat = lc.remove_nans().normalize().remove_outliers().flatten(1.0)
        t = flat.time_days()
        y = flat.flux.value
        r = transitleastsquares(t, y).power(
            show_progress_bar=False, use_threads=threads, verbose=False
        )
        return float(r.period), len(r.periods)

    (period, n), dt = _timed(go)
    return period, dt, n


def tls_warmup(threads) -> float:
    from transitleastsquares import transitleastsquares

    rng = np.random.default_rng(0)
    t = np.arange(0, 6, 1 / 48)
    y = 1 + 1e-3 * rng.standard_normal(t.size)
    y[np.abs((t + 1) % 2 - 1) < 0.05] -= 0.01
    t0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        transitleastsquares(t, y).power(
            show_progress_bar=False, use_threads=threads, verbose=False, period_max=2.5
        )
    return time.perf_counter() - t0


def synthetic(n_points: int, days: float = 27.0, seed: int = 0):
    from astropy.time import Time

    from spacekit.transformer import LightCurve

    rng = np.random.default_rng(seed)
    t = np.linspace(0, days, n_points)
    f = 1 + 1e-3 * rng.standard_normal(n_points) + 0.003 * np.sin(2 * np.pi * t / 6.0)
    f[np.abs((t - 1.1 + 1.7) % 3.4 - 1.7) < 0.06] -= 0.003
    return LightCurve(time=Time(2458000 + t, format="jd", scale="tdb"), flux=f)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skip-tls", action="store_true")
    parser.add_argument("--skip-lightkurve", action="store_true")
    parser.add_argument("--skip-scaling", action="store_true")
    parser.add_argument("--skip-dask", action="store_true")
    parser.add_argument(
        "--skip-table",
        action="store_true",
        help="skip the real light-curve comparison and the multi-planet loop",
    )
    parser.add_argument(
        "--tls-threads",
        type=int,
        default=1,
        help="TLS threads (default 1: every method single-threaded)",
    )
    args = parser.parse_args(argv)
    os.environ.setdefault("SPACEKIT_PROGRESS", "0")
    from spacekit.analyzer import planet_hunter

    try:
        import lightkurve  # noqa: F401

        have_lk = not args.skip_lightkurve
    except ImportError:
        have_lk = False
    try:
        import transitleastsquares  # noqa: F401

        have_tls = not args.skip_tls
    except ImportError:
        have_tls = False

    print(
        f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs; lightkurve: {have_lk}; "
        f"tls: {have_tls} (threads={args.tls_threads})"
    )
    # one-time costs, excluded from the per-light-curve times
    lc0 = synthetic(2000)
    _, warm_sk = _timed(lambda: planet_hunter(lc0))
    print(f"one-time: spacekit first call (imports) {warm_sk:.2f} s", end="")
    if have_tls:
        print(f"; TLS numba compilation {tls_warmup(args.tls_threads):.1f} s", end="")
    print()

    if not args.skip_table:
        compare_real(args, have_lk, have_tls)
    if not args.skip_scaling:
        scaling(args, have_tls)
    if not args.skip_dask:
        dask_throughput()
    return 0


def compare_real(args, have_lk: bool, have_tls: bool) -> None:
    from spacekit.analyzer import planet_hunter
    from spacekit.transformer import read_lightcurve

    header = ["light curve", "N", "spacekit P (s, periods)"]
    if have_lk:
        header.append("lightkurve BLS")
    header.append("astropy BLS")
    if have_tls:
        header.append("TLS")
    print("\n| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    found = {k: 0 for k in ("spacekit", "lightkurve", "astropy", "tls")}
    times = {k: [] for k in found}
    for fname, label, kw, published in CASES:
        lc = read_lightcurve(DATA / fname, **kw)
        n = int(np.isfinite(lc.flux.value).sum())
        cells = [label, str(n)]
        p, dt, npg, det = run_spacekit(lc)
        ok = _match(p, published)
        found["spacekit"] += ok
        times["spacekit"].append(dt)
        cells.append(f"{p:.5f}{' ok' if ok else ''}{' det' if det else ''} ({dt:.2f} s, {npg})")
        if have_lk:
            p, dt, npg = run_lightkurve(lc)
            ok = _match(p, published)
            found["lightkurve"] += ok
            times["lightkurve"].append(dt)
            cells.append(f"{p:.5f}{' ok' if ok else ''} ({dt:.2f} s, {npg})")
        p, dt, npg = run_astropy(lc)
        ok = _match(p, published)
        found["astropy"] += ok
        times["astropy"].append(dt)
        cells.append(f"{p:.5f}{' ok' if ok else ''} ({dt:.2f} s, {npg})")
        if have_tls:
            p, dt, npg = run_tls(lc, args.tls_threads)
            ok = _match(p, published)
            found["tls"] += ok
            times["tls"].append(dt)
            cells.append(f"{p:.5f}{' ok' if ok else ''} ({dt:.2f} s, {npg})")
        print("| " + " | ".join(cells) + " |", flush=True)
    print("\npublished periods found (within 0.1%):", {k: v for k, v in found.items() if times[k]})
    sk = np.array(times["spacekit"])
    for k in ("lightkurve", "astropy", "tls"):
        if times[k]:
            r = np.array(times[k]) / sk
            print(
                f"time ratio {k} / spacekit per light curve: median {np.median(r):.1f}x "
                f"(min {r.min():.1f}x, max {r.max():.1f}x); total {sum(times[k]):.1f} s vs "
                f"{sk.sum():.1f} s"
            )

    # multi-planet loop on its own
    lc = read_lightcurve(DATA / "EPIC201367065.csv", time_format="bkjd")
    r1, t1 = _timed(lambda: planet_hunter(lc, max_planets=1))
    r3, t3 = _timed(lambda: planet_hunter(lc, max_planets=3))
    print(
        f"\nmulti-planet loop, K2-3: 1 search {t1:.2f} s; max_planets=3 {t3:.2f} s "
        f"({len(r3.searches)} searches, {t3 - t1:.2f} s for the extra ones); periods "
        f"{[round(float(p.period.value), 4) for p in r3.planets]}"
    )


def scaling(args, have_tls: bool) -> None:
    from spacekit.analyzer import planet_hunter

    if True:
        print(
            "\n| points (27 d) | spacekit s (periods) | astropy BLS s (periods)"
            + (" | TLS s" if have_tls else "")
            + " |"
        )
        print("|---|---|---" + ("|---" if have_tls else "") + "|")
        for n in (2_000, 20_000, 200_000):
            lcn = synthetic(n)
            p, dt, npg, _ = run_spacekit(lcn)
            row = [f"{n:,}", f"{dt:.2f} ({npg}) P={p:.4f}"]
            if n <= 20_000:
                pa, dta, npa = run_astropy(lcn)
                row.append(f"{dta:.2f} ({npa}) P={pa:.4f}")
            else:
                row.append("skipped (about 10x the 20k time)")
            if have_tls:
                if n <= 20_000:
                    pt, dtt, npt = run_tls(lcn, args.tls_threads)
                    row.append(f"{dtt:.2f} ({npt}) P={pt:.4f}")
                else:
                    row.append("skipped (too slow)")
            print("| " + " | ".join(row) + " |", flush=True)
        lcn = synthetic(4000, days=80.0)
        print("\ntrial periods vs time (spacekit, 4,000 points over 80 d):")
        for os_ in (1, 2, 4, 8):
            res, dt = _timed(lambda o=os_: planet_hunter(lcn, oversample=o))
            print(
                f"  oversample {os_}: {len(res.periodogram):>6} periods, {dt:.2f} s, "
                f"P={res.period.value:.4f}"
            )


def dask_throughput() -> None:
    if True:
        import distributed

        from spacekit.analyzer import hunt_many

        items = [DATA / c[0] for c in CASES if not c[0].endswith(".csv")] * 2
        for nw in (1, 2):
            with (
                distributed.LocalCluster(
                    n_workers=nw, threads_per_worker=1, processes=True, dashboard_address=None
                ) as cluster,
                distributed.Client(cluster) as client,
            ):
                hunt_many(items[:nw], client)  # warm the workers (imports)
                _, dt = _timed(lambda c=client: hunt_many(items, c))
            print(
                f"hunt_many, {len(items)} light curves, {nw} worker(s): {dt:.1f} s "
                f"({len(items) / dt:.2f} light curves/s)",
                flush=True,
            )


if __name__ == "__main__":
    sys.exit(main())
