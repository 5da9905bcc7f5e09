"""spacekit.utils.persist: scikit-learn models stored without pickle."""

from __future__ import annotations

import numpy as np
import pytest

from spacekit.exceptions import ModelLoadError
from spacekit.utils.persist import load_estimator, save_estimator


def _double(x):
    return 2 * x


def _xy():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(120, 4))
    return X, (X[:, 0] + 0.3 * X[:, 1] > 0).astype(int)


@pytest.mark.parametrize("kind", ["gb", "hgb"])
def test_round_trip_gives_identical_predictions(tmp_path, kind):
    from sklearn.ensemble import GradientBoostingClassifier, HistGradientBoostingClassifier

    X, y = _xy()
    est = (
        GradientBoostingClassifier(n_estimators=10, random_state=0)
        if kind == "gb"
        else HistGradientBoostingClassifier(max_iter=10, random_state=0)
    ).fit(X, y)
    path = save_estimator(est, tmp_path / "m.skops")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.skops"]  # no temp file left
    with open(path, "rb") as fh:
        assert fh.read(2) == b"PK"  # a zip of JSON + arrays, not a pickle stream
    np.testing.assert_array_equal(load_estimator(path).predict_proba(X), est.predict_proba(X))


def test_unexpected_types_are_refused(tmp_path):
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import FunctionTransformer
    from sklearn.tree import DecisionTreeClassifier

    X, y = _xy()
    # a reference to arbitrary code is exactly what an attacker would smuggle into a model file
    est = make_pipeline(FunctionTransformer(_double), DecisionTreeClassifier()).fit(X, y)
    path = save_estimator(est, tmp_path / "m.skops")
    with pytest.raises(ModelLoadError, match="_double"):
        load_estimator(path)


def test_missing_and_corrupt_files(tmp_path):
    with pytest.raises(ModelLoadError, match="missing"):
        load_estimator(tmp_path / "none.skops")
    bad = tmp_path / "bad.skops"
    bad.write_bytes(b"\x80\x04not a zip")
    with pytest.raises(ModelLoadError, match="not a readable skops file"):
        load_estimator(bad)
