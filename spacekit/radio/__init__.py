"""Fetch data: MAST queries (astroquery), downloads from MAST over HTTPS and from AWS S3
(boto3), with cache, checksums, retries, resume and progress bars; S3 list/get/put/exists.

Layer 1 (access). Importing this package loads neither boto3, requests nor astroquery: they
are imported by the functions that use them.

Examples
--------
>>> from spacekit.radio import parse_s3_url
>>> parse_s3_url("s3://stpubdata/tess/public/x.fits")
('stpubdata', 'tess/public/x.fits')
"""

from ._common import cache_path
from .downloads import download, download_many
from .http import http_download
from .mast import (
    MISSIONS,
    NoResultsWarning,
    download_products,
    get_target_category,
    mast_uri_to_s3,
    resolve_target,
    search_lightcurves,
    search_mast,
    search_products,
)
from .s3 import (
    parse_s3_url,
    s3_download,
    s3_exists,
    s3_list,
    s3_read_bytes,
    s3_read_text,
    s3_upload,
)

__all__ = [
    "MISSIONS",
    "NoResultsWarning",
    "download_products",
    "get_target_category",
    "mast_uri_to_s3",
    "resolve_target",
    "search_lightcurves",
    "search_mast",
    "search_products",
    "cache_path",
    "download",
    "download_many",
    "http_download",
    "parse_s3_url",
    "s3_download",
    "s3_exists",
    "s3_list",
    "s3_read_bytes",
    "s3_read_text",
    "s3_upload",
]
