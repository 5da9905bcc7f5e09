"""``spacekit radio ...`` end to end through the CLI entry point (local servers only)."""

from __future__ import annotations

import pandas as pd
import pytest

from spacekit import radio
from spacekit.cli import main
from spacekit.exceptions import InputError


def test_cli_download_and_ls(s3_bucket, tmp_path, capsys):
    url = f"s3://{s3_bucket}/control/ib1f0a010/ib1f0a010_MemModelFeatures.txt"
    radio.s3_upload(b"n_files=2\n", url)
    out_dir = tmp_path / "out"
    assert main(["-q", "radio", "download", url, "--out", str(out_dir)]) == 0
    printed = capsys.readouterr().out.strip()
    assert printed == str(out_dir / "ib1f0a010_MemModelFeatures.txt")
    assert (out_dir / "ib1f0a010_MemModelFeatures.txt").read_bytes() == b"n_files=2\n"
    assert main(["radio", "ls", f"s3://{s3_bucket}/control/"]) == 0
    assert capsys.readouterr().out.split() == [url]


def test_cli_ls_of_a_prefix_without_objects_says_so(s3_bucket, capsys):
    """An empty or mistyped prefix printed nothing and exited 0 (like a listing that worked)."""
    radio.s3_upload(b"x", f"s3://{s3_bucket}/control/a.txt")
    assert main(["radio", "ls", f"s3://{s3_bucket}/Control/"]) == 1
    out = capsys.readouterr()
    assert out.out == "" and f"no objects under s3://{s3_bucket}/Control/" in out.err


def test_cli_malformed_sha256_is_refused_before_touching_the_file(s3_bucket, tmp_path, capsys):
    """A typo in --sha256 removed the good downloaded copy as 'not matching', downloaded it
    again and only then failed."""
    url = f"s3://{s3_bucket}/control/b.txt"
    radio.s3_upload(b"payload", url)
    assert main(["-q", "radio", "download", url, "--out", str(tmp_path)]) == 0
    capsys.readouterr()
    assert main(["-q", "radio", "download", url, "--out", str(tmp_path), "--sha256", "abc"]) == 1
    err = capsys.readouterr().err
    assert "64 hexadecimal digits, got 'abc'" in err
    assert (tmp_path / "b.txt").read_bytes() == b"payload"
    with pytest.raises(InputError, match="whole number of bytes"):
        radio.http_download("http://127.0.0.1:1/x", tmp_path / "x", size=-5)


def test_cli_download_errors_are_one_line(s3_bucket, tmp_path, capsys):
    code = main(["radio", "download", f"s3://{s3_bucket}/missing.txt", "--out", str(tmp_path)])
    assert code == 1
    err = capsys.readouterr().err
    assert err.startswith("spacekit: error:") and "missing.txt" in err
    assert main(["radio", "download", "s3://Bad_Name/x"]) == 1
    assert "invalid S3 bucket name" in capsys.readouterr().err


def test_cli_search_csv_and_category(fake_mast, tmp_path, capsys):
    csv = tmp_path / "obs.csv"
    assert (
        main(["radio", "search", "--obs-id", "ib1f0a010", "--mission", "hst", "--csv", str(csv)])
        == 0
    )
    out = capsys.readouterr().out
    assert out.startswith("1 observations") and "ib1f0a010" in out and "WFC3/IR" in out
    assert list(pd.read_csv(csv)["obs_id"]) == ["ib1f0a010"]
    assert main(["radio", "search", "--obs-id", "ib1f0a010", "--mission", "hst", "--products"]) == 0
    assert "ib1f0a010_asn.fits" in capsys.readouterr().out
    assert main(["radio", "category", "NGC-5139", "NOWHERE-1"]) == 0
    assert capsys.readouterr().out.splitlines() == [
        "NGC-5139\tSTAR;GLOBULAR CLUSTER",
        "NOWHERE-1\tUNKNOWN",
    ]


def test_cli_search_no_results_and_unknown_target(fake_mast, capsys):
    assert main(["radio", "search", "--obs-id", "zzzz99999", "--mission", "hst"]) == 0
    captured = capsys.readouterr()
    assert captured.out.startswith("0 observations")
    assert "matched no observations" in captured.err
    assert main(["radio", "lightcurves", "No-Such-Star-42"]) == 1
    assert "No-Such-Star-42" in capsys.readouterr().err


def test_cli_lightcurves(fake_mast, capsys):
    assert main(["radio", "lightcurves", "Kepler-90", "--mission", "kepler"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("2 light-curve files")
    assert "kplr011442793-2009259160929_llc.fits" in out and "_slc" not in out
