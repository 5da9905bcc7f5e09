"""Benchmark: cold import time and peak memory of spacekit, against upstream spacekit 1.1.4.

Each measurement starts a fresh interpreter (``python -c "import ..."``), so nothing is
imported yet; bytecode caches are warmed by one untimed run first. Wall time is measured
around the child process, peak RSS is the child's ``ru_maxrss`` (from ``os.wait4``).

Scopes are compared like with like: ``import spacekit`` against upstream's ``import spacekit``,
and the module a user of the HST calibration predictor imports
(``spacekit.skopes.hst.cal.predict``) against upstream's module of the same name. The cold start
of a prediction (import + load + one prediction) is ``bench_hst_cal.py single``.

Upstream spacekit 1.1.4 lives in its own venv (``/tmp/upstream-venv``, else ``/tmp/venv-up``);
the script creates ``/tmp/upstream-venv`` with ``pip install spacekit==1.1.4`` when neither
holds it, unless ``--no-create`` is given. ``--skip-upstream`` measures ours only. Our children
import this checkout (``PYTHONPATH``), upstream's children their own package.

Usage::

    .venv/bin/python benchmarks/bench_import.py            # median of 5
    .venv/bin/python benchmarks/bench_import.py --repeat 9 --json out.json
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OURS = ROOT / ".venv" / "bin" / "python"
if not OURS.exists():  # a worktree without its own venv: the interpreter running this script
    OURS = Path(sys.executable)
UPSTREAM_VENV = next(
    (
        p
        for p in (Path("/tmp/upstream-venv"), Path("/tmp/venv-up"))
        if (p / "bin" / "python").exists()
    ),
    Path("/tmp/upstream-venv"),
)
SCOPES = {  # (ours, upstream): the same scope on both sides
    "import spacekit": ("import spacekit", "import spacekit"),
    "HST-cal predict module": (
        "import spacekit.skopes.hst.cal.predict",
        "import spacekit.skopes.hst.cal.predict",
    ),
}
UPSTREAM_VERSION = "1.1.4"


def run_once(python: Path, statement: str) -> tuple[float, float]:
    """Run ``python -c statement`` once; return (wall seconds, peak RSS in MiB)."""
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", PYTHONWARNINGS="ignore")
    env.pop("PYTHONPATH", None)
    if not str(python).startswith(str(UPSTREAM_VENV)):
        env["PYTHONPATH"] = str(ROOT)  # ours: this checkout
    start = time.perf_counter()
    proc = subprocess.Popen(
        [str(python), "-c", statement],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env=env,
        cwd="/tmp",
    )
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
    if proc.stderr:
        proc.stderr.close()
    if proc.returncode != 0:
        raise SystemExit(f"{python} -c {statement!r} failed:\n{err[-2000:]}")
    return wall, usage.ru_maxrss / 1024.0  # Linux reports KiB


def measure(python: Path, statement: str, repeat: int) -> dict:
    run_once(python, statement)  # warm bytecode caches and the OS file cache
    walls, rss = zip(*(run_once(python, statement) for _ in range(repeat)), strict=True)
    return {
        "python": str(python),
        "statement": statement,
        "repeat": repeat,
        "wall_s_median": statistics.median(walls),
        "wall_s_all": [round(w, 4) for w in walls],
        "peak_rss_mib_median": statistics.median(rss),
    }


def ensure_upstream(venv: Path, create: bool) -> Path:
    python = venv / "bin" / "python"
    probe = [str(python), "-c", "import importlib.metadata as m; print(m.version('spacekit'))"]
    if python.exists():
        done = subprocess.run(probe, capture_output=True, text=True, cwd="/tmp")
        if done.returncode == 0 and done.stdout.strip() == UPSTREAM_VERSION:
            return python
    if not create:
        raise SystemExit(
            f"{venv} has no spacekit {UPSTREAM_VERSION}; run without --no-create or "
            f"`python3 -m venv {venv} && {venv}/bin/pip install spacekit=={UPSTREAM_VERSION}`"
        )
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    subprocess.run(
        [str(python), "-m", "pip", "install", "-q", f"spacekit=={UPSTREAM_VERSION}"], check=True
    )
    return python


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="timed runs (median reported)")
    parser.add_argument("--python", type=Path, default=OURS, help="our interpreter")
    parser.add_argument("--upstream-venv", type=Path, default=UPSTREAM_VENV)
    parser.add_argument("--skip-upstream", action="store_true", help="measure ours only")
    parser.add_argument("--no-create", action="store_true", help="do not create the venv")
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args(argv)

    results: dict = {"load_average_at_start": os.getloadavg()}
    upstream = None
    if not args.skip_upstream:
        upstream = ensure_upstream(args.upstream_venv, create=not args.no_create)
    # interleaved scope by scope, so both sides of a pair see the same load
    for ours_stmt, up_stmt in SCOPES.values():
        results[f"ours: {ours_stmt}"] = measure(args.python, ours_stmt, args.repeat)
        if upstream is not None:
            results[f"upstream 1.1.4: {up_stmt}"] = measure(upstream, up_stmt, args.repeat)
    results["ours: import spacekit.datasets, spacekit.io"] = measure(
        args.python, "import spacekit.datasets, spacekit.io", args.repeat
    )
    results["load_average_at_end"] = os.getloadavg()
    print(f"{'measurement':58s} {'wall (s)':>9s} {'peak RSS (MiB)':>15s}")
    for name, res in results.items():
        if isinstance(res, dict):
            print(f"{name:58s} {res['wall_s_median']:9.3f} {res['peak_rss_mib_median']:15.1f}")
    if upstream is not None:
        for scope, (ours_stmt, up_stmt) in SCOPES.items():
            ours = results[f"ours: {ours_stmt}"]
            theirs = results[f"upstream 1.1.4: {up_stmt}"]
            ratio_t = theirs["wall_s_median"] / ours["wall_s_median"]
            ratio_m = theirs["peak_rss_mib_median"] / ours["peak_rss_mib_median"]
            results[f"ratio_wall {scope}"] = ratio_t
            results[f"ratio_rss {scope}"] = ratio_m
            print(
                f"{scope}: upstream / ours {ratio_t:.1f}x wall time, {ratio_m:.1f}x peak RSS "
                f"(median of {args.repeat})"
            )
    print(f"load average: {results['load_average_at_start']} -> {results['load_average_at_end']}")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
