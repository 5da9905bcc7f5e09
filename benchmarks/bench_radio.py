"""Download throughput: spacekit.radio vs plain boto3 ``download_file`` in a loop.

Starts a local S3-API server (moto's server mode, in a subprocess so that it does not share
the client's interpreter lock), seeds it with one large object and many small ones, then
times, side by side in the same run and alternating the order:

- large: ``s3_download`` vs ``client.download_file`` (boto3's managed multipart transfer);
- small: ``download_many`` (bounded thread pool, ``conf.max_workers``) vs a loop of
  ``client.download_file``.

Every timed download writes a fresh file (``overwrite=True``; baseline into a new folder).

Usage::

    python benchmarks/bench_radio.py                       # 1 x 200 MB, 500 x 100 KB, 2 rounds
    python benchmarks/bench_radio.py --large-mb 50 --small-n 100 --rounds 1   # quick
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _start_server() -> tuple[subprocess.Popen, str]:
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return proc, url
        except OSError:
            time.sleep(0.2)
    proc.kill()
    raise RuntimeError("moto server did not start")


def _timed(fn) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--large-mb", type=int, default=200)
    ap.add_argument("--small-n", type=int, default=500)
    ap.add_argument("--small-kb", type=int, default=100)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--workers", type=int, default=None, help="conf.max_workers (default 8)")
    args = ap.parse_args(argv)

    for k, v in {
        "AWS_ACCESS_KEY_ID": "bench",
        "AWS_SECRET_ACCESS_KEY": "bench",
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        os.environ.setdefault(k, v)
    os.environ["SPACEKIT_PROGRESS"] = "0"
    if args.workers:
        os.environ["SPACEKIT_MAX_WORKERS"] = str(args.workers)

    import boto3

    from spacekit import radio
    from spacekit.config import conf

    proc, endpoint = _start_server()
    work = Path(tempfile.mkdtemp(prefix="bench-radio-"))
    try:
        client = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1")
        bucket = "bench"
        client.create_bucket(Bucket=bucket)
        big = os.urandom(args.large_mb * 1024 * 1024)
        client.put_object(Bucket=bucket, Key="large/big.bin", Body=big)
        del big
        small = os.urandom(args.small_kb * 1024)
        keys = [f"small/{i:04d}.bin" for i in range(args.small_n)]
        for key in keys:
            client.put_object(Bucket=bucket, Key=key, Body=small)
        large_url = f"s3://{bucket}/large/big.bin"
        small_urls = [f"s3://{bucket}/{k}" for k in keys]

        def ours_large(r):
            radio.s3_download(
                large_url, work / f"ours-{r}.bin", overwrite=True, endpoint_url=endpoint
            )

        def base_large(r):
            client.download_file(bucket, "large/big.bin", str(work / f"base-{r}.bin"))

        def ours_small(r):
            radio.download_many(
                small_urls, work / f"ours-small-{r}", overwrite=True, endpoint_url=endpoint
            )

        def base_small(r):
            out = work / f"base-small-{r}"
            out.mkdir()
            for key in keys:
                client.download_file(bucket, key, str(out / key.rsplit("/", 1)[1]))

        # warm-up (connections, imports)
        radio.s3_read_bytes(small_urls[0], endpoint_url=endpoint)
        client.head_object(Bucket=bucket, Key=keys[0])

        times: dict[str, list[float]] = {
            k: [] for k in ("ours_large", "base_large", "ours_small", "base_small")
        }
        for r in range(args.rounds):
            pairs = [("ours_large", ours_large), ("base_large", base_large)]
            pairs_s = [("ours_small", ours_small), ("base_small", base_small)]
            if r % 2:
                pairs.reverse()
                pairs_s.reverse()
            for name, fn in pairs + pairs_s:
                times[name].append(_timed(lambda fn=fn, r=r: fn(r)))
                for p in work.glob("*.bin"):
                    p.unlink()
                for d in work.glob("*-small-*"):
                    shutil.rmtree(d)

        med = {k: statistics.median(v) for k, v in times.items()}
        mb = args.large_mb
        small_mb = args.small_n * args.small_kb / 1024
        print(
            f"server: moto (subprocess) at {endpoint}; cpus: {os.cpu_count()}; "
            f"max_workers: {conf.max_workers}; rounds: {args.rounds}"
        )
        print(
            f"{'case':<28}{'spacekit s':>12}{'boto3 s':>12}"
            f"{'spacekit MB/s':>15}{'boto3 MB/s':>12}{'speed-up':>10}"
        )
        print(
            f"{f'1 x {mb} MB':<28}{med['ours_large']:>12.2f}{med['base_large']:>12.2f}"
            f"{mb / med['ours_large']:>15.1f}{mb / med['base_large']:>12.1f}"
            f"{med['base_large'] / med['ours_large']:>9.2f}x"
        )
        print(
            f"{f'{args.small_n} x {args.small_kb} KB':<28}"
            f"{med['ours_small']:>12.2f}{med['base_small']:>12.2f}"
            f"{small_mb / med['ours_small']:>15.1f}{small_mb / med['base_small']:>12.1f}"
            f"{med['base_small'] / med['ours_small']:>9.2f}x"
        )
        print(
            f"{'small files/s':<28}{args.small_n / med['ours_small']:>12.0f}"
            f"{args.small_n / med['base_small']:>12.0f}"
        )
        print("raw times:", {k: [round(x, 2) for x in v] for k, v in times.items()})
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
