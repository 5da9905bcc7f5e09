"""Benchmarks of skopes.hst.cal (see benchmarks/RESULTS.md, section "HST calibration").

Usage (from the repository root; the shared data folder is ../shared/data)::

    python benchmarks/bench_hst_cal.py train     # full training (trees, linear, blend
                                                 # compared), time
    python benchmarks/bench_hst_cal.py cv        # repeated grouped k-fold, 5 folds x 3 seeds
    python benchmarks/bench_hst_cal.py tradeoff  # the same folds at other margin confidences
                                                 # / bin rules
    python benchmarks/bench_hst_cal.py killrule  # the same folds with the earlier kill-time rule
    python benchmarks/bench_hst_cal.py draws     # 5x3 grouped k-fold on fold seeds
                                                 # $BENCH_SEEDS (0-7)
    python benchmarks/bench_hst_cal.py single    # cold start (fresh process): import + load
                                                 # + one predict
    python benchmarks/bench_hst_cal.py rows      # rows/s, every row predicted: kept models
                                                 # vs upstream's shipped Keras networks,
                                                 # side by side ($BENCH_EXTRA_MODELS: more
                                                 # model folders, "name=dir,name=dir")
    python benchmarks/bench_hst_cal.py scale     # 1e5 / 1e6 rows: time and peak RSS growth
                                                 # of a call
    python benchmarks/bench_hst_cal.py batch     # rows/s: numpy nets vs upstream Keras predict
    python benchmarks/bench_hst_cal.py all

Upstream spacekit 1.1.4 is measured in its own venv (``UPSTREAM_PY``, default
``/tmp/upstream-venv/bin/python`` or ``/tmp/venv-up/bin/python``, the first that exists), with
the trained networks its wheel ships (``spacekit/builder/trained_networks/hst_cal.zip``).
Results are printed as JSON and written to ``$BENCH_OUT`` (default /tmp/bench_hst_cal.json).
``$BENCH_BIN_RULE`` (default ``upper_quantile``) sets the bin rule of ``train`` and ``draws``.
"""

from __future__ import annotations

import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = (ROOT.parent / "shared" / "data" / "hst_cal").resolve()
TABLE = DATA / "hst_cal_2021-05-11_latest.csv"
MMF = DATA / "MemModelFeatures"
UPSTREAM_PY = os.environ.get("UPSTREAM_PY") or next(
    (p for p in ("/tmp/upstream-venv/bin/python", "/tmp/venv-up/bin/python") if Path(p).exists()),
    "/tmp/upstream-venv/bin/python",
)
RUNS = Path(os.environ.get("BENCH_RUNS", tempfile.gettempdir())) / "bench-hst-cal-runs"
OUT = Path(os.environ.get("BENCH_OUT", "/tmp/bench_hst_cal.json"))
BIN_RULE = os.environ.get("BENCH_BIN_RULE", "upper_quantile")
HIDDEN = {
    "mem_clf": ((18, 32, 64, 32, 18, 9), 4, "softmax"),
    "mem_reg": ((18, 32, 64, 32, 18, 9), 1, "linear"),
    "wall_reg": ((18, 32, 64, 128, 256, 128, 64, 32, 18, 9), 1, "linear"),
}


def bench_train() -> dict:
    from spacekit.skopes.hst.cal import train

    t0 = time.perf_counter()
    run = train(TABLE, RUNS, seed=0, name="bench", bin_rule=BIN_RULE)
    wall = time.perf_counter() - t0
    m = run.metrics
    return {
        "train_seconds_total": round(wall, 1),
        "train_seconds_fit": m["train_seconds"],
        "selection": {t: v["reason"] for t, v in m["selection"].items()},
        "kept": {t: v["kept"] for t, v in m["selection"].items()},
        "calibration": m["calibration"],
        "out_of_fold": m["out_of_fold"],
        "run": str(run.path),
    }


def bench_cv(kinds=None, **options) -> dict:
    """Repeated grouped k-fold; without ``kinds`` each training part chooses its own kinds."""
    from collections import Counter

    from spacekit.skopes.hst.cal import cross_validate

    t0 = time.perf_counter()
    cv = cross_validate(
        TABLE, n_splits=5, n_repeats=3, seed=0, kinds=kinds, progress=False, **options
    )
    keys = [
        "bin_accuracy",
        "under_bin_rate",
        "over_bin_rate",
        "mean_extra_gb",
        "argmax_bin_accuracy",
        "argmax_under_bin_rate",
        "recall_bin0",
        "recall_bin1",
        "recall_bin2",
        "recall_bin3",
        "memory_rmse_gb",
        "memory_mae_gb",
        "memory_r2",
        "memory_upper_coverage",
        "wallclock_rmse_s",
        "wallclock_mdape",
        "wallclock_under_pred_rate",
        "wallclock_under_rate",
        "wallclock_kill_ratio_median",
    ]
    return {
        "seconds": round(time.perf_counter() - t0, 1),
        "kinds": cv["settings"]["kinds"],
        "n_groups": cv["settings"]["n_groups"],
        "mean": {k: round(cv["mean"][k], 4) for k in keys},
        "worst": {k: round(cv["worst"][k], 4) for k in keys},
        "options": options,
        "kept_per_fold": dict(Counter(json.dumps(f["kept"], sort_keys=True) for f in cv["folds"])),
        "under_bin_rate_per_fold": [round(f["under_bin_rate"], 4) for f in cv["folds"]],
        "bin_accuracy_per_fold": [round(f["bin_accuracy"], 4) for f in cv["folds"]],
        "wallclock_mdape_per_fold": [round(f["wallclock_mdape"], 4) for f in cv["folds"]],
        "wallclock_under_rate_per_fold": [round(f["wallclock_under_rate"], 4) for f in cv["folds"]],
        "wallclock_kill_ratio_per_fold": [
            round(f["wallclock_kill_ratio_median"], 3) for f in cv["folds"]
        ],
    }


def bench_tradeoff() -> dict:
    """The default rule at other margin confidences, and the first release's rule."""
    out = {}
    for conf in (0.5, 0.6, 0.7, 0.9):
        out[f"upper_quantile_conf{conf}"] = bench_cv(margin_confidence=conf)
    out["classifier_max_conf0.9"] = bench_cv(margin_confidence=0.9, bin_rule="classifier_max")
    return out


def bench_draws(seeds=(0, 1, 2, 3, 4, 5, 6, 7), **options) -> dict:
    """The 5x3 grouped k-fold on several draws of the folds: how often both bin targets hold."""
    from spacekit.skopes.hst.cal import cross_validate

    keys = (
        "under_bin_rate",
        "bin_accuracy",
        "over_bin_rate",
        "mean_extra_gb",
        "wallclock_mdape",
        "wallclock_under_rate",
    )
    out = {}
    for s in seeds:
        t0 = time.perf_counter()
        cv = cross_validate(TABLE, n_splits=5, n_repeats=3, seed=s, progress=False, **options)
        out[f"seed{s}"] = {
            "mean": {k: cv["mean"][k] for k in keys},
            "worst": {k: cv["worst"][k] for k in keys},
            "both_bin_targets": bool(
                cv["mean"]["under_bin_rate"] <= 0.005 and cv["mean"]["bin_accuracy"] >= 0.95
            ),
            "seconds": round(time.perf_counter() - t0, 1),
        }
    return out


def _child_env(py: str) -> dict:
    """Environment of a child: ours imports this checkout, upstream's venv its own package."""
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", PYTHONWARNINGS="ignore")
    env.pop("PYTHONPATH", None)
    if py == sys.executable:
        env["PYTHONPATH"] = str(ROOT)
    return env


def _child(py: str, code: str, n: int = 5) -> dict:
    walls, rss, out = [], [], None
    for _ in range(n):
        before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        t0 = time.perf_counter()
        with tempfile.TemporaryDirectory() as cwd:  # a fresh folder: nothing cached there
            p = subprocess.run(
                [py, "-c", code],
                capture_output=True,
                text=True,
                cwd=cwd,
                timeout=300,
                env=_child_env(py),
            )
        walls.append(time.perf_counter() - t0)
        if p.returncode != 0:
            return {"error": p.stderr[-800:]}
        out = p.stdout.strip().splitlines()[-1]
        rss.append(json.loads(out)["maxrss_mb"])
        del before
    return {
        "wall_s_median": round(statistics.median(walls), 3),
        "wall_s_min": round(min(walls), 3),
        "maxrss_mb_median": round(statistics.median(rss), 1),
        "result": json.loads(out),
    }


_HWM = (
    "def _hwm():\n"
    "    for line in open('/proc/self/status'):\n"
    "        if line.startswith('VmHWM:'):\n"
    "            return int(line.split()[1]) / 1024\n"
)


def bench_single(model_dir: str) -> dict:
    ours = (
        "import json\n"
        "from spacekit.skopes.hst.cal import load_predictor\n"
        f"r = load_predictor({model_dir!r}).predict('j8ny02020', "
        f"{str(MMF / 'j8ny02020_MemModelFeatures.txt')!r})\n"
        "print(json.dumps({'memBin': r['memBin'], 'memVal': r['memVal'], 'clockTime': "
        "r['clockTime'], 'maxrss_mb': _hwm()}))\n"
    )
    # Upstream's own cold path with the trained networks its wheel ships: Predict() loads
    # mem_clf, mem_reg and wall_reg from spacekit/builder/trained_networks/hst_cal.zip
    # (extracted into the working directory, a temporary folder here), then scrubs the inputs
    # (HstCalScrubber), normalises them (PowerX, the shipped tx_data.json) and predicts with
    # each network. Only the S3 read is replaced by the local file.
    upstream = (
        "import json, logging\n"
        "logging.disable(logging.CRITICAL)\n"
        "from spacekit.skopes.hst.cal.predict import Predict\n"
        "d = dict(l.split('=', 1) for l in "
        f"open({str(MMF / 'j8ny02020_MemModelFeatures.txt')!r}).read().split())\n"
        "p = Predict('j8ny02020')\n"
        "p.input_data = d\n"
        "p.run_inference()\n"
        "r = p.predictions\n"
        "print(json.dumps({'memBin': r['memBin'], 'memVal': float(r['memVal']), 'clockTime': "
        "r['clockTime'], 'maxrss_mb': _hwm()}))\n"
    )
    res = {"spacekit": _child(sys.executable, _HWM + ours)}
    if Path(UPSTREAM_PY).exists():
        res["upstream_1.1.4_shipped_models"] = _child(UPSTREAM_PY, _HWM + upstream, n=3)
    return res


def _numpy_nets(seed: int = 0):
    import numpy as np

    from spacekit.skopes.hst.cal.export import DenseNetwork

    rng = np.random.default_rng(seed)
    nets = {}
    for name, (hidden, units, act) in HIDDEN.items():
        dims = (9, *hidden, units)
        layers = [
            (rng.normal(0, (2 / a) ** 0.5, (a, b)), np.zeros(b), "relu")
            for a, b in zip(dims[:-1], dims[1:], strict=True)
        ]
        layers[-1] = (layers[-1][0], layers[-1][1], act)
        nets[name] = DenseNetwork(layers)
    return nets


_KERAS_SERVER = (
    "import json, sys, time, numpy as np, keras\n"
    "H = json.loads(sys.argv[1]); rows = int(sys.argv[2])\n"
    "models = []\n"
    "for name, (hidden, units, act) in H.items():\n"
    "    m = keras.Sequential([keras.Input((9,))] + [keras.layers.Dense(h, activation='relu') for "
    "h in hidden] + [keras.layers.Dense(units, activation=act)])\n"
    "    models.append(m)\n"
    "X = np.random.default_rng(1).normal(size=(rows, 9)).astype(np.float32)\n"
    "for m in models: m.predict(X[:4096], batch_size=1024, verbose=0)\n"
    "print('ready', flush=True)\n"
    "for line in sys.stdin:\n"
    "    bs = int(line)\n"
    "    t0 = time.perf_counter()\n"
    "    for m in models: m.predict(X, batch_size=bs, verbose=0)\n"
    "    print(rows / (time.perf_counter() - t0), flush=True)\n"
)


def _previous_numpy(nets, X, chunk=4096):
    """The evaluation before predict_dense: net by net, bias added separately, BLAS's threads."""
    import numpy as np

    for net in nets:
        out = np.empty((X.shape[0], net.layers[-1][0].shape[1]), dtype=np.float32)
        for start in range(0, X.shape[0], chunk):
            h = X[start : start + chunk]
            for k, b, act in net.layers:
                h = h @ k
                h += b
                if act == "relu":
                    np.maximum(h, 0, out=h)
            out[start : start + chunk] = h


def bench_batch(model_dir: str | None, rows: int = 262144, rounds: int = 7) -> dict:  # noqa: C901
    """Rows/s of the three upstream-style networks: numpy variants and Keras, interleaved.

    Each round times every numpy variant once and Keras ``model.predict`` (upstream venv, a
    persistent child process, warmed up) once per batch size, so all see the same load on a
    shared machine; medians and bests over the rounds are reported.
    """
    import numpy as np

    from spacekit.skopes.hst.cal.export import predict_dense

    X = np.random.default_rng(1).normal(size=(rows, 9)).astype(np.float32)
    nets = list(_numpy_nets().values())
    flops = sum(n.flops_per_row for n in nets)
    variants = {
        "previous_numpy_chunk4096": lambda: _previous_numpy(nets, X),
        "predict_dense_1_thread_chunk4096": lambda: predict_dense(
            nets, X, chunk_size=4096, n_threads=1
        ),
    }
    for chunk in (1024, 2048, 4096, 8192):
        variants[f"predict_dense_chunk{chunk}"] = lambda c=chunk: predict_dense(
            nets, X, chunk_size=c
        )
    variants["three_DenseNetwork.predict_calls"] = lambda: [n.predict(X) for n in nets]
    times: dict[str, list] = {k: [] for k in variants}
    keras = None
    if Path(UPSTREAM_PY).exists():
        h = json.dumps({k: [list(v[0]), v[1], v[2]] for k, v in HIDDEN.items()})
        keras = subprocess.Popen(
            [UPSTREAM_PY, "-c", _KERAS_SERVER, h, str(rows)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            env=_child_env(UPSTREAM_PY),
            cwd=tempfile.gettempdir(),
        )
        if keras.stdout.readline().strip() != "ready":
            keras = None
    keras_bs = (1024, 4096, 16384)
    ktimes: dict[int, list] = {bs: [] for bs in keras_bs}
    try:
        for _ in range(rounds):
            for name, fn in variants.items():
                t0 = time.perf_counter()
                fn()
                times[name].append(rows / (time.perf_counter() - t0))
            if keras is not None:
                for bs in keras_bs:
                    keras.stdin.write(f"{bs}\n")
                    keras.stdin.flush()
                    ktimes[bs].append(float(keras.stdout.readline()))
    finally:
        if keras is not None:
            keras.stdin.close()
            keras.wait(timeout=60)

    def summary(v):
        return {"median": round(statistics.median(v)), "best": round(max(v))} if v else None

    res = {
        "rows": rows,
        "rounds": rounds,
        "flops_per_row_three_nets": flops,
        "numpy_rows_per_s": {k: summary(v) for k, v in times.items()},
    }
    if keras is not None:
        res["upstream_keras_predict_rows_per_s"] = {
            f"batch{bs}": summary(v) for bs, v in ktimes.items()
        }
        best_keras = max(statistics.median(v) for v in ktimes.values())
        best_numpy = max(
            statistics.median(v) for k, v in times.items() if k.startswith("predict_dense_chunk")
        )
        res["ratio_numpy_to_best_keras_medians"] = round(best_numpy / best_keras, 2)
        res["ratio_numpy_to_keras_batch4096_medians"] = round(
            best_numpy / statistics.median(ktimes[4096]), 2
        )
        res["ratio_numpy_to_issue_132k"] = round(best_numpy / 132000, 2)
    if model_dir:
        from spacekit.skopes.hst.cal import load_predictor
        from spacekit.skopes.hst.cal.export import TreeEnsemble
        from spacekit.skopes.hst.cal.features import prepare_table

        pred = load_predictor(model_dir)
        Xr = np.random.default_rng(2).normal(size=(20000, 9))
        trees = [m for m in pred.models.values() if isinstance(m, TreeEnsemble)]
        trees += [
            t
            for m in pred.models.values()
            for t in getattr(m, "members", ())
            if isinstance(t, TreeEnsemble)
        ]

        def walk_only(on: bool) -> None:  # on: every tree ensemble walks its nodes (the old path)
            for t in trees:
                t._tables = False if on else None

        kept = {"tables": [], "node_walk": []}
        for _ in range(rounds):  # interleaved, so both see the same load
            for name in kept:
                walk_only(name == "node_walk")
                t0 = time.perf_counter()
                pred.predict_arrays(Xr)
                kept[name].append(len(Xr) / (time.perf_counter() - t0))
        walk_only(False)
        res["kept_models_rows_per_s_distinct_rows"] = {k: summary(v) for k, v in kept.items()}
        res["kept_models_tables_over_node_walk_medians"] = round(
            statistics.median(kept["tables"]) / statistics.median(kept["node_walk"]), 2
        )
        table = prepare_table(TABLE)
        t0 = time.perf_counter()
        pred.predict_batch(table)
        res["kept_models_predict_batch_table_rows_per_s"] = round(
            len(table) / (time.perf_counter() - t0)
        )
    return res


def _table_rows(n: int, *, distinct: bool, seed: int = 0):
    """A table of ``n`` jobs: rows of the real table drawn at random (with their ``ipst``).

    ``distinct``: ``n_files`` and ``total_mb`` redrawn (1-400 files, 1 MB-20 GB log-uniform),
    so nearly every row is a feature vector of its own (nothing to deduplicate).
    """
    import numpy as np

    from spacekit.skopes.hst.cal.features import prepare_table

    table = prepare_table(TABLE)
    rng = np.random.default_rng(seed)
    df = table.iloc[rng.integers(0, len(table), n)].reset_index(drop=True)
    df = df.drop(columns=[c for c in ("memory", "wallclock", "mem_bin") if c in df.columns])
    if distinct:
        df["n_files"] = rng.integers(1, 401, n)
        df["total_mb"] = np.round(np.exp(rng.uniform(0, np.log(20000), n))).astype(np.int64)
    return df


_KERAS_SHIPPED = (
    "import json, os, sys, time, zipfile, tempfile, numpy as np\n"
    "import keras, spacekit\n"
    "zp = os.path.join(os.path.dirname(spacekit.__file__), 'builder', 'trained_networks', "
    "'hst_cal.zip')\n"
    "d = tempfile.mkdtemp(); z = zipfile.ZipFile(zp); z.extractall(d)\n"
    "models = [keras.models.load_model(os.path.join(d, 'hst_cal', n + '.keras'))"
    " for n in ('mem_clf', 'mem_reg', 'wall_reg')]\n"
    "tx = json.loads(z.read('hst_cal/tx_data.json'))\n"
    "X = np.load(sys.argv[1]).astype(np.float64)\n"
    "for i in (0, 1):  # upstream's PowerX: Yeo-Johnson (x >= 0), then mu / sigma\n"
    "    lam = tx['lambdas'][i]\n"
    "    X[:, i] = (((X[:, i] + 1) ** lam - 1) / lam - tx['mu'][i]) / tx['sigma'][i]\n"
    "X = X.astype(np.float32)\n"
    "for m in models: m.predict(X[:4096], batch_size=1024, verbose=0)\n"
    "print('ready', flush=True)\n"
    "for line in sys.stdin:\n"
    "    bs = int(line)\n"
    "    t0, c0 = time.perf_counter(), time.process_time()\n"
    "    for m in models: m.predict(X, batch_size=bs, verbose=0)\n"
    "    t1, c1 = time.perf_counter(), time.process_time()\n"
    "    print(len(X) / (t1 - t0), len(X) / (c1 - c0), flush=True)\n"
)


def _previous_predictor(pred, root: Path):
    """``pred`` with its models rebuilt by another checkout's ``export.py`` (same arrays).

    The other ``export.py`` (and its ``trees.py``, where it has one) is loaded as a module of
    this package (its relative imports resolve here), so only the model classes (their
    prediction code) differ.
    """
    import importlib.util

    from spacekit.skopes.hst.cal.predict import CalPredictor

    spec = importlib.util.spec_from_file_location(
        "spacekit.skopes.hst.cal._compare_export",
        root / "spacekit" / "skopes" / "hst" / "cal" / "export.py",
    )
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    trees_py = root / "spacekit" / "skopes" / "hst" / "cal" / "trees.py"
    if trees_py.exists():  # the trees in a module of their own (since 4b61cc8): the other one's
        tspec = importlib.util.spec_from_file_location(
            "spacekit.skopes.hst.cal._compare_trees", trees_py
        )
        tmod = importlib.util.module_from_spec(tspec)
        tspec.loader.exec_module(tmod)
        mod._KINDS = dict(mod._KINDS, trees=tmod.TreeEnsemble)  # AverageModel reads it too
    models = {}
    for key, m in pred.models.items():
        arrays, model_spec = m.to_arrays()
        models[key] = mod._KINDS[model_spec["kind"]].from_arrays(arrays, model_spec)
    return CalPredictor(pred.metadata, models, model_dir=pred.model_dir)


def _extra_models(X) -> dict:
    """Other model folders timed beside the kept one, e.g. smaller tree ensembles
    (``bench_hst_cal_cost.py trees``): ``$BENCH_EXTRA_MODELS="name=folder,name=folder"``, each
    with the default threads."""
    from spacekit.skopes.hst.cal import load_predictor

    out = {}
    for item in filter(None, os.environ.get("BENCH_EXTRA_MODELS", "").split(",")):
        label, _, folder = item.partition("=")
        other = load_predictor(folder)
        other.predict_arrays(X[:4096])  # builds the tree tables once
        out[f"ours_{label}"] = lambda other=other: other.predict_arrays(X)
    return out


def _every_row_evaluated(pred, X) -> None:
    """``pred.predict_arrays(X)`` with the trees evaluating every row (no cell of the
    thresholds' grid evaluated once for several rows)."""
    import spacekit.skopes.hst.cal.trees as trees

    share = trees._CELL_SHARE
    trees._CELL_SHARE = 0.0
    try:
        pred.predict_arrays(X)
    finally:
        trees._CELL_SHARE = share


def bench_rows(model_dir: str, rows: int = 262144, rounds: int = 5) -> dict:  # noqa: C901
    """Rows/s with every row predicted (no deduplication), ours and upstream's, interleaved.

    Ours: ``CalPredictor.predict_arrays`` on raw feature rows (power transform, the kept
    models, margins and bins included), with the default threads (the usable CPUs) and with
    one thread, and with every row's trees evaluated (``trees._CELL_SHARE = 0``: no cell of
    the thresholds' grid evaluated once for several rows). Upstream: its three shipped Keras
    networks, ``model.predict`` on the same rows already normalised (its preprocessing not
    timed), at several batch sizes, in a warmed-up child process of the upstream venv. Each
    round runs every variant once, so all see the same load; medians (best) over the rounds.
    """
    import numpy as np

    import spacekit.skopes.hst.cal.dense as dense
    import spacekit.skopes.hst.cal.trees as trees
    from spacekit.skopes.hst.cal import load_predictor
    from spacekit.skopes.hst.cal.features import FEATURES

    df = _table_rows(rows, distinct=True)
    X = df[list(FEATURES)].to_numpy(dtype=np.float64)
    distinct = len(np.unique(X, axis=0))
    pred = load_predictor(model_dir)
    pred.predict_arrays(X[:4096])  # builds the tree tables once
    usable = dense._usable_cpus  # networks and trees share the rows between this many threads

    def ours(threads: int | None):
        def run():
            count = usable if threads is None else (lambda: threads)
            dense._usable_cpus = trees._usable_cpus = count
            try:
                pred.predict_arrays(X)
            finally:
                dense._usable_cpus = trees._usable_cpus = usable

        return run

    variants = {"ours_default_threads": ours(None), "ours_1_thread": ours(1)}
    if hasattr(trees, "_CELL_SHARE"):
        variants["ours_every_row_evaluated"] = lambda: _every_row_evaluated(pred, X)
    if os.environ.get("BENCH_COMPARE_ROOT"):  # the same models with another checkout's classes
        previous = _previous_predictor(pred, Path(os.environ["BENCH_COMPARE_ROOT"]))
        previous.predict_arrays(X[:4096])
        variants["compare_root_same_models"] = lambda: previous.predict_arrays(X)
    variants.update(_extra_models(X))
    extra = os.environ.get("BENCH_UPSTREAM_MODEL")  # an imported upstream folder, if any
    if extra:
        up = load_predictor(extra)
        variants["upstream_networks_imported_numpy"] = lambda: up.predict_arrays(X)
    times: dict[str, list] = {k: [] for k in variants}
    cpu: dict[str, list] = {k: [] for k in variants}
    keras_bs = (1024, 4096, 16384, 65536, rows)
    ktimes: dict[int, list] = {bs: [] for bs in keras_bs}
    kcpu: dict[int, list] = {bs: [] for bs in keras_bs}
    keras = None
    with tempfile.TemporaryDirectory() as tmp:
        np.save(Path(tmp) / "rows.npy", X)
        if Path(UPSTREAM_PY).exists():
            keras = subprocess.Popen(
                [UPSTREAM_PY, "-c", _KERAS_SHIPPED, str(Path(tmp) / "rows.npy")],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
                text=True,
                env=_child_env(UPSTREAM_PY),
                cwd=tmp,
            )
            if keras.stdout.readline().strip() != "ready":
                keras = None
        loads = [os.getloadavg()[0]]
        try:
            for _ in range(rounds):
                for name, fn in variants.items():
                    t0, c0 = time.perf_counter(), time.process_time()
                    fn()
                    times[name].append(rows / (time.perf_counter() - t0))
                    cpu[name].append(rows / (time.process_time() - c0))
                if keras is not None:
                    for bs in keras_bs:
                        keras.stdin.write(f"{bs}\n")
                        keras.stdin.flush()
                        wall, cpu_rate = map(float, keras.stdout.readline().split())
                        ktimes[bs].append(wall)
                        kcpu[bs].append(cpu_rate)
                loads.append(os.getloadavg()[0])
        finally:
            if keras is not None:
                keras.stdin.close()
                keras.wait(timeout=60)

    def summary(v):
        return {"median": round(statistics.median(v)), "best": round(max(v))} if v else None

    res = {
        "rows": rows,
        "distinct_rows": distinct,
        "rounds": rounds,
        "load_average_1min_per_round": [round(x, 2) for x in loads],
        "ours_rows_per_s": {k: summary(v) for k, v in times.items()},
        "ours_rows_per_cpu_s": {k: summary(v) for k, v in cpu.items()},
        "kept_models": {
            k: pred.metadata["models"][k]["kind"] for k in ("bin", "memory", "wallclock")
        },
    }
    if keras is not None and all(ktimes.values()):
        res["upstream_keras_shipped_rows_per_s"] = {
            f"batch{bs}": summary(v) for bs, v in ktimes.items()
        }
        res["upstream_keras_shipped_rows_per_cpu_s"] = {
            f"batch{bs}": summary(v) for bs, v in kcpu.items()
        }
        best_bs = max(keras_bs, key=lambda bs: statistics.median(ktimes[bs]))
        best = statistics.median(ktimes[best_bs])
        best_cpu = max(statistics.median(v) for v in kcpu.values())
        res["upstream_best_batch"] = best_bs
        for name, v in times.items():
            res[f"ratio_{name}_to_upstream_best_median"] = round(statistics.median(v) / best, 2)
            res[f"ratio_{name}_per_cpu_s_to_upstream_best"] = round(
                statistics.median(cpu[name]) / best_cpu, 2
            )
    return res


_SCALE_CHILD = """
import json, sys, time
import numpy as np
sys.path.insert(0, {bench!r})
from bench_hst_cal import _table_rows
from spacekit.skopes.hst.cal import load_predictor
from spacekit.skopes.hst.cal.features import FEATURES

def status(key):
    for line in open('/proc/self/status'):
        if line.startswith(key):
            return int(line.split()[1]) / 1024

pred = load_predictor({model!r})
df = _table_rows({n}, distinct={distinct})
X = df[list(FEATURES)].to_numpy(dtype=np.float64)
pred.predict_arrays(X[:4096])  # tree tables built before the measured call
call = {call!r}
open('/proc/self/clear_refs', 'w').write('5')  # peak RSS := current RSS
before = status('VmRSS:')
t0 = time.perf_counter()
out = pred.predict_batch(df) if call == 'predict_batch' else pred.predict_arrays(X)
wall = time.perf_counter() - t0
print(json.dumps({{'wall_s': round(wall, 3), 'rows_per_s': round({n} / wall),
    'peak_rss_growth_mb': round(status('VmHWM:') - before, 1), 'rss_before_mb': round(before, 1)}}))
"""


def bench_scale(model_dir: str, sizes=(100_000, 1_000_000)) -> dict:
    """Time and peak RSS growth of one call at 1e5 and 1e6 rows, each in a fresh process.

    ``predict_batch`` on a table of real rows drawn at random (few distinct feature vectors)
    and on a table of distinct rows; ``predict_arrays`` (every row predicted) on the distinct
    rows. The growth is the call's peak RSS above the RSS just before it (``clear_refs``).
    ``$BENCH_COMPARE_ROOT`` (another checkout) is measured the same way, for a before/after.
    """
    roots = {"this checkout": ROOT}
    if os.environ.get("BENCH_COMPARE_ROOT"):
        roots["compare"] = Path(os.environ["BENCH_COMPARE_ROOT"])
    res = {}
    for label, root in roots.items():
        for n in sizes:
            for call, distinct in (
                ("predict_batch", False),
                ("predict_batch", True),
                ("predict_arrays", True),
            ):
                code = _SCALE_CHILD.format(
                    bench=str(ROOT / "benchmarks"),
                    model=model_dir,
                    n=n,
                    distinct=distinct,
                    call=call,
                )
                env = _child_env(sys.executable)
                env["PYTHONPATH"] = str(root)
                p = subprocess.run(
                    [sys.executable, "-c", code],
                    capture_output=True,
                    text=True,
                    cwd=tempfile.gettempdir(),
                    env=env,
                    timeout=1800,
                )
                key = f"{label}: {call} {n} rows ({'distinct' if distinct else 'real rows drawn'})"
                res[key] = (
                    json.loads(p.stdout.strip().splitlines()[-1])
                    if p.returncode == 0
                    else {"error": p.stderr[-600:]}
                )
                res[key]["load_average_1min"] = round(os.getloadavg()[0], 2)
                print(key, res[key], file=sys.stderr, flush=True)
    return res


def main(argv: list[str]) -> int:
    what = argv[0] if argv else "all"
    results = json.loads(OUT.read_text()) if OUT.exists() else {}
    results["load_average_at_start"] = os.getloadavg()
    results["cpu_count"] = os.cpu_count()
    if what in ("train", "all"):
        results["train"] = bench_train()
    model_dir = os.environ.get("BENCH_MODEL_DIR") or (results.get("train", {}).get("run"))
    if what in ("cv", "all"):
        # Kinds chosen inside each training part (as train does), never on the test part.
        results["cv"] = bench_cv()
    if what == "tradeoff":
        results["tradeoff"] = bench_tradeoff()
    if what == "killrule":
        # The earlier kill-time rule (row-level quantile, group bootstrap) on the same folds.
        results["cv_kill_row_bootstrap"] = bench_cv(kill_rule="row_bootstrap")
    if what == "draws":
        seeds = [int(x) for x in os.environ.get("BENCH_SEEDS", "0,1,2,3,4,5,6,7").split(",")]
        results[f"draws_{BIN_RULE}"] = bench_draws(seeds, bin_rule=BIN_RULE)
    if what in ("single", "all") and model_dir:
        results["single"] = bench_single(str(model_dir))
    if what == "batch":
        results["batch"] = bench_batch(str(model_dir) if model_dir else None)
    if what == "rows" and model_dir:
        results["rows"] = bench_rows(str(model_dir))
    if what == "scale" and model_dir:
        results["scale"] = bench_scale(str(model_dir))
    results["load_average_at_end"] = os.getloadavg()
    OUT.write_text(json.dumps(results, indent=2, default=str))
    if what == "all":
        # Throughput in a fresh process: TensorFlow's thread pools (loaded by training) slow
        # numpy's BLAS down when they live in the same process.
        env = dict(os.environ, BENCH_MODEL_DIR=str(model_dir or ""))
        subprocess.run(
            [sys.executable, __file__, "batch"], env=env, check=True, capture_output=True
        )
        results = json.loads(OUT.read_text())
    print(json.dumps(results, indent=2, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
