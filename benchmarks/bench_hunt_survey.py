"""Survey benchmark: ``hunt_many`` over many synthetic TESS-length light curves on a
``distributed.LocalCluster``, against transitleastsquares on a random subset.

Each light curve is one TESS sector at 2-minute cadence (27.4 days with a 1-day mid-sector
gap: ~19,000 points), white noise of 1,000 ppm per point, a slow stellar trend (a sinusoid of
random period 2-10 d and amplitude up to 0.5%) and, in a fraction ``--inject`` of them, box
transits (period log-uniform 0.8-12 d, duration from
:func:`~spacekit.analyzer.hunt.transit_duration_range`'s central value, depth for a
white-noise SNR of 8-30 over the sector). An injection is recovered when a *detected*
planet's period is within 1% of the injected one or of its 1/2 or 2 multiple; a detection on
a light curve without injection is a false positive.

The light curves are written to FITS files that the workers read, as a survey reads its
files. ``hunt_many(paths, client=..., fit=False)`` (the search and its vetting; the transit
fit of detected planets is a separate cost) runs on ``--workers`` single-threaded worker
processes of a ``distributed.LocalCluster``. Reported: light curves per second per core two
ways: by wall time (light curves / wall / workers; on a loaded machine a worker gets less
than a core) and by CPU time (light curves per CPU-second the workers spent, from their
processes' user+system times: what one core does, whatever the load); recall and false
positives; peak worker memory (every worker's RSS sampled every second; the largest seen).
Then transitleastsquares with its defaults, single-threaded (``use_threads=1``), on a random
``--tls`` of the same files (read and detrended by a running median over 1 day, as in
``bench_lightcurves.py``), run as tasks on the same cluster after spacekit and measured the
same two ways; recovered when TLS's SDE >= 9 and its period matches; beside it spacekit's
recall on the same subset.

Usage::

    python benchmarks/bench_hunt_survey.py --n 1000 --tls 100 --workers 2
    python benchmarks/bench_hunt_survey.py --n 40 --tls 4       # quick
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import threading
import time
import warnings
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def make_curve(i: int, inject_fraction: float, seed: int = 0):
    """(LightCurve, truth dict) for survey member ``i`` (deterministic in ``seed``, ``i``)."""
    from astropy.time import Time

    from spacekit.analyzer.hunt import transit_duration_range
    from spacekit.transformer import LightCurve

    rng = np.random.default_rng([seed, i])
    cad = 2.0 / 60 / 24
    t = np.arange(0.0, 27.4, cad)
    t = t[np.abs(t - 13.7) > 0.5]  # the mid-sector downlink gap
    noise = 1e-3
    f = 1 + noise * rng.standard_normal(t.size)
    f += rng.uniform(0, 0.005) * np.sin(2 * np.pi * t / rng.uniform(2, 10) + rng.uniform(0, 6))
    truth = {"i": i, "period": None}
    if rng.random() < inject_fraction:
        period = float(np.exp(rng.uniform(np.log(0.8), np.log(12.0))))
        lo, hi = transit_duration_range(period)
        dur = float(np.sqrt(float(lo) * float(hi)))
        t0 = float(rng.uniform(0, period))
        intr = np.abs((t - t0 + 0.5 * period) % period - 0.5 * period) < dur / 2
        snr = float(rng.uniform(8, 30))
        depth = snr * noise / np.sqrt(max(intr.sum(), 1))
        f[intr] -= depth
        truth.update(period=period, duration=dur, depth=depth, snr=snr)
    lc = LightCurve(
        time=Time(2459000.0 + t, format="jd", scale="tdb"),
        flux=f,
        flux_err=np.full(t.size, noise),
        meta={"target": f"synthetic-{i:04d}"},
    )
    return lc, truth


def _match(found: float, true: float) -> bool:
    return any(abs(found / true - m) / m < 0.01 for m in (1.0, 0.5, 2.0))


def _worker_rss() -> int:
    import psutil

    return psutil.Process().memory_info().rss


def _worker_cpu() -> float:
    import psutil

    c = psutil.Process().cpu_times()
    return c.user + c.system


def _cpu_total(client) -> float:
    return float(sum(client.run(_worker_cpu).values()))


def _tls_warmup() -> None:
    """numba compilation of transitleastsquares, out of its timing."""
    import contextlib
    import io

    from transitleastsquares import transitleastsquares

    rng = np.random.default_rng(0)
    t = np.arange(0, 6, 1 / 48)
    y = 1 + 1e-3 * rng.standard_normal(t.size)
    y[np.abs((t + 1) % 2 - 1) < 0.05] -= 0.01
    with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
        warnings.simplefilter("ignore")
        transitleastsquares(t, y).power(
            show_progress_bar=False, use_threads=1, verbose=False, period_max=2.5
        )


def run_tls(path: str) -> tuple[float, float, float]:
    """(period, TLS's SDE, seconds) of transitleastsquares on one file."""
    import contextlib
    import io

    from transitleastsquares import transitleastsquares

    from spacekit.transformer import read_lightcurve

    t_start = time.perf_counter()
    flat = read_lightcurve(path).remove_nans().normalize().remove_outliers().flatten(1.0)
    t = flat.time_days()
    y = np.asarray(flat.flux.value, dtype=float)
    with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
        warnings.simplefilter("ignore")
        r = transitleastsquares(t, y).power(show_progress_bar=False, use_threads=1, verbose=False)
    return float(r.period), float(r.SDE), time.perf_counter() - t_start


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=1000)
    ap.add_argument("--tls", type=int, default=100)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--inject", type=float, default=0.3)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", default=None, help="write the summary as JSON here")
    args = ap.parse_args(argv)
    from distributed import Client, LocalCluster

    from spacekit.analyzer import hunt_many

    load0 = os.getloadavg()
    t_make = time.perf_counter()
    tmp = tempfile.TemporaryDirectory(prefix="spacekit-survey-")
    curves, truths = [], []
    for i in range(args.n):
        lc, truth = make_curve(i, args.inject, args.seed)
        path = Path(tmp.name) / f"synthetic-{i:04d}.fits"
        lc.write(path)
        curves.append(str(path))
        truths.append(truth)
    n_points = len(lc)
    print(
        f"made {args.n} light curves of {n_points:,} points in "
        f"{time.perf_counter() - t_make:.1f} s",
        flush=True,
    )
    cluster = LocalCluster(
        n_workers=args.workers, threads_per_worker=1, processes=True, dashboard_address=None
    )
    client = Client(cluster)
    peak = {"rss": 0}
    stop = threading.Event()

    def sample():
        while not stop.is_set():
            try:
                peak["rss"] = max(peak["rss"], *client.run(_worker_rss).values())
            except Exception:  # a sample lost while workers are busy is fine
                pass
            stop.wait(1.0)

    # warm the workers (imports, first-call costs, numba) out of the timings
    hunt_many(curves[:2], client=client, progress=False, fit=False)
    if args.tls > 0:
        client.run(_tls_warmup)
    base = max(client.run(_worker_rss).values())
    th = threading.Thread(target=sample, daemon=True)
    th.start()
    cpu0 = _cpu_total(client)
    t0 = time.perf_counter()
    table = hunt_many(curves, client=client, progress=False, fit=False)
    wall = time.perf_counter() - t0
    cpu = _cpu_total(client) - cpu0
    stop.set()
    th.join()
    load1 = os.getloadavg()
    inj = [k for k, tr in enumerate(truths) if tr["period"] is not None]
    hits, fps = 0, 0
    sk_hit = {}
    for k, row in table.iterrows():
        planets = [p for p in (row["planets"] or []) if p.get("detected")]
        tr = truths[k]
        ok = tr["period"] is not None and any(_match(p["period"], tr["period"]) for p in planets)
        sk_hit[k] = ok
        hits += ok
        fps += tr["period"] is None and bool(planets)
    summary = {
        "n": args.n,
        "points": n_points,
        "workers": args.workers,
        "wall_s": wall,
        "lc_per_s_per_core": args.n / wall / args.workers,
        "cpu_s": cpu,
        "lc_per_cpu_s": args.n / cpu,
        "recall": hits / max(len(inj), 1),
        "injected": len(inj),
        "false_positives": fps,
        "no_injection": args.n - len(inj),
        "errors": int(table["error"].notna().sum()),
        "peak_worker_rss_mb": peak["rss"] / 2**20,
        "worker_rss_after_warmup_mb": base / 2**20,
        "load_before": load0,
        "load_after_spacekit": load1,
    }
    print(json.dumps(summary, indent=1), flush=True)
    if args.tls > 0:
        rng = np.random.default_rng(args.seed + 1)
        pick = sorted(rng.choice(args.n, size=min(args.tls, args.n), replace=False).tolist())
        cpu0 = _cpu_total(client)
        t0 = time.perf_counter()
        results = client.gather(client.map(run_tls, [curves[k] for k in pick], pure=False))
        tls_wall = time.perf_counter() - t0
        tls_cpu = _cpu_total(client) - cpu0
        tls_hit = tls_inj = sk_sub = fp_tls = 0
        for k, (period, sde, _) in zip(pick, results, strict=True):
            tr = truths[k]
            if tr["period"] is not None:
                tls_inj += 1
                tls_hit += sde >= 9 and _match(period, tr["period"])
                sk_sub += sk_hit[k]
            else:
                fp_tls += sde >= 9
        summary.update(
            tls_n=len(pick),
            tls_s_per_lc=sum(r[2] for r in results) / len(pick),
            tls_wall_s=tls_wall,
            tls_lc_per_s_per_core=len(pick) / tls_wall / args.workers,
            tls_cpu_s=tls_cpu,
            tls_lc_per_cpu_s=len(pick) / tls_cpu,
            tls_recall=tls_hit / max(tls_inj, 1),
            tls_injected=tls_inj,
            tls_false_positives_sde9=fp_tls,
            spacekit_recall_same_subset=sk_sub / max(tls_inj, 1),
            load_after_tls=os.getloadavg(),
        )
        summary["speedup_per_core_wall"] = (
            summary["lc_per_s_per_core"] / summary["tls_lc_per_s_per_core"]
        )
        summary["speedup_per_cpu_s"] = summary["lc_per_cpu_s"] / summary["tls_lc_per_cpu_s"]
        print(json.dumps(summary, indent=1), flush=True)
    client.close()
    cluster.close()
    if args.out:
        Path(args.out).write_text(json.dumps(summary, indent=1))
    tmp.cleanup()
    return 0


if __name__ == "__main__":
    sys.exit(main())
