"""``spacekit hunt PATH...``: search light curves for transiting planets.

Each light curve is detrended and searched for periodic transits; the text output is a line
per planet found (or the best signal's, when none is detected), ``--json`` one JSON object
per file with these fields (at the top level, those of the first planet found, else of the
best signal):

"""

from __future__ import annotations

import argparse
import json
import re
import sys
import textwrap
import warnings

#: the fields of a ``spacekit hunt --json`` record: (name, meaning)
JSON_FIELDS: tuple[tuple[str, str], ...] = (
    ("file", "the light curve file, as given"),
    ("period", "orbital period (days)"),
    ("epoch", "mid-time of the first transit (BJD_TDB; see time_system)"),
    ("duration", "transit duration (days)"),
    ("depth", "fractional depth (0.01 = 1 %)"),
    (
        "peak_significance",
        "how far the periodogram peak stands above the rest, in robust standard deviations "
        "(not TLS's SDE)",
    ),
    ("sde", "peak_significance under its former name (deprecated)"),
    ("snr", "depth over the red noise on the transit's time scale"),
    ("n_transits", "transits with at least one data point"),
    ("detected", "whether the signal passes every vetting check"),
    (
        "period_aliases",
        "longer periods (days) that fit the same transits, when only every m-th one fell on data",
    ),
    ("failed", "the vetting checks the signal fails"),
    ("tls", "with the tls engine: transitleastsquares' own statistics"),
    (
        "fit",
        "a detected planet's limb-darkened transit fit, without its model curve (when batman "
        "is installed)",
    ),
    ("planets", "one such object per planet found (without file)"),
    ("rejected", "the same for strong signals that failed vetting"),
    (
        "time_system",
        "BJD_TDB; JD_TDB for times given in UTC (a csv read with --time-format jd or mjd: "
        "converted to TDB, not barycentred); relative for a csv read without --time-format",
    ),
)

__doc__ += "".join(
    f"- ``{name}``: " + re.sub(r"(--[a-z-]+)", r"``\1``", meaning) + "\n"
    for name, meaning in JSON_FIELDS
)


_DESCRIPTION = """\
Detrend each light curve and search it for periodic transits (box least
squares by default). Prints a line per planet found, or with --json one JSON
object per file (its fields are listed below).

example:
  spacekit hunt --max-planets 2 "$(spacekit datasets fetch lc_hat_p_7)"
"""


def register(sub) -> None:
    width = max(len(name) for name, _ in JSON_FIELDS)
    p = sub.add_parser(
        "hunt",
        help="search light curves (Kepler/K2/TESS FITS or csv) for transiting planets",
        description=_DESCRIPTION,
        epilog="fields of a --json record (at the top level: those of the first planet found,\n"
        "else of the best signal):\n"
        + "\n".join(
            textwrap.fill(
                f"{name:{width}}  {meaning}",
                79,
                initial_indent="  ",
                subsequent_indent=" " * (width + 4),
            )
            for name, meaning in JSON_FIELDS
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("paths", nargs="+", metavar="PATH", help="light curve files")
    p.add_argument("--json", action="store_true", help="one JSON object per file on stdout")
    p.add_argument(
        "--max-planets",
        type=int,
        default=1,
        metavar="N",
        help="look for up to N planets, masking each one found (default 1)",
    )
    p.add_argument(
        "--engine",
        choices=("bls", "tls"),
        default="bls",
        help="search engine: astropy BLS (default) or transitleastsquares",
    )
    p.add_argument(
        "--time-format",
        default=None,
        metavar="FMT",
        help="time system of csv files: bkjd (Kepler/K2), btjd (TESS), bjd, jd, mjd; without "
        "it a csv is searched in its own time numbers (epochs then are not BJDs)",
    )
    p.add_argument(
        "--period-min",
        type=float,
        default=None,
        metavar="DAYS",
        help="shortest period searched (default 0.5 d)",
    )
    p.add_argument(
        "--period-max",
        type=float,
        default=None,
        metavar="DAYS",
        help="longest period searched (default: half the light curve's time span)",
    )
    p.set_defaults(func=run)


def run(args) -> int:
    from ..analyzer import planet_hunter
    from ..exceptions import SpacekitError
    from ._contract import file_error

    status = 0
    for path in args.paths:
        try:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                res = planet_hunter(
                    path,
                    max_planets=args.max_planets,
                    engine=args.engine,
                    time_format=args.time_format,
                    period_min=args.period_min,
                    period_max=args.period_max,
                )
            for w in caught:
                if w.category.__name__ == "NoTimeSystemWarning":
                    msg = str(w.message).replace("Pass time_format=", "Pass --time-format")
                    print(f"spacekit hunt: warning: {msg}", file=sys.stderr)
                else:
                    warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
        except SpacekitError as exc:
            print(file_error("hunt", path, exc), file=sys.stderr, flush=True)
            status = 1
            continue
        rec = res.to_dict()
        rec["file"] = str(path)
        if args.json:
            print(json.dumps(rec), flush=True)
        else:
            for line in _text_lines(str(path), rec):
                print(line, flush=True)
    return status


def _text_lines(path: str, rec: dict) -> list[str]:
    """The text output for one file: a line per planet found, or the best signal's line."""
    system = rec["time_system"] if rec["time_system"] != "relative" else "(file's time numbers)"

    def values(p: dict) -> str:
        flag = "DETECTED" if p["detected"] else "not detected"
        return (
            f"P={p['period']:.6f} d  epoch={p['epoch']:.5f} {system}  "
            f"duration={p['duration'] * 24:.2f} h  depth={p['depth'] * 1e6:.0f} ppm  "
            f"SNR={p['snr']:.1f}  significance={p['peak_significance']:.1f}  {flag}"
        )

    planets = rec["planets"]
    if not planets:
        failed = f" (fails: {', '.join(rec['failed'])})" if rec["failed"] else ""
        return [f"{path}: no planet detected; best signal: {values(rec)}{failed}"]
    lines = []
    for i, planet in enumerate(planets, 1):
        line = f"{path}: planet {i} of {len(planets)}: {values(planet)}"
        if planet["period_aliases"]:
            others = ", ".join(f"{a:.6f}" for a in planet["period_aliases"])
            line += f"; or P={others} d (only some of its transits fell on data)"
        lines.append(line)
    return lines
