"""skopes.hst.svm ingest and encodings, on the real one-visit stage files and generated FITS."""

from __future__ import annotations

import json
import logging

import numpy as np
import pandas as pd
import pytest
from astropy.io import fits

from spacekit.exceptions import (
    DataNotFoundError,
    FormatError,
    InputError,
    SchemaError,
    SpacekitError,
)
from spacekit.skopes.hst import svm


@pytest.fixture
def prep(shared_data):
    folder = shared_data / "hst_svm" / "prep"
    return {p.stem: pd.read_csv(p) for p in folder.glob("*.csv")}


def test_canonical_codes():
    assert [svm.encode_detector(d) for d in ("hrc", "IR", "sbc", "uvis", "wfc")] == [0, 1, 2, 3, 4]
    assert svm.encode_wcstype("a posteriori solution relative to GAIAeDR3") == 0
    assert svm.encode_wcstype("a priori solution based on GSC240") == 1
    assert svm.encode_wcstype("default a priori") == 2
    assert svm.encode_wcstype("not aligned") == 3
    cats = {
        "CALIBRATION": 0,
        "SOLAR SYSTEM;COMET": 1,
        "ISM;DARK CLOUD": 2,
        "EXT-MEDIUM": 2,
        "UNIDENTIFIED;PARALLEL FIELD": 3,
        None: 3,
        "STELLAR CLUSTER;GLOBULAR": 4,
        "EXT-CLUSTER;OPEN CLUSTER": 4,
        "STAR;YSO": 5,
        "EXT-STAR;SUPERNOVA": 5,
        "CLUSTER OF GALAXIES;GROUP": 6,
        "GALAXY;SPIRAL": 7,
    }
    assert {k: svm.encode_category(k) for k in cats} == cats


def test_unknown_detector_and_wcs_raise_with_value():
    with pytest.raises(InputError, match="'pc'"):
        svm.encode_detector("pc")
    with pytest.raises(SpacekitError, match="WCSTYPE"):
        svm.encode_wcstype("mystery frame")
    with pytest.raises(InputError, match="hst_<prop>"):
        svm.parse_index("not_a_visit")


def test_parse_index_and_synthetic_suffix():
    p = svm.parse_index("hst_13659_18_acs_wfc_total_jcnl18_clear1l_f814w_all_stat")
    assert (p["proposal"], p["det"], p["dataset"]) == ("13659", "wfc", "jcnl18")
    assert p["rest"] == "_clear1l_f814w_all_stat"
    assert svm.parse_index("hst_8992_03_acs_wfc_total_j8cw03")["rest"] == ""


def test_stage1_scrub_matches_real_stage_file(prep):
    out = svm.scrub_qa(prep["single_scrub"])
    expect = prep["scrubbed_cols"]
    assert list(out.columns) == list(expect.columns)
    pd.testing.assert_frame_equal(out.reset_index(drop=True), expect, check_dtype=False)


def test_stage1_from_drizzlepac_json_files(tmp_path):
    base = "hst_12286_38_wfc3_ir_total_ibl738"
    gen = {"imgname": f"{base}_drz.fits", "instrument": "WFC3", "detector": "IR"}
    header = {"TARGNAME": "ANY", "RA_TARG": 262.4699055743, "DEC_TARG": 52.32648710525, "NUMEXP": 2}
    (tmp_path / f"{base}_svm_point_segment_totals.json").write_text(
        json.dumps(
            {
                "header": header,
                "general information": gen,
                "data": {
                    "number_of_sources": {"data": {"detector": "ir", "point": 284, "segment": 185}}
                },
            }
        )
    )
    (tmp_path / f"{base}_svm_gaia_sources.json").write_text(
        json.dumps(
            {
                "header": header,
                "general information": gen,
                "data": {
                    "Number_of_GAIA_sources": {
                        "data": {"Number_of_GAIA_sources": 7},
                        "units": "sources",
                    }
                },
            }
        )
    )
    scrubbed = svm.scrub_qa(svm.scrape_qa_json(tmp_path))
    row = scrubbed.iloc[0]
    assert (row["index"], row["numexp"], row["point"], row["segment"], row["gaia"]) == (
        base,
        2,
        284,
        185,
        7,
    )
    assert row["dataset"] == "ibl738" and row["detector"] == "ir"


def test_stage1_missing_field_names_visit(tmp_path):
    (tmp_path / "hst_1_01_wfc3_ir_total_ia0101_svm_x.json").write_text(
        json.dumps(
            {
                "header": {"NUMEXP": 2},
                "general information": {"imgname": "hst_1_01_wfc3_ir_total_ia0101_drz.fits"},
            }
        )
    )
    with pytest.raises(SchemaError, match="hst_1_01_wfc3_ir_total_ia0101.*point"):
        svm.scrub_qa(svm.scrape_qa_json(tmp_path))
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(DataNotFoundError, match="no \\*.json"):
        svm.scrape_qa_json(empty)
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(FormatError, match="bad.json"):
        svm.scrape_qa_json([bad])


def _drz(path, **keys):
    prim = fits.PrimaryHDU()
    sci = fits.ImageHDU(np.zeros((4, 4), np.float32), name="SCI")
    for k, v in keys.items():
        sci.header[k] = v
    fits.HDUList([prim, sci]).writeto(path)


def test_stage2_fits_scrape_matches_real_stage_file(prep, tmp_path):
    expect = prep["scraped_fits"]
    row = expect.iloc[0]
    _drz(
        tmp_path / row["imgname"],
        RMS_RA=row["rms_ra"],
        RMS_DEC=row["rms_dec"],
        NMATCHES=int(row["nmatches"]),
        WCSTYPE="a posteriori solution relative to GAIAeDR3",
    )
    out = svm.scrape_fits_headers(prep["scrubbed_cols"], tmp_path)
    assert list(out.columns) == list(expect.columns)
    pd.testing.assert_frame_equal(out, expect, check_dtype=False)


def test_stage2_missing_keys_and_files(prep, tmp_path):
    img = prep["scrubbed_cols"]["imgname"].iloc[0]
    with pytest.raises(DataNotFoundError, match=img):
        svm.scrape_fits_headers(prep["scrubbed_cols"], tmp_path)
    _drz(tmp_path / img, WCSTYPE="not aligned")
    with pytest.raises(FormatError, match=f"{img}.*RMS_RA"):
        svm.scrape_fits_headers(prep["scrubbed_cols"], tmp_path)
    out = svm.scrape_fits_headers(prep["scrubbed_cols"], tmp_path, missing_rms="zero")
    assert out[["rms_ra", "rms_dec", "nmatches"]].iloc[0].tolist() == [0, 0, 0]
    assert out["wcstype"].iloc[0] == "not aligned"


def test_stage3_category_lookup_called_once_per_target(prep):
    calls = []

    def lookup(name):
        calls.append(name)
        return "UNIDENTIFIED;PARALLEL FIELD"

    two = pd.concat([prep["scraped_fits"]] * 2, ignore_index=True)
    out = svm.add_target_category(two, category_lookup=lookup)
    assert calls == ["ANY"]
    expect = prep["scraped_mast"]
    assert list(out.columns) == list(expect.columns)
    pd.testing.assert_frame_equal(out.iloc[:1], expect, check_dtype=False)


def test_stage3_default_queries_mast(prep, fake_mast):
    """The default lookup goes through spacekit.radio to MAST (replayed with ``responses``)."""
    rows = pd.concat([prep["scraped_fits"]] * 2, ignore_index=True)
    rows["targname"] = ["NGC-5139", "NOWHERE-1"]
    out = svm.add_target_category(rows)
    assert out["category"].tolist() == ["STAR;GLOBULAR CLUSTER", "UNIDENTIFIED"]
    asked = [
        f["values"]
        for inv in fake_mast.invocations
        for f in inv["params"]["filters"]
        if f["paramName"] == "target_name"
    ]
    assert asked == [["NGC-5139"], ["NOWHERE-1"]]
    assert [svm.encode_category(c) for c in out["category"]] == [5, 3]


def test_stage4_encoding_uses_canonical_codes(prep):
    out = svm.encode_features(prep["scraped_mast"])
    expect = prep["single_reg"]
    assert list(out.columns) == list(expect.columns)
    same = ["numexp", "rms_ra", "rms_dec", "nmatches", "point", "segment", "gaia", "wcs", "index"]
    pd.testing.assert_frame_equal(out[same], expect[same], check_dtype=False)
    # The stage file encoded ir as 0 and UNIDENTIFIED as 0; the canonical codes are 1 and 3.
    assert (int(out["det"].iloc[0]), int(out["cat"].iloc[0])) == (1, 3)
    assert (int(expect["det"].iloc[0]), int(expect["cat"].iloc[0])) == (0, 0)


def test_full_ingest_chain(prep, tmp_path):
    row = prep["scraped_fits"].iloc[0]
    qa = tmp_path / "qa"
    qa.mkdir()
    flat = prep["single_scrub"].iloc[0].to_dict()
    nested: dict = {}
    for key, value in flat.items():
        if key == "index":
            continue
        section, name = key.split(".", 1)
        nested.setdefault(section, {})[name] = value
    (qa / f"{row['index']}_svm_qa.json").write_text(json.dumps(nested, default=float))
    _drz(
        tmp_path / row["imgname"],
        RMS_RA=row["rms_ra"],
        RMS_DEC=row["rms_dec"],
        NMATCHES=int(row["nmatches"]),
        WCSTYPE="a posteriori",
    )
    out = svm.ingest(qa, tmp_path, category_lookup=lambda t: "UNIDENTIFIED;PARALLEL FIELD")
    assert out.iloc[0]["index"] == row["index"]
    assert out[["det", "wcs", "cat"]].iloc[0].tolist() == [1, 0, 3]
    assert out["point"].iloc[0] == 284


def test_load_feature_table_rederives_det_and_logs(shared_data, caplog):
    path = shared_data / "hst_svm" / "svm_labeled_2021-07-28.csv"
    raw = pd.read_csv(path)
    with caplog.at_level(logging.INFO, logger="spacekit.skopes.hst.svm"):
        table = svm.load_feature_table(path, require_label=True)
    assert "re-derived 'det'" in caplog.text
    dets = table["index"].str.split("_").str[4]
    assert (table["det"] == dets.map(svm.DETECTOR_CODES)).all()
    assert (table["det"] != raw["det"]).sum() == 183 + 147 + 16
    assert len(table) == 1791 and table["label"].sum() == 684


def test_load_feature_table_maps_legacy_category_codes(shared_data):
    """The 2021 tables' cat codes are a per-batch LabelEncoder: canonical after loading."""
    from spacekit.datasets import load

    raw = pd.read_csv(shared_data / "hst_svm" / "svm_2021-11-02_raw_svm_data.csv")
    raw["canonical"] = raw["category"].map(svm.encode_category)
    for name in ("svm_labeled_2021_07_28", "svm_unlabeled_2021_10_06"):
        table = svm.load_feature_table(name)
        both = raw.merge(table, on="index")
        assert len(both) == 15 and (both["canonical"] == both["cat"]).all()
        # the same rows as a DataFrame (datasets.load) or the csv path: the same codes
        pd.testing.assert_series_equal(svm.load_feature_table(load(name))["cat"], table["cat"])
        # loading a loaded table again changes nothing
        pd.testing.assert_series_equal(svm.load_feature_table(table)["cat"], table["cat"])
    path = shared_data / "hst_svm" / "svm_labeled_2021-07-28.csv"
    labeled = svm.load_feature_table(path)
    assert labeled["cat"].value_counts().sort_index().tolist() == [170, 55, 276, 149, 178, 202, 761]
    # synthetic misaligned rows carry their original visit's category (437 of them had cat 0,
    # their batch's own code, which told a model they were synthetic)
    base = labeled["index"].str.extract(r"^(hst_.*_total_[a-z0-9]+)")[0]
    synthetic = base != labeled["index"]
    originals = labeled[~synthetic].set_index("index")["cat"]
    assert synthetic.sum() == 619
    assert (labeled.loc[synthetic, "cat"].to_numpy() == base[synthetic].map(originals)).all()
    # a user's table is taken as canonical, unless told
    df = pd.DataFrame({c: [1] for c in svm.FEATURES} | {"index": ["hst_1_01_acs_wfc_total_j01"]})
    assert svm.load_feature_table(df)["cat"].tolist() == [1]
    assert svm.load_feature_table(df, legacy_codes=True)["cat"].tolist() == [7]
    with pytest.raises(SchemaError, match="2021 encoding never wrote"):
        svm.rederive_category(df.assign(cat=9), legacy=True)


def test_load_feature_table_keeps_tables_with_own_visit_names():
    """rederive_det=False loads a table whose index is not an SVM visit name (as before the
    category re-derivation, which parsed every name and raised InputError)."""
    df = pd.DataFrame(
        {c: [1, 2, 3] for c in svm.FEATURES}
        | {"index": ["visit_a", "visit_b", "hst_1_01_acs_wfc_total_j01"], "cat": 5}
    )
    table = svm.load_feature_table(df, rederive_det=False)
    assert table["cat"].tolist() == [5, 5, 5] and table["det"].tolist() == [1, 2, 3]
    assert svm.rederive_category(df, legacy=True)["cat"].tolist() == [4, 4, 4]
    synthetic = df.assign(
        index=[
            "visit_a",
            "hst_1_01_acs_wfc_total_j01_f606w_all_stat",
            "hst_1_01_acs_wfc_total_j01",
        ],
        cat=[0, 0, 7],
    )
    assert svm.rederive_category(synthetic)["cat"].tolist() == [0, 7, 7]


def test_load_feature_table_from_dataset_name():
    table = svm.load_feature_table("svm_unlabeled_2021_10_06")
    assert len(table) == 1133 and "label" not in table.columns


def test_load_feature_table_bad_input(tmp_path):
    with pytest.raises(SchemaError, match="missing \\['rms_ra'"):
        svm.load_feature_table(pd.DataFrame({"numexp": [1], "index": ["x"]}))
    df = pd.DataFrame({c: [1.0] for c in svm.FEATURES} | {"index": ["hst_1_01_acs_wfc_total_j01"]})
    df.loc[0, "rms_ra"] = np.nan
    with pytest.raises(SchemaError, match="rms_ra"):
        svm.load_feature_table(df)
    with pytest.raises(DataNotFoundError):
        svm.load_feature_table(tmp_path / "missing.csv")
    with pytest.raises(SchemaError, match="label"):
        svm.load_feature_table(df.fillna(1.0), require_label=True)


def test_load_feature_table_refuses_bad_files_and_codes(tmp_path, shared_data):
    df = pd.DataFrame({c: [1.0] for c in svm.FEATURES} | {"index": ["hst_1_01_acs_wfc_total_j01"]})
    # not a csv (the image archive), an empty file, a folder: spacekit errors, not pandas'
    with pytest.raises(FormatError, match="not a csv"):
        svm.load_feature_table(shared_data / "hst_svm" / "svm_img_pred_2samples.npz")
    (tmp_path / "empty.csv").write_bytes(b"")
    with pytest.raises(FormatError, match="empty"):
        svm.load_feature_table(tmp_path / "empty.csv")
    with pytest.raises(DataNotFoundError, match="is a folder"):
        svm.load_feature_table(tmp_path)
    # codes outside the canonical tables and impossible counts were used silently
    for col, value in (("wcs", 4), ("cat", 8), ("cat", 2.5), ("wcs", -1), ("point", -5)):
        with pytest.raises(SchemaError, match=f"'{col}' must hold"):
            svm.load_feature_table(df.assign(**{col: value}))
    with pytest.raises(SchemaError, match="infinite"):
        svm.load_feature_table(df.assign(rms_ra=np.inf))
    # labels that are not 0/1: 0.5 was a bare TypeError in predict, 'misaligned' was taken for
    # an unlabelled visit
    for label in (0.5, "misaligned", 2):
        with pytest.raises(SchemaError, match="'label' must hold 0.*or be empty"):
            svm.load_feature_table(df.assign(label=[label]))
    partly = pd.concat([df, df]).assign(label=[1, None])
    assert svm.load_feature_table(partly)["label"].isna().tolist() == [False, True]


def test_cli_ingest(prep, tmp_path, capsys, fake_mast):
    from spacekit.cli import main

    row = prep["scraped_fits"].iloc[0]
    qa = tmp_path / "qa"
    qa.mkdir()
    (qa / f"{row['index']}_svm_point_segment_totals.json").write_text(
        json.dumps(
            {
                "header": {"TARGNAME": "ANY", "RA_TARG": 262.47, "DEC_TARG": 52.33, "NUMEXP": 2},
                "general information": {"imgname": row["imgname"]},
                "data": {
                    "number_of_sources": {"data": {"detector": "ir", "point": 284, "segment": 185}},
                    "Number_of_GAIA_sources": {"data": {"Number_of_GAIA_sources": 7}},
                },
            }
        )
    )
    _drz(tmp_path / row["imgname"], WCSTYPE="not aligned")
    out = tmp_path / "features.csv"
    # a QA folder whose image lacks RMS keywords fails, naming the file, unless told otherwise
    assert main(["svm", "ingest", str(qa), "--images", str(tmp_path), "--out", str(out)]) == 1
    assert row["imgname"] in capsys.readouterr().err and not out.exists()
    # MAST (replayed) has no classified observation of "ANY": unidentified
    assert (
        main(
            [
                "svm",
                "ingest",
                str(qa),
                "--images",
                str(tmp_path),
                "--out",
                str(out),
                "--missing-rms",
                "zero",
            ]
        )
        == 0
    )
    table = pd.read_csv(out)
    assert table[["point", "gaia", "det", "wcs", "cat", "rms_ra"]].iloc[0].tolist() == [
        284,
        7,
        1,
        3,
        3,
        0,
    ]


def test_legacy_rows_get_the_same_codes_in_any_order_or_subset(shared_data):
    """A visit of the 2021 tables gets the same canonical category whether the whole table, a
    shuffled copy, a slice, a filtered subset or a csv chunk of it is loaded (was: only the
    whole table in its own order was recognised; a subset kept the per-batch codes, so
    predictions changed with the rows around a visit)."""
    for name, file in (
        ("svm_labeled_2021_07_28", "svm_labeled_2021-07-28.csv"),
        ("svm_unlabeled_2021_10_06", "svm_unlabeled_2021-10-06.csv"),
    ):
        whole = svm.load_feature_table(name).set_index("index")["cat"]
        raw = pd.read_csv(shared_data / "hst_svm" / file)
        shuffled = raw.sample(frac=1, random_state=0)
        for part in (shuffled, raw.head(7), raw.iloc[100:400], raw[raw["cat"] == 1]):
            got = svm.load_feature_table(part).set_index("index")["cat"]
            pd.testing.assert_series_equal(got, whole.loc[got.index], check_names=False)
        chunks = pd.read_csv(shared_data / "hst_svm" / file, chunksize=250)
        got = pd.concat([svm.load_feature_table(c) for c in chunks]).set_index("index")["cat"]
        pd.testing.assert_series_equal(got, whole, check_names=False)
    # a legacy row beside a user's own (canonical) rows: each keeps its own meaning
    user = pd.DataFrame(
        {c: [1] for c in svm.FEATURES} | {"index": ["hst_1_01_acs_wfc_total_j01"], "cat": [1]}
    )
    legacy = pd.read_csv(shared_data / "hst_svm" / "svm_unlabeled_2021-10-06.csv").head(3)
    mixed = svm.load_feature_table(pd.concat([legacy, user], ignore_index=True))
    assert mixed["cat"].iloc[-1] == 1
    whole = svm.load_feature_table("svm_unlabeled_2021_10_06")
    assert mixed["cat"].iloc[:3].tolist() == whole["cat"].iloc[:3].tolist()
    # a loaded (canonical) table, loaded again or re-encoded by a user, is left alone
    again = svm.load_feature_table(whole.drop(columns=[]).copy())
    assert again["cat"].tolist() == whole["cat"].tolist()
    plain = whole.copy()
    plain.attrs = {}  # e.g. rebuilt from its columns: still canonical, not mapped twice
    assert svm.load_feature_table(plain)["cat"].tolist() == whole["cat"].tolist()


def test_shipped_legacy_row_codes_are_those_of_the_whole_tables(shared_data):
    """legacy_category_rows.txt holds, for each row of the 2021 tables whose code changes, the
    code loading its whole table gives (rebuilt here from the mirror)."""
    from spacekit.skopes.hst.svm.tables import _ROW_KEY, _legacy_row_codes, _row_key

    expected = {}
    for name, file in (
        ("svm_labeled_2021_07_28", "svm_labeled_2021-07-28.csv"),
        ("svm_unlabeled_2021_10_06", "svm_unlabeled_2021-10-06.csv"),
    ):
        raw = pd.read_csv(shared_data / "hst_svm" / file)
        whole = svm.load_feature_table(name)
        rows = raw[list(_ROW_KEY)].itertuples(index=False, name=None)
        for row, code in zip(rows, whole["cat"], strict=True):
            if int(row[1]) != int(code):
                assert expected.setdefault(_row_key(row), int(code)) == int(code)
    assert _legacy_row_codes() == expected


def test_an_unknown_detector_names_its_visit():
    # one WFPC2 visit in a batch: the error says which row to drop or fix
    df = pd.DataFrame(
        {c: [1, 1] for c in svm.FEATURES}
        | {"index": ["hst_1_01_acs_wfc_total_j01", "hst_5000_01_wfpc2_pc_total_u2ab01"]}
    )
    with pytest.raises(
        InputError, match=r"hst_5000_01_wfpc2_pc_total_u2ab01.*unknown HST detector 'pc'"
    ):
        svm.load_feature_table(df)


def test_det_may_be_left_out_when_it_is_rederived(shared_data):
    # det is rebuilt from the visit name, so a table without it loads (and predicts) the same
    raw = pd.read_csv(shared_data / "hst_svm" / "svm_unlabeled_2021-10-06.csv").head(5)
    with_det = svm.load_feature_table(raw)
    without = svm.load_feature_table(raw.drop(columns="det"))
    pd.testing.assert_frame_equal(without[with_det.columns], with_det)
    with pytest.raises(SchemaError, match=r"missing \['det'\]"):
        svm.load_feature_table(raw.drop(columns="det"), rederive_det=False)


def test_scoring_an_unlabelled_table_says_labels_are_needed(shared_data):
    raw = pd.read_csv(shared_data / "hst_svm" / "svm_unlabeled_2021-10-06.csv").head(5)
    with pytest.raises(SchemaError, match=r"need a 'label' column.*0 \(aligned\).*use predict"):
        svm.load_feature_table(raw, require_label=True)


def test_encode_features_refuses_missing_counts_and_unknown_values_naming_the_visit(
    shared_data,
):
    raw = pd.read_csv(shared_data / "hst_svm" / "svm_2021-11-02_raw_svm_data.csv").head(3)
    visit = raw.loc[1, "index"]
    gap = raw.copy()
    gap.loc[1, "point"] = np.nan  # was pandas' IntCastingNaNError, naming no visit
    with pytest.raises(SchemaError, match=rf"'point'.*{visit}"):
        svm.encode_features(gap)
    text = raw.astype({"point": object})
    text.loc[1, "point"] = "n/a"  # was a bare ValueError from int()
    with pytest.raises(SchemaError, match=rf"'point'.*{visit}"):
        svm.encode_features(text)
    odd = raw.copy()
    odd.loc[1, "wcstype"] = "something new"
    with pytest.raises(InputError, match=rf"{visit}.*unknown WCS type"):
        svm.encode_features(odd)
