"""Does the job history gain from *similar* inputs, or from memory values? (issue 19, not kept)

The job history (:mod:`spacekit.skopes.hst.cal.history`) counts the finished jobs of the same
input. What is left above the per-input oracle sits in inputs with few jobs, so this adds the
outcomes of similar inputs that finished earlier in the fold (the same categorical features,
``n_files`` and ``total_mb`` in the same bin of ``log2`` width ``step``), each weighed as ``nu``
of a job, on the same 5x3 grouped folds and random arrival order as ``bench_hst_cal_cost.py
folds``. Usage, from the repository root (about 2 minutes)::

    export PYTHONPATH=$PWD SPACEKIT_DATA_MIRROR=../shared/data
    python benchmarks/bench_hst_cal_neighbours.py

``$BENCH_SEED`` picks the fold draw (0), ``$BENCH_FAST=1`` the pipeline's fast models.

``$BENCH_VARIANT=memory`` tries instead the peak memories of the input's earlier jobs rather
than their bins: the next job's log memory is taken as normal around their mean, of the
training part's pooled within-input scatter (the sample's own scatter shrunk to it with a
weight of 2 jobs), and its bin probabilities ``q`` replace the counts in the posterior
``(w p + k q) / (w + k)`` (``k`` earlier jobs, ``w`` = 1, 0.25 and 0.1).
"""

from __future__ import annotations

import math
import os
from pathlib import Path

import numpy as np

from spacekit.skopes.hst.cal.arrival import arrival_counts, replay_counts
from spacekit.skopes.hst.cal.cost import _EDGES, _choose, _ndtr, bin_distribution, cost_decisions
from spacekit.skopes.hst.cal.features import FEATURES, group_ids, memory_to_bin, prepare_table
from spacekit.skopes.hst.cal.fit import fit_pipeline
from spacekit.skopes.hst.cal.replay import calcloud_kill_time, per_input_oracle, replay_jobs
from spacekit.transformer.splits import RepeatedGroupKFold

TABLE = Path(__file__).resolve().parent.parent.parent / "shared/data/hst_cal"
TABLE = TABLE / "hst_cal_2021-05-11_latest.csv"
SEED = int(os.environ.get("BENCH_SEED", "0"))
FAST = os.environ.get("BENCH_FAST", "0") == "1"
VARIANT = os.environ.get("BENCH_VARIANT", "similar")
SETTINGS = [(0.5, 0.0)] + [(step, nu) for step in (0.5, 1.0) for nu in (0.05, 0.1, 0.2, 0.5)]
if VARIANT == "memory":
    SETTINGS = [(kind, w) for w in (1.0, 0.25, 0.1) for kind in ("bins", "memory")]


def similar_groups(X: np.ndarray, step: float) -> np.ndarray:
    """Groups of inputs alike but for n_files and total_mb within one log2 bin of ``step``."""
    C = X.copy()
    for name in ("n_files", "total_mb"):
        j = list(FEATURES).index(name)
        C[:, j] = np.floor(np.log2(C[:, j] + 1) / step)
    return group_ids(C)


def within_scatter(X: np.ndarray, memory: np.ndarray) -> float:
    """Pooled standard deviation of log memory among jobs with identical inputs."""
    g, lm = group_ids(X), np.log(memory)
    n = np.bincount(g)
    dev = lm - (np.bincount(g, lm) / n)[g]
    return float(np.sqrt((dev**2).sum() / max(len(lm) - len(n), 1)))


def memory_posterior(g, memory, position, sw: float) -> tuple[np.ndarray, np.ndarray]:
    """Per job: how many earlier jobs of its input (``k``) and the bin probabilities ``q`` of
    a log-normal around their mean log memory."""
    k, s1, s2 = np.zeros(len(g)), np.zeros(len(g)), np.zeros(len(g))
    acc: dict = {}
    for j in np.argsort(position):
        k[j], s1[j], s2[j] = a = acc.get(g[j], (0, 0.0, 0.0))
        acc[g[j]] = (a[0] + 1, a[1] + math.log(memory[j]), a[2] + math.log(memory[j]) ** 2)
    m = np.maximum(k, 1)
    mu = s1 / m
    var = np.where(k > 1, (s2 - s1**2 / m) / np.maximum(k - 1, 1), 0.0)
    v = (2 * sw**2 + np.maximum(k - 1, 0) * var) / (2 + np.maximum(k - 1, 0))
    cdf = _ndtr((np.log(_EDGES)[None, :] - mu[:, None]) / np.sqrt(v * (1 + 1 / m))[:, None])
    ones = np.ones((len(g), 1))
    return k, np.diff(np.concatenate([0 * ones, cdf, ones], axis=1), axis=1)


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
        if VARIANT == "memory":
            tr_df = df.iloc[tr]
            sw = within_scatter(tr_df[list(FEATURES)].to_numpy(float), tr_df["memory"].to_numpy())
            k, q = memory_posterior(g, mem, position, sw)
        for step, nu in SETTINGS:
            if VARIANT == "memory":  # (kind, weight of the model in jobs)
                c = counts if step == "bins" else k[:, None] * q
                post = (nu * p + c) / (nu + k[:, None])
                post[k == 0] = p[k == 0]
            else:
                near = arrival_counts(similar_groups(Xt, step), memory_to_bin(mem), position)
                c = counts + nu * (near - counts)
                post = (p + c) / (1 + c.sum(axis=1, keepdims=True))
            bins = _choose(post, post.argmax(1), res["wallclock"], rule["lam"], oom_share=1.0,
                           margin=rule["margin"])  # fmt: skip
            r = replay_jobs(mem, wall, bins, kill)
            out.setdefault((step, nu), []).append(
                (r["reserved_gbh"].sum() / pio["reserved_gbh"].sum(),
                 r["retries"].sum() / len(mem), r["killed"].sum() / len(mem))
            )  # fmt: skip
        print(f"fold {i} done", flush=True)
    head = "from     w" if VARIANT == "memory" else "step  nu"
    print(f"{head}    cost/PIO mean (worst)  retries % mean (worst)  folds within both ceilings")
    for (step, nu), v in out.items():
        a = np.array(v)
        within = int(((a[:, 1] <= 0.002) & (a[:, 2] <= 0.0005)).sum())
        print(
            f"{step:>6} {nu:5.2f}  {a[:, 0].mean():.4f} ({a[:, 0].max():.4f})"
            f"           {100 * a[:, 1].mean():.3f} ({100 * a[:, 1].max():.3f})"
            f"           {within}/{len(a)}"
        )


if __name__ == "__main__":
    main()
