"""The K2 training-set builder: real light-curve windows, injected transits, synthetic noise.

:func:`build_training_set` writes a Kaggle-format flux table (see
:mod:`spacekit.skopes.k2.kaggle`) from

1. **real noise**: windows of ``length`` (3,197) consecutive valid cadences cut at the
   light curves' **native cadence** (no binning; overlapping every ``step`` cadences) from the
   shared Kepler/K2/TESS light curves (``DEFAULT_STARS``) and any the user supplies, with the
   known planets' transits masked (ephemerides from
   :func:`spacekit.analyzer.planet_hunter`, or given) — label 1, kind ``real_noise``; as many
   copies (original, time-reversed, rolled) as injected ones, so each star's windows are
   balanced;
2. **injected transits** into those masked windows (batman, limb-darkened; ranges in
   :data:`spacekit.skopes.k2.inject.TRANSIT_RANGES`) — label 2, kind ``real_injected``;
3. **real transits**: the unmasked windows of planet hosts that hold a known transit —
   label 2, kind ``real_transit`` (never injected);
4. **synthetic noise** from the generators of :mod:`spacekit.skopes.k2.noise` (white, red
   noise, stellar variability, flares, mixed) at the real cadences — half of them with an
   injected transit (kinds ``synthetic_noise`` / ``synthetic_injected``).

Each window's ``group`` is its star (``real_*``) or ``synthetic-<k>`` (the generator seed's
group), which the leave-one-star-out evaluation splits on. Everything is deterministic given
``seed``: each window draws from its own ``numpy.random.default_rng([seed, ...])`` stream.

Examples
--------
>>> import pandas as pd
>>> fracs = composition(pd.DataFrame({"kind": ["real_noise", "synthetic_noise"]}))
>>> fracs["real_noise_fraction"]
0.5
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ...exceptions import DataNotFoundError, InputError
from ...utils.checks import seed_number
from ...utils.files import file_sha256
from ...utils.progress import progress
from ...utils.runs import read_json, write_json
from .ephemerides import (  # noqa: F401  (importable from here too)
    _planet_ephemeris,
    _quantity_days,
    _time_jd,
    find_ephemerides,
)
from .inject import (  # noqa: F401  (importable from here too)
    TRANSIT_RANGES,
    draw_transit,
    inject_transit,
    transit_snr,
)
from .kaggle import meta_path, write_flux_table
from .noise import (  # noqa: F401  (importable from here too)
    CADENCES_MIN,
    NOISE_KINDS,
    NOISE_RANGES,
    robust_scatter,
    synthetic_window,
)
from .trainset_windows import (  # noqa: F401  (importable from here too)
    _rng,
    _tag,
    _transit_row,
    segment_windows,
    synthetic_windows,
)
from .window_snr import _injected_mask, _relative_rows, snr_definitions  # noqa: F401
from .windows import (  # noqa: F401  (importable from here too)
    Ephemeris,
    in_transit,
    mask_transits,
    window_starts,
)

__all__ = [
    "DEFAULT_STARS",
    "KAGGLE_LENGTH",
    "StarSpec",
    "TrainingSet",
    "build_training_set",
    "composition",
    "find_ephemerides",
    "load_star",
    "snr_definitions",
]

log = logging.getLogger(__name__)

#: Window length of the Kaggle K2 table (cadences).
KAGGLE_LENGTH = 3197

KINDS = ("real_noise", "real_injected", "real_transit", "synthetic_noise", "synthetic_injected")


@dataclass
class StarSpec:
    """A star whose light curves feed the builder.

    Parameters
    ----------
    name : str
        The star (one leave-one-star-out group).
    sources : list
        Registered dataset names (``spacekit.datasets``), light-curve file paths, or
        :class:`~spacekit.transformer.LightCurve` objects; each is one segment.
    max_planets : int
        How many planets ``planet_hunter`` looks for to mask (0: a star with no known planet).
    ephemerides : list of Ephemeris, optional
        Known transits (epoch in JD); when given, ``planet_hunter`` is not run.
    read_kwargs : dict
        Passed to :func:`~spacekit.transformer.read_lightcurve` for file paths (e.g.
        ``{"time_format": "bkjd"}`` for a csv).
    """

    name: str
    sources: list = field(default_factory=list)
    max_planets: int = 0
    ephemerides: list | None = None
    read_kwargs: dict = field(default_factory=dict)


#: The shared real light curves (``spacekit.datasets`` names) and how many planets to mask.
DEFAULT_STARS: tuple[StarSpec, ...] = (
    StarSpec("K2-3", ["lc_k2_3"], max_planets=3),
    StarSpec("WASP-126", ["lc_wasp_126"], max_planets=1),
    StarSpec("HAT-P-7", ["lc_hat_p_7"], max_planets=1),
    StarSpec("Kepler-90", ["lc_kepler_90_q3", "lc_kepler_90_q4", "lc_kepler_90_q5"], max_planets=2),
    StarSpec("KIC 10002792", ["lc_kic_10002792"], max_planets=0),
)


@dataclass
class TrainingSet:
    """What :func:`build_training_set` wrote.

    Parameters
    ----------
    path : pathlib.Path
        The Kaggle-format csv.
    meta_path : pathlib.Path
        Its per-window metadata csv.
    summary : dict
        Parameters, counts by kind and star, real-noise fraction, ephemerides (also in
        ``build.json`` beside the csv).
    """

    path: Path
    meta_path: Path
    summary: dict

    @property
    def meta(self) -> pd.DataFrame:
        """The per-window metadata."""
        return pd.read_csv(self.meta_path)


def _lightcurve_of(source: Any, read_kwargs: Mapping) -> Any:
    """A LightCurve from a dataset name, a file path or a LightCurve."""
    if hasattr(source, "time") and hasattr(source, "flux"):
        return source
    path = Path(str(source))
    if path.suffix or path.exists():
        from ...transformer import read_lightcurve

        return read_lightcurve(path, **dict(read_kwargs))
    from ...datasets import load

    return load(str(source))


def _arrays(lc: Any) -> tuple[np.ndarray, np.ndarray]:
    """Times (JD) and median-normalised flux of the finite cadences of a light curve."""
    t = np.asarray(lc.time.jd, dtype=float)
    f = np.asarray(getattr(lc.flux, "value", lc.flux), dtype=float)
    keep = np.isfinite(t) & np.isfinite(f)
    t, f = t[keep], f[keep]
    order = np.argsort(t, kind="stable")
    t, f = t[order], f[order]
    if f.size == 0:
        raise InputError("a light curve has no finite flux; check its quality mask and flux column")
    med = np.median(f)
    if not med > 0:
        raise InputError(
            f"a light curve has median flux {med}; expected positive fluxes (not "
            "already-normalised deviations)"
        )
    return t, f / med


def load_star(star: StarSpec) -> list[tuple[np.ndarray, np.ndarray, Any]]:
    """Load a star's segments as ``(time_jd, normalised_flux, lightcurve)`` tuples.

    Parameters
    ----------
    star : StarSpec
        The star.

    Returns
    -------
    list of (numpy.ndarray, numpy.ndarray, LightCurve)
        One tuple per segment.

    Examples
    --------
    >>> segs = load_star(DEFAULT_STARS[0])  # doctest: +SKIP
    >>> len(segs[0][0])  # doctest: +SKIP
    3632
    """
    out = []
    for source in star.sources:
        lc = _lightcurve_of(source, star.read_kwargs)
        t, f = _arrays(lc)
        out.append((t, f, lc))
    return out


def composition(meta: pd.DataFrame) -> dict:
    """Counts of windows by kind and the fraction whose noise is real.

    Parameters
    ----------
    meta : pandas.DataFrame
        Per-window metadata (``kind``, ``noise``).

    Returns
    -------
    dict
        Counts by kind and the real-noise fraction.

    Examples
    --------
    >>> import pandas as pd
    >>> composition(pd.DataFrame({"kind": ["real_injected", "synthetic_injected"]}))["n_windows"]
    2
    """
    counts = {k: int((meta["kind"] == k).sum()) for k in KINDS}
    n = int(len(meta))
    real = counts["real_noise"] + counts["real_injected"] + counts["real_transit"]
    return {
        "n_windows": n,
        "counts": counts,
        "n_planet": int(
            counts["real_injected"] + counts["real_transit"] + counts["synthetic_injected"]
        ),
        "real_noise_fraction": float(real / n) if n else float("nan"),
        "synthetic_noise_fraction": float(1 - real / n) if n else float("nan"),
    }


def build_training_set(
    output: str | os.PathLike,
    *,
    stars: Sequence[StarSpec] | None = None,
    length: int = KAGGLE_LENGTH,
    step: int | None = None,
    injections_per_window: int = 2,
    negatives_per_window: int | None = None,
    n_synthetic: int = 400,
    synthetic_groups: int | None = None,
    include_real_transits: bool = True,
    transit_ranges: Mapping[str, tuple[float, float]] | None = None,
    mask_factor: float = 1.5,
    seed: int = 0,
    hunt_kwargs: Mapping[str, Any] | None = None,
    show_progress: bool | None = None,
) -> TrainingSet:
    """Build a K2-style training set and write it in the Kaggle format.

    Parameters
    ----------
    output : str or os.PathLike
        The csv to write (``.csv``), or a folder to write ``k2-train.csv`` into. The metadata
        goes to ``<stem>.meta.csv`` and a summary to ``<stem>.build.json`` beside it.
    stars : sequence of StarSpec, optional
        Real light curves to use (default :data:`DEFAULT_STARS`, the shared Kepler/K2/TESS
        light curves). Pass ``[]`` for a purely synthetic set.
    length : int
        Window length in cadences (3,197 = Kaggle), cut at native cadence.
    step : int, optional
        Spacing of real window starts (default ``length // 8``: overlapping windows).
    injections_per_window : int
        Transits injected, one per copy, into each masked real window.
    negatives_per_window : int, optional
        "No transit" copies of each masked real window (default: ``injections_per_window``,
        so real-noise windows are balanced): the window itself, then time-reversed, then
        circularly rolled by a random offset.
    n_synthetic : int
        Synthetic windows (half with an injected transit).
    synthetic_groups : int, optional
        Number of ``synthetic-<k>`` groups (default: the number of stars, at least 1).
    include_real_transits : bool
        Add the planet hosts' unmasked windows holding known transits (label 2).
    transit_ranges : mapping, optional
        Overrides of :data:`~spacekit.skopes.k2.inject.TRANSIT_RANGES`.
    mask_factor : float
        Mask this many durations around each known mid-transit.
    seed : int
        Makes the whole set reproducible.
    hunt_kwargs : mapping, optional
        Passed to ``planet_hunter`` when ephemerides are searched for.
    show_progress : bool, optional
        Progress bar over stars and synthetic windows (None follows ``conf.progress``).

    Returns
    -------
    TrainingSet

    Examples
    --------
    >>> import tempfile
    >>> ts = build_training_set(tempfile.mkdtemp(), stars=[], length=200, n_synthetic=6,
    ...                         show_progress=False)
    >>> ts.summary["composition"]["n_windows"]
    6
    """
    seed = seed_number(seed)
    length, step, stars, path, n_groups = _checked_build_args(
        output,
        stars,
        length,
        step,
        n_synthetic,
        injections_per_window,
        negatives_per_window,
        synthetic_groups,
        mask_factor,
    )
    n_neg = int(injections_per_window if negatives_per_window is None else negatives_per_window)
    rows: list[dict] = []
    windows: list[np.ndarray] = []
    ephem_report: dict[str, list] = {}

    def add(flux: np.ndarray, label: int, info: dict) -> None:
        windows.append(np.asarray(flux, dtype=float))
        rows.append({"label": label, **info})

    for star in progress(stars, desc="k2 stars", enabled=show_progress):
        ephem_report[star.name] = _star_windows(
            add,
            star,
            hunt_kwargs,
            length=length,
            step=step,
            n_neg=n_neg,
            injections_per_window=injections_per_window,
            include_real_transits=include_real_transits,
            transit_ranges=transit_ranges,
            mask_factor=mask_factor,
            seed=seed,
        )
    synthetic_windows(
        add,
        n_synthetic,
        length=length,
        n_groups=n_groups,
        transit_ranges=transit_ranges,
        seed=seed,
        show_progress=show_progress,
    )
    if not windows:
        raise InputError("no window was built: pass stars with light curves or n_synthetic > 0")
    meta = pd.DataFrame(rows)
    meta.insert(0, "window", np.arange(len(meta)))
    X = np.stack(windows)
    y = meta["label"].to_numpy()
    write_flux_table(path, X, y, meta=meta, ppm=True)
    summary = {
        "format": "kaggle-k2 (LABEL 2 planet / 1 none, FLUX.1..FLUX.n in ppm of window median)",
        "length": length,
        "cadence": "native (no binning)",
        "step": step,
        "seed": int(seed),
        "stars": [s.name for s in stars],
        "injections_per_window": int(injections_per_window),
        "negatives_per_window": int(
            injections_per_window if negatives_per_window is None else negatives_per_window
        ),
        "n_synthetic": int(n_synthetic),
        "synthetic_groups": n_groups,
        "transit_ranges": {**TRANSIT_RANGES, **dict(transit_ranges or {})},
        "noise_ranges": NOISE_RANGES,
        "noise_kinds": list(NOISE_KINDS),
        "synthetic_cadences_min": list(CADENCES_MIN),
        "mask_factor": mask_factor,
        "ephemerides_jd": ephem_report,
        "composition": composition(meta),
        "windows_per_group": {str(k): int(v) for k, v in meta["group"].value_counts().items()},
        "sha256": file_sha256(path),
    }
    write_json(_summary_path(path), summary)
    return TrainingSet(path=path, meta_path=meta_path(path), summary=summary)


def _checked_build_args(
    output: str | os.PathLike,
    stars: Sequence[StarSpec] | None,
    length: int,
    step: int | None,
    n_synthetic: int,
    injections_per_window: int,
    negatives_per_window: int | None,
    synthetic_groups: int | None,
    mask_factor: float,
) -> tuple[int, int, list[StarSpec], Path, int]:
    """``(length, step, stars, csv path, synthetic groups)``, checked (InputError if not)."""
    length = int(length)
    if length < 64:
        raise InputError(f"expected a window length of at least 64 cadences, got {length}")
    step = max(1, length // 8) if step is None else int(step)
    counts = {
        "n_synthetic": n_synthetic,
        "injections_per_window": injections_per_window,
        "negatives_per_window": negatives_per_window,
    }
    for key, value in counts.items():
        if value is not None and int(value) < 0:
            raise InputError(f"expected {key} >= 0, got {value}")
    if synthetic_groups is not None and int(synthetic_groups) < 1:
        raise InputError(
            f"expected synthetic_groups >= 1 (or None: one per star), got {synthetic_groups}"
        )
    if not float(mask_factor) > 0:
        raise InputError(
            f"expected mask_factor > 0 (durations masked around each transit), got {mask_factor}"
        )
    stars = list(DEFAULT_STARS if stars is None else stars)
    names = [s.name for s in stars]
    if len(set(names)) != len(names):
        raise InputError(f"star names must be unique (they are evaluation groups), got {names}")
    output = Path(output)
    if output.suffix.lower() in (".gz", ".zip", ".bz2", ".xz"):
        raise InputError(
            f"{output}: the set is written as a plain csv (with its .meta.csv and .build.json "
            f"beside it); pass a name ending in .csv or a folder, and compress it afterwards"
        )
    path = output if output.suffix == ".csv" else output / "k2-train.csv"
    return length, step, stars, path, int(synthetic_groups or max(1, len(stars)))


def _star_windows(
    add: Any, star: StarSpec, hunt_kwargs: Mapping[str, Any] | None, **settings: Any
) -> list[dict]:
    """Add a star's windows (``settings``: :func:`segment_windows`'); return its ephemerides."""
    segments = load_star(star)
    if star.ephemerides is not None:
        ephem = [e if isinstance(e, Ephemeris) else Ephemeris(**e) for e in star.ephemerides]
    else:
        ephem = find_ephemerides(
            [lc for _, _, lc in segments], max_planets=star.max_planets, **dict(hunt_kwargs or {})
        )
    n_star = 0
    for j, (t, f, _lc) in enumerate(segments):
        n = segment_windows(add, star.name, j, t, f, ephem, **settings)
        if n == 0:
            length = settings["length"]
            log.info("%s segment %d has %d cadences < %d: no window", star.name, j, t.size, length)
        n_star += n
    if n_star == 0:
        raise InputError(
            f"star {star.name!r} gave no window of {settings['length']} cadences (segments of "
            f"{[len(s[0]) for s in segments]} cadences); pass a longer light curve or a "
            "shorter length"
        )
    return [e.__dict__ for e in ephem]


def _summary_path(path: Path) -> Path:
    return meta_path(path).with_name(meta_path(path).name.replace(".meta.csv", ".build.json"))


def read_build_summary(path: str | os.PathLike) -> dict:
    """The ``build.json`` summary written beside a built flux table.

    Parameters
    ----------
    path : path
        The flux table written by :func:`build_training_set`.

    Returns
    -------
    dict
        The summary.

    Raises
    ------
    DataNotFoundError
        The table has no summary beside it.

    Examples
    --------
    >>> read_build_summary("missing.csv")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    spacekit.exceptions.DataNotFoundError: missing.build.json does not exist: ...
    """
    p = _summary_path(Path(path))
    if not p.exists():
        raise DataNotFoundError(f"{p} does not exist: {path} was not made by build_training_set")
    return read_json(p)


def load_kaggle_table(split: str = "train") -> tuple[np.ndarray, np.ndarray, None]:
    """The Kaggle K2 table (``k2_exoplanet_train``/``_test`` in :mod:`spacekit.datasets`).

    Fetched from the local mirror or its public source (Zenodo record 14941394) and read
    with :func:`~spacekit.skopes.k2.read_flux_table_with_meta`.

    Parameters
    ----------
    split : {"train", "test"}
        Which table.

    Returns
    -------
    X, y, None
        Flux windows (5,087 x 3,197 for train), labels (1 = planet), no metadata.

    Examples
    --------
    >>> X, y, _ = load_kaggle_table("train")  # doctest: +SKIP
    >>> X.shape  # doctest: +SKIP
    (5087, 3197)
    """
    if split not in ("train", "test"):
        raise InputError(f"expected split 'train' or 'test', got {split!r}")
    from ...datasets import fetch
    from .kaggle import read_flux_table_with_meta

    X, y, _ = read_flux_table_with_meta(fetch(f"k2_exoplanet_{split}"))
    return X, y, None
