"""skopes.hst.svm: frames for a folder of visits (total and per filter), misaligned copies of
rendered visits, and the ensemble trained on them (issue 23, item 4)."""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
import pytest
from astropy.io import fits
from astropy.table import Table
from astropy.wcs import WCS

from spacekit.exceptions import DataNotFoundError, FormatError, InputError
from spacekit.skopes.hst import svm

XS = np.array([30.0, 70.0, 120.0, 160.0, 200.0, 230.0])
YS = np.array([40.0, 200.0, 128.0, 60.0, 180.0, 100.0])


def _wcs(ra0: float) -> WCS:
    w = WCS(naxis=2)
    w.wcs.ctype = ["RA---TAN", "DEC--TAN"]
    w.wcs.crval = [ra0, 2.0]
    w.wcs.crpix = [128.5, 128.5]
    w.wcs.cdelt = [-0.04 / 3600, 0.04 / 3600]
    return w


def _drizzle(path, w, seed):
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:256, 0:256]
    img = rng.normal(0, 1, (256, 256))
    for x, y in zip(XS, YS, strict=True):
        img += 200 * np.exp(-((xx - x) ** 2 + (yy - y) ** 2) / (2 * 2.0**2))
    sci = fits.ImageHDU(img.astype(np.float32), w.to_header(), name="SCI")
    fits.HDUList([fits.PrimaryHDU(), sci]).writeto(path)


def _catalog(path, w, flags):
    ra, dec = w.all_pix2world(XS, YS, 0)
    Table({"RA": ra, "DEC": dec, "Flags": flags}).write(path, format="ascii.ecsv")


@pytest.fixture
def visits(tmp_path):
    """Two SVM visit folders as the pipeline writes them, and one with a broken image."""
    root = tmp_path / "visits"
    made = {}
    for name, ra0, filters in (("ibfn01", 150.0, ["f110w", "f160w"]), ("ia0m04", 151.0, [])):
        d = root / name
        d.mkdir(parents=True)
        w = _wcs(ra0)
        total = f"hst_12109_01_wfc3_ir_total_{name}"
        _drizzle(d / f"{total}_drz.fits", w, 1)
        for f in filters:
            _drizzle(d / f"hst_12109_01_wfc3_ir_{f}_{name}_drz.fits", w, 2)
        # sources 4 and 5 are flagged 16: not drawn with max_flag=5
        _catalog(d / f"{total}_point-cat.ecsv", w, [0, 1, 0, 0, 16, 16])
        _catalog(d / f"{total}_segment-cat.ecsv", w, [0, 0, 5, 0, 16, 16])
        if name == "ibfn01":  # the other visit has no Gaia catalog: no Gaia marks
            _catalog(d / f"hst_12109_01_wfc3_ir_total_{name}_GAIAeDR3_ref_cat.ecsv", w, [0] * 6)
        made[name] = total
    bad = root / "ib0102"
    bad.mkdir()
    (bad / "hst_12109_02_wfc3_ir_total_ib0102_drz.fits").write_bytes(b"not a fits file")
    (root / "notes.fits").write_bytes(b"")  # not an SVM product name: ignored
    return root


def test_find_drizzles_lists_total_and_filter_images(visits):
    total = svm.find_drizzles(visits)
    assert total["index"].tolist() == [
        "hst_12109_01_wfc3_ir_total_ia0m04",
        "hst_12109_02_wfc3_ir_total_ib0102",
        "hst_12109_01_wfc3_ir_total_ibfn01",
    ]  # in the order of the visit folders
    per_filter = svm.find_drizzles(visits, level="filter")
    assert per_filter["filter"].tolist() == ["f110w", "f160w"]
    assert set(per_filter["total"]) == {"hst_12109_01_wfc3_ir_total_ibfn01"}
    assert len(svm.find_drizzles(visits, level="all")) == 5
    with pytest.raises(InputError, match="level"):
        svm.find_drizzles(visits, level="visit")
    with pytest.raises(DataNotFoundError, match="not a folder"):
        svm.find_drizzles(visits / "nothing")


def test_build_image_arrays_renders_every_visit_and_writes_an_npz(visits, tmp_path, caplog):
    out = tmp_path / "out" / "images.npz"
    with caplog.at_level(logging.WARNING):
        index, images = svm.build_image_arrays(visits, output=out, progress=False)
    assert index.tolist() == [
        "hst_12109_01_wfc3_ir_total_ia0m04",
        "hst_12109_01_wfc3_ir_total_ibfn01",
    ]
    assert "ib0102" in caplog.text  # the broken visit is left out, and said so
    assert images.shape == (2, 3, 128, 128, 3) and images.dtype == np.float32
    # the same frames as rendering one visit by hand with its catalogs
    d = visits / "ibfn01"
    stem = "hst_12109_01_wfc3_ir_total_ibfn01"
    point = Table.read(d / f"{stem}_point-cat.ecsv").to_pandas()
    seg = Table.read(d / f"{stem}_segment-cat.ecsv").to_pandas()
    by_hand = svm.render_frames(
        d / f"{stem}_drz.fits",
        point=point[point["Flags"] <= 5],
        segment=seg[seg["Flags"] <= 5],
        gaia=Table.read(d / f"{stem}_GAIAeDR3_ref_cat.ecsv").to_pandas(),
    )
    assert np.array_equal(images[1], by_hand)
    # flagged point sources are not drawn: fewer marks than with every source
    _, all_flags = svm.build_image_arrays(visits, max_flag=None, progress=False)
    assert (all_flags[1, 1] != all_flags[1, 0]).any(axis=-1).sum() > (
        (images[1, 1] != images[1, 0]).any(axis=-1).sum()
    )
    # a visit without a Gaia catalog has a Gaia frame without marks
    assert np.array_equal(images[0, 2], images[0, 0])
    # the archive reads back with the existing loader (no pickle)
    idx2, img2 = svm.load_image_arrays(out)
    assert idx2.tolist() == index.tolist() and np.array_equal(img2, images)
    assert [p.name for p in out.parent.iterdir()] == ["images.npz"]


def test_build_image_arrays_per_filter_and_errors(visits, tmp_path):
    index, images = svm.build_image_arrays(visits, level="filter", progress=False)
    assert index.tolist() == [
        "hst_12109_01_wfc3_ir_f110w_ibfn01",
        "hst_12109_01_wfc3_ir_f160w_ibfn01",
    ]
    # the filter images carry their visit's total-detection catalog marks
    assert (images[:, 1] != images[:, 0]).any()
    assert (images[:, 2] != images[:, 0]).any()
    with pytest.raises(FormatError, match="ib0102"):
        svm.build_image_arrays(visits, errors="raise", progress=False)
    with pytest.raises(InputError, match="errors"):
        svm.build_image_arrays(visits, errors="ignore")
    (tmp_path / "empty").mkdir()
    with pytest.raises(DataNotFoundError, match="no total drizzled images"):
        svm.build_image_arrays(tmp_path / "empty")


def test_shift_overlay_moves_only_the_gaia_marks(shared_data):
    _, images = svm.load_image_arrays(shared_data / "hst_svm" / "svm_img_pred_2samples.npz")
    stack = images[1]
    marks = np.argwhere((stack[2] != stack[0]).any(axis=-1))
    moved = svm.shift_overlay(stack, 5, 90)  # five pixels to the right
    assert np.array_equal(moved[:2], stack[:2])
    new = np.argwhere((moved[2] != moved[0]).any(axis=-1))
    inside = marks[marks[:, 1] + 5 < 128]
    assert np.array_equal(np.sort(new, axis=0), np.sort(inside + [0, 5], axis=0))
    up = svm.shift_overlay(stack, 4, 0)  # four pixels up: rows decrease
    new_up = np.argwhere((up[2] != up[0]).any(axis=-1))
    assert np.array_equal(
        np.sort(new_up, axis=0), np.sort(marks[marks[:, 0] >= 4] - [4, 0], axis=0)
    )
    assert np.array_equal(svm.shift_overlay(stack, 0, 33), stack)
    with pytest.raises(InputError, match="offset_px"):
        svm.shift_overlay(stack, -1, 0)
    with pytest.raises(InputError, match="overlay frame"):
        svm.shift_overlay(stack, 1, 0, frame=0)


def test_synthetic_image_set_is_seeded_and_balanced(shared_data):
    index, images = svm.load_image_arrays(shared_data / "hst_svm" / "svm_img_pred_2samples.npz")
    a = svm.synthetic_image_set(index, images, n_variants=3, seed=4)
    b = svm.synthetic_image_set(index, images, n_variants=3, seed=4)
    names, imgs, y, visits = a
    assert all(np.array_equal(u, v) for u, v in zip(a, b, strict=True))
    assert imgs.shape == (12, 3, 128, 128, 3)
    assert y.tolist() == [0, 0, 0, 1, 1, 1] * 2
    assert visits.tolist() == [index[0]] * 6 + [index[1]] * 6
    assert names[3] == f"{index[0]}_shifted_000"

    # an aligned copy is one of the eight orientations of its visit; a shifted one is not
    def orientations(stack):
        for k in range(4):
            r = np.rot90(stack, k=k, axes=(1, 2))
            yield r
            yield r[:, :, ::-1]

    for k in range(12):
        v = images[list(index).index(visits[k])]
        same = any(np.array_equal(o, imgs[k]) for o in orientations(v))
        assert same == (y[k] == 0)
        assert any(np.array_equal(o[:2], imgs[k][:2]) for o in orientations(v))
    c = svm.synthetic_image_set(index, images, n_variants=3, seed=5)
    assert not np.array_equal(c[1], imgs)
    with pytest.raises(InputError, match="offsets_px"):
        svm.synthetic_image_set(index, images, offsets_px=(5, 1))


@pytest.mark.slow
def test_misalignment_demo_trains_and_scores_the_ensemble(shared_data):
    out = svm.misalignment_demo(
        shared_data / "hst_svm" / "svm_img_pred_2samples.npz",
        shared_data / "hst_svm" / "svm_labeled_2021-07-28.csv",
        n_variants=2,
        fast=True,
        epochs=1,
        progress=False,
    )
    assert out["visits"] == [
        "hst_8992_03_acs_wfc_total_j8cw03",
        "hst_12109_01_wfc3_uvis_total_ibfn01",
    ]
    assert out["n_train"] == out["n_test"] == 8
    for scores in [out["seen_visits"], *out["unseen_visit"].values()]:
        assert 0.0 <= scores["accuracy"] <= 1.0 and 0.0 <= scores["roc_auc"] <= 1.0
    assert sorted(out["unseen_visit"]) == sorted(out["visits"])


def test_misalignment_demo_needs_table_rows_for_its_visits(shared_data):
    table = pd.read_csv(shared_data / "hst_svm" / "svm_labeled_2021-07-28.csv")
    table = table[~table["index"].str.contains("j8cw03")]
    with pytest.raises(InputError, match="j8cw03"):
        svm.misalignment_demo(
            shared_data / "hst_svm" / "svm_img_pred_2samples.npz", table, n_variants=1
        )
    with pytest.raises(InputError, match="npz path"):
        svm.misalignment_demo(np.zeros((2, 3, 128, 128, 3)), table)
