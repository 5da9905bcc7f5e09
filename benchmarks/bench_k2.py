"""K2 classifier: training-set build speed, preprocessing throughput and the leave-one-star-out
evaluation on the shared light curves.

Usage (from the repository root, with the shared data as mirror)::

    SPACEKIT_DATA_MIRROR=../shared/data SPACEKIT_PROGRESS=0 \
        .venv/bin/python benchmarks/bench_k2.py --n-synthetic 2000 --injections 3 --epochs 12

Prints a markdown block for ``benchmarks/RESULTS.md``. Run folders go to ``--runs``
(default: a temporary folder).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path


def _f(v) -> str:
    return "n/a" if v is None else f"{v:.3f}"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n-synthetic", type=int, default=2000)
    ap.add_argument("--injections", type=int, default=3)
    ap.add_argument("--epochs", type=int, default=12)
    ap.add_argument("--network", default="global", choices=("global", "seed", "folded"))
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--runs", default=None)
    ap.add_argument("--data", default=None, help="reuse a built set instead of building one")
    args = ap.parse_args(argv)

    from spacekit.skopes.k2.classifier import evaluate, preprocess
    from spacekit.skopes.k2.dataset import build_training_set, read_build_summary
    from spacekit.skopes.k2.kaggle import read_flux_table_with_meta

    work = Path(tempfile.mkdtemp(prefix="bench-k2-"))
    runs = args.runs or str(work / "runs")
    if args.data:
        data, build_s = Path(args.data), None
        summary = read_build_summary(data)
    else:
        t0 = time.perf_counter()
        ts = build_training_set(work / "set", n_synthetic=args.n_synthetic,
                                injections_per_window=args.injections, seed=args.seed)
        build_s = time.perf_counter() - t0
        data, summary = ts.path, ts.summary
    comp = summary["composition"]
    X, _, _ = read_flux_table_with_meta(data)
    t0 = time.perf_counter()
    preprocess(X[:500])
    prep_rate = min(500, len(X)) / (time.perf_counter() - t0)

    t0 = time.perf_counter()
    run = evaluate(data, runs_dir=runs, epochs=args.epochs, network=args.network, seed=args.seed)
    eval_s = time.perf_counter() - t0
    k2 = run.metrics["k2"]

    print(f"- set: {comp['n_windows']} windows x {summary['length']} cadences (native cadence), "
          f"{comp['n_planet']} with a transit; real noise {comp['real_noise_fraction']:.1%} "
          f"(counts {comp['counts']})")
    if build_s is not None:
        print(f"- build: {build_s:.1f} s ({comp['n_windows'] / build_s:.0f} windows/s, "
              "planet_hunter ephemerides included)")
    print(f"- preprocessing: {prep_rate:.0f} windows/s")
    print(f"- leave-one-star-out ({len(k2['per_fold'])} folds, {args.epochs} epochs, network "
          f"{args.network}): {eval_s:.0f} s, of which box-search features "
          f"{run.metrics.get('feature_seconds', 0.0):.0f} s; run folder {run.path}")
    print()
    print("| held out | windows | planets | ROC-AUC | precision | recall | F1 |")
    print("|---|---|---|---|---|---|---|")
    for name, s in list(k2["per_fold"].items()) + [("**overall**", k2["overall"])]:
        print(f"| {name} | {s['n']} | {s['n_planet']} | {_f(s['roc_auc'])} | "
              f"{_f(s['precision'])} | {_f(s['recall'])} | {_f(s['f1'])} |")
    print()
    print("| injected SNR | planets | recall | ROC-AUC vs all negatives |")
    print("|---|---|---|---|")
    for r in k2["by_snr"]:
        hi = "inf" if r["snr_max"] is None else f"{r['snr_max']:g}"
        print(f"| {r['snr_min']:g}-{hi} | {r['n_planet']} | {_f(r.get('recall'))} | "
              f"{_f(r.get('roc_auc'))} |")
    if "by_snr_per_transit" in k2:
        print()
        print("| injected SNR of one transit (SNR / sqrt(transits in window)) | planets | recall | "
              "ROC-AUC vs all negatives |")
        print("|---|---|---|---|")
        for r in k2["by_snr_per_transit"]:
            hi = "inf" if r["snr_max"] is None else f"{r['snr_max']:g}"
            print(f"| {r['snr_min']:g}-{hi} | {r['n_planet']} | {_f(r.get('recall'))} | "
                  f"{_f(r.get('roc_auc'))} |")
        g1 = k2["goal_per_transit"]
        print()
        print(f"Single-transit SNR >= 10 vs all negatives: ROC-AUC {_f(g1['roc_auc'])}, recall at "
              f"precision >= 0.90 {_f(g1['recall_at_precision_0.9'])}.")
    g = k2["goal"]
    print()
    print(f"Goal (injected SNR >= {g['snr_min']:g} vs all negatives): ROC-AUC {_f(g['roc_auc'])} "
          f"(goal >= 0.98: {'met' if g['met_roc_auc_0.98'] else 'NOT met'}), recall at "
          f"precision >= 0.90 {_f(g['recall_at_precision_0.9'])} (goal >= 0.95: "
          f"{'met' if g['met_recall_0.95_at_precision_0.90'] else 'NOT met'}); at threshold "
          f"{k2['threshold']}: precision {_f(g['precision'])}, recall {_f(g['recall'])}.")
    print()
    print("| real transits (never injected) | windows | min p | median p | above threshold |")
    print("|---|---|---|---|---|")
    for star, r in k2["real_transits"].items():
        print(f"| {star} | {r['n_windows']} | {r['min_probability']:.3f} | "
              f"{r['median_probability']:.3f} | {r['fraction_above_threshold']:.0%} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
