"""Record reference outputs of upstream spacekit 1.1.4's own code (run once, in a separate venv).

This script imports *upstream* spacekit (the PyPI package, with TensorFlow), not this project:
run it from outside the repository with a venv holding ``spacekit==1.1.4``::

    python3 -m venv /tmp/venv-up && /tmp/venv-up/bin/pip install spacekit==1.1.4
    pip download spacekit==1.1.4 --no-deps -d /tmp/upstream-wheel
    cd /tmp && /tmp/venv-up/bin/python /path/to/repo/benchmarks/upstream_reference.py \
        --wheel /tmp/upstream-wheel/spacekit-1.1.4-py3-none-any.whl \
        --data /path/to/shared/data --out /path/to/repo/tests/fixtures/upstream/reference.json

It writes one JSON file (``tests/fixtures/upstream/reference.json``) that
``tests/test_upstream_import.py`` compares the imported models against:

- ``hst_cal``: upstream's ``Predict.run_inference`` on every MemModelFeatures file of the data
  mirror (its ``memBin``, ``memVal``, ``clockTime``, the class probabilities and the unrounded
  regressor outputs), or the error upstream raised on a file it cannot parse;
- ``jwst_cal``: upstream's ``PowerX`` normalisation and the ``img3_reg``/``spec3_reg`` networks
  on a fixed table of raw features (:func:`jwst_inputs`), and upstream's ``SkyTransformer``
  pixel-offset statistics of synthetic Level-1 headers (:func:`jwst_headers`, the same headers
  the test writes as FITS files);
- ``jwst_end_to_end``: upstream's ``JwstCalPredict`` on those headers written as uncal files
  (:func:`write_uncal`): its ``gbSize`` per product and the encoded features it computed;
- ``hst_svm``: the ensemble's probabilities on the first rows of ``svm_unlabeled_2021-10-06.csv``,
  each paired with one of the two image stacks of ``svm_img_pred_2samples.npz``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import zipfile

import numpy as np

SVM_ROWS = 12


def jwst_inputs(kind: str) -> np.ndarray:
    """A fixed table of raw (encoded) JWST features: 8 rows of the IMAGE or SPEC order."""
    rows = []
    for i in range(8):
        cats = [2 + i % 2, 1 + i % 3, i % 2, 3 + i, i % 4, (i * 3) % 5, i % 3, i % 2]
        nums = [
            4.0 + 3 * i,  # nexposur
            2.0 + i,  # numdthpt
            30.0 + 41.5 * i,
            12.5 * (i + 1),
            25.0 + 7.5 * i,
            3.0 + i,
            1.0 + 0.5 * i,
            40.0 + 10 * i,
            0.125 * (i % 4),
            0.25 * ((i + 1) % 4),
        ]
        rows.append(cats + nums)
    return np.asarray(rows, dtype=float)


def jwst_headers() -> list[dict]:
    """Synthetic Level-1 exposure headers: 16 NIRCam short-wave exposures of one product,
    6 NIRSpec exposures and 5 MIRI MRS exposures (dither patterns around a target)."""
    out = []
    rng_ra, rng_dec = 80.4875, -69.4986
    for i in range(16):
        det = f"NRCA{1 + i % 4}"
        dra = (i % 4) * 0.0009 + (i // 4) * 0.00021
        ddec = (i // 4) * 0.0008 - (i % 4) * 0.00017
        out.append(
            dict(
                name=f"jw01018001001_0210{i // 4 + 1}_0000{i % 4 + 1}_{det.lower()}",
                product="nircam",
                INSTRUME="NIRCAM",
                DETECTOR=det,
                CHANNEL="SHORT",
                EXP_TYPE="NRC_IMAGE",
                BAND="NONE",
                CRVAL1=rng_ra + dra,
                CRVAL2=rng_dec + ddec,
                RA_REF=rng_ra + dra + 0.00002 * (i % 3),
                DEC_REF=rng_dec + ddec - 0.00001 * (i % 2),
                TARG_RA=rng_ra + 0.0004,
                TARG_DEC=rng_dec - 0.0003,
                GS_RA=rng_ra + 0.01,
                GS_DEC=rng_dec + 0.01,
            )
        )
    for i in range(6):
        out.append(
            dict(
                name=f"jw01018002001_0310{i // 2 + 1}_0000{i % 2 + 1}_nrs{1 + i % 2}",
                product="nirspec",
                INSTRUME="NIRSPEC",
                DETECTOR=f"NRS{1 + i % 2}",
                CHANNEL="NONE",
                EXP_TYPE="NRS_IFU",
                BAND="NONE",
                CRVAL1=150.1 + 0.00011 * i,
                CRVAL2=2.2 - 0.00007 * i * i,
                RA_REF=150.1 + 0.00019 * i,
                DEC_REF=2.2 - 0.00004 * i * i,
                TARG_RA=150.1003,
                TARG_DEC=2.1998,
                GS_RA=150.11,
                GS_DEC=2.21,
            )
        )
    for i in range(5):
        out.append(
            dict(
                name=f"jw01018003001_0410{i + 1}_00001_mirifushort",
                product="miri",
                INSTRUME="MIRI",
                DETECTOR="MIRIFUSHORT",
                CHANNEL="12",
                EXP_TYPE="MIR_MRS",
                BAND="SHORT",
                CRVAL1=270.0 + 0.0003 * i,
                CRVAL2=66.5 + 0.0002 * (i % 2),
                RA_REF=270.0 + 0.0005 * i,
                DEC_REF=66.5 + 0.0001 * (i % 3),
                TARG_RA=270.0006,
                TARG_DEC=66.5001,
                GS_RA=270.01,
                GS_DEC=66.51,
            )
        )
    return out


def write_uncal(folder: str, headers: list[dict]) -> None:
    """Write each synthetic header as a tiny ``<name>_uncal.fits`` with the tests' own writer
    (``tests/fixtures/jwst_headers.py``, numpy and astropy only, so it runs in upstream's venv):
    the files upstream reads here are the files the tests compare against."""
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
    from fixtures.jwst_headers import write_reference_uncals

    write_reference_uncals(Path(folder), headers)


def jwst_end_to_end(models_dir: str) -> dict:
    """Upstream's JwstCalPredict on the synthetic exposures written as uncal files."""
    from spacekit.skopes.jwst.cal.predict import JwstCalPredict

    with tempfile.TemporaryDirectory() as folder:
        write_uncal(folder, jwst_headers())
        pred = JwstCalPredict(folder, model_path=os.path.join(models_dir, "jwst_cal"))
        pred.run_inference()
        features = {}
        for kind in ("IMAGE", "SPEC"):
            table = pred.input_data.get(kind)
            if table is not None:
                features[kind] = {
                    str(i): {k: float(v) for k, v in row.items() if isinstance(v, (int, float))}
                    for i, row in table.iterrows()
                }
        return {
            "gbSize": {k: float(v["gbSize"]) for k, v in pred.predictions.items()},
            "features": features,
        }


def _extract(wheel: str, dest: str) -> str:
    with zipfile.ZipFile(wheel) as zf:
        for name in zf.namelist():
            if name.startswith("spacekit/builder/trained_networks/") and name.endswith(".zip"):
                with zf.open(name) as inner, zipfile.ZipFile(inner) as z2:
                    z2.extractall(dest)
    return dest


def hst_cal(models_dir: str, data: str) -> dict:
    from spacekit.skopes.hst.cal.predict import Predict

    folder = os.path.join(data, "hst_cal", "MemModelFeatures")
    out = {}
    for fname in sorted(os.listdir(folder)):
        ipst = fname.split("_")[0]
        text = open(os.path.join(folder, fname), "rb").read().splitlines()
        rec: dict = {}
        try:
            input_data = {}
            for line in text:  # upstream's S3Scraper.import_dataset parsing
                k, v = str(line).strip("b'").split("=")
                input_data[k] = v
            pred = Predict(
                ipst,
                model_path=os.path.join(models_dir, "hst_cal"),
                tx_file=os.path.join(models_dir, "hst_cal", "tx_data.json"),
            )
            pred.input_data = input_data
            pred.run_inference()
            X = np.asarray(pred.X, dtype=np.float32).reshape(1, -1)
            rec = {
                "memBin": int(pred.predictions["memBin"]),
                "memVal": float(pred.predictions["memVal"]),
                "clockTime": int(pred.predictions["clockTime"]),
                "proba": np.asarray(pred.probabilities["probabilities"]).reshape(-1).tolist(),
                "X": np.asarray(pred.X, dtype=float).reshape(-1).tolist(),
                "mem_raw": float(pred.mem_reg.model.predict(X, verbose=0).item()),
                "wall_raw": float(pred.wall_reg.model.predict(X, verbose=0).item()),
            }
        except (Exception, SystemExit) as exc:  # noqa: BLE001 - recorded, not hidden
            rec = {"error": f"{type(exc).__name__}: {exc}"}
        out[ipst] = rec
    return out


def jwst_cal(models_dir: str) -> dict:
    import keras
    import pandas as pd
    from spacekit.preprocessor.transform import PowerX, SkyTransformer

    from spacekit.skopes.jwst.cal.config import COLUMN_ORDER, NORM_COLS

    out: dict = {}
    base = os.path.join(models_dir, "jwst_cal")
    for kind, name in (("IMAGE", "img3_reg"), ("SPEC", "spec3_reg")):
        cols = COLUMN_ORDER[kind]
        raw = pd.DataFrame(jwst_inputs(kind), columns=cols)
        px = PowerX(
            raw,
            cols=NORM_COLS[kind],
            tx_file=os.path.join(base, f"tx_data-{kind.lower()}.json"),
            rename=None,
            join_data=1,
        )
        X = np.asarray(px.Xt[cols], dtype=np.float32)
        model = keras.models.load_model(os.path.join(base, f"{name}.keras"), compile=False)
        y = model.predict(X, verbose=0).reshape(-1)
        out[kind] = {
            "columns": cols,
            "norm_cols": list(NORM_COLS[kind]),
            "raw": raw.to_numpy().tolist(),
            "X": X.astype(float).tolist(),
            "pred": y.astype(float).tolist(),
            "gbSize": [min(float(np.round(float(v), 2)), 990.0) for v in y],
        }
    # as upstream's JwstCalScrubber.pixel_offsets: IMAGE products from CRVAL1/CRVAL2 (the
    # default keys), then set_keys(ra="RA_REF", dec="DEC_REF") for SPEC products
    kinds = {"nircam": "IMAGE", "nirspec": "SPEC", "miri": "SPEC"}
    groups: dict = {"IMAGE": {}, "SPEC": {}}
    for h in jwst_headers():
        hdr = {k: v for k, v in h.items() if k not in ("name", "product")}
        groups[kinds[h["product"]]].setdefault(h["product"], {})[h["name"]] = hdr
    sky = SkyTransformer("JWST")
    stats = dict(sky.calculate_offsets(groups["IMAGE"]))
    sky.set_keys(ra="RA_REF", dec="DEC_REF")
    stats.update(sky.calculate_offsets(groups["SPEC"]))
    keep = (
        "offset",
        "max_offset",
        "mean_offset",
        "sigma_offset",
        "err_offset",
        "sigma1_mean",
        "frac",
        "targ_max_offset",
        "targ_mean_offset",
        "targ_sigma_offset",
        "targ_err_offset",
        "targ_sigma1_mean",
        "targ_frac",
        "fx_ra",
        "fy_dec",
        "scale",
        "NEXPOSUR",
    )
    out["offsets"] = {p: {k: float(v[k]) for k in keep if k in v} for p, v in stats.items()}
    out["headers"] = jwst_headers()
    return out


def hst_svm(models_dir: str, data: str) -> dict:
    import keras
    import pandas as pd
    from spacekit.preprocessor.transform import PowerX

    cols = [
        "numexp",
        "rms_ra",
        "rms_dec",
        "nmatches",
        "point",
        "segment",
        "gaia",
        "det",
        "wcs",
        "cat",
    ]
    df = pd.read_csv(os.path.join(data, "hst_svm", "svm_unlabeled_2021-10-06.csv"))
    df = df.set_index("index")[cols].iloc[:SVM_ROWS]
    npz = np.load(os.path.join(data, "hst_svm", "svm_img_pred_2samples.npz"), allow_pickle=False)
    images = np.stack([npz["images"][i % 2] for i in range(len(df))]) / 255.0
    base = os.path.join(models_dir, "svm_align")
    Tx = PowerX(df, cols=cols[:-3], tx_file=os.path.join(base, "tx_data.json"), rename=None)
    X = Tx.Xt[cols]
    model = keras.models.load_model(os.path.join(base, "ensembleSVM.keras"), compile=False)
    proba = model.predict([np.asarray(X, dtype=np.float32), images.astype(np.float32)], verbose=0)
    return {
        "rows": SVM_ROWS,
        "index": df.index.tolist(),
        "X": np.asarray(X, dtype=float).tolist(),
        "proba": np.asarray(proba, dtype=float).reshape(-1).tolist(),
    }


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--wheel", required=True)
    ap.add_argument("--data", required=True, help="the data mirror (shared/data)")
    ap.add_argument("--out", required=True)
    args = ap.parse_args(argv)
    import spacekit

    if not str(getattr(spacekit, "__version__", "")).startswith("1.1.4"):
        print(f"this needs upstream spacekit 1.1.4, found {spacekit.__version__}", file=sys.stderr)
    with tempfile.TemporaryDirectory() as tmp:
        models = _extract(args.wheel, tmp)
        ref = {
            "spacekit": str(getattr(spacekit, "__version__", "?")),
            "hst_cal": hst_cal(models, args.data),
            "jwst_cal": jwst_cal(models),
            "hst_svm": hst_svm(models, args.data),
            "jwst_end_to_end": jwst_end_to_end(models),
        }
    with open(args.out, "w") as f:
        json.dump(ref, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
