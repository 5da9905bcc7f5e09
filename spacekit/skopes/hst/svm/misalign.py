"""Misaligned examples for the SVM ensemble: shifted catalogs and shifted overlay frames.

Real misaligned visits are few, so the class is grown. :func:`synthetic_misalignment`
re-renders a visit from its image and catalogs with the Gaia catalog moved on the sky
(:func:`shift_catalog`), as happens when the drizzled image's WCS is off;
:func:`shift_overlay` does the same on already-rendered frames, and
:func:`synthetic_image_set` makes aligned and misaligned copies of rendered visits, which
:func:`misalignment_demo` trains and tests the ensemble on (a demonstration: see its limits).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from ....exceptions import InputError
from .images import (
    FRAME_SIZE,
    _catalog_pixels,
    load_image,
    load_image_arrays,
    render_frames,
    validate_image_stack,
)

__all__ = [
    "shift_catalog",
    "synthetic_misalignment",
    "shift_overlay",
    "synthetic_image_set",
    "misalignment_demo",
]


def shift_catalog(catalog: pd.DataFrame, offset_arcsec: float, angle_deg: float) -> pd.DataFrame:
    """Return a copy of a catalog moved by ``offset_arcsec`` towards position angle ``angle_deg``.

    RA/Dec columns are moved on the sky (east of north); x/y columns are moved in pixels
    by the same number (``offset_arcsec`` is then read as pixels).

    Parameters
    ----------
    catalog : pandas.DataFrame
        Columns ``ra``/``dec`` (degrees) or ``x``/``y`` (pixels).
    offset_arcsec : float
        Size of the shift.
    angle_deg : float
        Direction, degrees east of north.

    Returns
    -------
    pandas.DataFrame
        The moved copy.

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
    image : path or 2-D array
        The drizzled total-detection image (a FITS path brings its own WCS).
    gaia : DataFrame, astropy Table, path or array
        The Gaia catalog, shifted (columns as for :func:`render_frames`).
    offset_arcsec : float
        Size of the shift (arcsec; pixels for x/y catalogs).
    angle_deg : float, optional
        Direction (degrees east of north); random from ``seed`` when None.
    wcs : astropy.wcs.WCS, optional
        Needed when catalogs give RA/Dec and ``image`` is an array.
    point, segment : DataFrame, astropy Table, path, array or None
        The image's own catalogs (not shifted).
    seed : int, optional
        Seed of the random direction.
    size : int
        Frame side in pixels (128 for the model).

    Returns
    -------
    numpy.ndarray
        float32 array of shape ``(3, size, size, 3)``, values 0-255.

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

    Returns
    -------
    numpy.ndarray
        A copy of ``frames`` with frame ``frame``'s marks moved.

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
