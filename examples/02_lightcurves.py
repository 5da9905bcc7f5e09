"""Light curves: read, clean and search them for transiting planets.

Run from a clone (the real data in ../shared/data is the mirror)::

    SPACEKIT_DATA_MIRROR=../shared/data .venv/bin/python examples/02_lightcurves.py

About 10 s on 2 cores. Figures go to a temporary folder (or the folder given as the first
argument).
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import astropy.units as u

from spacekit import datasets
from spacekit.analyzer import hunt_many, planet_hunter, plot_hunt
from spacekit.transformer import read_lightcurve


def main(out_dir: str | None = None) -> None:
    out = Path(out_dir or tempfile.mkdtemp(prefix="spacekit-example-"))
    out.mkdir(parents=True, exist_ok=True)

    # 1. A TESS light curve (WASP-126, sector 1) as a LightCurve: an astropy TimeSeries whose
    #    time is in the mission's time scale (read from the FITS header)
    lc = read_lightcurve(datasets.fetch("lc_wasp_126"))
    print(
        f"WASP-126: {len(lc)} cadences, time scale {lc.time.scale}, "
        f"{lc.time[0].iso} .. {lc.time[-1].iso}"
    )
    flat = lc.remove_nans().normalize().remove_outliers().flatten(1 * u.day)
    print(f"  without NaNs and 5-sigma outliers, flattened: {len(flat)} cadences")

    # 2. Period search: detrend + box least squares, then the checks behind `detected`
    res = planet_hunter(lc)
    print(
        f"  planet_hunter: P = {res.period:.4f}, depth {res.depth:.4f}, "
        f"significance {res.peak_significance:.0f}, detected {res.detected}"
    )
    fig = plot_hunt(res)  # raw / detrended / periodogram / folded
    fig.savefig(out / "wasp-126.png")

    # 3. A two-column csv has no header: its time system is an argument (bkjd = BJD - 2454833)
    res = planet_hunter(datasets.fetch("lc_k2_3"), time_format="bkjd", max_planets=2)
    for i, p in enumerate(res.planets):
        print(f"K2-3 planet {i + 1}: P = {p.period:.4f}, detected {p.detected}")

    # 4. Many light curves at once (Dask, in-process threads; client=... for a cluster)
    paths = [datasets.fetch(n) for n in ("lc_hat_p_7", "lc_kic_10002792")]
    table = hunt_many(paths)
    print(table[["file", "period", "peak_significance", "detected"]].to_string(index=False))
    print(f"figure in {out / 'wasp-126.png'}")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else None)
