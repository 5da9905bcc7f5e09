"""skopes.k2 folded (box-search) views and the two-branch "folded" network.

Small arrays: one periodic transit train, short windows, a tiny network for 1-2 epochs.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from spacekit.exceptions import InputError
from spacekit.skopes.k2.classifier import (
    K2Classifier,
    evaluate,
    load_classifier,
    model_inputs,
    preprocess,
    train,
)
from spacekit.skopes.k2.folded import SCALAR_NAMES, fold_features, fold_view

pytestmark = pytest.mark.slow  # the fast tier (make test-fast) leaves this file out


def _windows(n: int, length: int = 1200, period: float = 61.7, depth: float = 1.0, seed: int = 0):
    """Noise windows (relative flux, scatter 1e-3); odd rows get a box transit train of
    ``depth`` sigma, 3 cadences long, at a non-integer period."""
    rng = np.random.default_rng(seed)
    X = rng.normal(1.0, 1e-3, (n, length))
    y = np.arange(n) % 2
    t = np.arange(length)
    for i in np.flatnonzero(y):
        X[i, ((t + 7 * i) % period) < 3] -= depth * 1e-3
    return X, y


def test_fold_view_centres_the_transit():
    s = np.zeros(300)
    s[(np.arange(300) % 30) == 4] = -1.0
    v = fold_view(s, 30.0, 4.0, n_bins=15)
    assert v.argmin() == 7
    assert v.min() < -0.3 and abs(v[0]) < 1e-12  # bins of 2 cadences: the dip shares its bin


def test_box_search_recovers_a_weak_periodic_transit():
    # each transit is 2 sigma x sqrt(3 cadences) = 3.5 sigma (not significant alone); folded
    # over ~19 transits it is ~15 sigma
    X, y = _windows(2, depth=2.0, seed=3)
    f = fold_features(preprocess(X))
    assert f["global"].shape == (2, 201, 1) and f["local"].shape == (2, 61, 1)
    assert f["scalars"].shape == (2, len(SCALAR_NAMES))
    assert abs(f["period"][1] / 61.7 - 1) < 0.005
    assert f["snr"][1] > f["snr"][0] + 2
    g = f["global"][1, :, 0]
    assert g[100] < g.mean() - 1.0  # the dip sits in the centre bin


def test_fold_features_checks_shape():
    with pytest.raises(InputError, match="preprocessed windows"):
        fold_features(np.zeros((2, 100)))


def test_model_inputs_per_network():
    Z = preprocess(np.random.default_rng(1).normal(1, 1e-3, (2, 500)))
    assert model_inputs(Z, "global") is Z
    inputs = model_inputs(Z, "folded")
    assert [a.shape[0] for a in inputs] == [2, 2, 2, 2] and inputs[0] is Z
    with pytest.raises(InputError, match="network"):
        model_inputs(Z, "nope")


def test_folded_network_trains_predicts_and_evaluates(tmp_path):
    import pandas as pd

    from spacekit.config import conf
    from spacekit.skopes.k2.kaggle import write_flux_table

    X, y = _windows(16, length=300, period=31.7, depth=4.0)
    meta = pd.DataFrame(
        {
            "group": [f"synthetic-{(i // 2) % 2}" for i in range(len(y))],
            "kind": np.where(y == 1, "synthetic_injected", "synthetic_noise"),
            "snr": np.where(y == 1, 30.0, np.nan),
        }
    )
    path = write_flux_table(tmp_path / "set.csv", X, y, meta=meta)
    features = Path(conf.cache_dir) / "k2" / "features"
    before = set(features.glob("*.npz"))  # other tests of the session may have cached sets
    run = train(
        path, runs_dir=tmp_path, epochs=2, batch_size=8, fast=True, network="folded", seed=0
    )
    cached = sorted(set(features.glob("*.npz")) - before)
    assert len(cached) == 1
    with np.load(cached[0]) as f:
        assert f["global"].shape == (16, 201, 1) and f["scalars"].shape == (16, len(SCALAR_NAMES))
    clf = load_classifier(run.path)
    assert clf.metadata["network"] == "folded" and clf.boost is not None  # CNN + boosting
    assert (run.model_dir / "boost.skops").is_file()  # stored without pickle
    import json

    meta_path = run.model_dir / "metadata.json"
    meta = json.loads(meta_path.read_text())
    meta_path.write_text(json.dumps({**meta, "boost": "boost.pkl"}))  # an older model folder
    from spacekit.exceptions import ModelLoadError

    with pytest.raises(ModelLoadError, match="pickle"):
        load_classifier(run.path)
    meta_path.write_text(json.dumps(meta))
    p = clf.predict_proba(X[:6])
    assert p.shape == (6,) and np.all((p >= 0) & (p <= 1))
    clf_cnn = K2Classifier(clf.model, clf.metadata)  # the CNN alone differs from the ensemble
    assert not np.allclose(clf_cnn.predict_proba(X[:6]), p)

    stale = K2Classifier(clf.model, {**clf.metadata, "feature_version": 2}, clf.boost)
    with pytest.raises(ModelLoadError, match="retrain"):  # saved before the whitened scalars
        stale.predict_proba(X[:1])
    ev = evaluate(path, runs_dir=tmp_path, epochs=1, batch_size=8, fast=True, network="folded")
    assert ev.metrics["feature_seconds"] >= 0
    assert ev.metrics["k2"]["overall"]["n"] == len(y)
    pred = pd.read_csv(ev.path / "predictions.csv")
    assert np.allclose(pred["proba"], 0.5 * pred["proba_cnn"] + 0.5 * pred["proba_boost"])


def test_noise_profile_separates_white_from_red_noise():
    from spacekit.skopes.k2.folded import noise_profile

    rng = np.random.default_rng(2)
    white = rng.normal(0, 1, (2, 2000))
    red = np.cumsum(rng.normal(0, 1, (2, 2000)), axis=1) * 0.05 + white  # random walk + white
    pw, pr = noise_profile(white), noise_profile(red)
    j = 2 * 5  # log_red at a 32-cadence box
    assert np.all(np.abs(pw[:, j]) < 0.3)
    assert np.all(pr[:, j] > pw[:, j] + 0.5)
