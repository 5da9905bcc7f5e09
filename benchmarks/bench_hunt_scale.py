"""planet_hunter at scale: time and memory against the number of points, 1e5 to 1e7.

Each size runs in a fresh process: a synthetic light curve (27-day baseline, 1,000 ppm
noise, 0.3% transits every 3 days, 0.1% NaNs) is built, Linux's peak-RSS counter is reset
(``/proc/self/clear_refs``), then ``planet_hunter(lc, fit=...)`` runs once. Reported: wall
time (and the result's own detrend / search / fit split), peak RSS growth during the call
(``VmHWM`` after minus ``VmRSS`` before), what the result keeps (RSS after the call minus
before, and its pickled size), and whether it holds binned copies. Imports and first-call
costs are paid beforehand on 2,000 points.

Usage::

    python benchmarks/bench_hunt_scale.py                         # 1e5 .. 1e7, fit=False
    python benchmarks/bench_hunt_scale.py --sizes 1e6 --fit auto  # with the transit fit
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

CHILD = r"""
import json, pickle, sys, time, warnings
import numpy as np
warnings.simplefilter("ignore")
from spacekit.transformer import LightCurve
from spacekit.analyzer import planet_hunter

def status():
    d = {}
    for line in open("/proc/self/status"):
        k, v = line.split(":", 1)
        if k in ("VmRSS", "VmHWM"):
            d[k] = int(v.split()[0]) / 1024
    return d

def make(n, seed=0):
    rng = np.random.default_rng(seed)
    t = 2458000.0 + np.arange(n) * (27.0 / n)
    f = 1 + 1e-3 * rng.standard_normal(n)
    ph = ((t - 2458001.0 + 1.5) % 3.0) - 1.5
    f[np.abs(ph) < 0.05] -= 0.003
    f[rng.integers(0, n, n // 1000)] = np.nan
    return LightCurve(time=t, flux=f, flux_err=np.full(n, 1e-3))

fit = {"auto": "auto", "true": True, "false": False}[sys.argv[2]]
planet_hunter(make(2000), fit=fit)
n = int(float(sys.argv[1]))
lc = make(n)
with open("/proc/self/clear_refs", "w") as fh:
    fh.write("5")
r0 = status()
t0 = time.perf_counter()
res = planet_hunter(lc, fit=fit)
wall = time.perf_counter() - t0
r1 = status()
print(json.dumps({
    "n": n, "wall_s": wall, **{k: round(v, 3) for k, v in res.timings.items()},
    "peak_growth_mb": r1["VmHWM"] - r0["VmRSS"], "kept_mb": r1["VmRSS"] - r0["VmRSS"],
    "result_pickle_mb": len(pickle.dumps(res)) / 1e6, "binned": bool(res.binned),
    "period": float(res.period.value), "detected": bool(res.detected),
}))
"""


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="1e5,3e5,1e6,3e6,1e7")
    ap.add_argument("--fit", default="false", choices=("auto", "true", "false"))
    args = ap.parse_args(argv)
    env = {**os.environ, "PYTHONPATH": str(ROOT), "MPLBACKEND": "Agg"}
    print(f"load average before: {os.getloadavg()} (spacekit from {ROOT})", flush=True)
    rows = []
    for size in args.sizes.split(","):
        out = subprocess.run(
            [sys.executable, "-c", CHILD, size, args.fit],
            env=env,
            cwd=ROOT,  # `python -c` puts the working directory first on sys.path
            capture_output=True,
            text=True,
            check=True,
        )
        row = json.loads(out.stdout.strip().splitlines()[-1])
        rows.append(row)
        print(json.dumps(row), flush=True)
    print(f"load average after: {os.getloadavg()}")
    if len(rows) > 1:
        a, b = rows[0], rows[-1]
        print(f"time ratio {b['wall_s'] / a['wall_s']:.1f}x for {b['n'] / a['n']:.0f}x the points")
    return 0


if __name__ == "__main__":
    sys.exit(main())
