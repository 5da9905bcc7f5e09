"""Render the three 128×128 RGB frames the SVM ensemble takes, and read and write them.

A visit's image input is an array of shape ``(3, size, size, 3)`` with values 0-255
(float32), the format of ``svm_img_pred_2samples.npz``:

0. the drizzled total-detection image (area-averaged to the frame size, then an asinh
   stretch between its 1st and 99.5th percentiles; grey);
1. the same with the point (red) and segment (blue) source catalogs drawn over it;
2. the same with the Gaia catalog (cyan) drawn over it.

Catalog positions come from ``ra``/``dec`` columns through the image's WCS, or from
``x``/``y`` pixel columns (0-based). When the mosaic's WCS is right, the Gaia marks sit on
the sources.

The rest of the image path has its own modules, whose names are importable from here too:
:mod:`~spacekit.skopes.hst.svm.image_batches` renders every visit under a folder into one
``.npz`` (:func:`~.image_batches.build_image_arrays`, :func:`~.image_batches.find_drizzles`);
:mod:`~spacekit.skopes.hst.svm.misalign` grows the misaligned class
(:func:`~.misalign.synthetic_misalignment` re-renders a visit with its Gaia catalog shifted;
:func:`~.misalign.synthetic_image_set` and :func:`~.misalign.misalignment_demo` make misaligned
copies of already-rendered visits and train the ensemble on them).

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
import zipfile
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
    "validate_image_stack",
    "load_image_arrays",
]

log = logging.getLogger(__name__)

FRAME_SIZE = 128
POINT_COLOR = (255.0, 0.0, 0.0)
SEGMENT_COLOR = (0.0, 0.0, 255.0)
GAIA_COLOR = (0.0, 255.0, 255.0)


def load_image(path: str | os.PathLike, *, hdu: int | str | None = None):
    """Read a drizzled image and its celestial WCS from a FITS file.

    Uses the ``SCI`` extension when there is one, else the first HDU with 2-D data.

    Parameters
    ----------
    path : path
        The FITS file.
    hdu : int or str, optional
        The HDU to read (default: as above).

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


def validate_image_stack(images: Any, *, n: int | None = None, name: str = "images") -> np.ndarray:
    """Check an SVM image array: shape ``(n, 3, 128, 128, 3)`` (one visit: ``(3, 128, 128, 3)``).

    Parameters
    ----------
    images : array-like
        One visit's stack or a batch of them.
    n : int, optional
        The number of visits expected.
    name : str
        What the array is called in error messages.

    Returns
    -------
    numpy.ndarray
        float32, shape ``(n, 3, 128, 128, 3)``.

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

    Parameters
    ----------
    path : path
        The ``.npz`` file.

    Returns
    -------
    index : numpy.ndarray
        The visit names.
    images : numpy.ndarray
        float32, shape ``(n, 3, 128, 128, 3)``.

    Examples
    --------
    >>> import tempfile
    >>> path = Path(tempfile.mkdtemp()) / "two_visits.npz"
    >>> np.savez(path, index=["ibfn01", "j8cw03"], images=np.zeros((2, 3, 128, 128, 3)))
    >>> index, images = load_image_arrays(path)
    >>> index.tolist(), images.shape, images.dtype.name
    (['ibfn01', 'j8cw03'], (2, 3, 128, 128, 3), 'float32')
    """
    path = Path(path)
    if os.path.isdir(path):
        raise FormatError(
            f"image archive {path} is a folder; expected an .npz file with arrays 'index' and "
            "'images'"
        )
    if not os.path.isfile(path):
        raise DataNotFoundError(f"image archive {path} does not exist")
    if not zipfile.is_zipfile(path):  # np.load would take it for a pickle and say so
        raise FormatError(
            f"{path} is not an .npz archive (no zip structure: another format, or truncated); "
            "expected an .npz file with arrays 'index' and 'images'"
        )
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

    Parameters
    ----------
    frames : numpy.ndarray
        One visit's stack, shape (3, h, w, 3).
    out_dir : path
        The folder written to.
    stem : str
        The start of each file name.

    Returns
    -------
    list of pathlib.Path
        The three files written.

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


#: Names that moved to the sibling modules, still importable from here (``svm.images.<name>``).
_MOVED = {
    "find_drizzles": "image_batches",
    "build_image_arrays": "image_batches",
    "shift_catalog": "misalign",
    "synthetic_misalignment": "misalign",
    "shift_overlay": "misalign",
    "synthetic_image_set": "misalign",
    "misalignment_demo": "misalign",
}


def __getattr__(name: str) -> Any:
    """The names of :data:`_MOVED`, from their modules (imported on first use: they import
    this one)."""
    if name in _MOVED:
        import importlib

        return getattr(importlib.import_module(f"{__package__}.{_MOVED[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
