"""Calibrate planet_hunter's detection threshold: null searches and injection-recovery.

The search statistic (``Planet.peak_significance``, formerly misnamed ``sde``) is a robust z-score
of the periodogram peak: not transitleastsquares's SDE, so TLS's threshold of 9 (calibrated
for TLS's own statistic) says nothing about it. This script measures what it does say, on
the real light curves of ``../shared/data/lightcurves``:

- **null searches**: each trial takes one shared light curve and destroys any periodic
  transit in it while keeping its noise, then runs ``planet_hunter`` with the statistic's
  threshold at 0 (so every examined signal's value and its other vetting failures are
  recorded): ``shuffle`` permutes the flux values over the timestamps (white noise with the
  real distribution, outliers and all), ``invert`` reflects the flux about its median (dips
  become rises, red noise and stellar variability are kept) and rolls it by a random number
  of cadences so each trial is a different realisation. The false-alarm probability of a
  threshold ``T`` is the fraction of null trials whose statistic reaches ``T``
  (``fap_stat``) and, of the full detection rule, whose examined signal reaches ``T`` and
  passes every other check (``fap_pipeline``).
- **injection-recovery**: box-shaped transits (random period, phase, duration from
  :func:`~spacekit.analyzer.hunt.transit_duration_range`, depth for a target white-noise
  SNR of 7-30)
  injected into the shared light curves without known planets (KIC 10002792) and into
  time-shuffled copies of the others; recovered when the detected period is within 1% of
  the injected one or a 1/2, 2 or 3 multiple. The recovery fraction at ``T`` says what the
  threshold costs.

Trials are appended one JSON line at a time to ``--out`` (default
``benchmarks/calibration_trials.jsonl``, not committed), so a run can be stopped at any
time and resumed; ``report`` reads them.

Usage::

    python benchmarks/bench_hunt_calibration.py run --minutes 60 --inject-every 4
    python benchmarks/bench_hunt_calibration.py report

A false-alarm probability near 1e-4 needs about 1e4 null trials (3/N is the 95% upper bound
when none of N exceeds the threshold); ``report`` says what the trials run support and
extrapolates the tail with an exponential fit to the top 10% of the null statistic.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import warnings
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(os.environ.get("SPACEKIT_DATA_MIRROR", ROOT.parent / "shared" / "data")) / "lightcurves"
sys.path.insert(0, str(ROOT))

CASES = [
    ("EPIC201367065.csv", "K2-3", {"time_format": "bkjd"}),
    ("hlsp_tess-data-alerts_tess_phot_00025155310-s01_tess_v1_lc.fits", "WASP-126", {}),
    ("kplr010666592-2009131110544_slc.fits", "HAT-P-7", {}),
    ("kplr011442793-2009350155506_llc.fits", "Kepler-90 Q3", {}),
    ("kplr011442793-2010174085026_llc.fits", "Kepler-90 Q5", {}),
    ("kplr010002792-2009259160929_llc.fits", "KIC 10002792", {}),
]
#: light curves without a known planet: injections go into them as they are
NO_PLANET = {"KIC 10002792"}


def _load():
    from spacekit.transformer import read_lightcurve

    out = {}
    for fname, label, kw in CASES:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            lc = read_lightcurve(DATA / fname, **kw).remove_nans()
        out[label] = lc
    return out


#: the failed-check name of the statistic (before and after its rename)
_STAT_CHECKS = ("sde", "peak_significance")


def _with_flux(lc, flux):
    new = lc.copy()
    new["flux"] = flux * lc["flux"].unit if lc["flux"].unit is not None else flux
    if "flux_err" in new.colnames:
        new["flux_err"] = lc["flux_err"]
    return new


def _null_trial(lc, mode: str, rng):
    from spacekit.analyzer import planet_hunter

    f = np.asarray(lc["flux"].value, dtype=float)
    if mode == "shuffle":
        g = rng.permutation(f)
    else:
        med = np.nanmedian(f)
        g = np.roll(2 * med - f, int(rng.integers(f.size)))
    res = planet_hunter(_with_flux(lc, g), threshold=0.0)
    examined = [*res.rejected, *res.planets]
    return {
        "signals": [
            {
                "stat": _raw_stat(p),
                "snr": float(p.snr),
                "other_failed": [x for x in p.vetting.get("failed", []) if x not in _STAT_CHECKS],
                "period": float(p.period.value),
            }
            for p in examined
        ],
        "candidate_stat": _raw_stat(res.candidate),
        "search_s": float(res.timings.get("search_s", np.nan)),
    }


def _raw_stat(p) -> float:
    import warnings as _w

    v = getattr(p, "peak_significance", None)
    if v is None:
        with _w.catch_warnings():
            _w.simplefilter("ignore")
            v = p.sde
    return float(v)


def _inject_trial(lc, rng, shuffle: bool):
    from spacekit.analyzer import planet_hunter
    from spacekit.analyzer.hunt import transit_duration_range

    t = lc.time_days()
    f = np.asarray(lc["flux"].value, dtype=float)
    f = f / np.nanmedian(f)
    if shuffle:
        f = rng.permutation(f)
    baseline = float(t.max() - t.min())
    period = float(np.exp(rng.uniform(np.log(0.6), np.log(baseline / 2.5))))
    lo, hi = transit_duration_range(period)
    dur = float(np.exp(rng.uniform(np.log(float(lo)), np.log(float(hi)))))
    t0 = float(t.min() + rng.uniform(0, period))
    phase = (t - t0 + 0.5 * period) % period - 0.5 * period
    intr = np.abs(phase) < dur / 2
    cad = float(np.median(np.diff(t)))
    n_tr = max(1, int(round(baseline / period)))
    noise = 1.4826 * float(np.median(np.abs(f - np.median(f))))
    snr_target = float(rng.uniform(7, 30))
    # white-noise SNR = depth / noise * sqrt(points in transit)
    depth = snr_target * noise / np.sqrt(max(1.0, n_tr * dur / cad))
    g = f - depth * intr
    res = planet_hunter(_with_flux(lc, g), threshold=0.0)
    found = [
        (
            _raw_stat(p),
            float(p.period.value),
            [x for x in p.vetting.get("failed", []) if x not in _STAT_CHECKS],
        )
        for p in [*res.rejected, *res.planets]
    ]
    return {
        "period": period,
        "duration": dur,
        "depth": depth,
        "snr_target": snr_target,
        "signals": [
            {
                "stat": s,
                "period": pp,
                "other_failed": fl,
                "match": bool(
                    any(abs(pp / period - m) / m < 0.01 for m in (1.0, 0.5, 2.0, 3.0, 1 / 3))
                ),
            }
            for s, pp, fl in found
        ],
    }


def run(args) -> None:
    lcs = _load()
    labels = list(lcs)
    out = Path(args.out)
    done = sum(1 for _ in out.open()) if out.exists() else 0
    rng = np.random.default_rng(args.seed + done)
    stop = time.time() + 60 * args.minutes
    i = done
    with out.open("a") as fh:
        while time.time() < stop and (args.trials <= 0 or i < done + args.trials):
            label = labels[int(rng.integers(len(labels)))]
            lc = lcs[label]
            t0 = time.perf_counter()
            if args.inject_every and i % args.inject_every == args.inject_every - 1:
                kind = "inject"
                try:
                    rec = _inject_trial(lc, rng, shuffle=label not in NO_PLANET)
                except Exception as exc:  # record, never stop the run
                    rec = {"error": f"{type(exc).__name__}: {exc}"}
            else:
                kind = "shuffle" if rng.random() < 0.5 else "invert"
                try:
                    rec = _null_trial(lc, kind, rng)
                except Exception as exc:
                    rec = {"error": f"{type(exc).__name__}: {exc}"}
            rec.update(kind=kind, lc=label, wall_s=time.perf_counter() - t0, i=i)
            fh.write(json.dumps(rec) + "\n")
            fh.flush()
            i += 1
    print(f"{i - done} trials appended to {out} ({i} in all)")


def report(args) -> dict:
    rows = [json.loads(x) for x in Path(args.out).open()]
    rows = [r for r in rows if "error" not in r]
    nulls = [r for r in rows if r["kind"] in ("shuffle", "invert")]
    inj = [r for r in rows if r["kind"] == "inject"]
    n = len(nulls)
    cand = np.array([r["candidate_stat"] for r in nulls])
    # the full rule fires on a trial when one examined signal passes every other check:
    # its statistic is then what the threshold must beat
    passing = np.array(
        [
            max([s["stat"] for s in r["signals"] if not s["other_failed"]], default=-np.inf)
            for r in nulls
        ]
    )
    grid = np.array([5, 7, 9, 12, 15, 20, 25, 30, 35, 40, 50, 60, 80, 100, 150, 200, 300, 500])
    if args.threshold is not None:
        grid = np.unique(np.append(grid, args.threshold))

    def inj_recovered(r, thr):
        return any(s["match"] and not s["other_failed"] and s["stat"] >= thr for s in r["signals"])

    print(
        f"null trials: {n} ({sum(r['kind'] == 'shuffle' for r in nulls)} shuffled, "
        f"{sum(r['kind'] == 'invert' for r in nulls)} inverted+rolled); injections: {len(inj)}"
    )
    print(
        f"null statistic quantiles 50/90/99/max: "
        f"{np.percentile(cand, 50):.1f} {np.percentile(cand, 90):.1f} "
        f"{np.percentile(cand, 99):.1f} {cand.max():.1f}"
    )
    print("  T    fap_stat  fap_pipeline  recovery(inj, full rule)")
    table = []
    for thr in grid:
        fs = float(np.mean(cand >= thr))
        fp = float(np.mean(passing >= thr))
        rec = float(np.mean([inj_recovered(r, thr) for r in inj])) if inj else float("nan")
        table.append((float(thr), fs, fp, rec))
        print(f"{thr:6.1f}  {fs:8.4f}  {fp:12.4f}  {rec:8.3f}")
    # exponential tail of the null statistic (top 10%) extrapolated to 1e-4
    top = np.sort(cand)[-max(10, n // 10) :]
    u0 = float(top[0])
    scale = float(np.mean(top - u0))
    frac = top.size / n
    t_1e4 = u0 + scale * np.log(frac / 1e-4) if scale > 0 else float("nan")
    t_1e3 = u0 + scale * np.log(frac / 1e-3) if scale > 0 else float("nan")
    print(
        f"exponential tail above {u0:.1f} (scale {scale:.2f}): FAP 1e-3 at {t_1e3:.1f}, "
        f"FAP 1e-4 at {t_1e4:.1f}"
    )
    # the committed rule: the lowest whole threshold at which no null search is detected
    top_pass = float(passing[np.isfinite(passing)].max()) if np.isfinite(passing).any() else 0.0
    t_commit = float(np.floor(top_pass) + 1)
    rec_commit = float(np.mean([inj_recovered(r, t_commit) for r in inj])) if inj else float("nan")
    rec_9 = float(np.mean([inj_recovered(r, 9.0) for r in inj])) if inj else float("nan")
    print(
        f"highest null statistic that passes every other check: {top_pass:.1f} -> threshold "
        f"{t_commit:g}: full-rule FAP 0/{n} (< {3 / n:.2g} at 95%), statistic-alone FAP "
        f"{np.mean(cand >= t_commit):.4f}, injections recovered {rec_commit:.3f} "
        f"(at 9: {rec_9:.3f})"
    )
    for thr in sorted({9.0, *([args.threshold] if args.threshold is not None else [])}):
        by_kind: dict = {}
        for r, p in zip(nulls, passing, strict=True):
            key = f"{r['lc']} {r['kind']}"
            k_n, k_fa = by_kind.get(key, (0, 0))
            by_kind[key] = (k_n + 1, k_fa + int(p >= thr))
        print(
            f"full-rule false alarms at {thr:g}, by null kind: "
            + "; ".join(f"{k} {fa}/{m}" for k, (m, fa) in sorted(by_kind.items()))
        )
    print(
        f"with {n} null trials the smallest FAP measured directly is 1/{n} = {1 / n:.2g} "
        f"(3/{n} = {3 / n:.2g} is the 95% upper bound when none exceeds the threshold)"
    )
    return {
        "n_null": n,
        "n_inject": len(inj),
        "table": table,
        "t_1e4": t_1e4,
        "t_1e3": t_1e3,
        "threshold": t_commit,
    }


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("run")
    r.add_argument("--minutes", type=float, default=60.0)
    r.add_argument("--trials", type=int, default=0, help="stop after this many (0: no limit)")
    r.add_argument("--inject-every", type=int, default=4, help="every k-th trial an injection")
    r.add_argument("--seed", type=int, default=0)
    r.add_argument("--out", default=str(ROOT / "benchmarks" / "calibration_trials.jsonl"))
    p = sub.add_parser("report")
    p.add_argument("--threshold", type=float, default=None, help="also detail this threshold")
    p.add_argument("--out", default=str(ROOT / "benchmarks" / "calibration_trials.jsonl"))
    args = ap.parse_args(argv)
    run(args) if args.cmd == "run" else report(args)


if __name__ == "__main__":
    main()
