"""Cost replay, oracles, the cost decision rule and the drift monitor (issue 19).

The replay arithmetic and the oracles are checked on small tables with hand-computed answers;
the per-input oracle also against the figures the issue quotes for the real tables.
"""

from __future__ import annotations

import json
import math
from decimal import Decimal

import numpy as np
import pandas as pd
import pytest

from spacekit.exceptions import InputError, ModelLoadError
from spacekit.skopes.hst.cal import calcloud
from spacekit.skopes.hst.cal.cost import (
    bin_distribution,
    calibrate_cost_rule,
    cost_decisions,
    expected_costs,
)
from spacekit.skopes.hst.cal.replay import (
    bootstrap_cost_ratio,
    calcloud_kill_time,
    per_input_oracle,
    replay_jobs,
    summarise_replay,
    true_bin_oracle,
)

H = 3600.0


# --------------------------------------------------------------------------- replay arithmetic
def test_replay_memory_ladder_hand_computed():
    # 10 GB job submitted to bin 0: OOM on 2 GB and 8 GB (two retries), completes on 16 GB.
    r = replay_jobs([10.0], [H], [0])
    assert r["retries"].tolist() == [2] and r["final_bin"].tolist() == [2]
    assert r["oom_gbh"][0] == pytest.approx(2 + 8)
    assert r["reserved_gbh"][0] == pytest.approx(2 + 8 + 16)
    assert r["wasted_gbh"][0] == pytest.approx(10) and r["over_gbh"][0] == 0
    # an out-of-memory attempt holding the queue for half the wallclock
    r = replay_jobs([10.0], [H], [0], oom_share=0.5)
    assert r["reserved_gbh"][0] == pytest.approx(0.5 * (2 + 8) + 16)
    # over-reservation: a 1 GB job on 64 GB wastes 62 GB-h per hour
    r = replay_jobs([1.0], [2 * H], [3])
    assert r["reserved_gbh"][0] == pytest.approx(128) and r["wasted_gbh"][0] == pytest.approx(124)
    # the last queue takes anything: no retry past it
    r = replay_jobs([100.0], [H], [3])
    assert r["retries"][0] == 0 and r["reserved_gbh"][0] == pytest.approx(64)


def test_replay_kill_then_rescue_hand_computed():
    # 2 h job on 8 GB with a 30-minute kill time: killed (8 * 0.5), rescued and run (8 * 2)
    r = replay_jobs([3.0], [2 * H], [1], [1800])
    assert r["killed"].tolist() == [1]
    assert r["killed_gbh"][0] == pytest.approx(4) and r["reserved_gbh"][0] == pytest.approx(20)
    assert r["wasted_gbh"][0] == pytest.approx(4)
    # a kill after a memory retry: the kill applies on the queue it completes on
    r = replay_jobs([3.0], [2 * H], [0], [1800])
    assert r["reserved_gbh"][0] == pytest.approx(2 * 2 + 8 * 0.5 + 8 * 2)
    # exactly the kill time is not killed
    assert replay_jobs([1.0], [1800], [0], [1800])["killed"].tolist() == [0]


def test_replay_refuses_bad_input():
    with pytest.raises(InputError, match="submitted bins"):
        replay_jobs([1.0], [H], [4])
    with pytest.raises(InputError, match="one per job"):
        replay_jobs([1.0, 2.0], [H], [0, 0])
    with pytest.raises(InputError, match="oom_share"):
        replay_jobs([1.0], [H], [0], oom_share=1.5)


def test_summary_overall_and_per_instrument():
    per_job = replay_jobs([1.0, 3.0, 1.0], [H, H, H], [0, 0, 1], [600, 7200, 7200])
    s = summarise_replay(per_job, instr=[0, 0, 3])
    # job 0: killed on 2 GB at 10 min, rescued (2/6 + 2); job 1: OOM (2) + 8; job 2: 8 (6 over)
    assert s["gbh_reserved"] == pytest.approx(2 / 6 + 2 + 10 + 8)
    assert s["gbh_wasted"] == pytest.approx(2 / 6 + 2 + 6)
    assert (s["memory_retries"], s["kills"], s["n_jobs"]) == (1, 1, 3)
    assert s["retry_rate"] == pytest.approx(1 / 3) and s["kill_rate"] == pytest.approx(1 / 3)
    assert set(s["by_instrument"]) == {"ACS", "WFC3"}
    assert s["by_instrument"]["WFC3"]["gbh_reserved"] == pytest.approx(8)
    assert s["by_instrument"]["ACS"]["memory_retries"] == 1


def test_calcloud_kill_time_is_calcloud_arithmetic():
    kills = [10, 1000, 5000, 30000, 1e6]
    got = calcloud_kill_time(kills)
    want = [calcloud.kill_time(calcloud.clock_time_for_kill(k)) for k in kills]
    assert got.tolist() == want == [1200, 1200, 5000, 30000, 172800]
    # a point estimate as the reply's clockTime: calcloud's default 6x
    assert calcloud_kill_time([1000], reply_is_kill=False).tolist() == [6000]


# --------------------------------------------------------------------------- oracles
def test_true_bin_oracle_wastes_nothing():
    mem = [0.5, 1.9, 8.0, 20.0]
    r = replay_jobs(mem, [H] * 4, true_bin_oracle(mem))
    assert r["wasted_gbh"].sum() == 0 and r["reserved_gbh"].sum() == pytest.approx(2 + 8 + 16 + 64)


def test_per_input_oracle_knapsack_hand_computed():
    # Group A: 10 jobs at 1 GB + 1 at 3 GB, 1 h each: bin 0 costs 10*2 + (2 + 8) = 30 (1 retry),
    # bin 1 costs 88. Group B: one job at 1 GB and one at 3 GB: bin 0 = 2 + 10 = 12 (1 retry),
    # bin 1 = 16. With one retry allowed it goes to A (saves 58), B takes bin 1.
    mem = [1.0] * 10 + [3.0] + [1.0, 3.0]
    wall = [H] * 13
    groups = [0] * 11 + [1] * 2
    free = per_input_oracle(mem, wall, groups)
    assert free.tolist() == [0] * 13
    one = per_input_oracle(mem, wall, groups, retry_budget=1)
    assert one.tolist() == [0] * 11 + [1, 1]
    assert replay_jobs(mem, wall, one)["reserved_gbh"].sum() == pytest.approx(30 + 16)
    none = per_input_oracle(mem, wall, groups, retry_budget=0)
    assert none.tolist() == [1] * 13
    # a group's bin is one bin for all its rows; group ids need not be 0..n-1
    assert len(set(per_input_oracle(mem, wall, [7] * 11 + [-2] * 2).tolist()[:11])) == 1


@pytest.mark.parametrize(
    "name, budget, ratio",
    [
        # the figures issue 19 quotes for the real tables
        ("hst_cal_2021-05-11_latest.csv", 11, 1.0445),
        ("hst_cal_2021-05-11_latest.csv", 0, 1.052),
        ("hst_cal_ddb_export_2021-05-11.csv", 7, 1.071),
        ("hst_cal_ddb_export_2021-05-11.csv", 0, 1.088),
    ],
)
def test_per_input_oracle_reproduces_issue_figures(shared_data, name, budget, ratio):
    from spacekit.skopes.hst.cal.features import FEATURES, group_ids, prepare_table

    df = prepare_table(shared_data / "hst_cal" / name)
    mem, wall = df["memory"].to_numpy(), df["wallclock"].to_numpy()
    groups = group_ids(df[list(FEATURES)].to_numpy(dtype=float))
    bins = per_input_oracle(mem, wall, groups, retry_budget=budget)
    r = replay_jobs(mem, wall, bins)
    true = replay_jobs(mem, wall, true_bin_oracle(mem))["reserved_gbh"].sum()
    assert r["reserved_gbh"].sum() / true == pytest.approx(ratio, abs=6e-4)
    assert r["retries"].sum() <= budget


def test_bootstrap_ratio_over_groups():
    a = np.array([1.0, 1.0, 2.0, 2.0])
    r = bootstrap_cost_ratio(a, a, [0, 0, 1, 1], n_boot=100)
    assert (r["ratio"], r["low"], r["high"], r["n_groups"]) == (1.0, 1.0, 1.0, 2)
    r = bootstrap_cost_ratio(a, 2 * a + np.array([0, 0, 0, 1.0]), [0, 0, 1, 1], n_boot=200)
    assert r["low"] <= r["ratio"] <= r["high"] < 1


# --------------------------------------------------------------------------- decision rule
def test_expected_costs_hand_computed():
    e = expected_costs(np.array([[0.5, 0.25, 0.25, 0.0]]), np.array([H]), oom_share=1.0)
    # bin 0: 0.5*2 + 0.25*(2+8) + 0.25*(2+8+16); bin 1: 0.75*8 + 0.25*(8+16)
    assert e["cost"][0, :2].tolist() == pytest.approx([1 + 2.5 + 6.5, 6 + 6])
    assert e["retries"][0].tolist() == pytest.approx([0.25 + 0.5, 0.25, 0, 0])


def test_below_argmax_only_with_margin():
    raw = {
        "bin_proba": np.array([[0.45, 0.55, 0, 0]]),
        "memory": np.array([1.7]),
        "wallclock": np.array([H]),
    }
    rule = {"lam": 0.0, "mix": 0.0, "kill_log_margin": 0.0, "oom_share": 1.0, "margin": 0.05}
    # bin 0 expects 0.45*2 + 0.55*10 = 6.4 GB-h, the argmax bin 1 8: 20% less, above 5%
    assert cost_decisions(raw, rule)["mem_bin"].tolist() == [0]
    assert cost_decisions(raw, dict(rule, margin=0.25))["mem_bin"].tolist() == [1]
    # a retry price lifts it back
    assert cost_decisions(raw, dict(rule, lam=10.0))["mem_bin"].tolist() == [1]


def test_bin_distribution_mixes_classifier_and_regression():
    raw = {
        "bin_proba": np.array([[0.0, 0.0, 1.0, 0.0]]),
        "memory": np.array([1.0]),
        "memory_scale": np.array([0.01]),
    }
    assert bin_distribution(raw, 0.0).tolist() == [[0, 0, 1, 0]]
    p = bin_distribution(raw, 0.5)
    assert p.sum() == pytest.approx(1) and p[0].round(6).tolist() == [0.5, 0, 0.5, 0]


def _synthetic_oof(seed=0, n_groups=300):
    """Held-out predictions with known errors: memory off by a group-level log error."""
    rng = np.random.default_rng(seed)
    sizes = rng.integers(1, 30, n_groups)
    g = np.repeat(np.arange(n_groups), sizes)
    log_mem_hat = rng.normal(0.3, 1.0, n_groups)
    err = rng.normal(0, 0.3, n_groups)
    mem = np.exp(log_mem_hat[g] + err[g] + rng.normal(0, 0.05, len(g)))
    w_hat = np.exp(rng.normal(6, 1.5, n_groups))
    wall = w_hat[g] * np.exp(rng.normal(0, 0.4, len(g)))
    from spacekit.skopes.hst.cal.features import memory_to_bin

    proba = np.full((n_groups, 4), 0.02)
    proba[np.arange(n_groups), memory_to_bin(np.exp(log_mem_hat))] = 0.94
    raw = {
        "bin_proba": proba[g],
        "memory": np.exp(log_mem_hat)[g],
        "memory_scale": np.full(len(g), 0.25),
        "wallclock": w_hat[g],
    }
    return raw, mem, wall, g


@pytest.mark.parametrize("retry_ceiling, kill_ceiling", [(0.002, 0.0005), (0.02, 0.01), (0, 0)])
def test_cost_rule_meets_its_ceilings_on_calibration_rows(retry_ceiling, kill_ceiling):
    raw, mem, wall, g = _synthetic_oof()
    rule = calibrate_cost_rule(
        raw, mem, wall, g, retry_ceiling=retry_ceiling, kill_ceiling=kill_ceiling, n_boot=50
    )
    assert rule["retry_rate"] <= retry_ceiling and rule["kill_rate"] <= kill_ceiling
    d = cost_decisions(raw, rule)
    per_job = replay_jobs(mem, wall, d["mem_bin"], calcloud_kill_time(d["clock_time"]))
    assert per_job["retries"].sum() / len(mem) == pytest.approx(rule["retry_rate"])
    assert per_job["killed"].sum() / len(mem) == pytest.approx(rule["kill_rate"])
    json.dumps(rule)  # stored in metadata.json


def test_kill_time_never_below_the_floor_factor():
    raw, mem, wall, g = _synthetic_oof(seed=2)
    floor = calibrate_cost_rule(raw, mem, wall, g, kill_ceiling=0.5, n_boot=20)
    none = calibrate_cost_rule(raw, mem, wall, g, kill_ceiling=0.5, kill_floor_factor=0, n_boot=20)
    assert none["kill_log_margin"] < math.log(6) <= floor["kill_log_margin"] + 1e-12
    assert floor["kill_rate"] <= none["kill_rate"]
    d = cost_decisions(raw, floor)
    assert np.all(d["clock_time"] >= 6 * raw["wallclock"] - 1e-6)
    with pytest.raises(InputError, match="kill_floor_factor"):
        calibrate_cost_rule(raw, mem, wall, g, kill_floor_factor=0.5)


def test_looser_ceiling_costs_no_more():
    raw, mem, wall, g = _synthetic_oof(seed=1)
    tight = calibrate_cost_rule(raw, mem, wall, g, retry_ceiling=0.0, n_boot=50)
    loose = calibrate_cost_rule(raw, mem, wall, g, retry_ceiling=0.05, n_boot=50)
    assert loose["lam"] <= tight["lam"]
    assert loose["retry_rate"] >= tight["retry_rate"]


def test_cost_rule_refuses_bad_settings():
    raw, mem, wall, g = _synthetic_oof(n_groups=20)
    with pytest.raises(InputError, match="retry_ceiling"):
        calibrate_cost_rule(raw, mem, wall, g, retry_ceiling=1.5)
    with pytest.raises(InputError, match="margin"):
        calibrate_cost_rule(raw, mem, wall, g, margin=-0.1)


# --------------------------------------------------------------------------- with a model
@pytest.fixture(scope="module")
def cost_model(tmp_path_factory):
    from pathlib import Path

    from spacekit.skopes.hst.cal import train

    shared = (Path(__file__).resolve().parent.parent.parent / "shared" / "data").resolve()
    df = pd.read_csv(shared / "hst_cal" / "hst_cal_2021-05-11_latest.csv").sample(
        3000, random_state=1
    )
    runs = tmp_path_factory.mktemp("runs")
    run = train(df, runs_dir=runs, seed=0, fast=True, name="cost", decision="cost", figures=False)
    return run, df


def test_model_folder_stores_cost_rule_and_switches(cost_model):
    from spacekit.skopes.hst.cal import load_predictor

    run, df = cost_model
    meta = json.loads((run.model_dir / "metadata.json").read_text())
    assert meta["calibration"]["decision"] == "cost"
    assert meta["calibration"]["cost_rule"]["retry_ceiling"] == 0.002
    pred = load_predictor(run.path)
    assert pred.decision == "cost"
    a = pred.predict_batch(df)
    pred.decision = "margins"
    b = pred.predict_batch(df)
    assert (a["memVal"] == b["memVal"]).all()  # the point estimates do not depend on the rule
    pred.decision = "nonsense"
    with pytest.raises(InputError, match="decision"):
        pred.predict_batch(df.head(3))
    # a folder without a cost rule (earlier versions) predicts with the margins; 'cost' explains
    del meta["calibration"]["cost_rule"], meta["calibration"]["decision"]
    (run.model_dir / "metadata.json").write_text(json.dumps(meta))
    old = load_predictor(run.path)
    assert old.decision == "margins" and len(old.predict_batch(df.head(3))) == 3
    old.decision = "cost"
    with pytest.raises(ModelLoadError, match="re-train"):
        old.predict_batch(df.head(3))
    meta["calibration"]["cost_rule"] = pred.cost_rule
    meta["calibration"]["decision"] = "cost"
    (run.model_dir / "metadata.json").write_text(json.dumps(meta))


def test_replay_with_baseline_writes_run(cost_model, tmp_path):
    from spacekit.skopes.hst.cal.replay import replay
    from spacekit.utils.runs import Run

    run, df = cost_model
    out = replay(df, run.path, baseline=run.path, runs_dir=tmp_path, n_boot=50)
    pol = out["policies"]
    assert set(pol) == {"model", "reference", "true_bin_oracle", "per_input_oracle", "baseline"}
    assert pol["true_bin_oracle"]["cost_over_true_bin"] == 1
    assert pol["per_input_oracle"]["gbh_reserved"] <= pol["model"]["gbh_reserved"]
    assert pol["true_bin_oracle"]["gbh_reserved"] <= pol["per_input_oracle"]["gbh_reserved"]
    assert pol["per_input_oracle"]["retry_rate"] <= 0.002
    assert set(pol["model"]["by_instrument"]) <= {"ACS", "COS", "STIS", "WFC3"}
    assert out["comparison"]["ratio"] == 1 and out["comparison"]["decision"]["winner"] is None
    assert out["comparison"]["winner_code"] == 0
    saved = Run.open(out["run"])
    assert saved.app == "hst_cal_replay" and saved.metrics["policies"]["model"]["n_jobs"] == 3000
    assert json.loads((saved.path / "decision.json").read_text())["decision"]["winner"] is None
    assert {p.name for p in saved.figures()} >= {"replay_gbh.png", "replay_by_instrument.png"}
    frame = pd.read_csv(saved.predictions_path)
    assert len(frame) == 3000 and "bin_per_input_oracle" in frame and "kill_model" in frame


def test_argmax_decision_is_the_classifier_bin_with_the_calibrated_kill(cost_model):
    from spacekit.cli.cal_cost import DECISION_CHOICES
    from spacekit.skopes.hst.cal import load_model, load_predictor
    from spacekit.skopes.hst.cal.predict import DECISIONS, CalPredictor

    run, df = cost_model
    assert DECISION_CHOICES == DECISIONS  # the CLI's choices, kept without importing numpy
    cost = load_predictor(run.path)
    arg = load_predictor(run.path, decision="argmax")
    assert cost.decision == "cost" and arg.decision == "argmax"
    a, c = arg.predict_batch(df), cost.predict_batch(df)
    assert (a["memBin"] == a["memBinArgmax"]).all()
    assert (a["memBin"] != c["memBin"]).any()  # the cost rule moves some bins off the argmax
    assert (a["killTime"] == c["killTime"]).all()  # the cost rule's calibrated kill time
    assert arg.kill_time_coverage == cost.kill_time_coverage
    assert load_model(run.path, decision="margins").decision == "margins"
    with pytest.raises(InputError, match="argmax"):
        load_predictor(run.path, decision="nonsense")
    # a folder without a cost rule: the margins' kill time; 'cost' is refused at load
    meta = json.loads((run.model_dir / "metadata.json").read_text())
    del meta["calibration"]["cost_rule"]
    old = CalPredictor(meta, cost.models)
    old.decision = "margins"
    m = old.predict_batch(df)
    old.decision = "argmax"
    o = old.predict_batch(df)
    assert (o["memBin"] == o["memBinArgmax"]).all() and (o["killTime"] == m["killTime"]).all()


def test_cli_decision_flags(cost_model, tmp_path, capsys):
    from pathlib import Path

    from spacekit.cli import main

    run, df = cost_model
    shared = (Path(__file__).resolve().parent.parent.parent / "shared" / "data").resolve()
    feats = shared / "hst_cal" / "MemModelFeatures" / "j8c601020_MemModelFeatures.txt"
    assert (
        main(["cal", "predict", str(feats), "--model", str(run.path), "--decision", "argmax"]) == 0
    )
    reply = json.loads(capsys.readouterr().out)
    assert reply["memBin"] == reply["memBinArgmax"]
    table = tmp_path / "jobs.csv"
    df.to_csv(table, index=False)
    base = ["cal", "replay", str(table), "--model", str(run.path), "--json", "--boot", "20"]
    assert main([*base, "--decision", "argmax", "--baseline", str(run.path)]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["settings"]["decision"] == "argmax"
    assert out["settings"]["baseline_decision"] == "cost"
    pol = out["policies"]
    # the same bins as the reference (argmax), so the same memory retries
    assert pol["model"]["memory_retries"] == pol["reference"]["memory_retries"]
    assert pol["model"]["memory_retries"] > pol["baseline"]["memory_retries"]
    with pytest.raises(SystemExit) as exc:
        main([*base, "--decision", "nonsense"])
    assert exc.value.code == 2
    # train: the decision and the cost rule's ceilings are stored in the model folder
    code = main(
        [
            "cal", "train", str(table), "--fast", "--runs", str(tmp_path / "runs"), "--json",
            "--decision", "argmax", "--retry-ceiling", "0.01", "--kill-ceiling", "0.002",
        ]
    )  # fmt: skip
    assert code == 0
    model = Path(json.loads(capsys.readouterr().out)["run"]) / "model"
    cal = json.loads((model / "metadata.json").read_text())["calibration"]
    assert cal["decision"] == "argmax"
    assert (cal["cost_rule"]["retry_ceiling"], cal["cost_rule"]["kill_ceiling"]) == (0.01, 0.002)


def test_replay_upstream_baseline_is_killed_at_calcloud_default(
    cost_model, upstream_models, tmp_path
):
    """An imported upstream model answered its wallclock estimate as clockTime: calcloud kills
    it at 6x that (not at the estimate itself, which would kill about half its jobs)."""
    from spacekit.skopes.hst.cal import load_predictor
    from spacekit.skopes.hst.cal.features import FEATURES, prepare_table
    from spacekit.skopes.hst.cal.replay import replay
    from spacekit.utils.runs import Run

    run, df = cost_model
    jobs = df.head(400)
    out = replay(jobs, run.path, baseline=upstream_models["hst_cal"], runs_dir=tmp_path, n_boot=20)
    frame = pd.read_csv(Run.open(out["run"]).predictions_path)
    up = load_predictor(upstream_models["hst_cal"])
    X = prepare_table(jobs)[list(FEATURES)].to_numpy(dtype=float)  # as replay reads them
    wall = up.predict_arrays(X)["wallclock"]
    want = calcloud_kill_time(np.trunc(wall), reply_is_kill=False)
    assert (frame["kill_baseline"].to_numpy() == want).all()
    assert (frame["kill_baseline"] >= np.minimum(6 * np.trunc(wall), 48 * 3600)).all()


def test_cli_replay_and_monitor_exit_codes(cost_model, tmp_path, capsys):
    from spacekit.cli import main

    run, df = cost_model
    table = tmp_path / "jobs.csv"
    df.to_csv(table, index=False)
    assert main(["cal", "replay", str(table), "--model", str(run.path), "--boot", "20"]) == 0
    assert "per_input_oracle" in capsys.readouterr().out
    code = main(["cal", "replay", str(table), "--model", str(run.path), "--json", "--boot", "20"])
    assert code == 0 and "policies" in json.loads(capsys.readouterr().out)
    # monitor: within generous ceilings exit 0, over a zero ceiling exit 3, an error exit 1
    base = ["cal", "monitor", str(table), "--model", str(run.path)]
    assert main([*base, "--retry-ceiling", "1", "--kill-ceiling", "1"]) == 0
    assert "ok" in capsys.readouterr().out
    # a sure retry: every job's memory raised into bin 3 while the model answers as before
    hot = df.assign(memory=30.0, mem_bin=3)
    hot.to_csv(table, index=False)
    assert main([*base, "--kill-ceiling", "1"]) == 3
    err = capsys.readouterr().err
    assert "memory retries" in err and "exceed the ceiling" in err
    assert main([*base, "--json", "--kill-ceiling", "1"]) == 3
    assert json.loads(capsys.readouterr().out)["ok"] is False
    assert main(["cal", "monitor", "nosuch://x", "--model", str(run.path)]) == 1
    assert "no reader of nosuch://" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exc:  # --model is required: argparse's usage error
        main(["cal", "monitor", str(table)])
    assert exc.value.code == 2


def test_monitor_reads_registered_source(cost_model, monkeypatch):
    from spacekit.skopes.hst.cal import replay as rp

    run, df = cost_model
    monkeypatch.setitem(rp.JOB_SOURCES, "memory", lambda name: df.head(50))
    out = rp.monitor("memory://recent", run.path, retry_ceiling=1, kill_ceiling=1)
    assert out["ok"] and out["recent"]["n_jobs"] == 50
    assert math.isfinite(out["recent"]["cost_over_true_bin"])


def test_monitor_reads_calcloud_dynamodb_table(cost_model, ddb_table, capsys):
    import boto3

    from spacekit.cli import main

    run, df = cost_model
    endpoint, name = ddb_table
    table = boto3.resource("dynamodb", endpoint_url=endpoint, region_name="us-east-1").Table(name)
    rows = df.head(40).drop(
        columns=["x_files", "x_size", "bin_pred", "mem_pred", "wall_pred"], errors="ignore"
    )
    with table.batch_writer() as batch:
        for r in rows.to_dict("records"):
            item = json.loads(json.dumps(r, default=float), parse_int=Decimal, parse_float=Decimal)
            item["dataset"] = item["ipst"]
            item["timestamp"] = 1620740441
            batch.put_item(Item=item)
    source = f"dynamodb://{name}?endpoint_url={endpoint}"
    base = ["cal", "monitor", source, "--model", str(run.path), "--json"]
    assert main([*base, "--retry-ceiling", "1", "--kill-ceiling", "1"]) == 0
    assert json.loads(capsys.readouterr().out)["recent"]["n_jobs"] == 40
    with pytest.raises(InputError, match="expected dynamodb://TABLE"):
        from spacekit.skopes.hst.cal.replay import read_jobs

        read_jobs(f"dynamodb://{name}?bogus=1")
