"""Benchmark: cold import time and peak memory of spacekit, against upstream spacekit 1.1.4.

Each measurement starts a fresh interpreter (``python -c "import ..."``), so nothing is
imported yet; bytecode caches are warmed by one untimed run first. Wall time is measured
around the child process, peak RSS is the child's ``ru_maxrss`` (from ``os.wait4``).

Upstream spacekit 1.1.4 lives in its own venv (``/tmp/upstream-venv`` by default); the
script creates it with ``pip install spacekit==1.1.4`` when it is missing, unless
``--no-create`` is given. ``--skip-upstream`` measures ours only.

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
UPSTREAM_VENV = Path("/tmp/upstream-venv")
UPSTREAM_VERSION = "1.1.4"


def run_once(python: Path, statement: str) -> tuple[float, float]:
    """Run ``python -c statement`` once; return (wall seconds, peak RSS in MiB)."""
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", PYTHONWARNINGS="ignore")
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

    results = {
        "ours: import spacekit": measure(args.python, "import spacekit", args.repeat),
        "ours: import spacekit.datasets, spacekit.io": measure(
            args.python, "import spacekit.datasets, spacekit.io", args.repeat
        ),
    }
    if not args.skip_upstream:
        upstream = ensure_upstream(args.upstream_venv, create=not args.no_create)
        results["upstream 1.1.4: import spacekit.skopes.hst.cal.predict"] = measure(
            upstream, "import spacekit.skopes.hst.cal.predict", args.repeat
        )
    print(f"{'measurement':58s} {'wall (s)':>9s} {'peak RSS (MiB)':>15s}")
    for name, res in results.items():
        print(f"{name:58s} {res['wall_s_median']:9.3f} {res['peak_rss_mib_median']:15.1f}")
    if not args.skip_upstream:
        ours = results["ours: import spacekit"]
        theirs = results["upstream 1.1.4: import spacekit.skopes.hst.cal.predict"]
        ratio_t = theirs["wall_s_median"] / ours["wall_s_median"]
        ratio_m = theirs["peak_rss_mib_median"] / ours["peak_rss_mib_median"]
        results["ratio_wall"] = ratio_t
        results["ratio_rss"] = ratio_m
        print(
            f"upstream / ours: {ratio_t:.1f}x wall time, {ratio_m:.1f}x peak RSS "
            f"(median of {args.repeat})"
        )
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
