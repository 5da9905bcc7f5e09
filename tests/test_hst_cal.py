"""skopes.hst.cal: parsing, transformer, numpy export, training, serving, CLI, Lambda, Dask."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import warnings

import numpy as np
import pandas as pd
import pytest

from spacekit.exceptions import DataNotFoundError, FormatError, InputError, SchemaError
from spacekit.skopes.hst.cal.features import (
    FEATURES,
    CalFeatureWarning,
    group_ids,
    memory_to_bin,
    parse_memmodel_features,
    prepare_table,
)

MMF = "hst_cal/MemModelFeatures"


def _table(shared_data):
    return shared_data / "hst_cal" / "hst_cal_2021-05-11_latest.csv"


# --------------------------------------------------------------------------- parsing
def test_parse_all_real_feature_files(shared_data):
    files = sorted((shared_data / MMF).glob("*_MemModelFeatures.txt"))
    assert len(files) == 21
    with warnings.catch_warnings():
        warnings.simplefilter("error", CalFeatureWarning)  # real files map without surprises
        parsed = {f.name[:9]: parse_memmodel_features(f.read_text(), f.name[:9]) for f in files}
    # COS NUV subarray, association: no DRIZCORR/PCTECORR/CRSPLIT -> 0
    assert [parsed["la8p01010"][k] for k in FEATURES] == [3, 2, 0, 0, 0, 1, 0, 1, 1]
    assert parsed["j8q617040"]["crsplit"] == 2  # CRSPLIT=3
    assert parsed["id6q01020"]["crsplit"] == 1  # CRSPLIT=1.0
    assert parsed["ib8t01010"]["pctecorr"] == 0 and parsed["ib8t01010"]["detector"] == 0  # IR
    assert parsed["j8ny02020"]["total_mb"] == 309 and parsed["j8ny02020"]["detector"] == 1
    assert parsed["iaao11ofq"]["dtype"] == 0 and parsed["iaao11ofq"]["instr"] == 3
    assert parsed["o4de05090"]["instr"] == 2 and parsed["j9i408010"]["detector"] == 0  # HRC


@pytest.mark.parametrize(
    "text, ipst, words",
    [
        ("total_mb=3", "la8p01010", ["la8p01010", "n_files"]),
        ("n_files=3", "la8p01010", ["la8p01010", "total_mb"]),
        ("n_files=3\ntotal_mb=lots", "la8p01010", ["la8p01010", "total_mb", "lots"]),
        ("n_files=two\ntotal_mb=3", "la8p01010", ["la8p01010", "n_files"]),
        ("n_files=3\ntotal_mb=3", "la8p0101", ["la8p0101", "9"]),
        ("n_files=3\ntotal_mb=3", "x8p010100", ["x8p010100", "instrument"]),
        ("n_files=3\ntotal_mb", "la8p01010", ["la8p01010", "key=value"]),
    ],
)
def test_parse_errors_name_dataset_and_field(text, ipst, words):
    with pytest.raises(InputError) as err:
        parse_memmodel_features(text, ipst)
    for w in words:
        assert w in str(err.value)


def test_silent_production_mappings_warn():
    with pytest.warns(CalFeatureWarning, match="SUBARRAY='Yes'"):
        f = parse_memmodel_features("n_files=1\ntotal_mb=2\nSUBARRAY=Yes", "ib8t01010")
    assert f["subarray"] == 0
    with pytest.warns(CalFeatureWarning, match="unknown key 'FOO'"):
        parse_memmodel_features("n_files=1\ntotal_mb=2\nFOO=1", "ib8t01010")
    with pytest.warns(CalFeatureWarning, match="CRSPLIT='many'"):
        assert (
            parse_memmodel_features("n_files=1\ntotal_mb=2\nCRSPLIT=many", "j8c601020")["crsplit"]
            == 2
        )
    with pytest.warns(CalFeatureWarning, match="DETECTOR='uvis'"):  # production is case-sensitive
        assert (
            parse_memmodel_features("n_files=1\ntotal_mb=2\nDETECTOR=uvis", "ib8t01010")["detector"]
            == 0
        )


def test_prepare_table_formats(shared_data):
    ddb = prepare_table(shared_data / "hst_cal" / "hst_cal_ddb_export_2021-05-11.csv")
    assert len(ddb) == 3757 and "timestamp" in ddb and list(ddb.columns[:9]) == list(FEATURES)
    big = prepare_table(_table(shared_data))
    assert len(big) == 29191
    assert (memory_to_bin(big["memory"]) == big["mem_bin"]).mean() > 0.999
    assert group_ids(big[list(FEATURES)].to_numpy()).max() + 1 <= 817
    with pytest.raises(SchemaError, match="missing.*total_mb"):
        prepare_table(ddb.drop(columns=["total_mb"]))
    bad = ddb.head(3).copy()
    bad["n_files"] = bad["n_files"].astype(object)
    bad.loc[0, "n_files"] = "many"
    with pytest.raises(SchemaError, match="n_files must be numeric"):
        prepare_table(bad)


# --------------------------------------------------------------------------- transformer
def test_power_standardizer_matches_sklearn_and_round_trips():
    from sklearn.base import clone
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import PowerTransformer

    from spacekit.skopes.hst.cal.transform import PowerStandardizer

    rng = np.random.default_rng(0)
    X = np.column_stack(
        [rng.integers(1, 60, 300), rng.gamma(1.5, 40, 300), rng.integers(0, 2, 300)]
    ).astype(float)
    t = PowerStandardizer(columns=(0, 1)).fit(X)
    ref = PowerTransformer(method="yeo-johnson").fit(X[:, :2])
    np.testing.assert_allclose(t.lambdas_, ref.lambdas_, rtol=1e-3)
    np.testing.assert_allclose(t.transform(X)[:, :2], ref.transform(X[:, :2]), atol=2e-3)
    assert np.array_equal(t.transform(X)[:, 2], X[:, 2])
    again = PowerStandardizer.from_dict(json.loads(json.dumps(t.to_dict())))
    assert np.array_equal(again.transform(X), t.transform(X))
    assert clone(t).get_params() == {"columns": (0, 1)}
    assert make_pipeline(PowerStandardizer()).fit_transform(X).shape == X.shape


def test_transformer_pieces_moved_to_the_prepare_layer_keep_their_old_paths():
    from sklearn.base import clone

    from spacekit.skopes.hst.cal import PowerStandardizer as CalPowerStandardizer
    from spacekit.skopes.hst.cal import features, pipeline
    from spacekit.transformer import PowerStandardizer, power, splits

    X = np.column_stack([np.arange(1.0, 21.0), np.arange(20.0) ** 2, np.arange(20.0) % 2])
    t = CalPowerStandardizer().fit(X)  # the calibration default: n_files, total_mb
    assert isinstance(t, PowerStandardizer) and t.columns_.tolist() == [0, 1]
    assert clone(t).get_params() == {"columns": (0, 1)}
    assert list(t.to_dict()) == ["columns", "lambdas", "means", "scales", "n_features_in"]
    assert features.power_standardize is power.power_standardize
    assert features.yeo_johnson is power.yeo_johnson
    assert features.group_ids is splits.identical_row_groups
    assert pipeline.grouped_kfold is splits.balanced_group_kfold


# --------------------------------------------------------------------------- export
@pytest.mark.slow
def test_tree_export_is_exact():
    from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor

    from spacekit.skopes.hst.cal.export import TreeEnsemble

    rng = np.random.default_rng(1)
    X = rng.normal(size=(400, 5))
    X[::17, 2] = np.nan
    yc = (X[:, 0] > 0).astype(int) + (X[:, 1] > 1).astype(int) + (X[:, 3] > 1.5).astype(int)
    yr = X[:, 0] * 3 + np.nan_to_num(X[:, 2]) + rng.normal(size=400)
    clf = HistGradientBoostingClassifier(max_iter=30, random_state=0).fit(X, yc)
    reg = HistGradientBoostingRegressor(max_iter=40, random_state=0).fit(X, yr)
    Xt = rng.normal(size=(300, 5))
    Xt[::5, 2] = np.nan
    tc = TreeEnsemble.from_sklearn(clf)
    assert np.array_equal(tc.raw_predict(Xt), clf._raw_predict(Xt))
    np.testing.assert_allclose(tc.predict(Xt), clf.predict_proba(Xt), rtol=0, atol=1e-12)
    assert np.array_equal(tc.classes[tc.predict(Xt).argmax(1)], clf.predict(Xt))
    tr = TreeEnsemble.from_sklearn(reg)
    assert np.array_equal(tr.predict(Xt), reg.predict(Xt))
    # batches (>= 256 rows) use the bit-vector tables, single rows and rows with a NaN the node
    # walk, trees of more than 64 leaves always the node walk: all exact
    Xb = rng.normal(size=(5000, 5))
    Xb[:, 3] = rng.integers(0, 3, 5000)  # a low-cardinality column (joint table)
    Xb[::7, 2] = np.nan
    Xb[3, 0], Xb[4, 1] = np.inf, -np.inf
    for est in (clf, reg):
        t = TreeEnsemble.from_sklearn(est)
        assert t._leaf_tables() is not None
        assert np.array_equal(t.raw_predict(Xb), est._raw_predict(Xb))
        assert np.array_equal(t.raw_predict(Xb[:7]), est._raw_predict(Xb[:7]))
        assert np.array_equal(t.raw_predict(Xb, chunk_size=300), est._raw_predict(Xb))
    wide = HistGradientBoostingRegressor(
        max_iter=5, max_leaf_nodes=100, min_samples_leaf=2, random_state=0
    ).fit(X, yr)
    tw = TreeEnsemble.from_sklearn(wide)
    assert tw._leaf_tables() is None
    assert np.array_equal(tw.raw_predict(Xb), wide._raw_predict(Xb))


@pytest.mark.slow
def test_tree_tables_exact_on_calibration_like_rows_threads_and_ties():
    from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor

    from spacekit.skopes.hst.cal.export import TreeEnsemble

    # the calibration layout: two sizes with many thresholds, seven flags and codes (one
    # joint code), four classes; a test set that includes every threshold exactly (ties go
    # left), NaN, +-inf and values beyond the training range
    rng = np.random.default_rng(7)
    n = 3000
    X = np.column_stack(
        [rng.integers(1, 300, n), np.round(np.exp(rng.uniform(0, 9, n)))]
        + [rng.integers(0, hi, n) for hi in (2, 2, 3, 2, 2, 2, 4)]
    ).astype(float)
    y = np.clip((np.log1p(X[:, 1]) / 2.5 + X[:, 4] * 0.3 + rng.normal(0, 0.4, n)).astype(int), 0, 3)
    clf = HistGradientBoostingClassifier(max_iter=60, max_leaf_nodes=15, random_state=0)
    clf.fit(X, y)
    reg = HistGradientBoostingRegressor(max_iter=80, max_leaf_nodes=15, random_state=0)
    reg.fit(X, np.log1p(X[:, 1]) * 0.5 + X[:, 0] * 0.01 + rng.normal(0, 0.2, n))
    Xt = np.column_stack(
        [rng.integers(0, 400, 6000), np.round(np.exp(rng.uniform(-1, 11, 6000)))]
        + [rng.integers(0, hi, 6000) for hi in (2, 2, 3, 2, 2, 2, 4)]
    ).astype(float)
    for est in (clf, reg):
        t = TreeEnsemble.from_sklearn(est)
        internal = t.left != np.arange(t.left.size)
        ties = Xt[: internal.sum()].copy()
        ties[np.arange(len(ties)), t.feature[internal]] = t.threshold[internal]
        Xa = np.vstack([ties, Xt])
        Xa[5::97, 1] = np.nan
        Xa[7::89, 0], Xa[9::83, 1] = np.inf, -np.inf
        want = est._raw_predict(Xa)
        assert t._leaf_tables() is not None and len(t._leaf_tables()["rows"]) >= 2
        for kw in ({}, {"n_threads": 1}, {"n_threads": 2, "chunk_size": 777}, {"chunk_size": 256}):
            assert np.array_equal(t.raw_predict(Xa, **kw), want), kw
        assert np.array_equal(t.raw_predict(Xa[:100]), want[:100])  # the node walk
        # a last chunk of one row is still summed tree by tree, not pairwise
        assert np.array_equal(t.raw_predict(Xa[:257], chunk_size=256), want[:257])
        assert np.array_equal(t.raw_predict(Xa[:0]), want[:0])


def _random_tree_ensemble(rng, n_features=9, n_outputs=1, n_iter=12, max_leaves=15):
    """A random ensemble in TreeEnsemble's node layout (shared thresholds: ties abound)."""
    from spacekit.skopes.hst.cal.export import TreeEnsemble

    grid = [
        np.sort(rng.choice(np.arange(-3.0, 3.0, 0.25), size=6, replace=False))
        for _ in range(n_features)
    ]
    feature, threshold, left, right, missing_left, value, roots = [], [], [], [], [], [], []
    depth = 1
    for _ in range(n_iter * n_outputs):
        root = len(feature)
        roots.append(root)
        leaves, frontier = 1, [(root, 0)]
        feature.append(0)  # a leaf points to itself (threshold +inf) until it is split
        threshold.append(np.inf)
        left.append(root)
        right.append(root)
        missing_left.append(True)
        value.append(float(rng.normal()))
        while leaves < max_leaves and frontier:
            node, d = frontier.pop(int(rng.integers(len(frontier))))
            f = int(rng.integers(n_features))
            kids = []
            for _side in range(2):
                kids.append(len(feature))
                feature.append(0)
                threshold.append(np.inf)
                left.append(len(feature) - 1)
                right.append(len(feature) - 1)
                missing_left.append(True)
                value.append(float(rng.normal()) * 0.1)
                frontier.append((kids[-1], d + 1))
            feature[node], threshold[node] = f, float(rng.choice(grid[f]))
            left[node], right[node] = kids
            missing_left[node], value[node] = bool(rng.integers(2)), 0.0
            leaves += 1
            depth = max(depth, d + 1)
    return TreeEnsemble(
        feature=feature,
        threshold=threshold,
        left=left,
        right=right,
        missing_left=missing_left,
        value=value,
        roots=roots,
        baseline=rng.normal(size=n_outputs),
        depth=depth,
    ), grid


def _reference_raw(t, X):
    """Node by node, row by row in Python: baseline, then each tree's leaf in turn."""
    k = t.n_outputs
    out = np.empty((len(X), k))
    for r, x in enumerate(X):
        s = [float(b) for b in t.baseline]
        for i, root in enumerate(t.roots):
            node = int(root)
            while t.left[node] != node:
                v = x[t.feature[node]]
                go_left = bool(t.missing_left[node]) if np.isnan(v) else v <= t.threshold[node]
                node = int(t.left[node] if go_left else t.right[node])
            s[i % k] += float(t.value[node])  # iteration-major: tree i belongs to output i % k
        out[r] = s
    return out


def test_tree_tables_bit_identical_to_a_plain_walk_on_random_ensembles():
    # the batch path (lookup tables, row gathers in cache-sized blocks, partial last blocks)
    # against a plain walk summed tree by tree, on random ensembles with one and four outputs,
    # rows at every threshold (ties go left), NaN and +-inf; and a small scikit-learn model
    import spacekit.skopes.hst.cal.trees as trees_mod

    rng = np.random.default_rng(11)
    for n_outputs in (1, 4):
        t, grid = _random_tree_ensemble(rng, n_outputs=n_outputs)
        X = rng.choice(np.concatenate([np.concatenate(grid), [-9.0, 9.0, 0.1]]), size=(700, 9))
        X[::13, 1] = np.nan
        X[5::17, 0], X[6::19, 2] = np.inf, -np.inf
        want = _reference_raw(t, X)
        assert t._leaf_tables() is not None
        for kw in ({}, {"chunk_size": 300, "n_threads": 2}, {"chunk_size": 257, "n_threads": 1}):
            assert np.array_equal(t.raw_predict(X, **kw), want), kw
        # rows in few cells of the thresholds' grid: each cell evaluated once, then copied
        many = rng.integers(0, 40, 3000)
        for kw in ({}, {"chunk_size": 1000, "n_threads": 2}):
            assert np.array_equal(t.raw_predict(X[many], **kw), want[many]), kw
        saved = trees_mod._CELL_SHARE, trees_mod._PASS_ROWS
        try:
            trees_mod._PASS_ROWS = 999  # several passes, cells numbered in each
            for kw in ({"n_threads": 1}, {"chunk_size": 100, "n_threads": 2}):
                assert np.array_equal(t.raw_predict(X[many], **kw), want[many]), kw
            trees_mod._CELL_SHARE = 0.0  # every row evaluated
            assert np.array_equal(t.raw_predict(X[many]), want[many])
            assert np.array_equal(t.raw_predict(X, chunk_size=100, n_threads=2), want)
        finally:
            trees_mod._CELL_SHARE, trees_mod._PASS_ROWS = saved
        # blocks of a few rows (a last block of one row is summed tree by tree too)
        saved = trees_mod._BLOCK_ROWS
        try:
            trees_mod._BLOCK_ROWS = 7
            assert np.array_equal(t.raw_predict(X[:260]), want[:260])
        finally:
            trees_mod._BLOCK_ROWS = saved


def test_tree_tables_match_scikit_learn_on_a_small_model():
    from sklearn.ensemble import HistGradientBoostingClassifier

    from spacekit.skopes.hst.cal.export import TreeEnsemble

    rng = np.random.default_rng(12)
    X = np.column_stack([rng.integers(1, 50, 600), rng.normal(size=600), rng.integers(0, 3, 600)])
    y = (X[:, 0] > 20).astype(int) + (X[:, 2] == 2)
    clf = HistGradientBoostingClassifier(max_iter=8, max_leaf_nodes=7, random_state=0).fit(X, y)
    t = TreeEnsemble.from_sklearn(clf)
    Xt = np.column_stack(
        [rng.integers(0, 60, 900), rng.normal(size=900), rng.integers(0, 3, 900)]
    ).astype(float)
    assert np.array_equal(t.raw_predict(Xt), clf._raw_predict(Xt))


def test_linear_model_predicts_in_bounded_memory_and_unchanged():
    import tracemalloc

    from spacekit.skopes.hst.cal.export import LinearModel, pairwise_basis

    rng = np.random.default_rng(3)
    m = LinearModel(
        coef=rng.normal(size=80),
        mean=rng.normal(size=80),
        scale=rng.uniform(0.5, 2, 80),
        intercept=0.7,
        link="exp",
    )
    Z = rng.normal(size=(40_000, 9))
    Z[:, 4] = rng.integers(0, 3, len(Z))
    Z[:, 8] = rng.integers(0, 4, len(Z))
    B = pairwise_basis(Z)
    want = np.zeros(len(Z))
    for c in range(80):  # column by column, in order
        want = want + ((B[:, c] - m.mean[c]) / m.scale[c]) * m.coef[c]
    want = np.exp(want + m.intercept)
    tracemalloc.start()
    got = m.predict(Z)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    np.testing.assert_array_equal(got, want)
    assert peak < 40_000 * 80 * 8 / 4  # never the whole (n, 80) basis (25.6 MB here)
    # a row's prediction does not depend on the rows around it (a BLAS product's does)
    for n in (1, 2, 3, 5, 7):
        np.testing.assert_array_equal(m.predict(Z[:n]), got[:n])


def test_distinct_rows_hash_exact_and_falls_back(monkeypatch):
    import pandas

    from spacekit.skopes.hst.cal.predict import _distinct_rows

    rng = np.random.default_rng(0)
    base = rng.integers(0, 5, (40, 9)).astype(float)
    base[3, 2] = np.nan
    X = base[rng.integers(0, 40, 5000)]
    first, inverse = _distinct_rows(X)
    assert len(first) <= 40
    np.testing.assert_array_equal(X[first][inverse], X)  # NaN rows included
    assert _distinct_rows(rng.normal(size=(100, 9)))[0] is None  # all distinct: not worth it
    # a hash collision (simulated: every row gets the same key) is caught, never trusted
    monkeypatch.setattr(pandas, "factorize", lambda key: (np.zeros(len(key), int), key[:1]))
    assert _distinct_rows(X) == (None, None)


def _hashed_sizes(monkeypatch) -> list[int]:
    """The row counts that ``_row_keys`` hashes from now on."""
    import spacekit.skopes.hst.cal.predict as predict_module

    sizes: list[int] = []
    real = predict_module._row_keys
    monkeypatch.setattr(
        predict_module, "_row_keys", lambda bits: sizes.append(len(bits)) or real(bits)
    )
    return sizes


def test_distinct_rows_decides_on_a_sample_first(monkeypatch):
    """``_distinct_rows`` hashed every row before finding that most were distinct (on 1e6
    distinct rows ~3 ms per 65,536-row piece wasted); a sample of 4,096 rows decides first,
    and only rows that the sample says repeat are hashed whole."""
    from spacekit.skopes.hst.cal.predict import _SAMPLE_ROWS, _distinct_rows

    sizes = _hashed_sizes(monkeypatch)
    rng = np.random.default_rng(5)
    n = 30_000
    distinct = rng.normal(size=(n, 9))
    assert _distinct_rows(distinct) == (None, None)
    assert sizes and max(sizes) <= _SAMPLE_ROWS  # the sample only
    # 10% of the vectors twice: a naive full hash finds 90% distinct and gives up; so does the
    # sample, without hashing everything
    some_twice = np.concatenate([distinct[: n - n // 10], distinct[: n // 10]])[rng.permutation(n)]
    sizes.clear()
    assert _distinct_rows(some_twice) == (None, None) and max(sizes) <= _SAMPLE_ROWS
    # every vector twice: the sample's own distinct share is ~94%, but its identical pairs
    # estimate the piece's, so the whole piece is hashed and deduplicated (half the rows)
    twice = np.concatenate([distinct[: n // 2]] * 2)[rng.permutation(n)]
    sizes.clear()
    first, inverse = _distinct_rows(twice)
    assert max(sizes) == n and len(first) == n // 2
    np.testing.assert_array_equal(twice[first][inverse], twice)
    repeated = distinct[rng.integers(0, 50, n)]
    sizes.clear()
    first, inverse = _distinct_rows(repeated)
    assert max(sizes) == n and len(first) == 50
    np.testing.assert_array_equal(repeated[first][inverse], repeated)


@pytest.mark.parametrize("distinct", [False, True])
def test_predict_batch_sampled_dedup_equals_every_row(shared_data, monkeypatch, distinct):
    """Real rows drawn at random (few distinct vectors, predicted once each) and the same
    with ``n_files``/``total_mb`` redrawn (mostly distinct, predicted row by row without
    hashing them all) give exactly ``predict_arrays``' values."""
    from spacekit.skopes.hst.cal import load_predictor
    from spacekit.skopes.hst.cal.default_model import DEFAULT_MODEL_DIR
    from spacekit.skopes.hst.cal.predict import _SAMPLE_ROWS

    pred = load_predictor(DEFAULT_MODEL_DIR)
    rng = np.random.default_rng(2)
    real = prepare_table(_table(shared_data))
    n = 20_000
    table = real.iloc[rng.integers(0, len(real), n)].reset_index(drop=True)
    if distinct:
        table["n_files"] = rng.integers(1, 401, n)
        table["total_mb"] = np.round(np.exp(rng.uniform(0, np.log(20000), n))).astype(np.int64)
    X = table[list(FEATURES)].to_numpy(dtype=np.float64)
    every_row = pred.predict_arrays(X)
    predicted: list[int] = []
    real_predict = pred.predict_arrays
    monkeypatch.setattr(
        pred, "predict_arrays", lambda X: predicted.append(len(X)) or real_predict(X)
    )
    sizes = _hashed_sizes(monkeypatch)
    out = pred.predict_batch(table)
    if distinct:  # the sample said so: nothing hashed beyond it, every row predicted
        assert max(sizes) <= _SAMPLE_ROWS and predicted == [n]
    else:  # hashed whole, each distinct vector predicted once
        assert max(sizes) == n and predicted[0] < 1000
    for col, key in [("memBin", "mem_bin"), ("memVal", "memory"), ("killTime", "clock_time"),
                     ("memBinArgmax", "bin_argmax"), ("memUpper", "memory_upper"),
                     ("clockTimePred", "wallclock")]:  # fmt: skip
        assert np.array_equal(out[col].to_numpy(), every_row[key]), col
    for k in range(4):
        assert np.array_equal(out[f"p{k}"].to_numpy(), every_row["bin_proba"][:, k])


def test_tree_export_save_load(tmp_path):
    from sklearn.ensemble import HistGradientBoostingRegressor

    from spacekit.skopes.hst.cal.export import TreeEnsemble, load_exported, save_exported

    X = np.arange(40, dtype=float).reshape(20, 2)
    reg = HistGradientBoostingRegressor(max_iter=5, min_samples_leaf=2).fit(X, X[:, 0] ** 2)
    t = TreeEnsemble.from_sklearn(reg)
    spec = save_exported(t, tmp_path / "m.npz")
    assert np.array_equal(
        load_exported(tmp_path / "m.npz", json.loads(json.dumps(spec))).predict(X), reg.predict(X)
    )


def test_keras_export_matches_to_1e5(tmp_path):
    from spacekit.skopes.hst.cal.export import DenseNetwork, load_exported, save_exported
    from spacekit.skopes.hst.cal.pipeline import _build_net

    for target, out_dim in (("bin", 4), ("wallclock", 1)):
        model = _build_net(target, 9, 4)
        X = np.random.default_rng(2).normal(size=(257, 9)).astype(np.float32)
        net = DenseNetwork.from_keras(model)
        ref = model.predict(X, verbose=0)
        got = net.predict(X, chunk_size=100)
        assert got.shape == (257, out_dim)
        np.testing.assert_allclose(got, ref, atol=1e-5, rtol=1e-5)
        spec = save_exported(net, tmp_path / f"{target}.npz")
        np.testing.assert_allclose(
            load_exported(tmp_path / f"{target}.npz", spec).predict(X), ref, atol=1e-5, rtol=1e-5
        )


def _random_net(rng, dims, hidden_act="relu", out_act="linear"):
    from spacekit.skopes.hst.cal.export import DenseNetwork

    layers = [
        (rng.normal(0, (2 / a) ** 0.5, (a, b)), rng.normal(0, 0.1, b), hidden_act)
        for a, b in zip(dims[:-1], dims[1:], strict=True)
    ]
    layers[-1] = (layers[-1][0], layers[-1][1], out_act)
    return DenseNetwork(layers)


def _reference(net, X):
    """Plain float64 evaluation, layer by layer, no chunks, no folded biases."""
    from spacekit.skopes.hst.cal.dense import _apply_activation

    h = np.asarray(X, dtype=np.float64)
    for k, b, act in net.layers:
        h = _apply_activation(h @ k.astype(np.float64) + b, act)
    return h


def test_predict_dense_chunked_threaded_fused_equals_unchunked():
    from spacekit.skopes.hst.cal.export import predict_dense

    rng = np.random.default_rng(5)
    nets = [
        _random_net(rng, (9, 18, 32, 64, 32, 18, 9, 4), out_act="softmax"),
        _random_net(rng, (9, 18, 32, 9, 1)),
        _random_net(rng, (9, 18, 64, 128, 64, 9, 1), hidden_act="tanh", out_act="sigmoid"),
        _random_net(rng, (9, 3)),  # one layer: not fusable
    ]
    X = rng.normal(size=(5000, 9))
    refs = [_reference(n, X) for n in nets]
    whole = [n.predict(X, chunk_size=10**6, n_threads=1) for n in nets]
    for ref, got in zip(refs, whole, strict=True):
        assert got.dtype == np.float32
        np.testing.assert_allclose(got, ref, rtol=1e-5, atol=1e-5)
    for kw in (
        {"chunk_size": 1000, "n_threads": 1},
        {"chunk_size": 777, "n_threads": 3},
        {"chunk_size": 4096},
    ):
        for got, ref in zip(
            predict_dense(nets[:3], X, **kw), whole[:3], strict=True
        ):  # fused first layers
            np.testing.assert_allclose(got, ref, rtol=1e-6, atol=1e-6)
        for got, ref in zip(
            predict_dense(nets, X.astype(np.float32), **kw), whole, strict=True
        ):  # not fused
            np.testing.assert_allclose(got, ref, rtol=1e-6, atol=1e-6)
    # small batches run in the calling thread; an empty batch gives empty outputs
    np.testing.assert_allclose(nets[0].predict(X[:1]), whole[0][:1], rtol=1e-6, atol=1e-6)
    assert [o.shape for o in predict_dense(nets[:2], X[:0])] == [(0, 4), (0, 1)]


def test_predict_dense_restores_blas_threads_and_rejects_bad_input():
    from threadpoolctl import threadpool_info

    from spacekit.exceptions import InputError
    from spacekit.skopes.hst.cal.export import predict_dense

    rng = np.random.default_rng(6)
    nets = [_random_net(rng, (9, 8, 1)), _random_net(rng, (9, 8, 2))]
    before = [i["num_threads"] for i in threadpool_info()]
    predict_dense(nets, rng.normal(size=(4096, 9)), chunk_size=512, n_threads=2)
    assert [i["num_threads"] for i in threadpool_info()] == before
    with pytest.raises(InputError, match=r"shape \(n, 9\)"):
        predict_dense(nets, rng.normal(size=(10, 8)))
    with pytest.raises(InputError, match="chunk_size"):
        predict_dense(nets, rng.normal(size=(10, 9)), chunk_size=0)


# --------------------------------------------------------------------------- calibration
def test_linear_and_average_export_match_ridge(tmp_path):
    from sklearn.linear_model import Ridge

    from spacekit.skopes.hst.cal.export import (
        AverageModel,
        LinearModel,
        TreeEnsemble,
        load_exported,
        pairwise_basis,
        save_exported,
    )

    rng = np.random.default_rng(4)
    n = 300
    Z = np.column_stack(
        [
            rng.normal(size=n),
            rng.normal(size=n),
            rng.integers(0, 2, n),
            rng.integers(0, 2, n),
            rng.integers(0, 3, n),
            rng.integers(0, 2, n),
            rng.integers(0, 2, n),
            rng.integers(0, 2, n),
            rng.integers(0, 4, n),
        ]
    ).astype(float)
    Z[:, 7] = 1.0  # a constant column: no coefficient, no division by zero
    y = 0.7 * Z[:, 1] + 0.9 * Z[:, 2] * (Z[:, 8] == 3) + rng.normal(0, 0.1, n)
    w = rng.integers(1, 50, n).astype(float)
    m = LinearModel.fit(Z, y, sample_weight=w, alpha=3.0)
    B = pairwise_basis(Z)
    assert B.shape == (n, 80)
    keep = B.std(0) > 0
    A = (B - m.mean) / m.scale
    ref = Ridge(alpha=3.0).fit(A[:, keep], y, sample_weight=w)
    np.testing.assert_allclose(m.predict(Z), ref.predict(A[:, keep]), rtol=0, atol=1e-8)
    assert np.all(m.coef[~keep] == 0)
    # a product of per-feature factors extends to a combination never seen: fit without
    # (drizcorr=1, instr=3) rows, predict them
    seen = ~((Z[:, 2] == 1) & (Z[:, 8] == 3))
    y2 = 0.5 * Z[:, 1] + 0.8 * Z[:, 2] + 0.3 * (Z[:, 8] == 3)
    m2 = LinearModel.fit(Z[seen], y2[seen], alpha=1e-6)
    np.testing.assert_allclose(m2.predict(Z[~seen]), y2[~seen], atol=1e-3)
    spec = save_exported(m, tmp_path / "lin.npz")
    assert np.array_equal(
        load_exported(tmp_path / "lin.npz", json.loads(json.dumps(spec))).predict(Z), m.predict(Z)
    )
    from sklearn.ensemble import HistGradientBoostingRegressor

    trees = TreeEnsemble.from_sklearn(
        HistGradientBoostingRegressor(max_iter=10, random_state=0).fit(Z, y)
    )
    avg = AverageModel([trees, m])
    np.testing.assert_allclose(
        avg.predict(Z), (trees.predict(Z) + m.predict(Z)) / 2, rtol=0, atol=1e-12
    )
    spec = save_exported(avg, tmp_path / "avg.npz")
    again = load_exported(tmp_path / "avg.npz", json.loads(json.dumps(spec)))
    assert spec["kind"] == "average" and [s["kind"] for s in spec["members"]] == ["trees", "linear"]
    assert np.array_equal(again.predict(Z), avg.predict(Z))
    # bounded: the linear member may move the trees' prediction by at most max_deviation
    far = Z.copy()
    far[:, 1] = 40.0  # far outside the training range: the quadratic terms explode
    anchored = AverageModel([trees, m], weights=[0, 1], max_deviation=0.5)
    t_far, l_far = trees.predict(far), m.predict(far)
    assert np.abs(l_far - t_far).max() > 0.5
    np.testing.assert_allclose(
        anchored.predict(far), np.clip(l_far, t_far - 0.5, t_far + 0.5), rtol=0, atol=1e-12
    )
    spec = save_exported(anchored, tmp_path / "anchored.npz")
    assert spec["max_deviation"] == 0.5
    assert np.array_equal(
        load_exported(tmp_path / "anchored.npz", json.loads(json.dumps(spec))).predict(far),
        anchored.predict(far),
    )
    with pytest.raises(InputError, match="weights"):
        AverageModel([trees, m], weights=[1.0])
    with pytest.raises(InputError, match="shape"):
        pairwise_basis(np.zeros((2, 5)))
    with pytest.raises(InputError, match="basis"):
        LinearModel(
            coef=np.zeros(80), mean=np.zeros(80), scale=np.ones(80), intercept=0.0, basis="cubic"
        )


def test_linear_log_sizes_match_ridge_on_log1p_sizes(tmp_path):
    from sklearn.linear_model import Ridge

    from spacekit.skopes.hst.cal.export import (
        LinearModel,
        load_exported,
        pairwise_basis,
        save_exported,
    )
    from spacekit.skopes.hst.cal.pipeline import _log_size_params
    from spacekit.skopes.hst.cal.transform import PowerStandardizer

    rng = np.random.default_rng(5)
    n = 400
    X = np.column_stack(
        [
            rng.integers(1, 60, n),
            rng.lognormal(3, 2, n),
            rng.integers(0, 2, n),
            rng.integers(0, 2, n),
            rng.integers(0, 3, n),
            rng.integers(0, 2, n),
            rng.integers(0, 2, n),
            rng.integers(0, 2, n),
            rng.integers(0, 4, n),
        ]
    ).astype(float)
    # wallclock as a power law in the sizes: exactly linear in log(1 + size)
    y = 0.8 * np.log1p(X[:, 0]) + 0.4 * np.log1p(X[:, 1]) + 0.5 * X[:, 2] + rng.normal(0, 0.05, n)
    tx = PowerStandardizer().fit(X)
    Z = tx.transform(X)
    m = LinearModel.fit(Z, y, alpha=2.0, log_sizes=_log_size_params(tx.to_dict()))
    L = X.copy()
    L[:, :2] = np.log1p(X[:, :2])
    B = pairwise_basis(L)
    keep = B.std(0) > 0
    ref = Ridge(alpha=2.0).fit(((B - m.mean) / m.scale)[:, keep], y)
    np.testing.assert_allclose(
        m.predict(Z), ref.predict(((B - m.mean) / m.scale)[:, keep]), rtol=0, atol=1e-8
    )
    # extrapolates to sizes 10x beyond the training range as the power law does
    big = X[:20].copy()
    big[:, 1] = X[:, 1].max() * 10
    truth = 0.8 * np.log1p(big[:, 0]) + 0.4 * np.log1p(big[:, 1]) + 0.5 * big[:, 2]
    assert np.abs(m.predict(tx.transform(big)) - truth).max() < 0.5
    spec = save_exported(m, tmp_path / "loglin.npz")
    again = load_exported(tmp_path / "loglin.npz", json.loads(json.dumps(spec)))
    assert again.log_sizes.shape == (2, 4)
    assert np.array_equal(again.predict(Z), m.predict(Z))


def test_grouped_kfold_keeps_groups_together():
    from spacekit.skopes.hst.cal.pipeline import grouped_kfold

    groups = np.repeat(np.arange(40), np.arange(1, 41))
    folds = grouped_kfold(groups, 5, seed=3)
    seen = np.concatenate([te for _, te in folds])
    assert sorted(seen.tolist()) == list(range(len(groups)))
    for tr, te in folds:
        assert not set(groups[tr]) & set(groups[te])
    sizes = [len(te) for _, te in folds]
    assert max(sizes) - min(sizes) <= 40


def test_bin_margin_meets_target_on_calibration_rows():
    from spacekit.skopes.hst.cal.pipeline import _calibrate_bin_margin
    from spacekit.skopes.hst.cal.predict import apply_margins

    rng = np.random.default_rng(0)
    n = 4000
    true_mem = np.exp(rng.normal(0.3, 0.8, n))
    y = memory_to_bin(true_mem)
    raw = {
        "memory": true_mem * np.exp(rng.normal(0, 0.3, n)),
        "wallclock": np.ones(n),
        "bin_proba": np.tile([1.0, 0, 0, 0], (n, 1)),
    }
    m = _calibrate_bin_margin(raw, y, 0.01)
    res = apply_margins(raw, m, 0.0, 0.0)
    assert np.mean(res["mem_bin"] < y) <= 0.01
    res_less = apply_margins(raw, m - 0.05, 0.0, 0.0)
    assert np.mean(res_less["mem_bin"] < y) > 0.01  # the smallest margin that does it
    groups = np.arange(n) // 200  # 20 groups of correlated rows
    m_groups = _calibrate_bin_margin(raw, y, 0.01, groups, confidence=0.9)
    assert m_groups >= m  # group-level calibration is never less safe


def test_group_quantile_kill_time_covers_unseen_groups():
    from spacekit.skopes.hst.cal.pipeline import _calibrate, _conformal_quantile, _group_quantile

    # 100 groups of very different sizes; a group's rows share one error (a held-out input
    # is predicted once for all its rows) plus a small spread of their own.
    rng = np.random.default_rng(1)
    sizes = rng.integers(1, 400, 100)
    groups = np.repeat(np.arange(100), sizes)
    group_err = rng.standard_t(3, 100) * 0.3
    r = group_err[groups] + rng.normal(0, 0.05, len(groups))
    row_q = _conformal_quantile(r, 0.99, groups, confidence=0.8)
    grp_q = _group_quantile(r, 0.99, groups)
    assert grp_q >= _conformal_quantile(r, 0.99)  # never below the plain row quantile
    # Fresh groups from the same process: the group rule covers at least 99% of the new
    # groups' rows on average over draws, and at least as many as the row rule.
    cover_row, cover_grp = [], []
    for seed in range(20):
        g = np.random.default_rng(100 + seed)
        new_sizes = g.integers(1, 400, 100)
        new_r = np.repeat(g.standard_t(3, 100) * 0.3, new_sizes) + g.normal(
            0, 0.05, new_sizes.sum()
        )
        cover_row.append(np.mean(new_r <= row_q))
        cover_grp.append(np.mean(new_r <= grp_q))
    assert np.mean(cover_grp) >= 0.99 and np.mean(cover_grp) >= np.mean(cover_row)
    # The doctest case: one large well-predicted group hides a small badly predicted one.
    assert _group_quantile(np.r_[np.zeros(9), 1.0], 0.8, np.r_[np.zeros(9), 1]) == 1.0
    # _calibrate: the default kill rule is the group quantile, the memory margin is untouched.
    n = len(groups)
    df = pd.DataFrame(
        {"memory": np.ones(n), "wallclock": np.exp(r), "mem_bin": np.zeros(n, dtype=int)}
    )
    raw = {
        "memory": np.exp(r),
        "wallclock": np.ones(n),
        "bin_proba": np.tile([1.0, 0, 0, 0], (n, 1)),
    }
    opts = dict(
        groups=groups,
        under_bin_target=0.01,
        wallclock_coverage=0.99,
        memory_coverage=0.99,
        margin_confidence=0.8,
    )
    new, old = _calibrate(raw, df, **opts), _calibrate(raw, df, kill_rule="row_bootstrap", **opts)
    assert new["kill_rule"] == "group_quantile" and new["wallclock_log_margin"] == pytest.approx(
        grp_q
    )
    assert old["wallclock_log_margin"] == pytest.approx(row_q)
    assert new["memory_log_margin"] == old["memory_log_margin"]
    assert new["bin_log_margin"] == old["bin_log_margin"]


def test_upper_quantile_rule_uses_per_row_scale():
    from spacekit.exceptions import ModelLoadError
    from spacekit.skopes.hst.cal.pipeline import _calibrate_bin_margin
    from spacekit.skopes.hst.cal.predict import apply_margins

    rng = np.random.default_rng(5)
    n = 6000
    sigma = np.where(rng.random(n) < 0.2, 0.6, 0.05)  # a fifth of the rows are hard to predict
    true_mem = np.exp(rng.normal(0.3, 0.8, n))
    y = memory_to_bin(true_mem)
    raw = {
        "memory": true_mem * np.exp(rng.normal(0, sigma)),
        "wallclock": np.ones(n),
        "bin_proba": np.tile([1.0, 0.0, 0.0, 0.0], (n, 1)),
        "memory_scale": sigma,
    }
    q = _calibrate_bin_margin(raw, y, 0.01, rule="upper_quantile")
    scaled = apply_margins(raw, q, 0.0, 0.0, bin_rule="upper_quantile")
    assert np.mean(scaled["mem_bin"] < y) <= 0.01
    assert np.array_equal(scaled["mem_bin"], memory_to_bin(raw["memory"] * np.exp(q * sigma)))
    assert np.all(scaled["bin_argmax"] == 0)  # the classifier plays no part in the margin
    # ... but the submitted bin is never below its most probable bin (issue 18, interim rule)
    top = apply_margins(
        dict(raw, bin_proba=np.tile([0.0, 0.0, 0.0, 1.0], (n, 1))),
        q,
        0.0,
        0.0,
        bin_rule="upper_quantile",
    )
    assert np.all(top["mem_bin"] == 3) and np.array_equal(top["rule_bin"], scaled["mem_bin"])
    # one margin for all rows meeting the same target over-bins more than the scaled one
    flat = dict(raw, memory_scale=np.ones(n))
    m = _calibrate_bin_margin(flat, y, 0.01, rule="upper_quantile")
    plain = apply_margins(flat, m, 0.0, 0.0, bin_rule="upper_quantile")
    assert np.mean(plain["mem_bin"] < y) <= 0.01
    assert np.mean(scaled["mem_bin"] == y) > np.mean(plain["mem_bin"] == y)
    with pytest.raises(ModelLoadError, match="memory_scale"):
        apply_margins(
            {k: v for k, v in raw.items() if k != "memory_scale"},
            q,
            0.0,
            0.0,
            bin_rule="upper_quantile",
        )


@pytest.mark.slow
def test_upper_quantile_max_rule_trains_serves_and_is_never_below_upper_quantile(
    shared_data, tmp_path
):
    from spacekit.exceptions import ModelLoadError
    from spacekit.skopes.hst.cal.pipeline import BIN_MEMBER_KINDS, fit_pipeline, save_model
    from spacekit.skopes.hst.cal.predict import apply_margins, load_predictor

    df = prepare_table(pd.read_csv(_table(shared_data)).sample(4000, random_state=1))
    pred, info = fit_pipeline(
        df, seed=0, fast=True, bin_rule="upper_quantile_max", decision="margins"
    )
    cal = pred.metadata["calibration"]
    members = [k for k in BIN_MEMBER_KINDS if k != pred.metadata["models"]["memory"]["kind"]]
    assert members and sorted(cal["bin_member_margins"]) == sorted(members)
    for k in members:
        assert {f"memory_{k}", f"memory_scale_{k}"} <= set(pred.models)
    # each member is calibrated alone to the target, so their union is too (out-of-fold rows)
    y = df["mem_bin"].to_numpy()
    assert np.mean(info["oof"]["mem_bin"] < y) <= cal["under_bin_target"]
    X = df[list(FEATURES)].to_numpy(dtype=float)[:500]
    r = pred.predict_arrays(X)
    single = apply_margins(r, pred.bin_log_margin, 0.0, 0.0, bin_rule="upper_quantile")["mem_bin"]
    expected = single.copy()
    for k, m in cal["bin_member_margins"].items():
        expected = np.maximum(
            expected, memory_to_bin(r[f"memory_{k}"] * np.exp(m * r[f"memory_scale_{k}"]))
        )
    assert np.array_equal(r["mem_bin"], expected) and np.all(r["mem_bin"] >= single)
    assert (r["mem_bin"] > single).any()  # the members do change some bins here
    # the folder round-trips: the member models are saved and loaded with the others
    save_model(pred, tmp_path / "m")
    loaded = load_predictor(tmp_path / "m")
    assert (
        loaded.bin_rule == "upper_quantile_max"
        and loaded.bin_member_margins == cal["bin_member_margins"]
    )
    r2 = loaded.predict_arrays(X)
    assert all(np.array_equal(r[k], r2[k]) for k in r)
    out = loaded.predict("ib8t01010", shared_data / MMF / "ib8t01010_MemModelFeatures.txt")
    assert {"memBin", "memVal", "clockTime"} <= set(out) and out["memBin"] == int(
        loaded.predict_arrays(np.array([[out["features"][f] for f in FEATURES]], dtype=float))[
            "mem_bin"
        ][0]
    )
    with pytest.raises(ModelLoadError, match="bin_member_margins"):
        apply_margins(r, pred.bin_log_margin, 0.0, 0.0, bin_rule="upper_quantile_max")
    with pytest.raises(ModelLoadError, match=f"memory_{members[0]}"):
        apply_margins(
            {k: v for k, v in r.items() if not k.startswith(f"memory_{members[0]}")},
            pred.bin_log_margin,
            0.0,
            0.0,
            bin_rule="upper_quantile_max",
            member_margins=cal["bin_member_margins"],
        )


# --------------------------------------------------------------------------- trained model
@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    from pathlib import Path

    from spacekit.skopes.hst.cal import train

    shared = (Path(__file__).resolve().parent.parent.parent / "shared" / "data").resolve()
    df = pd.read_csv(_table(shared)).sample(4000, random_state=0)
    runs = tmp_path_factory.mktemp("runs")
    return train(df, runs_dir=runs, seed=0, fast=True, name="test")


def test_train_writes_versioned_run(trained):
    run = trained
    for rel in (
        "run.json",
        "metrics.json",
        "predictions.csv",
        "evaluation.json",
        "model/metadata.json",
        "model/bin.npz",
        "model/memory.npz",
        "model/wallclock.npz",
    ):
        assert (run.path / rel).is_file(), rel
    meta = json.loads((run.model_dir / "metadata.json").read_text())
    assert len(meta["training_data_sha256"]) == 64 and meta["spacekit_version"] and meta["created"]
    assert set(meta["models"]) == {"bin", "memory", "wallclock", "memory_scale"}
    assert (run.path / "model" / "memory_scale.npz").is_file()
    assert (
        meta["calibration"]["bin_rule"] == "upper_quantile"
        and meta["calibration"]["margin_confidence"] == 0.8
    )
    sel = run.metrics["selection"]
    assert set(sel["memory"]["scores"]) == {
        "trees",
        "anchored",
        "blend",
    }  # compared on held-out groups
    assert sel["bin"]["reason"] == "only candidate"  # linear/blend are regressions only
    assert meta["metrics_out_of_fold"]["n_rows"] == 4000
    assert {p.suffix for p in run.figures()} >= {".png"}
    assert run.metrics["selection"]["bin"]["kept"] == "trees"
    ev = json.loads((run.path / "evaluation.json").read_text())
    assert np.array(ev["confusion"]["matrix"]).sum() == 4000


def test_resolve_model_dir_model_run_and_runs_folders(trained, tmp_path):
    from spacekit.skopes.hst.cal.predict import resolve_model_dir

    run = trained
    assert resolve_model_dir(run.model_dir) == run.model_dir  # the model folder itself
    assert resolve_model_dir(run.path) == run.model_dir  # the run folder around it
    assert resolve_model_dir(run.path.parent.parent) == run.model_dir  # <runs>/hst_cal/<run>/model
    assert resolve_model_dir(run.path.parent) == run.model_dir  # <runs>/hst_cal
    with pytest.raises(DataNotFoundError, match="expected metadata.json there"):
        resolve_model_dir(tmp_path)


def test_predict_real_files_contract(trained, shared_data):
    from spacekit.skopes.hst.cal import load_predictor

    pred = load_predictor(trained.path)  # a run folder resolves to its model/
    for f in sorted((shared_data / MMF).glob("*.txt")):
        r = pred.predict(f.name[:9], f)
        assert r["memBin"] in (0, 1, 2, 3) and r["memBinArgmax"] in (0, 1, 2, 3)
        assert r["memVal"] > 0 and r["memUpper"] >= r["memVal"]
        assert r["killTime"] >= r["clockTimePred"] > 0 and isinstance(r["killTime"], int)
        assert int(r["clockTime"] * 6) == r["killTime"]  # calcloud multiplies it by 1 + 5
        assert abs(sum(r["memBinProba"]) - 1) < 1e-5
    same = pred.predict(
        "la8p01010", (shared_data / MMF / "la8p01010_MemModelFeatures.txt").read_text()
    )
    assert same == pred.predict("la8p01010", shared_data / MMF)  # folder holding the file
    assert same["memBin"] == pred.predict("la8p01010", same["features"])["memBin"]


def test_predict_batch_matches_single(trained, shared_data):
    from spacekit.skopes.hst.cal import load_predictor

    pred = load_predictor(trained.model_dir)
    df = pd.read_csv(shared_data / "hst_cal" / "hst_cal_sample_20.csv")
    out = pred.predict_batch(df)
    assert len(out) == 20 and list(out["ipst"]) == list(df["ipst"])
    row = df.iloc[3]
    one = pred.predict(row["ipst"], {k: row[k] for k in FEATURES})
    assert out.loc[3, "memBin"] == one["memBin"] and out.loc[3, "killTime"] == one["killTime"]
    assert out.loc[3, "clockTime"] == one["clockTime"]


def test_prediction_imports_no_tensorflow_or_sklearn(trained, shared_data, tmp_path):
    code = (
        "import sys, json, os\n"
        "from spacekit.skopes.hst.cal import load_predictor\n"
        f"p = load_predictor({str(trained.model_dir)!r})\n"
        "r = p.predict('j8ny02020', "
        f"{str(shared_data / MMF / 'j8ny02020_MemModelFeatures.txt')!r})\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('tensorflow', 'keras', "
        "'sklearn', 'scipy', 'pandas'))\n"
        "print(json.dumps({'bad': bad, 'r': r, 'files': os.listdir('.')}))\n"
    )
    env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1")
    out = subprocess.run(
        [sys.executable, "-c", code],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr
    res = json.loads(out.stdout.strip().splitlines()[-1])
    assert res["bad"] == [] and res["files"] == []
    assert set(res["r"]) >= {"memBin", "memVal", "clockTime"}


def test_evaluate_and_cli(trained, shared_data, tmp_path, capsys):
    from spacekit.cli import main
    from spacekit.skopes.hst.cal import EVALUATE_KEYS
    from spacekit.skopes.hst.cal import score as evaluate

    ddb = shared_data / "hst_cal" / "hst_cal_ddb_export_2021-05-11.csv"
    m = evaluate(trained.model_dir, ddb)
    assert list(m)[:6] == list(EVALUATE_KEYS) and m["n_rows"] == 3757
    assert 0 <= m["under_bin_rate"] <= 1 and m["bin_accuracy"] + m["under_bin_rate"] + m[
        "over_bin_rate"
    ] == pytest.approx(1)
    assert (
        main(
            [
                "cal",
                "evaluate",
                "--models",
                str(trained.path.parent.parent),
                "--data",
                str(ddb),
                "--json",
            ]
        )
        == 0
    )
    got = json.loads(capsys.readouterr().out)
    assert list(got)[:6] == [
        "bin_accuracy",
        "under_bin_rate",
        "over_bin_rate",
        "memory_rmse_gb",
        "wallclock_mdape",
        "wallclock_under_rate",
    ]
    files = [
        str(shared_data / MMF / f"{i}_MemModelFeatures.txt") for i in ("la8p01010", "jbpb12020")
    ]
    assert main(["cal", "predict", "--models", str(trained.model_dir), *files]) == 0
    lines = [json.loads(x) for x in capsys.readouterr().out.strip().splitlines()]
    assert [x["ipst"] for x in lines] == ["la8p01010", "jbpb12020"]
    assert main(["cal", "predict", "--models", str(tmp_path), files[0]]) == 1
    assert "no hst_cal model folder" in capsys.readouterr().err


@pytest.mark.slow
def test_cli_train_fast(shared_data, tmp_path, capsys):
    from spacekit.cli import main

    df = pd.read_csv(_table(shared_data)).sample(1500, random_state=1)
    df["extra_column"] = "x"
    src = tmp_path / "t.csv"
    df.to_csv(src, index=False)
    assert (
        main(
            [
                "cal",
                "train",
                "--data",
                str(src),
                "--out",
                str(tmp_path / "runs"),
                "--fast",
                "--seed",
                "3",
            ]
        )
        == 0
    )
    out = capsys.readouterr().out
    assert "out-of-fold" in out and "model:" in out
    from spacekit.skopes.hst.cal import load_predictor

    assert load_predictor(tmp_path / "runs").metadata["seed"] == 3
    # the bin rule is a CLI option; a wrong one is refused before any training
    assert (
        main(
            [
                "cal",
                "train",
                "--data",
                str(src),
                "--out",
                str(tmp_path / "r2"),
                "--fast",
                "--bin-rule",
                "upper_quantile_max",
            ]
        )
        == 0
    )
    capsys.readouterr()
    assert load_predictor(tmp_path / "r2").bin_rule == "upper_quantile_max"
    assert (
        main(
            [
                "cal",
                "train",
                "--data",
                str(src),
                "--out",
                str(tmp_path / "r3"),
                "--bin-rule",
                "widest",
            ]
        )
        == 1
    )
    assert "bin_rule must be one of" in capsys.readouterr().err


def test_upper_quantile_serving_and_first_release_folders(trained, tmp_path):
    import shutil

    from spacekit.skopes.hst.cal import load_predictor
    from spacekit.skopes.hst.cal.features import power_standardize

    pred = load_predictor(trained.model_dir)
    assert pred.bin_rule == "upper_quantile"
    pred.decision = "margins"  # the margins' bins (the default decision is the cost rule)
    rows = np.array(
        [[2, 35, 1, 1, 2, 0, 1, 0, 3], [2, 35, 0, 1, 2, 0, 1, 0, 3], [9, 300, 1, 1, 2, 0, 1, 1, 0]],
        dtype=float,
    )
    r = pred.predict_arrays(rows)
    Z = power_standardize(rows, pred.transform_params)
    scale = pred.models["memory_scale"].predict(Z)
    assert np.all(scale > 0)
    assert np.array_equal(
        r["rule_bin"], memory_to_bin(r["memory"] * np.exp(pred.bin_log_margin * scale))
    )
    assert np.array_equal(r["mem_bin"], np.maximum(r["rule_bin"], r["bin_argmax"]))
    # a first-release folder (no bin_rule, no memory_scale model) still loads with its rule
    old = tmp_path / "old"
    shutil.copytree(trained.model_dir, old)
    meta = json.loads((old / "metadata.json").read_text())
    assert meta["format"] == "spacekit.hst_cal/2"
    del meta["calibration"]["bin_rule"], meta["models"]["memory_scale"]
    del meta["calibration"]["cost_rule"], meta["calibration"]["decision"]
    meta["format"] = "spacekit.hst_cal/1"
    (old / "metadata.json").write_text(json.dumps(meta))
    (old / "memory_scale.npz").unlink()
    legacy = load_predictor(old)
    assert legacy.bin_rule == "classifier_max" and "memory_scale" not in legacy.models
    r_old = legacy.predict_arrays(rows)
    assert np.all(r_old["mem_bin"] >= r_old["bin_argmax"])
    assert np.array_equal(r_old["memory"], r["memory"])


def test_lambda_handler_both_event_forms(trained, shared_data, s3_bucket, s3_endpoint, monkeypatch):
    import boto3

    from spacekit.skopes.hst.cal import predict as P

    client = boto3.client("s3", endpoint_url=s3_endpoint, region_name="us-east-1")
    for ipst in ("ib8t01010", "j9oe01020"):
        key = f"control/{ipst}/{ipst}_MemModelFeatures.txt"
        client.put_object(
            Bucket=s3_bucket,
            Key=key,
            Body=(shared_data / MMF / f"{ipst}_MemModelFeatures.txt").read_bytes(),
        )
    monkeypatch.setenv("SPACEKIT_HST_CAL_MODEL_DIR", str(trained.model_dir))
    calcloud = P.lambda_handler(
        {
            "Bucket": s3_bucket,
            "Key": "control/ib8t01010/ib8t01010_MemModelFeatures.txt",
            "Ipppssoot": "ib8t01010",
        },
        None,
    )
    upstream = P.lambda_handler(
        {
            "Dataset": "j9oe01020",
            "Bucket": s3_bucket,
            "Key": "control/j9oe01020/j9oe01020_MemModelFeatures.txt",
        },
        None,
    )
    local = P.load_predictor(trained.model_dir)
    expected = local.predict("ib8t01010", shared_data / MMF / "ib8t01010_MemModelFeatures.txt")
    assert {k: calcloud[k] for k in expected} == expected
    assert calcloud["failSafe"] is False and calcloud["error"] is None
    assert upstream["memBin"] == local.predict("j9oe01020", shared_data / MMF)["memBin"]
    assert upstream["failSafe"] is False
    assert isinstance(calcloud["memBin"], int) and isinstance(calcloud["killTime"], int)
    # s3:// prefix of the control folder also works
    assert (
        local.predict("ib8t01010", f"s3://{s3_bucket}/control/ib8t01010/")["memBin"]
        == calcloud["memBin"]
    )
    # the handler answers instead of raising (tests/test_hst_cal_calcloud.py: every case)
    missing = P.lambda_handler(
        {
            "Bucket": s3_bucket,
            "Key": "control/la8p01010/la8p01010_MemModelFeatures.txt",
            "Ipppssoot": "la8p01010",
        },
        None,
    )
    assert missing["failSafe"] and "DataNotFoundError" in missing["error"]
    assert P.lambda_handler({"Ipppssoot": "la8p01010"}, None)["error"].startswith("invalid event")
    key = "control/ib8t01010/ib8t01010_MemModelFeatures.txt"
    url = P.lambda_handler(
        {"Bucket": s3_bucket, "Key": f"s3://{s3_bucket}/{key}", "Ipppssoot": "ib8t01010"}
    )
    assert url["failSafe"] and "is a URL" in url["error"]
    same = P.lambda_handler(
        {"Bucket": s3_bucket, "Key": key, "Ipppssoot": "ib8t01010", "Dataset": "ib8t01010"}
    )
    assert same == calcloud


def test_dask_batch_in_process_and_cluster(trained, shared_data):
    from distributed import Client, LocalCluster

    from spacekit.skopes.hst.cal import load_predictor, predict_many

    pred = load_predictor(trained.model_dir)
    items = {f.name[:9]: f for f in sorted((shared_data / MMF).glob("*.txt"))}
    local = predict_many(items, pred, chunk_size=4)
    assert [r["ipst"] for r in local] == list(items)
    df = pd.read_csv(shared_data / "hst_cal" / "hst_cal_sample_20.csv")
    with (
        LocalCluster(
            n_workers=1, threads_per_worker=1, processes=False, dashboard_address=":0"
        ) as cluster,
        Client(cluster) as client,
    ):
        remote = predict_many(items, pred, client=client, chunk_size=5)
        batch = pred.predict_batch(df, client=client, npartitions=3)
    assert remote == local
    pd.testing.assert_frame_equal(batch, pred.predict_batch(df))


@pytest.mark.slow
def test_cross_validate_small(shared_data, tmp_path):
    from spacekit.skopes.hst.cal.pipeline import cross_validate

    df = pd.read_csv(_table(shared_data)).sample(3000, random_state=2)
    cv = cross_validate(df, n_splits=3, n_repeats=2, fast=True, progress=False)
    assert len(cv["folds"]) == 6 and cv["by_time"] is None
    for k in ("bin_accuracy", "under_bin_rate", "memory_rmse_gb", "wallclock_mdape", "recall_bin1"):
        assert k in cv["mean"] and k in cv["worst"]
    assert cv["worst"]["under_bin_rate"] >= cv["mean"]["under_bin_rate"]
    assert cv["worst"]["bin_accuracy"] <= cv["mean"]["bin_accuracy"]
    assert len(cv["oof"]) == 3000
    from spacekit.skopes.hst.cal.demo import write_cv_report

    report = write_cv_report(cv, tmp_path)
    assert report.metrics["mean"]["under_bin_rate"] == cv["mean"]["under_bin_rate"]
    assert (report.path / "predictions.csv").is_file() and report.figures()
    df["timestamp"] = np.arange(len(df))
    timed = cross_validate(df, n_splits=3, n_repeats=1, fast=True, progress=False)
    assert timed["by_time"]["n_rows"] == 600
    assert all(set(f["kept"]) == {"bin", "memory", "wallclock"} for f in cv["folds"])
    assert (
        cv["settings"]["bin_rule"] == "upper_quantile"
        and cv["settings"]["kill_rule"] == "group_quantile"
    )
    with pytest.raises(InputError, match="kill_rule must be one of"):
        cross_validate(df, n_splits=3, n_repeats=1, fast=True, progress=False, kill_rule="rows")
    given = cross_validate(
        df,
        n_splits=3,
        n_repeats=1,
        fast=True,
        progress=False,
        kinds={"bin": "trees", "memory": "linear", "wallclock": "blend", "memory_scale": "trees"},
        bin_rule="classifier_max",
    )
    assert all(
        f["kept"] == {"bin": "trees", "memory": "linear", "wallclock": "blend"}
        for f in given["folds"]
    )
    # the safer bin rule through the whole loop: never fewer high bins than the default's folds
    safe = cross_validate(
        df, n_splits=3, n_repeats=1, fast=True, progress=False, bin_rule="upper_quantile_max"
    )
    default = cross_validate(df, n_splits=3, n_repeats=1, fast=True, progress=False)
    assert safe["settings"]["bin_rule"] == "upper_quantile_max"
    assert np.all(safe["oof"]["memBin"].to_numpy() >= default["oof"]["memBin"].to_numpy())
    assert safe["mean"]["under_bin_rate"] <= default["mean"]["under_bin_rate"]
    with pytest.raises(InputError, match="bin: trees or keras"):
        cross_validate(
            df,
            n_splits=3,
            n_repeats=1,
            fast=True,
            progress=False,
            kinds={"bin": "linear", "memory": "trees", "wallclock": "trees"},
        )


# --------------------------------------------------------------------------- bug hunt (edge cases)
def _strict_json(text):
    def refuse(token):
        raise ValueError(f"not JSON: bare {token}")

    return json.loads(text, parse_constant=refuse)


def test_cli_evaluate_json_is_strict_json_when_a_metric_is_nan(
    trained, shared_data, tmp_path, capsys
):
    from spacekit.cli import main

    # no bin-3 job in these rows: recall_bin3 is NaN, which must print as null, not NaN
    df = pd.read_csv(shared_data / "hst_cal" / "hst_cal_ddb_export_2021-05-11.csv").head(200)
    assert not (df["mem_bin"] == 3).any()
    src = tmp_path / "few.csv"
    df.to_csv(src, index=False)
    assert (
        main(["cal", "evaluate", "--models", str(trained.model_dir), "--data", str(src), "--json"])
        == 0
    )
    got = _strict_json(capsys.readouterr().out)
    assert got["recall_bin3"] is None and got["n_rows"] == 200


def test_parse_bom_and_non_utf8_bytes(shared_data):
    from spacekit.skopes.hst.cal.predict import read_features

    txt = (shared_data / MMF / "j8q617040_MemModelFeatures.txt").read_text()
    want = parse_memmodel_features(txt, "j8q617040")
    with warnings.catch_warnings():
        warnings.simplefilter("error", CalFeatureWarning)  # a BOM is not an unknown key
        assert parse_memmodel_features("\ufeff" + txt, "j8q617040") == want
        assert parse_memmodel_features(("\ufeff" + txt).encode(), "j8q617040") == want
        assert read_features("j8q617040", ("\ufeff" + txt.replace("\n", "\r\n")).encode()) == want
    with pytest.raises(InputError, match="j8q617040.*UTF-8"):
        parse_memmodel_features(txt.encode() + b"\n# \xe9t\xe9", "j8q617040")


def test_parse_duplicate_key_warns_and_keeps_last_like_production():
    with pytest.warns(CalFeatureWarning, match="n_files.*more than once"):
        f = parse_memmodel_features("n_files=3\ntotal_mb=2\nn_files=7", "la8p01010")
    assert f["n_files"] == 7  # calcloud builds a dict from the lines: the last one wins
    with warnings.catch_warnings():
        warnings.simplefilter("error", CalFeatureWarning)  # the same value twice is harmless
        assert (
            parse_memmodel_features("n_files=3\ntotal_mb=2\nn_files=3", "la8p01010")["n_files"] == 3
        )


def test_features_file_of_another_dataset_is_refused(shared_data, tmp_path):
    from spacekit.skopes.hst.cal.predict import read_features

    other = shared_data / MMF / "j8q617040_MemModelFeatures.txt"
    with pytest.raises(InputError, match="la8p01010.*j8q617040"):
        read_features("la8p01010", other)
    with pytest.raises(InputError, match="la8p01010.*j8q617040"):
        read_features("la8p01010", "s3://bucket/control/j8q617040/j8q617040_MemModelFeatures.txt")
    # a file of any other name is the user's call
    mine = tmp_path / "features.txt"
    mine.write_text(other.read_text())
    assert read_features("j8q617040", mine) == parse_memmodel_features(
        other.read_text(), "j8q617040"
    )
    assert read_features("J8Q617040", other)["instr"] == 0  # case of the name does not matter


def test_predict_batch_in_pieces_deduplicated_equals_every_row(trained, shared_data, monkeypatch):
    import spacekit.skopes.hst.cal.predict as predict_module
    from spacekit.skopes.hst.cal import load_predictor

    pred = load_predictor(trained.model_dir)
    df = pd.read_csv(shared_data / "hst_cal" / "hst_cal_sample_20.csv")
    table = df.iloc[np.random.default_rng(1).integers(0, 20, 2500)].reset_index(drop=True)
    X = table[list(FEATURES)].to_numpy(dtype=float)
    X[:, 1] = np.round(X[:, 1])  # total_mb as production rounds it
    every_row = pred.predict_arrays(X)  # no deduplication
    monkeypatch.setattr(predict_module, "_ROWS_PER_PASS", 1000)
    assert np.array_equal(pred.predict_arrays(X)["memory"], every_row["memory"])
    out = pred.predict_batch(table)  # three pieces, duplicates predicted once
    assert list(out["ipst"]) == list(table["ipst"])
    assert np.array_equal(out["memBin"].to_numpy(), every_row["mem_bin"])
    assert np.array_equal(out["memVal"].to_numpy(), every_row["memory"])
    assert np.array_equal(out["killTime"].to_numpy(), every_row["clock_time"])
    assert np.array_equal(out["p2"].to_numpy(), every_row["bin_proba"][:, 2])
    bad = table.astype({"crsplit": float})
    bad.loc[2100, "crsplit"] = 7.5
    with pytest.raises(SchemaError, match="rows 2000-2499"):  # the piece's rows are named
        pred.predict_batch(bad)


def test_predict_batch_empty_table_and_input_index(trained, shared_data):
    from spacekit.skopes.hst.cal import load_predictor

    pred = load_predictor(trained.model_dir)
    df = pd.read_csv(shared_data / "hst_cal" / "hst_cal_sample_20.csv")
    full = pred.predict_batch(df)
    empty = pred.predict_batch(df.iloc[:0])
    assert len(empty) == 0 and list(empty.columns) == list(full.columns)
    shifted = df.set_index(pd.RangeIndex(100, 120))
    out = pred.predict_batch(shifted)
    assert list(out.index) == list(shifted.index)  # rows line up with the caller's table
    joined = shifted.join(out[["memBin"]])
    assert joined["memBin"].notna().all() and list(joined["memBin"]) == list(full["memBin"])


def test_half_written_or_incomplete_model_folders_are_model_load_errors(trained, tmp_path):
    import shutil

    from spacekit.exceptions import ModelLoadError
    from spacekit.skopes.hst.cal import load_predictor

    def copy(name):
        d = tmp_path / name
        shutil.copytree(trained.model_dir, d)
        return d

    cut = copy("cut")
    data = (cut / "bin.npz").read_bytes()
    (cut / "bin.npz").write_bytes(data[: len(data) // 2])
    with pytest.raises(ModelLoadError, match="bin.npz"):
        load_predictor(cut)
    empty = copy("empty")
    (empty / "wallclock.npz").write_bytes(b"")
    with pytest.raises(ModelLoadError, match="wallclock.npz"):
        load_predictor(empty)
    for name, edit in [
        ("nocal", lambda m: m["calibration"].pop("bin_log_margin")),
        ("notransform", lambda m: m.pop("transform")),
        ("nospec", lambda m: m["models"]["bin"].pop("spec")),
    ]:
        d = copy(name)
        meta = json.loads((d / "metadata.json").read_text())
        edit(meta)
        (d / "metadata.json").write_text(json.dumps(meta))
        with pytest.raises(ModelLoadError, match="metadata.json"):
            load_predictor(d)
    listed = copy("list")
    (listed / "metadata.json").write_text("[1, 2]")
    with pytest.raises(ModelLoadError, match="metadata.json"):
        load_predictor(listed)


def test_prepare_table_refuses_out_of_range_values_and_unreadable_files(shared_data, tmp_path):
    df = pd.read_csv(shared_data / "hst_cal" / "hst_cal_sample_20.csv")
    for col, value, words in [
        ("mem_bin", 7, ["mem_bin", "0-3", "7"]),
        ("total_mb", -10, ["total_mb", ">= 0"]),
        ("instr", 7, ["instr", "7"]),
        ("detector", 2, ["detector", "2"]),
    ]:
        bad = df.copy()
        bad.loc[3, col] = value
        with pytest.raises(SchemaError) as err:
            prepare_table(bad, name="t")
        for w in words + [df.loc[3, "ipst"]]:  # the message names the dataset of the first bad row
            assert w in str(err.value), (w, str(err.value))
    nan = df.copy()
    nan.loc[5, "total_mb"] = np.nan
    with pytest.raises(SchemaError, match=df.loc[5, "ipst"]):
        prepare_table(nan)
    # the old encoding's CRSPLIT counts (3, 4 in the categorized subset) map to 2 like
    # production's rule
    with pytest.warns(CalFeatureWarning, match="crsplit holds 5 value"):
        cat = prepare_table(shared_data / "hst_cal" / "hst_cal_categorized_subset_2021-08.csv")
    assert set(cat["crsplit"]) <= {0, 1, 2}
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    with pytest.raises(FormatError, match="empty.csv"):
        prepare_table(empty)
    with pytest.raises(DataNotFoundError, match="missing.csv"):
        prepare_table(tmp_path / "missing.csv")
    with pytest.raises(DataNotFoundError, match="folder"):
        prepare_table(tmp_path)
    with pytest.raises(InputError, match="Series"):
        prepare_table(df.iloc[0])
    shifted = df.copy()
    shifted.loc[2, "instr"] = 3  # a COS row labelled WFC3: columns shifted or mislabelled
    with pytest.raises(SchemaError, match="instr/dtype other than their ipst"):
        prepare_table(shifted)
    # ipst: spaces and case do not matter; a name that is no HST dataset is refused by name
    padded = df.copy()
    padded["ipst"] = "  " + padded["ipst"].str.upper() + " "
    assert prepare_table(padded)["ipst"].tolist() == prepare_table(df)["ipst"].tolist()
    for name in ("x8ny02020", ""):
        odd = df.copy()
        odd.loc[3, "ipst"] = name
        with pytest.raises(SchemaError, match=f"not HST calibration datasets, first '{name}'"):
            prepare_table(odd)
    neg = df.copy()
    neg.loc[4, "memory"] = -1.0
    with pytest.warns(CalFeatureWarning, match="1 row"):
        assert len(prepare_table(neg)) == 19


def test_nine_feature_dict_is_checked(trained):
    from spacekit.skopes.hst.cal.predict import read_features

    feats = dict(
        n_files=3,
        total_mb=103,
        drizcorr=1,
        pctecorr=1,
        crsplit=2,
        subarray=0,
        detector=1,
        dtype=1,
        instr=0,
    )
    assert read_features("j8q617040", feats) == feats
    for key, value, words in [
        ("total_mb", float("inf"), ["total_mb", "inf"]),
        ("total_mb", -5, ["total_mb", "-5"]),
        ("crsplit", 7, ["crsplit", "7"]),
        ("instr", 3, ["instr", "j8q617040", "ACS"]),
        ("dtype", 0, ["dtype", "j8q617040"]),
    ]:
        with pytest.raises(InputError) as err:
            read_features("j8q617040", {**feats, key: value})
        for w in words:
            assert w in str(err.value), (w, str(err.value))


def test_cross_validate_refuses_too_few_folds_or_repeats(shared_data):
    from spacekit.skopes.hst.cal.pipeline import cross_validate

    df = pd.read_csv(_table(shared_data)).sample(300, random_state=0)
    with pytest.raises(InputError, match="n_splits"):
        cross_validate(df, n_splits=1, n_repeats=1, fast=True, progress=False)
    with pytest.raises(InputError, match="n_repeats"):
        cross_validate(df, n_splits=3, n_repeats=0, fast=True, progress=False)


def test_cli_predict_file_without_dataset_name_says_ipst_option(
    trained, shared_data, tmp_path, capsys
):
    from spacekit.cli import main

    src = tmp_path / "features.txt"
    src.write_text((shared_data / MMF / "la8p01010_MemModelFeatures.txt").read_text())
    assert main(["cal", "predict", "--models", str(trained.model_dir), str(src)]) == 1
    err = capsys.readouterr().err
    assert "features.txt" in err and "--ipst" in err
    assert (
        main(
            ["cal", "predict", "--models", str(trained.model_dir), "--ipst", "la8p01010", str(src)]
        )
        == 0
    )
    assert _strict_json(capsys.readouterr().out)["ipst"] == "la8p01010"
    # a bad file in a batch is reported and skipped: the others are still predicted, exit 1
    good = [
        str(shared_data / MMF / f"{d}_MemModelFeatures.txt") for d in ("la8p01010", "ib8t01010")
    ]
    assert (
        main(["cal", "predict", "--models", str(trained.model_dir), good[0], str(src), good[1]])
        == 1
    )
    captured = capsys.readouterr()
    assert [_strict_json(x)["ipst"] for x in captured.out.splitlines()] == [
        "la8p01010",
        "ib8t01010",
    ]
    assert (
        "features.txt" in captured.err and "1 of 3 datasets could not be predicted" in captured.err
    )


@pytest.mark.slow
def test_cross_validate_metric_absent_from_every_fold_is_nan_without_numpy_warnings(shared_data):
    from spacekit.skopes.hst.cal.pipeline import cross_validate

    df = pd.read_csv(shared_data / "hst_cal" / "hst_cal_ddb_export_2021-05-11.csv")
    sub = df[df["mem_bin"] < 3].sample(800, random_state=0)  # no bin-3 job: recall_bin3 undefined
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        cv = cross_validate(sub, n_splits=3, n_repeats=1, fast=True, progress=False)
    assert np.isnan(cv["mean"]["recall_bin3"]) and np.isnan(cv["worst"]["recall_bin3"])
    assert 0 <= cv["mean"]["recall_bin0"] <= 1


def test_predict_many_refuses_bare_paths_and_bad_chunk_size(trained, shared_data):
    from spacekit.skopes.hst.cal import load_predictor, predict_many

    pred = load_predictor(trained.model_dir)
    files = sorted((shared_data / MMF).glob("*.txt"))[:2]
    with pytest.raises(InputError, match=r"\(ipst, features\) pairs"):
        predict_many([str(f) for f in files], pred)
    with pytest.raises(InputError, match="chunk_size"):
        predict_many({f.name[:9]: f for f in files}, pred, chunk_size=0)
    assert predict_many([], pred) == []
    assert [r["ipst"] for r in predict_many([(f.name[:9], f) for f in files], pred)] == [
        f.name[:9] for f in files
    ]


def test_table_errors_show_plain_values(shared_data):
    from spacekit.exceptions import SchemaError

    df = pd.read_csv(_table(shared_data)).head(20)
    df.loc[3, "instr"] = 7
    with pytest.raises(SchemaError) as err:
        prepare_table(df)
    assert "table (DataFrame): column instr" in str(err.value) and "first 7 in row 3" in str(
        err.value
    )
    assert "np." not in str(err.value)
