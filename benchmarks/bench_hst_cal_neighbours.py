"""Does the job history gain from the outcomes of *similar* inputs? (issue 19, tried, not kept)

The job history (:mod:`spacekit.skopes.hst.cal.history`) counts the finished jobs of the same
input. What is left above the per-input oracle sits in inputs with few jobs, so this adds the
outcomes of similar inputs that finished earlier in the fold (the same categorical features,
``n_files`` and ``total_mb`` in the same bin of ``log2`` width ``step``), each weighed as ``nu``
of a job, on the same 5x3 grouped folds and random arrival order as ``bench_hst_cal_cost.py
folds``. Usage, from the repository root (about 2 minutes)::

    export PYTHONPATH=$PWD SPACEKIT_DATA_MIRROR=../shared/data
    python benchmarks/bench_hst_cal_neighbours.py

``$BENCH_SEED`` picks the fold draw (0), ``$BENCH_FAST=1`` the pipeline's fast models.
"""

from __future__ import annotations

import math
import os
from pathlib import Path

import numpy as np

from spacekit.skopes.hst.cal.arrival import arrival_counts, replay_counts
from spacekit.skopes.hst.cal.cost import _choose, bin_distribution, cost_decisions
from spacekit.skopes.hst.cal.features import FEATURES, group_ids, memory_to_bin, prepare_table
from spacekit.skopes.hst.cal.fit import fit_pipeline
from spacekit.skopes.hst.cal.replay import calcloud_kill_time, per_input_oracle, replay_jobs
from spacekit.transformer.splits import RepeatedGroupKFold

TABLE = Path(__file__).resolve().parent.parent.parent / "shared/data/hst_cal"
TABLE = TABLE / "hst_cal_2021-05-11_latest.csv"
SEED = int(os.environ.get("BENCH_SEED", "0"))
FAST = os.environ.get("BENCH_FAST", "0") == "1"
SETTINGS = [(0.5, 0.0)] + [(step, nu) for step in (0.5, 1.0) for nu in (0.05, 0.1, 0.2, 0.5)]


def similar_groups(X: np.ndarray, step: float) -> np.ndarray:
    """Groups of inputs alike but for n_files and total_mb within one log2 bin of ``step``."""
    C = X.copy()
    for name in ("n_files", "total_mb"):
        j = list(FEATURES).index(name)
        C[:, j] = np.floor(np.log2(C[:, j] + 1) / step)
    return group_ids(C)


def main() -> None:
    df = prepare_table(TABLE)
    X = df[list(FEATURES)].to_numpy(dtype=float)
    out: dict = {}
    splits = RepeatedGroupKFold(5, n_repeats=3, random_state=SEED).split(X, groups=group_ids(X))
    for i, (tr, te) in enumerate(splits):
        pred, _ = fit_pipeline(df.iloc[tr].reset_index(drop=True), seed=SEED + i // 5, fast=FAST)
        t = df.iloc[te].reset_index(drop=True)
        Xt = t[list(FEATURES)].to_numpy(dtype=float)
        mem, wall = t["memory"].to_numpy(float), t["wallclock"].to_numpy(float)
        g = group_ids(Xt)
        pred.decision = "cost"
        res, rule = pred._predict_unique(Xt), pred.cost_rule
        budget = int(math.floor(0.002 * len(mem)))
        pio = replay_jobs(mem, wall, per_input_oracle(mem, wall, g, retry_budget=budget))
        counts, longest, _ = replay_counts(t, g, mem, learn=True, seed=0)
        position = np.empty(len(g), dtype=np.int64)
        position[np.random.default_rng(0).permutation(len(g))] = np.arange(len(g))
        p = bin_distribution(res, float(rule["mix"]))
        kill = calcloud_kill_time(cost_decisions(res, rule, counts, longest)["clock_time"])
        for step, nu in SETTINGS:
            near = arrival_counts(similar_groups(Xt, step), memory_to_bin(mem), position) - counts
            c = counts + nu * near
            post = (p + c) / (1 + c.sum(axis=1, keepdims=True))
            bins = _choose(post, post.argmax(1), res["wallclock"], rule["lam"], oom_share=1.0,
                           margin=rule["margin"])  # fmt: skip
            r = replay_jobs(mem, wall, bins, kill)
            out.setdefault((step, nu), []).append(
                (r["reserved_gbh"].sum() / pio["reserved_gbh"].sum(),
                 r["retries"].sum() / len(mem), r["killed"].sum() / len(mem))
            )  # fmt: skip
        print(f"fold {i} done", flush=True)
    print("step  nu    cost/PIO mean (worst)  retries % mean (worst)  folds within both ceilings")
    for (step, nu), v in out.items():
        a = np.array(v)
        within = int(((a[:, 1] <= 0.002) & (a[:, 2] <= 0.0005)).sum())
        print(
            f"{step:4.1f} {nu:5.2f}  {a[:, 0].mean():.4f} ({a[:, 0].max():.4f})"
            f"           {100 * a[:, 1].mean():.3f} ({100 * a[:, 1].max():.3f})"
            f"           {within}/{len(a)}"
        )


if __name__ == "__main__":
    main()
