"""Datasets and file formats: load registered datasets and round-trip them through spacekit.io.

Run from a clone (the real data in ../shared/data is the mirror)::

    SPACEKIT_DATA_MIRROR=../shared/data .venv/bin/python examples/01_datasets_and_io.py

Elsewhere the datasets are downloaded from their public sources on first use. Outputs go to
a temporary folder (or the folder given as the first argument).
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import astropy.units as u
import numpy as np

from spacekit import datasets, io
from spacekit.exceptions import FormatError, SchemaError


def main(out_dir: str | None = None) -> None:
    out = Path(out_dir or tempfile.mkdtemp(prefix="spacekit-example-"))
    out.mkdir(parents=True, exist_ok=True)

    # 1. The registry
    table = datasets.list_datasets()
    print(f"{len(table)} registered datasets, e.g. {', '.join(table['name'][:3])}")

    # 2. Load a table, check its schema, write it to every table format
    jobs = datasets.load("hst_cal_sample_20", required=["ipst", "n_files", "total_mb"])
    print(f"hst_cal_sample_20: {jobs.shape[0]} rows x {jobs.shape[1]} columns")
    for suffix in (".csv", ".json", ".h5", ".fits", ".ecsv"):
        path = io.write_table(jobs, out / f"jobs{suffix}", units={"total_mb": "Mbyte"})
        back = io.read_table(path)
        print(f"  {path.name:10s} {back.shape}  units={back.attrs.get('units', {})}")
    try:
        io.read_table(out / "jobs.csv", required=["no_such_column"])
    except SchemaError as exc:
        print(f"  schema check: {exc}")

    # 3. Arrays: npz (SVM images), PNG (one frame), HDF5
    arrays = datasets.load("svm_img_pred_2samples")
    images = arrays["images"]
    print(f"svm_img_pred_2samples: images {images.shape} {images.dtype}")
    frame = images[0, 0]
    frame = (frame - frame.min()) / max(float(np.ptp(frame)), 1e-12)
    png = io.write_png(out / "frame.png", frame)
    print(f"  {png.name}: {io.read_png(png).shape}")
    io.write_npz(out / "images.npz", **arrays)
    io.write_hdf5(out / "images.h5", {"images": images})

    # 4. A light curve FITS file: table, header; an image; ASDF with units
    path = datasets.fetch("lc_hat_p_7")
    lc = io.read_fits_table(path)
    header = io.read_fits_header(path)
    print(f"lc_hat_p_7: {len(lc)} cadences of {header['OBJECT']}, flux in {lc['PDCSAP_FLUX'].unit}")
    img = io.write_fits_image(out / "image.fits", np.ones((16, 16)) * u.electron / u.s)
    print(f"  image BUNIT = {io.read_fits_header(img)['BUNIT']}")
    io.write_asdf(out / "result.asdf", {"period": 2.2047299 * u.day, "target": "HAT-P-7"})
    print(f"  asdf: {io.read_asdf(out / 'result.asdf')}")

    # 5. A damaged file gives a clear error
    broken = out / "broken.fits"
    broken.write_bytes(path.read_bytes()[:10000])
    try:
        io.read_fits_table(broken)
    except FormatError as exc:
        print(f"  damaged file: {exc}")
    print(f"outputs in {out}")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else None)
