"""hst_cal ``predict_batch``: deciding on a sample whether to deduplicate (before/after).

``before`` is the decision as it was (hash every row of a 65,536-row piece, then give up when
over 80% are distinct), ``after`` the sampled one (``predict._distinct_rows``); both run in
this process, interleaved, best of a few. Usage, from the repository root::

    PYTHONPATH=$PWD SPACEKIT_DATA_MIRROR=../shared/data python benchmarks/bench_hst_cal_dedup.py

Prints JSON: the decision's time over the 16 pieces of 1e6 distinct rows and over the real
table (29,191 rows, 803 distinct vectors once prepared), ``predict_batch`` with each,
``predict_arrays`` beside them, and whether the outputs are identical.
"""

from __future__ import annotations

import importlib
import json
import os
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_hst_cal import _table_rows  # noqa: E402

from spacekit.datasets import fetch  # noqa: E402
from spacekit.skopes.hst.cal import load_predictor  # noqa: E402
from spacekit.skopes.hst.cal.default_model import DEFAULT_MODEL_DIR  # noqa: E402
from spacekit.skopes.hst.cal.features import FEATURES, prepare_table  # noqa: E402

P = importlib.import_module("spacekit.skopes.hst.cal.predict")


def hash_every_row(X: np.ndarray, max_share: float = 0.8):
    """The decision before the sample: every row hashed, then the distinct share checked."""
    bits = np.ascontiguousarray(X, dtype=np.float64).view(np.uint64)
    inverse, uniques = pd.factorize(P._row_keys(bits))
    if len(uniques) > max_share * len(X):
        return None, None
    first = np.empty(len(uniques), dtype=np.intp)
    first[inverse] = np.arange(len(X))
    if not np.array_equal(bits[first][inverse], bits):
        return None, None
    return first, inverse


IMPLS = {"before": hash_every_row, "after": P._distinct_rows}


def best(func, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        func()
        times.append(time.perf_counter() - t0)
    return round(min(times), 4)


def interleaved(func, repeat: int) -> dict[str, float]:
    times: dict[str, list[float]] = {k: [] for k in IMPLS}
    for _ in range(repeat):
        for name, impl in IMPLS.items():
            P._distinct_rows = impl
            times[name].append(best(func, 1))
    P._distinct_rows = IMPLS["after"]
    return {k: min(v) for k, v in times.items()}


def main() -> None:
    pred = load_predictor(DEFAULT_MODEL_DIR)
    res: dict = {"load_average_1min_start": round(os.getloadavg()[0], 2)}
    df = _table_rows(1_000_000, distinct=True)
    X = df[list(FEATURES)].to_numpy(dtype=np.float64)
    pred.predict_arrays(X[:4096])  # tree tables built before timing
    pieces = [X[a : a + P._ROWS_PER_PASS] for a in range(0, len(X), P._ROWS_PER_PASS)]
    res["1e6 distinct: decision over the pieces (s)"] = interleaved(
        lambda: [P._distinct_rows(p) for p in pieces], 5
    )
    res["1e6 distinct: predict_batch (s)"] = interleaved(lambda: pred.predict_batch(df), 2)
    res["1e6 distinct: predict_arrays (s)"] = best(lambda: pred.predict_arrays(X), 2)
    res["1e6 distinct: prepare_table of the pieces (s)"] = best(
        lambda: [
            prepare_table(df.iloc[a : a + P._ROWS_PER_PASS], require_targets=False)
            for a in range(0, len(df), P._ROWS_PER_PASS)
        ],
        1,
    )
    real = prepare_table(fetch("hst_cal_2021_05_11"))
    Xr = real[list(FEATURES)].to_numpy(dtype=np.float64)
    res["real table: distinct vectors / rows"] = [len(np.unique(Xr, axis=0)), len(Xr)]
    res["real table: decision (s)"] = interleaved(lambda: P._distinct_rows(Xr), 20)
    res["real table: predict_batch (s)"] = interleaved(lambda: pred.predict_batch(real), 10)
    res["real table: predict_arrays (s)"] = best(lambda: pred.predict_arrays(Xr), 10)
    outputs = {}
    for name, impl in IMPLS.items():
        P._distinct_rows = impl
        outputs[name] = (pred.predict_batch(real), pred.predict_batch(df.iloc[:100_000]))
    P._distinct_rows = IMPLS["after"]
    res["outputs identical before/after"] = all(
        a.equals(b) for a, b in zip(outputs["before"], outputs["after"], strict=True)
    )
    res["load_average_1min_end"] = round(os.getloadavg()[0], 2)
    print(json.dumps(res, indent=1))


if __name__ == "__main__":
    main()
