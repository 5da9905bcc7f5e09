"""Pointing-offset statistics of a JWST Level-3 product, the offset features of the memory
model, in the two definitions (:data:`~spacekit.skopes.jwst.cal.scrape.FEATURE_DEFINITIONS`):
:func:`offset_statistics` (this package's) and :func:`upstream_offset_statistics` (upstream
spacekit 1.1.4's). :func:`~spacekit.skopes.jwst.cal.scrape.group_products` calls them; both are
importable from :mod:`spacekit.skopes.jwst.cal.scrape` as well.

Pointing-offset statistics (all in arcsec) of a product with exposures ``i`` whose pointing is
(RA_REF, DEC_REF) and whose target is (TARG_RA, TARG_DEC); the *fiducial* is the mean pointing
of the product's exposures, the product's target the mean target position:

- ``offset``: separation of the product's target from the fiducial;
- ``max_offset``, ``mean_offset``, ``sigma_offset``: max, mean and standard deviation of the
  exposures' separations ``d_i`` from the fiducial; ``err_offset`` = sigma / sqrt(n);
- ``sigma1_mean``: mean of the ``d_i`` within one sigma of ``mean_offset``; ``frac``: the
  share of exposures within one sigma;
- ``targ_max_offset``: max separation of the exposures' target positions from the fiducial;
- ``targ_frac``: share of exposures whose target is within 1 arcsec of the product's target.

These are this package's definitions, ``definition="spacekit"``; a model trained on them must
be used with them.

Upstream spacekit 1.1.4's models were trained on another definition, ``definition="upstream"``
(:func:`upstream_offset_statistics`), in *detector pixels*: each exposure's pointing is its
CRVAL1/CRVAL2 in IMAGE products and its RA_REF/DEC_REF in SPEC products (the other pair where
one is missing), its plate scale that of its instrument (NIRCam short-wave
0.03, long-wave 0.06, MIRI imaging 0.11, MIRI MRS 0.196, NIRISS 0.06, NIRSpec 0.12, FGS 0.069
arcsec/pixel); the fiducial is the centre of the box around every exposure's footprint (a
detector-sized square around its pointing); ``d_i`` is an exposure's separation from the fiducial
in its own pixels; ``offset`` is the smallest ``d_i`` (upstream's reference exposure);
``max_offset``, ``mean_offset``, ``sigma_offset``, ``err_offset`` as above; ``sigma1_mean`` is
the mean of the ``d_i`` *above* mean + sigma and ``frac`` their share (both 0 when none);
``targ_max_offset`` and ``targ_frac`` are the same statistics of the exposures' separations from
the target (TARG_RA/TARG_DEC of the first exposure), in pixels. A model folder records the
definition it needs (``feature_definition``) and predicting with the other one is an error.

Examples
--------
>>> s = offset_statistics([10.0, 10.0], [0.0, 0.0], [10.0, 10.0], [0.0, 0.0])
>>> s["offset"], s["max_offset"]
(0.0, 0.0)
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ....exceptions import InputError

__all__ = ["offset_statistics", "upstream_offset_statistics"]


def _unit(ra: np.ndarray, dec: np.ndarray) -> np.ndarray:
    ra, dec = np.deg2rad(ra), np.deg2rad(dec)
    return np.column_stack([np.cos(dec) * np.cos(ra), np.cos(dec) * np.sin(ra), np.sin(dec)])


def _sep_arcsec(u: np.ndarray, v: np.ndarray) -> np.ndarray:
    cross = np.linalg.norm(np.cross(u, v), axis=-1)
    dot = np.sum(u * v, axis=-1)
    return np.rad2deg(np.arctan2(cross, dot)) * 3600.0


def offset_statistics(
    pointing_ra: Any, pointing_dec: Any, targ_ra: Any, targ_dec: Any
) -> dict[str, float]:
    """Pointing-offset statistics of one product (see the module docstring), in arcsec.

    Parameters
    ----------
    pointing_ra, pointing_dec : array-like
        Each exposure's pointing (RA_REF/DEC_REF, degrees).
    targ_ra, targ_dec : array-like
        Each exposure's target position (TARG_RA/TARG_DEC, degrees).

    Returns
    -------
    dict
        ``offset``, ``max_offset``, ``mean_offset``, ``sigma_offset``, ``err_offset``,
        ``sigma1_mean``, ``frac``, ``targ_max_offset`` and ``targ_frac``.

    Examples
    --------
    >>> s = offset_statistics([10.0, 10.0], [0.0, 2 / 3600], [10.0, 10.0], [1 / 3600, 1 / 3600])
    >>> round(s["max_offset"], 6), round(s["offset"], 6)
    (1.0, 0.0)
    """
    pra, pdec = np.asarray(pointing_ra, float), np.asarray(pointing_dec, float)
    tra, tdec = np.asarray(targ_ra, float), np.asarray(targ_dec, float)
    if not len(pra) or not (np.isfinite(pra).all() and np.isfinite(pdec).all()):
        raise InputError("offset statistics need finite pointing RA/Dec for every exposure")
    pu = _unit(pra, pdec)
    fid = pu.mean(axis=0)
    fid /= np.linalg.norm(fid)
    tu = _unit(tra, tdec)
    tmean = tu.mean(axis=0)
    tmean /= np.linalg.norm(tmean)
    d = _sep_arcsec(pu, fid[None, :])
    mean, sigma = float(d.mean()), float(d.std())
    within = np.abs(d - mean) <= sigma + 1e-6  # 1 micro-arcsec of rounding slack
    return {
        "offset": float(_sep_arcsec(tmean[None, :], fid[None, :])[0]),
        "max_offset": float(d.max()),
        "mean_offset": mean,
        "sigma_offset": sigma,
        "err_offset": sigma / np.sqrt(len(d)),
        "sigma1_mean": float(d[within].mean()) if within.any() else mean,
        "frac": float(within.mean()),
        "targ_max_offset": float(_sep_arcsec(tu, fid[None, :]).max()),
        "targ_frac": float((_sep_arcsec(tu, tmean[None, :]) <= 1.0).mean()),
    }


#: Upstream spacekit's plate scales (arcsec/pixel) and detector shapes (pixels).
_UPSTREAM_SCALES = {"NIRISS": 0.06, "NIRSPEC": 0.12, "FGS": 0.069}
_UPSTREAM_SHAPES = {"MIRI": (1032, 1024)}  # the others 2048 x 2048


def _upstream_scale(instr: str, channel: str, detector: str, exp_type: str) -> float:
    instr, channel = str(instr).upper(), str(channel).upper()
    if instr == "NIRCAM":
        if channel in ("SHORT", "LONG"):
            return 0.03 if channel == "SHORT" else 0.06
        return 0.06 if str(detector).upper().endswith("LONG") else 0.03
    if instr == "MIRI":
        return 0.196 if str(exp_type).upper() == "MIR_MRS" else 0.11
    if instr not in _UPSTREAM_SCALES:
        raise InputError(f"no upstream plate scale for instrument {instr!r}")
    return _UPSTREAM_SCALES[instr]


def upstream_offset_statistics(
    exposures: pd.DataFrame, *, pointing: str = "crval"
) -> dict[str, float]:
    """Pointing-offset statistics of one product as upstream spacekit 1.1.4 defined them (pixels).

    Parameters
    ----------
    exposures : pandas.DataFrame
        The product's rows of :func:`scrape_headers` (columns ``instr``, ``channel``,
        ``detector``, ``exp_type``, ``crval1``/``crval2`` and/or ``ra_ref``/``dec_ref``,
        ``targ_ra``, ``targ_dec``).
    pointing : {"crval", "ref"}
        Each exposure's pointing: CRVAL1/CRVAL2 (upstream's choice for IMAGE products) or
        RA_REF/DEC_REF (for SPEC products), the other pair where one is missing.

    Returns
    -------
    dict
        ``offset``, ``max_offset``, ``mean_offset``, ``sigma_offset``, ``err_offset``,
        ``sigma1_mean``, ``frac``, ``targ_max_offset``, ``targ_frac`` (see the module docstring).

    Examples
    --------
    >>> ex = pd.DataFrame({"instr": ["NIRSPEC"] * 2, "channel": "NONE", "detector": "NRS1",
    ...     "exp_type": "NRS_IFU", "crval1": [10.0, 10.0], "crval2": [0.0, 0.24 / 3600],
    ...     "targ_ra": 10.0, "targ_dec": 0.0})
    >>> s = upstream_offset_statistics(ex)
    >>> round(s["max_offset"], 6), round(s["targ_max_offset"], 6), s["frac"]
    (1.0, 2.0, 0.0)
    """
    ex = exposures
    if pointing not in ("crval", "ref"):
        raise InputError(f"pointing must be 'crval' or 'ref', got {pointing!r}")
    pairs = [("crval1", "crval2"), ("ra_ref", "dec_ref")]
    if pointing == "ref":
        pairs.reverse()
    nan = pd.Series(np.nan, index=ex.index)
    ra = pd.to_numeric(ex.get(pairs[0][0], nan), errors="coerce")
    dec = pd.to_numeric(ex.get(pairs[0][1], nan), errors="coerce")
    for alt_ra, alt_dec in (pairs[1], ("p_ra", "p_dec")):
        if alt_ra in ex.columns:
            miss = ~np.isfinite(ra) | ~np.isfinite(dec)
            ra = ra.where(~miss, pd.to_numeric(ex[alt_ra], errors="coerce"))
            dec = dec.where(~miss, pd.to_numeric(ex[alt_dec], errors="coerce"))
    ra, dec = ra.to_numpy(float), dec.to_numpy(float)
    if not len(ra) or not (np.isfinite(ra).all() and np.isfinite(dec).all()):
        raise InputError("offset statistics need finite CRVAL1/CRVAL2 (or RA_REF/DEC_REF)")
    col = lambda c: ex[c] if c in ex.columns else pd.Series("NONE", index=ex.index)  # noqa: E731
    scale = np.array(
        [
            _upstream_scale(i, c, d, e)
            for i, c, d, e in zip(
                col("instr"), col("channel"), col("detector"), col("exp_type"), strict=True
            )
        ]
    )
    shape = np.array([_UPSTREAM_SHAPES.get(str(i).upper(), (2048, 2048)) for i in col("instr")])
    half_x = shape[:, 0] / 2 * scale / 3600.0
    half_y = shape[:, 1] / 2 * scale / 3600.0
    corners_ra = np.concatenate([ra - half_x, ra + half_x, ra + half_x, ra - half_x])
    corners_dec = np.concatenate([dec - half_y, dec - half_y, dec + half_y, dec + half_y])
    xyz = _unit(corners_ra, corners_dec)
    mid = (xyz.max(axis=0) + xyz.min(axis=0)) / 2.0
    fid = mid / np.linalg.norm(mid)
    exp_u = _unit(ra, dec)
    d = _sep_arcsec(exp_u, fid[None, :]) / scale
    targ = _unit(
        np.array([float(ex["targ_ra"].iloc[0])]), np.array([float(ex["targ_dec"].iloc[0])])
    )
    t = _sep_arcsec(exp_u, targ) / scale

    def above(v: np.ndarray) -> tuple[float, float]:
        hi = v[v > v.mean() + v.std()]
        return (float(hi.mean()), len(hi) / len(v)) if len(hi) else (0.0, 0.0)

    sigma1_mean, frac = above(d)
    return {
        "offset": float(d.min()),
        "max_offset": float(d.max()),
        "mean_offset": float(d.mean()),
        "sigma_offset": float(d.std()),
        "err_offset": float(d.std() / np.sqrt(len(d))),
        "sigma1_mean": sigma1_mean,
        "frac": frac,
        "targ_max_offset": float(t.max()),
        "targ_frac": above(t)[1],
    }
