"""skopes.hst.svm models, runs, Dask batch prediction, CLI and demo (tiny settings)."""

from __future__ import annotations

import io
import json

import numpy as np
import pandas as pd
import pytest

from spacekit.exceptions import InputError, ModelLoadError, NotFittedError, SchemaError
from spacekit.skopes.hst import svm
from spacekit.utils.runs import Run

# small training subsets leave real rows outside their ranges; tests/test_app_contract.py
# checks the warning itself
pytestmark = pytest.mark.filterwarnings("ignore::spacekit.utils.manifest.OutOfRangeWarning")


@pytest.fixture(scope="module")
def labeled():
    return svm.load_feature_table("svm_labeled_2021_07_28", require_label=True)


@pytest.fixture(scope="module")
def small(labeled):
    """About 400 rows of whole proposals, both classes."""
    props = svm.proposal_groups(labeled)
    keep = pd.Series(props).drop_duplicates().sample(frac=0.25, random_state=1)
    rows = labeled[np.isin(props, keep.to_numpy())].reset_index(drop=True)
    assert rows["label"].nunique() == 2
    return rows


@pytest.fixture(scope="module")
def gb_run(labeled, tmp_path_factory):
    return svm.train(labeled, runs_dir=tmp_path_factory.mktemp("runs"), kind="gb", fast=True)


def test_proposal_split_keeps_proposals_apart(labeled):
    y = labeled["label"].to_numpy()
    tr, te = svm.proposal_split(labeled, y, test_size=0.2, seed=0)
    groups = svm.proposal_groups(labeled)
    assert not set(groups[tr]) & set(groups[te])
    assert 0.1 < len(te) / len(labeled) < 0.3
    folds = svm.proposal_folds(labeled, y, n_splits=4, repeats=2)
    assert len(folds) == 8
    for tr, te in folds:
        assert not set(groups[tr]) & set(groups[te])
    with pytest.raises(InputError, match="at least 5 proposals"):
        svm.proposal_folds(labeled.iloc[:3], y[:3], n_splits=5)


def test_gb_beats_chance_on_held_out_proposals(labeled):
    y = labeled["label"].to_numpy()
    tr, te = svm.proposal_split(labeled, y, seed=0)
    model = svm.SvmModel(kind="gb", fast=True).fit(labeled.iloc[tr], y[tr])
    scores = svm.binary_metrics(y[te], model.predict_proba(labeled.iloc[te]))
    assert scores["roc_auc"] > 0.85
    assert set(model.predict(labeled.iloc[te])) <= {0, 1}


def test_train_writes_run_and_model(gb_run, labeled):
    info = gb_run.info
    assert info["app"] == "hst_svm" and info["seed"] == 0 and info["data_sha256"]
    m = gb_run.metrics
    assert m["model"] == "gb" and 0.5 < m["roc_auc"] <= 1.0
    assert 0 <= m["precision_misaligned"] <= 1 and 0 <= m["recall_misaligned"] <= 1
    # model.json is the one spec file: its details hold the settings svm_model.json held
    assert not (gb_run.model_dir / "svm_model.json").exists()
    details = json.loads((gb_run.model_dir / "model.json").read_text())["details"]
    assert details["kind"] == "gb" and details["model_inputs"] == svm.feature_names()
    preds = pd.read_csv(gb_run.predictions_path)
    assert {"index", "probability", "label", "true_label"} <= set(preds.columns)
    model = svm.load_svm_model(gb_run.path)  # a run folder works too
    p = model.predict_proba(labeled.iloc[:20])
    assert p.shape == (20,) and ((0 <= p) & (p <= 1)).all()
    # figures from the computer report when it is available
    assert any(f.suffix == ".png" for f in gb_run.figures())


@pytest.mark.slow
def test_train_auto_compares_gb_and_mlp(small, tmp_path):
    run = svm.train(small, runs_dir=tmp_path, kind="auto", fast=True, seed=1)
    m = run.metrics
    assert set(m["candidates"]) == {"gb", "gb_et", "mlp"}
    assert all(c["folds"] == 3 for c in m["candidates"].values())
    best = max(m["candidates"], key=lambda k: m["candidates"][k]["roc_auc_mean"])
    assert m["model"] == best and best in m["selection"]
    loaded = svm.load_svm_model(run.model_dir)
    assert loaded.kind == best


def test_synthetic_rows_share_their_original_visits_fold(labeled):
    """A synthetic misaligned row (index ending in _stat/_stoc) and its original visit are
    always on the same side of a split, so no fold tests a visit whose twin it trained on."""
    parts = [svm.parse_index(i) for i in labeled["index"]]
    base = np.array(
        [
            f"hst_{p['proposal']}_{p['visit']}_{p['instr']}_{p['det']}_total_{p['dataset']}"
            for p in parts
        ]
    )
    synthetic = np.array([p["rest"] != "" for p in parts])
    assert synthetic.sum() == 619 and set(base[synthetic]) <= set(base[~synthetic])
    y = labeled["label"].to_numpy()
    for tr, te in svm.proposal_folds(labeled, y, n_splits=5, repeats=2, seed=0):
        assert not set(base[tr]) & set(base[te])


def test_fit_quality_features_in_detector_pixels():
    df = pd.DataFrame(
        {
            "numexp": [4, 4, 4],
            "point": [100, 100, 0],
            "segment": [300, 300, 0],
            "gaia": [20, 20, 0],
            "rms_ra": [30.0, 30.0, -1.0],
            "rms_dec": [40.0, 40.0, -1.0],
            "nmatches": [15, 15, 0],
            "det": [3, 1, 4],
            "wcs": [0, 0, 2],
            "cat": [7, 7, 7],
        }
    )
    x = pd.DataFrame(svm.feature_matrix(df), columns=svm.feature_names())
    assert len(svm.feature_names()) == 10 + len(svm.DERIVED) == 26
    # 50 mas is 1.25 UVIS pixels (40 mas) but 0.39 IR pixels (128 mas)
    np.testing.assert_allclose(x["rms_pix"], [50 / 40, 50 / 128, 0.0])
    np.testing.assert_allclose(x["rms_pix_per_match"][:2], [1.25 / 4, 50 / 128 / 4])
    np.testing.assert_allclose(x["rms_asymmetry"][0], 10 / 51)
    # rms -1 (an older pipeline's "no fit") counts as no fit, like 0
    assert x["no_fit"].tolist() == [0.0, 0.0, 1.0]
    np.testing.assert_allclose(x["log_seg_per_point"][0], np.log(301 / 101))
    assert svm.feature_matrix(df, ["rms", "numexp"]).shape == (3, 2)
    with pytest.raises(SchemaError, match="unknown SVM model inputs"):
        svm.feature_matrix(df, ["rms", "nope"])


def test_gb_et_averages_boosted_and_extra_trees(small, tmp_path):
    y = small["label"].to_numpy()
    model = svm.SvmModel(kind="gb_et", fast=True, seed=0).fit(small, y)
    p = model.predict_proba(small.iloc[:10])
    parts = [e.predict_proba(svm.feature_matrix(small.iloc[:10]))[:, 1] for e in model.estimator_]
    np.testing.assert_allclose(p, np.mean(parts, axis=0))
    model.save(tmp_path / "m")
    loaded = svm.load_svm_model(tmp_path / "m")
    assert loaded.kind == "gb_et" and loaded.inputs_ == svm.feature_names()
    np.testing.assert_allclose(loaded.predict_proba(small.iloc[:10]), p)


def test_model_saved_before_fit_quality_features_still_predicts(small, tmp_path):
    """A folder whose svm_model.json lists the 19 inputs of older versions loads and
    predicts with those inputs."""
    import json

    from sklearn.ensemble import GradientBoostingClassifier

    from spacekit.utils.persist import save_estimator

    y = small["label"].to_numpy()
    old_inputs = svm.feature_names()[:19]
    x = svm.feature_matrix(small, old_inputs)
    est = GradientBoostingClassifier(n_estimators=10, random_state=0).fit(x, y)
    folder = tmp_path / "old"
    folder.mkdir()
    save_estimator(est, folder / "model.skops")
    (folder / "svm_model.json").write_text(
        json.dumps(
            {
                "app": "hst_svm",
                "kind": "gb",
                "features": old_inputs[:10],
                "model_inputs": old_inputs,
                "threshold": 0.5,
                "preprocessing": {},
                "params": {"n_estimators": 10},
            }
        )
    )
    # saved before the category codes were made canonical: loads, with a warning to retrain
    with pytest.warns(UserWarning, match="category codes canonical.*retrain"):
        loaded = svm.load_svm_model(folder)
    assert loaded.n_features_in_ == 19
    np.testing.assert_allclose(loaded.predict_proba(small), est.predict_proba(x)[:, 1])


def test_models_saved_now_record_canonical_category_codes(small, tmp_path):
    import warnings

    y = small["label"].to_numpy()
    svm.SvmModel(kind="gb", fast=True, seed=0).fit(small, y).save(tmp_path / "m")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no retrain warning for a current folder
        svm.load_svm_model(tmp_path / "m")


@pytest.mark.slow  # a quicker sibling stays in the fast tier
def test_mlp_save_load_round_trip(small, tmp_path):
    y = small["label"].to_numpy()
    model = svm.SvmModel(kind="mlp", fast=True, seed=0, progress=False).fit(small, y)
    before = model.predict_proba(small.iloc[:10])
    model.save(tmp_path / "m")
    after = svm.load_svm_model(tmp_path / "m").predict_proba(small.iloc[:10])
    np.testing.assert_allclose(before, after, rtol=1e-5, atol=1e-6)
    assert model.history_ and len(model.history_["loss"]) == 3


@pytest.mark.slow
def test_ensemble_with_images(labeled, shared_data, tmp_path):
    index, real = svm.load_image_arrays(shared_data / "hst_svm" / "svm_img_pred_2samples.npz")
    rng = np.random.default_rng(0)
    rows = labeled.groupby("label").head(12).reset_index(drop=True)
    # stand-in frames for training: label-dependent brightness so the net can learn something
    imgs = rng.uniform(0, 60, (len(rows), 3, 128, 128, 3)).astype(np.float32)
    imgs[rows["label"].to_numpy() == 1, 2] += 120
    model = svm.SvmModel(kind="ensemble", fast=True, progress=False).fit(
        rows, rows["label"], images=imgs
    )
    model.save(tmp_path / "ens")
    # the two real visits, through a table and their .npz
    table = labeled[labeled["index"].isin(index)].reset_index(drop=True)
    out = svm.predict_frame(
        tmp_path / "ens", table, images=shared_data / "hst_svm" / "svm_img_pred_2samples.npz"
    )
    assert list(out["index"]) == list(table["index"]) and out["probability"].between(0, 1).all()
    with pytest.raises(InputError, match="image arrays"):
        svm.load_svm_model(tmp_path / "ens").predict_proba(table)
    with pytest.raises(InputError, match="no image stack"):
        svm.align_images(labeled.iloc[:5], (index, real))
    with pytest.raises(InputError, match="needs image arrays"):
        svm.SvmModel(kind="ensemble").fit(rows, rows["label"])


@pytest.mark.slow
def test_evaluate_cross_validation(small, tmp_path):
    run = svm.cross_validate(
        small, kind="gb", n_splits=3, n_repeats=1, fast=True, runs_dir=tmp_path
    )
    m = run.metrics
    assert m["n_folds"] == 3 and len(m["folds"]) == 3
    assert m["roc_auc_worst"] <= m["roc_auc_mean"] <= 1
    assert 0 <= m["recall_misaligned"] <= 1
    preds = pd.read_csv(run.predictions_path)
    assert len(preds) == len(small) and preds["probability"].notna().all()


@pytest.mark.slow
def test_evaluate_trained_model(gb_run, small, tmp_path):
    # the deprecated evaluate(model_dir=...) still writes its run folder (score() is the new way)
    with pytest.warns(DeprecationWarning, match="score"):
        run = svm.evaluate(small, model_dir=gb_run.model_dir, runs_dir=tmp_path)
    assert svm.score(gb_run, small)["roc_auc"] == run.metrics["roc_auc"]
    assert run.metrics["roc_auc"] > 0.8  # it saw these rows in training
    # a model with its own threshold: predictions.csv labels agree with the metrics (were
    # always cut at 0.5)
    model = svm.load_svm_model(gb_run.model_dir)
    model.threshold = 0.2
    folder = model.save(tmp_path / "low")
    with pytest.warns(DeprecationWarning):
        run = svm.evaluate(small, model_dir=folder, runs_dir=tmp_path)
    preds = pd.read_csv(run.predictions_path)
    assert (preds["label"] == (preds["probability"] >= 0.2)).all()
    assert preds["label"].sum() == run.metrics["confusion"][0][1] + run.metrics["confusion"][1][1]


def test_predict_writes_report_and_flagged_list(gb_run, labeled, tmp_path):
    run = svm.predict_to_run(gb_run.model_dir, labeled.iloc[:200], runs_dir=tmp_path)
    preds = pd.read_csv(run.predictions_path)
    assert list(preds.columns) == ["index", "probability", "label", "out_of_range"]
    flagged = (run.path / "misaligned.txt").read_text().split()
    assert flagged == preds.loc[preds["label"] == 1, "index"].tolist()
    report = (run.path / "classification_report.txt").read_text()
    assert "misaligned" in report and "precision" in report
    assert run.metrics["n_flagged_misaligned"] == len(flagged)
    assert run.metrics["n_labelled"] == 200


def test_predict_partly_labelled_scores_the_labelled_visits(gb_run, labeled, tmp_path, caplog):
    rows = labeled.iloc[:120].copy()
    rows["label"] = rows["label"].astype(float)
    rows.iloc[::3, rows.columns.get_loc("label")] = np.nan  # 40 unlabelled visits
    with caplog.at_level("WARNING"):
        run = svm.predict_to_run(gb_run.model_dir, rows, runs_dir=tmp_path)
    assert "80 of 120 visits are labelled" in caplog.text
    assert run.metrics["n_visits"] == 120 and run.metrics["n_labelled"] == 80
    report = (run.path / "classification_report.txt").read_text()
    assert "labelled visits scored: 80 of 120" in report and "precision" in report
    preds = svm.predict_frame(gb_run.model_dir, rows)
    assert preds["true_label"].isna().sum() == 40 and str(preds["true_label"].dtype) == "Int64"


def test_predict_unlabeled_and_errors(gb_run, tmp_path):
    run = svm.predict_to_run(gb_run.model_dir, "svm_unlabeled_2021_10_06", runs_dir=tmp_path)
    assert run.metrics["n_visits"] == 1133
    assert "precision" not in (run.path / "classification_report.txt").read_text()
    with pytest.raises(ModelLoadError, match="svm_model.json"):
        svm.load_svm_model(tmp_path)
    with pytest.raises(NotFittedError):
        svm.SvmModel().predict_proba(pd.DataFrame({c: [1] for c in svm.FEATURES}))


def test_predict_batch_on_dask(gb_run, labeled):
    rows = labeled.iloc[:90]
    direct = svm.predict_frame(gb_run.model_dir, rows)
    local = svm.predict_batch(gb_run.model_dir, rows, chunk_size=40)
    pd.testing.assert_frame_equal(local, direct)
    from distributed import Client, LocalCluster

    with (
        LocalCluster(
            n_workers=1, threads_per_worker=2, processes=False, dashboard_address=":0"
        ) as cluster,
        Client(cluster) as client,
    ):
        remote = svm.predict_batch(gb_run.model_dir, rows, client=client, chunk_size=30)
    pd.testing.assert_frame_equal(remote, direct)


@pytest.mark.slow
def test_cli_train_evaluate_predict(tmp_path, shared_data, capsys):
    from spacekit.cli import main

    csv = shared_data / "hst_svm" / "svm_labeled_2021-07-28.csv"
    runs = tmp_path / "runs"
    assert main(["svm", "train", str(csv), "--model", "gb", "--fast", "--runs", str(runs)]) == 0
    out = capsys.readouterr().out
    assert "validation ROC-AUC" in out
    run = Run(out.strip().splitlines()[-1].split("run: ")[1])
    assert (
        main(
            [
                "svm",
                "evaluate",
                str(csv),
                "--fast",
                "--folds",
                "3",
                "--repeats",
                "1",
                "--runs",
                str(runs),
            ]
        )
        == 0
    )
    assert "worst fold" in capsys.readouterr().out
    assert (
        main(
            [
                "svm",
                "predict",
                "--model-dir",
                str(run.model_dir),
                str(shared_data / "hst_svm" / "svm_unlabeled_2021-10-06.csv"),
                "--runs",
                str(runs),
            ]
        )
        == 0
    )
    assert "of 1133 visits flagged misaligned" in capsys.readouterr().out
    assert main(["svm", "predict", "--model-dir", str(tmp_path), str(csv)]) == 1
    assert "svm_model.json" in capsys.readouterr().err


@pytest.mark.slow
def test_demo_step_fast(tmp_path):
    from spacekit.cli.cmd_demo import DEMO_STEPS
    from spacekit.skopes.hst.svm import demo

    assert ("hst_svm", "spacekit.skopes.hst.svm.demo:run") in DEMO_STEPS
    out = io.StringIO()
    demo.run(tmp_path, out, fast=True)
    text = out.getvalue()
    assert "hst_svm train" in text and "hst_svm evaluate" in text and "of 1133" in text
    assert len(list((tmp_path / "hst_svm").iterdir())) == 3


def test_fold_counts_repeats_and_seed_are_checked(small):
    y = small["label"].to_numpy()
    for kw, msg in (
        ({"n_splits": 1}, r"n_splits .* must be a whole number of at least 2"),
        ({"n_splits": 0}, r"n_splits .* must be a whole number of at least 2"),
        ({"n_splits": 2.5}, r"n_splits .* must be a whole number"),  # ran as 2
        ({"repeats": 0}, "repeats must be a whole number of at least 1"),
        ({"seed": -5}, "seed must be a whole number of at least 0"),
        ({"seed": 1.7}, "seed must be a whole number"),  # ran as seed 1
    ):
        with pytest.raises(InputError, match=msg):
            svm.proposal_folds(small, y, **kw)


def test_binary_metrics_refuses_bad_input_with_input_errors():
    with pytest.raises(InputError, match="proba.*NaN"):
        svm.binary_metrics([0, 1, 1], [0.1, np.nan, 0.9])
    with pytest.raises(InputError, match="labels must be 0.*1.*found"):
        svm.binary_metrics([0, 2, 1], [0.1, 0.5, 0.9])
    with pytest.raises(InputError, match="labels must be 0.*1.*found"):
        svm.binary_metrics(["aligned", "misaligned"], [0.1, 0.9])
    with pytest.raises(InputError, match="3 labels.*2 probabilities"):
        svm.binary_metrics([0, 1, 1], [0.1, 0.9])
    with pytest.raises(InputError, match="threshold"):
        svm.binary_metrics([0, 1], [0.1, 0.9], threshold=2)
    with pytest.raises(InputError, match="empty"):
        svm.binary_metrics([], [])
    assert svm.binary_metrics([0.0, 1.0], [0.1, 0.9])["roc_auc"] == 1.0


def test_runs_record_the_file_sha256_of_a_dataset_name(gb_run, shared_data, tmp_path):
    # run.json's data_sha256 is the file's sha256 whether the table is named by its registered
    # dataset name or by its path (was: the name itself, or a hash of the cleaned rows)
    from spacekit.utils import file_sha256

    unlabeled = shared_data / "hst_svm" / "svm_unlabeled_2021-10-06.csv"
    by_name = svm.predict_to_run(gb_run, "svm_unlabeled_2021_10_06", runs_dir=tmp_path)
    by_path = svm.predict_to_run(gb_run, unlabeled, runs_dir=tmp_path)
    assert by_name.info["data_sha256"] == by_path.info["data_sha256"] == file_sha256(unlabeled)
    labeled = shared_data / "hst_svm" / "svm_labeled_2021-07-28.csv"
    cv = svm.cross_validate(
        "svm_labeled_2021_07_28", n_splits=2, n_repeats=1, kind="gb", fast=True, runs_dir=tmp_path
    )
    assert cv.info["data_sha256"] == file_sha256(labeled)


def test_predictions_keep_the_input_tables_index(gb_run, shared_data):
    # as hst.cal's: a slice of a table gets its predictions on its own row labels, so
    # df.assign(p=pred["probability"]) lines up (it gave NaN but for the labels 0..n-1)
    raw = pd.read_csv(shared_data / "hst_svm" / "svm_unlabeled_2021-10-06.csv")
    part = raw.iloc[100:110]
    for out in (svm.predict(gb_run, part), svm.predict_batch(gb_run, part, chunk_size=4)):
        assert out.index.tolist() == part.index.tolist()
        joined = part.assign(p=out["probability"])
        assert joined["p"].notna().all() and (joined["index"] == out["index"]).all()
    # visit names held in the index: the output keeps them there too (and in its column)
    named = part.set_index("index")
    out = svm.predict(gb_run, named)
    assert out.index.tolist() == named.index.tolist() and out.index.name is None
    # a path or dataset name: rows numbered from 0
    assert svm.predict(gb_run, "svm_unlabeled_2021_10_06").index[:3].tolist() == [0, 1, 2]
