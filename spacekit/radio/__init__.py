"""Fetch data: MAST queries (astroquery), downloads from MAST over HTTPS and from AWS S3 (boto3), with cache, checksums, retries, resume and progress bars; S3 list/get/put/exists.

Layer 1 (access)."""
