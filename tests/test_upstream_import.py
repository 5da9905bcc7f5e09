"""Upstream spacekit 1.1.4's trained models, imported, reproduce upstream's own outputs.

The references (``tests/fixtures/upstream/reference.json``) were recorded once from upstream's
code with TensorFlow in a separate venv (``benchmarks/upstream_reference.py``); the imported
models run here with numpy (hst_cal, jwst_cal) or Keras (the svm ensemble).
"""

from __future__ import annotations

import json
import zipfile

import numpy as np
import pytest
from fixtures.jwst_headers import write_reference_uncals

from spacekit.exceptions import DataNotFoundError, FormatError


def test_import_writes_one_folder_per_app_with_a_manifest(upstream_models, upstream_wheel):
    import hashlib

    assert sorted(upstream_models) == ["hst_cal", "hst_svm", "jwst_cal"]
    digest = hashlib.sha256(upstream_wheel.read_bytes()).hexdigest()
    for app, folder in upstream_models.items():
        manifest = json.loads((folder / "model.json").read_text())
        assert manifest["app"] == app
        assert manifest["status"] == "complete"
        assert manifest["source"]["kind"] == "imported"
        assert manifest["source"]["file"] == upstream_wheel.name
        assert manifest["source"]["sha256"] == digest
        assert manifest["source"]["files"]  # each upstream file with its sha256
        assert manifest["format_version"] == 1
        assert not manifest.get("feature_ranges")  # imported: no training ranges
        assert manifest["details"]["imported_from"] == "spacekit 1.1.4"


def test_app_load_model_reads_every_imported_folder(upstream_models):
    from spacekit.skopes.hst import cal, svm
    from spacekit.skopes.jwst import cal as jwst_cal

    assert cal.load_model(upstream_models["hst_cal"]).bin_rule == "classifier"
    assert svm.load_model(upstream_models["hst_svm"]).kind == "upstream_ensemble"
    assert jwst_cal.load_model(upstream_models["jwst_cal"]).feature_definition_ == "upstream"


def test_hst_cal_reproduces_upstream_predictions(upstream_models, upstream_reference, shared_data):
    from spacekit.skopes.hst.cal import load_predictor

    pred = load_predictor(upstream_models["hst_cal"])
    ref = upstream_reference["hst_cal"]
    parsed = {k: v for k, v in ref.items() if "error" not in v}
    assert len(parsed) == 15  # the files upstream can parse (the others lack keys it needs)
    for ipst, want in parsed.items():
        path = shared_data / "hst_cal" / "MemModelFeatures" / f"{ipst}_MemModelFeatures.txt"
        got = pred.predict(ipst, path)
        assert (got["memBin"], got["memVal"], got["clockTime"]) == (
            want["memBin"],
            want["memVal"],
            want["clockTime"],
        ), ipst
        np.testing.assert_allclose(got["memBinProba"], want["proba"], atol=1e-5)
        row = np.array([[got["features"][k] for k in pred_features()]], dtype=float)
        raw = pred.predict_arrays(row)
        np.testing.assert_allclose(raw["memory"][0], want["mem_raw"], rtol=1e-5)
        np.testing.assert_allclose(raw["wallclock"][0], want["wall_raw"], rtol=1e-5)


def pred_features():
    from spacekit.skopes.hst.cal.features import FEATURES

    return FEATURES


def test_hst_cal_imported_from_extracted_folder(upstream_wheel, tmp_path):
    from spacekit.skopes.hst.cal import load_predictor
    from spacekit.skopes.upstream import import_upstream

    folder = tmp_path / "trained_networks"
    with zipfile.ZipFile(upstream_wheel) as zf:
        for name in zf.namelist():
            if name.startswith("spacekit/builder/trained_networks/hst_cal"):
                (folder).mkdir(exist_ok=True)
                (folder / name.rsplit("/", 1)[1]).write_bytes(zf.read(name))
    out = import_upstream(folder, tmp_path / "models")
    assert list(out) == ["hst_cal"]
    got = load_predictor(out["hst_cal"]).predict(
        "iaao11ofq",
        "n_files=2\ntotal_mb=4.032\nDETECTOR=UVIS\nSUBARRAY=False\n"
        "DRIZCORR=OMIT\nPCTECORR=OMIT\nCRSPLIT=1",
    )
    assert got["memBin"] in (0, 1, 2, 3)


def test_import_errors_say_what_to_pass(tmp_path):
    from spacekit.skopes.upstream import import_upstream

    with pytest.raises(DataNotFoundError, match="pip download spacekit==1.1.4"):
        import_upstream(tmp_path / "nope.whl", tmp_path / "out")
    bad = tmp_path / "bad.whl"
    bad.write_bytes(b"not a zip")
    with pytest.raises(FormatError, match="not a wheel"):
        import_upstream(bad, tmp_path / "out")
    with pytest.raises(DataNotFoundError, match="holds none of"):
        import_upstream(tmp_path, tmp_path / "out")


# --------------------------------------------------------------------------- JWST
def test_jwst_imported_networks_reproduce_upstream(upstream_models, upstream_reference):
    import pandas as pd

    from spacekit.skopes.jwst.cal import load_memory_model

    model = load_memory_model(upstream_models["jwst_cal"])
    assert model.feature_definition_ == "upstream"
    for kind in ("IMAGE", "SPEC"):
        ref = upstream_reference["jwst_cal"][kind]
        table = pd.DataFrame(ref["raw"], columns=ref["columns"]).assign(kind=kind)  # encoded
        np.testing.assert_allclose(model.predict(table), ref["pred"], atol=1e-5)


def test_jwst_upstream_offsets_from_level1_headers(tmp_path, upstream_reference):
    from spacekit.skopes.jwst.cal import scrape_products

    ref = upstream_reference["jwst_cal"]
    write_reference_uncals(tmp_path, ref["headers"])
    table = scrape_products(tmp_path, definition="upstream")
    assert table.attrs["feature_definition"] == "upstream"
    instr = {"nircam": "NIRCAM", "nirspec": "NIRSPEC", "miri": "MIRI"}
    keys = (
        "offset",
        "max_offset",
        "mean_offset",
        "sigma_offset",
        "err_offset",
        "sigma1_mean",
        "frac",
        "targ_max_offset",
        "targ_frac",
    )
    for product, want in ref["offsets"].items():
        row = table[table["instr"] == instr[product]]
        assert len(row) == 1, (product, table["product"].tolist())
        got = row.iloc[0]
        assert got["nexposur"] == want["NEXPOSUR"]
        for k in keys:
            np.testing.assert_allclose(
                got[k], want[k], rtol=1e-7, atol=1e-9, err_msg=f"{product} {k}"
            )
    # this project's definition differs (arcsec, share within one sigma): both are kept
    ours = scrape_products(tmp_path)
    assert ours.attrs["feature_definition"] == "spacekit"
    nircam = ours[ours["instr"] == "NIRCAM"].iloc[0]
    assert not np.isclose(nircam["max_offset"], ref["offsets"]["nircam"]["max_offset"])


def test_jwst_definition_mismatch_is_an_error(upstream_models, upstream_reference, tmp_path):
    from spacekit.exceptions import SchemaError
    from spacekit.skopes.jwst.cal import load_memory_model, predict, scrape_products

    write_reference_uncals(tmp_path, upstream_reference["jwst_cal"]["headers"])
    model = load_memory_model(upstream_models["jwst_cal"])
    ours = scrape_products(tmp_path)  # spacekit's definition
    with pytest.raises(SchemaError, match="definition='upstream'"):
        model.predict(ours)
    # predict() scrapes with the definition the model folder records
    out = predict(upstream_models["jwst_cal"], tmp_path)
    assert len(out) == 3
    assert sorted(out["kind"]) == ["IMAGE", "SPEC", "SPEC"]
    assert ((out["gbSize"] >= 0) & (out["gbSize"] <= 990)).all()
    assert (out["gbSize"] == out["gbSize"].round(2)).all()  # upstream's rounding
    upstream = scrape_products(tmp_path, definition="upstream")
    np.testing.assert_allclose(out["gbSize"], model.predict(upstream).round(2))


def test_jwst_predict_matches_upstream_end_to_end(upstream_models, upstream_reference, tmp_path):
    """Upstream's JwstCalPredict and this project's predict on the same uncal files."""
    from spacekit.skopes.jwst.cal import load_model, predict, scrape_products

    ref = upstream_reference["jwst_end_to_end"]
    write_reference_uncals(tmp_path, upstream_reference["jwst_cal"]["headers"])
    model = load_model(upstream_models["jwst_cal"])
    out = predict(model, tmp_path)
    # product names differ (upstream: ..._nirspec_g395m-f290lp, ..._miri_ch1-short); match
    # them by program and observation
    want = {name.split("_")[0]: gb for name, gb in ref["gbSize"].items()}
    got = {name.split("_")[0]: gb for name, gb in zip(out["product"], out["gbSize"], strict=True)}
    assert got == want
    table = scrape_products(tmp_path, definition="upstream")
    encoded = model.encoded(table)
    for rows in ref["features"].values():
        for name, feats in rows.items():
            i = table.index[[p.split("_")[0] for p in table["product"]].index(name.split("_")[0])]
            for col in ("nexposur", "numdthpt", "offset", "max_offset", "frac", "sigma1_mean"):
                np.testing.assert_allclose(encoded.loc[i, col], feats[col], rtol=1e-7)
            for col in ("instr", "detector", "filter", "visitype", "subarray"):
                assert encoded.loc[i, col] == feats[col], (name, col)


# --------------------------------------------------------------------------- SVM
@pytest.mark.slow
def test_svm_ensemble_reproduces_upstream(upstream_models, upstream_reference, shared_data):
    import pandas as pd

    from spacekit.skopes.hst.svm import load_svm_model

    ref = upstream_reference["hst_svm"]
    table = pd.read_csv(shared_data / "hst_svm" / "svm_unlabeled_2021-10-06.csv")
    table = table.set_index("index").iloc[: ref["rows"]]
    assert table.index.tolist() == ref["index"]
    with np.load(shared_data / "hst_svm" / "svm_img_pred_2samples.npz", allow_pickle=False) as d:
        images = np.stack([d["images"][i % 2] for i in range(len(table))])
    model = load_svm_model(upstream_models["hst_svm"])
    proba = model.predict_proba(table, images=images)
    np.testing.assert_allclose(proba, ref["proba"], atol=1e-5)
    assert model.predict(table, images=images).tolist() == [int(p >= 0.5) for p in ref["proba"]]


# --------------------------------------------------------------------------- CLI
def test_cli_import_then_jwst_predict(upstream_wheel, upstream_reference, tmp_path, capsys):
    from spacekit.cli import main

    out = tmp_path / "models"
    assert main(["import-upstream", str(upstream_wheel), "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert f"jwst_cal: {out / 'jwst_cal'}" in printed
    uncal = tmp_path / "uncal"
    uncal.mkdir()
    write_reference_uncals(uncal, upstream_reference["jwst_cal"]["headers"])
    assert main(["jwst", "predict", "--models", str(out / "jwst_cal"), str(uncal)]) == 0
    result = json.loads(capsys.readouterr().out)
    assert len(result) == 3 and all("gbSize" in v for v in result.values())
    # an imported model keeps no training ranges: its inputs are not checked (null, not [])
    assert all(v["out_of_range"] is None for v in result.values())
    assert main(["import-upstream", str(tmp_path / "missing.whl"), "--out", str(out)]) == 1
    assert "pip download spacekit==1.1.4" in capsys.readouterr().err


# --------------------------------------------------------------------------- pieces
def test_power_standardize_decimals_round_like_upstream():
    from spacekit.transformer.power import power_standardize

    p = {"columns": [0], "lambdas": [1.0], "means": [0.0], "scales": [3.0]}
    x = np.array([[1.0, 7.0]])
    assert power_standardize(x, p)[0, 0] == 1 / 3
    assert power_standardize(x, {**p, "decimals": 5}).tolist() == [[0.33333, 7.0]]


def test_import_from_extracted_archive_folders(upstream_wheel, tmp_path):
    import io

    from spacekit.skopes.jwst.cal import load_memory_model
    from spacekit.skopes.upstream import import_upstream

    folder = tmp_path / "trained_networks"
    with zipfile.ZipFile(upstream_wheel) as zf:
        inner = zf.read("spacekit/builder/trained_networks/jwst_cal.zip")
    with zipfile.ZipFile(io.BytesIO(inner)) as z2:
        z2.extractall(folder)  # folder/jwst_cal/*.keras, *.json
    out = import_upstream(folder, tmp_path / "models", apps=["jwst_cal"])
    manifest = json.loads((out["jwst_cal"] / "model.json").read_text())
    assert manifest["source"]["sha256"] is None  # a folder: each file's sha256 instead
    assert manifest["source"]["member"] == "jwst_cal/"
    assert sorted(manifest["source"]["files"]) == [
        "img3_reg.keras",
        "spec3_reg.keras",
        "tx_data-image.json",
        "tx_data-spec.json",
    ]
    assert sorted(load_memory_model(out["jwst_cal"]).models_) == ["IMAGE", "SPEC"]
    with pytest.raises(DataNotFoundError, match="hst_cal"):
        import_upstream(folder, tmp_path / "more", apps=["hst_cal"])


def test_group_products_refuses_an_unknown_definition(tmp_path, upstream_reference):
    from spacekit.exceptions import InputError
    from spacekit.skopes.jwst.cal import scrape_products

    write_reference_uncals(tmp_path, upstream_reference["jwst_cal"]["headers"][:2])
    with pytest.raises(InputError, match="'spacekit', 'upstream'"):
        scrape_products(tmp_path, definition="arcsec")


def test_jwst_model_trained_on_upstream_features_records_the_definition(tmp_path):
    import pandas as pd

    from spacekit.exceptions import SchemaError
    from spacekit.skopes.jwst.cal import IMAGE_FEATURES, JwstMemoryModel, load_memory_model

    rng = np.random.default_rng(0)
    X = pd.DataFrame({c: rng.uniform(0, 3, 30) for c in IMAGE_FEATURES}).assign(kind="IMAGE")
    X.attrs["feature_definition"] = "upstream"
    model = JwstMemoryModel(fast=True, encoder_pairs={}).fit(X, 2 + X["nexposur"])
    folder = model.save(tmp_path / "m")
    loaded = load_memory_model(folder)
    assert loaded.feature_definition_ == "upstream"
    ours = X.copy()
    ours.attrs["feature_definition"] = "spacekit"
    with pytest.raises(SchemaError, match="'spacekit' definition"):
        loaded.predict(ours)


def test_hst_cal_margin_only_when_asked(upstream_wheel, upstream_reference, shared_data, tmp_path):
    import math

    from spacekit.exceptions import InputError
    from spacekit.skopes.hst.cal import load_predictor
    from spacekit.skopes.hst.cal.features import memory_to_bin
    from spacekit.skopes.upstream import import_upstream

    margin = math.log(2.0)
    out = import_upstream(upstream_wheel, tmp_path, apps=["hst_cal"], bin_log_margin=margin)
    pred = load_predictor(out["hst_cal"])
    raised = 0
    for ipst, want in upstream_reference["hst_cal"].items():
        if "error" in want:
            continue
        path = shared_data / "hst_cal" / "MemModelFeatures" / f"{ipst}_MemModelFeatures.txt"
        got = pred.predict(ipst, path)
        assert got["memBinArgmax"] == want["memBin"]  # upstream's choice is still reported
        floor = int(memory_to_bin(np.array([want["mem_raw"] * 2.0]))[0])
        assert got["memBin"] == max(want["memBin"], floor)
        raised += got["memBin"] > want["memBin"]
    assert raised > 0  # the margin changes some bins on the real files
    with pytest.raises(InputError, match="bin_log_margin"):
        import_upstream(upstream_wheel, tmp_path / "x", bin_log_margin=-1.0)


def test_hst_cal_table_predictions_are_the_single_ones(
    upstream_models, upstream_reference, shared_data
):
    """A table through the imported model answers what one job does, upstream's numbers
    (``clockTime`` the truncated wallclock estimate, killed at 6x it; ``memVal`` to 2
    decimals); the table path used to give ``clockTime`` = estimate / 6 and kill at the
    estimate."""
    import pandas as pd

    from spacekit.skopes.hst import cal

    model = cal.load_model(upstream_models["hst_cal"])
    ref = {k: v for k, v in upstream_reference["hst_cal"].items() if "error" not in v}
    singles = {}
    for ipst in ref:
        path = shared_data / "hst_cal" / "MemModelFeatures" / f"{ipst}_MemModelFeatures.txt"
        singles[ipst] = cal.predict(model, (ipst, path))
    table = pd.DataFrame([dict(ipst=i, **r["features"]) for i, r in singles.items()])
    for df in (cal.predict(model, table), model.predict_batch(table)):
        for row in df.to_dict("records"):
            one, want = singles[row["ipst"]], ref[row["ipst"]]
            assert (row["memBin"], row["memVal"], row["clockTime"]) == (
                want["memBin"],
                want["memVal"],
                want["clockTime"],
            ), row["ipst"]
            assert row["killTime"] == one["killTime"] == 6 * want["clockTime"]


def test_import_one_archive_or_its_extracted_folder(upstream_wheel, tmp_path):
    """``hst_cal.zip`` itself, or the ``hst_cal/`` it extracts to, is a source too (it was
    refused: "holds none of hst_cal.zip, ..."); the models are the wheel's."""
    import io

    from spacekit.skopes.upstream import import_upstream

    with zipfile.ZipFile(upstream_wheel) as zf:
        inner = zf.read("spacekit/builder/trained_networks/hst_cal.zip")
    archive = tmp_path / "hst_cal.zip"
    archive.write_bytes(inner)
    with zipfile.ZipFile(io.BytesIO(inner)) as z2:
        z2.extractall(tmp_path / "x")  # x/hst_cal/mem_clf.keras ...
    from_wheel = import_upstream(upstream_wheel, tmp_path / "w", apps=["hst_cal"])["hst_cal"]
    for i, source in enumerate((archive, tmp_path / "x" / "hst_cal")):
        out = import_upstream(source, tmp_path / f"out{i}")
        assert list(out) == ["hst_cal"]
        for f in sorted(p.name for p in from_wheel.glob("*.npz")):
            assert (out["hst_cal"] / f).read_bytes() == (from_wheel / f).read_bytes(), f
    manifest = json.loads((tmp_path / "out0" / "hst_cal" / "model.json").read_text())
    assert manifest["source"]["file"] == "hst_cal.zip" and manifest["source"]["sha256"]
