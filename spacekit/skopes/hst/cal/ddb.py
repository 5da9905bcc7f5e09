"""calcloud's DynamoDB table of finished jobs, read into a training table.

After each job, calcloud's model-ingest Lambda (``calcloud/model_ingest.py``) scrapes the job's
MemModelFeatures file and its process logs and writes one item per dataset, partition key
``ipst``: the nine features (``n_files``, ``total_mb``, ``drizcorr``, ``pctecorr``,
``crsplit``, ``subarray``, ``detector``, ``dtype``, ``instr``), the targets (``memory`` GB,
``wallclock`` s, ``mem_bin``), ``timestamp`` (Unix seconds of the ingest) and ``dataset``;
newer versions may add ``product_type`` (SVM/MVM products) and ``max_disk``. Numbers come back
from DynamoDB as ``Decimal``. The same table is what calcloud's submitter queries for
``wallclock`` (a floor of the next kill time, see :mod:`.calcloud`).

:func:`read_ddb_table` reads it (a paginated ``Scan``; boto3 with the endpoint given, else
boto3's own resolution: ``AWS_ENDPOINT_URL_DYNAMODB``, ``AWS_ENDPOINT_URL``, then AWS);
:func:`ddb_training_table` turns the items into the table :func:`~.features.prepare_table`
checks and :func:`~.pipeline.train` reads; ``spacekit cal ingest TABLE --out CSV`` does both.
The cost work's drift monitor reads recent jobs with ``read_ddb_table(name, since=...)``.
"""

from __future__ import annotations

import logging
import math
import os
from decimal import Decimal
from typing import Any

from ....exceptions import (
    DataNotFoundError,
    DownloadError,
    InputError,
    RemoteAccessError,
    SchemaError,
)

__all__ = ["DDB_COLUMNS", "read_ddb_table", "ddb_training_table", "ingest_ddb"]

log = logging.getLogger(__name__)

#: The columns calcloud's model-ingest writes for every HST dataset, in the export's spirit.
DDB_COLUMNS: tuple[str, ...] = (
    "ipst",
    "timestamp",
    "n_files",
    "total_mb",
    "drizcorr",
    "pctecorr",
    "crsplit",
    "subarray",
    "detector",
    "dtype",
    "instr",
    "memory",
    "wallclock",
    "mem_bin",
)
_OPTIONAL = ("dataset", "product_type", "max_disk", "wc_std", "x_files", "x_size")


def _plain(value: Any) -> Any:
    """A DynamoDB value as a plain Python value (Decimal -> int or float)."""
    if isinstance(value, Decimal):
        if value.is_nan() or value.is_infinite():
            return float(value)
        return int(value) if value == value.to_integral_value() else float(value)
    return value


def _since_seconds(since: Any) -> float | None:
    if since is None:
        return None
    if hasattr(since, "unix"):  # astropy Time
        return float(since.unix)
    if hasattr(since, "timestamp") and callable(since.timestamp):  # datetime
        return float(since.timestamp())
    try:
        value = float(since)
    except (TypeError, ValueError):
        raise InputError(
            f"since must be Unix seconds, a datetime or an astropy Time, got {since!r}"
        ) from None
    if not math.isfinite(value):
        raise InputError(f"since must be a finite time, got {since!r}")
    return value


def _translate(exc: Exception, table_name: str, endpoint_url: str | None) -> Exception:
    import botocore.exceptions as bex

    where = endpoint_url or "AWS DynamoDB"
    if isinstance(exc, bex.ClientError):
        code = str(exc.response.get("Error", {}).get("Code", ""))
        msg = exc.response.get("Error", {}).get("Message") or code
        if code == "ResourceNotFoundException":
            return DataNotFoundError(
                f"DynamoDB table {table_name!r} does not exist on {where} ({msg}); check the "
                "name (calcloud's is in its DDBTABLE setting) and the region"
            )
        if code in ("AccessDeniedException", "UnrecognizedClientException") or "Denied" in code:
            return RemoteAccessError(
                f"DynamoDB table {table_name!r} on {where}: access refused ({code}: {msg}); "
                "check the AWS credentials and their dynamodb:Scan permission"
            )
        return DownloadError(f"DynamoDB table {table_name!r} on {where}: {code}: {msg}")
    if isinstance(exc, bex.NoCredentialsError | bex.PartialCredentialsError):
        return RemoteAccessError(
            f"DynamoDB table {table_name!r}: no usable AWS credentials ({exc}); set AWS_PROFILE "
            "or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY"
        )
    if isinstance(exc, bex.NoRegionError):
        return InputError(
            f"DynamoDB table {table_name!r}: no AWS region ({exc}); pass region_name "
            "(calcloud's table is in us-east-1) or set AWS_DEFAULT_REGION"
        )
    if isinstance(exc, bex.BotoCoreError | ConnectionError | TimeoutError):
        return DownloadError(
            f"DynamoDB table {table_name!r}: could not read from {where} ({exc}); check the "
            "network and the endpoint"
        )
    return exc


def read_ddb_table(
    table_name: str,
    *,
    endpoint_url: str | None = None,
    region_name: str | None = None,
    since: Any = None,
    client: Any = None,
):
    """Every item of calcloud's DynamoDB table as a DataFrame (one row per item).

    Parameters
    ----------
    table_name : str
        The table (calcloud's ``DDBTABLE``, e.g. ``calcloud-model-ops``).
    endpoint_url : str, optional
        A DynamoDB-API endpoint (default: boto3's resolution, ``AWS_ENDPOINT_URL_DYNAMODB``
        included, else AWS).
    region_name : str, optional
        Default: boto3's (``AWS_DEFAULT_REGION``), else ``us-east-1`` (calcloud's).
    since : float, datetime or astropy Time, optional
        Keep only items whose ``timestamp`` is at or after this (Unix seconds); items without
        a ``timestamp`` are then dropped.
    client : boto3 DynamoDB client, optional
        Use this client instead of making one.

    Returns
    -------
    pandas.DataFrame
        The :data:`DDB_COLUMNS` present first, then the other attributes; numbers as int or
        float, missing attributes as NaN; sorted by ``timestamp`` then ``ipst`` when present.

    Raises
    ------
    DataNotFoundError
        The table does not exist.
    RemoteAccessError
        Access refused or no credentials.
    DownloadError
        The service could not be reached.

    Examples
    --------
    >>> df = read_ddb_table("calcloud-model-ops", region_name="us-east-1")  # doctest: +SKIP
    >>> recent = read_ddb_table("calcloud-model-ops", since=1.7e9)  # doctest: +SKIP
    """
    import boto3
    import pandas as pd
    from boto3.dynamodb.types import TypeDeserializer
    from botocore.config import Config

    from ....config import conf

    if not isinstance(table_name, str) or not table_name.strip():
        raise InputError(f"table_name must be a DynamoDB table name, got {table_name!r}")
    cutoff = _since_seconds(since)
    if client is None:
        region = region_name or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1"
        cfg = Config(
            retries={"max_attempts": int(conf.retries), "mode": "standard"},
            connect_timeout=float(conf.timeout),
            read_timeout=float(conf.timeout),
        )
        client = boto3.client(
            "dynamodb", endpoint_url=endpoint_url or None, region_name=region, config=cfg
        )
    deserialize = TypeDeserializer().deserialize
    rows = []
    try:
        for page in client.get_paginator("scan").paginate(TableName=table_name):
            for item in page.get("Items", []):
                rows.append({k: _plain(deserialize(v)) for k, v in item.items()})
    except Exception as exc:
        err = _translate(exc, table_name, endpoint_url)
        if err is exc:
            raise
        raise err from None
    df = pd.DataFrame(rows)
    if df.empty:
        df = pd.DataFrame(columns=list(DDB_COLUMNS))
    if cutoff is not None:
        if "timestamp" not in df.columns:
            df = df.iloc[0:0]
        else:
            ts = pd.to_numeric(df["timestamp"], errors="coerce")
            df = df[ts >= cutoff]
    first = [c for c in DDB_COLUMNS if c in df.columns]
    df = df[first + sorted(c for c in df.columns if c not in first)]
    keys = [c for c in ("timestamp", "ipst") if c in df.columns]
    if keys and len(df):
        df = df.sort_values(keys, kind="stable")
    df = df.reset_index(drop=True)
    df.attrs["source"] = f"dynamodb://{table_name}"
    log.info("read %d items from DynamoDB table %s", len(df), table_name)
    return df


def ddb_training_table(items):
    """Turn the items of calcloud's table into a training table (checked by ``prepare_table``).

    Items that are not HST calibration jobs (no valid ipppssoot: SVM/MVM products carry a
    ``product_type``) and items lacking a feature or target are dropped, counted in
    ``attrs["dropped"]`` and logged.

    Parameters
    ----------
    items : pandas.DataFrame
        :func:`read_ddb_table`'s output.

    Returns
    -------
    pandas.DataFrame
        ``ipst``, ``timestamp`` (when present), the nine features and the three targets, as
        :func:`~.features.prepare_table` returns them.

    Raises
    ------
    SchemaError
        A feature or target column is absent from every item.

    Examples
    --------
    >>> import pandas as pd
    >>> items = pd.DataFrame([{"ipst": "la8p01010", "timestamp": 1620740441, "n_files": 3,
    ...     "total_mb": 2.0, "drizcorr": 0, "pctecorr": 0, "crsplit": 0, "subarray": 1,
    ...     "detector": 0, "dtype": 1, "instr": 1, "memory": 0.4, "wallclock": 60.0,
    ...     "mem_bin": 0, "dataset": "la8p01010"}])
    >>> ddb_training_table(items)[["ipst", "n_files", "mem_bin"]].to_dict("records")
    [{'ipst': 'la8p01010', 'n_files': 3, 'mem_bin': 0}]
    """
    import pandas as pd

    from .features import FEATURES, check_ipppssoot, prepare_table

    needed = ["ipst", *FEATURES, "memory", "wallclock"]
    absent = [c for c in needed if c not in items.columns]
    if absent:
        raise SchemaError(
            f"calcloud DynamoDB items lack {absent} (found columns {sorted(items.columns)}); "
            "expected the columns calcloud's model-ingest writes: "
            f"{', '.join(DDB_COLUMNS)}"
        )

    def is_ipst(value) -> bool:
        try:
            check_ipppssoot(str(value))
        except InputError:
            return False
        return True

    ok_name = items["ipst"].map(is_ipst)
    complete = items[needed].notna().all(axis=1)
    keep = ok_name & complete
    dropped = {
        "not_an_ipppssoot": int((~ok_name).sum()),
        "incomplete": int((ok_name & ~complete).sum()),
    }
    if not keep.all():
        log.warning(
            "calcloud DynamoDB items dropped: %d not HST calibration jobs, %d incomplete",
            dropped["not_an_ipppssoot"],
            dropped["incomplete"],
        )
    cols = [c for c in (*needed, "mem_bin", "timestamp") if c in items.columns]
    table = items.loc[keep, cols].reset_index(drop=True)
    out = prepare_table(table) if len(table) else pd.DataFrame(columns=cols)
    out.attrs["dropped"] = dropped
    out.attrs["source"] = items.attrs.get("source")
    return out


def ingest_ddb(
    table_name: str,
    out: str | os.PathLike,
    *,
    endpoint_url: str | None = None,
    region_name: str | None = None,
    since: Any = None,
) -> dict:
    """Read calcloud's table and write the training table to ``out`` (csv, written atomically).

    Parameters
    ----------
    table_name : str
        The DynamoDB table (calcloud's job table).
    out : path
        The csv file to write.
    endpoint_url : str, optional
        A DynamoDB endpoint other than AWS's (a local server, for tests).
    region_name : str, optional
        The AWS region (default: boto3's configuration).
    since : float, datetime or astropy.time.Time, optional
        Keep only jobs completed at or after this time (a float is Unix seconds).

    Returns
    -------
    dict
        ``rows`` written, ``items`` read, ``dropped`` counts and the output ``path``.

    Examples
    --------
    >>> ingest_ddb("calcloud-model-ops", "ddb.csv")  # doctest: +SKIP
    {'items': 3757, 'rows': 3757, 'dropped': {...}, 'path': 'ddb.csv'}
    """
    from ....utils.files import atomic_write

    items = read_ddb_table(
        table_name, endpoint_url=endpoint_url, region_name=region_name, since=since
    )
    table = ddb_training_table(items)
    with atomic_write(out, "w", newline="") as fh:
        table.to_csv(fh, index=False)
    return {
        "items": int(len(items)),
        "rows": int(len(table)),
        "dropped": table.attrs.get("dropped", {}),
        "path": str(out),
    }
