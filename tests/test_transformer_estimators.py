"""scikit-learn transformers and leak-free splits of spacekit.transformer."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from sklearn.utils.estimator_checks import estimator_checks_generator

from spacekit.exceptions import InputError, NotFittedError
from spacekit.transformer import (
    FFTFeatures,
    PowerStandardizer,
    RepeatedGroupKFold,
    RepeatedStratifiedGroupKFold,
    RowScaler,
    SmoothedChannel,
    add_smoothed_channel,
    balanced_group_kfold,
    fft_features,
    identical_row_groups,
    power_standardize,
    scale_rows,
)

ESTIMATORS = [
    PowerStandardizer(),
    PowerStandardizer(columns=[0]),
    RowScaler(),
    SmoothedChannel(),
    SmoothedChannel(size=3),
    FFTFeatures(),
    FFTFeatures(n=8, onesided=False),
]


# --------------------------------------------------------------------------- estimator contract
def _check_name(check) -> str:
    return getattr(check, "func", check).__name__


# Every check scikit-learn runs for a transformer, less check_array_api_input: these compute
# with numpy, and scikit-learn itself skips that check unless SCIPY_ARRAY_API=1 is set.
_CHECKS = [
    pytest.param(est, check, id=f"{est!r}-{_check_name(check)}")
    for original in ESTIMATORS
    for est, check in estimator_checks_generator(original)
    if _check_name(check) != "check_array_api_input"
]


@pytest.mark.parametrize("estimator, check", _CHECKS)
def test_sklearn_estimator_checks(estimator, check):
    check(estimator)


def _flux(n=12, m=32, seed=0):
    rng = np.random.default_rng(seed)
    return rng.normal(100.0, 5.0, size=(n, m))


def test_row_estimators_equal_their_functions():
    X = _flux()
    assert np.array_equal(RowScaler().fit_transform(X), scale_rows(X))
    assert np.array_equal(SmoothedChannel(size=5).fit(X).transform(X), add_smoothed_channel(X, 5))
    assert np.array_equal(FFTFeatures().fit(X).transform(X), fft_features(X))
    full = FFTFeatures(n=40, onesided=False).fit(X)
    assert np.array_equal(full.transform(X), fft_features(X, n=40, onesided=False))
    assert full.n_features_out_ == 40 and len(full.get_feature_names_out()) == 40


def test_row_estimators_in_a_pipeline_with_a_pandas_output():
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    X, y = _flux(40), np.arange(40) % 2
    model = make_pipeline(RowScaler(), FFTFeatures(), LogisticRegression(max_iter=500)).fit(X, y)
    assert model.predict(X).shape == (40,)
    out = make_pipeline(RowScaler(), FFTFeatures()).set_output(transform="pandas").fit_transform(X)
    assert isinstance(out, pd.DataFrame) and list(out.columns[:2]) == ["fft0", "fft1"]
    assert make_pipeline(RowScaler(), SmoothedChannel(size=3)).fit_transform(X).shape == (40, 32, 2)


@pytest.mark.parametrize(
    "est", [PowerStandardizer(), RowScaler(), SmoothedChannel(), FFTFeatures()]
)
def test_transform_before_fit_is_not_fitted_error(est):
    with pytest.raises(NotFittedError, match=r"not fitted yet: call .*fit\(X\) first"):
        est.transform(_flux())


@pytest.mark.parametrize(
    "est", [PowerStandardizer(), RowScaler(), SmoothedChannel(), FFTFeatures()]
)
def test_wrong_width_and_1d_input_are_input_errors(est):
    est.fit(_flux(m=32))
    with pytest.raises(InputError, match="X has 31 features, but .* is expecting 32"):
        est.transform(_flux(m=31))
    with pytest.raises(InputError, match="Expected 2D array, got 1D array"):
        est.transform(np.ones(32))


def test_settings_are_checked_in_fit_not_init():
    X = _flux()
    bad = SmoothedChannel(size=2.5)  # storing it is fine (scikit-learn contract)
    assert bad.get_params() == {"size": 2.5}
    with pytest.raises(InputError, match="size .* must be a whole number of at least 1; got 2.5"):
        bad.fit(X)
    with pytest.raises(InputError, match="n .* must be a whole number of at least 1; got 0"):
        FFTFeatures(n=0).fit(X)
    with pytest.raises(InputError, match="onesided must be True or False"):
        FFTFeatures(onesided="yes").fit(X)
    assert SmoothedChannel(size=3.0).fit(X).transform(X).shape == (12, 32, 2)


def test_nan_handling_follows_the_functions():
    X = _flux()
    X[2, 5] = np.nan
    Z = RowScaler().fit_transform(X)  # scale_rows leaves NaN out and keeps it
    assert np.isnan(Z[2, 5]) and np.isfinite(np.delete(Z[2], 5)).all()
    for est in (SmoothedChannel(), FFTFeatures(), PowerStandardizer()):
        with pytest.raises(InputError, match="Input X contains NaN"):
            est.fit(X)
    X[2, 5] = np.inf
    with pytest.raises(InputError, match="infinity"):
        RowScaler().fit(X)


# --------------------------------------------------------------------------- PowerStandardizer
def _sizes(n=300, seed=0):
    rng = np.random.default_rng(seed)
    return np.column_stack(
        [rng.integers(1, 60, n), rng.gamma(1.5, 40, n), rng.integers(0, 2, n)]
    ).astype(float)


def test_power_standardizer_matches_sklearn_on_chosen_columns():
    from sklearn.preprocessing import PowerTransformer

    X = _sizes()
    t = PowerStandardizer(columns=[0, 1]).fit(X)
    ref = PowerTransformer(method="yeo-johnson").fit(X[:, :2])
    np.testing.assert_allclose(t.lambdas_, ref.lambdas_, rtol=1e-3)
    np.testing.assert_allclose(t.transform(X)[:, :2], ref.transform(X[:, :2]), atol=2e-3)
    assert np.array_equal(t.transform(X)[:, 2], X[:, 2])
    assert t.columns_.tolist() == [0, 1]
    # default: every column; negative indices count from the end
    assert PowerStandardizer().fit(X).columns_.tolist() == [0, 1, 2]
    assert PowerStandardizer(columns=[-2]).fit(X).columns_.tolist() == [1]


def test_power_standardizer_json_round_trip_and_numpy_only_apply():
    X = _sizes()
    t = PowerStandardizer(columns=(0, 1)).fit(X)
    d = json.loads(json.dumps(t.to_dict()))
    assert list(d) == ["columns", "lambdas", "means", "scales", "n_features_in"]
    again = PowerStandardizer.from_dict(d)
    assert np.array_equal(again.transform(X), t.transform(X))
    assert np.array_equal(power_standardize(X, d), t.transform(X))
    with pytest.raises(InputError, match="expects PowerStandardizer.to_dict"):
        PowerStandardizer.from_dict({"columns": [0]})
    with pytest.raises(InputError, match="one entry per column"):
        PowerStandardizer.from_dict({**d, "lambdas": d["lambdas"][:1]})
    with pytest.raises(InputError, match="parameters are for columns"):
        power_standardize(X[:, :1], d)


def test_power_standardizer_columns_by_name_on_a_dataframe():
    from sklearn.base import clone
    from sklearn.linear_model import LinearRegression
    from sklearn.pipeline import make_pipeline

    X = _sizes()
    df = pd.DataFrame(X, columns=["n_files", "total_mb", "flag"])
    t = PowerStandardizer(columns=["total_mb"]).fit(df)
    assert t.columns_.tolist() == [1]
    assert np.array_equal(t.transform(df), PowerStandardizer(columns=[1]).fit(X).transform(X))
    d = t.to_dict()
    assert d["feature_names"] == ["n_files", "total_mb", "flag"]
    assert list(PowerStandardizer.from_dict(d).get_feature_names_out()) == d["feature_names"]
    pipe = make_pipeline(PowerStandardizer(columns=["n_files", "total_mb"]), LinearRegression())
    assert clone(pipe).fit(df, X[:, 0]).predict(df).shape == (300,)
    with pytest.raises(InputError, match="no column 'mb'"):
        PowerStandardizer(columns=["mb"]).fit(df)
    with pytest.raises(InputError, match="X has no column names"):
        PowerStandardizer(columns=["total_mb"]).fit(X)


@pytest.mark.parametrize(
    "columns, match",
    [
        ([3], "column index 3 is out of range"),
        ([0, 0], "name a column twice"),
        (1, r"wrap a single column in a list: columns=\[1\]"),
        ([0.5], "indices or names"),
    ],
)
def test_power_standardizer_bad_columns(columns, match):
    with pytest.raises(InputError, match=match):
        PowerStandardizer(columns=columns).fit(_sizes())


def test_power_standardizer_needs_two_rows_to_fit():
    with pytest.raises(InputError, match="1 sample"):
        PowerStandardizer().fit([[1.0, 2.0]])


def test_power_and_splits_modules_import_only_numpy(tmp_path):
    code = (
        "import sys, json\n"
        "from spacekit.transformer.power import power_standardize\n"
        "from spacekit.transformer.splits import identical_row_groups, RepeatedGroupKFold\n"
        "import numpy as np\n"
        "list(RepeatedGroupKFold(2).split(np.arange(8.0)[:, None]))\n"
        "print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in "
        "('sklearn', 'scipy', 'pandas', 'tensorflow'))))\n"
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
    assert json.loads(out.stdout.strip().splitlines()[-1]) == []


# --------------------------------------------------------------------------- splits
def test_identical_row_groups():
    X = np.array([[1, 2], [3, 4], [1, 2], [0, 9]])
    assert identical_row_groups(X).tolist() == [1, 2, 1, 0]
    assert identical_row_groups(pd.DataFrame(X)).tolist() == [1, 2, 1, 0]
    assert identical_row_groups([5, 3, 5]).tolist() == [1, 0, 1]
    with pytest.raises(InputError, match="Encode the text columns"):
        identical_row_groups(np.array([["a", 1], ["b", 2]], dtype=object))
    with pytest.raises(InputError, match="expects a 2-D array"):
        identical_row_groups(np.zeros((2, 2, 2)))


def test_balanced_group_kfold_keeps_groups_whole_and_balances_rows():
    groups = np.repeat(np.arange(40), np.arange(1, 41))
    folds = balanced_group_kfold(groups, 5, seed=3)
    assert sorted(np.concatenate([te for _, te in folds]).tolist()) == list(range(len(groups)))
    for tr, te in folds:
        assert not set(groups[tr]) & set(groups[te])
        assert len(tr) + len(te) == len(groups)
    sizes = [len(te) for _, te in folds]
    assert max(sizes) - min(sizes) <= 40  # at most one group's worth apart
    same = balanced_group_kfold(groups, 5, seed=3)
    assert all(np.array_equal(a[1], b[1]) for a, b in zip(folds, same, strict=True))
    other = balanced_group_kfold(groups, 5, seed=4)
    assert any(not np.array_equal(a[1], b[1]) for a, b in zip(folds, other, strict=True))
    with pytest.raises(InputError, match="5 folds need at least 5 groups, found 3"):
        balanced_group_kfold([0, 1, 2, 2], 5)
    with pytest.raises(InputError, match="n_splits .* must be a whole number of at least 2"):
        balanced_group_kfold(groups, 1)


def test_repeated_group_kfold_is_the_seeded_kfold_repeated():
    rng = np.random.default_rng(1)
    X = rng.integers(0, 6, size=(200, 2)).astype(float)  # at most 36 distinct rows
    cv = RepeatedGroupKFold(n_splits=4, n_repeats=3, random_state=7)
    folds = list(cv.split(X))
    assert len(folds) == cv.get_n_splits() == 12
    groups = identical_row_groups(X)
    for r in range(3):
        ref = balanced_group_kfold(groups, 4, 7 + 1000 * r)
        for (tr, te), (rtr, rte) in zip(folds[4 * r : 4 * r + 4], ref, strict=True):
            assert np.array_equal(tr, rtr) and np.array_equal(te, rte)
    for tr, te in folds:  # no feature vector on both sides
        assert not set(map(tuple, X[tr])) & set(map(tuple, X[te]))
    # explicit groups win over X's identical rows
    explicit = np.arange(200) % 10
    for tr, te in cv.split(X, groups=explicit):
        assert not set(explicit[tr]) & set(explicit[te])
    assert "RepeatedGroupKFold(n_splits=4, n_repeats=3, random_state=7)" == repr(cv)
    with pytest.raises(InputError, match="X has 200 rows but groups has 3 labels"):
        next(cv.split(X, groups=[0, 1, 2]))
    with pytest.raises(InputError, match="needs groups=... or the feature matrix X"):
        next(cv.split())
    with pytest.raises(InputError, match="n_repeats must be a whole number of at least 1"):
        RepeatedGroupKFold(n_repeats=0).get_n_splits()


def test_splitters_check_random_state():
    """random_state as scikit-learn takes it (a seed, None, a RandomState); a fractional or
    negative seed is an InputError (1.7 ran as 1, -1 and a RandomState were bare errors)."""
    X = np.arange(40)[:, None] % 10
    y = np.arange(40) % 2
    for cls in (RepeatedGroupKFold, RepeatedStratifiedGroupKFold):
        seeded = [te for _, te in cls(2, random_state=np.int64(3)).split(X, y)]
        again = [te for _, te in cls(2, random_state=3.0).split(X, y)]
        assert all(np.array_equal(a, b) for a, b in zip(seeded, again, strict=True))
        folds = list(cls(2, n_repeats=2, random_state=np.random.RandomState(0)).split(X, y))
        assert len(folds) == 4
        assert sorted(np.concatenate([te for _, te in folds[:2]]).tolist()) == list(range(40))
        for bad in (1.7, -1, "a"):
            with pytest.raises(InputError, match="random_state .* must be a whole number"):
                next(cls(2, random_state=bad).split(X, y))
    with pytest.raises(InputError, match="seed .* must be a whole number of at least 0"):
        balanced_group_kfold(np.arange(4), 2, seed=-1)


def test_splitters_in_sklearn_model_selection():
    from sklearn.linear_model import Ridge
    from sklearn.model_selection import GridSearchCV, cross_val_score
    from sklearn.pipeline import make_pipeline

    rng = np.random.default_rng(0)
    X = np.column_stack([rng.integers(1, 30, 120), rng.gamma(2, 10, 120).round()]).astype(float)
    y = np.log1p(X).sum(axis=1) + rng.normal(0, 0.1, 120)
    pipe = make_pipeline(PowerStandardizer(), Ridge())
    scores = cross_val_score(pipe, X, y, cv=RepeatedGroupKFold(n_splits=3, n_repeats=2))
    assert scores.shape == (6,)
    search = GridSearchCV(pipe, {"ridge__alpha": [0.1, 10.0]}, cv=RepeatedGroupKFold(3))
    assert search.fit(X, y).best_params_["ridge__alpha"] in (0.1, 10.0)


def test_repeated_stratified_group_kfold():
    rng = np.random.default_rng(2)
    groups = np.repeat(np.arange(60), 3)
    y = np.repeat(rng.integers(0, 2, 60), 3)  # one class per group
    cv = RepeatedStratifiedGroupKFold(n_splits=3, n_repeats=2, random_state=0)
    folds = list(cv.split(np.zeros((180, 1)), y, groups))
    assert len(folds) == cv.get_n_splits() == 6
    share = y.mean()
    for tr, te in folds:
        assert not set(groups[tr]) & set(groups[te])
        assert abs(y[te].mean() - share) < 0.1
    assert any(not np.array_equal(folds[i][1], folds[i + 3][1]) for i in range(3))
    again = list(
        RepeatedStratifiedGroupKFold(n_splits=3, n_repeats=2, random_state=0).split(
            np.zeros((180, 1)), y, groups
        )
    )
    assert all(np.array_equal(a[1], b[1]) for a, b in zip(folds, again, strict=True))
    with pytest.raises(InputError, match="needs the class labels y"):
        next(cv.split(np.zeros((180, 1)), None, groups))
