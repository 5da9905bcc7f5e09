"""K2 classifier: training-set build speed, preprocessing throughput and the leave-one-star-out
evaluation on the shared light curves.

Usage (from the repository root, with the shared data as mirror)::

    SPACEKIT_DATA_MIRROR=../shared/data SPACEKIT_PROGRESS=0 \
        .venv/bin/python benchmarks/bench_k2.py --n-synthetic 2000 --injections 3 --epochs 12

``--snr-definitions`` adds the goal under two other SNR definitions (same scores);
``--predictions <run>/predictions.csv --data <set>`` prints those tables again from a saved
run without retraining.

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


def _goal_pair(y, p):
    """(ROC-AUC, recall at precision >= 0.90) of scores ``p`` for labels ``y``."""
    import numpy as np
    from sklearn.metrics import precision_recall_curve, roc_auc_score

    y, p = np.asarray(y), np.asarray(p, dtype=float)
    if y.min() == y.max():
        return None, None
    prec, rec, _ = precision_recall_curve(y, p)
    ok = prec >= 0.9
    return float(roc_auc_score(y, p)), float(rec[ok].max()) if ok.any() else 0.0


def _beta(z, d: int) -> float:
    """Box-scale scatter / white expectation of one preprocessed series at width ``d``."""
    import numpy as np

    from spacekit.skopes.k2.noise import robust_scatter, running_mean_scatter

    d = max(1, int(round(d)))
    white = robust_scatter(z)
    return float(running_mean_scatter(z, d) * np.sqrt(d) / white) if white > 0 else float("nan")


def noise_kind_table(frame, Z, columns=("proba",)) -> list[str]:
    """Markdown rows: SNR >= 10 injections vs the negatives of the same noise kind."""
    import numpy as np

    inj = frame[
        (frame["label"] == 1)
        & frame["kind"].astype(str).str.endswith("injected")
        & (frame["snr"] >= 10)
    ]
    neg = frame[frame["label"] == 0]
    head = " | ".join(f"ROC-AUC / recall@P90 ({c})" for c in columns)
    out = [
        f"| noise under the window | SNR >= 10 planets | negatives | median beta at the transit "
        f"duration | {head} |",
        "|---" * (4 + len(columns)) + "|",
    ]
    for kind in ("white", "flares", "variability", "red", "mixed", "real"):
        p, n = inj[inj["noise_kind"] == kind], neg[neg["noise_kind"] == kind]
        if not len(p) or not len(n):
            continue
        betas = [_beta(Z[i], r.duration_h * 60.0 / r.cadence_min) for i, r in p.iterrows()]
        y = np.r_[np.ones(len(p)), np.zeros(len(n))]
        cells = []
        for c in columns:
            auc, rec = _goal_pair(y, np.r_[p[c], n[c]])
            cells.append(f"{_f(auc)} / {_f(rec)}")
        out.append(
            f"| {kind} | {len(p)} | {len(n)} | {np.nanmedian(betas):.2f} | "
            + " | ".join(cells)
            + " |"
        )
    return out


def detectability(X, meta, snr_min: float = 10.0) -> list[str]:
    """Whitened SNR of synthetic SNR >= 10 injections at their *true* ephemeris (noise model
    fitted without the transits) against the best whitened SNR a search finds in the
    negatives of the same noise kind: injections below the negatives' 90th percentile cannot
    be ranked above 10% of those negatives by a whitened box search, even one that found the
    right period."""
    import numpy as np

    from spacekit.skopes.k2.classifier import preprocess
    from spacekit.skopes.k2.whiten import whitened_features, whitened_snr_at

    syn = (meta["star"] == "synthetic").to_numpy()
    y = meta["label"].to_numpy()
    pos = np.flatnonzero(
        syn
        & meta["kind"].astype(str).str.endswith("injected").to_numpy()
        & (meta["snr"] >= snr_min).to_numpy()
    )
    neg = np.flatnonzero(syn & (y == 0))
    Zp = preprocess(X[pos])[:, :, 0]
    at_truth = []
    for j, i in enumerate(pos):
        m = meta.iloc[i]
        cad = m.cadence_min / 1440.0
        at_truth.append(
            whitened_snr_at(
                Zp[j], m.period_d / cad, m.epoch_offset_d / cad, m.duration_h / 24.0 / cad
            )
        )
    at_truth = np.asarray(at_truth)
    best_neg = np.expm1(whitened_features(preprocess(X[neg])[:, :, 0])[:, 0])
    kinds_p, kinds_n = meta["noise_kind"].to_numpy()[pos], meta["noise_kind"].to_numpy()[neg]
    snr = meta["snr"].to_numpy()[pos]
    out = [
        "| noise | SNR >= 10 synthetic injections | whitened SNR at the true ephemeris, median "
        "(injected SNR 10-20) | negatives' best whitened SNR, 90th percentile | injections "
        "below it (SNR 10-20) |",
        "|---|---|---|---|---|",
    ]
    for kind in ("white", "flares", "variability", "red", "mixed"):
        k = kinds_p == kind
        lo = k & (snr < 20)
        q = float(np.percentile(best_neg[kinds_n == kind], 90))
        out.append(
            f"| {kind} | {k.sum()} | {np.median(at_truth[k]):.1f} ({np.median(at_truth[lo]):.1f}) "
            f"| {q:.1f} | {np.mean(at_truth[k] < q):.0%} ({np.mean(at_truth[lo] < q):.0%}) |"
        )
    return out


NOISE_ROWS = ("white", "flares", "variability", "red", "mixed", "real")
SNR_DEFINITIONS = (
    ("snr", "issue's (robust_scatter: white part)"),
    ("snr_std", "per-point std (red noise included)"),
    ("snr_timescale", "timescale (CDPP-like)"),
)


def snr_definition_tables(frame, X, Z=None, snr_min: float = 10.0) -> list[str]:
    """The goal under the issue's SNR and the two alternatives of
    :func:`spacekit.skopes.k2.dataset.snr_definitions`, for the *same* out-of-fold scores
    (``frame``: a run's ``predictions.csv``; ``X``: the set's flux table, for the SNRs).
    ``Z`` (the preprocessed long-trend channel) adds the noise-kind table's beta."""
    import numpy as np

    from spacekit.skopes.k2.classifier import loso_metrics
    from spacekit.skopes.k2.dataset import snr_definitions

    t0 = time.perf_counter()
    alt = snr_definitions(X, frame)
    alt_s = time.perf_counter() - t0
    frame = frame.copy()
    for c in ("snr_std", "snr_timescale", "beta"):
        frame[c] = alt[c].to_numpy()
    inj_all = (frame["label"] == 1) & frame["kind"].astype(str).str.endswith("injected")
    neg = frame[frame["label"] == 0]
    out = [
        f"SNR definitions of {int(inj_all.sum())} injected windows computed from the flux table "
        f"and the metadata in {alt_s:.0f} s (the hosts' real transits have no ephemeris in the "
        "metadata: not included).",
        "",
    ]
    out += [
        "| SNR definition | noise | SNR >= 10 planets | ROC-AUC vs all negatives | recall@P90 vs "
        "all negatives | negatives of the kind | ROC-AUC vs those | recall@P90 vs those |",
        "|---|---|---|---|---|---|---|---|",
    ]
    met = {}
    for col, name in SNR_DEFINITIONS:
        strong = frame[inj_all & (frame[col] >= snr_min)]
        for kind in ("all", *NOISE_ROWS):
            p = strong if kind == "all" else strong[strong["noise_kind"] == kind]
            n = neg if kind == "all" else neg[neg["noise_kind"] == kind]
            if not len(p):
                continue
            auc, rec = _goal_pair(
                np.r_[np.ones(len(p)), np.zeros(len(neg))], np.r_[p["proba"], neg["proba"]]
            )
            auc_k, rec_k = _goal_pair(
                np.r_[np.ones(len(p)), np.zeros(len(n))], np.r_[p["proba"], n["proba"]]
            )
            label = "**all**" if kind == "all" else kind
            out.append(
                f"| {name} | {label} | {len(p)} | {_f(auc)} | {_f(rec)} | "
                f"{'' if kind == 'all' else len(n)} | {'' if kind == 'all' else _f(auc_k)} | "
                f"{'' if kind == 'all' else _f(rec_k)} |"
            )
            if kind == "all":
                met[col] = (auc, rec)
    out.append("")
    for col, name in SNR_DEFINITIONS:
        auc, rec = met[col]
        out.append(
            f"- {name} SNR >= {snr_min:g}: ROC-AUC {_f(auc)} (>= 0.98: "
            f"{'met' if auc is not None and auc >= 0.98 else 'NOT met'}), recall at precision "
            f">= 0.90 {_f(rec)} (>= 0.95: "
            f"{'met' if rec is not None and rec >= 0.95 else 'NOT met'})"
        )
    # the same scores with a higher SNR cut (a measurement: nothing is refitted)
    cuts = (10, 15, 20, 30, 50)
    out += [
        "",
        "| SNR definition | "
        + " | ".join(f"SNR >= {c}: planets, ROC-AUC / recall@P90" for c in cuts)
        + " |",
        "|---" * (1 + len(cuts)) + "|",
    ]
    for col, name in SNR_DEFINITIONS:
        cells = []
        for c in cuts:
            p = frame[inj_all & (frame[col] >= c)]
            auc, rec = _goal_pair(
                np.r_[np.ones(len(p)), np.zeros(len(neg))], np.r_[p["proba"], neg["proba"]]
            )
            cells.append(f"{len(p)}: {_f(auc)} / {_f(rec)}")
        out.append(f"| {name} | " + " | ".join(cells) + " |")
    # the library's per-bin table under the timescale SNR (same code as `evaluate`)
    k2 = loso_metrics(frame)
    out += [
        "",
        "| timescale SNR | planets | recall (threshold 0.5) | ROC-AUC vs all negatives |",
        "|---|---|---|---|",
    ]
    for r in k2["by_snr_timescale"]:
        hi = "inf" if r["snr_max"] is None else f"{r['snr_max']:g}"
        out.append(
            f"| {r['snr_min']:g}-{hi} | {r['n_planet']} | {_f(r.get('recall'))} | "
            f"{_f(r.get('roc_auc'))} |"
        )
    # how the definitions relate, per noise kind (all injections of the kind)
    out += [
        "",
        "| noise | injections | median SNR_std / SNR | median SNR_timescale / SNR | median SNR / "
        "SNR_timescale | median beta (raw flux, transits left out) | median beta (preprocessed "
        "channel, transits in) | of SNR >= 10: still >= 10 under std, timescale |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for kind in NOISE_ROWS:
        g = frame[inj_all & (frame["noise_kind"] == kind)]
        if not len(g):
            continue
        hi = g[g["snr"] >= snr_min]
        keep_std = float((hi["snr_std"] >= snr_min).mean()) if len(hi) else float("nan")
        keep_ts = float((hi["snr_timescale"] >= snr_min).mean()) if len(hi) else float("nan")
        pre = "n/a"
        if Z is not None:
            betas = [_beta(Z[i], r.duration_h * 60.0 / r.cadence_min) for i, r in g.iterrows()]
            pre = f"{np.nanmedian(betas):.2f}"
        out.append(
            f"| {kind} | {len(g)} | {np.nanmedian(g['snr_std'] / g['snr']):.2f} | "
            f"{np.nanmedian(g['snr_timescale'] / g['snr']):.2f} | "
            f"{np.nanmedian(g['snr'] / g['snr_timescale']):.2f} | {np.nanmedian(g['beta']):.2f} | "
            f"{pre} | {keep_std:.0%}, {keep_ts:.0%} |"
        )
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n-synthetic", type=int, default=2000)
    ap.add_argument("--injections", type=int, default=3)
    ap.add_argument("--epochs", type=int, default=12)
    ap.add_argument("--network", default="folded", choices=("folded", "global", "seed"))
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--runs", default=None)
    ap.add_argument("--data", default=None, help="reuse a built set instead of building one")
    ap.add_argument(
        "--detectability",
        action="store_true",
        help="also: whitened SNR of synthetic injections at their true ephemeris",
    )
    ap.add_argument(
        "--snr-definitions",
        action="store_true",
        help="also: the goal under the per-point std and the timescale SNR (same scores)",
    )
    ap.add_argument(
        "--predictions",
        default=None,
        help="a run's predictions.csv (per-window out-of-fold scores) of --data: print "
        "the --snr-definitions / --detectability tables from it without retraining",
    )
    ap.add_argument(
        "--search-speed",
        type=int,
        default=0,
        metavar="N",
        help="only time the box + whitened searches (fold_features) on N windows of "
        "--data, in 1 and 2 threads, and check the features are identical",
    )
    args = ap.parse_args(argv)
    if args.search_speed:
        return _search_speed(args)
    if args.predictions:
        return _from_predictions(args)

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
        ts = build_training_set(
            work / "set",
            n_synthetic=args.n_synthetic,
            injections_per_window=args.injections,
            seed=args.seed,
        )
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

    print(
        f"- set: {comp['n_windows']} windows x {summary['length']} cadences (native cadence), "
        f"{comp['n_planet']} with a transit; real noise {comp['real_noise_fraction']:.1%} "
        f"(counts {comp['counts']})"
    )
    if build_s is not None:
        print(
            f"- build: {build_s:.1f} s ({comp['n_windows'] / build_s:.0f} windows/s, "
            "planet_hunter ephemerides included)"
        )
    print(f"- preprocessing: {prep_rate:.0f} windows/s")
    print(
        f"- leave-one-star-out ({len(k2['per_fold'])} folds, {args.epochs} epochs, network "
        f"{args.network}): {eval_s:.0f} s, of which box-search features "
        f"{run.metrics.get('feature_seconds', 0.0):.0f} s; run folder {run.path}"
    )
    print()
    print("| held out | windows | planets | ROC-AUC | precision | recall | F1 |")
    print("|---|---|---|---|---|---|---|")
    for name, s in list(k2["per_fold"].items()) + [("**overall**", k2["overall"])]:
        print(
            f"| {name} | {s['n']} | {s['n_planet']} | {_f(s['roc_auc'])} | "
            f"{_f(s['precision'])} | {_f(s['recall'])} | {_f(s['f1'])} |"
        )
    print()
    print("| injected SNR | planets | recall | ROC-AUC vs all negatives |")
    print("|---|---|---|---|")
    for r in k2["by_snr"]:
        hi = "inf" if r["snr_max"] is None else f"{r['snr_max']:g}"
        print(
            f"| {r['snr_min']:g}-{hi} | {r['n_planet']} | {_f(r.get('recall'))} | "
            f"{_f(r.get('roc_auc'))} |"
        )
    if "by_snr_per_transit" in k2:
        print()
        print(
            "| injected SNR of one transit (SNR / sqrt(transits in window)) | planets | recall | "
            "ROC-AUC vs all negatives |"
        )
        print("|---|---|---|---|")
        for r in k2["by_snr_per_transit"]:
            hi = "inf" if r["snr_max"] is None else f"{r['snr_max']:g}"
            print(
                f"| {r['snr_min']:g}-{hi} | {r['n_planet']} | {_f(r.get('recall'))} | "
                f"{_f(r.get('roc_auc'))} |"
            )
        g1 = k2["goal_per_transit"]
        print()
        print(
            f"Single-transit SNR >= 10 vs all negatives: ROC-AUC {_f(g1['roc_auc'])}, recall at "
            f"precision >= 0.90 {_f(g1['recall_at_precision_0.9'])}."
        )
    g = k2["goal"]
    print()
    print(
        f"Goal (injected SNR >= {g['snr_min']:g} vs all negatives): ROC-AUC {_f(g['roc_auc'])} "
        f"(goal >= 0.98: {'met' if g['met_roc_auc_0.98'] else 'NOT met'}), recall at "
        f"precision >= 0.90 {_f(g['recall_at_precision_0.9'])} (goal >= 0.95: "
        f"{'met' if g['met_recall_0.95_at_precision_0.90'] else 'NOT met'}); at threshold "
        f"{k2['threshold']}: precision {_f(g['precision'])}, recall {_f(g['recall'])}."
    )
    print()
    print("| real transits (never injected) | windows | min p | median p | above threshold |")
    print("|---|---|---|---|---|")
    for star, r in k2["real_transits"].items():
        print(
            f"| {star} | {r['n_windows']} | {r['min_probability']:.3f} | "
            f"{r['median_probability']:.3f} | {r['fraction_above_threshold']:.0%} |"
        )

    import pandas as pd

    frame = pd.read_csv(run.predictions_path)
    cols = [c for c in ("proba", "proba_cnn", "proba_boost") if c in frame.columns]
    if len(cols) > 1:
        inj = frame["kind"].astype(str).str.endswith("injected") & (frame["snr"] >= 10)
        goal = (inj & (frame["label"] == 1)) | (frame["label"] == 0)
        print()
        for c in cols[1:]:
            auc, rec = _goal_pair(frame.loc[goal, "label"], frame.loc[goal, c])
            print(f"Member {c}: goal ROC-AUC {_f(auc)}, recall at precision >= 0.90 {_f(rec)}.")
    print()
    print(f"Per-window out-of-fold scores: {run.predictions_path}")
    _score_tables(args, frame, X, cols)
    return 0


def _score_tables(args, frame, X, cols) -> None:
    """Per-noise-kind table, then the optional SNR-definition and detectability tables."""
    import numpy as np

    from spacekit.skopes.k2.classifier import preprocess

    Z = np.asarray(preprocess(X))[:, :, 0]
    print()
    for line in noise_kind_table(frame, Z, cols):
        print(line)
    if args.snr_definitions:
        print()
        for line in snr_definition_tables(frame, X, Z):
            print(line)
    if args.detectability:
        print()
        for line in detectability(X, frame):
            print(line)


def _search_speed(args) -> int:
    """Seconds per window of the folded features' searches, 1 vs 2 threads, same windows."""
    import os

    import numpy as np

    from spacekit.skopes.k2.classifier import preprocess
    from spacekit.skopes.k2.folded import fold_features
    from spacekit.skopes.k2.kaggle import read_flux_table_with_meta

    if not args.data:
        raise SystemExit("--search-speed needs --data")
    X, _, _ = read_flux_table_with_meta(args.data)
    rows = np.random.default_rng(args.seed).choice(
        len(X), min(args.search_speed, len(X)), replace=False
    )
    Z = preprocess(X[rows])
    fold_features(Z[:2])  # imports, caches
    out = {}
    for workers in (1, 2, 1, 2):
        t0, c0 = time.perf_counter(), time.process_time()
        f = fold_features(Z, workers=workers)
        wall, cpu = (time.perf_counter() - t0) / len(Z), (time.process_time() - c0) / len(Z)
        print(
            f"- {workers} thread(s): {wall:.4f} s/window wall, {cpu:.4f} CPU s/window "
            f"(load average {os.getloadavg()[0]:.1f})"
        )
        if workers in out:
            continue
        out[workers] = f
    same = all(np.array_equal(out[1][k], out[2][k]) for k in out[1])
    print(f"- features identical in 1 and 2 threads: {same}")
    return 0


def _from_predictions(args) -> int:
    """The tables that need only the saved out-of-fold scores and the set."""
    import numpy as np
    import pandas as pd

    from spacekit.skopes.k2.kaggle import read_flux_table_with_meta

    if not args.data:
        raise SystemExit("--predictions needs --data (the set the predictions were made on)")
    X, y, meta = read_flux_table_with_meta(args.data)
    frame = pd.read_csv(args.predictions)
    if len(frame) != len(X) or not np.array_equal(
        frame["label"].to_numpy(), np.asarray(y).astype(int)
    ):
        raise SystemExit(
            f"{args.predictions} does not hold one row per window of {args.data} (labels differ)"
        )
    g = (
        frame["kind"].astype(str).str.endswith("injected")
        & (frame["label"] == 1)
        & (frame["snr"] >= 10)
    )
    auc, rec = _goal_pair(
        frame.loc[g | (frame["label"] == 0), "label"], frame.loc[g | (frame["label"] == 0), "proba"]
    )
    print(
        f"Scores from {args.predictions}: goal (issue's SNR >= 10 vs all negatives) ROC-AUC "
        f"{_f(auc)}, recall at precision >= 0.90 {_f(rec)}."
    )
    cols = [c for c in ("proba", "proba_cnn", "proba_boost") if c in frame.columns]
    _score_tables(args, frame, X, cols)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
