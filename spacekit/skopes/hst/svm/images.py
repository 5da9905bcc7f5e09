"""Render the three 128×128 RGB frames the SVM ensemble takes, and grow the misaligned class.

A visit's image input is an array of shape ``(3, size, size, 3)`` with values 0-255
(float32), the format of ``svm_img_pred_2samples.npz``:

0. the drizzled total-detection image (area-averaged to the frame size, then an asinh
   stretch between its 1st and 99.5th percentiles; grey);
1. the same with the point (red) and segment (blue) source catalogs drawn over it;
2. the same with the Gaia catalog (cyan) drawn over it.

Catalog positions come from ``ra``/``dec`` columns through the image's WCS, or from
``x``/``y`` pixel columns (0-based). When the mosaic's WCS is right, the Gaia marks sit on
the sources; :func:`synthetic_misalignment` shifts the Gaia catalog by a chosen offset and
re-renders, imitating a misaligned visit.

For many visits at once, :func:`build_image_arrays` renders every total-detection (or
per-filter) drizzled image under a folder of visits into one ``.npz`` in the same format;
:func:`synthetic_image_set` and :func:`misalignment_demo` make misaligned copies of
already-rendered visits and train the ensemble on them (a demonstration: see its limits).

Examples
--------
>>> import numpy as np
>>> from astropy.wcs import WCS
>>> w = WCS(naxis=2); w.wcs.ctype = ["RA---TAN", "DEC--TAN"]; w.wcs.crval = [10, 20]
>>> w.wcs.crpix = [32, 32]; w.wcs.cdelt = [-1e-5, 1e-5]
>>> img = np.random.default_rng(0).normal(size=(64, 64))
>>> render_frames(img, wcs=w).shape
(3, 128, 128, 3)
"""

from __future__ import annotations

import logging
import os
import re
import zipfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ....exceptions import DataNotFoundError, FormatError, InputError

__all__ = [
    "FRAME_SIZE",
    "load_image",
    "render_frames",
    "save_frames_png",
    "shift_catalog",
    "synthetic_misalignment",
    "validate_image_stack",
    "load_image_arrays",
    "find_drizzles",
    "build_image_arrays",
    "shift_overlay",
    "synthetic_image_set",
    "misalignment_demo",
]

log = logging.getLogger(__name__)

FRAME_SIZE = 128
POINT_COLOR = (255.0, 0.0, 0.0)
SEGMENT_COLOR = (0.0, 0.0, 255.0)
GAIA_COLOR = (0.0, 255.0, 255.0)


def load_image(path: str | os.PathLike, *, hdu: int | str | None = None):
    """Read a drizzled image and its celestial WCS from a FITS file.

    Uses the ``SCI`` extension when there is one, else the first HDU with 2-D data.

    Returns
    -------
    (numpy.ndarray, astropy.wcs.WCS)

    Raises
    ------
    DataNotFoundError
        The file does not exist.
    FormatError
        The file is not a readable FITS file (it is opened by :func:`spacekit.io.open_fits`)
        or holds no 2-D image.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from astropy.io import fits
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "x_drz.fits"
    >>> wcs_keys = {"CTYPE1": "RA---TAN", "CTYPE2": "DEC--TAN", "CRVAL1": 10.0, "CRVAL2": 20.0}
    >>> sci = fits.ImageHDU(np.ones((4, 6)), header=fits.Header(wcs_keys), name="SCI")
    >>> fits.HDUList([fits.PrimaryHDU(), sci]).writeto(p)
    >>> data, wcs = load_image(p)
    >>> data.shape, wcs.wcs.crval.tolist()
    ((4, 6), [10.0, 20.0])
    """
    from astropy.wcs import WCS

    from ....io import open_fits

    path = Path(path)
    if not os.path.isfile(path):
        raise DataNotFoundError(f"drizzled image {path} does not exist")
    with open_fits(path) as hdul:
        if hdu is None:
            names = [h.name for h in hdul]
            if "SCI" in names:
                hdu = "SCI"
            else:
                hdu = next(
                    (i for i, h in enumerate(hdul) if h.data is not None and h.data.ndim == 2),
                    None,
                )
                if hdu is None:
                    raise FormatError(f"{path} holds no 2-D image; expected a drizzled image")
        data = np.asarray(hdul[hdu].data, dtype=float)
        wcs = WCS(hdul[hdu].header).celestial
    if data.ndim != 2:
        raise FormatError(f"{path}: expected a 2-D image, found shape {data.shape}")
    return data, wcs


def _limits(data: np.ndarray) -> tuple[float, float]:
    """The 1st and 99.5th percentiles of the finite pixels (from at most ~1M of them)."""
    finite = data[np.isfinite(data)]
    if not finite.size:
        return 0.0, 1.0
    step = max(1, finite.size // 1_000_000)
    lo, hi = np.percentile(finite[::step], [1.0, 99.5])
    return float(lo), float(hi if hi > lo else lo + 1.0)


def _stretch(data: np.ndarray, lo: float, hi: float) -> np.ndarray:
    """Map values to 0-255 with an asinh stretch between ``lo`` and ``hi``."""
    scaled = np.clip((data - lo) / (hi - lo), 0.0, 1.0)
    return 255.0 * np.arcsinh(10.0 * scaled) / np.arcsinh(10.0)


def _resample(img: np.ndarray, size: int) -> np.ndarray:
    """Area-average (or repeat, when smaller) ``img`` onto a ``size``×``size`` grid."""
    ny, nx = img.shape
    ys = np.minimum((np.arange(size + 1) * ny) // size, ny)
    xs = np.minimum((np.arange(size + 1) * nx) // size, nx)
    out = np.empty((size, size), dtype=float)
    if ny >= size and nx >= size:
        rows = np.add.reduceat(img, ys[:-1], axis=0) / np.diff(ys)[:, None]
        out = np.add.reduceat(rows, xs[:-1], axis=1) / np.diff(xs)[None, :]
        return out
    yi = np.minimum((np.arange(size) * ny) // size, ny - 1)
    xi = np.minimum((np.arange(size) * nx) // size, nx - 1)
    return img[np.ix_(yi, xi)]


def _catalog_pixels(catalog: Any, wcs: Any, shape: tuple[int, int], name: str) -> np.ndarray:
    """Return an (n, 2) array of 0-based x, y pixel positions of a catalog."""
    if catalog is None:
        return np.empty((0, 2))
    if isinstance(catalog, (str, os.PathLike)):
        path = Path(catalog)
        if not os.path.isfile(path):
            raise DataNotFoundError(f"{name} catalog {path} does not exist")
        if path.suffix.lower() in {".ecsv", ".fits", ".fit"}:
            from astropy.table import Table

            catalog = Table.read(path).to_pandas()
        else:
            catalog = pd.read_csv(path, sep=None, engine="python")
    if isinstance(catalog, (np.ndarray, list, tuple)):  # pixel positions, one (x, y) per row
        try:
            xy = np.asarray(catalog, dtype=float)
        except (TypeError, ValueError):
            xy = None
        if xy is not None and xy.size == 0:
            return np.empty((0, 2))
        if xy is None or xy.ndim != 2 or xy.shape[1] != 2:
            raise InputError(
                f"the {name} catalog as an array must hold (x, y) pixel positions as numbers, "
                f"shape (n, 2); got shape {np.shape(catalog)}. Otherwise pass a DataFrame or "
                "Table with 'ra'/'dec' or 'x'/'y' columns"
            )
        return xy
    if not isinstance(catalog, pd.DataFrame):
        if hasattr(catalog, "to_pandas"):
            catalog = catalog.to_pandas()
        else:
            catalog = pd.DataFrame(catalog)
    cols = {str(c).lower(): c for c in catalog.columns}
    ra_c = cols.get("ra") or cols.get("ra_icrs")
    dec_c = cols.get("dec") or cols.get("de_icrs") or cols.get("dec_icrs")
    if ra_c and dec_c:
        if wcs is None:
            raise InputError(
                f"the {name} catalog has RA/Dec but no WCS was given; pass wcs= or a FITS path"
            )
        x, y = wcs.all_world2pix(catalog[ra_c].to_numpy(float), catalog[dec_c].to_numpy(float), 0)
        return np.column_stack([x, y])
    x_c, y_c = cols.get("x"), cols.get("y")
    if x_c and y_c:
        return catalog[[x_c, y_c]].to_numpy(float)
    raise InputError(
        f"the {name} catalog needs 'ra'/'dec' or 'x'/'y' columns; found {list(catalog.columns)}"
    )


def _draw(frame: np.ndarray, xy: np.ndarray, shape: tuple[int, int], color, radius: int) -> None:
    """Draw a small ring at each position (scaled from image to frame pixels)."""
    size = frame.shape[0]
    ny, nx = shape
    if not len(xy):
        return
    px = np.round((xy[:, 0] + 0.5) * size / nx - 0.5).astype(int)
    py = np.round((xy[:, 1] + 0.5) * size / ny - 0.5).astype(int)
    ang = np.linspace(0, 2 * np.pi, 12, endpoint=False)
    dx = np.round(radius * np.cos(ang)).astype(int)
    dy = np.round(radius * np.sin(ang)).astype(int)
    xs = (px[:, None] + dx[None, :]).ravel()
    ys = (py[:, None] + dy[None, :]).ravel()
    ok = (xs >= 0) & (xs < size) & (ys >= 0) & (ys < size)
    # FITS row 0 is the bottom of the sky image; frames are stored top row first.
    frame[size - 1 - ys[ok], xs[ok], :] = color


def render_frames(
    image: str | os.PathLike | np.ndarray,
    *,
    wcs: Any = None,
    point: Any = None,
    segment: Any = None,
    gaia: Any = None,
    size: int = FRAME_SIZE,
    radius: int = 2,
) -> np.ndarray:
    """Render the plain, catalog-overlay and Gaia-overlay frames of one visit.

    Parameters
    ----------
    image : path or 2-D array
        The drizzled total-detection image (a FITS path brings its own WCS).
    wcs : astropy.wcs.WCS, optional
        Needed when catalogs give RA/Dec and ``image`` is an array.
    point, segment, gaia : DataFrame, astropy Table, path, array or None
        Catalogs with ``ra``/``dec`` (degrees) or ``x``/``y`` (0-based pixels) columns, or an
        (n, 2) array of 0-based x, y pixel positions.
    size : int
        Frame side in pixels (128 for the model).
    radius : int
        Radius of the catalog marks in frame pixels.

    Returns
    -------
    numpy.ndarray
        float32 array of shape ``(3, size, size, 3)``, values 0-255.

    Examples
    --------
    >>> import numpy as np
    >>> frames = render_frames(np.ones((256, 256)), point=pd.DataFrame({"x": [10.], "y": [20.]}))
    >>> frames.shape, bool((frames[1] != frames[0]).any())
    ((3, 128, 128, 3), True)
    """
    if isinstance(image, (str, os.PathLike)):
        data, file_wcs = load_image(image)
        wcs = wcs if wcs is not None else file_wcs
    else:
        data = np.asarray(image, dtype=float)
    if data.ndim != 2 or min(data.shape) < 2:
        raise InputError(f"expected a 2-D image, got an array of shape {data.shape}")
    if int(size) < 8:
        raise InputError(f"size must be at least 8 pixels, got {size}")
    lo, hi = _limits(data)
    # average first (128² values to stretch instead of the full image), NaN counted as lo
    clean = np.where(np.isfinite(data), np.clip(data, lo, hi), lo)
    grey = _stretch(_resample(clean, int(size)), lo, hi)[::-1]  # top row first
    base = np.repeat(grey[:, :, None], 3, axis=2)
    frames = np.stack([base, base.copy(), base.copy()]).astype(np.float32)
    shape = data.shape
    _draw(frames[1], _catalog_pixels(point, wcs, shape, "point"), shape, POINT_COLOR, radius)
    _draw(frames[1], _catalog_pixels(segment, wcs, shape, "segment"), shape, SEGMENT_COLOR, radius)
    _draw(frames[2], _catalog_pixels(gaia, wcs, shape, "Gaia"), shape, GAIA_COLOR, radius)
    return frames


def shift_catalog(catalog: pd.DataFrame, offset_arcsec: float, angle_deg: float) -> pd.DataFrame:
    """Return a copy of a catalog moved by ``offset_arcsec`` towards position angle ``angle_deg``.

    RA/Dec columns are moved on the sky (east of north); x/y columns are moved in pixels
    by the same number (``offset_arcsec`` is then read as pixels).

    Examples
    --------
    >>> cat = pd.DataFrame({"ra": [10.0], "dec": [0.0]})
    >>> round(float(shift_catalog(cat, 3.6, 0.0)["dec"].iloc[0]) * 3600, 6)
    3.6
    """
    out = catalog.copy()
    cols = {c.lower(): c for c in out.columns}
    theta = np.deg2rad(angle_deg)
    if "ra" in cols and "dec" in cols:
        from astropy import units as u
        from astropy.coordinates import SkyCoord

        c = SkyCoord(
            out[cols["ra"]].to_numpy(float) * u.deg, out[cols["dec"]].to_numpy(float) * u.deg
        )
        moved = c.directional_offset_by(angle_deg * u.deg, offset_arcsec * u.arcsec)
        out[cols["ra"]] = moved.ra.deg
        out[cols["dec"]] = moved.dec.deg
    elif "x" in cols and "y" in cols:
        out[cols["x"]] = out[cols["x"]] + offset_arcsec * np.sin(theta)
        out[cols["y"]] = out[cols["y"]] + offset_arcsec * np.cos(theta)
    else:
        raise InputError(f"catalog needs 'ra'/'dec' or 'x'/'y' columns; found {list(out.columns)}")
    return out


def synthetic_misalignment(
    image: str | os.PathLike | np.ndarray,
    *,
    gaia: Any,
    offset_arcsec: float,
    angle_deg: float | None = None,
    wcs: Any = None,
    point: Any = None,
    segment: Any = None,
    seed: int | None = None,
    size: int = FRAME_SIZE,
) -> np.ndarray:
    """Render a visit as if its mosaic were misaligned by ``offset_arcsec``.

    The image and its own point/segment catalogs stay together; the Gaia catalog (the
    truth on the sky) is shifted, as happens when the drizzled image's WCS is off.

    Parameters
    ----------
    offset_arcsec : float
        Size of the shift (arcsec; pixels for x/y catalogs).
    angle_deg : float, optional
        Direction (degrees east of north); random from ``seed`` when None.

    Examples
    --------
    >>> import numpy as np
    >>> g = pd.DataFrame({"x": [30.0], "y": [30.0]})
    >>> a = render_frames(np.ones((64, 64)), gaia=g)
    >>> b = synthetic_misalignment(np.ones((64, 64)), gaia=g, offset_arcsec=10, angle_deg=90)
    >>> bool((a[2] != b[2]).any()), bool((a[0] == b[0]).all())
    (True, True)
    """
    if not np.isfinite(offset_arcsec) or offset_arcsec < 0:
        raise InputError(f"offset_arcsec must be a finite number >= 0, got {offset_arcsec}")
    if angle_deg is None:
        angle_deg = float(np.random.default_rng(seed).uniform(0.0, 360.0))
    if isinstance(image, (str, os.PathLike)):
        data, file_wcs = load_image(image)
        wcs = wcs if wcs is not None else file_wcs
        image = data
    if isinstance(gaia, (str, os.PathLike)) or not isinstance(gaia, pd.DataFrame):
        gaia_df = pd.DataFrame(gaia) if isinstance(gaia, Mapping) else gaia
        if not isinstance(gaia_df, pd.DataFrame):
            xy = _catalog_pixels(gaia, wcs, np.shape(image), "Gaia")
            gaia_df = pd.DataFrame({"x": xy[:, 0], "y": xy[:, 1]})
    else:
        gaia_df = gaia
    moved = shift_catalog(gaia_df, float(offset_arcsec), float(angle_deg))
    return render_frames(image, wcs=wcs, point=point, segment=segment, gaia=moved, size=size)


def validate_image_stack(images: Any, *, n: int | None = None, name: str = "images") -> np.ndarray:
    """Check an SVM image array: shape ``(n, 3, 128, 128, 3)`` (one visit: ``(3, 128, 128, 3)``).

    Returns a float32 array of shape ``(n, 3, 128, 128, 3)``.

    Raises
    ------
    InputError
        Naming ``name``, the shape found and the shape expected.

    Examples
    --------
    >>> validate_image_stack(np.zeros((3, 128, 128, 3))).shape
    (1, 3, 128, 128, 3)
    """
    arr = np.asarray(images, dtype=np.float32)
    if arr.ndim == 4:
        arr = arr[None]
    if arr.ndim != 5 or arr.shape[1:] != (3, FRAME_SIZE, FRAME_SIZE, 3):
        raise InputError(
            f"{name}: expected image arrays of shape (n, 3, {FRAME_SIZE}, {FRAME_SIZE}, 3) "
            f"(three RGB frames per visit, from render_frames), got {np.shape(images)}"
        )
    if n is not None and arr.shape[0] != n:
        raise InputError(f"{name}: expected {n} image stacks (one per visit), got {arr.shape[0]}")
    if not np.isfinite(arr).all():
        raise InputError(f"{name}: image arrays contain NaN or infinite values")
    return arr


def load_image_arrays(path: str | os.PathLike) -> tuple[np.ndarray, np.ndarray]:
    """Read an ``.npz`` of SVM images (keys ``index`` and ``images``) → (index, images).

    Examples
    --------
    >>> # idx, imgs = load_image_arrays("svm_img_pred_2samples.npz")
    """
    path = Path(path)
    if not os.path.isfile(path):
        raise DataNotFoundError(f"image archive {path} does not exist")
    try:
        with (
            open(path, "rb") as fh,
            np.load(fh, allow_pickle=False) as z,
        ):  # our handle: np.load leaks its own on a corrupt zip
            if "index" not in z or "images" not in z:
                raise FormatError(
                    f"{path}: expected arrays 'index' and 'images', found {sorted(z.files)}"
                )
            index = np.asarray(z["index"]).astype(str)
            images = validate_image_stack(z["images"], n=len(index), name=str(path))
    except (OSError, ValueError, EOFError, KeyError, zipfile.BadZipFile) as exc:
        if isinstance(exc, InputError):
            raise
        raise FormatError(
            f"{path} is not a readable .npz archive: {exc} ({type(exc).__name__}); it is "
            "truncated or not an .npz: write it again"
        ) from None
    return index, images


def save_frames_png(frames: np.ndarray, out_dir: str | os.PathLike, stem: str) -> list[Path]:
    """Write the three frames as ``<stem>_{plain,catalogs,gaia}.png`` (atomically).

    Examples
    --------
    >>> import tempfile
    >>> paths = save_frames_png(np.zeros((3, 128, 128, 3)), tempfile.mkdtemp(), "v")
    >>> [p.name for p in paths]
    ['v_plain.png', 'v_catalogs.png', 'v_gaia.png']
    """
    from ....utils import atomic_write, optional_import

    image_mod = optional_import("PIL.Image", "save_frames_png")
    arr = validate_image_stack(frames, n=1)[0]
    out_dir = Path(out_dir)
    paths = []
    for frame, label in zip(arr, ("plain", "catalogs", "gaia"), strict=True):
        path = out_dir / f"{stem}_{label}.png"
        img = image_mod.fromarray(np.clip(frame, 0, 255).astype(np.uint8))
        with atomic_write(path, "wb") as fh:
            img.save(fh, format="PNG")
        paths.append(path)
    return paths


# -- many visits ---------------------------------------------------------------------------
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


# -- synthetic misalignments from rendered frames ---------------------------------------------
def shift_overlay(
    frames: np.ndarray, offset_px: float, angle_deg: float, *, frame: int = 2
) -> np.ndarray:
    """Move the catalog marks of one overlay frame by ``offset_px`` frame pixels.

    Works on rendered stacks alone (no FITS or catalog needed): the marks are the pixels
    where frame ``frame`` differs from the plain frame 0; they are moved (rounded to whole
    pixels, marks leaving the frame are lost) and the plain image shows where they were.
    With the default ``frame=2`` this is a Gaia catalog that no longer sits on its stars:
    what a misaligned visit looks like to the model.

    Parameters
    ----------
    frames : array (3, h, w, 3)
        One visit's stack.
    offset_px : float
        Shift in frame pixels (a 128-pixel frame of an ACS/WFC total mosaic is about 1.6
        arcsec per pixel).
    angle_deg : float
        Direction, degrees from frame-up (0) towards frame-right (90).
    frame : int
        The overlay frame to move (1: point/segment catalogs, 2: Gaia).

    Examples
    --------
    >>> f = np.zeros((3, 8, 8, 3), np.float32); f[2, 4, 4] = (0, 255, 255)
    >>> moved = shift_overlay(f, 2, 90)
    >>> np.argwhere(moved[2].any(axis=-1)).tolist()
    [[4, 6]]
    """
    stack = np.asarray(frames, dtype=np.float32)
    if stack.ndim != 4 or stack.shape[0] < 2 or stack.shape[-1] != 3:
        raise InputError(f"expected one visit's frames (3, h, w, 3), got shape {stack.shape}")
    if frame not in range(1, stack.shape[0]):
        raise InputError(f"frame must be an overlay frame 1..{stack.shape[0] - 1}, got {frame}")
    if not np.isfinite(offset_px) or offset_px < 0:
        raise InputError(f"offset_px must be a finite number >= 0, got {offset_px}")
    out = stack.copy()
    marks = np.argwhere(np.any(stack[frame] != stack[0], axis=-1))
    theta = np.deg2rad(angle_deg)
    dr = int(round(-offset_px * np.cos(theta)))
    dc = int(round(offset_px * np.sin(theta)))
    out[frame] = stack[0]
    if len(marks):
        rows, cols = marks[:, 0] + dr, marks[:, 1] + dc
        h, w = stack.shape[1:3]
        ok = (rows >= 0) & (rows < h) & (cols >= 0) & (cols < w)
        out[frame, rows[ok], cols[ok]] = stack[frame, marks[ok, 0], marks[ok, 1]]
    return out


def _orient(stack: np.ndarray, k: int, flip: bool) -> np.ndarray:
    out = np.rot90(stack, k=k, axes=(1, 2))
    return np.ascontiguousarray(out[:, :, ::-1] if flip else out)


def synthetic_image_set(
    index: Any,
    images: Any,
    *,
    n_variants: int = 16,
    offsets_px: tuple[float, float] = (3.0, 10.0),
    seed: int = 0,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Aligned and misaligned copies of rendered visits, for training and testing the ensemble.

    Each visit gives ``n_variants`` aligned copies (its frames in one of the eight
    flip/rotation orientations, the same for all three frames so the marks stay on their
    stars) and ``n_variants`` misaligned ones (an orientation, then the Gaia marks moved by
    :func:`shift_overlay` by a uniform offset in ``offsets_px`` towards a uniform direction).

    Parameters
    ----------
    index : sequence of str
        Visit names (e.g. from :func:`load_image_arrays`).
    images : array (n, 3, 128, 128, 3)
        Their rendered frames.
    n_variants : int
        Copies per class and visit.
    offsets_px : (float, float)
        Range of the misalignment, in frame pixels.
    seed : int
        Seed of orientations, offsets and directions.

    Returns
    -------
    (names, images, labels, visits)
        ``names`` like ``<visit>_aligned_000`` / ``<visit>_shifted_000``, the stacks
        (float32), labels (0 aligned, 1 misaligned) and the source visit of each copy (the
        group to split on).

    Examples
    --------
    >>> names, imgs, y, visits = synthetic_image_set(["v"], np.zeros((1, 3, 128, 128, 3)),
    ...                                              n_variants=2)
    >>> names.tolist(), y.tolist()
    (['v_aligned_000', 'v_aligned_001', 'v_shifted_000', 'v_shifted_001'], [0, 0, 1, 1])
    """
    from ....utils.checks import whole_number

    index = np.asarray(index).astype(str)
    stacks = validate_image_stack(images, n=len(index))
    n_variants = whole_number(n_variants, "n_variants", minimum=1)
    lo, hi = (float(v) for v in offsets_px)
    if not (0 <= lo <= hi and np.isfinite(hi)):
        raise InputError(f"offsets_px must be (low, high) with 0 <= low <= high, got {offsets_px}")
    rng = np.random.default_rng(seed)
    names, out, labels, visits = [], [], [], []
    for name, stack in zip(index, stacks, strict=True):
        for label, tag in ((0, "aligned"), (1, "shifted")):
            for i in range(n_variants):
                oriented = _orient(stack, int(rng.integers(0, 4)), bool(rng.integers(0, 2)))
                if label:
                    oriented = shift_overlay(
                        oriented, float(rng.uniform(lo, hi)), float(rng.uniform(0, 360))
                    )
                names.append(f"{name}_{tag}_{i:03d}")
                out.append(oriented)
                labels.append(label)
                visits.append(name)
    return (
        np.asarray(names),
        np.stack(out).astype(np.float32),
        np.asarray(labels, dtype=int),
        np.asarray(visits),
    )


def misalignment_demo(
    images: Any,
    table: Any,
    *,
    n_variants: int = 16,
    offsets_px: tuple[float, float] = (3.0, 10.0),
    seed: int = 0,
    fast: bool = False,
    epochs: int | None = None,
    progress: bool | None = None,
) -> dict[str, Any]:
    """Train and evaluate the SVM ensemble on synthetic misalignments of rendered visits.

    A demonstration of the image path on real frames, not a measure of the model: from each
    visit of ``images``, :func:`synthetic_image_set` makes aligned and misaligned copies;
    every copy gets the same tabular input, the mean of the visits' rows of ``table`` (the
    rows are needed by the model's MLP branch; one constant row for every copy, whatever its
    class or visit, so only the images inform the prediction, and a held-out visit's row is
    never outside what training saw). Two evaluations:

    - ``"seen_visits"``: trained on copies of every visit, tested on fresh copies of the
      same visits (another seed): can the network see a Gaia catalog moved off its stars?
    - ``"unseen_visit"``: for each visit, trained on the copies of the others and tested on
      its own (leave one visit out; needs at least two visits): does that carry to a field
      it never saw?

    Limits: two visits (``svm_img_pred_2samples.npz``) are two star fields, so the unseen-visit
    score rests on one field each and says little about other fields, detectors or crowding;
    shifts are whole frame pixels (about 1.6 arcsec for a 128-pixel ACS/WFC total mosaic),
    so the sub-arcsecond misalignments the pipeline flags are invisible at this scale and are
    left to the tabular features; the Gaia frames hold few marks (7 marked pixels for
    ``j8cw03``, 38 for ``ibfn01``, of 16,384), so aligned and misaligned copies differ in a
    few dozen pixels; a visit has only eight distinct aligned copies (its orientations), so
    the seen-visit test repeats training's aligned stacks; and the misaligned copies are made
    by moving drawn marks, not by re-running the alignment, so the table does not change with
    them as it would.

    Parameters
    ----------
    images : path, (index, images) or array with ``table`` rows in order
        Rendered visits (an ``.npz`` from :func:`build_image_arrays` or the shared
        ``svm_img_pred_2samples.npz``).
    table : path or DataFrame
        An SVM feature table holding a row for each visit (``index`` column), e.g.
        ``svm_labeled_2021-07-28.csv``.
    n_variants : int
        Copies per class and visit for training (tests use the same number).
    offsets_px : (float, float)
        Misalignment range in frame pixels.
    seed : int
        Seed of the copies and the training.
    fast : bool
        The ensemble's tiny settings (tests, smoke runs).
    epochs : int, optional
        Training epochs (default: the model's).
    progress : bool, optional
        Progress bar over epochs.

    Returns
    -------
    dict
        ``visits``, ``n_train``, ``n_test``, ``seen_visits`` (accuracy, ROC-AUC, mean
        probability per class, first and last training loss, epochs run) and
        ``unseen_visit`` (the same per held-out visit), plus the settings.

    Examples
    --------
    >>> misalignment_demo("svm_img_pred_2samples.npz", "svm_labeled_2021-07-28.csv",
    ...                   n_variants=64, epochs=40)  # doctest: +SKIP
    """
    from sklearn.metrics import accuracy_score, roc_auc_score

    from .encode import FEATURES
    from .model import SvmModel
    from .stages import load_feature_table

    if isinstance(images, (str, os.PathLike)):
        index, stacks = load_image_arrays(images)
    elif isinstance(images, tuple):
        index, stacks = np.asarray(images[0]).astype(str), validate_image_stack(images[1])
    else:
        raise InputError(
            "images must be an .npz path or an (index, images) pair naming each visit, got "
            f"{type(images).__name__}"
        )
    frame = load_feature_table(table)
    rows = frame.set_index("index")
    missing = [v for v in index if v not in rows.index]
    if missing:
        raise InputError(
            f"the table has no row for visits {missing}; pass a feature table holding them "
            "(svm_labeled_2021-07-28.csv holds both visits of svm_img_pred_2samples.npz)"
        )
    first = rows[~rows.index.duplicated()]
    shared = first.loc[list(index), list(FEATURES)].apply(pd.to_numeric).mean()

    def make(visit_names, visit_stacks, copy_seed):
        names, imgs, y, _ = synthetic_image_set(
            visit_names, visit_stacks, n_variants=n_variants, offsets_px=offsets_px, seed=copy_seed
        )
        tab = pd.DataFrame([shared.to_dict()] * len(names))
        tab.insert(0, "index", names)
        return tab, imgs, y

    def fit_score(train, test):
        model = SvmModel(kind="ensemble", fast=fast, seed=seed, epochs=epochs, progress=progress)
        model.fit(train[0], train[2], images=train[1])
        p = model.predict_proba(test[0], images=test[1])
        y = test[2]
        loss = list((model.history_ or {}).get("loss", []))
        return {
            "train_loss_first_last": [float(loss[0]), float(loss[-1])] if loss else None,
            "epochs_run": len(loss),
            "accuracy": float(accuracy_score(y, (p >= 0.5).astype(int))),
            "roc_auc": float(roc_auc_score(y, p)),
            "mean_p_aligned": float(p[y == 0].mean()),
            "mean_p_misaligned": float(p[y == 1].mean()),
        }

    train = make(index, stacks, seed)
    test = make(index, stacks, seed + 1000)
    result: dict[str, Any] = {
        "visits": index.tolist(),
        "n_variants": int(n_variants),
        "offsets_px": [float(v) for v in offsets_px],
        "seed": int(seed),
        "fast": bool(fast),
        "epochs": epochs,
        "n_train": int(len(train[2])),
        "n_test": int(len(test[2])),
        "seen_visits": fit_score(train, test),
        "unseen_visit": {},
    }
    if len(index) >= 2:
        for k, held in enumerate(index):
            keep = np.arange(len(index)) != k
            tr = make(index[keep], stacks[keep], seed)
            te = make(index[~keep], stacks[~keep], seed + 1000)
            result["unseen_visit"][str(held)] = fit_score(tr, te)
    return result
