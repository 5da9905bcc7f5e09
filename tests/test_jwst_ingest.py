"""skopes.jwst.cal.ingest: the training table from Level-3 associations (or product files) and
measured memory; MAST association look-up replayed; ingest -> train -> predict round trip."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from astropy.io import fits
from fixtures.jwst_headers import ARCSEC, base_keys, write_reference_uncals, write_uncal

from spacekit.exceptions import DataNotFoundError, FormatError, InputError, SchemaError
from spacekit.skopes.jwst import cal

pytestmark = pytest.mark.filterwarnings("ignore::spacekit.utils.manifest.OutOfRangeWarning")

OFFSET_KEYS = (
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


def write_asn(path, products, asn_type="image3", **extra):
    """An association file: ``products`` is ``{name: [expname, ...]}`` or
    ``{name: [(expname, exptype), ...]}``."""
    body = {
        "asn_type": asn_type,
        "asn_rule": f"candidate_Asn_Lv3{asn_type.title()}",
        "program": "01018",
        "asn_pool": "jw01018_20230101t000000_pool.csv",
        "products": [
            {
                "name": name,
                "members": [
                    {"expname": m, "exptype": "science"}
                    if isinstance(m, str)
                    else {"expname": m[0], "exptype": m[1]}
                    for m in members
                ],
            }
            for name, members in products.items()
        ],
        **extra,
    }
    path.write_text(json.dumps(body, indent=1))
    return path


@pytest.fixture
def reference_program(tmp_path, upstream_reference):
    """The 27 synthetic Level-1 exposures (uncal files in ``members/``) and their three Level-3
    associations (NIRCam image3, NIRSpec and MIRI spec3) in ``asn/``, members named by their
    ``_cal.fits`` files as the pipeline names them."""
    headers = upstream_reference["jwst_cal"]["headers"]
    members = tmp_path / "members"
    members.mkdir()
    write_reference_uncals(members, headers)
    asn = tmp_path / "asn"
    asn.mkdir()
    names = {
        "nircam": ("jw01018-o001_t001_nircam_clear-f150w", "image3"),
        "nirspec": ("jw01018-o002_t002_nirspec_f290lp-g395m", "spec3"),
        "miri": ("jw01018-o003_t003_miri", "spec3"),
    }
    for key, (product, asn_type) in names.items():
        exposures = [f"{h['name']}_cal.fits" for h in headers if h["product"] == key]
        write_asn(
            asn
            / f"jw01018-o00{list(names).index(key) + 1}_20230101t000000_{asn_type}_00001_asn.json",
            {product: exposures + [("jw01018099001_02101_00001_nrca1_cal.fits", "background")]},
            asn_type=asn_type,
        )
    return tmp_path


@pytest.mark.parametrize("definition", ["spacekit", "upstream"])
def test_association_features_equal_the_scraped_ones(reference_program, definition):
    """An association's product has the features scrape_products computes from the same
    exposures, in either definition; the name is the association's."""
    table = cal.build_training_table(
        reference_program / "asn",
        None,
        members=reference_program / "members",
        definition=definition,
    )
    scraped = cal.scrape_products(reference_program / "members", definition=definition)
    assert table.attrs["feature_definition"] == definition
    assert set(table["feature_definition"]) == {definition}
    assert sorted(table["product"]) == [
        "jw01018-o001_t1_nircam_clear-f150w",
        "jw01018-o002_t2_nirspec_f290lp-g395m",
        "jw01018-o003_t3_miri",
    ]
    for instr in ("NIRCAM", "NIRSPEC", "MIRI"):
        got = table[table["instr"] == instr].iloc[0]
        want = scraped[scraped["instr"] == instr].iloc[0]
        for col in (*OFFSET_KEYS, "nexposur", "detector", "filter", "kind", "exp_type"):
            if isinstance(want[col], float):
                np.testing.assert_allclose(got[col], want[col], rtol=1e-12, err_msg=col)
            else:
                assert got[col] == want[col], (instr, col)
    assert "target" not in table and "imgsize_gb" not in table  # no sizes: features only


def test_upstream_definition_matches_upstreams_own_offsets(reference_program, upstream_reference):
    table = cal.build_training_table(
        reference_program / "asn",
        None,
        members=reference_program / "members",
        definition="upstream",
    )
    nircam = table[table["instr"] == "NIRCAM"].iloc[0]
    want = upstream_reference["jwst_cal"]["offsets"]["nircam"]
    assert nircam["nexposur"] == want["NEXPOSUR"] == 16
    for k in OFFSET_KEYS:
        np.testing.assert_allclose(nircam[k], want[k], rtol=1e-7, atol=1e-9, err_msg=k)


def test_sizes_join_in_upstreams_units_and_names(reference_program):
    sizes = pd.DataFrame(
        {
            # upstream's metadata: Dataset with a file suffix, ImageSize in kB
            "Dataset": [
                "jw01018-o001_t001_nircam_clear-f150w_i2d.fits",
                "jw01018-o002_t002_nirspec_f290lp-g395m_s3d.fits",
                "jw01018-o003_t003_miri_x1d.fits",
                "jw09999-o001_t001_nircam_clear-f200w_i2d.fits",  # not ingested: ignored
            ],
            "ImageSize": [12_500_000, 3_000_000, 750_000, 1],
        }
    )
    table = cal.build_training_table(
        reference_program / "asn", sizes, members=reference_program / "members"
    )
    gb = dict(zip(table["product"], table["imgsize_gb"], strict=True))
    assert gb == {
        "jw01018-o001_t1_nircam_clear-f150w": 12.5,
        "jw01018-o002_t2_nirspec_f290lp-g395m": 3.0,
        "jw01018-o003_t3_miri": 0.75,
    }
    # another column with its unit; a product measured twice keeps its last measurement
    mb = pd.DataFrame({"product": ["a_i2d", "a"], "peak_mb": [1.0, 2500.0]})
    assert cal.read_sizes(mb, column="peak_mb", unit="MB").to_dict() == {"a": 2.5}
    with pytest.raises(SchemaError, match="unit"):
        cal.read_sizes(mb, column="peak_mb")
    with pytest.raises(SchemaError, match="product-name column"):
        cal.read_sizes(pd.DataFrame({"x": [1], "imgsize_gb": [1.0]}))
    with pytest.raises(SchemaError, match="memory column"):
        cal.read_sizes(pd.DataFrame({"product": ["a"], "bytes": [1.0]}))
    with pytest.raises(SchemaError, match=r"'imgsize_gb' must hold.*\['b'\]"):
        cal.read_sizes(pd.DataFrame({"product": ["a", "b"], "imgsize_gb": [1.0, "n/a"]}))
    # a product without a measurement: an error naming it, or left out when asked
    partial = sizes.iloc[:2]
    with pytest.raises(DataNotFoundError, match=r"1 of 3 products.*jw01018-o003_t3_miri"):
        cal.build_training_table(
            reference_program / "asn", partial, members=reference_program / "members"
        )
    table = cal.build_training_table(
        reference_program / "asn",
        partial,
        members=reference_program / "members",
        drop_unmeasured=True,
    )
    assert len(table) == 2


def test_missing_members_and_bad_associations_are_clear_errors(reference_program, tmp_path):
    asn_dir = reference_program / "asn"
    # members not beside the association and no members folder given
    with pytest.raises(DataNotFoundError, match=r"16 of the 16 members of.*nircam.*--members"):
        cal.build_training_table(asn_dir, None)
    one = next(asn_dir.glob("*image3*"))
    rows = cal.association_exposures(one, members=reference_program / "members")
    assert len(rows) == 16 and set(rows["product"]) == {"jw01018-o001_t1_nircam_clear-f150w"}
    assert set(rows["association"]) == {one.name}  # the background member is not read
    # one member gone
    gone = next((reference_program / "members").glob("*nrca2*_uncal.fits"))
    gone.unlink()
    with pytest.raises(DataNotFoundError, match=r"1 of the 16 members.*nrca2"):
        cal.build_training_table(asn_dir, None, members=reference_program / "members")
    table = cal.build_training_table(
        asn_dir, None, members=reference_program / "members", skip_incomplete=True
    )
    assert sorted(table["instr"]) == ["MIRI", "NIRSPEC"]
    assert table.attrs["skipped"] == ["jw01018-o001_20230101t000000_image3_00001_asn.json"]
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "x_asn.json").write_text("{not json")
    with pytest.raises(FormatError, match="not a JSON association"):
        cal.read_association(bad / "x_asn.json")
    (bad / "x_asn.json").write_text(json.dumps({"asn_type": "image3"}))
    with pytest.raises(FormatError, match="no 'products' list"):
        cal.read_association(bad / "x_asn.json")
    (bad / "x_asn.json").write_text(json.dumps({"products": [{"name": "p"}]}))
    with pytest.raises(FormatError, match="lacks 'name' or 'members'"):
        cal.read_association(bad / "x_asn.json")
    level2 = write_asn(
        bad / "l2_asn.json", {"jw01018001001_02101_00001_nrca1": ["a_rate.fits"]}, asn_type="image2"
    )
    with pytest.raises(InputError, match="Level-2 association"):
        cal.association_exposures(level2)
    (bad / "x_asn.json").unlink()
    with pytest.raises(DataNotFoundError, match="no Level-3 association"):
        cal.build_training_table(bad, None)  # a folder with only a Level-2 association
    with pytest.raises(InputError, match="definition"):
        cal.build_training_table(asn_dir, None, definition="arcsec")


def test_mosaics_set_aside_unless_asked(reference_program):
    members = sorted((reference_program / "members").glob("*nrca*_uncal.fits"))[:4]
    write_asn(
        reference_program / "asn" / "jw01018-c1000_20230101t000000_image3_00001_asn.json",
        {"jw01018-c1000_t001_nircam_clear-f150w": [m.name for m in members]},
    )
    table = cal.build_training_table(
        reference_program / "asn", None, members=reference_program / "members"
    )
    assert len(table) == 3 and table.attrs["mosaics"] == ["jw01018-c1000_t001_nircam_clear-f150w"]
    table = cal.build_training_table(
        reference_program / "asn",
        None,
        members=reference_program / "members",
        include_mosaics=True,
    )
    assert "jw01018-c1000_t1_nircam_clear-f150w" in set(table["product"])


def write_product(path, exposures, *, hdrtab=True, asntable=None):
    """A Level-3 product file: primary header of the product, HDRTAB with one row of header
    keywords per input exposure (as the pipeline's resample step writes it)."""
    prim = fits.Header()
    first = exposures[0]
    for k in ("PROGRAM", "OBSERVTN", "INSTRUME", "EXP_TYPE", "FILTER", "PUPIL"):
        prim[k] = first[k]
    prim["DETECTOR"] = "MULTIPLE"
    if asntable:
        prim["ASNTABLE"] = asntable
    hdus = [fits.PrimaryHDU(header=prim), fits.ImageHDU(np.zeros((2, 2)), name="SCI")]
    if hdrtab:
        from astropy.table import Table

        cols = sorted({k for e in exposures for k in e})
        table = fits.table_to_hdu(Table({k: [e[k] for e in exposures] for k in cols}))
        table.name = "HDRTAB"
        hdus.append(table)
    fits.HDUList(hdus).writeto(path)
    return path


def test_level3_product_files_read_through_hdrtab(tmp_path):
    folder = tmp_path / "products"
    folder.mkdir()
    exposures = []
    for i, (dra, ddec) in enumerate(((1, 0), (-1, 0), (0, 1), (0, -1))):
        keys = {k.upper(): v for k, v in base_keys(program="1018", observtn="5").items()}
        keys.update(
            FILENAME=f"jw01018005001_02101_0000{i + 1}_nrca1_cal.fits",
            RA_REF=150.0 + dra * ARCSEC / np.cos(np.deg2rad(2.0)),
            DEC_REF=2.0 + ddec * ARCSEC,
            BKGDTARG="F",
        )
        exposures.append(keys)
    write_product(folder / "jw01018-o005_t001_nircam_clear-f150w_i2d.fits", exposures)
    table = cal.build_training_table(
        folder,
        pd.DataFrame({"product": ["jw01018-o005_t001_nircam_clear-f150w"], "memory_gb": [4.0]}),
    )
    row = table.iloc[0]
    assert (row["product"], row["nexposur"], row["detector"], row["imgsize_gb"]) == (
        "jw01018-o005_t1_nircam_clear-f150w",
        4,
        "NRC-S",
        4.0,
    )
    assert row["max_offset"] == pytest.approx(1.0, abs=1e-3)  # arcsec, as from the uncal files
    broken = tmp_path / "broken"
    broken.mkdir()
    write_product(
        broken / "jw01018-o005_t001_nircam_clear-f150w_i2d.fits",
        [{k: v for k, v in e.items() if k != "TARG_RA"} for e in exposures],
    )
    with pytest.raises(FormatError, match=r"_i2d.fits HDRTAB row 0.*TARG_RA"):
        cal.build_training_table(broken, None)
    # without HDRTAB: the association ASNTABLE names, else a clear error
    members = tmp_path / "members"
    members.mkdir()
    for e in exposures:
        write_uncal(
            members / e["FILENAME"].replace("_cal", "_uncal"),
            sci={"ra_ref": e["RA_REF"], "dec_ref": e["DEC_REF"]},
            **base_keys(program="1018", observtn="5"),
        )
    bare = tmp_path / "bare"
    bare.mkdir()
    write_product(bare / "jw01018-o005_t001_nircam_clear-f150w_i2d.fits", exposures, hdrtab=False)
    with pytest.raises(FormatError, match="no HDRTAB.*no ASNTABLE.*_asn.json"):
        cal.build_training_table(bare, None)
    (bare / "jw01018-o005_t001_nircam_clear-f150w_i2d.fits").unlink()
    write_product(
        bare / "jw01018-o005_t001_nircam_clear-f150w_i2d.fits",
        exposures,
        hdrtab=False,
        asntable="jw01018-o005_image3_00001_asn.json",
    )
    write_asn(
        bare / "jw01018-o005_image3_00001_asn.json",
        {"jw01018-o005_t001_nircam_clear-f150w": [e["FILENAME"] for e in exposures]},
    )
    via_asn = cal.build_training_table(
        bare / "jw01018-o005_t001_nircam_clear-f150w_i2d.fits", None, members=members
    )
    for k in OFFSET_KEYS:
        np.testing.assert_allclose(via_asn.iloc[0][k], row[k], atol=1e-9, err_msg=k)


def test_hdrtab_rows_and_uncal_headers_normalised_alike(tmp_path):
    """One exposure's keywords give the same row whether read from its uncal file
    (scrape_headers) or from a Level-3 product's HDRTAB row (product_exposures): blank optional
    keywords take their default, blank required ones are an error, in both."""
    keys = {k.upper(): v for k, v in base_keys(program="1018", observtn="5").items()}
    keys.update(FILTER="", PUPIL=" CLEAR ", RA_REF=150.0, DEC_REF=2.0, BKGDTARG="F")
    name = "jw01018005001_02101_00001_nrca1"
    uncal = write_uncal(tmp_path / f"{name}_uncal.fits", **keys)
    product = write_product(
        tmp_path / "jw01018-o005_t001_nircam_clear-f150w_i2d.fits",
        [{**keys, "FILENAME": f"{name}_uncal.fits"}],
    )
    from_file = cal.scrape_headers([uncal]).iloc[0].to_dict()
    from_table = cal.product_exposures(product).iloc[0].to_dict()
    for col in ("product", "association"):
        from_table.pop(col)
    assert from_file["filter"] == "NONE" and from_file["pupil"] == "CLEAR"
    assert from_table.keys() == from_file.keys()
    for col, value in from_file.items():
        assert from_table[col] == value or (pd.isna(value) and pd.isna(from_table[col])), col
    blank = write_uncal(tmp_path / "jw1_blank_uncal.fits", **{**keys, "PROGRAM": ""})
    with pytest.raises(FormatError, match=r"jw1_blank_uncal.fits.*PROGRAM"):
        cal.scrape_headers([blank])


@pytest.mark.slow  # a quicker sibling stays in the fast tier
def test_round_trip_ingest_train_predict(tmp_path, shared_data):
    paths = cal.example_pipeline_metadata(tmp_path, n=14)
    asn, members = paths["associations"], paths["members"]
    table = cal.build_training_table(asn, paths["sizes"], members=members)
    assert len(table) == 14 and table["kind"].value_counts().to_dict() == {"IMAGE": 7, "SPEC": 7}
    image = table["kind"] == "IMAGE"
    np.testing.assert_allclose(table.loc[image, "imgsize_gb"], 1 + 0.8 * table["nexposur"][image])
    np.testing.assert_allclose(table.loc[~image, "imgsize_gb"], 2 + 1.5 * table["nexposur"][~image])
    assert set(table.loc[~image, "detector"]) == {"NRS1|NRS2"}
    table.to_csv(tmp_path / "training.csv", index=False)
    pairs = shared_data / "jwst_cal" / "encoder_pairs.json"
    run = cal.train(
        tmp_path / "training.csv", runs_dir=tmp_path / "runs", fast=True, encoder_pairs=pairs
    )
    assert cal.load_model(run).feature_definition_ == "spacekit"
    features = cal.build_training_table(asn, None, members=members)  # what to predict
    out = cal.predict(run, features)
    assert list(out["product"]) == list(table["product"])
    err = np.abs(out["gbSize"].to_numpy() - table["imgsize_gb"].to_numpy())
    assert np.median(err / table["imgsize_gb"]) < 0.3  # learnt from the exposure counts
    # a table in the other definition is refused by this model, from its csv column alone
    other = cal.build_training_table(asn, None, members=members, definition="upstream")
    other.to_csv(tmp_path / "upstream.csv", index=False)
    with pytest.raises(SchemaError, match="definition='spacekit'"):
        cal.predict(run, tmp_path / "upstream.csv")
    # and a model trained on an upstream-definition csv records that definition
    up = tmp_path / "up_train.csv"
    cal.build_training_table(asn, paths["sizes"], members=members, definition="upstream").to_csv(
        up, index=False
    )
    run_up = cal.train(up, runs_dir=tmp_path / "runs", fast=True, encoder_pairs=pairs)
    assert cal.load_model(run_up).feature_definition_ == "upstream"


def test_cli_ingest_then_train_then_predict(tmp_path, capsys):
    from spacekit.cli import main

    paths = cal.example_pipeline_metadata(tmp_path, n=14)
    out = tmp_path / "training.csv"
    args = ["jwst", "ingest", str(paths["associations"]), "--members", str(paths["members"])]
    assert main([*args, "--sizes", str(paths["sizes"]), "--out", str(out)]) == 0
    assert "14 products (7 IMAGE, 7 SPEC; spacekit features)" in capsys.readouterr().out
    assert main(["jwst", "train", str(out), "--fast", "--runs", str(tmp_path / "r")]) == 0
    model_dir = capsys.readouterr().out.split("model: ")[1].strip()
    assert main(["jwst", "predict", "--model", model_dir, str(out)]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert len(printed) == 14
    # errors: exit 1 with the message, not a traceback
    assert main([*args, "--sizes", str(tmp_path / "nope.csv"), "--out", str(out)]) == 1
    assert "nope.csv" in capsys.readouterr().err


def test_docs_retraining_cells_run(tmp_path, monkeypatch):
    """The runnable example of docs/jwst_cal.rst, "Retraining from pipeline metadata"."""
    import textwrap
    from pathlib import Path

    page = Path(__file__).resolve().parent.parent / "docs" / "jwst_cal.rst"
    text = page.read_text(encoding="utf-8")
    block = text.split(".. retrain-cells-start", 1)[1].split(".. retrain-cells-end", 1)[0]
    code = textwrap.dedent(block.split(".. code-block:: python", 1)[1])
    monkeypatch.chdir(tmp_path)  # nothing written to the working directory
    namespace = {"workdir": tmp_path / "work"}
    exec(compile(code, "jwst_cal.rst:retrain", "exec"), namespace)
    pred = namespace["pred"]
    assert len(pred) == 14 and pred["gbSize"].gt(0).all()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["work"]


# -- MAST ----------------------------------------------------------------------------------


def test_find_associations_replayed(fake_mast):
    table = cal.find_associations(2732)
    assert list(table["asn_file"]) == [
        "jw02732-o001_20220713t130747_image3_00001_asn.json",
        "jw02732-o002_20220713t130747_spec3_00001_asn.json",
    ]  # the Level-2 (image2) association is left out
    assert list(table["product"]) == [
        "jw02732-o001_t001_nircam_clear-f150w",
        "jw02732-o002_t002_nirspec_f100lp-g140m",
    ]
    assert list(table["asn_type"]) == ["image3", "spec3"]
    assert table["dataURI"].str.startswith("mast:JWST/product/").all()
    search = fake_mast.invocations[0]
    filters = {f["paramName"]: f["values"] for f in search["params"]["filters"]}
    assert filters["obs_collection"] == ["JWST"] and filters["proposal_id"] == ["2732"]
    assert [str(v) for v in filters["calib_level"]] == ["3"]
    assert fake_mast.invocations[1]["params"]["obsid"] == "87602732001,87602732002"
    one = cal.find_associations("jw02732", "o002")
    assert list(one["product"]) == ["jw02732-o002_t002_nirspec_f100lp-g140m"]
    from spacekit.radio import NoResultsWarning

    with pytest.warns(NoResultsWarning, match="no Level-3 association of JWST program 4444"):
        assert len(cal.find_associations(4444)) == 0
    with pytest.raises(InputError, match="numbers"):
        cal.find_associations("ngc1234")


def test_download_associations_then_ingest(fake_mast, tmp_path, upstream_reference):
    import responses

    table = cal.find_associations(2732, 1)
    asn_body = json.dumps(
        {
            "asn_type": "image3",
            "products": [
                {
                    "name": table["product"][0],
                    "members": [
                        {
                            "expname": "jw01018001001_02101_00001_nrca1_cal.fits",
                            "exptype": "science",
                        }
                    ],
                }
            ],
        }
    ).encode()
    fake_mast.rsps.add(
        responses.GET,
        f"https://mast.stsci.edu/api/v0.1/Download/file?uri={table['dataURI'][0]}",
        body=asn_body,
    )
    paths = cal.download_associations(table.assign(size=len(asn_body)), tmp_path / "asn")
    assert [p.name for p in paths] == ["jw02732-o001_20220713t130747_image3_00001_asn.json"]
    write_reference_uncals(tmp_path / "asn", upstream_reference["jwst_cal"]["headers"][:1])
    built = cal.build_training_table(tmp_path / "asn", None)
    assert list(built["product"]) == ["jw02732-o001_t1_nircam_clear-f150w"]


def test_cli_associations_replayed(fake_mast, capsys):
    from spacekit.cli import main

    assert main(["jwst", "associations", "2732", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [r["asn_type"] for r in rows] == ["image3", "spec3"]


@pytest.mark.remote_data
def test_live_find_associations():
    table = cal.find_associations(2732, 1)  # Webb's first images: Stephan's Quintet
    assert len(table) >= 1
    assert table["asn_file"].str.endswith("_asn.json").all()
    assert table["product"].str.startswith("jw02732-o001").all()
