"""What a replay writes: its run folder (metrics, decision, per-job predictions) and figures.

Split from :mod:`~spacekit.skopes.hst.cal.replay` (the replay arithmetic and the drift
monitor); :func:`replay_figures` is importable from there too.

Examples
--------
>>> figs = replay_figures(replay(table, model))  # doctest: +SKIP
"""

from __future__ import annotations

import numpy as np

__all__ = ["replay_figures"]


def _write_run(out, df, bins, kills, per_job, runs_dir, name, seed, figures):
    import pandas as pd

    from ....utils.runs import Run

    run = Run.create(
        "hst_cal_replay",
        name,
        runs_dir=runs_dir,
        parameters={k: v for k, v in out["settings"].items() if k not in ("data_sha256", "seed")},
        seed=seed,
        data_sha256=out["settings"]["data_sha256"],
    )
    metrics = {
        k: {kk: vv for kk, vv in v.items() if kk != "by_instrument"}
        for k, v in out["policies"].items()
    }
    run.write_metrics(
        {
            "policies": metrics,
            "by_instrument": {k: v.get("by_instrument") for k, v in out["policies"].items()},
            "ceilings": out["ceilings"],
            **({"comparison": out["comparison"]} if "comparison" in out else {}),
        }
    )
    run.write_json(
        "decision.json",
        out.get("comparison", {"decision": None, "reason": "no baseline given"}),
    )
    frame = pd.DataFrame({"ipst": df["ipst"]}) if "ipst" in df.columns else pd.DataFrame()
    frame["memory"] = df["memory"].to_numpy()
    frame["wallclock"] = df["wallclock"].to_numpy()
    for k in bins:
        frame[f"bin_{k}"] = bins[k]
        if kills[k] is not None:
            frame[f"kill_{k}"] = kills[k]
        frame[f"gbh_{k}"] = per_job[k]["reserved_gbh"]
    run.write_predictions(frame)
    if figures:
        for fname, fig in replay_figures(out).items():
            run.save_figure(fig, fname)
    return run.path


def replay_figures(result: dict) -> dict:
    """Bar charts of a :func:`replay` result: GB-hours per policy (reserved, wasted) overall
    and per instrument (matplotlib figures).

    Examples
    --------
    >>> figs = replay_figures(replay(table, model))  # doctest: +SKIP
    """
    from ....utils.plotting import new_figure

    pol = result["policies"]
    names = list(pol)
    figs = {}
    fig = new_figure((7, 3.5))
    ax = fig.add_subplot()
    x = np.arange(len(names))
    ax.bar(x - 0.2, [pol[k]["gbh_reserved"] for k in names], 0.4, label="reserved")
    ax.bar(x + 0.2, [pol[k]["gbh_wasted"] for k in names], 0.4, label="wasted")
    ax.set_xticks(x, [k.replace("_", " ") for k in names], rotation=20)
    ax.set_ylabel("GB-hours")
    ax.set_title("replay: GB-hours by policy")
    for i, k in enumerate(names):
        ax.annotate(
            f"{pol[k]['memory_retries']} retries, {pol[k]['kills']} kills",
            (i, pol[k]["gbh_reserved"]),
            ha="center",
            va="bottom",
            fontsize=7,
        )
    ax.legend()
    figs["replay_gbh"] = fig
    instruments = sorted({i for k in names for i in (pol[k].get("by_instrument") or {})})
    if instruments:
        fig = new_figure((7, 3.5))
        ax = fig.add_subplot()
        width = 0.8 / len(names)
        for j, k in enumerate(names):
            true = pol["true_bin_oracle"]["by_instrument"]
            vals = [
                pol[k]["by_instrument"][i]["gbh_reserved"] / max(true[i]["gbh_reserved"], 1e-300)
                for i in instruments
            ]
            ax.bar(
                np.arange(len(instruments)) + (j - len(names) / 2 + 0.5) * width,
                vals,
                width,
                label=k,
            )
        ax.set_xticks(np.arange(len(instruments)), instruments)
        ax.set_ylabel("GB-hours / true-bin oracle")
        ax.axhline(1.0, color="k", lw=0.5)
        ax.set_title("replay: cost per instrument")
        ax.legend(fontsize=7)
        figs["replay_by_instrument"] = fig
    return figs
