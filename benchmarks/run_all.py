"""Run every benchmark with the command recorded in benchmarks/RESULTS.md (``make bench``).

Each benchmark prints its own side-by-side ratios. Some need extra venvs under /tmp
(upstream spacekit 1.1.4 for import/hst_cal, lightkurve for light curves); their scripts say
how to create them. Usage: ``python benchmarks/run_all.py [--only NAME ...]``.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
PY = sys.executable

BENCHMARKS: dict[str, list[str]] = {
    "import": [PY, "benchmarks/bench_import.py", "--repeat", "5"],
    "radio": [PY, "benchmarks/bench_radio.py"],
    "lightcurves": [PY, "benchmarks/bench_lightcurves.py"],
    "builder": [
        PY,
        "benchmarks/bench_builder.py",
        "--n",
        "5000",
        "--length",
        "3197",
        "--epochs",
        "2",
        "--batch-size",
        "32",
    ],
    "onednn": [PY, "benchmarks/bench_onednn.py", "--repeat", "3"],
    "hst_cal": [PY, "benchmarks/bench_hst_cal.py", "all"],
    "svm": [PY, "benchmarks/bench_svm.py", "--repeats", "3", "--mlp-repeats", "1"],
    "k2": [
        PY,
        "benchmarks/bench_k2.py",
        "--n-synthetic",
        "2000",
        "--injections",
        "3",
        "--epochs",
        "12",
    ],
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--only", nargs="+", choices=sorted(BENCHMARKS))
    args = parser.parse_args()
    env = dict(os.environ, MPLBACKEND="Agg", TF_CPP_MIN_LOG_LEVEL="2", SPACEKIT_PROGRESS="0")
    env.setdefault("SPACEKIT_DATA_MIRROR", str((HERE.parent.parent / "shared" / "data").resolve()))
    failed = []
    for name in args.only or BENCHMARKS:
        print(f"== benchmark: {name} ==", flush=True)
        if subprocess.run(BENCHMARKS[name], cwd=HERE.parent, env=env).returncode != 0:
            failed.append(name)
    if failed:
        print(f"failed: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
