"""JSON, PNG, npz, asdf and HDF5: read and write, atomically, with clear errors."""

from __future__ import annotations

import json
import os
import warnings
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

from ..exceptions import DataNotFoundError, FormatError, InputError
from ..utils.deps import optional_import
from ..utils.files import atomic_path, atomic_write
from ._common import as_path, check_readable, reading

__all__ = [
    "read_json",
    "write_json",
    "read_png",
    "write_png",
    "read_npz",
    "write_npz",
    "read_asdf",
    "write_asdf",
    "read_hdf5",
    "write_hdf5",
]

PathLike = str | os.PathLike


# -- JSON ---------------------------------------------------------------------------
def read_json(path: PathLike) -> Any:
    """Read a JSON file.

    Parameters
    ----------
    path : path
        The JSON file.

    Returns
    -------
    object
        The decoded value (dicts, lists, numbers, strings, None).

    Raises
    ------
    FormatError
        When the file is empty or not valid UTF-8 JSON.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "a.json"
    >>> _ = write_json(p, {"bin": 2})
    >>> read_json(p)
    {'bin': 2}
    """
    path = check_readable(path, "JSON")
    with reading(path, "JSON"):
        return json.loads(path.read_text(encoding="utf-8"))


def write_json(path: PathLike, obj: Any, *, indent: int | None = 2) -> Path:
    """Write ``obj`` as JSON (atomically). numpy values, Paths and Quantities are converted
    to plain JSON values; NaN becomes ``null``.

    Parameters
    ----------
    path : path
        The file to write.
    obj : object
        Anything JSON can hold once converted (dicts, lists, numbers, strings, numpy values).
    indent : int or None
        Indentation of the JSON text; None writes one line.

    Returns
    -------
    pathlib.Path
        The file written.

    Examples
    --------
    >>> import tempfile, pathlib, numpy as np
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "a.json"
    >>> write_json(p, {"x": np.arange(3)}).read_text().split()
    ['{', '"x":', '[', '0,', '1,', '2', ']', '}']
    """
    from ..utils.runs import to_jsonable

    path = as_path(path, "JSON")
    with atomic_write(path, "w", encoding="utf-8") as fh:
        json.dump(to_jsonable(obj), fh, indent=indent)
        fh.write("\n")
    return path


# -- PNG ----------------------------------------------------------------------------
def read_png(path: PathLike) -> np.ndarray:
    """Read a PNG image as a numpy array: (H, W) for grey, (H, W, 3) RGB, (H, W, 4) RGBA;
    dtype uint8 (or uint16 for 16-bit grey).

    Parameters
    ----------
    path : path
        The PNG file.

    Returns
    -------
    numpy.ndarray
        The pixels, (H, W), (H, W, 3) or (H, W, 4).

    Examples
    --------
    >>> import tempfile, pathlib, numpy as np
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "a.png"
    >>> _ = write_png(p, np.zeros((4, 5, 3), dtype="uint8"))
    >>> read_png(p).shape
    (4, 5, 3)
    """
    image_mod = optional_import("PIL.Image", "read_png")
    path = check_readable(path, "PNG")
    with reading(path, "PNG"):
        with image_mod.open(path) as img:
            if img.format != "PNG":
                raise FormatError(
                    f"{path} is a {img.format} image, expected PNG; convert it or use Pillow"
                )
            img.load()
            if img.mode == "P":
                img = img.convert("RGBA" if "transparency" in img.info else "RGB")
            arr = np.asarray(img)
    if arr.dtype == np.int32:  # Pillow's "I" mode for 16-bit grey
        arr = arr.astype(np.uint16)
    return arr


def write_png(path: PathLike, array: Any) -> Path:
    """Write a numpy array as a PNG image (atomically).

    ``array`` is (H, W) grey, (H, W, 3) RGB or (H, W, 4) RGBA. uint8 is written as is,
    uint16 grey as 16-bit; bool as 0/255; float arrays must hold values in [0, 1] and are
    scaled to uint8 (PNG keeps no floats: the write is lossy for them).

    Parameters
    ----------
    path : path
        The file to write.
    array : array-like
        The image, as described above.

    Returns
    -------
    pathlib.Path
        The file written.

    Examples
    --------
    >>> import tempfile, pathlib, numpy as np
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "a.png"
    >>> write_png(p, np.eye(3, dtype=bool)).suffix
    '.png'
    """
    image_mod = optional_import("PIL.Image", "write_png")
    arr = np.asarray(array)
    if arr.ndim not in (2, 3) or (arr.ndim == 3 and arr.shape[2] not in (1, 3, 4)):
        raise InputError(
            f"write_png expects an (H, W), (H, W, 3) or (H, W, 4) array, got shape "
            f"{arr.shape}; select one image (e.g. images[0]) or move the channel axis last"
        )
    if arr.ndim == 3 and arr.shape[2] == 1:
        arr = arr[:, :, 0]
    if arr.shape[0] == 0 or arr.shape[1] == 0:
        raise InputError(f"write_png got an empty image of shape {arr.shape}; PNG needs pixels")
    if arr.dtype == bool:
        arr = arr.astype(np.uint8) * 255
    elif arr.dtype.kind == "f":
        finite = arr[np.isfinite(arr)]
        if finite.size != arr.size or (finite.size and (finite.min() < 0 or finite.max() > 1)):
            raise InputError(
                "write_png got a float array with values outside [0, 1] or NaN; scale it "
                "to [0, 1] first (e.g. (a - a.min()) / np.ptp(a)) or pass uint8"
            )
        arr = np.round(arr * 255).astype(np.uint8)
    elif arr.dtype == np.uint16 and arr.ndim == 3:
        raise InputError("16-bit PNG is supported for grey (H, W) images only; pass uint8")
    elif arr.dtype not in (np.uint8, np.uint16):
        if arr.dtype.kind in "iu" and arr.size and arr.min() >= 0 and arr.max() <= 255:
            arr = arr.astype(np.uint8)
        else:
            raise InputError(
                f"write_png expects uint8, uint16, bool or float in [0, 1], got {arr.dtype}"
            )
    img = image_mod.fromarray(arr)
    path = as_path(path, "PNG")
    with atomic_write(path, "wb") as fh:
        img.save(fh, format="PNG")
    return path


# -- npz ----------------------------------------------------------------------------
def read_npz(path: PathLike, *, allow_pickle: bool = False) -> dict[str, np.ndarray]:
    """Read a numpy ``.npz`` archive into a dict of arrays (fully loaded; pickled object
    arrays are refused unless ``allow_pickle=True`` for a file you trust).

    Parameters
    ----------
    path : path
        The ``.npz`` archive.
    allow_pickle : bool
        Accept pickled object arrays (only for a file you trust).

    Returns
    -------
    dict of str to numpy.ndarray
        The arrays by name.

    Examples
    --------
    >>> import tempfile, pathlib, numpy as np
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "a.npz"
    >>> _ = write_npz(p, x=np.arange(3))
    >>> read_npz(p)["x"].tolist()
    [0, 1, 2]
    """
    path = check_readable(path, "npz")
    with reading(path, "npz"):
        if not zipfile.is_zipfile(path):
            raise FormatError(
                f"{path} is not an npz archive (no zip structure found): it is truncated, "
                "corrupt or another format"
            )
        try:
            with (
                open(path, "rb") as fh,
                np.load(fh, allow_pickle=allow_pickle) as data,
            ):  # our handle: np.load leaks its own on a corrupt zip
                return {key: data[key] for key in data.files}
        except ValueError as exc:
            if "pickle" in str(exc):
                raise FormatError(
                    f"{path} holds pickled object arrays, which are refused by default "
                    "(they can run code); pass allow_pickle=True only for a file you trust"
                ) from None
            raise


def write_npz(path: PathLike, *, compressed: bool = True, **arrays: Any) -> Path:
    """Write arrays into a numpy ``.npz`` archive (atomically, compressed by default).

    npz keeps no units: an astropy Quantity is refused with an
    :class:`~spacekit.exceptions.InputError` (rather than silently stripped); pass
    ``q.value`` or use :func:`write_hdf5` / :func:`write_asdf`.

    Parameters
    ----------
    path : path
        The file to write.
    compressed : bool
        Compress the archive (``numpy.savez_compressed``).
    **arrays : array-like
        The arrays, by name.

    Returns
    -------
    pathlib.Path
        The file written.

    Examples
    --------
    >>> import tempfile, pathlib, numpy as np
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "a.npz"
    >>> write_npz(p, images=np.zeros((2, 3))).name
    'a.npz'
    """
    if not arrays:
        raise InputError("write_npz needs at least one array: write_npz(path, name=array)")
    path = as_path(path, "npz")
    converted = {}
    for name, value in arrays.items():
        if _unit_of(value) is not None:
            raise InputError(
                f"write_npz cannot keep the unit of Quantity {name!r} ({_unit_of(value)}): npz "
                f"stores bare numbers. Pass {name}=q.value and keep the unit yourself, or use "
                "write_hdf5 / write_asdf, which keep units"
            )
        try:
            converted[name] = np.asarray(value)
        except ValueError as exc:  # ragged nested lists
            raise InputError(
                f"write_npz cannot store {name!r} as one array ({exc}); pad the rows to one "
                "length or store each row as its own name"
            ) from None
        if converted[name].dtype.kind == "O":
            # numpy would pickle it, and read_npz refuses pickles (they can run code)
            raise InputError(
                f"write_npz cannot store {name!r}: it is an object array (mixed types or Python "
                "objects), which npz can only keep as a pickle that read_npz refuses; convert it "
                "to numbers or str (e.g. np.asarray(x, dtype=str)), or use write_json"
            )
    save = np.savez_compressed if compressed else np.savez
    with atomic_write(path, "wb") as fh:
        save(fh, **converted)
    return path


# -- asdf ---------------------------------------------------------------------------
def read_asdf(path: PathLike) -> dict:
    """Read an ASDF file into a dict (arrays loaded into memory). astropy objects
    (Quantity, Time, Table, units) come back as themselves through asdf-astropy.

    Parameters
    ----------
    path : path
        The ASDF file.

    Returns
    -------
    dict
        The file's tree, without asdf's own ``asdf_library`` and ``history`` entries.

    Examples
    --------
    >>> import tempfile, pathlib, numpy as np
    >>> import astropy.units as u
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "a.asdf"
    >>> _ = write_asdf(p, {"period": 3.2888 * u.day})
    >>> read_asdf(p)["period"]
    <Quantity 3.2888 d>
    """
    asdf = optional_import("asdf", "read_asdf")
    path = check_readable(path, "ASDF")
    with reading(path, "ASDF"):
        with open(path, "rb") as fh:
            if not fh.read(16).startswith(b"#ASDF"):
                raise FormatError(f"{path} does not start with '#ASDF': it is not an ASDF file")
        with warnings.catch_warnings():
            # asdf only warns when a node (e.g. a truncated array) cannot be converted
            warnings.simplefilter("error", asdf.exceptions.AsdfConversionWarning)
            with asdf.open(path, lazy_load=False, memmap=False) as af:
                tree = {
                    k: _materialize(v)
                    for k, v in af.tree.items()
                    if k not in ("asdf_library", "history")
                }
    return tree


def _materialize(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _materialize(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_materialize(v) for v in value]
    if type(value).__module__.startswith("asdf") and hasattr(value, "__array__"):
        return np.array(value)
    return value


def write_asdf(path: PathLike, tree: dict) -> Path:
    """Write a dict (of arrays, numbers, strings, astropy Quantities, Tables, Times...) as
    an ASDF file (atomically), keeping units and metadata.

    Parameters
    ----------
    path : path
        The file to write.
    tree : dict
        The values to store, by name.

    Returns
    -------
    pathlib.Path
        The file written.

    Examples
    --------
    >>> import tempfile, pathlib, numpy as np
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "a.asdf"
    >>> write_asdf(p, {"x": np.arange(3), "meta": {"target": "WASP-126"}}).name
    'a.asdf'
    """
    asdf = optional_import("asdf", "write_asdf")
    if not isinstance(tree, dict):
        raise InputError(f"write_asdf expects a dict tree, got {type(tree).__name__}")
    path = as_path(path, "ASDF")
    try:
        with atomic_path(path) as tmp:
            asdf.AsdfFile(dict(tree)).write_to(tmp)
    except (MemoryError, KeyboardInterrupt, OSError):
        raise
    except Exception as exc:  # asdf's and yaml's own errors for an object it cannot store
        raise InputError(
            f"write_asdf cannot store this tree in {path.name}: {str(exc).splitlines()[0]} "
            f"({type(exc).__name__}); ASDF holds numbers, strings, lists, dicts, numeric "
            "arrays and astropy objects: convert other objects first"
        ) from exc
    return path


# -- HDF5 ---------------------------------------------------------------------------
def _is_table(obj: Any) -> bool:
    return hasattr(obj, "colnames") or hasattr(obj, "columns") and hasattr(obj, "to_numpy")


def write_hdf5(
    path: PathLike,
    data: Any,
    *,
    key: str = "data",
    attrs: dict | None = None,
    append: bool = False,
) -> Path:
    """Write a table or arrays to HDF5 (atomically).

    Parameters
    ----------
    path : str or path-like
        Destination file.
    data : DataFrame, astropy Table, numpy array or dict of arrays
        A table is stored with its units and metadata (astropy's HDF5 table format, so
        ``read_hdf5`` returns an astropy Table). An array becomes one dataset; a dict becomes
        a group of datasets. An astropy Quantity keeps its unit as the dataset's
        ``quantity_unit`` attribute, and ``read_hdf5`` returns it as a Quantity again.
    key : str
        Dataset or group name inside the file.
    attrs : dict, optional
        Extra attributes for an array dataset or group (plain numbers and strings).
    append : bool
        Add ``key`` to an existing file instead of replacing the file.

    Returns
    -------
    pathlib.Path
        The file written.

    Examples
    --------
    >>> import tempfile, pathlib, numpy as np
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "a.h5"
    >>> _ = write_hdf5(p, {"x": np.arange(3)}, key="arrays")
    >>> read_hdf5(p, key="arrays")["x"].tolist()
    [0, 1, 2]
    """
    h5py = optional_import("h5py", "write_hdf5")
    path = as_path(path, "HDF5")
    with atomic_path(path) as tmp:
        if append and path.exists():
            import shutil

            shutil.copyfile(path, tmp)
        if _is_table(data):
            from astropy.table import Table

            table = data if isinstance(data, Table) else Table.from_pandas(data)
            objects = [  # mixin columns (Time, SkyCoord) have no dtype and are serialized
                name
                for name in table.colnames
                if getattr(getattr(table[name], "dtype", None), "kind", "") == "O"
            ]
            if objects:
                raise InputError(
                    f"write_hdf5 cannot store the object column(s) {objects} (mixed types or "
                    "Python objects have no HDF5 type); convert them first, e.g. "
                    "df[col] = df[col].astype(str)"
                )
            table.write(
                tmp, path=key, format="hdf5", serialize_meta=True, append=True, overwrite=True
            )
            return path
        with h5py.File(tmp, "a") as fh:
            if key in fh:
                del fh[key]
            if isinstance(data, dict):
                group = fh.create_group(key)
                for name, arr in data.items():
                    _h5_dataset(group, name, arr)
                target = group
            else:
                target = _h5_dataset(fh, key, data)
            for name, value in (attrs or {}).items():
                target.attrs[name] = value
    return path


def _unit_of(value: Any) -> Any:
    """The unit of an astropy Quantity (without importing astropy), else None."""
    unit = getattr(value, "unit", None)
    return unit if unit is not None and hasattr(value, "value") else None


def _h5_dataset(parent: Any, name: str, value: Any) -> Any:
    unit = _unit_of(value)
    dset = parent.create_dataset(name, data=_h5_array(value.value if unit is not None else value))
    if unit is not None:
        dset.attrs["quantity_unit"] = unit.to_string()
    return dset


def _h5_array(arr: Any) -> np.ndarray:
    arr = np.asarray(arr)
    if arr.dtype.kind == "U":
        return np.char.encode(arr, "utf-8")  # h5py stores fixed-width bytes
    if arr.dtype.kind == "O":
        raise InputError("write_hdf5 cannot store object arrays; convert them to str or numbers")
    return arr


def read_hdf5(path: PathLike, key: str | None = None) -> Any:
    """Read one dataset or group of an HDF5 file.

    Parameters
    ----------
    path : str or path-like
        The HDF5 file.
    key : str, optional
        Dataset or group name; default: the only top-level key (or ``"data"``).

    Returns
    -------
    astropy.table.Table, numpy.ndarray or dict
        A table written by :func:`write_hdf5` (or astropy) comes back as a Table with its
        units and meta; a plain dataset as an array (a Quantity when it is numeric and has
        a ``quantity_unit`` attribute, as :func:`write_hdf5` writes for a Quantity); a
        group as a dict of its datasets.

    Examples
    --------
    >>> import tempfile, pathlib, pandas as pd
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "t.h5"
    >>> _ = write_hdf5(p, pd.DataFrame({"a": [1.5, 2.5]}))
    >>> read_hdf5(p)["a"].tolist()
    [1.5, 2.5]
    """
    h5py = optional_import("h5py", "read_hdf5")
    path = check_readable(path, "HDF5")
    with reading(path, "HDF5"):
        if not h5py.is_hdf5(path):
            raise FormatError(f"{path} has no HDF5 signature: it is not an HDF5 file")
        with h5py.File(path, "r") as fh:
            keys = [k for k in fh.keys() if not k.endswith(".__table_column_meta__")]
            if key is None:
                if len(keys) == 1:
                    key = keys[0]
                elif "data" in keys:
                    key = "data"
                else:
                    raise InputError(f"{path} holds several keys {keys}; pass key=")
            if key not in fh:
                raise DataNotFoundError(f"{path} has no key {key!r}; it holds {keys}")
            obj = fh[key]
            is_table = isinstance(obj, h5py.Dataset) and obj.dtype.names is not None
            if not is_table:
                return _read_h5_obj(obj, h5py)
        from astropy.table import Table

        table = Table.read(path, path=key, format="hdf5")
        for name in table.colnames:  # not convert_bytestring_to_unicode: Time has no dtype
            col = table[name]
            if getattr(col, "dtype", None) is not None and col.dtype.kind == "S":
                table[name] = np.char.decode(np.asarray(col), "utf-8")
        return table


def _read_h5_obj(obj: Any, h5py: Any) -> Any:
    if isinstance(obj, h5py.Group):
        return {name: _read_h5_obj(obj[name], h5py) for name in obj}
    arr = obj[()]
    if isinstance(arr, np.ndarray) and arr.dtype.kind == "S":
        return np.char.decode(arr, "utf-8")
    if isinstance(arr, bytes):
        return arr.decode("utf-8")
    unit = obj.attrs.get("quantity_unit")
    if unit is not None and np.asarray(arr).dtype.kind in "iuf":
        import astropy.units as u

        if isinstance(unit, bytes):
            unit = unit.decode("utf-8")
        try:
            return u.Quantity(arr, u.Unit(str(unit)))
        except (ValueError, TypeError):  # not an astropy unit string: leave the numbers
            return arr
    return arr
