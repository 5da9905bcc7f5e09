"""Job history: the cost rule learning from finished jobs of the same inputs (issue 19)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from spacekit.exceptions import InputError
from spacekit.skopes.hst.cal.arrival import arrival_counts, arrival_order
from spacekit.skopes.hst.cal.cost import cost_decisions
from spacekit.skopes.hst.cal.features import FEATURES
from spacekit.skopes.hst.cal.history import JobHistory, posterior_bins

SHARED = (Path(__file__).resolve().parent.parent.parent / "shared" / "data").resolve()


def _rows(values):
    return np.array([[float(v)] * len(FEATURES) for v in values])


def test_counts_update_merge_and_round_trip(tmp_path):
    h = JobHistory().update(_rows([1, 1, 2]), memory=[0.5, 3.0, 20.0], wallclock=[60, 90, 30])
    assert (len(h), h.n_jobs) == (2, 3)
    assert h.counts(_rows([1, 2, 7])).tolist() == [[1, 1, 0, 0], [0, 0, 0, 1], [0, 0, 0, 0]]
    assert h.max_wallclock(_rows([1, 2, 7])).tolist() == [90, 30, 0]
    h.merge(JobHistory().update(_rows([1, 2]), memory=[0.1, 20.0], wallclock=[50, 400]))
    h.update(_rows([2]), memory=[30.0])  # no wallclock: the longest stays
    assert h.counts(_rows([1]))[0].tolist() == [2, 1, 0, 0]
    assert h.max_wallclock(_rows([1, 2])).tolist() == [90, 400]
    back = JobHistory.load(h.save(tmp_path / "h.json"))
    X = _rows([1, 2, 3])
    assert np.array_equal(back.counts(X), h.counts(X)) and back.n_jobs == 6
    assert np.array_equal(back.max_wallclock(X), h.max_wallclock(X))
    # features that are not exactly representable survive the JSON round trip
    odd = np.full((1, len(FEATURES)), 0.1 + 0.2)
    h.update(odd, [1.0])
    assert JobHistory.load(h.save(tmp_path / "h.json")).counts(odd)[0, 0] == 1


def test_bad_input_and_files_say_what_is_wrong(tmp_path):
    with pytest.raises(InputError, match="shape"):
        JobHistory().update(np.zeros((2, 3)), [1, 2])
    with pytest.raises(InputError, match="one finite memory"):
        JobHistory().update(_rows([1, 2]), [1.0])
    with pytest.raises(InputError, match="one finite wallclock"):
        JobHistory().update(_rows([1]), [1.0], wallclock=[-5.0])
    with pytest.raises(InputError, match="no such file"):
        JobHistory.load(tmp_path / "missing.json")
    (tmp_path / "bad.json").write_text("{not json")
    with pytest.raises(InputError, match="cal history"):
        JobHistory.load(tmp_path / "bad.json")
    doc = {"format": 1, "features": list(FEATURES), "rows": [[1, 2], "x"]}
    (tmp_path / "rows.json").write_text(json.dumps(doc))
    with pytest.raises(InputError, match="is not 14 numbers"):
        JobHistory.load(tmp_path / "rows.json")
    doc = {"format": 99, "features": list(FEATURES), "rows": []}
    (tmp_path / "new.json").write_text(json.dumps(doc))
    with pytest.raises(InputError, match="format 99"):
        JobHistory.load(tmp_path / "new.json")


@pytest.mark.parametrize("lag", [0, 1, 3, 50])
def test_arrival_counts_match_a_plain_loop(lag):
    rng = np.random.default_rng(lag)
    n = 60
    g = rng.integers(0, 5, n)
    t = rng.integers(0, 4, n)
    w = rng.uniform(1, 1000, n)
    pos = rng.permutation(n)
    want = np.zeros((n, 5))
    for j in range(n):
        for i in range(n):
            if g[i] == g[j] and pos[i] < pos[j] - lag:
                want[j, t[i]] += 1
                want[j, 4] = max(want[j, 4], w[i])
    assert np.array_equal(arrival_counts(g, t, pos, lag), want[:, :4])
    assert np.allclose(arrival_counts(g, t, pos, lag, wallclock=w), want, rtol=1e-12)
    with pytest.raises(InputError, match="lag"):
        arrival_counts(g, t, pos, -1)


def test_arrival_order_uses_timestamps_only_when_they_vary():
    pos, how = arrival_order(pd.DataFrame({"timestamp": [5, 1, 3]}))
    assert pos.tolist() == [2, 0, 1] and how == "timestamp"
    pos, how = arrival_order(pd.DataFrame({"timestamp": [7] * 4}), seed=3)
    assert sorted(pos.tolist()) == [0, 1, 2, 3] and how == "random (seed 3)"


def test_posterior_moves_the_bin_with_evidence():
    raw = {
        "bin_proba": np.array([[0.7, 0.3, 0, 0]] * 3),
        "memory": np.array([1.5] * 3),
        "wallclock": np.array([3600.0] * 3),
    }
    rule = {"lam": 100.0, "mix": 0.0, "kill_log_margin": 1.0, "oom_share": 1.0, "margin": 0.05}
    counts = np.array([[0, 0, 0, 0], [40, 0, 0, 0], [0, 5, 0, 0]], dtype=float)
    alone = cost_decisions(raw, rule)["mem_bin"]
    learnt = cost_decisions(raw, rule, counts)
    # 30% doubt at 100 GB-h a retry: bin 1; 40 jobs that fitted bin 0: bin 0; unseen: unchanged
    assert alone.tolist() == [1, 1, 1] and learnt["mem_bin"].tolist() == [1, 0, 1]
    assert np.array_equal(learnt["clock_time"], cost_decisions(raw, rule)["clock_time"])
    # the kill time: at least 6x the longest finished job of the input
    longest = np.array([0.0, 100.0, 5000.0])
    kill = cost_decisions(raw, rule, counts, longest)["clock_time"]
    assert kill.tolist() == [np.ceil(3600 * np.e)] * 2 + [30000.0]
    assert posterior_bins(raw["bin_proba"][:1], counts[1:2], 1.0)[0, 1] == pytest.approx(0.3 / 41)
    with pytest.raises(InputError, match="counts of shape"):
        cost_decisions(raw, rule, np.zeros((2, 4)))
    # no finished job: exactly the decision without a history, even where the mixture with the
    # memory regression has another most likely bin than the classifier
    mixed = {
        "bin_proba": np.array([[0.9, 0.1, 0, 0]]),
        "memory": np.array([5.0]),
        "memory_scale": np.array([0.05]),
        "wallclock": np.array([60.0]),
    }
    half = dict(rule, mix=0.5, lam=0.0, margin=0.5)
    assert (
        cost_decisions(mixed, half, np.zeros((1, 4)))["mem_bin"].tolist()
        == cost_decisions(mixed, half)["mem_bin"].tolist()
    )


# --------------------------------------------------------------------------- with a model
@pytest.fixture(scope="module")
def model_and_jobs(tmp_path_factory):
    from spacekit.skopes.hst.cal import train

    df = pd.read_csv(SHARED / "hst_cal" / "hst_cal_2021-05-11_latest.csv").sample(
        3000, random_state=2
    )
    runs = tmp_path_factory.mktemp("runs")
    run = train(df, runs_dir=runs, seed=0, fast=True, name="hist", figures=False)
    return run, df


def test_predictor_with_history_answers_what_finished_jobs_needed(model_and_jobs, tmp_path):
    from spacekit.skopes.hst.cal import load_predictor
    from spacekit.skopes.hst.cal.features import prepare_table

    run, df = model_and_jobs
    X = prepare_table(df)[list(FEATURES)].to_numpy(dtype=float)  # total_mb rounded, as served
    # a history that says every input's jobs needed bin 3, a hundred times over
    h = JobHistory().update(np.repeat(X, 100, axis=0), np.full(100 * len(X), 20.0))
    path = h.save(tmp_path / "history.json")
    alone = load_predictor(run.path)
    learnt = load_predictor(run.path, history=path)
    a, b = alone.predict_batch(df), learnt.predict_batch(df)
    assert (b["memBin"] == 3).all() and (a["memBin"] < 3).any()
    assert (a["memVal"] == b["memVal"]).all() and (a["killTime"] == b["killTime"]).all()
    text = "n_files=3\ntotal_mb=2.2\nDETECTOR=NUV"
    assert alone.predict("la8p01010", text)["historyJobs"] is None
    assert learnt.predict("la8p01010", text)["historyJobs"] == 0  # an input never seen
    # the kill time learns too: inputs whose jobs ran for a day are given 6 days (capped later)
    h.update(X, np.full(len(X), 20.0), wallclock=np.full(len(X), 86400.0))
    assert (load_predictor(run.path, history=h).predict_batch(df)["killTime"] == 6 * 86400).all()
    # the margins rule does not use it
    learnt.decision = "margins"
    alone.decision = "margins"
    assert (alone.predict_batch(df)["memBin"] == learnt.predict_batch(df)["memBin"]).all()


def test_replay_learning_from_the_tables_jobs(model_and_jobs):
    from spacekit.skopes.hst.cal.features import CalFeatureWarning
    from spacekit.skopes.hst.cal.replay import replay

    run, df = model_and_jobs
    plain = replay(df, run.path, n_boot=10, figures=False)
    learnt = replay(df, run.path, n_boot=10, figures=False, learn=True, seed=4)
    assert plain["settings"]["history"] is None
    hist = learnt["settings"]["history"]
    assert hist == {
        "history_jobs": 0,
        "learn": True,
        "history_lag": 0,
        "arrival_order": "random (seed 4)",
    }
    # the model without the history is replayed beside it, as the plain replay has it
    assert "model_alone" not in plain["policies"]
    alone = learnt["policies"]["model_alone"]
    assert alone["gbh_reserved"] == plain["policies"]["model"]["gbh_reserved"]
    assert alone["kills"] == plain["policies"]["model"]["kills"]
    # outcomes that arrive after the last job is submitted teach nothing
    late = replay(df, run.path, n_boot=10, figures=False, learn=True, history_lag=len(df))
    assert late["policies"]["model"]["gbh_reserved"] == plain["policies"]["model"]["gbh_reserved"]
    # every outcome known before the table: the bins are the posterior's given all of them
    from spacekit.skopes.hst.cal import load_predictor
    from spacekit.skopes.hst.cal.replay import calcloud_kill_time, replay_jobs

    full = JobHistory.from_jobs(df)
    with pytest.warns(CalFeatureWarning, match=f"{len(df)} of the {len(df)} replayed jobs"):
        whole = replay(df, run.path, n_boot=10, figures=False, history=full)
    assert whole["settings"]["history"]["history_jobs"] == len(df)
    from spacekit.skopes.hst.cal.features import prepare_table

    pred = load_predictor(run.path)
    X = prepare_table(df)[list(FEATURES)].to_numpy(dtype=float)
    res = pred.predict_arrays(X)
    bins = cost_decisions(res, pred.cost_rule, full.counts(X))["mem_bin"]
    mem, wall = df["memory"].to_numpy(), df["wallclock"].to_numpy()
    want = replay_jobs(mem, wall, bins, calcloud_kill_time(res["clock_time"]))
    assert whole["policies"]["model"]["gbh_reserved"] == pytest.approx(want["reserved_gbh"].sum())
    assert whole["policies"]["model"]["memory_retries"] == want["retries"].sum()
    assert not np.array_equal(bins, res["mem_bin"])  # the history changed some decisions
    with pytest.raises(InputError, match="cost rule"):
        replay(df, run.path, n_boot=10, figures=False, learn=True, decision="margins")


def test_handler_reads_history_and_survives_a_bad_one(model_and_jobs, tmp_path, monkeypatch):
    from spacekit.skopes.hst.cal import handler

    run, df = model_and_jobs
    feats = tmp_path / "la8p01010_MemModelFeatures.txt"
    feats.write_text("n_files=3\ntotal_mb=2.2\nDETECTOR=NUV\n")

    def read(url, **kw):
        return feats.read_bytes()

    monkeypatch.setattr("spacekit.radio.s3_read_bytes", read)
    monkeypatch.setenv("SPACEKIT_HST_CAL_MODEL_DIR", str(run.path))
    event = {
        "Bucket": "b",
        "Key": "control/la8p01010/la8p01010_MemModelFeatures.txt",
        "Ipppssoot": "la8p01010",
    }
    h = JobHistory().update(
        np.array([[3, 2.2, 0, 0, 0, 0, 1, 0, 1]], dtype=float), np.array([20.0])
    )
    monkeypatch.setenv("SPACEKIT_HST_CAL_HISTORY", str(h.save(tmp_path / "h.json")))
    handler._PREDICTORS.clear()
    reply = handler.lambda_handler(event)
    assert reply["failSafe"] is False and set(handler.REPLY_KEYS) == set(reply)
    assert isinstance(reply["historyJobs"], int)
    monkeypatch.setenv("SPACEKIT_HST_CAL_HISTORY", str(tmp_path / "gone.json"))
    reply = handler.lambda_handler(event)
    assert reply["failSafe"] is False and reply["historyJobs"] is None
    assert any("gone.json" in w and "not used" in w for w in reply["warnings"])
    handler._PREDICTORS.clear()


def test_cli_history_predict_and_replay(model_and_jobs, tmp_path, capsys):
    from spacekit.cli import main

    run, df = model_and_jobs
    table = tmp_path / "jobs.csv"
    df.to_csv(table, index=False)
    out = tmp_path / "history.json"
    assert main(["cal", "history", str(table), "--out", str(out)]) == 0
    assert f"{len(df)} jobs added" in capsys.readouterr().out
    assert main(["cal", "history", str(table), "--out", str(out), "--update"]) == 0
    said = capsys.readouterr().out
    assert f"0 jobs added ({len(df)} already counted, skipped)" in said
    assert f"{len(df)} jobs of" in said
    bad = ["cal", "history", str(table), "--out", str(tmp_path / "nodir" / "h.json")]
    assert main(bad) == 1
    err = capsys.readouterr().err
    assert "cannot write" in err and "Traceback" not in err
    feats = tmp_path / "la8p01010_MemModelFeatures.txt"
    feats.write_text("n_files=3\ntotal_mb=2.2\nDETECTOR=NUV\n")
    args = ["cal", "predict", str(feats), "--model", str(run.path), "--history", str(out)]
    assert main(args) == 0
    assert "historyJobs" in json.loads(capsys.readouterr().out)
    args = ["cal", "replay", str(table), "--model", str(run.path), "--boot", "10", "--learn"]
    assert main([*args, "--history-lag", "100"]) == 0
    assert "learning from the table's jobs (random (seed 0) order, lag 100)" in (
        capsys.readouterr().out
    )


def test_weight_of_the_model_is_a_stored_setting():
    from spacekit.skopes.hst.cal.cost import calibrate_cost_rule

    rng = np.random.default_rng(1)
    g = np.repeat(np.arange(40), rng.integers(1, 20, 40))
    mem = np.exp(rng.normal(0.3, 1.0, 40))[g]
    wall = np.full(len(g), 600.0)
    proba = np.full((len(g), 4), 0.25)
    raw = {"bin_proba": proba, "memory": mem, "wallclock": wall}
    assert calibrate_cost_rule(raw, mem, wall, g, n_boot=10)["history_weight"] == 1.0
    rule = calibrate_cost_rule(raw, mem, wall, g, n_boot=10, history_weight=3.0)
    assert rule["history_weight"] == 3.0
    # the lighter the model weighs, the sooner one finished job decides
    raw1 = {"bin_proba": np.array([[0.6, 0.4, 0, 0]]), "wallclock": np.array([3600.0])}
    one = np.array([[1.0, 0, 0, 0]])
    base = {"lam": 100.0, "mix": 0.0, "kill_log_margin": 1.0, "oom_share": 1.0, "margin": 0.05}
    assert cost_decisions(raw1, dict(base, history_weight=3.0), one)["mem_bin"].tolist() == [1]
    assert cost_decisions(raw1, dict(base, history_weight=0.1), one)["mem_bin"].tolist() == [0]
    with pytest.raises(InputError, match="history_weight"):
        calibrate_cost_rule(raw, mem, wall, g, history_weight=0)


def test_app_load_model_takes_a_history(model_and_jobs, tmp_path):
    from spacekit.skopes.hst import cal

    run, df = model_and_jobs
    path = JobHistory.from_jobs(df).save(tmp_path / "h.json")
    model = cal.load_model(run, history=path)
    assert model.history is not None and model.history.n_jobs == len(df)
    assert cal.load_model(model).history is model.history  # a loaded model keeps its own
    assert cal.load_model(cal.load_model(run), history=path).history.n_jobs == len(df)


def test_each_dataset_counts_once(tmp_path):
    names = ["ib1", "ib2", "IB1 "]  # the third is the first again (case and spaces ignored)
    h = JobHistory().update(_rows([1, 1, 1]), [0.5, 3.0, 0.6], [10, 20, 30], datasets=names)
    assert h.n_jobs == 2 and h.max_wallclock(_rows([1])).tolist() == [20]
    h.update(_rows([1, 2]), [0.5, 0.5], datasets=["ib2", "ib3"])  # ib2 again: skipped
    assert h.n_jobs == 3
    back = JobHistory.load(h.save(tmp_path / "h.json"))
    back.update(_rows([1]), [0.5], datasets=["ib1"])  # the names survive the file
    assert back.n_jobs == 3
    other = JobHistory().update(_rows([5]), [0.5], datasets=["ib3"])
    with pytest.raises(InputError, match="counted in both"):
        h.merge(other)
    assert h.merge(JobHistory().update(_rows([5]), [0.5], datasets=["ib9"])).n_jobs == 4


def test_table_added_twice_counts_once_and_save_errors(tmp_path, s3_bucket):
    table = SHARED / "hst_cal" / "hst_cal_ddb_export_2021-05-11.csv"
    h = JobHistory()
    assert h.add_jobs(table) == (3757, 0)
    assert h.add_jobs(table) == (0, 3757)
    with pytest.raises(InputError, match="cannot write"):
        h.save(tmp_path / "no" / "such" / "folder" / "h.json")
    with pytest.raises(InputError, match="is a folder"):
        JobHistory.load(tmp_path)
    url = f"s3://{s3_bucket}/ops/history.json"
    assert h.save(url) == url
    back = JobHistory.load(url)
    assert back.n_jobs == 3757 and back.add_jobs(table) == (0, 3757)


def test_history_unused_by_other_rules_says_so(model_and_jobs, tmp_path):
    from spacekit.skopes.hst.cal import load_predictor
    from spacekit.skopes.hst.cal.features import CalFeatureWarning
    from spacekit.skopes.hst.cal.replay import replay

    run, df = model_and_jobs
    pred = load_predictor(run.path, decision="margins", history=JobHistory.from_jobs(df))
    text = "n_files=3\ntotal_mb=2.2\nDETECTOR=NUV"
    with pytest.warns(CalFeatureWarning, match="not used: the decision rule is 'margins'"):
        assert pred.predict("la8p01010", text)["historyJobs"] is None
    with pytest.raises(InputError, match="--decision cost"):
        replay(df, run.path, n_boot=10, figures=False, learn=True, decision="margins")
    with pytest.raises(InputError, match="needs learn=True"):
        replay(df, run.path, n_boot=10, figures=False, history_lag=100)
    # with a baseline that has the cost rule, both learn from the same jobs
    both = replay(df, run.path, baseline=run.path, n_boot=10, figures=False, learn=True)
    assert both["settings"]["history"]["baseline_learns"] is True
    pol = both["policies"]
    assert pol["model"]["gbh_reserved"] == pol["baseline"]["gbh_reserved"]


def test_monitor_decides_recent_jobs_with_the_deployed_history(model_and_jobs, tmp_path, capsys):
    from spacekit.cli import main
    from spacekit.skopes.hst.cal.features import CalFeatureWarning
    from spacekit.skopes.hst.cal.replay import monitor

    run, df = model_and_jobs
    earlier, recent = df.iloc[:2000], df.iloc[2000:]
    path = JobHistory.from_jobs(earlier).save(tmp_path / "h.json")
    alone = monitor(recent, run.path, retry_ceiling=0.5, kill_ceiling=0.5)
    learnt = monitor(recent, run.path, retry_ceiling=0.5, kill_ceiling=0.5, history=path)
    assert alone["history_jobs"] is None and learnt["history_jobs"] == 2000
    # the inputs the history has seen are decided by what their earlier jobs needed
    assert learnt["recent"]["cost_over_true_bin"] != alone["recent"]["cost_over_true_bin"]
    with pytest.warns(CalFeatureWarning, match="1000 of the 1000 replayed jobs"):
        monitor(recent, run.path, history=JobHistory.from_jobs(recent))
    table = tmp_path / "recent.csv"
    recent.to_csv(table, index=False)
    args = ["cal", "monitor", str(table), "--model", str(run.path), "--history", str(path)]
    assert main([*args, "--json", "--retry-ceiling", "0.5", "--kill-ceiling", "0.5"]) == 0
    assert json.loads(capsys.readouterr().out)["history_jobs"] == 2000
