"""Read and write the formats astronomers use: csv, HDF5, FITS (tables, images, headers),
JSON, PNG, ASDF and npz, into pandas DataFrames, numpy arrays and astropy Tables, and
light-curve files as they are on disk (:mod:`spacekit.io.lightcurves`).

- Every writer is atomic (a temporary file renamed on success), so an interrupted write
  never leaves a half file.
- Every FITS file of the package is opened by :func:`open_fits` (also behind
  :func:`merge_fits_headers`, the FITS readers and the light-curve readers).
- Every reader checks the file first: a missing file raises
  :class:`~spacekit.exceptions.DataNotFoundError`; an empty, truncated, corrupt or
  wrong-format file raises :class:`~spacekit.exceptions.FormatError` naming the file and the
  format expected.
- :func:`check_schema` (and ``read_table(required=..., dtypes=...)``) raise
  :class:`~spacekit.exceptions.SchemaError` naming the missing or mistyped columns.
- Units and metadata survive the formats that keep them: FITS, HDF5, ECSV (tables) and
  ASDF. FITS images are written uncompressed unless ``compress=`` is given; RICE
  compression is lossy for float images.

astropy.io.fits, h5py, asdf and Pillow are imported only by the functions that use them.

Layer 1 (access).

Examples
--------
>>> import tempfile, pathlib, pandas as pd
>>> from spacekit import io
>>> path = pathlib.Path(tempfile.mkdtemp()) / "jobs.csv"
>>> _ = io.write_table(pd.DataFrame({"ipst": ["j8zs05020"], "memory": [18.89]}), path)
>>> io.read_table(path, required=["ipst", "memory"]).iloc[0]["memory"]
np.float64(18.89)
"""

from .fits import (
    merge_fits_headers,
    open_fits,
    read_fits_header,
    read_fits_image,
    read_fits_table,
    write_fits_image,
    write_fits_table,
)
from .formats import (
    read_asdf,
    read_hdf5,
    read_json,
    read_npz,
    read_png,
    write_asdf,
    write_hdf5,
    write_json,
    write_npz,
    write_png,
)
from .schema import check_schema
from .tables import TABLE_FORMATS, guess_format, read_table, write_table

__all__ = [
    "TABLE_FORMATS",
    "check_schema",
    "guess_format",
    "merge_fits_headers",
    "open_fits",
    "read_asdf",
    "read_fits_header",
    "read_fits_image",
    "read_fits_table",
    "read_hdf5",
    "read_json",
    "read_npz",
    "read_png",
    "read_table",
    "write_asdf",
    "write_fits_image",
    "write_fits_table",
    "write_hdf5",
    "write_json",
    "write_npz",
    "write_png",
    "write_table",
]
