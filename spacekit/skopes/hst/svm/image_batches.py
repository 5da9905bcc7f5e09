"""Frames for a folder of visits: every drizzled image the SVM pipeline wrote, in one ``.npz``.

:func:`find_drizzles` lists the total-detection (or per-filter) drizzled images under a folder
of visits; :func:`build_image_arrays` renders each with :func:`~.images.render_frames` and the
catalogs found beside it, into the ``(n, 3, 128, 128, 3)`` arrays that
:func:`~.images.load_image_arrays` and ``svm.train(..., images=)`` read.
"""

from __future__ import annotations

import logging
import os
import re
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ....exceptions import DataNotFoundError, FormatError, InputError
from .images import FRAME_SIZE, render_frames

__all__ = ["find_drizzles", "build_image_arrays"]

log = logging.getLogger(__name__)

#: ``hst_<proposal>_<visit>_<instrument>_<detector>_<filter or "total">_<ipppss>_dr[zc].fits``
_DRIZZLE_NAME = re.compile(
    r"^(?P<stem>hst_(?P<prop>[0-9a-z]+)_(?P<visit>[0-9a-z]+)_(?P<instr>[0-9a-z]+)_"
    r"(?P<det>[0-9a-z]+)_(?P<level>[0-9a-z-]+)_(?P<ipppss>[0-9a-z]+))_dr[zc]\.fits$",
    re.IGNORECASE,
)


def find_drizzles(input_dir: str | os.PathLike, *, level: str = "total") -> pd.DataFrame:
    """List the drizzled images of a folder of visits, one row per image.

    SVM products are looked for in ``input_dir`` and in its subfolders (one per visit, as
    the pipeline writes them): ``hst_<prop>_<visit>_<instr>_<det>_total_<ipppss>_drz.fits``
    (total detection) and ``hst_..._<det>_<filter>_<ipppss>_drz.fits`` (one per filter;
    ``_drc`` as well).

    Parameters
    ----------
    input_dir : path
        A folder of visit folders (or of drizzled images).
    level : {"total", "filter", "all"}
        Total-detection images, per-filter images, or both.

    Returns
    -------
    DataFrame
        Columns ``index`` (the image name without ``_drz.fits``: the SVM table's ``index``
        for a total image), ``path``, ``folder``, ``detector``, ``filter`` (``"total"`` for
        total images) and ``total`` (the name of the visit's total image for the same
        detector).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp()) / "ibfn01"
    >>> d.mkdir()
    >>> for f in ("total", "f110w"):
    ...     _ = (d / f"hst_12109_01_wfc3_ir_{f}_ibfn01_drz.fits").write_bytes(b"")
    >>> find_drizzles(d.parent, level="all")[["index", "filter"]].values.tolist()
    [['hst_12109_01_wfc3_ir_f110w_ibfn01', 'f110w'], ['hst_12109_01_wfc3_ir_total_ibfn01', 'total']]
    """
    if level not in ("total", "filter", "all"):
        raise InputError(f"level must be 'total', 'filter' or 'all', got {level!r}")
    root = Path(input_dir)
    if not root.is_dir():
        raise DataNotFoundError(
            f"{root} is not a folder; expected a folder of SVM visit folders holding "
            "hst_*_total_*_drz.fits images"
        )
    rows = []
    for path in sorted([*root.glob("*.fits"), *root.glob("*/*.fits")]):
        m = _DRIZZLE_NAME.match(path.name)
        if m is None:
            continue
        filt = m["level"].lower()
        if (level == "total" and filt != "total") or (level == "filter" and filt == "total"):
            continue
        total = "_".join(
            [f"hst_{m['prop']}", m["visit"], m["instr"], m["det"], "total", m["ipppss"]]
        ).lower()
        rows.append(
            {
                "index": m["stem"].lower(),
                "path": path,
                "folder": path.parent,
                "detector": m["det"].lower(),
                "filter": filt,
                "total": total,
            }
        )
    return pd.DataFrame(rows, columns=["index", "path", "folder", "detector", "filter", "total"])


def _read_catalog(path: Path, max_flag: int | None) -> pd.DataFrame:
    """An .ecsv source catalog as a DataFrame, without sources flagged above ``max_flag``."""
    from astropy.table import Table

    try:
        frame = Table.read(path, format="ascii.ecsv").to_pandas()
    except Exception as exc:  # astropy raises many kinds for a bad table
        raise FormatError(f"{path} is not a readable .ecsv catalog: {exc}") from None
    flag_cols = [c for c in frame.columns if "flags" in str(c).lower()]
    if max_flag is not None and flag_cols:
        flags = frame[flag_cols].apply(pd.to_numeric, errors="coerce").fillna(100).min(axis=1)
        frame = frame[flags <= max_flag]
    return frame


def _catalogs_for(row: Any, max_flag: int | None) -> dict[str, Any]:
    """The point, segment and Gaia catalogs beside a drizzled image (None when absent)."""
    folder, total = Path(row["folder"]), row["total"]
    found: dict[str, Any] = {}
    for name in ("point", "segment"):
        path = folder / f"{total}_{name}-cat.ecsv"
        found[name] = _read_catalog(path, max_flag) if path.is_file() else None
    refs = sorted(folder.glob("*ref_cat.ecsv"))
    mine = [p for p in refs if f"_{row['detector']}_" in p.name.lower()] or refs
    found["gaia"] = _read_catalog(mine[0], None) if mine else None
    return found


def build_image_arrays(
    input_dir: str | os.PathLike,
    *,
    level: str = "total",
    output: str | os.PathLike | None = None,
    size: int = FRAME_SIZE,
    max_flag: int | None = 5,
    errors: str = "skip",
    progress: bool | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Render the three model frames of every visit under a folder (batch image builder).

    For each drizzled image :func:`find_drizzles` lists, the plain, catalog-overlay and Gaia
    frames are drawn by :func:`render_frames` with the catalogs found beside it:
    ``<total>_point-cat.ecsv`` and ``<total>_segment-cat.ecsv`` (the visit's total-detection
    catalogs, also used for its per-filter images) and the Gaia reference catalog
    ``*_<detector>_*ref_cat.ecsv``. Sources flagged above ``max_flag`` are not drawn
    (upstream's images left them out too). A missing catalog leaves its marks out.

    Parameters
    ----------
    input_dir : path
        A folder of visit folders, as the SVM pipeline writes them.
    level : {"total", "filter", "all"}
        Total-detection images (the model's input), one stack per filter image, or both.
    output : path, optional
        Also write ``index`` and ``images`` to this ``.npz`` (atomically, no pickle), the
        format :func:`load_image_arrays` and ``svm.train(..., images=)`` read.
    size : int
        Frame side in pixels.
    max_flag : int or None
        Largest source-catalog flag drawn (None: all sources).
    errors : {"skip", "raise"}
        What an unreadable image does: logged and left out, or raised.
    progress : bool, optional
        Progress bar over images (default: the global setting).

    Returns
    -------
    (numpy.ndarray, numpy.ndarray)
        ``index`` (str, one name per image) and ``images`` (float32,
        ``(n, 3, size, size, 3)``, values 0-255).

    Raises
    ------
    DataNotFoundError
        When the folder holds no drizzled image of the requested level.

    Examples
    --------
    >>> index, images = build_image_arrays("svm_visits/", output="images.npz")  # doctest: +SKIP
    >>> index, images = build_image_arrays("svm_visits/", level="filter")  # doctest: +SKIP
    """
    from ....utils import atomic_write
    from ....utils.progress import progress as progress_bar

    if errors not in ("skip", "raise"):
        raise InputError(f"errors must be 'skip' or 'raise', got {errors!r}")
    table = find_drizzles(input_dir, level=level)
    if table.empty:
        raise DataNotFoundError(
            f"no {'' if level == 'all' else level + ' '}drizzled images "
            "(hst_<prop>_<visit>_<instr>_<det>_<filter|total>_<ipppss>_drz.fits) in "
            f"{input_dir} or its subfolders"
        )
    names, stacks, skipped = [], [], []
    for row in progress_bar(
        table.to_dict("records"), desc="SVM images", enabled=progress, unit="image"
    ):
        try:
            cats = _catalogs_for(row, max_flag)
            frames = render_frames(row["path"], size=size, **cats)
        except (FormatError, InputError, DataNotFoundError) as exc:
            if errors == "raise":
                raise type(exc)(f"{row['index']}: {exc}") from None
            log.warning("left out %s: %s", row["index"], exc)
            skipped.append(row["index"])
            continue
        names.append(row["index"])
        stacks.append(frames)
    if not stacks:
        raise DataNotFoundError(
            f"none of the {len(table)} drizzled images in {input_dir} could be rendered "
            f"(e.g. {skipped[:3]}); see the log for why"
        )
    if skipped:
        log.warning("%d of %d images left out: %s", len(skipped), len(table), skipped[:5])
    index = np.asarray(names, dtype=str)
    images = np.stack(stacks).astype(np.float32)
    if output is not None:
        out = Path(output)
        if out.suffix != ".npz":
            out = out.with_suffix(".npz")
        with atomic_write(out, "wb") as fh:
            np.savez_compressed(fh, index=index, images=images)
    return index, images
