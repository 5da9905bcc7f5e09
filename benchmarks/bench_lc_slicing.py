"""LightCurve slicing without astropy's per-row index bookkeeping: before and after, one run.

A :class:`~spacekit.transformer.LightCurve` used to carry the automatic ``time`` index of an
astropy ``TimeSeries``; every slice (``remove_nans``, ``remove_outliers``, sorting, ``fold``)
rebuilt it row by row in Python (``slice_indices`` -> ``replace_rows``). This script exports
the tree *before* that change (git commit ``--before``, default ``de1ca16``) with
``git archive`` and times, in fresh processes, side by side with the working tree:

- ``planet_hunter(lc)`` on a synthetic light curve (27-day baseline, injected 3-day transits)
  of 1e5, 3e5 and 1e6 points (median of ``--repeat`` runs; first call's imports excluded by a
  warm-up on 2,000 points);
- the cleaning chain alone, ``lc.remove_nans().normalize().remove_outliers()`` and
  ``fold``, at the same sizes.

The period, depth and SDE found must be identical before and after (checked, printed).

Usage::

    python benchmarks/bench_lc_slicing.py                    # ~3-5 minutes on 2 busy cores
    python benchmarks/bench_lc_slicing.py --sizes 100000 --repeat 1   # quick
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

CHILD = r"""
import json, sys, time, warnings
import numpy as np
warnings.simplefilter("ignore")
from spacekit.transformer import LightCurve
from spacekit.analyzer import planet_hunter

def make(n, seed=0):
    rng = np.random.default_rng(seed)
    t = 2458000.0 + np.arange(n) * (27.0 / n)
    f = 1 + 1e-3 * rng.standard_normal(n)
    ph = ((t - 2458001.0 + 1.5) % 3.0) - 1.5
    f[np.abs(ph) < 0.05] -= 0.003
    f[rng.integers(0, n, n // 1000)] = np.nan
    return LightCurve(time=t, flux=f, flux_err=np.full(n, 1e-3))

planet_hunter(make(2000))  # imports and first-call costs out of the timings
out = {}
for n in json.loads(sys.argv[1]):
    lc = make(n)
    hunt, clean = [], []
    for _ in range(int(sys.argv[2])):
        t0 = time.perf_counter()
        res = planet_hunter(lc)
        hunt.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        c = lc.remove_nans().normalize().remove_outliers()
        c.fold(3.0, c.time[0])
        clean.append(time.perf_counter() - t0)
    out[n] = {
        "hunt_s": float(np.median(hunt)),
        "clean_fold_s": float(np.median(clean)),
        "period": float(res.period.value),
        "depth": float(res.depth),
        "sde": float(res.sde),
    }
import spacekit
out["spacekit_file"] = spacekit.__file__
print(json.dumps(out))
"""


def _export(commit: str, dest: Path) -> Path:
    archive = dest / "before.tar"
    with open(archive, "wb") as fh:
        subprocess.run(["git", "archive", commit, "spacekit"], cwd=ROOT, stdout=fh, check=True)
    with tarfile.open(archive) as tar:
        tar.extractall(dest / "before", filter="data")
    return dest / "before"


def _run(tree: Path, sizes: list[int], repeat: int) -> dict:
    env = {**os.environ, "PYTHONPATH": str(tree), "MPLBACKEND": "Agg"}
    proc = subprocess.run(
        [sys.executable, "-c", CHILD, json.dumps(sizes), str(repeat)],
        env=env,
        cwd=tree,  # `python -c` puts the working directory first on sys.path
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--before", default="de1ca16", help="git commit of the 'before' tree")
    ap.add_argument("--sizes", type=int, nargs="+", default=[100_000, 300_000, 1_000_000])
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args(argv)
    print(f"load average before: {os.getloadavg()}")
    with tempfile.TemporaryDirectory() as tmp:
        before_tree = _export(args.before, Path(tmp))
        before = _run(before_tree, args.sizes, args.repeat)
        after = _run(ROOT, args.sizes, args.repeat)
        if before.pop("spacekit_file") == after.pop("spacekit_file"):
            raise SystemExit("both runs imported the same spacekit: check PYTHONPATH")
    print(f"load average after: {os.getloadavg()}")
    print(
        "| points | planet_hunter before (s) | after (s) | speed-up | clean+fold before (s) "
        "| after (s) | speed-up | same result |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|:---:|")
    same_all = True
    for n in args.sizes:
        b, a = before[str(n)], after[str(n)]
        same = all(b[k] == a[k] for k in ("period", "depth", "sde"))
        same_all &= same
        print(
            f"| {n:,} | {b['hunt_s']:.2f} | {a['hunt_s']:.2f} | {b['hunt_s'] / a['hunt_s']:.1f}x "
            f"| {b['clean_fold_s']:.2f} | {a['clean_fold_s']:.3f} "
            f"| {b['clean_fold_s'] / a['clean_fold_s']:.0f}x | {'yes' if same else 'NO'} |"
        )
    for n in args.sizes:
        print(f"{n}: before {before[str(n)]}\n{n}: after  {after[str(n)]}")
    return 0 if same_all else 1


if __name__ == "__main__":
    raise SystemExit(main())
