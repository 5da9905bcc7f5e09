"""A JWST program's Level-3 associations on MAST: :func:`find_associations` looks them up
(astroquery through :mod:`spacekit.radio.mast`) and :func:`download_associations` fetches them,
for :func:`~spacekit.skopes.jwst.cal.ingest.build_training_table`. Also importable from
:mod:`spacekit.skopes.jwst.cal.ingest`."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pandas as pd

from ....exceptions import InputError
from .associations import _LEVEL3

__all__ = ["find_associations", "download_associations"]


def find_associations(
    program: int | str,
    observation: int | str | None = None,
    *,
    instrument: str | None = None,
) -> pd.DataFrame:
    """Look up the Level-3 associations of a JWST program (or one observation) on MAST.

    MAST's Level-3 observations of the program (``calib_level`` 3) are listed, then each one's
    files; the ``*_asn.json`` of a Level-3 type (``image3``, ``spec3``, ``tso3``, ``ami3``,
    ``coron3``) are the associations that made the product.

    Parameters
    ----------
    program : int or str
        The program (proposal) number, e.g. 2732.
    observation : int or str, optional
        One observation number (e.g. 1 for ``jw02732-o001_*``).
    instrument : str, optional
        MAST ``instrument_name`` (``"NIRCAM/IMAGE"``; wildcards work: ``"NIRCAM*"``).

    Returns
    -------
    pandas.DataFrame
        One row per association: ``product`` (the Level-3 observation's ``obs_id``),
        ``obsid``, ``asn_type``, ``asn_file``, ``dataURI``, ``size``. Empty, with a
        :class:`~spacekit.radio.mast.NoResultsWarning`, when MAST has none.

    Raises
    ------
    InputError
        A program or observation that is not a number.
    DownloadError
        MAST cannot be reached.

    Examples
    --------
    >>> find_associations(2732, 1)  # doctest: +SKIP
    """
    import warnings

    from ....radio import mast

    try:
        prog = int(str(program).lower().removeprefix("jw"))
        obs = None if observation is None else int(str(observation).lower().removeprefix("o"))
    except ValueError:
        raise InputError(
            f"program and observation must be numbers (2732, 1), got {program!r}, {observation!r}"
        ) from None
    criteria: dict[str, Any] = {"calib_level": [3]}
    if obs is not None:
        criteria["obs_id"] = f"jw{prog:05d}-o{obs:03d}_*"
    columns = ["product", "obsid", "asn_type", "asn_file", "dataURI", "size"]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        observations = mast.search_mast(
            mission="JWST", proposal_id=prog, instrument=instrument, **criteria
        )
        files = (
            mast.search_products(observations, extension="_asn.json") if len(observations) else []
        )
    for w in caught:
        if not issubclass(w.category, mast.NoResultsWarning):
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    rows = []
    product_of = (
        {str(o): str(i) for o, i in zip(observations["obsid"], observations["obs_id"], strict=True)}
        if len(observations)
        else {}
    )
    for f in files:
        name = str(f["productFilename"])
        kind = _LEVEL3.search(name)
        if kind is None:
            continue
        parent = str(f["parent_obsid"]) if "parent_obsid" in f.colnames else str(f["obsID"])
        rows.append(
            {
                "product": product_of.get(parent, product_of.get(str(f["obsID"]), "")),
                "obsid": parent,
                "asn_type": kind.group(1).lower(),
                "asn_file": name,
                "dataURI": str(f["dataURI"]),
                "size": int(f["size"]) if "size" in f.colnames and f["size"] else None,
            }
        )
    if not rows:
        warnings.warn(
            f"MAST lists no Level-3 association of JWST program {prog}"
            + (f" observation {obs}" if obs is not None else ""),
            mast.NoResultsWarning,
            stacklevel=2,
        )
    table = pd.DataFrame(rows, columns=columns)
    return (
        table.drop_duplicates("asn_file")
        .sort_values(["product", "asn_file"])
        .reset_index(drop=True)
    )


def download_associations(
    associations: pd.DataFrame,
    dest_dir: str | os.PathLike,
    *,
    progress: bool | None = None,
) -> list[Path]:
    """Download the association files :func:`find_associations` listed into ``dest_dir``.

    Parameters
    ----------
    associations : pandas.DataFrame
        The table :func:`find_associations` returned.
    dest_dir : path
        The folder written to.
    progress : bool, optional
        Progress bar (default ``conf.progress``).

    Returns
    -------
    list of pathlib.Path
        The files downloaded.

    Examples
    --------
    >>> download_associations(find_associations(2732), "asn/")  # doctest: +SKIP
    >>> download_associations(pd.DataFrame(), "asn/")
    Traceback (most recent call last):
    ...
    spacekit.exceptions.InputError: no associations to download (the table is empty)
    """
    from ....radio import mast

    if not len(associations):
        raise InputError("no associations to download (the table is empty)")
    return mast.download_products(associations, dest_dir, source="mast", progress=progress)
