"""SVM ensemble on synthetic misalignments of the two real rendered visits (issue 23, item 4).

A demonstration of the image path, not an accuracy target: from each visit of
``svm_img_pred_2samples.npz`` :func:`spacekit.skopes.hst.svm.synthetic_image_set` makes aligned
copies (the eight flip/rotation orientations) and misaligned ones (the Gaia marks moved by
3-10 frame pixels); every copy gets one constant tabular row (the mean of the two visits' rows
of ``svm_labeled_2021-07-28.csv``), so only the images tell the classes apart.
:func:`misalignment_demo` reports the ensemble on fresh copies of the same visits and, leaving
one visit out, on the other field.

Usage::

    MPLBACKEND=Agg TF_CPP_MIN_LOG_LEVEL=2 SPACEKIT_DATA_MIRROR=../shared/data \\
        .venv/bin/python benchmarks/bench_svm_images.py [--variants 48] [--epochs 30] \\
        [--fast] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from pathlib import Path


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--variants", type=int, default=48, help="copies per class and visit")
    ap.add_argument("--epochs", type=int, default=30)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument(
        "--fast",
        action="store_true",
        help="the ensemble's small settings (one 4-filter Conv3D block): minutes on a CPU",
    )
    ap.add_argument("--json", default=None, help="also write the result here")
    args = ap.parse_args()
    from spacekit.skopes.hst.svm import misalignment_demo

    data = Path(os.environ.get("SPACEKIT_DATA_MIRROR", "../shared/data")) / "hst_svm"
    t = time.perf_counter()
    out = misalignment_demo(
        data / "svm_img_pred_2samples.npz",
        data / "svm_labeled_2021-07-28.csv",
        n_variants=args.variants,
        epochs=args.epochs,
        seed=args.seed,
        fast=args.fast,
        progress=False,
    )
    out["seconds"] = round(time.perf_counter() - t, 1)
    out["machine"] = f"{platform.machine()}, {os.cpu_count()} CPUs"
    text = json.dumps(out, indent=2)
    print(text)
    if args.json:
        Path(args.json).write_text(text + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
