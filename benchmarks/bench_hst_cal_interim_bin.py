"""Interim bin rule (issue 18 item 3): the submitted memBin is never below the classifier's argmax.

Reports, for the submitted bin (the rule's bin floored at the argmax), the rule's own bin before
that floor (``rule_bin``, the previous submitted bin) and the classifier argmax: under-bin rate
and accuracy, on

1. repeated grouped folds of the 2021-05-11 table (5 x 3, seed 0, the default pipeline refit
   inside each training part), mean and worst fold;
2. the DynamoDB export, with models trained on the 2021-05-11 table without any row whose
   feature vector occurs in the export (every export row is also in the 2021-05-11 table).

Usage (writes JSON to ``$BENCH_OUT``, default ``/tmp/bench_hst_cal_interim_bin.json``)::

    SPACEKIT_PROGRESS=0 python benchmarks/bench_hst_cal_interim_bin.py
    SPACEKIT_PROGRESS=0 python benchmarks/bench_hst_cal_interim_bin.py in-sample  # export rows
        # in the training table too, as issue 18 first measured it
    SPACEKIT_PROGRESS=0 python benchmarks/bench_hst_cal_interim_bin.py contract  # calcloud's
        # kill time on the 21 real files, before and after the reply contract
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

import numpy as np

DATA = Path(os.environ.get("SPACEKIT_DATA_MIRROR", "../shared/data")) / "hst_cal"
OUT = os.environ.get("BENCH_OUT", "/tmp/bench_hst_cal_interim_bin.json")


def _rates(pred: np.ndarray, y: np.ndarray) -> dict:
    pred = np.asarray(pred, dtype=int)
    y = np.asarray(y, dtype=int)
    return {
        "under_bin_rate": float(np.mean(pred < y)),
        "bin_accuracy": float(np.mean(pred == y)),
        "over_bin_rate": float(np.mean(pred > y)),
        "n_under": int(np.sum(pred < y)),
    }


def _three(res: dict, y: np.ndarray) -> dict:
    return {
        "submitted": _rates(res["mem_bin"], y),
        "rule_bin": _rates(res["rule_bin"], y),
        "argmax": _rates(res["bin_argmax"], y),
        "raised_by_floor": int(np.sum(res["mem_bin"] > res["rule_bin"])),
    }


def folds(table) -> dict:
    from spacekit.skopes.hst.cal.features import FEATURES, group_ids
    from spacekit.skopes.hst.cal.pipeline import DEFAULT_CANDIDATES, fit_pipeline
    from spacekit.transformer.splits import RepeatedGroupKFold

    X = table[list(FEATURES)].to_numpy(dtype=np.float64)
    y = table["mem_bin"].to_numpy(dtype=int)
    groups = group_ids(X)
    out = []
    splits = RepeatedGroupKFold(5, n_repeats=3, random_state=0).split(X, groups=groups)
    for i, (tr, te) in enumerate(splits):
        predictor, _ = fit_pipeline(
            table.iloc[tr].reset_index(drop=True), seed=i // 5, candidates=DEFAULT_CANDIDATES
        )
        res = predictor._predict_unique(X[te])
        out.append(_three(res, y[te]))
        print(f"fold {i}: {json.dumps(out[-1])}", file=sys.stderr, flush=True)
    summary = {}
    for which in ("submitted", "rule_bin", "argmax"):
        under = [f[which]["under_bin_rate"] for f in out]
        acc = [f[which]["bin_accuracy"] for f in out]
        summary[which] = {
            "under_bin_mean": float(np.mean(under)),
            "under_bin_worst": float(np.max(under)),
            "accuracy_mean": float(np.mean(acc)),
            "accuracy_worst": float(np.min(acc)),
        }
    return {"folds": out, "summary": summary}


def export(table, ddb) -> dict:
    from spacekit.skopes.hst.cal.features import FEATURES
    from spacekit.skopes.hst.cal.pipeline import fit_pipeline

    keys = {tuple(r) for r in ddb[list(FEATURES)].to_numpy(dtype=np.float64)}
    X = table[list(FEATURES)].to_numpy(dtype=np.float64)
    keep = np.array([tuple(r) not in keys for r in X])
    train = table[keep].reset_index(drop=True)
    predictor, _ = fit_pipeline(train, seed=0)
    Xd = ddb[list(FEATURES)].to_numpy(dtype=np.float64)
    res = predictor._predict_unique(Xd)
    result = _three(res, ddb["mem_bin"].to_numpy(dtype=int))
    result.update(
        n_train_rows=int(len(train)),
        n_export_rows=int(len(ddb)),
        n_export_vectors=len(keys),
        kept={t: predictor.metadata["models"][t]["kind"] for t in ("bin", "memory", "wallclock")},
    )
    # would the floor have saved the rows the rule under-binned?
    y = ddb["mem_bin"].to_numpy(dtype=int)
    under_rule = res["rule_bin"] < y
    result["rule_under_safe_at_argmax"] = int(np.sum(under_rule & (res["bin_argmax"] >= y)))
    return result


def export_in_sample(table, ddb) -> dict:
    """As the issue measured it: models trained on the whole table (export rows included)."""
    from spacekit.skopes.hst.cal.features import FEATURES
    from spacekit.skopes.hst.cal.pipeline import fit_pipeline

    predictor, _ = fit_pipeline(table, seed=0)
    res = predictor._predict_unique(ddb[list(FEATURES)].to_numpy(dtype=np.float64))
    y = ddb["mem_bin"].to_numpy(dtype=int)
    out = _three(res, y)
    out["rule_under_safe_at_argmax"] = int(np.sum((res["rule_bin"] < y) & (res["bin_argmax"] >= y)))
    return out


def contract(table) -> dict:
    """calcloud's kill time on the 21 real feature files (no DynamoDB row): the previous reply
    (clockTime = the calibrated kill, multiplied by 6 again in calcloud) against the contract
    (clockTime = (killTime + 0.5) / 6)."""
    from spacekit.skopes.hst.cal import calcloud as cc
    from spacekit.skopes.hst.cal.pipeline import fit_pipeline

    predictor, _ = fit_pipeline(table, seed=0)
    rows = []
    for f in sorted((DATA / "MemModelFeatures").glob("*_MemModelFeatures.txt")):
        r = predictor.predict(f.name[:9], f)
        rows.append(
            {
                "ipst": r["ipst"],
                "point_s": r["clockTimePred"],
                "killTime": r["killTime"],
                "calcloud_kill_before": cc.kill_time(r["killTime"]),
                "calcloud_kill_now": cc.kill_time(r["clockTime"]),
            }
        )
    before = np.array([r["calcloud_kill_before"] for r in rows], dtype=float)
    now = np.array([r["calcloud_kill_now"] for r in rows], dtype=float)
    point = np.array([r["point_s"] for r in rows])
    return {
        "files": rows,
        "at_48h_before": int(np.sum(before >= cc.MAX_KILL_S)),
        "at_48h_now": int(np.sum(now >= cc.MAX_KILL_S)),
        "median_kill_over_point_before": float(np.median(before / point)),
        "median_kill_over_point_now": float(np.median(now / point)),
        "at_20min_floor_now": int(np.sum(now == cc.DEFAULT_DB_CLOCK_S)),
    }


def main() -> None:
    from spacekit.skopes.hst.cal.features import prepare_table

    t0 = time.time()
    table = prepare_table(DATA / "hst_cal_2021-05-11_latest.csv")
    ddb = prepare_table(DATA / "hst_cal_ddb_export_2021-05-11.csv")
    if sys.argv[1:] in (["in-sample"], ["contract"]):
        res = export_in_sample(table, ddb) if sys.argv[1] == "in-sample" else contract(table)
        Path(OUT).write_text(json.dumps(res, indent=1))
        print(json.dumps(res, indent=1))
        return
    res = {"export": export(table, ddb)}
    res["export_seconds"] = round(time.time() - t0, 1)
    print(json.dumps(res["export"], indent=1), file=sys.stderr, flush=True)
    t1 = time.time()
    res["folds"] = folds(table)
    res["folds_seconds"] = round(time.time() - t1, 1)
    res["load_average"] = os.getloadavg()
    Path(OUT).write_text(json.dumps(res, indent=1))
    print(json.dumps({"export": res["export"], "folds": res["folds"]["summary"]}, indent=1))


if __name__ == "__main__":
    main()
