"""HST calibration resources: train a quick model, then predict memory bin, memory and
wallclock for real calibration jobs.

Run from a clone (the real data in ../shared/data is the mirror)::

    SPACEKIT_DATA_MIRROR=../shared/data .venv/bin/python examples/03_hst_cal_predict.py

About 10 s on 2 cores: ``fast=True`` trains small models (trees, and a linear model of log
memory/wallclock, compared per target on held-out groups); drop it for the full-size ones
(about 10 s more). The run folder goes to a temporary folder (or the folder given as
the first argument); ``spacekit dashboard --runs <that folder>`` shows it.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from spacekit import datasets
from spacekit.skopes.hst.cal import load_model, score, train


def main(out_dir: str | None = None) -> None:
    runs = Path(out_dir or tempfile.mkdtemp(prefix="spacekit-example-"))

    # 1. Train on the 29,191 jobs of 2021-05-11 (a registered dataset name, a csv or a DataFrame)
    run = train("hst_cal_2021_05_11", runs_dir=runs, fast=True, seed=0)
    print(f"run folder: {run.path}")
    for target, sel in run.metrics["selection"].items():
        print(f"  {target:9s} kept {sel['kept']}")

    # 2. Load it (a model folder, a run folder or a runs folder): numpy only from here on
    p = load_model(run)

    # 3. One job, from its <ipst>_MemModelFeatures.txt (a path, the text, a dict or s3://)
    features = datasets.fetch("hst_cal_memmodel_features")
    files = sorted(Path(features).glob("*_MemModelFeatures.txt"))
    r = p.predict("j8ny02020", Path(features) / "j8ny02020_MemModelFeatures.txt")
    print(
        f"j8ny02020: memBin {r['memBin']} ({r['queueGB']} GB queue), memory {r['memVal']:.2f} GB "
        f"(upper {r['memUpper']:.2f}), wallclock {r['clockTimePred']:.0f} s, "
        f"kill time {r['killTime']} s (calcloud's clockTime input {r['clockTime']})"
    )

    # 4. All 21 real feature files of calcloud's tests
    print(f"{'ipst':10s} {'memBin':>6s} {'memVal GB':>9s} {'killTime s':>11s}")
    for f in files:
        r = p.predict(f.name[:9], f)
        print(f"{r['ipst']:10s} {r['memBin']:6d} {r['memVal']:9.2f} {r['killTime']:11d}")

    # 5. A table in, a table out; and the model scored on another table
    jobs = datasets.load("hst_cal_sample_20")
    print(p.predict_batch(jobs).head().to_string())
    scores = score(run, "hst_cal_ddb_export_2021_05_11")
    print(
        f"DynamoDB export: bin accuracy {scores['bin_accuracy']:.3f}, under-bin rate "
        f"{scores['under_bin_rate']:.4f}, wallclock median APE {scores['wallclock_mdape']:.3f}"
    )


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else None)
