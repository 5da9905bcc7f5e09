"""``spacekit k2 build-dataset|train|cv|score|predict``: the K2 transiting-planet classifier.

``evaluate`` (now ``cv``) and ``--network`` (now ``--kind``) are deprecated, still accepted.
"""

from __future__ import annotations

import contextlib
import json
import sys

from ._contract import (
    DATA_HELP,
    MODEL_HELP,
    SERVING,
    DeprecatedAlias,
    add_action,
    add_app,
    add_common,
    print_metrics,
    print_run_json,
    seed_option,
    settings,
)


def register(sub) -> None:
    k2sub = add_app(
        sub,
        "k2",
        help="K2 exoplanet classifier: build a training set, train, cv, score, predict",
        description="Classify stellar flux series as 'has a transiting planet' or not. "
        "build-dataset cuts 3,197-cadence windows (native cadence) from the shared light "
        "curves, masks known transits, injects batman transits and adds synthetic noise; "
        "train fits the CNN; cv runs leave-one-star-out; score gives the headline metrics; "
        "predict scores light curves. DATA is a path or a registered dataset name.",
        dest="k2_command",
        metavar="STEP",
    )

    b = k2sub.add_parser("build-dataset", help="write a Kaggle-format training set")
    b.add_argument("output", help="csv to write, or a folder (gets k2-train.csv)")
    b.add_argument("--seed", type=seed_option, default=0)
    b.add_argument(
        "--n-synthetic",
        type=int,
        default=400,
        metavar="N",
        help="synthetic noise windows, half with an injected transit (default 400)",
    )
    b.add_argument(
        "--synthetic-groups",
        type=int,
        default=None,
        metavar="N",
        help="synthetic-<k> evaluation groups (default: the number of stars, at least 1)",
    )
    b.add_argument(
        "--injections",
        type=int,
        default=2,
        metavar="N",
        help="injected copies of each real window (default 2)",
    )
    b.add_argument("--length", type=int, default=3197, help="window length in cadences")
    b.add_argument(
        "--step", type=int, default=None, help="spacing of real windows (default length/8)"
    )
    b.add_argument(
        "--no-shared",
        action="store_true",
        help="do not use the shared light curves (only --lightcurve ones)",
    )
    b.add_argument(
        "--lightcurve",
        action="append",
        default=[],
        metavar="STAR=PATH",
        help="add a light curve of STAR (repeatable; its planets are found with planet_hunter)",
    )
    b.add_argument(
        "--max-planets",
        type=int,
        default=1,
        help="planets to mask in each --lightcurve star (default 1)",
    )
    b.add_argument(
        "--time-format",
        default=None,
        help="time system of --lightcurve csv files (bkjd, btjd, ...)",
    )
    b.set_defaults(func=run_build)

    for name, helptext in (
        ("train", "train the classifier"),
        ("cv", "leave-one-star-out cross-validation (cv='loso')"),
        ("evaluate", "deprecated: spacekit k2 cv"),
    ):
        t = k2sub.add_parser(name, help=helptext)
        t.add_argument(
            "data",
            metavar="DATA",
            help="flux table (Kaggle format; cv needs its .meta.csv): "
            + DATA_HELP.format(example="k2_exoplanet_train"),
        )
        add_common(t)
        t.add_argument("--name", default=name)
        t.add_argument("--epochs", type=int, default=10)
        t.add_argument("--batch-size", type=int, default=32)
        t.add_argument("--learning-rate", type=float, default=1e-3)
        t.add_argument(
            "--kind",
            dest="network",
            choices=("folded", "global", "seed"),
            default="folded",
            help="model family: 'folded' (default: the window plus its folded box-search and "
            "whitened-search features, CNN averaged with gradient boosting), "
            "'global' (window-only global-pooling CNN) or 'seed' (build_cnn1d)",
        )
        t.add_argument(
            "--network",
            dest="network",
            choices=("folded", "global", "seed"),
            action=DeprecatedAlias,
            new="--kind",
            help="deprecated: --kind",
        )
        t.add_argument("--fast", action="store_true", help="tiny network (smoke runs)")
        t.add_argument("--threshold", type=float, default=0.5)
        t.add_argument(
            "--train-min-snr",
            type=float,
            default=5.0,
            metavar="SNR",
            help="leave injected transits below this SNR out of training (default 5; "
            "they are still scored by evaluate)",
        )
        if name == "evaluate":
            t.add_argument(
                "--snr-definitions",
                action="store_true",
                help="also report the goal and the per-SNR-bin table under the "
                "per-point std and the timescale (CDPP-like) SNR (the headline stays "
                "at the issue's SNR)",
            )
        t.set_defaults(func=run_train if name == "train" else run_evaluate)

    help_ = "headline metrics of a trained model on a flux table"
    add_action(k2sub, "score", run_score, help=help_, example="k2-set.csv", **SERVING)

    q = k2sub.add_parser("predict", help="probability of a transit for light curves or tables")
    q.add_argument(
        "paths",
        nargs="+",
        metavar="DATA",
        help="FITS/csv light curves or Kaggle-format tables (paths or registered dataset names)",
    )
    q.add_argument("--model", default=None, help=MODEL_HELP + " (default: the latest k2 run)")
    q.add_argument("--runs", default=None, help="runs folder searched for the latest model")
    q.add_argument("--time-format", default=None, help="time system of csv light curves")
    q.add_argument("--json", action="store_true", help="one JSON object per result")
    q.add_argument(
        "--no-search",
        action="store_true",
        help="skip the period search reported beside each light curve's probability",
    )
    q.set_defaults(func=run_predict)


@contextlib.contextmanager
def _cli_time_format():
    """Name the command-line option where the reader's message names the Python keyword."""
    from ..exceptions import SpacekitError

    try:
        yield
    except SpacekitError as exc:
        msg = str(exc)
        if "time_format=" not in msg:
            raise
        raise type(exc)(
            msg.replace("pass time_format=", "pass --time-format").replace(
                "time_format=", "--time-format "
            )
        ) from None


def run_build(args) -> int:
    from ..exceptions import InputError
    from ..skopes.k2.dataset import DEFAULT_STARS, StarSpec, build_training_set

    stars = [] if args.no_shared else list(DEFAULT_STARS)
    extra: dict[str, list[str]] = {}
    for item in args.lightcurve:
        if "=" not in item:
            raise InputError(f"--lightcurve expects STAR=PATH, got {item!r}")
        star, path = item.split("=", 1)
        extra.setdefault(star.strip(), []).append(path)
    kw = {"time_format": args.time_format} if args.time_format else {}
    for star, paths in extra.items():
        stars.append(StarSpec(star, paths, max_planets=args.max_planets, read_kwargs=kw))
    with _cli_time_format():
        names = ("length", "step", "n_synthetic", "seed", "synthetic_groups")
        kw = settings(args, *names, injections_per_window="injections")
        ts = build_training_set(args.output, stars=stars, **kw)
    comp = ts.summary["composition"]
    print(
        f"wrote {ts.path} ({comp['n_windows']} windows, {comp['n_planet']} with a transit; "
        f"{comp['real_noise_fraction']:.0%} real noise) and {ts.meta_path}"
    )
    return 0


def _fit_kwargs(args) -> dict:
    return {
        "runs_dir": args.runs,
        "name": args.name,
        "epochs": args.epochs,
        "batch_size": args.batch_size,
        "learning_rate": args.learning_rate,
        "seed": args.seed,
        "network": args.network,
        "fast": args.fast,
        "threshold": args.threshold,
        "train_min_snr": args.train_min_snr,
    }


def run_train(args) -> int:
    from ..skopes.k2.classifier import train

    run = train(args.data, **_fit_kwargs(args))
    if args.json:
        return print_run_json(run)
    m = run.metrics
    print(
        f"trained: {run.path} (train loss {m.get('train_loss')}, "
        f"{m.get('train_samples_per_second') or 0:.0f} samples/s)"
    )
    return 0


def run_score(args) -> int:
    from ..skopes.k2 import HEADLINE_METRICS, score

    print_metrics(score(args.model, args.data), as_json=args.json, headline=HEADLINE_METRICS)
    return 0


def run_evaluate(args) -> int:
    from ..skopes.k2 import cross_validate

    if args.k2_command == "evaluate":
        print("spacekit: warning: `k2 evaluate` is deprecated; use `k2 cv`", file=sys.stderr)
    kw = _fit_kwargs(args)
    kw["progress"] = None
    run = cross_validate(
        args.data,
        cv="loso",
        snr_definitions=args.k2_command == "cv" or args.snr_definitions,
        **kw,
    )
    if args.json:
        return print_run_json(run)
    k2 = run.metrics["k2"]
    print(f"evaluation: {run.path}")
    for fold, s in k2["per_fold"].items():
        print(
            f"  held out {fold:<14} n={s['n']:<5} ROC-AUC={_f(s['roc_auc'])} "
            f"P={_f(s['precision'])} R={_f(s['recall'])} F1={_f(s['f1'])}"
        )
    o, g = k2["overall"], k2["goal"]
    print(
        f"  overall              ROC-AUC={_f(o['roc_auc'])} P={_f(o['precision'])} "
        f"R={_f(o['recall'])} F1={_f(o['f1'])}"
    )
    print(
        f"  SNR>={g['snr_min']:g}: ROC-AUC={_f(g['roc_auc'])}, recall at precision>=0.9 = "
        f"{_f(g['recall_at_precision_0.9'])}"
    )
    for col, what in (("snr_std", "per-point std SNR"), ("snr_timescale", "timescale SNR")):
        if f"goal_{col}" not in k2:
            continue
        ga = k2[f"goal_{col}"]
        print(
            f"  {what}>={ga['snr_min']:g}: {ga['n_planet']} planets, ROC-AUC={_f(ga['roc_auc'])}, "
            f"recall at precision>=0.9 = {_f(ga['recall_at_precision_0.9'])}"
        )
    if "by_snr_timescale" in k2:
        print("  timescale SNR bin   planets  recall  ROC-AUC vs negatives")
        for r in k2["by_snr_timescale"]:
            hi = "inf" if r["snr_max"] is None else f"{r['snr_max']:g}"
            label = f"{r['snr_min']:g}-{hi}"
            print(
                f"  {label:<19} {r['n_planet']:<8} {_f(r.get('recall')):<7} {_f(r.get('roc_auc'))}"
            )
    for star, r in k2["real_transits"].items():
        print(
            f"  real transits {star}: {r['n_windows']} windows, min p={r['min_probability']:.3f}, "
            f"{r['fraction_above_threshold']:.0%} above threshold"
        )
    return 0


def _f(v) -> str:
    return "n/a" if v is None else f"{v:.3f}"


def _plain(rec: dict) -> dict:
    """JSON-ready values: numpy scalars as Python ones, missing (NaN, <NA>) as null."""
    import numpy as np
    import pandas as pd

    out = {}
    for k, v in rec.items():
        if isinstance(v, np.generic):
            v = v.item()
        if v is pd.NA or (isinstance(v, float) and not np.isfinite(v)):
            v = None
        out[k] = v if isinstance(v, (str, int, float, bool, type(None))) else str(v)
    return out


def run_predict(args) -> int:
    from ..skopes.k2.classifier import predict

    kw = {"time_format": args.time_format} if args.time_format else None
    with _cli_time_format():
        frame = predict(
            args.paths,
            model=args.model,
            runs_dir=args.runs,
            read_kwargs=kw,
            search=not getattr(args, "no_search", False),
        )
    for rec in frame.to_dict(orient="records"):
        if args.json:
            print(json.dumps(_plain(rec), allow_nan=False))
        else:
            where = rec["path"] + (f"[{rec['row']}]" if rec["source"] == "table" else "")
            verdict = rec.get("verdict") or ("transit" if rec["planet"] else "no transit")
            flag = "TRANSIT" if verdict == "transit" else verdict
            line = f"{where}: p={rec['probability']:.4f} {flag} ({rec['n_windows']} windows)"
            if rec["source"] == "lightcurve" and rec.get("search_detected") is not None:
                state = "detected" if rec["search_detected"] else "not detected"
                why = f": {rec['search_failed']}" if rec["search_failed"] else ""
                line += f"; search: P={rec['search_period']:.5f} d {state}{why}"
            n_flares = rec.get("window_flares")
            if rec["source"] == "lightcurve" and n_flares == n_flares and n_flares:  # not NaN
                line += (
                    f"; best window: {int(n_flares)} flare(s), "
                    f"{int(rec['window_dips'])} dip(s) away from them"
                )
            print(line)
    return 0
