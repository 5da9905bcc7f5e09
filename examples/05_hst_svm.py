"""HST single-visit mosaics: train the alignment classifier, evaluate it on proposal-grouped
folds, and flag misaligned visits in the unlabelled table.

Run from a clone (the real data in ../shared/data is the mirror)::

    SPACEKIT_DATA_MIRROR=../shared/data .venv/bin/python examples/05_hst_svm.py

About 20 s on 2 cores (gradient-boosted trees; ``model="auto"`` also tries the MLP and takes
longer). Run folders go to a temporary folder (or the folder given as the first argument);
``spacekit dashboard --runs <that folder>`` shows them.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from spacekit.skopes.hst import svm


def main(out_dir: str | None = None) -> None:
    runs = Path(out_dir or tempfile.mkdtemp(prefix="spacekit-example-"))

    # 1. Train on the 1,791 labelled visits (tables are csv paths, DataFrames or dataset names)
    trained = svm.train("svm_labeled_2021_07_28", runs_dir=runs, kind="gb", seed=0)
    m = trained.metrics
    print(
        f"trained {m['model']}: held-out proposals ROC-AUC {m['roc_auc']:.3f}, misaligned "
        f"precision {m['precision_misaligned']:.3f} / recall {m['recall_misaligned']:.3f}"
    )

    # 2. Cross-validation that keeps the visits of a proposal on one side of every split
    ev = svm.cross_validate(
        "svm_labeled_2021_07_28", runs_dir=runs, kind="gb", n_splits=5, n_repeats=1, seed=0
    )
    e = ev.metrics
    print(
        f"5-fold grouped CV: ROC-AUC mean {e['roc_auc_mean']:.3f}, worst fold "
        f"{e['roc_auc_worst']:.3f}"
    )

    # 3. Flag the unlabelled visits: predictions.csv, classification_report.txt, misaligned.txt
    pred = svm.predict_to_run(trained, "svm_unlabeled_2021_10_06", runs_dir=runs)
    flagged = (pred.path / "misaligned.txt").read_text().split()
    print(
        f"{pred.metrics['n_flagged_misaligned']} of {pred.metrics['n_visits']} visits "
        f"flagged misaligned, e.g. {', '.join(flagged[:3])}"
    )
    print(f"run folders under {runs}")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else None)
