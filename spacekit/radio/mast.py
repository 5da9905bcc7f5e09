"""Search MAST (the Mikulski Archive for Space Telescopes) and download its products.

Searches go through ``astroquery.mast.Observations`` (the CAOM observation database behind
MAST's portal); names are resolved to sky positions with MAST's name resolver. Products are
downloaded with spacekit's own downloader (cache, resume, retries, checksums) either from
MAST over HTTPS or from the public AWS copy of the archive (``s3://stpubdata``).

Behaviour on empty answers (documented contract):

- a target name that no resolver knows raises :class:`~spacekit.exceptions.DataNotFoundError`;
- a valid query that matches nothing returns an **empty** table and emits a
  :class:`NoResultsWarning` (a ``UserWarning``), so loops over many targets keep going;
- :func:`get_target_category` raises ``DataNotFoundError`` when MAST has no HST observation of
  the target, unless a ``default`` is given.

Every request has the timeout ``conf.timeout``; when MAST cannot be reached the call fails with
:class:`~spacekit.exceptions.DownloadError` naming the service.

astroquery and requests are imported inside the functions.
"""

from __future__ import annotations

import logging
import os
import warnings
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from ..exceptions import (
    DataNotFoundError,
    DownloadError,
    InputError,
    RemoteAccessError,
    SpacekitError,
)

log = logging.getLogger(__name__)

__all__ = [
    "NoResultsWarning",
    "MISSIONS",
    "resolve_target",
    "search_mast",
    "search_products",
    "search_lightcurves",
    "get_target_category",
    "download_products",
    "mast_uri_to_s3",
]

#: MAST's name resolver (STScI Archive Name Translation Application).
RESOLVER_URL = "https://mastresolver.stsci.edu/Santa-war/query"
#: Public AWS bucket with the HST, Kepler, K2 and TESS archives.
PUBLIC_BUCKET = "stpubdata"

#: Mission names accepted by the searches (any case) → MAST ``obs_collection`` values.
MISSIONS: dict[str, str] = {
    "hst": "HST",
    "jwst": "JWST",
    "kepler": "Kepler",
    "k2": "K2",
    "tess": "TESS",
    "galex": "GALEX",
    "iue": "IUE",
    "fuse": "FUSE",
    "swift": "SWIFT",
    "hlsp": "HLSP",
}

#: Light-curve products per mission: MAST ``productSubGroupDescription`` by cadence.
_LC_SUBGROUPS = {
    "Kepler": {"long": ["LLC"], "short": ["SLC"]},
    "K2": {"long": ["LLC"], "short": ["SLC"]},
    "TESS": {"long": ["LC"], "short": ["LC", "FAST-LC"], "fast": ["FAST-LC"]},
}


class NoResultsWarning(UserWarning):
    """A MAST query was valid but matched nothing; the result is an empty table."""


# -- plumbing ------------------------------------------------------------------------------


def _timeout_adapter():
    """A requests adapter that applies ``conf.timeout`` to every request that has none."""
    import requests

    from ..config import conf

    class _TimeoutAdapter(requests.adapters.HTTPAdapter):
        def send(self, request, **kwargs):
            if kwargs.get("timeout") is None:
                kwargs["timeout"] = float(conf.timeout)
            return super().send(request, **kwargs)

    return _TimeoutAdapter(max_retries=0)


def _observations():
    """A fresh astroquery ``ObservationsClass`` (they keep per-query state, so one per call),
    with every request bounded by ``conf.timeout``."""
    from ..config import conf
    from ..utils.deps import optional_import

    mast = optional_import("astroquery.mast", "spacekit.radio MAST search")
    obs = mast.ObservationsClass()
    adapter = _timeout_adapter()
    obs._session.mount("https://", adapter)
    obs._session.mount("http://", adapter)
    obs._portal_api_connection.TIMEOUT = float(conf.timeout) * 10
    return obs


def _mast_errors(what: str):
    """Context manager turning requests/astroquery failures into spacekit errors."""
    import contextlib

    @contextlib.contextmanager
    def guard():
        import requests

        try:
            from astroquery.exceptions import (
                InvalidQueryError,
                RemoteServiceError,
                ResolverError,
            )
        except ImportError:  # pragma: no cover - checked by _observations first
            InvalidQueryError = RemoteServiceError = ResolverError = ()  # noqa: N806
        try:
            yield
        except SpacekitError:
            raise
        except ResolverError as exc:
            raise DataNotFoundError(
                f"{what}: {exc} Check the spelling of the target name."
            ) from exc
        except InvalidQueryError as exc:
            raise InputError(f"{what}: MAST rejected the query: {exc}") from exc
        except RemoteServiceError as exc:
            raise DownloadError(f"{what}: MAST reported an error: {exc}") from exc
        except requests.HTTPError as exc:
            status = exc.response.status_code if exc.response is not None else None
            if status in (401, 403):
                raise RemoteAccessError(f"{what}: MAST refused access (HTTP {status})") from exc
            raise DownloadError(f"{what}: MAST answered HTTP {status}; retry later") from exc
        except (requests.ConnectionError, requests.Timeout, TimeoutError) as exc:
            raise DownloadError(
                f"{what}: could not reach MAST (mast.stsci.edu) within the timeout "
                f"({exc.__class__.__name__}); check the network connection or raise conf.timeout"
            ) from exc
        except (requests.exceptions.JSONDecodeError, KeyError) as exc:
            raise DownloadError(f"{what}: MAST sent an answer spacekit cannot read: {exc}") from exc

    return guard()


def _as_output(table, as_dataframe: bool):
    if not as_dataframe:
        return table
    df = table.to_pandas() if len(table.colnames) else __import__("pandas").DataFrame()
    return df


def _mission(mission: str | Iterable[str] | None) -> list[str] | None:
    if mission is None:
        return None
    names = [mission] if isinstance(mission, str) else list(mission)
    return [MISSIONS.get(str(m).lower(), str(m)) for m in names]


# -- name resolution -----------------------------------------------------------------------


def resolve_target(target: str):
    """Resolve a target name to sky coordinates with MAST's name resolver.

    Parameters
    ----------
    target : str
        Any name SIMBAD, NED or a MAST catalogue knows ("Kepler-90", "KIC 11442793",
        "TIC 307210830", "M31").

    Returns
    -------
    astropy.coordinates.SkyCoord

    Raises
    ------
    DataNotFoundError
        If no resolver knows the name.
    DownloadError
        If the resolver cannot be reached within ``conf.timeout``.

    Examples
    --------
    >>> resolve_target("Kepler-90")  # doctest: +SKIP
    <SkyCoord (ICRS): (ra, dec) in deg (284.4336, 49.3055)>
    """
    from astropy.coordinates import SkyCoord

    from ..config import conf
    from ..utils.deps import optional_import

    requests = optional_import("requests", "spacekit.radio.resolve_target")
    if not isinstance(target, str) or not target.strip():
        raise InputError(f"expected a target name, got {target!r}")
    what = f"resolving target {target!r}"
    with _mast_errors(what):
        resp = requests.get(
            RESOLVER_URL,
            params={"name": target, "outputFormat": "json", "resolveAll": "false"},
            timeout=float(conf.timeout),
        )
        resp.raise_for_status()
        found = resp.json().get("resolvedCoordinate") or []
    found = [r for r in found if r.get("ra") is not None and r.get("decl") is not None]
    if not found:
        raise DataNotFoundError(
            f"{what}: no resolver (SIMBAD, NED, MAST catalogues) knows this name; check the "
            "spelling or search by coordinates=SkyCoord(...)"
        )
    hit = found[0]
    log.debug("%s -> %s (%s)", target, hit.get("canonicalName"), hit.get("resolver"))
    return SkyCoord(hit["ra"], hit["decl"], unit="deg")


# -- searches ------------------------------------------------------------------------------


def _radius(radius, default_arcsec: float):
    import astropy.units as u

    if radius is None:
        return default_arcsec * u.arcsec
    if isinstance(radius, u.Quantity):
        if not radius.unit.is_equivalent(u.deg):
            raise InputError(f"expected radius as an angle (e.g. 10 * u.arcsec), got {radius}")
        return radius
    try:
        return float(radius) * u.arcsec
    except (TypeError, ValueError):
        raise InputError(
            f"expected radius as an angle Quantity or arcseconds, got {radius!r}"
        ) from None


def search_mast(
    target: str | None = None,
    *,
    coordinates: Any = None,
    radius: Any = None,
    mission: str | Iterable[str] | None = None,
    instrument: str | Iterable[str] | None = None,
    product_type: str | Iterable[str] | None = None,
    obs_id: str | Iterable[str] | None = None,
    proposal_id: str | int | Iterable[str] | None = None,
    target_name: str | Iterable[str] | None = None,
    intent: str | None = "science",
    as_dataframe: bool = False,
    **criteria: Any,
):
    """Search MAST observations.

    Parameters
    ----------
    target : str, optional
        A target name, resolved to a sky position and searched within ``radius``.
    coordinates : SkyCoord or str, optional
        A sky position (``SkyCoord`` or a string astropy can parse, e.g. ``"290.7 44.5"``
        in degrees) searched within ``radius``.
    radius : Quantity or float, optional
        Cone radius (an angle Quantity; a plain number is arcseconds). Default 10 arcsec.
    mission : str or list, optional
        ``"HST"``, ``"JWST"``, ``"Kepler"``, ``"K2"``, ``"TESS"`` (any case) or another MAST
        ``obs_collection``.
    instrument : str or list, optional
        MAST ``instrument_name``, e.g. ``"WFC3/UVIS"``, ``"NIRCAM/IMAGE"``, ``"Kepler"``;
        ``*`` wildcards work (``"WFC3*"``).
    product_type : str or list, optional
        ``dataproduct_type``: ``"image"``, ``"spectrum"``, ``"timeseries"``, ``"cube"``...
    obs_id : str or list, optional
        Dataset ids: an HST ipppssoot (``"ib1f0a010"``), a JWST observation id
        (``"jw02733-o001_t001_nircam_clear-f090w"``); wildcards work (``"jw02733*"``).
    proposal_id : str, int or list, optional
        Proposal/program number (JWST program 2733 → ``2733``).
    target_name : str or list, optional
        Exact MAST ``target_name`` (as the observer typed it, e.g. ``"NGC-5139"``), without
        name resolution.
    intent : str or None
        ``intentType`` filter (default ``"science"``; None for calibration data too).
    as_dataframe : bool
        Return a pandas DataFrame instead of an astropy Table.
    **criteria
        Any other CAOM field (``t_exptime=[100, 1000]``, ``filters="F160W"``...).

    Returns
    -------
    astropy.table.Table or pandas.DataFrame
        One row per observation (columns ``obs_collection``, ``instrument_name``,
        ``target_name``, ``target_classification``, ``obs_id``, ``obsid``, ``s_ra``,
        ``s_dec``, ...). Empty, with a :class:`NoResultsWarning`, when nothing matches.

    Raises
    ------
    InputError
        Bad arguments (both ``target`` and ``coordinates``, a radius that is not an angle, an
        unknown CAOM field).
    DataNotFoundError
        ``target`` cannot be resolved.
    DownloadError
        MAST cannot be reached within ``conf.timeout``.

    Examples
    --------
    >>> import astropy.units as u
    >>> search_mast("Kepler-90", radius=5 * u.arcsec, mission="Kepler")  # doctest: +SKIP
    <Table masked=True length=...>
    >>> search_mast(obs_id="ib1f0a010", mission="HST", as_dataframe=True)  # doctest: +SKIP
    """
    if target is not None and coordinates is not None:
        raise InputError("pass either target (a name) or coordinates, not both")
    if radius is not None and target is None and coordinates is None:
        raise InputError("radius needs a position: pass target= or coordinates= as well")
    filters: dict[str, Any] = dict(criteria)
    for key, value in (
        ("obs_collection", _mission(mission)),
        ("instrument_name", instrument),
        ("dataproduct_type", product_type),
        ("obs_id", obs_id),
        ("proposal_id", None if proposal_id is None else _strs(proposal_id)),
        ("target_name", target_name),
        ("intentType", intent),
    ):
        if value is not None:
            filters[key] = value
    if not filters:
        raise InputError(
            "expected at least one criterion besides the position (mission, instrument, "
            "obs_id, intent...)"
        )
    position = None
    if target is not None:
        position = resolve_target(target)
    elif coordinates is not None:
        position = _coords(coordinates)
    what = f"MAST search {_describe(target, coordinates, filters)}"
    obs = _observations()
    with _mast_errors(what), warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        if position is not None:
            table = obs.query_criteria(
                coordinates=position, radius=_radius(radius, 10.0), **filters
            )
        else:
            table = obs.query_criteria(**filters)
    _reemit(caught)
    if len(table) == 0:
        warnings.warn(
            f"{what} matched no observations; returning an empty table",
            NoResultsWarning,
            stacklevel=2,
        )
    return _as_output(table, as_dataframe)


def _strs(value) -> list[str]:
    if isinstance(value, str | int):
        return [str(value)]
    return [str(v) for v in value]


def _coords(coordinates):
    from astropy.coordinates import SkyCoord

    if isinstance(coordinates, SkyCoord):
        return coordinates
    try:
        return SkyCoord(coordinates, unit="deg")
    except Exception as exc:
        raise InputError(
            f"expected coordinates as a SkyCoord or 'ra dec' in degrees, got {coordinates!r} "
            f"({exc})"
        ) from None


def _describe(target, coordinates, filters) -> str:
    parts = []
    if target is not None:
        parts.append(f"target={target!r}")
    if coordinates is not None:
        parts.append(f"coordinates={coordinates!s}")
    parts += [f"{k}={v!r}" for k, v in filters.items() if k != "intentType"]
    return "(" + ", ".join(parts) + ")"


def _reemit(caught) -> None:
    """Pass on astroquery warnings except its own no-results one (spacekit emits its own)."""
    for w in caught:
        if w.category.__name__ == "NoResultsWarning":
            continue
        log.debug("astroquery: %s", w.message)


def search_products(
    observations,
    *,
    extension: str | Iterable[str] | None = None,
    product_subgroup: str | Iterable[str] | None = None,
    product_type: str | Iterable[str] | None = None,
    as_dataframe: bool = False,
):
    """List the data products (files) of MAST observations.

    Parameters
    ----------
    observations : Table, DataFrame, str or list
        Rows of :func:`search_mast` (their ``obsid`` column) or MAST ``obsid`` values.
    extension : str or list, optional
        Keep files ending so (``"fits"``, ``"_llc.fits"``).
    product_subgroup : str or list, optional
        ``productSubGroupDescription`` (``"FLT"``, ``"LLC"``, ``"LC"``...).
    product_type : str or list, optional
        ``productType``: ``"SCIENCE"``, ``"AUXILIARY"``, ``"PREVIEW"``...
    as_dataframe : bool
        Return a DataFrame instead of a Table.

    Returns
    -------
    astropy.table.Table or pandas.DataFrame
        One row per file, with ``dataURI``, ``productFilename``, ``size``, ``obs_id``...

    Examples
    --------
    >>> obs = search_mast(obs_id="ib1f0a010", mission="HST")  # doctest: +SKIP
    >>> search_products(obs, product_subgroup="ASN")  # doctest: +SKIP
    """
    import numpy as np

    obsids = _obsids(observations)
    if not obsids:
        raise InputError("expected at least one observation (an obsid), got none")
    what = f"MAST product list for obsid {','.join(obsids[:5])}{'...' if len(obsids) > 5 else ''}"
    obs = _observations()
    with _mast_errors(what), warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        products = obs.get_product_list(obsids)
    _reemit(caught)
    mask = np.ones(len(products), dtype=bool)
    if extension is not None and "productFilename" in products.colnames:
        exts = [extension] if isinstance(extension, str) else list(extension)
        names = [str(n) for n in products["productFilename"]]
        mask &= np.array([any(n.endswith(e) for e in exts) for n in names], dtype=bool)
    for col, value in (
        ("productSubGroupDescription", product_subgroup),
        ("productType", product_type),
    ):
        if value is not None and col in products.colnames:
            wanted = {v.upper() for v in _strs(value)}
            mask &= np.array([str(v).upper() in wanted for v in products[col]], dtype=bool)
    products = products[mask]
    if len(products) == 0:
        warnings.warn(f"{what} has no matching products", NoResultsWarning, stacklevel=2)
    return _as_output(products, as_dataframe)


def _obsids(observations) -> list[str]:
    if isinstance(observations, str | int):
        return [str(observations)]
    colnames = getattr(observations, "colnames", None) or list(getattr(observations, "columns", []))
    if colnames:
        if "obsid" not in colnames:
            raise InputError(
                "expected a table with an 'obsid' column (from search_mast), got columns "
                f"{colnames}"
            )
        return [str(v) for v in observations["obsid"]]
    return [str(v) for v in observations]


def search_lightcurves(
    target: str,
    mission: str = "Kepler",
    *,
    cadence: str = "long",
    radius: Any = None,
    as_dataframe: bool = False,
):
    """Find the light-curve files of a Kepler, K2 or TESS target.

    Parameters
    ----------
    target : str
        Target name (``"Kepler-90"``, ``"KIC 11442793"``, ``"TIC 25155310"``, ``"WASP-126"``).
    mission : {"Kepler", "K2", "TESS"}
        Mission (any case).
    cadence : {"long", "short", "fast"}
        Kepler/K2: long (30 min, ``_llc``) or short (1 min, ``_slc``); TESS: long is the 2-min
        ``_lc`` files, fast the 20-s ``_fast-lc``.
    radius : Quantity or float, optional
        Search radius around the resolved position (default 2 arcsec).
    as_dataframe : bool
        Return a DataFrame instead of a Table.

    Returns
    -------
    astropy.table.Table or pandas.DataFrame
        One row per light-curve file (``dataURI``, ``productFilename``, ``size``, ``obs_id``);
        pass it to :func:`download_products`. Empty, with a warning, if the mission has no light
        curve of the target.

    Raises
    ------
    InputError
        Unknown mission or cadence.
    DataNotFoundError
        Unknown target name.

    Examples
    --------
    >>> lcs = search_lightcurves("Kepler-90", mission="Kepler")  # doctest: +SKIP
    >>> paths = download_products(lcs[:3])  # doctest: +SKIP
    """
    coll = MISSIONS.get(str(mission).lower())
    if coll not in _LC_SUBGROUPS:
        raise InputError(f"expected mission Kepler, K2 or TESS for light curves, got {mission!r}")
    subgroups = _LC_SUBGROUPS[coll].get(cadence)
    if subgroups is None:
        raise InputError(
            f"expected cadence in {sorted(_LC_SUBGROUPS[coll])} for {coll}, got {cadence!r}"
        )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", NoResultsWarning)
        obs = search_mast(
            target,
            radius=_radius(radius, 2.0),
            mission=coll,
            product_type="timeseries",
            intent=None,
        )
    if len(obs) == 0:
        warnings.warn(
            f"MAST has no {coll} time series within the radius of {target!r}",
            NoResultsWarning,
            stacklevel=2,
        )
        return _as_output(obs, as_dataframe)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", NoResultsWarning)
        products = search_products(obs, product_subgroup=subgroups, extension=".fits")
    if cadence == "short" and coll == "TESS":
        products = products[
            [str(s).upper() == "LC" for s in products["productSubGroupDescription"]]
        ]
    if len(products) == 0:
        warnings.warn(
            f"MAST has no {cadence}-cadence {coll} light curve of {target!r}",
            NoResultsWarning,
            stacklevel=2,
        )
    return _as_output(products, as_dataframe)


def get_target_category(target_name: str, *, default: str | None = None) -> str:
    """Return MAST's category of a target, as used by the SVM application.

    The category is the ``target_classification`` MAST holds for HST observations of that
    ``target_name`` (e.g. ``"STAR;EXT-STAR"``, ``"GALAXY;SPIRAL"``); when observations disagree
    the most frequent value wins.

    Parameters
    ----------
    target_name : str
        HST target name as in the observation headers (``TARGNAME``, e.g. ``"NGC-5139"``).
    default : str, optional
        Returned when MAST has no HST observation of the target (or none classified);
        without it that case raises :class:`DataNotFoundError`.

    Returns
    -------
    str

    Examples
    --------
    >>> get_target_category("NGC-5139")  # doctest: +SKIP
    'STAR;GLOBULAR CLUSTER'
    >>> get_target_category("NO-SUCH-TARGET", default="UNKNOWN")  # doctest: +SKIP
    'UNKNOWN'
    """
    from collections import Counter

    if not isinstance(target_name, str) or not target_name.strip():
        raise InputError(f"expected a target name, got {target_name!r}")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", NoResultsWarning)
        table = search_mast(target_name=target_name.strip(), mission="HST", intent=None)
    values = []
    if len(table) and "target_classification" in table.colnames:
        col = table["target_classification"]
        mask = getattr(col, "mask", None)
        for i, v in enumerate(col):
            if (mask is not None and bool(mask[i])) or v is None:
                continue
            text = str(v).strip()
            if text and text.lower() not in ("--", "nan", "none"):
                values.append(text)
    if not values:
        if default is not None:
            return default
        raise DataNotFoundError(
            f"MAST has no classified HST observation of target_name {target_name!r}; check the "
            "name (as in the TARGNAME header) or pass default="
        )
    return Counter(values).most_common(1)[0][0]


# -- downloads -----------------------------------------------------------------------------


def mast_uri_to_s3(uri: str) -> str | None:
    """Map a MAST data URI to its copy in the public AWS bucket, or None if not mirrored.

    Known layouts: HST (``mast:HST/product/<file>`` → ``s3://stpubdata/hst/public/<ipss>/
    <ipppssoo>/<file>``), Kepler and K2 (``mast:KEPLER/url/missions/kepler/<path>`` →
    ``s3://stpubdata/kepler/public/<path>``) and TESS 2-min/20-s products
    (``mast:TESS/product/<file>`` → ``s3://stpubdata/tess/public/tid/<sector>/
    <tic in 4x4>/<file>``).

    Parameters
    ----------
    uri : str
        ``dataURI`` of a MAST product.

    Returns
    -------
    str or None

    Examples
    --------
    >>> mast_uri_to_s3("mast:HST/product/ib1f0a010_asn.fits")
    's3://stpubdata/hst/public/ib1f/ib1f0a010/ib1f0a010_asn.fits'
    >>> mast_uri_to_s3(
    ...     "mast:KEPLER/url/missions/kepler/lightcurves/0114/011442793/"
    ...     "kplr011442793-2009166043257_llc.fits"
    ... )
    's3://stpubdata/kepler/public/lightcurves/0114/011442793/kplr011442793-2009166043257_llc.fits'
    >>> mast_uri_to_s3("mast:TESS/product/tess2018206045859-s0001-0000000025155310-0120-s_lc.fits")
    's3://stpubdata/tess/public/tid/s0001/0000/0000/2515/5310/tess2018206045859-s0001-0000000025155310-0120-s_lc.fits'
    """
    import re

    if not isinstance(uri, str) or not uri.startswith("mast:"):
        return None
    body = uri[5:]
    coll, _, rest = body.partition("/")
    coll = coll.upper()
    if coll == "HST" and rest.startswith("product/"):
        name = rest.split("/", 1)[1]
        stem = name.split("_", 1)[0].lower()
        if len(stem) == 9 and "/" not in name:
            return f"s3://{PUBLIC_BUCKET}/hst/public/{stem[:4]}/{stem}/{name}"
        return None
    if coll in ("KEPLER", "K2"):
        m = re.match(r"url/missions/(kepler|k2)/(.+)$", rest)
        if m:
            return f"s3://{PUBLIC_BUCKET}/{m.group(1)}/public/{m.group(2)}"
        return None
    if coll == "TESS" and rest.startswith("product/"):
        name = rest.split("/", 1)[1]
        m = re.match(
            r"tess\d{13}-(s\d{4})-(\d{16})-\d{4}-[a-z]_(lc|tp|fast-lc|fast-tp)\.fits$", name
        )
        if m:
            sector, tic = m.group(1), m.group(2)
            parts = "/".join(tic[i : i + 4] for i in range(0, 16, 4))
            return f"s3://{PUBLIC_BUCKET}/tess/public/tid/{sector}/{parts}/{name}"
    return None


def download_products(
    products,
    dest_dir: str | os.PathLike | None = None,
    *,
    source: str = "auto",
    max_workers: int | None = None,
    progress: bool | None = None,
) -> list[Path]:
    """Download MAST products (files) concurrently into the cache or ``dest_dir``.

    Parameters
    ----------
    products : Table, DataFrame, str or list of str
        Rows of :func:`search_products` / :func:`search_lightcurves` (``dataURI`` column and,
        when present, ``size`` which is then verified), or ``mast:`` data URIs.
    dest_dir : path-like, optional
        Folder for the files (default: the cache).
    source : {"auto", "mast", "s3"}
        ``"mast"``: MAST's HTTPS download service. ``"s3"``: the public AWS copy
        (``s3://stpubdata``, unsigned unless credentials are configured); products without a
        known S3 location are an :class:`InputError`. ``"auto"`` (default): S3 where the
        location is known, falling back to MAST when the object is not there.
    max_workers : int, optional
        Concurrent downloads (default ``conf.max_workers``).
    progress : bool, optional
        Show the progress bar (default ``conf.progress``).

    Returns
    -------
    list of pathlib.Path
        Local files, in the order of ``products``.

    Examples
    --------
    >>> lcs = search_lightcurves("Kepler-90", mission="Kepler")  # doctest: +SKIP
    >>> download_products(lcs, "kepler90/", source="s3")  # doctest: +SKIP
    """
    from .downloads import MAST_DOWNLOAD_URL, download_many

    if source not in ("auto", "mast", "s3"):
        raise InputError(f"expected source 'auto', 'mast' or 's3', got {source!r}")
    uris, sizes = _uris(products)
    if not uris:
        raise InputError("expected at least one product to download, got none")
    mast_items = [
        {"url": f"{MAST_DOWNLOAD_URL}?uri={u}", "size": s} for u, s in zip(uris, sizes, strict=True)
    ]
    if source == "mast":
        return download_many(mast_items, dest_dir, max_workers=max_workers, progress=progress)
    s3_urls = [mast_uri_to_s3(u) for u in uris]
    if source == "s3":
        missing = [u for u, s in zip(uris, s3_urls, strict=True) if s is None]
        if missing:
            raise InputError(
                f"no known public S3 location for {missing[:3]}; use source='mast' or 'auto'"
            )
    items = [
        {"url": s3, "size": s} if s3 else mast_item
        for s3, s, mast_item in zip(s3_urls, sizes, mast_items, strict=True)
    ]
    if source == "s3":
        return download_many(items, dest_dir, max_workers=max_workers, progress=progress)
    # auto: each S3 file that turns out missing or refused is fetched from MAST instead
    from concurrent.futures import ThreadPoolExecutor

    from ..config import conf
    from .downloads import download

    def one(i: int) -> Path:
        item = items[i]
        try:
            return download(item["url"], dest_dir, size=item["size"], progress=False)
        except (DataNotFoundError, RemoteAccessError) as exc:
            if not item["url"].startswith("s3://"):
                raise
            log.info("%s not on S3 (%s); downloading from MAST", uris[i], exc)
            return download(mast_items[i]["url"], dest_dir, size=item["size"], progress=False)

    from ..utils.progress import progress as make_bar

    workers = int(max_workers or conf.max_workers)
    bar = make_bar(None, total=len(items), desc="products", enabled=progress, unit="file")
    try:
        with ThreadPoolExecutor(max_workers=min(workers, len(items))) as pool:
            out = []
            for path in pool.map(one, range(len(items))):
                out.append(path)
                bar.update(1)
    finally:
        bar.close()
    return out


def _uris(products) -> tuple[list[str], list[int | None]]:
    if isinstance(products, str):
        return [products], [None]
    colnames = getattr(products, "colnames", None) or list(getattr(products, "columns", []))
    if colnames:
        if "dataURI" not in colnames:
            raise InputError(
                f"expected a products table with a 'dataURI' column (from search_products), "
                f"got columns {colnames}"
            )
        uris = [str(u) for u in products["dataURI"]]
        sizes: list[int | None] = [None] * len(uris)
        if "size" in colnames:
            sizes = []
            for v in products["size"]:
                try:
                    sizes.append(int(v) if int(v) > 0 else None)
                except (TypeError, ValueError):
                    sizes.append(None)
        return uris, sizes
    uris = [str(u) for u in products]
    return uris, [None] * len(uris)
