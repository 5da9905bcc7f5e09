"""skopes.jwst.cal: header scrape of generated uncal files, product grouping, offsets, encoding,
training on a generated table, prediction (library, Dask, CLI)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from fixtures.jwst_headers import ARCSEC, base_keys, write_uncal

from spacekit.exceptions import DataNotFoundError, FormatError, InputError, ModelLoadError
from spacekit.skopes.jwst import cal

# the synthetic products are drawn at random, so predictions often lie outside a tiny
# training set's ranges; tests/test_app_contract.py checks the warning itself
pytestmark = pytest.mark.filterwarnings("ignore::spacekit.utils.manifest.OutOfRangeWarning")


@pytest.fixture
def program(tmp_path):
    """Program 2732: NIRCam F150W on NRCA1+NRCA2 (4 dithers at ±1" around the target),
    MIRI F770W (1 exposure, 3" off target), NIRSpec IFU G140M/F100LP on NRS1+NRS2 (second
    target)."""
    folder = tmp_path / "jw02732"
    folder.mkdir()
    n = 0
    for det in ("NRCA1", "NRCA2"):
        for dra, ddec in ((1, 0), (-1, 0), (0, 1), (0, -1)):
            n += 1
            write_uncal(
                folder / f"jw02732001001_0210{n}_00001_{det.lower()}_uncal.fits",
                sci={
                    "ra_ref": 150.0 + dra * ARCSEC / np.cos(np.deg2rad(2.0)),
                    "dec_ref": 2.0 + ddec * ARCSEC,
                },
                **base_keys(detector=det),
            )
    write_uncal(
        folder / "jw02732001001_03101_00001_mirimage_uncal.fits",
        sci={"ra_ref": 150.0, "dec_ref": 2.0 + 3 * ARCSEC},
        **base_keys(
            instrume="MIRI",
            detector="MIRIMAGE",
            exp_type="MIR_IMAGE",
            filter="F770W",
            pupil="N/A",
            channel="N/A",
            numdthpt=1,
        ),
    )
    for det in ("NRS1", "NRS2"):
        write_uncal(
            folder / f"jw02732002001_04101_00001_{det.lower()}_uncal.fits",
            sci={"ra_ref": 151.0, "dec_ref": -1.0},
            **base_keys(
                instrume="NIRSPEC",
                detector=det,
                exp_type="NRS_IFU",
                observtn="002",
                filter="F100LP",
                grating="G140M",
                pupil="NONE",
                channel="NONE",
                targ_ra=151.0,
                targ_dec=-1.0,
                targprop="SECOND",
                numdthpt=2,
            ),
        )
    return folder


def test_scrape_headers(program):
    ex = cal.scrape_headers(program)
    assert len(ex) == 11
    assert {
        "file",
        "instr",
        "detector",
        "exp_type",
        "filter",
        "pupil",
        "grating",
        "subarray",
        "ngroups",
        "nints",
        "targ_ra",
        "targ_dec",
        "ra_ref",
        "dec_ref",
    } <= set(ex.columns)
    nrs = ex[ex["instr"] == "NIRSPEC"].iloc[0]
    assert (nrs["program"], nrs["observtn"], nrs["grating"]) == ("02732", "002", "G140M")
    assert ex.loc[ex["instr"] == "NIRCAM", "grating"].eq("NONE").all()  # absent -> default


def test_group_products_names_and_offsets(program):
    products = cal.group_products(cal.scrape_headers(program)).set_index("product")
    assert sorted(products.index) == [
        "jw02732-o001_t1_miri_f770w",
        "jw02732-o001_t1_nircam_clear-f150w",
        "jw02732-o002_t2_nirspec_f100lp-g140m",
    ]
    nrc = products.loc["jw02732-o001_t1_nircam_clear-f150w"]
    assert (nrc["kind"], nrc["detector"], nrc["nexposur"], nrc["ngroups"]) == (
        "IMAGE",
        "NRCA-M",
        8,
        40,
    )
    assert nrc["max_offset"] == pytest.approx(1.0, abs=1e-3)
    assert nrc["mean_offset"] == pytest.approx(1.0, abs=1e-3)
    assert nrc["sigma_offset"] == pytest.approx(0.0, abs=1e-3)
    assert nrc["offset"] == pytest.approx(0.0, abs=1e-3) and nrc["frac"] == 1.0
    miri = products.loc["jw02732-o001_t1_miri_f770w"]
    assert miri["offset"] == pytest.approx(3.0, abs=1e-3) and miri["detector"] == "MIRIMAGE"
    assert miri["pupil"] == "NONE"
    spec = products.loc["jw02732-o002_t2_nirspec_f100lp-g140m"]
    assert (spec["kind"], spec["detector"], spec["grating"]) == ("SPEC", "NRS1|NRS2", "G140M")


def test_offset_statistics_values():
    # three pointings at 0, 0, 3 arcsec north of the target: fiducial 1" north
    s = cal.offset_statistics([10.0] * 3, [0.0, 0.0, 3 * ARCSEC], [10.0] * 3, [0.0] * 3)
    assert s["offset"] == pytest.approx(1.0, abs=1e-6)
    assert s["max_offset"] == pytest.approx(2.0, abs=1e-6)
    assert s["mean_offset"] == pytest.approx(4 / 3, abs=1e-6)
    assert s["sigma_offset"] == pytest.approx(np.std([1, 1, 2]), abs=1e-6)
    assert s["err_offset"] == pytest.approx(s["sigma_offset"] / np.sqrt(3))
    assert s["frac"] == pytest.approx(2 / 3) and s["sigma1_mean"] == pytest.approx(1.0, abs=1e-6)
    assert s["targ_max_offset"] == pytest.approx(1.0, abs=1e-6) and s["targ_frac"] == 1.0


def test_product_name_and_detectors():
    assert (
        cal.product_name(2732, 1, 1, "NIRCAM", ["F150W", "CLEAR"])
        == "jw02732-o001_t1_nircam_clear-f150w"
    )
    assert (
        cal.product_name("1018", "5", 3, "NIRISS", ["GR150R", "F150W", "N/A"])
        == "jw01018-o005_t3_niriss_f150w-gr150r"
    )
    assert cal.combine_detectors(["NRCB1", "NRCB3"]) == "NRCB-M"
    assert cal.combine_detectors(["NRCALONG"]) == "NRC-S"
    assert cal.combine_detectors(["MIRIFUSHORT", "MIRIFULONG"]) == "MIRIFULONG|MIRIFUSHORT"


def test_encode_with_real_encoder_pairs(program, shared_data):
    pairs = json.loads((shared_data / "jwst_cal" / "encoder_pairs.json").read_text())
    products = cal.group_products(cal.scrape_headers(program))
    img = cal.encode_products(products[products["kind"] == "IMAGE"], pairs)
    assert list(img.columns) == list(cal.IMAGE_FEATURES)
    nrc = img.loc[products["product"] == "jw02732-o001_t1_nircam_clear-f150w"].iloc[0]
    assert (
        nrc["instr"],
        nrc["detector"],
        nrc["filter"],
        nrc["pupil"],
        nrc["channel"],
        nrc["subarray"],
        nrc["visitype"],
    ) == (2, 12, 16, 1, 4, 3, 4)
    spec = cal.encode_products(products[products["kind"] == "SPEC"])  # default: the dataset
    assert list(spec.columns) == list(cal.SPEC_FEATURES)
    assert (spec.iloc[0]["grating"], spec.iloc[0]["detector"], spec.iloc[0]["band"]) == (3, 15, 0)
    assert cal.encode_value(pairs, "visitype", "PRIME_WFSC_SENSING_ONLY") == 9  # exact first
    assert cal.encode_value(pairs, "visitype", "X_WFSC_Y") == 1  # regex key ".+WFSC.+"
    with pytest.raises(InputError, match="unknown filter value 'F999W'"):
        cal.encode_value(pairs, "filter", "F999W")


def test_bad_inputs_name_file(tmp_path, program):
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(DataNotFoundError, match="no \\*_uncal.fits"):
        cal.scrape_headers(empty)
    bad = tmp_path / "bad"
    bad.mkdir()
    keys = base_keys()
    del keys["exp_type"]
    write_uncal(bad / "jw1_nokey_uncal.fits", **keys)
    with pytest.raises(FormatError, match=r"jw1_nokey_uncal.fits.*EXP_TYPE"):
        cal.scrape_headers(bad)
    odd = tmp_path / "odd"
    odd.mkdir()
    write_uncal(odd / "jw1_odd_uncal.fits", **base_keys(detector="WFC3"))
    with pytest.raises(InputError, match=r"jw1_odd_uncal.fits.*'WFC3'"):
        cal.scrape_headers(odd)
    junk = tmp_path / "junk"
    junk.mkdir()
    (junk / "jw1_junk_uncal.fits").write_bytes(b"not a fits file at all")
    with pytest.raises(FormatError, match="jw1_junk_uncal.fits"):
        cal.scrape_headers(junk)


def generated_table(n=60, seed=0, scale=1.0):
    """Products with a memory that grows with exposures and offsets (GB)."""
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(n):
        kind = "IMAGE" if i % 2 else "SPEC"
        nexp = int(rng.integers(1, 40))
        row = {
            "product": f"jw0{i:04d}-o001_t1_x",
            "kind": kind,
            "instr": rng.choice(["NIRCAM", "MIRI", "NIRISS"]) if kind == "IMAGE" else "NIRSPEC",
            "detector": "NRCA-M" if kind == "IMAGE" else "NRS1|NRS2",
            "visitype": "PRIME_TARGETED_FIXED",
            "filter": rng.choice(["F150W", "F444W"]),
            "pupil": "CLEAR",
            "channel": "NONE",
            "subarray": "FULL",
            "grating": "G140M",
            "band": "NONE",
            "bkgdtarg": 0,
            "nexposur": nexp,
            "numdthpt": int(rng.integers(1, 9)),
            **{
                k: float(rng.uniform(0, 30))
                for k in (
                    "offset",
                    "max_offset",
                    "mean_offset",
                    "sigma_offset",
                    "err_offset",
                    "sigma1_mean",
                    "targ_max_offset",
                )
            },
            "frac": float(rng.uniform(0.5, 1)),
            "targ_frac": 1.0,
        }
        row["imgsize_gb"] = scale * (2.0 + 1.5 * nexp + 0.2 * row["max_offset"])
        rows.append(row)
    return pd.DataFrame(rows)


@pytest.fixture
def trained(tmp_path, shared_data):
    return cal.train(
        generated_table(80),
        runs_dir=tmp_path / "runs",
        fast=True,
        encoder_pairs=shared_data / "jwst_cal" / "encoder_pairs.json",
    )


def test_train_run_and_predict(trained, program):
    assert trained.info["app"] == "jwst_cal"
    # model.json is the one spec file: its details hold the settings jwst_model.json held
    assert not (trained.model_dir / "jwst_model.json").exists()
    details = json.loads((trained.model_dir / "model.json").read_text())["details"]
    assert details["kinds"] == ["IMAGE", "SPEC"] and details["feature_definition"] == "spacekit"
    m = trained.metrics
    assert set(m) == {"IMAGE", "SPEC"} and m["IMAGE"]["n_test"] == 8
    assert m["IMAGE"]["r2"] > 0.5  # the generated memory is learnable
    model = cal.load_memory_model(trained.path)
    table = generated_table(20, seed=5)
    pred = model.predict(table[table["kind"] == "SPEC"])
    true = table.loc[table["kind"] == "SPEC", "imgsize_gb"].to_numpy()
    assert np.median(np.abs(pred - true) / true) < 0.35
    out = cal.predict(trained, program)
    assert out["product"].tolist() == [
        "jw02732-o001_t1_miri_f770w",
        "jw02732-o001_t1_nircam_clear-f150w",
        "jw02732-o002_t2_nirspec_f100lp-g140m",
    ]
    assert list(out.columns) == ["product", "kind", "gbSize", "out_of_range"]
    assert out["gbSize"].between(0, 990).all()
    scores = cal.score(trained, table)
    assert set(cal.HEADLINE_METRICS) <= set(scores) and scores["n"] == 20
    # the older calls still work, with a DeprecationWarning, and answer as before
    with pytest.warns(DeprecationWarning, match=r"predict\(model, data\)"):
        old = cal.predict(program, trained.model_dir)
    assert {k: v["gbSize"] for k, v in old.items()} == dict(
        zip(out["product"], out["gbSize"], strict=True)
    )
    with pytest.warns(DeprecationWarning, match="'kind' column"):
        spec = table[table["kind"] == "SPEC"]
        np.testing.assert_allclose(model.predict(spec.drop(columns="kind"), kind="SPEC"), pred)


def test_model_is_a_scikit_learn_estimator_and_warns_out_of_range(trained):
    from sklearn.base import clone

    from spacekit.utils.manifest import OutOfRangeWarning, read_manifest

    model = cal.load_model(trained)
    fresh = clone(model)
    assert fresh.get_params() == model.get_params() and not hasattr(fresh, "models_")
    manifest = read_manifest(trained.model_dir, app="jwst_cal")
    assert manifest.complete and manifest.feature_ranges and manifest.source["kind"] == "trained"
    assert manifest.headline_metrics["IMAGE"]["rmse_gb"] > 0
    table = generated_table(4, seed=9)
    table["nexposur"] = 10_000
    with pytest.warns(OutOfRangeWarning, match="nexposur"):
        cal.predict(trained, table)


@pytest.mark.slow
def test_predictions_capped(tmp_path, program, shared_data):
    run = cal.train(
        generated_table(40, scale=400.0),
        runs_dir=tmp_path,
        fast=True,
        encoder_pairs=shared_data / "jwst_cal" / "encoder_pairs.json",
    )
    big = generated_table(10, seed=3, scale=400.0)
    model = cal.load_memory_model(run.model_dir)
    assert model.max_gb == 990.0
    assert model.predict(big[big["kind"] == "IMAGE"]).max() == 990.0
    out = cal.predict(run, program, max_gb=5.0)
    assert out["gbSize"].max() <= 5.0


def test_missing_kind_and_no_model(tmp_path, program, shared_data):
    table = generated_table(40)
    run = cal.train(
        table[table["kind"] == "SPEC"],
        runs_dir=tmp_path,
        fast=True,
        encoder_pairs=shared_data / "jwst_cal" / "encoder_pairs.json",
    )
    with pytest.raises(ModelLoadError, match="no IMAGE regressor"):
        cal.predict(run.model_dir, program)
    with pytest.raises(ModelLoadError, match="ships no JWST model"):
        cal.load_memory_model(tmp_path / "nothing")


@pytest.mark.slow
def test_predict_batch_dask(trained, program, tmp_path):
    other = tmp_path / "other"
    other.mkdir()
    write_uncal(
        other / "jw01018005001_02101_00001_nis_uncal.fits",
        sci={"ra_ref": 10.0, "dec_ref": 10.0},
        **base_keys(
            instrume="NIRISS",
            detector="NIS",
            exp_type="NIS_IMAGE",
            program="1018",
            observtn="5",
            filter="CLEAR",
            pupil="F150W",
            channel="NONE",
            targ_ra=10.0,
            targ_dec=10.0,
        ),
    )
    out = cal.predict_batch(trained, [program, other], chunk_size=1)
    assert out["product"].iloc[-1] == "jw01018-o005_t1_niriss_clear-f150w"
    pd.testing.assert_frame_equal(out.iloc[:3], cal.predict(trained, program))
    with pytest.warns(DeprecationWarning, match="predict_batch"):
        old = cal.predict_batch([program, other], trained.model_dir)
    assert list(old[str(other)]) == ["jw01018-o005_t1_niriss_clear-f150w"]


def test_cross_validate_grouped_folds(tmp_path, shared_data):
    run = cal.cross_validate(
        generated_table(60),
        n_splits=3,
        n_repeats=1,
        runs_dir=tmp_path,
        fast=True,
        encoder_pairs=shared_data / "jwst_cal" / "encoder_pairs.json",
    )
    m = run.metrics
    assert m["n_folds"] == 3 and m["rmse_gb_worst"] >= m["rmse_gb"] > 0
    assert len(pd.read_csv(run.predictions_path)) == 60


@pytest.mark.slow
def test_cli_jwst(trained, program, tmp_path, capsys):
    from spacekit.cli import main

    assert main(["jwst", "predict", "--models", str(trained.model_dir), str(program)]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert set(printed) == {
        "jw02732-o001_t1_miri_f770w",
        "jw02732-o001_t1_nircam_clear-f150w",
        "jw02732-o002_t2_nirspec_f100lp-g140m",
    }
    assert all("gbSize" in v for v in printed.values())
    # the out-of-range flag, as the Python table's out_of_range column (svm's spelling)
    table = cal.predict(trained, program)
    for r in table.itertuples():
        assert printed[r.product]["out_of_range"] == [f for f in r.out_of_range.split(",") if f]
    assert "offset" in printed["jw02732-o001_t1_nircam_clear-f150w"]["out_of_range"]
    assert main(["jwst", "predict", "--models", str(tmp_path / "none"), str(program)]) == 1
    err = capsys.readouterr().err
    assert "no JWST memory model" in err and "spacekit jwst train" in err
    csv = tmp_path / "products.csv"
    assert main(["jwst", "scrape", str(program), "--out", str(csv)]) == 0
    assert len(pd.read_csv(csv)) == 3
    table = tmp_path / "table.csv"
    generated_table(30).to_csv(table, index=False)
    assert main(["jwst", "train", str(table), "--fast", "--runs", str(tmp_path / "r")]) == 0
    assert "held-out RMSE" in capsys.readouterr().out


def test_predict_products_checks_cap_and_columns_and_leaves_the_model_alone(trained):
    from spacekit.exceptions import SchemaError

    model = cal.load_memory_model(trained.path)
    table = generated_table(10, seed=2)
    for bad in (-5, 0, float("nan")):
        with pytest.raises(InputError, match="max_gb must be a positive number"):
            cal.predict_products(table, model, max_gb=bad)
    with pytest.raises(InputError, match="max_gb must be a positive number"):
        cal.load_memory_model(trained.path, max_gb=-1)
    capped = cal.predict_products(table, model, max_gb=1.0)
    assert max(v["gbSize"] for v in capped.values()) <= 1.0
    assert model.max_gb == 990.0  # the caller's model keeps its own cap
    assert max(v["gbSize"] for v in cal.predict_products(table, model).values()) > 1.0
    with pytest.raises(SchemaError, match="'kind'.*group_products"):
        cal.predict_products(pd.DataFrame(), model)
    assert cal.predict_products(table.head(0), model) == {}
    assert "JwstMemoryModel(" in repr(model) and "IMAGE" in repr(model)


def test_train_refuses_bad_tables_and_settings_with_spacekit_errors(tmp_path, shared_data):
    from spacekit.exceptions import SchemaError

    pairs = shared_data / "jwst_cal" / "encoder_pairs.json"

    def train(table, **kw):
        return cal.train(table, runs_dir=tmp_path / "runs", fast=True, encoder_pairs=pairs, **kw)

    # a missing or non-numeric memory was sklearn's 'Input contains NaN' from the held-out split
    for value in (np.nan, "12GB", -1.0):
        table = generated_table(40)
        table["imgsize_gb"] = table["imgsize_gb"].astype(object)
        table.loc[3, "imgsize_gb"] = value
        with pytest.raises(SchemaError, match=r"'imgsize_gb' must hold.*jw00003-o001_t1_x"):
            train(table)
    table = generated_table(40)
    table["nexposur"] = table["nexposur"].astype(float)
    table.loc[3, "nexposur"] = np.inf
    with pytest.raises(SchemaError, match=r"'nexposur'.*infinite.*jw00003-o001_t1_x"):
        train(table)
    # test_size and max_gb were sklearn's InvalidParameterError, NaN predictions, float('big')
    with pytest.raises(InputError, match="test_size"):
        train(generated_table(40), test_size=0)
    for cap in (float("nan"), "big", 0):
        with pytest.raises(InputError, match="max_gb"):
            train(generated_table(40), max_gb=cap)
    # an empty file, a folder, a non-csv: spacekit errors (were pandas')
    (tmp_path / "empty.csv").write_bytes(b"")
    with pytest.raises(FormatError, match="empty"):
        train(tmp_path / "empty.csv")
    with pytest.raises(DataNotFoundError, match="is a folder"):
        train(tmp_path)
    with pytest.raises(FormatError, match="not a csv"):
        train(shared_data / "hst_svm" / "svm_img_pred_2samples.npz")
    assert not (tmp_path / "runs").exists()  # no run folder for a refused table


@pytest.mark.slow
def test_train_holds_out_products_with_identical_features_together(tmp_path, shared_data):
    # each product measured three times (reprocessing): a random row split scored the model on
    # copies of its training rows
    table = generated_table(40)
    table = pd.concat(
        [
            table,
            table.assign(imgsize_gb=table["imgsize_gb"] * 1.05),
            table.assign(imgsize_gb=table["imgsize_gb"] * 0.95),
        ],
        ignore_index=True,
    )
    run = cal.train(
        table,
        runs_dir=tmp_path / "runs",
        fast=True,
        encoder_pairs=shared_data / "jwst_cal" / "encoder_pairs.json",
    )
    held = pd.read_csv(run.path / "predictions.csv")
    assert run.metrics["IMAGE"]["n_test"] % 3 == 0 and run.metrics["IMAGE"]["n_test"] > 0
    counts = held.groupby("product").size()
    assert (counts == 3).all()  # every held-out product with all three of its copies


def test_train_without_two_distinct_feature_sets_skips_the_held_out_split(tmp_path, shared_data):
    # 20 IMAGE products measured with one set of features: the grouped split had a single
    # group and failed with scikit-learn's bare ValueError ('the resulting train set will be
    # empty'); the random row split before it trained. Now: no held-out scores, with a note.
    table = generated_table(40)
    image = table["kind"] == "IMAGE"
    first = table[image].iloc[0]
    for col in table.columns.drop(["product", "imgsize_gb"]):
        table.loc[image, col] = first[col]
    run = cal.train(
        table,
        runs_dir=tmp_path / "runs",
        fast=True,
        encoder_pairs=shared_data / "jwst_cal" / "encoder_pairs.json",
    )
    assert run.metrics["IMAGE"]["n_test"] == 0
    assert "1 distinct feature set" in run.metrics["IMAGE"]["note"]
    assert run.metrics["SPEC"]["n_test"] > 0


def test_out_of_range_flags_land_on_their_own_products_in_a_mixed_table(trained):
    # products of both kinds interleaved (SPEC, IMAGE, SPEC, ...), as a user's table often is:
    # the flag of an IMAGE product must stay on that product, not on the row its position in
    # an IMAGE-first ordering would give
    table = generated_table(6, seed=9)
    table["kind"] = ["SPEC", "IMAGE"] * 3
    table["nexposur"] = 10
    table.loc[3, "nexposur"] = 10_000  # an IMAGE product far outside the training range
    out = cal.predict(trained, table)
    assert out["product"].tolist() == table["product"].tolist()
    flagged = [i for i, f in enumerate(out["out_of_range"]) if "nexposur" in f.split(",")]
    assert flagged == [3]
    batch = cal.predict_batch(trained, table, chunk_size=4)
    assert batch["out_of_range"].tolist() == out["out_of_range"].tolist()
    # the encoded features keep the table's row order (and its index, duplicates included)
    model = cal.load_model(trained)
    doubled = pd.concat([table, table])
    encoded = model.encoded(doubled)
    assert encoded.index.tolist() == doubled.index.tolist()
    assert encoded["nexposur"].tolist() == doubled["nexposur"].astype(float).tolist()


def test_predict_keeps_product_names_held_in_the_index(trained):
    # a table indexed by product (set_index("product"), read_csv(index_col="product")) keeps
    # its names in the output, as svm keeps an ``index`` held in the index
    table = generated_table(6, seed=9).drop(columns="imgsize_gb")
    expected = cal.predict(trained, table)
    out = cal.predict(trained, table.set_index("product"))
    assert out["product"].tolist() == table["product"].tolist()
    pd.testing.assert_frame_equal(out.reset_index(drop=True), expected)
    batch = cal.predict_batch(trained, table.set_index("product"), chunk_size=4)
    assert batch["product"].tolist() == table["product"].tolist()


def test_a_loaded_model_keeps_its_training_settings(trained):
    # trained with fast=True: the loaded model says so (repr, get_params, a clone refits alike)
    model = cal.load_model(trained)
    assert model.get_params()["fast"] is True and "fast=True" in repr(model)


def test_runs_record_the_sha256_of_the_training_file(tmp_path, shared_data):
    # run.json's data_sha256 is the csv's own sha256 (was: a hash of the rows as modified for
    # training), and cross-validation runs record it too (was: none)
    from spacekit.utils import file_sha256

    path = tmp_path / "products.csv"
    generated_table(30).to_csv(path, index=False)
    pairs = shared_data / "jwst_cal" / "encoder_pairs.json"
    run = cal.train(path, runs_dir=tmp_path / "runs", fast=True, encoder_pairs=pairs)
    assert run.info["data_sha256"] == file_sha256(path)
    assert cal.load_model(run).manifest_.source["data_sha256"] == file_sha256(path)
    cv = cal.cross_validate(
        path, n_splits=2, n_repeats=1, fast=True, runs_dir=tmp_path / "runs", encoder_pairs=pairs
    )
    assert cv.info["data_sha256"] == file_sha256(path)
    frame = cal.cross_validate(
        generated_table(30),
        n_splits=2,
        n_repeats=1,
        fast=True,
        runs_dir=tmp_path / "runs",
        encoder_pairs=pairs,
    )
    assert len(frame.info["data_sha256"]) == 64


def test_train_and_cv_runs_hold_a_residuals_figure_in_gb(tmp_path, shared_data):
    # a run folder holds figures/ and evaluation.json (DESIGN, run folders): the held-out
    # (train) or out-of-fold (cv) predictions against the measured memory, in GB, which the
    # dashboard's Evaluate page overlays (was: an empty figures/ folder)
    pairs = shared_data / "jwst_cal" / "encoder_pairs.json"
    table = generated_table(40)
    run = cal.train(table, runs_dir=tmp_path / "runs", fast=True, encoder_pairs=pairs)
    cv = cal.cross_validate(
        table, n_splits=2, n_repeats=1, fast=True, runs_dir=tmp_path / "runs", encoder_pairs=pairs
    )
    for r, n in ((run, sum(m["n_test"] for m in run.metrics.values())), (cv, len(table))):
        assert [f.name for f in r.figures()] == ["residuals_memory.png"]
        block = json.loads((r.path / "evaluation.json").read_text())["residuals"]
        assert block["target"] == "memory" and block["unit"] == "GB"
        assert len(block["y_true"]) == len(block["y_pred"]) == n
        preds = pd.read_csv(r.predictions_path)
        np.testing.assert_allclose(sorted(block["y_true"]), sorted(preds["true_gb"]))


def test_an_unknown_header_value_names_its_product(trained):
    table = generated_table(6, seed=9).drop(columns="imgsize_gb")
    table.loc[3, "instr"] = "WFC3"  # not a JWST instrument
    with pytest.raises(
        InputError, match=r"unknown instr value 'WFC3'.*product '" + table.loc[3, "product"]
    ):
        cal.predict(trained, table)


def test_predict_batch_of_no_products_has_the_columns_of_predict(trained):
    empty = generated_table(4).iloc[:0]
    assert list(cal.predict_batch(trained, empty).columns) == list(
        cal.predict(trained, empty).columns
    )


def test_predictions_keep_the_input_tables_index(trained):
    # as hst.cal's: a slice of a table gets its predictions on its own row labels
    table = generated_table(12, seed=9).drop(columns="imgsize_gb").iloc[4:10]
    for out in (cal.predict(trained, table), cal.predict_batch(trained, table, chunk_size=4)):
        assert out.index.tolist() == table.index.tolist()
        joined = table.assign(gb=out["gbSize"])
        assert joined["gb"].notna().all() and (joined["product"] == out["product"]).all()
    indexed = table.set_index("product")
    out = cal.predict(trained, indexed)
    assert out.index.tolist() == indexed.index.tolist() and out.index.name is None


def test_score_says_how_many_products_had_no_measurement(trained, caplog):
    import logging

    table = generated_table(10, seed=9)
    table.loc[[2, 5], "imgsize_gb"] = np.nan  # not measured: left out of the scores
    with caplog.at_level(logging.WARNING, logger="spacekit.skopes.jwst"):
        scores = cal.score(trained, table)
    assert scores["n"] == 8
    assert "2 of 10 products have no measured 'imgsize_gb'" in caplog.text


def test_cli_predict_refuses_a_product_named_twice(trained, tmp_path, capsys):
    # the JSON answer is keyed by product: a second row of the same name overwrote the first
    from spacekit.cli import main

    table = generated_table(4, seed=9).drop(columns="imgsize_gb")
    table.loc[3, "product"] = table.loc[1, "product"]
    path = tmp_path / "products.csv"
    table.to_csv(path, index=False)
    assert main(["jwst", "predict", str(path), "--model", str(trained.path)]) == 1
    err = capsys.readouterr().err
    assert "named twice" in err and table.loc[1, "product"] in err
