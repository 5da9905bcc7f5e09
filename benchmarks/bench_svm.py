"""SVM alignment classifier and JWST memory app: accuracy and throughput on this CPU.

SVM (real data, ``svm_labeled_2021_07_28``, ``det`` re-derived from ``index``):

- repeated proposal-grouped stratified k-fold cross-validation of the gradient-boosted trees
  (``gb``), their average with extra trees (``gb_et``) and of the builder MLP (``mlp``):
  mean / worst-fold ROC-AUC, pooled precision/recall of the misaligned class, ROC-AUC on
  original visits only;
- ``train(model="auto")``: the held-out-proposal comparison that picks the shipped model;
- rendering throughput of :func:`render_frames` on a 4,096² image with 2,000-source catalogs.

JWST (synthetic, since no public data exists): header scrape + grouping + prediction time for
a folder of generated uncal files.

Usage::

    MPLBACKEND=Agg TF_CPP_MIN_LOG_LEVEL=2 SPACEKIT_DATA_MIRROR=../shared/data \\
        .venv/bin/python benchmarks/bench_svm.py [--repeats 3] [--mlp-repeats 1] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import tempfile
import time

import numpy as np
import pandas as pd


def bench_cv(kind: str, repeats: int, runs: str) -> dict:
    from spacekit.skopes.hst.svm import evaluate

    t = time.perf_counter()
    run = evaluate(
        "svm_labeled_2021_07_28",
        model=kind,
        n_splits=5,
        repeats=repeats,
        seed=0,
        runs_dir=runs,
        progress=False,
    )
    m = run.metrics
    return {
        "model": kind,
        "folds": m["n_folds"],
        "seconds": round(time.perf_counter() - t, 1),
        "roc_auc_mean": round(m["roc_auc_mean"], 4),
        "roc_auc_worst": round(m["roc_auc_worst"], 4),
        "roc_auc_std": round(m["roc_auc_std"], 4),
        "original_visits_roc_auc_mean": round(m["original_visits_roc_auc_mean"], 4),
        "precision_misaligned": round(m["precision_misaligned"], 4),
        "recall_misaligned": round(m["recall_misaligned"], 4),
        "pooled_average_precision": round(m["pooled_average_precision"], 4),
    }


def bench_train(runs: str) -> dict:
    from spacekit.skopes.hst.svm import train

    t = time.perf_counter()
    run = train("svm_labeled_2021_07_28", runs_dir=runs, model="auto", seed=0, progress=False)
    m = run.metrics
    return {
        "seconds": round(time.perf_counter() - t, 1),
        "chosen": m["model"],
        "selection": m["selection"],
        "candidates": {k: round(v["roc_auc_mean"], 4) for k, v in m["candidates"].items()},
        "validation_roc_auc": round(m["roc_auc"], 4),
        "validation_precision_misaligned": round(m["precision_misaligned"], 4),
        "validation_recall_misaligned": round(m["recall_misaligned"], 4),
    }


def bench_render(n_frames: int = 5) -> dict:
    from astropy.wcs import WCS

    from spacekit.skopes.hst.svm import render_frames

    rng = np.random.default_rng(0)
    img = rng.normal(size=(4096, 4096)).astype(np.float32)
    w = WCS(naxis=2)
    w.wcs.ctype = ["RA---TAN", "DEC--TAN"]
    w.wcs.crval = [150.0, 2.0]
    w.wcs.crpix = [2048, 2048]
    w.wcs.cdelt = [-1e-5, 1e-5]
    ra, dec = w.all_pix2world(rng.uniform(0, 4096, 2000), rng.uniform(0, 4096, 2000), 0)
    cat = pd.DataFrame({"ra": ra, "dec": dec})
    t = time.perf_counter()
    for _ in range(n_frames):
        render_frames(img, wcs=w, point=cat, segment=cat.iloc[:500], gaia=cat.iloc[:200])
    dt = (time.perf_counter() - t) / n_frames
    return {"image": "4096x4096 float32", "catalog_rows": 2000, "seconds_per_visit": round(dt, 3)}


def bench_jwst(n_products: int = 20, exposures: int = 8) -> dict:
    from astropy.io import fits

    from spacekit.skopes.jwst import cal

    rng = np.random.default_rng(0)
    tmp = tempfile.mkdtemp()
    folder = os.path.join(tmp, "uncal")
    os.makedirs(folder)
    filters = ["F070W", "F090W", "F115W", "F150W", "F200W"]
    for p in range(n_products):
        for e in range(exposures):
            hdr = fits.Header(
                {
                    "INSTRUME": "NIRCAM",
                    "DETECTOR": f"NRCA{1 + e % 4}",
                    "EXP_TYPE": "NRC_IMAGE",
                    "PROGRAM": "01234",
                    "OBSERVTN": f"{1 + p // 5:03d}",
                    "TARG_RA": 150.0,
                    "TARG_DEC": 2.0,
                    "TARGPROP": "T",
                    "FILTER": filters[p % 5],
                    "PUPIL": "CLEAR",
                    "SUBARRAY": "FULL",
                    "CHANNEL": "SHORT",
                    "VISITYPE": "PRIME_TARGETED_FIXED",
                    "NUMDTHPT": 4,
                }
            )
            sci = fits.Header(
                {"RA_REF": 150.0 + rng.normal(0, 1e-4), "DEC_REF": 2.0 + rng.normal(0, 1e-4)}
            )
            fits.HDUList(
                [
                    fits.PrimaryHDU(header=hdr),
                    fits.ImageHDU(np.zeros((2, 2), np.uint16), sci, name="SCI"),
                ]
            ).writeto(os.path.join(folder, f"jw01234{p:03d}001_02101_{e:05d}_nrca_uncal.fits"))
    t = time.perf_counter()
    products = cal.scrape_products(folder)
    scrape_s = time.perf_counter() - t
    table = products.copy()
    table = pd.concat([table] * 3, ignore_index=True)
    table["imgsize_gb"] = rng.uniform(1, 50, len(table))
    run = cal.train(table, runs_dir=os.path.join(tmp, "runs"), fast=False)
    t = time.perf_counter()
    out = cal.predict(folder, run.model_dir)
    predict_s = time.perf_counter() - t
    return {
        "uncal_files": n_products * exposures,
        "products": len(out),
        "scrape_group_seconds": round(scrape_s, 2),
        "scrape_group_predict_seconds": round(predict_s, 2),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--repeats", type=int, default=3, help="CV repeats for gb")
    ap.add_argument("--mlp-repeats", type=int, default=1, help="CV repeats for mlp (0: skip)")
    ap.add_argument("--skip-train", action="store_true")
    ap.add_argument("--json", default=None)
    args = ap.parse_args()
    runs = tempfile.mkdtemp()
    out: dict = {
        "python": platform.python_version(),
        "machine": platform.machine(),
        "cpus": os.cpu_count(),
    }
    out["svm_cv_gb"] = bench_cv("gb", args.repeats, runs)
    print(json.dumps(out["svm_cv_gb"]), flush=True)
    out["svm_cv_gb_et"] = bench_cv("gb_et", args.repeats, runs)
    print(json.dumps(out["svm_cv_gb_et"]), flush=True)
    if args.mlp_repeats:
        out["svm_cv_mlp"] = bench_cv("mlp", args.mlp_repeats, runs)
        print(json.dumps(out["svm_cv_mlp"]), flush=True)
    if not args.skip_train:
        out["svm_train_auto"] = bench_train(runs)
        print(json.dumps(out["svm_train_auto"]), flush=True)
    out["svm_render"] = bench_render()
    print(json.dumps(out["svm_render"]), flush=True)
    out["jwst"] = bench_jwst()
    print(json.dumps(out["jwst"]), flush=True)
    if args.json:
        with open(args.json, "w", encoding="utf-8") as fh:
            json.dump(out, fh, indent=2)


if __name__ == "__main__":
    main()
