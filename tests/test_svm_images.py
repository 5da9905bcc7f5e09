"""skopes.hst.svm image frames: rendering from generated FITS + catalogs, misalignment, PNGs."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from astropy.io import fits
from astropy.wcs import WCS

from spacekit.exceptions import DataNotFoundError, InputError
from spacekit.skopes.hst import svm


@pytest.fixture
def visit(tmp_path):
    """A 256×256 drizzled-like image with 6 stars, its WCS and catalogs in RA/Dec."""
    w = WCS(naxis=2)
    w.wcs.ctype = ["RA---TAN", "DEC--TAN"]
    w.wcs.crval = [150.0, 2.0]
    w.wcs.crpix = [128.5, 128.5]
    w.wcs.cdelt = [-0.04 / 3600, 0.04 / 3600]  # 0.04"/pixel
    rng = np.random.default_rng(3)
    xs = np.array([30.0, 70.0, 120.0, 160.0, 200.0, 230.0])
    ys = np.array([40.0, 200.0, 128.0, 60.0, 180.0, 100.0])
    yy, xx = np.mgrid[0:256, 0:256]
    img = rng.normal(0, 1, (256, 256))
    for x, y in zip(xs, ys, strict=True):
        img += 200 * np.exp(-((xx - x) ** 2 + (yy - y) ** 2) / (2 * 2.0**2))
    hdr = w.to_header()
    path = tmp_path / "hst_1_01_wfc3_ir_total_ia0101_drz.fits"
    fits.HDUList(
        [fits.PrimaryHDU(), fits.ImageHDU(img.astype(np.float32), hdr, name="SCI")]
    ).writeto(path)
    ra, dec = w.all_pix2world(xs, ys, 0)
    cat = pd.DataFrame({"ra": ra, "dec": dec})
    return {"path": path, "wcs": w, "xs": xs, "ys": ys, "cat": cat, "img": img}


def _marked(frame, base):
    return np.argwhere(np.any(frame != base, axis=-1))


def test_render_frames_shapes_and_overlays(visit):
    frames = svm.render_frames(
        visit["path"], point=visit["cat"], segment=visit["cat"].iloc[:2], gaia=visit["cat"]
    )
    assert frames.shape == (3, 128, 128, 3) and frames.dtype == np.float32
    assert 0 <= frames.min() and frames.max() <= 255
    # frame 0 is grey: three equal channels; stars are bright after the stretch
    assert np.allclose(frames[0][..., 0], frames[0][..., 1])
    row, col = 127 - int(visit["ys"][2] / 2), int(visit["xs"][2] / 2)
    assert frames[0][row, col, 0] > 200
    # overlays differ from frame 0 only near catalog positions
    marks = _marked(frames[2], frames[0])
    assert len(marks) > 0
    star_rc = np.column_stack([127 - visit["ys"] / 2, visit["xs"] / 2])
    dist = np.min(np.linalg.norm(marks[:, None, :] - star_rc[None], axis=-1), axis=1)
    assert dist.max() <= 3.5
    # Gaia marks are cyan, point marks red
    r, c = marks[0]
    assert tuple(frames[2][r, c]) == (0.0, 255.0, 255.0)
    pm = _marked(frames[1], frames[0])
    assert any(tuple(frames[1][r, c]) == (255.0, 0.0, 0.0) for r, c in pm)
    assert any(tuple(frames[1][r, c]) == (0.0, 0.0, 255.0) for r, c in pm)


def test_render_from_array_with_pixel_catalog():
    img = np.zeros((64, 32))
    frames = svm.render_frames(img, gaia=pd.DataFrame({"x": [16.0], "y": [32.0]}))
    assert frames.shape == (3, 128, 128, 3)
    marks = _marked(frames[2], frames[0])
    centre = marks.mean(axis=0)
    # pixel 16 of 32 is centred at 16.5/32 of the width; row 32 of 64 likewise (top row first)
    assert centre[0] == pytest.approx(62.5, abs=1) and centre[1] == pytest.approx(65.5, abs=1)


def test_synthetic_misalignment_moves_gaia_only(visit):
    one = visit["cat"].iloc[[2]]  # the star at x=120, y=128
    aligned = svm.render_frames(visit["path"], point=visit["cat"], gaia=one)
    shifted = svm.synthetic_misalignment(
        visit["path"], point=visit["cat"], gaia=one, offset_arcsec=1.6, angle_deg=90.0
    )  # 40 px east
    assert np.array_equal(aligned[0], shifted[0]) and np.array_equal(aligned[1], shifted[1])
    a = _marked(aligned[2], aligned[0]).mean(axis=0)
    b = _marked(shifted[2], shifted[0]).mean(axis=0)
    # east is -x on this image (cdelt1 < 0): 40 image px = 20 frame px to the left
    assert b[1] - a[1] == pytest.approx(-20, abs=1.5)
    assert b[0] == pytest.approx(a[0], abs=1.5)
    seeded = [
        svm.synthetic_misalignment(visit["path"], gaia=visit["cat"], offset_arcsec=1.0, seed=7)
        for _ in range(2)
    ]
    assert np.array_equal(seeded[0], seeded[1])
    with pytest.raises(InputError, match="offset_arcsec"):
        svm.synthetic_misalignment(visit["path"], gaia=visit["cat"], offset_arcsec=-1)


def test_shift_catalog_on_sky():
    cat = pd.DataFrame({"ra": [150.0], "dec": [2.0]})
    moved = svm.shift_catalog(cat, 3.6, 0.0)
    assert (moved["dec"].iloc[0] - 2.0) * 3600 == pytest.approx(3.6, rel=1e-6)
    assert moved["ra"].iloc[0] == pytest.approx(150.0)
    assert cat["dec"].iloc[0] == 2.0  # the input is not changed


def test_save_frames_png_round_trip(visit, tmp_path):
    from PIL import Image

    frames = svm.render_frames(visit["path"], gaia=visit["cat"])
    paths = svm.save_frames_png(frames, tmp_path / "png", "v1")
    assert [p.name for p in paths] == ["v1_plain.png", "v1_catalogs.png", "v1_gaia.png"]
    back = np.asarray(Image.open(paths[2]))
    assert back.shape == (128, 128, 3)
    assert np.array_equal(back, np.clip(frames[2], 0, 255).astype(np.uint8))


def test_real_image_arrays_validate(shared_data):
    index, images = svm.load_image_arrays(shared_data / "hst_svm" / "svm_img_pred_2samples.npz")
    assert list(index) == [
        "hst_8992_03_acs_wfc_total_j8cw03",
        "hst_12109_01_wfc3_uvis_total_ibfn01",
    ]
    assert images.shape == (2, 3, 128, 128, 3) and images.max() <= 255


def test_bad_images_raise(tmp_path):
    with pytest.raises(InputError, match=r"\(n, 3, 128, 128, 3\).*\(2, 3, 64, 64, 3\)"):
        svm.validate_image_stack(np.zeros((2, 3, 64, 64, 3)))
    with pytest.raises(InputError, match="expected 3 image stacks"):
        svm.validate_image_stack(np.zeros((2, 3, 128, 128, 3)), n=3)
    with pytest.raises(InputError, match="2-D image"):
        svm.render_frames(np.zeros((4, 4, 4)))
    with pytest.raises(DataNotFoundError, match="nope_drz.fits"):
        svm.render_frames(tmp_path / "nope_drz.fits")
    with pytest.raises(InputError, match="'ra'/'dec' or 'x'/'y'"):
        svm.render_frames(np.zeros((8, 8)), gaia=pd.DataFrame({"a": [1]}))
    with pytest.raises(InputError, match="no WCS"):
        svm.render_frames(np.zeros((8, 8)), gaia=pd.DataFrame({"ra": [1.0], "dec": [1.0]}))


def test_render_frames_takes_catalogs_as_pixel_arrays():
    # an (n, 2) numpy array was a bare AttributeError ("'int' object has no attribute 'lower'")
    render_frames = svm.render_frames
    img = np.ones((256, 256))
    xy = np.array([[10.0, 20.0], [100.0, 200.0]])
    as_array = render_frames(img, point=xy)
    as_frame = render_frames(img, point=pd.DataFrame({"x": xy[:, 0], "y": xy[:, 1]}))
    np.testing.assert_array_equal(as_array, as_frame)
    assert render_frames(img, point=np.empty((0, 2))).shape == as_array.shape
    with pytest.raises(
        InputError, match=r"point catalog as an array .* shape \(n, 2\); got shape \(3, 3\)"
    ):
        render_frames(img, point=np.zeros((3, 3)))
