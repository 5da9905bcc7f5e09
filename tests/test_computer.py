"""spacekit.computer: predictions, metrics, plots and the one-shot report."""

from __future__ import annotations

import json

import numpy as np
import pytest

from spacekit import computer
from spacekit.computer import (
    Report,
    classification_metrics,
    compute,
    fnfp,
    fusion_matrix,
    get_preds,
    keras_history,
    regression_metrics,
    residual_plots,
    roc_plots,
)
from spacekit.exceptions import InputError
from spacekit.utils.runs import Run, list_runs


def _binary(n=400, seed=0):
    rng = np.random.default_rng(seed)
    y = (rng.random(n) < 0.3).astype(int)
    proba = np.clip(0.25 + 0.5 * y + rng.normal(0, 0.2, n), 0, 1)
    return y, proba


# -- predictions and metrics ----------------------------------------------------------------
def test_get_preds_threshold_model_and_errors():
    proba, classes = get_preds(np.array([[0.2], [0.5], [0.7]]), threshold=0.6)
    assert proba.shape == (3,)
    assert classes.tolist() == [0, 0, 1]
    assert get_preds([0.2, 0.5, 0.7])[1].tolist() == [0, 1, 1]
    assert get_preds([[0.2, 0.5, 0.3], [0.6, 0.3, 0.1]])[1].tolist() == [1, 0]

    class KerasLike:
        def predict(self, x, verbose=0):
            return np.asarray(x)[:, :1] * 0.5

    p, c = get_preds(KerasLike(), np.array([[1.0], [2.0]]))
    assert p.tolist() == [0.5, 1.0] and c.tolist() == [1, 1]

    from sklearn.linear_model import LogisticRegression

    x = np.r_[np.zeros(10), np.ones(10)][:, None]
    clf = LogisticRegression().fit(x, x.ravel().astype(int))
    p, c = get_preds(clf, x)
    assert p.shape == (20,) and c.tolist() == x.ravel().astype(int).tolist()

    with pytest.raises(InputError, match="logits"):
        get_preds([-2.0, 3.0])
    with pytest.raises(InputError, match="threshold"):
        get_preds([0.1], threshold=2)
    with pytest.raises(InputError, match="x is required"):
        get_preds(KerasLike())


def test_fnfp_rates_are_over_positives_and_negatives():
    # 2 positives, 8 negatives; one missed planet and one false alarm
    y_true = [1, 1, 0, 0, 0, 0, 0, 0, 0, 0]
    y_pred = [1, 0, 1, 0, 0, 0, 0, 0, 0, 0]
    r = fnfp(y_true, y_pred)
    assert (r["tp"], r["fn"], r["fp"], r["tn"]) == (1, 1, 1, 7)
    assert r["fnr"] == 0.5  # the seed reported 1/10 = 0.1 here
    assert r["fpr"] == 1 / 8
    assert r["tpr"] == 0.5 and r["tnr"] == 7 / 8
    assert np.isnan(fnfp([0, 0], [0, 1])["fnr"])
    with pytest.raises(InputError, match="binary labels"):
        fnfp([0, 2], [0, 1])
    with pytest.raises(InputError, match="same length"):
        fnfp([0, 1], [0])
    assert computer.false_negatives_positives is fnfp


def test_classification_metrics_binary_and_multiclass():
    from sklearn import metrics as skm

    y, proba = _binary()
    pred = (proba >= 0.5).astype(int)
    m = classification_metrics(y, pred, proba)
    assert m["roc_auc"] == pytest.approx(skm.roc_auc_score(y, proba))
    assert m["f1"] == pytest.approx(skm.f1_score(y, pred))
    assert m["recall"] == pytest.approx(1 - m["fnr"])
    assert m["n"] == 400 and 0 < m["average_precision"] <= 1

    rng = np.random.default_rng(1)
    t = rng.integers(0, 3, 90)
    pr = rng.dirichlet(np.ones(3), 90)
    pr[np.arange(90), t] += 1.0
    pr /= pr.sum(axis=1, keepdims=True)
    mm = classification_metrics(t, pr.argmax(1), pr)
    assert mm["accuracy"] == 1.0
    assert mm["roc_auc_ovr"] == pytest.approx(1.0)
    assert set(mm["per_class"]) == {"0", "1", "2"}
    assert mm["per_class"]["1"]["support"] == int((t == 1).sum())


def test_regression_metrics():
    m = regression_metrics([1.0, 2.0, 4.0, 0.0], [1.0, 3.0, 3.0, 0.5])
    assert m["mae"] == pytest.approx(0.625)
    assert m["rmse"] == pytest.approx(np.sqrt((0 + 1 + 1 + 0.25) / 4))
    assert m["mdape"] == pytest.approx(25.0)  # zero target excluded: median(0, 50, 25)
    assert m["max_error"] == 1.0
    with pytest.raises(InputError, match="finite"):
        regression_metrics([1.0, np.nan], [1.0, 2.0])
    with pytest.raises(InputError, match="one value per sample"):
        regression_metrics(np.zeros((3, 2)), np.zeros((3, 2)))


# -- plots ------------------------------------------------------------------------------------
def test_matplotlib_plots_return_figures_without_pyplot():
    import matplotlib.pyplot as plt
    from matplotlib.figure import Figure

    open_before = plt.get_fignums()

    y, proba = _binary()
    pred = (proba >= 0.5).astype(int)
    hist = {"loss": [0.7, 0.5, 0.4], "val_loss": [0.8, 0.6, 0.55], "accuracy": [0.5, 0.7, 0.8]}
    figs = [
        keras_history(hist),
        fusion_matrix(y, pred, labels=["no planet", "planet"]),
        fusion_matrix(y, pred, normalize="true"),
        roc_plots(y, proba),
        residual_plots(proba, proba + 0.1, title="x"),
    ]
    assert all(isinstance(f, Figure) for f in figs)
    assert plt.get_fignums() == open_before  # no pyplot state: nothing to close or leak
    h = figs[0]
    assert [ax.get_title() for ax in h.axes] == ["accuracy", "loss"]
    loss_ax = h.axes[1]
    assert [ln.get_label() for ln in loss_ax.get_lines()] == ["train", "validation"]
    cm = figs[1].axes[0]
    assert [t.get_text() for t in cm.get_xticklabels()] == ["no planet", "planet"]
    n_fn = int(((y == 1) & (pred == 0)).sum())
    assert str(n_fn) in [t.get_text() for t in cm.texts]
    norm_texts = [float(t.get_text()) for t in figs[2].axes[0].texts]
    assert norm_texts[0] + norm_texts[1] == pytest.approx(1.0, abs=0.011)
    roc_ax = figs[3].axes[0]
    assert "AUC = " in roc_ax.get_legend().get_texts()[0].get_text()


def test_plotly_backends():
    import plotly.graph_objects as go

    y, proba = _binary(100)
    pred = (proba >= 0.5).astype(int)
    fig = roc_plots(y, proba, backend="plotly")
    assert isinstance(fig, go.Figure)
    assert any("AUC=" in tr.name for tr in fig.data)
    cm = fusion_matrix(y, pred, backend="plotly")
    assert np.asarray(cm.data[0].z).sum() == 100
    assert isinstance(keras_history({"loss": [1, 0.5]}, backend="plotly"), go.Figure)
    assert isinstance(residual_plots([1, 2], [1, 3], backend="plotly"), go.Figure)
    with pytest.raises(InputError, match="backend"):
        roc_plots(y, proba, backend="bokeh")


def test_history_from_keras_history_and_json(tmp_path):
    class FakeHistory:
        history = {"loss": [np.float32(0.5), np.float32(0.25)]}

    assert computer.history_dict(FakeHistory()) == {"loss": [0.5, 0.25]}
    path = tmp_path / "metadata.json"
    path.write_text(json.dumps({"history": {"loss": [1, 2]}}))
    assert computer.history_dict(path) == {"loss": [1.0, 2.0]}
    with pytest.raises(InputError, match="not in the history"):
        keras_history({"loss": [1.0]}, metrics=["auc"])
    with pytest.raises(InputError, match="non-empty"):
        keras_history({})


def test_multiclass_roc_and_confusion_names():
    rng = np.random.default_rng(3)
    t = rng.integers(0, 3, 60)
    pr = rng.dirichlet(np.ones(3), 60)
    fig = roc_plots(t, pr, labels=["a", "b", "c"])
    legend = [x.get_text() for x in fig.axes[0].get_legend().get_texts()]
    assert any(s.startswith("micro") for s in legend) and any(s.startswith("b ") for s in legend)
    names, m = computer.confusion_data(t, pr.argmax(1), labels=["a", "b", "c"])
    assert names == ["a", "b", "c"] and m.sum() == 60
    with pytest.raises(InputError, match="neither"):
        computer.confusion_data([0, 1], [1, 0], labels=["x"])


def test_confusion_accepts_whole_float_labels_and_refuses_probabilities():
    # 0/1 labels built with np.zeros/np.ones (floats) name the classes like ints do
    y = np.r_[np.zeros(3), np.ones(3)]
    names, m = computer.confusion_data(y, [0, 0, 1, 1, 1, 0], labels=["no planet", "planet"])
    assert names == ["no planet", "planet"] and m.tolist() == [[2, 1], [1, 2]]
    assert computer.confusion_data(y, y)[0] == ["0", "1"]
    with pytest.raises(InputError, match="get_preds"):
        computer.confusion_data(y, np.linspace(0.05, 0.95, 6))


# -- compute / Report ---------------------------------------------------------------------------
def test_compute_binary_report_saves_run_folder(tmp_path):
    y, proba = _binary()
    hist = {
        "loss": [0.7, 0.4],
        "val_loss": [0.8, 0.5],
        "accuracy": [0.6, 0.8],
        "val_accuracy": [0.5, 0.7],
    }
    report = compute(y, proba=proba, history=hist, labels=["no planet", "planet"], name="k2 test")
    assert isinstance(report, Report)
    assert set(report.figures) == {"history", "confusion", "confusion_normalized", "roc_pr"}
    assert report.metrics["recall"] == pytest.approx(1 - report.metrics["fnr"])
    assert "roc_auc" in repr(report)

    run = report.save(tmp_path, app="k2", parameters={"epochs": 2}, seed=0)
    assert isinstance(run, Run)
    assert run.path.parent == tmp_path / "k2"
    assert run.info["parameters"] == {"epochs": 2}
    assert {p.name for p in run.figures()} == {
        "history.png",
        "confusion.png",
        "confusion_normalized.png",
        "roc_pr.png",
    }
    assert run.metrics["roc_auc"] == pytest.approx(report.metrics["roc_auc"])
    ev = json.loads((run.path / "evaluation.json").read_text())
    assert ev["task"] == "binary"
    assert ev["history"]["val_loss"] == [0.8, 0.5]
    assert len(ev["roc"]["fpr"]) == len(ev["roc"]["tpr"]) and 0.5 < ev["roc"]["auc"] <= 1
    assert set(ev["pr"]) == {"precision", "recall", "ap"}
    assert ev["confusion"]["labels"] == ["no planet", "planet"]
    assert sum(map(sum, ev["confusion"]["matrix"])) == 400
    import pandas as pd

    preds = pd.read_csv(run.predictions_path)
    assert list(preds.columns) == ["y_true", "y_pred", "proba"] and len(preds) == 400
    assert list_runs(tmp_path) == [run]

    # saving again into the same run folder reuses it
    again = compute(y, y_pred=(proba > 0.7).astype(int), name="k2 test").save(run.path)
    assert again == run
    assert "roc_auc" in again.metrics  # metrics merged, not replaced


def test_compute_regression_and_multiclass_and_plotly(tmp_path):
    rng = np.random.default_rng(0)
    t = rng.uniform(1, 10, 7000)
    p = t + rng.normal(0, 0.5, 7000)
    rep = compute(t, y_pred=p, task="regression", name="memory", backend="plotly")
    assert set(rep.figures) == {"residuals"}
    assert len(rep.evaluation["residuals"]["y_true"]) <= 5000
    run = rep.save(tmp_path)
    names = {p.name for p in run.figures_dir.iterdir()}
    assert {"residuals.html", "residuals.plotly.json"} <= names
    assert run.metrics["rmse"] == pytest.approx(0.5, rel=0.1)

    labels = rng.integers(0, 4, 200)
    pr = rng.dirichlet(np.ones(4), 200)
    rep = compute(labels, proba=pr, task="multiclass", labels=["a", "b", "c", "d"])
    assert rep.evaluation["roc"]["average"] == "micro"
    assert set(rep.evaluation["per_class"]) == {"a", "b", "c", "d"}
    assert "f1_macro" in rep.metrics
    assert rep.predictions.shape == (200, 6)


def test_compute_input_errors():
    with pytest.raises(InputError, match="task must be"):
        compute([0, 1], proba=[0.1, 0.9], task="ranking")
    with pytest.raises(InputError, match="needs proba or y_pred"):
        compute([0, 1])
    with pytest.raises(InputError, match="needs y_pred"):
        compute([0.1, 0.2], task="regression")
    with pytest.raises(InputError, match="multiclass"):
        compute([0, 1, 2], proba=np.full((3, 3), 1 / 3), task="binary")
    with pytest.raises(InputError, match="Run or a folder"):
        compute([0, 1], proba=[0.2, 0.8]).save(42)


@pytest.mark.slow
def test_compute_with_a_trained_keras_model(tmp_path):
    """End to end with builder: train, predict, evaluate, save."""
    from spacekit.builder import Trainer, build_mlp

    rng = np.random.default_rng(0)
    x = rng.normal(size=(120, 4))
    y = (x[:, 0] + 0.5 * x[:, 1] > 0).astype(int)
    trainer = Trainer(
        loss="binary_crossentropy", epochs=15, learning_rate=0.02, seed=0, progress=False
    )
    history = trainer.fit(build_mlp(4, hidden=(8,)), x, y, validation_data=(x, y))
    proba, classes = get_preds(trainer.model_, x)
    report = compute(y, proba=proba, history=history, name="mlp")
    assert report.metrics["roc_auc"] > 0.9
    assert report.metrics["accuracy"] == pytest.approx((classes == y).mean())
    run = report.save(tmp_path)
    assert (run.figures_dir / "history.png").stat().st_size > 1000


def test_classification_metrics_missing_or_empty_labels_are_input_errors():
    with pytest.raises(InputError, match="missing label"):
        classification_metrics([0, np.nan, 1], [0, 1, 1])
    with pytest.raises(InputError, match="missing label"):
        classification_metrics(["a", "b"], ["a", None])
    with pytest.raises(InputError, match="at least one sample"):
        classification_metrics([], [])


def test_classification_metrics_proba_with_named_or_many_classes():
    # (n,) proba cannot be matched to classes that are not 0/1: refused, not dropped
    with pytest.raises(InputError, match=r"shape \(n, n_classes\)"):
        classification_metrics(["star", "planet"], ["star", "star"], [0.1, 0.9])
    with pytest.raises(InputError, match=r"shape \(n, n_classes\)"):
        classification_metrics([0, 1, 2], [0, 1, 1], [0.1, 0.5, 0.9])
    m = classification_metrics(
        ["star", "planet", "planet"],
        ["star", "planet", "star"],
        [[0.1, 0.9], [0.8, 0.2], [0.6, 0.4]],  # columns: planet, star (sorted)
    )
    assert m["roc_auc_ovr"] == 1.0


def test_compute_binary_proba_with_text_labels_says_how_to_encode():
    with pytest.raises(InputError, match=r"\(y == 'yes'\)\.astype\(int\)"):
        compute(["no", "yes", "yes", "no"], proba=[0.2, 0.9, 0.4, 0.3])
    report = compute([False, True, True, False], proba=[0.2, 0.9, 0.4, 0.3])
    assert report.metrics["recall"] == 0.5


@pytest.mark.parametrize("backend", ["matplotlib", "plotly"])
def test_residual_plots_refuse_nan_text_and_empty_like_regression_metrics(backend):
    with pytest.raises(InputError, match="finite numbers"):
        residual_plots([1.0, 2.0, np.nan], [1.0, 2.0, 3.0], backend=backend)
    with pytest.raises(InputError, match="y_true must hold numbers"):
        residual_plots(["a", "b"], [1.0, 2.0], backend=backend)
    with pytest.raises(InputError, match="at least one sample"):
        residual_plots([], [], backend=backend)


def test_multiclass_proba_columns_follow_sorted_classes_not_codes():
    # classes 1, 2, 3 (e.g. HST memory bins numbered from 1): column j is the j-th class
    from sklearn.metrics import roc_auc_score

    rng = np.random.default_rng(5)
    t = rng.integers(1, 4, 150)
    pr = rng.dirichlet(np.ones(3), 150)
    pr[np.arange(150), t - 1] += 2.0
    pr /= pr.sum(axis=1, keepdims=True)
    report = compute(t, proba=pr, task="multiclass")
    assert report.metrics["accuracy"] == 1.0  # was 0.0: argmax codes 0..2 against labels 1..3
    assert set(report.predictions["y_pred"]) == {1, 2, 3}
    curves = computer.curve_data(t, pr)["curves"]
    assert [c["name"] for c in curves] == ["1", "2", "3", "micro"]
    for c, k in zip(curves[:3], (1, 2, 3), strict=True):
        assert c["auc"] == pytest.approx(roc_auc_score(t == k, pr[:, k - 1]))  # was ~0.25
    # text classes: sorted order too (was a bare sklearn "Mix of label input types")
    names = np.array(["a", "b", "c"])[t - 1]
    assert compute(names, proba=pr, task="multiclass").metrics["accuracy"] == 1.0
    # codes 0..k-1 with a class absent still map column j to code j
    t0 = np.r_[np.zeros(5, int), np.full(5, 2)]
    p0 = np.eye(3)[t0] * 0.8 + 0.2 / 3
    assert compute(t0, proba=p0, task="multiclass").metrics["accuracy"] == 1.0
    with pytest.raises(InputError, match="cannot be matched"):
        compute([1, 3, 3], proba=np.full((3, 3), 1 / 3), task="multiclass")


def test_multiclass_proba_that_does_not_sum_to_one_is_an_input_error():
    rng = np.random.default_rng(1)
    t = rng.integers(0, 3, 30)
    with pytest.raises(InputError, match="sum to 1.*softmax"):
        classification_metrics(t, t, rng.random((30, 3)))


def test_text_probabilities_thresholds_and_regression_values_are_input_errors():
    with pytest.raises(InputError, match="probabilities must be numbers"):
        get_preds(["planet", "star"])
    with pytest.raises(InputError, match="threshold must be a number"):
        get_preds([0.1, 0.9], threshold="high")
    with pytest.raises(InputError, match="y_pred must hold numbers"):
        compute([1.0, 2.0], y_pred=["a", "b"], task="regression")
    with pytest.raises(InputError, match="finite"):
        compute([1.0, np.nan], y_pred=[1.0, 2.0], task="regression")


def test_confusion_title_clear_of_colorbar_and_history_epochs_are_whole():
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    title = "toy: confusion matrix (fraction of each true class)"
    fig = fusion_matrix([0, 1, 1, 0], [0, 1, 0, 0], normalize="true", title=title)
    FigureCanvasAgg(fig)
    renderer = fig.canvas.get_renderer()
    fig.canvas.draw()
    texts = [
        t
        for t in [fig._suptitle, *(ax.title for ax in fig.axes)]
        if t is not None and t.get_text() == title
    ]
    assert len(texts) == 1
    box = texts[0].get_window_extent(renderer)
    colorbar = fig.axes[1].get_window_extent(renderer)
    # the axes title ran under the colorbar and past the figure's right edge
    assert not box.overlaps(colorbar)
    assert box.x0 >= 0 and box.x1 <= fig.bbox.width
    fig = keras_history({"loss": [0.7, 0.5, 0.4], "val_loss": [0.8, 0.6, 0.55]})
    ticks = [t for t in fig.axes[0].get_xticks() if 1 <= t <= 3]
    assert ticks == [1, 2, 3]  # were 1.0, 1.25, 1.5, ...


def test_empty_confusion_matrix_is_an_input_error():
    with pytest.raises(InputError, match="at least one sample"):  # was sklearn's ValueError
        fusion_matrix([], [])


def test_descriptive_names_are_primary_and_seed_names_alias_them():
    pairs = {
        "get_preds": "predict_classes",
        "fnfp": "false_negatives_positives",
        "keras_history": "plot_history",
        "fusion_matrix": "plot_confusion_matrix",
        "roc_plots": "plot_roc_pr",
        "residual_plots": "plot_residuals",
        "compute": "make_report",
    }
    for seed, descriptive in pairs.items():
        fn = getattr(computer, descriptive)
        assert getattr(computer, seed) is fn and fn.__name__ == descriptive
        assert seed in computer.__doc__ and descriptive in computer.__doc__
    # computer.evaluate clashed with the apps' evaluate (scoring a trained model)
    assert "evaluate" not in computer.__all__
    with pytest.warns(DeprecationWarning, match="make_report"):
        assert computer.evaluate is computer.make_report


def test_binary_metrics_is_the_one_implementation_the_apps_use():
    from spacekit.skopes.hst.svm import binary_metrics as svm_metrics
    from spacekit.skopes.k2.classifier import _binary_scores

    y, p = [0, 0, 1, 1, 1, 0], [0.1, 0.4, 0.35, 0.8, 0.9, 0.7]
    m = computer.binary_metrics(y, p, threshold=0.5)
    assert m["confusion"] == [[2, 1], [1, 2]] and m["n_positive"] == 3
    assert m["recall_at_precision_0.9"] == pytest.approx(2 / 3)
    s = svm_metrics(y, p)
    assert (s["roc_auc"], s["recall_misaligned"], s["precision_aligned"]) == (
        m["roc_auc"],
        m["recall"],
        m["precision_negative"],
    )
    k = _binary_scores(np.array(y), np.array(p), 0.5)
    assert k["recall_at_precision_0.9"] == m["recall_at_precision_0.9"]
    one_class = computer.binary_metrics([1, 1], [0.2, 0.9])
    assert one_class["roc_auc"] is None and one_class["recall"] == 0.5
    with pytest.raises(InputError, match="0/1"):
        computer.binary_metrics([0, 2], [0.1, 0.2])


def test_make_report_binary_truth_check_and_one_class_warning(caplog):
    """Pins make_report's binary y_true check and its one-class warning (no ROC/PR then)."""
    import logging

    with pytest.raises(
        InputError, match=r"must hold 0/1 .*found \['1', '2'\].*labels=\['1', '2'\]"
    ):
        compute([1, 2, 2], proba=[0.1, 0.9, 0.8])
    with pytest.raises(InputError, match=r"found \['1', 'a'\]"):
        compute([1, "a"], proba=[0.1, 0.9])
    with caplog.at_level(logging.WARNING, logger="spacekit.computer.report"):
        rep = compute([1, 1, 1], proba=[0.2, 0.7, 0.9], name="solo")
    assert "one class only: no ROC/PR curves for solo" in caplog.text
    assert "roc" not in rep.evaluation and "roc_pr" not in rep.figures
    assert list(rep.predictions.columns) == ["y_true", "y_pred", "proba"]
    assert rep.predictions["y_pred"].tolist() == [0, 1, 1]
