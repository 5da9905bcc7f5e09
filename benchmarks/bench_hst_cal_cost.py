"""What the HST calibration models cost calcloud: replay on held-out jobs (issue 19).

Usage (from the repository root; the shared data folder is ../shared/data)::

    python benchmarks/bench_hst_cal_cost.py oracle   # per-input oracle on the real tables
    python benchmarks/bench_hst_cal_cost.py folds    # 5x3 grouped k-fold, seeds $BENCH_SEEDS (0)
    python benchmarks/bench_hst_cal_cost.py ddb      # DynamoDB export, trained without its inputs
    python benchmarks/bench_hst_cal_cost.py all
    python benchmarks/bench_hst_cal_cost.py upstream # shipped model vs upstream 1.1.4's, replayed
    python benchmarks/bench_hst_cal_cost.py upstream_oof  # the same, ours held out (5 folds)
    python benchmarks/bench_hst_cal_cost.py trees    # replay cost vs tree count (issue 20 item 1)

Each held-out part is replayed through calcloud's ladder (:mod:`spacekit.skopes.hst.cal.replay`)
with: the model's calibrated margins (``margins``, the decision rule of earlier releases), the
cost rule (``cost``, :mod:`spacekit.skopes.hst.cal.cost`), the same cost rule recalibrated at
other settings from the same held-out predictions of the training part (``cost@...``), the
simple reference (classifier argmax, calcloud's default kill of 6x the point estimate), the
cost rule with a job history learnt as the fold's jobs finish (``learn@lagL``: a random arrival
order, outcomes known ``L`` jobs late, :data:`HISTORY_LAGS`; ``learn@lag0,bins``: the bins
learnt, not the kill times; see :mod:`spacekit.skopes.hst.cal.history`), the true-bin oracle and
the per-input oracle (in-sample on the held-out rows, retry budget 0.2% of them). ``folds`` also
splits the GB-hours by the size of the groups of identical inputs (where the excess over the
oracle sits). ``$BENCH_FAST=1`` trains the pipeline's fast models. Results are printed and
written to ``$BENCH_OUT`` (default /tmp/bench_hst_cal_cost.json).

Upstream spacekit 1.1.4's shipped networks (``$BENCH_UPSTREAM_MODEL``: the ``hst_cal`` folder
written by ``spacekit import-upstream WHEEL --out DIR``) are replayed as one more policy on the
same held-out rows in ``folds`` and ``trees`` (``upstream``: their most probable bin, calcloud's
default kill of 6x their wallclock estimate, as upstream answered), and by ``upstream``: the
model shipped in the package against them on both real tables, with
:func:`spacekit.skopes.hst.cal.replay.replay` (bootstrap interval over groups of identical
inputs).

``trees`` retrains the pipeline with smaller tree models (:data:`TREE_CONFIGS`, set through
``spacekit.skopes.hst.cal.fitters.TREE_SIZES``; ``$BENCH_TREE_CONFIGS`` picks some) on the same
folds and seeds as ``folds``, replays each with the cost rule, and writes a model trained on
the whole table per configuration under ``$BENCH_TREES_DIR`` (default /tmp/hstcost-trees) for
``bench_hst_cal.py rows`` (``$BENCH_EXTRA_MODELS``).
"""

from __future__ import annotations

import json
import math
import os
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
DATA = (ROOT.parent / "shared" / "data" / "hst_cal").resolve()
TABLE = DATA / "hst_cal_2021-05-11_latest.csv"
EXPORT = DATA / "hst_cal_ddb_export_2021-05-11.csv"
OUT = Path(os.environ.get("BENCH_OUT", "/tmp/bench_hst_cal_cost.json"))
FAST = os.environ.get("BENCH_FAST", "0") == "1"
RETRY_CEILING, KILL_CEILING = 0.002, 0.0005
UPSTREAM_MODEL = os.environ.get("BENCH_UPSTREAM_MODEL")
TREES_DIR = Path(os.environ.get("BENCH_TREES_DIR", "/tmp/hstcost-trees"))
#: Tree-model sizes tried by ``trees`` (overrides of ``fitters.TREE_SIZES``; the shipped model
#: is ``full``: 200 bin iterations x 4 classes + 200 memory + 300 wallclock + 50 memory-scale).
#: ``half``/``quarter`` keep iterations x learning rate (the boosting's total step) constant.
TREE_CONFIGS: dict[str, dict] = {
    "full": {},
    "half": {
        "bin": {"max_iter": 100, "learning_rate": 0.2},
        "memory": {"max_iter": 100, "learning_rate": 0.2},
        "wallclock": {"max_iter": 150, "learning_rate": 0.1},
        "memory_scale": {"max_iter": 25, "learning_rate": 0.2},
    },
    "quarter": {
        "bin": {"max_iter": 50, "learning_rate": 0.4},
        "memory": {"max_iter": 50, "learning_rate": 0.4},
        "wallclock": {"max_iter": 75, "learning_rate": 0.2},
        "memory_scale": {"max_iter": 13, "learning_rate": 0.4},
    },
    "bin_quarter": {"bin": {"max_iter": 50, "learning_rate": 0.4}},
    "half_same_rate": {
        "bin": {"max_iter": 100},
        "memory": {"max_iter": 100},
        "wallclock": {"max_iter": 150},
        "memory_scale": {"max_iter": 25},
    },
    "third_same_rate": {
        "bin": {"max_iter": 67},
        "memory": {"max_iter": 67},
        "wallclock": {"max_iter": 100},
        "memory_scale": {"max_iter": 17},
    },
    "quarter_same_rate": {
        "bin": {"max_iter": 50},
        "memory": {"max_iter": 50},
        "wallclock": {"max_iter": 75},
        "memory_scale": {"max_iter": 13},
    },
    "leaves7": {
        "bin": {"max_leaf_nodes": 7},
        "memory": {"max_leaf_nodes": 7},
        "wallclock": {"max_leaf_nodes": 7},
    },
}
#: Delays (jobs submitted before a finished job's outcome reaches the predictor) replayed with a
#: job history learnt during each held-out fold (``learn@lagL``).
HISTORY_LAGS = tuple(int(v) for v in os.environ.get("BENCH_HISTORY_LAGS", "0,100,1000").split(","))
#: Other weights (in jobs) of the model's probabilities against the history's counts, replayed
#: as ``learn@lag0,wW`` (``$BENCH_HISTORY_WEIGHTS``, e.g. ``0.25,0.5,2``; default none).
HISTORY_WEIGHTS = tuple(
    float(v) for v in os.environ.get("BENCH_HISTORY_WEIGHTS", "").split(",") if v.strip()
)
#: Cost-rule variants recalibrated from the same held-out predictions of each training part.
VARIANTS = {
    "cost@conf0.5": {"confidence": 0.5},
    "cost@retry0.5%": {"retry_ceiling": 0.005},
    "cost@margin0": {"margin": 0.0},
    "cost@nokillfloor": {"kill_floor_factor": 0.0},
}


def _policies(predictor, info, train_df, test_df, variants=VARIANTS) -> dict:
    """Bins and calcloud kill times of every policy on the test rows."""
    from spacekit.skopes.hst.cal.arrival import replay_counts
    from spacekit.skopes.hst.cal.cost import calibrate_cost_rule, cost_decisions
    from spacekit.skopes.hst.cal.features import FEATURES, group_ids
    from spacekit.skopes.hst.cal.replay import (
        calcloud_kill_time,
        per_input_oracle,
        true_bin_oracle,
    )

    X = test_df[list(FEATURES)].to_numpy(dtype=float)
    mem = test_df["memory"].to_numpy(dtype=float)
    wall = test_df["wallclock"].to_numpy(dtype=float)
    groups = group_ids(X)
    pol = {}
    for decision in ("margins", "cost"):
        predictor.decision = decision
        res = predictor._predict_unique(X)
        pol[decision] = (res["mem_bin"], calcloud_kill_time(res["clock_time"]))
    pol["reference"] = (
        res["bin_argmax"],
        calcloud_kill_time(res["wallclock"], reply_is_kill=False),
    )
    tr_groups = group_ids(train_df[list(FEATURES)].to_numpy(dtype=float))
    for name, settings in variants.items():
        rule = calibrate_cost_rule(
            info["oof"], train_df["memory"], train_df["wallclock"], tr_groups, **settings
        )
        d = cost_decisions(res, rule)
        pol[name] = (d["mem_bin"], calcloud_kill_time(d["clock_time"]))
    # The cost rule with a job history learnt as the fold's jobs finish (random arrival order,
    # each job seeing the outcomes of its input's earlier jobs submitted > lag jobs before it).
    rule = predictor.cost_rule
    for lag in HISTORY_LAGS:
        counts, longest, _ = replay_counts(test_df, groups, mem, learn=True, lag=lag, seed=0)
        d = cost_decisions(res, rule, counts, longest)
        pol[f"learn@lag{lag}"] = (d["mem_bin"], calcloud_kill_time(d["clock_time"]))
        if lag == 0:  # the bins learnt, the kill times not; other weights of the model
            d = cost_decisions(res, rule, counts)
            pol["learn@lag0,bins"] = (d["mem_bin"], calcloud_kill_time(d["clock_time"]))
            for w in HISTORY_WEIGHTS:
                d = cost_decisions(res, dict(rule, history_weight=w), counts, longest)
                pol[f"learn@lag0,w{w:g}"] = (d["mem_bin"], calcloud_kill_time(d["clock_time"]))
    if UPSTREAM_MODEL:
        pol["upstream"] = _upstream_policy(X)
    pol["true_bin_oracle"] = (true_bin_oracle(mem), None)
    budget = int(math.floor(RETRY_CEILING * len(mem)))
    pol["per_input_oracle"] = (per_input_oracle(mem, wall, groups, retry_budget=budget), None)
    return pol


_UPSTREAM_PRED: list = []


def _upstream_policy(X):
    """Upstream 1.1.4's shipped networks (imported): their argmax bin and calcloud's 6x kill."""
    from spacekit.skopes.hst.cal import load_predictor
    from spacekit.skopes.hst.cal.replay import calcloud_kill_time

    if not _UPSTREAM_PRED:
        _UPSTREAM_PRED.append(load_predictor(UPSTREAM_MODEL))
    res = _UPSTREAM_PRED[0]._predict_unique(X)
    # upstream answered its wallclock estimate as clockTime; calcloud kills at 6x it
    return res["mem_bin"], calcloud_kill_time(res["clock_time"], reply_is_kill=False)


def _replay_all(pol: dict, test_df) -> dict:
    from spacekit.skopes.hst.cal.replay import replay_jobs, summarise_replay

    mem = test_df["memory"].to_numpy(dtype=float)
    wall = test_df["wallclock"].to_numpy(dtype=float)
    out = {}
    for name, (bins, kill) in pol.items():
        s = summarise_replay(replay_jobs(mem, wall, bins, kill), test_df["instr"].to_numpy())
        out[name] = s
    true = out["true_bin_oracle"]["gbh_reserved"]
    pio = out["per_input_oracle"]["gbh_reserved"]
    for s in out.values():
        s["cost_over_true_bin"] = s["gbh_reserved"] / true
        s["cost_over_per_input_oracle"] = s["gbh_reserved"] / pio
        s["ceilings_met"] = s["retry_rate"] <= RETRY_CEILING and s["kill_rate"] <= KILL_CEILING
    return out


_SHOW = (
    "cost_over_per_input_oracle",
    "cost_over_true_bin",
    "retry_rate",
    "kill_rate",
    "kill_over_wallclock_median",
)


#: Group sizes (jobs of one feature vector in the held-out fold) the excess cost is split by.
SIZE_CLASSES = ((1, 1), (2, 5), (6, 20), (21, 100), (101, 10**9))


def _by_group_size(pol: dict, test_df, names=("cost", "learn@lag0", "per_input_oracle")) -> dict:
    """GB-hours reserved per class of group size (where the excess over the oracle sits), and
    the part of each in the first job of its input to arrive (``first:NAME``: the jobs decided
    with nothing learnt, in the random arrival order of ``learn@lag0``)."""
    from spacekit.skopes.hst.cal.arrival import replay_counts
    from spacekit.skopes.hst.cal.features import FEATURES, group_ids
    from spacekit.skopes.hst.cal.replay import replay_jobs

    mem = test_df["memory"].to_numpy(dtype=float)
    wall = test_df["wallclock"].to_numpy(dtype=float)
    g = group_ids(test_df[list(FEATURES)].to_numpy(dtype=float))
    size = np.bincount(g)[g]
    first = replay_counts(test_df, g, mem, learn=True, seed=0)[0].sum(axis=1) == 0
    gbh = {
        n: replay_jobs(mem, wall, pol[n][0], pol[n][1])["reserved_gbh"] for n in names
    }  # fmt: skip
    out = {}
    for lo, hi in SIZE_CLASSES:
        rows = (size >= lo) & (size <= hi)
        out[f"{lo}-{hi}" if hi < 10**9 else f">{lo - 1}"] = {
            "jobs": int(rows.sum()),
            **{n: float(v[rows].sum()) for n, v in gbh.items()},
            **{f"first:{n}": float(v[rows & first].sum()) for n, v in gbh.items()},
        }
    return out


def _aggregate(folds: list[dict]) -> dict:
    names = list(folds[0])
    agg = {}
    for name in names:
        a = {}
        for k in _SHOW:
            vals = np.array([f[name][k] for f in folds if f[name][k] is not None], dtype=float)
            if len(vals):
                a[f"{k}_mean"] = float(vals.mean())
                a[f"{k}_worst"] = float(vals.max())
        a["folds_meeting_ceilings"] = int(sum(f[name]["ceilings_met"] for f in folds))
        a["n_folds"] = len(folds)
        a["pooled_cost_over_per_input_oracle"] = float(
            sum(f[name]["gbh_reserved"] for f in folds)
            / sum(f["per_input_oracle"]["gbh_reserved"] for f in folds)
        )
        agg[name] = a
    return agg


def _print(agg: dict, title: str) -> None:
    print(f"\n{title}")
    print(
        f"{'policy':18s} {'/PIO mean':>9s} {'worst':>7s} {'/true mean':>10s} {'worst':>7s} "
        f"{'retry% mean':>11s} {'worst':>7s} {'kill% mean':>10s} {'worst':>7s} "
        f"{'kill/wall':>9s} {'ceilings':>8s}"
    )
    for name, a in agg.items():

        def g(k, scale=1.0, fmt="{:.4f}", a=a):
            v = a.get(k)
            return "-" if v is None else fmt.format(v * scale)

        print(
            f"{name:18s} {g('cost_over_per_input_oracle_mean'):>9s} "
            f"{g('cost_over_per_input_oracle_worst'):>7s} {g('cost_over_true_bin_mean'):>10s} "
            f"{g('cost_over_true_bin_worst'):>7s} {g('retry_rate_mean', 100, '{:.3f}'):>11s} "
            f"{g('retry_rate_worst', 100, '{:.3f}'):>7s} {g('kill_rate_mean', 100, '{:.3f}'):>10s} "
            f"{g('kill_rate_worst', 100, '{:.3f}'):>7s} "
            f"{g('kill_over_wallclock_median_mean', 1, '{:.1f}'):>9s} "
            f"{a['folds_meeting_ceilings']:>4d}/{a['n_folds']}",
            flush=True,
        )


def bench_oracle() -> dict:
    from spacekit.skopes.hst.cal.features import FEATURES, group_ids, prepare_table
    from spacekit.skopes.hst.cal.replay import per_input_oracle, replay_jobs, true_bin_oracle

    out = {}
    for path in (TABLE, EXPORT):
        df = prepare_table(path)
        mem, wall = df["memory"].to_numpy(), df["wallclock"].to_numpy()
        groups = group_ids(df[list(FEATURES)].to_numpy(dtype=float))
        true = replay_jobs(mem, wall, true_bin_oracle(mem))["reserved_gbh"].sum()
        rows = {}
        ceiling = int(math.floor(RETRY_CEILING * len(df)))
        for budget in sorted({0, 7, 11, ceiling, None} - {None}) + [None]:
            t0 = time.perf_counter()
            r = replay_jobs(mem, wall, per_input_oracle(mem, wall, groups, retry_budget=budget))
            rows[str(budget)] = {
                "cost_over_true_bin": round(float(r["reserved_gbh"].sum() / true), 5),
                "retries": int(r["retries"].sum()),
                "seconds": round(time.perf_counter() - t0, 2),
            }
        out[path.name] = {"n_jobs": len(df), "ceiling_budget": ceiling, "budgets": rows}
    print(json.dumps(out, indent=1))
    return out


def bench_folds() -> dict:
    from spacekit.skopes.hst.cal.features import FEATURES, group_ids, prepare_table
    from spacekit.skopes.hst.cal.pipeline import fit_pipeline
    from spacekit.transformer.splits import RepeatedGroupKFold

    df = prepare_table(TABLE)
    X = df[list(FEATURES)].to_numpy(dtype=float)
    groups = group_ids(X)
    seeds = [int(s) for s in os.environ.get("BENCH_SEEDS", "0").split(",")]
    result = {}
    for seed in seeds:
        t0 = time.perf_counter()
        folds, sizes = [], []
        splits = RepeatedGroupKFold(5, n_repeats=3, random_state=seed).split(X, groups=groups)
        for i, (tr, te) in enumerate(splits):
            train_df = df.iloc[tr].reset_index(drop=True)
            test_df = df.iloc[te].reset_index(drop=True)
            predictor, info = fit_pipeline(train_df, seed=seed + i // 5, fast=FAST)
            pol = _policies(predictor, info, train_df, test_df)
            folds.append(_replay_all(pol, test_df))
            sizes.append(_by_group_size(pol, test_df))
            print(
                f"seed {seed} fold {i}: cost/PIO "
                + ", ".join(
                    f"{k} {v['cost_over_per_input_oracle']:.4f}" for k, v in folds[-1].items()
                ),
                flush=True,
            )
        agg = _aggregate(folds)
        _print(
            agg,
            f"2021-05-11 table, 5x3 grouped k-fold, seed {seed} "
            f"({time.perf_counter() - t0:.0f} s, fast={FAST})",
        )
        by_size = {k: {n: sum(f[k][n] for f in sizes) for n in sizes[0][k]} for k in sizes[0]}
        pio = sum(v["per_input_oracle"] for v in by_size.values())
        print("GB-h by group size, summed over folds (excess over the per-input oracle, "
              "as a share of its total):")  # fmt: skip
        for k, v in by_size.items():
            oracle = v["per_input_oracle"]
            first = v["first:learn@lag0"] - v["first:per_input_oracle"]
            later = v["learn@lag0"] - oracle - first
            print(
                f"  {k:>8s} jobs {v['jobs']:>7d}  oracle {oracle / pio:6.1%}"
                f"  cost +{(v['cost'] - oracle) / pio:6.1%}"
                f"  learn@lag0 +{(v['learn@lag0'] - oracle) / pio:6.1%}"
                f" (first jobs {first / pio:+5.1%}, later {later / pio:+5.1%})",
                flush=True,
            )
        result[str(seed)] = {"aggregate": agg, "folds": folds, "by_group_size": by_size}
    return result


def bench_ddb() -> dict:
    from spacekit.skopes.hst.cal.features import FEATURES, prepare_table
    from spacekit.skopes.hst.cal.pipeline import fit_pipeline

    df = prepare_table(TABLE)
    export = prepare_table(EXPORT)
    key = [tuple(r) for r in export[list(FEATURES)].to_numpy(dtype=float)]
    seen = set(key)
    mask = np.array([tuple(r) not in seen for r in df[list(FEATURES)].to_numpy(dtype=float)])
    train_df = df[mask].reset_index(drop=True)
    t0 = time.perf_counter()
    predictor, info = fit_pipeline(train_df, seed=0, fast=FAST)
    out = _replay_all(_policies(predictor, info, train_df, export), export)
    agg = _aggregate([out])
    _print(
        agg,
        f"DynamoDB export ({len(export)} jobs), trained on the {len(train_df)} rows of the "
        f"2021-05-11 table whose inputs are not in it ({time.perf_counter() - t0:.0f} s)",
    )
    by_instr = {k: v.get("by_instrument") for k, v in out.items()}
    return {"aggregate": agg, "replay": out, "by_instrument": by_instr, "n_train": len(train_df)}


def _count_trees(predictor) -> dict:
    """Trees per model of a predictor (tree ensembles, also inside averages)."""
    from spacekit.skopes.hst.cal.export import AverageModel, TreeEnsemble

    out = {}
    for key, m in predictor.models.items():
        members = m.members if isinstance(m, AverageModel) else [m]
        out[key] = sum(int(x.roots.size) for x in members if isinstance(x, TreeEnsemble))
    out["total"] = sum(out.values())
    return out


def bench_trees(results: dict) -> dict:
    """Replay cost (cost rule) against tree count: the same 5x3 folds (seed 0) per config.

    Each configuration's folds are paired with ``full``'s (same training rows, seeds and test
    rows), so the cost delta is per fold; a model trained on the whole table per configuration
    is written under ``TREES_DIR/<name>`` (``build_default_model``: bit-reproducible) for the
    rows/s measurement of ``bench_hst_cal.py rows``.
    """
    import copy

    import spacekit.skopes.hst.cal.fitters as fitters
    from spacekit.skopes.hst.cal.default_model import build_default_model
    from spacekit.skopes.hst.cal.features import FEATURES, group_ids, prepare_table
    from spacekit.skopes.hst.cal.pipeline import fit_pipeline
    from spacekit.skopes.hst.cal.predict import load_predictor
    from spacekit.transformer.splits import RepeatedGroupKFold

    df = prepare_table(TABLE)
    X = df[list(FEATURES)].to_numpy(dtype=float)
    groups = group_ids(X)
    names = [n for n in os.environ.get("BENCH_TREE_CONFIGS", ",".join(TREE_CONFIGS)).split(",")]
    fold_seed = int(os.environ.get("BENCH_TREE_SEED", "0"))  # the fold draw (as BENCH_SEEDS)
    out = results.setdefault("trees" if fold_seed == 0 else f"trees_seed{fold_seed}", {})
    defaults = copy.deepcopy(fitters.TREE_SIZES)
    for name in names:
        sizes = copy.deepcopy(defaults)
        for target, over in TREE_CONFIGS[name].items():
            sizes[target].update(over)
        fitters.TREE_SIZES.clear()
        fitters.TREE_SIZES.update(sizes)
        try:
            t0 = time.perf_counter()
            loads = [os.getloadavg()[0]]
            folds = []
            splits = RepeatedGroupKFold(5, n_repeats=3, random_state=fold_seed).split(
                X, groups=groups
            )
            for i, (tr, te) in enumerate(splits):
                train_df = df.iloc[tr].reset_index(drop=True)
                test_df = df.iloc[te].reset_index(drop=True)
                predictor, info = fit_pipeline(train_df, seed=fold_seed + i // 5, fast=False)
                pol = _policies(predictor, info, train_df, test_df, variants={})
                folds.append(_replay_all(pol, test_df))
                c = folds[-1]["cost"]
                print(
                    f"trees {name} fold {i}: cost/PIO {c['cost_over_per_input_oracle']:.4f}"
                    f" retries {c['memory_retries']} kills {c['kills']}",
                    flush=True,
                )
                loads.append(os.getloadavg()[0])
            model_dir = TREES_DIR / name
            if not (model_dir / "metadata.json").is_file():
                build_default_model(model_dir)  # the same for every fold draw
            files = {p.name: p.stat().st_size for p in sorted(model_dir.iterdir())}
            out[name] = {
                "sizes": sizes,
                "trees": _count_trees(load_predictor(model_dir)),
                "model_dir": str(model_dir),
                "model_bytes": files,
                "model_bytes_total": sum(files.values()),
                "aggregate": _aggregate(folds),
                "fold_gbh": {k: [f[k]["gbh_reserved"] for f in folds] for k in folds[0]},
                "fold_retries": [f["cost"]["memory_retries"] for f in folds],
                "fold_kills": [f["cost"]["kills"] for f in folds],
                "n_jobs_per_fold": [f["cost"]["n_jobs"] for f in folds],
                "seconds": round(time.perf_counter() - t0),
                "load_average_1min": [round(x, 2) for x in loads],
            }
        finally:
            fitters.TREE_SIZES.clear()
            fitters.TREE_SIZES.update(defaults)
        _print(out[name]["aggregate"], f"trees {name}: {out[name]['trees']}")
        OUT.write_text(json.dumps(results, indent=1, default=str))
    if "full" in out:
        ref = np.array(out["full"]["fold_gbh"]["cost"])
        for name, r in out.items():
            d = np.array(r["fold_gbh"]["cost"]) / ref - 1
            a = r["aggregate"]["cost"]
            r["delta_vs_full"] = {
                "pooled": float(np.sum(r["fold_gbh"]["cost"]) / ref.sum() - 1),
                "fold_mean": float(d.mean()),
                "fold_min": float(d.min()),
                "fold_max": float(d.max()),
            }
            r["ceilings_hold_on_mean"] = bool(
                a["retry_rate_mean"] <= RETRY_CEILING and a["kill_rate_mean"] <= KILL_CEILING
            )
            print(
                f"{name:16s} trees {r['trees']['total']:5d}  "
                f"cost/PIO {a['cost_over_per_input_oracle_mean']:.4f}"
                f"  delta pooled {r['delta_vs_full']['pooled']:+.4%} folds {d.mean():+.4%}"
                f" [{d.min():+.3%}, {d.max():+.3%}]  retries {a['retry_rate_mean']:.4%}"
                f" kills {a['kill_rate_mean']:.4%}  folds in ceilings "
                f"{a['folds_meeting_ceilings']}/{a['n_folds']}",
                flush=True,
            )
    return out


def bench_upstream() -> dict:
    """The model shipped in the package against upstream 1.1.4's, replayed on both tables."""
    from spacekit.skopes.hst.cal.default_model import DEFAULT_MODEL_DIR
    from spacekit.skopes.hst.cal.replay import replay

    if not UPSTREAM_MODEL:
        raise SystemExit(
            "set BENCH_UPSTREAM_MODEL to the hst_cal folder of spacekit import-upstream"
        )
    out = {}
    for path in (TABLE, EXPORT):
        t0 = time.perf_counter()
        r = replay(path, DEFAULT_MODEL_DIR, baseline=UPSTREAM_MODEL, n_boot=2000, figures=False)
        r["seconds"] = round(time.perf_counter() - t0, 1)
        out[path.name] = r
        print(f"\n{path.name} ({r['settings']['n_jobs']} jobs, {r['settings']['n_groups']} groups)")
        for k, p in r["policies"].items():
            print(
                f"{k:18s} reserved {p['gbh_reserved']:10.1f} wasted {p['gbh_wasted']:9.1f} GB-h "
                f"retries {p['memory_retries']:5d} kills {p['kills']:4d} "
                f"/PIO {p['cost_over_per_input_oracle']:.4f}"
            )
        print("decision:", r["comparison"]["decision"]["reason"], flush=True)
    return out


def bench_upstream_oof() -> dict:
    """Held-out for ours: one 5-fold repeat (seed 0) of ``folds``, every row of the 2021-05-11
    table replayed once with the cost rule of the pipeline trained without its fold, against
    upstream's shipped networks on the same rows; cost ratio with a bootstrap interval over
    groups of identical inputs (:func:`~spacekit.skopes.hst.cal.replay.bootstrap_cost_ratio`).
    ``cost_learnt``: the cost rule with a job history learnt as each fold's jobs finish (random
    order, as in ``folds``)."""
    from spacekit.skopes.hst.cal.arrival import replay_counts
    from spacekit.skopes.hst.cal.cost import cost_decisions
    from spacekit.skopes.hst.cal.features import FEATURES, group_ids, prepare_table
    from spacekit.skopes.hst.cal.pipeline import fit_pipeline
    from spacekit.skopes.hst.cal.replay import (
        bootstrap_cost_ratio,
        calcloud_kill_time,
        replay_jobs,
        summarise_replay,
    )
    from spacekit.transformer.splits import RepeatedGroupKFold

    if not UPSTREAM_MODEL:
        raise SystemExit(
            "set BENCH_UPSTREAM_MODEL to the hst_cal folder of spacekit import-upstream"
        )
    df = prepare_table(TABLE)
    X = df[list(FEATURES)].to_numpy(dtype=float)
    groups = group_ids(X)
    n = len(df)
    names = ("cost", "cost_learnt", "argmax_calibrated_kill")
    bins = {k: np.zeros(n, dtype=np.int64) for k in names}
    kills = {k: np.zeros(n, dtype=np.int64) for k in bins}
    mem, wall = df["memory"].to_numpy(dtype=float), df["wallclock"].to_numpy(dtype=float)
    t0 = time.perf_counter()
    splits = RepeatedGroupKFold(5, n_repeats=1, random_state=0).split(X, groups=groups)
    for i, (tr, te) in enumerate(splits):
        predictor, _ = fit_pipeline(df.iloc[tr].reset_index(drop=True), seed=0)
        for name, rule in (("cost", "cost"), ("argmax_calibrated_kill", "argmax")):
            predictor.decision = rule
            res = predictor._predict_unique(X[te])
            bins[name][te] = res["mem_bin"]
            kills[name][te] = calcloud_kill_time(res["clock_time"])
            if rule == "cost":  # the same with a history learnt as the fold's jobs finish
                counts, longest, _ = replay_counts(
                    df.iloc[te], group_ids(X[te]), mem[te], learn=True, seed=0
                )
                d = cost_decisions(res, predictor.cost_rule, counts, longest)
                bins["cost_learnt"][te] = d["mem_bin"]
                kills["cost_learnt"][te] = calcloud_kill_time(d["clock_time"])
        print(f"upstream_oof fold {i} ({time.perf_counter() - t0:.0f} s)", flush=True)
    bins["upstream"], kills["upstream"] = _upstream_policy(X)
    per_job = {k: replay_jobs(mem, wall, bins[k], kills[k]) for k in bins}
    instr = df["instr"].to_numpy()
    out = {
        "policies": {k: summarise_replay(v, instr) for k, v in per_job.items()},
        "n_jobs": n,
        "seconds": round(time.perf_counter() - t0),
    }
    for k in names:
        out[f"{k}_over_upstream"] = bootstrap_cost_ratio(
            per_job[k]["reserved_gbh"], per_job["upstream"]["reserved_gbh"], groups, n_boot=2000
        )
        print(k, "/ upstream:", out[f"{k}_over_upstream"], flush=True)
    for k, p in out["policies"].items():
        print(
            f"{k:24s} reserved {p['gbh_reserved']:10.1f} wasted {p['gbh_wasted']:9.1f} GB-h "
            f"retries {p['memory_retries']:5d} kills {p['kills']:4d}",
            flush=True,
        )
    return out


def main(argv: list[str]) -> None:
    what = argv[1] if len(argv) > 1 else "all"
    results = json.loads(OUT.read_text()) if OUT.exists() else {}
    for name, fn in (("oracle", bench_oracle), ("folds", bench_folds), ("ddb", bench_ddb)):
        if what in (name, "all"):
            results[name] = fn()
            OUT.write_text(json.dumps(results, indent=1, default=str))
    if what == "upstream":
        results["upstream"] = bench_upstream()
        OUT.write_text(json.dumps(results, indent=1, default=str))
    if what == "upstream_oof":
        results["upstream_oof"] = bench_upstream_oof()
        OUT.write_text(json.dumps(results, indent=1, default=str))
    if what == "trees":
        bench_trees(results)
        OUT.write_text(json.dumps(results, indent=1, default=str))
    print(f"\nwritten to {OUT}")


if __name__ == "__main__":
    main(sys.argv)
