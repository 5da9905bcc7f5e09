"""skopes.k2 data side: noise generators, batman injection, windows, Kaggle format, builder.

No TensorFlow here; everything is small and generated inside the test (plus one real light
curve from the shared mirror).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from astropy.time import Time

from spacekit.exceptions import DataNotFoundError, FormatError, InputError
from spacekit.skopes import k2
from spacekit.skopes.k2.dataset import StarSpec, build_training_set, composition
from spacekit.skopes.k2.inject import TRANSIT_RANGES, draw_transit, transit_model, transit_snr
from spacekit.skopes.k2.kaggle import meta_path, read_flux_table_with_meta, write_flux_table
from spacekit.skopes.k2.noise import (
    NOISE_KINDS,
    flares,
    red_noise,
    robust_scatter,
    stellar_variability,
    synthetic_window,
)
from spacekit.skopes.k2.windows import Ephemeris, cut_windows, in_transit, mask_transits


# ------------------------------------------------------------------------------ noise
def test_noise_generators_are_deterministic_and_scaled():
    a = red_noise(3000, rms=2e-3, alpha=1.5, rng=np.random.default_rng(7))
    b = red_noise(3000, rms=2e-3, alpha=1.5, rng=np.random.default_rng(7))
    assert np.array_equal(a, b)
    assert a.std() == pytest.approx(2e-3, rel=1e-6)
    # red: neighbouring points are correlated, unlike white noise
    assert np.corrcoef(a[:-1], a[1:])[0, 1] > 0.8
    t = np.arange(3000) * (29.4 / 1440)
    v = stellar_variability(t, period=3.0, amplitude=1e-3, rng=np.random.default_rng(1))
    assert 1e-3 < np.ptp(v) < 1e-2
    fl = flares(np.arange(5000) * (2 / 1440), rate=3.0, rng=np.random.default_rng(3))
    assert fl.min() >= 0 and fl.max() > 1e-3


@pytest.mark.parametrize("kind", NOISE_KINDS)
def test_synthetic_window_kinds(kind):
    t, f, p = synthetic_window(1000, rng=np.random.default_rng(11), kind=kind)
    assert f.shape == (1000,) and np.isfinite(f).all()
    assert p["kind"] == kind
    assert abs(np.median(f) - 1) < 0.05
    assert t[1] - t[0] == pytest.approx(p["cadence_min"] / 1440)


def test_synthetic_window_rejects_unknown_kind():
    with pytest.raises(InputError, match="expected kind"):
        synthetic_window(100, rng=np.random.default_rng(0), kind="eclipses")


def test_robust_scatter_ignores_trend_and_dips():
    rng = np.random.default_rng(0)
    x = rng.normal(0, 1e-3, 20000) + np.linspace(0, 0.1, 20000)
    x[5000:5100] -= 0.05
    assert robust_scatter(x) == pytest.approx(1e-3, rel=0.05)


# ------------------------------------------------------------------------------ transits
@pytest.mark.parametrize("impact,u", [(0.0, (0.4, 0.25)), (0.7, (0.6, 0.1)), (0.3, (0.0, 0.0))])
def test_transit_model_depth_and_duration(impact, u):
    t = np.arange(0, 6, 1 / 1440)
    m = transit_model(
        t, period=3.0, epoch=1.5, duration=0.2, depth=4e-3, impact=impact, u1=u[0], u2=u[1]
    )
    assert 1 - m.min() == pytest.approx(4e-3, rel=0.03)
    in_tr = t[m < 1]
    first = in_tr[in_tr < 3]
    assert first.max() - first.min() == pytest.approx(0.2, abs=3 / 1440)
    assert m.max() == 1.0


def test_transit_model_is_limb_darkened():
    t = np.linspace(-0.1, 0.1, 2001)
    m = transit_model(
        t, period=3.0, epoch=0.0, duration=0.15, depth=1e-2, impact=0.0, u1=0.6, u2=0.1
    )
    core = m[np.abs(t) < 0.04]
    # a box would be flat; limb darkening rounds the bottom
    assert np.ptp(core) > 1e-4


def test_transit_model_rejects_impossible():
    with pytest.raises(InputError, match="half the period"):
        transit_model(np.arange(10.0), period=1.0, epoch=0.0, duration=0.6, depth=0.01)
    with pytest.raises(InputError, match="positive"):
        transit_model(np.arange(10.0), period=1.0, epoch=0.0, duration=0.1, depth=-0.01)


def test_draw_transit_within_documented_ranges():
    rng = np.random.default_rng(42)
    for _ in range(200):
        p = draw_transit(rng, t_start=10.0, t_end=12.2)
        assert TRANSIT_RANGES["period_d"][0] <= p.period <= TRANSIT_RANGES["period_d"][1]
        assert p.duration <= 0.15 * p.period + 1e-12
        assert p.duration * 24 <= TRANSIT_RANGES["duration_h"][1]
        assert TRANSIT_RANGES["depth"][0] <= p.depth <= TRANSIT_RANGES["depth"][1]
        assert 10.0 <= p.epoch <= 12.2
    with pytest.raises(InputError, match="unknown transit range"):
        draw_transit(rng, t_start=0, t_end=1, ranges={"radius": (1, 2)})


def test_transit_snr_definition():
    assert transit_snr(1e-3, 5e-4, 25) == pytest.approx(10.0)
    assert np.isnan(transit_snr(1e-3, 0.0, 25))


# ------------------------------------------------------------------------------ windows
def test_cut_windows_native_cadence():
    w = cut_windows(np.arange(7000.0), 3197)
    assert w.shape == (2, 3197) and w[1, 0] == 3197
    assert cut_windows(np.arange(100.0), 3197).shape == (0, 3197)
    with pytest.raises(InputError, match="1-D"):
        cut_windows(np.zeros((2, 5)), 3)


def test_mask_transits_removes_known_dips_only():
    rng = np.random.default_rng(0)
    t = np.arange(0, 10, 0.01)
    f = 1 + rng.normal(0, 1e-4, t.size)
    eph = Ephemeris(period=2.5, epoch=1.0, duration=0.2)
    inside = in_transit(t, [eph])
    f[inside] -= 0.01
    g, mask = mask_transits(t, f, [eph], rng=np.random.default_rng(1))
    assert mask.sum() >= inside.sum()
    assert abs(np.median(g[inside]) - 1) < 3e-4
    assert np.array_equal(g[~mask], f[~mask])
    with pytest.raises(InputError, match="every cadence"):
        mask_transits(t, f, [Ephemeris(0.1, 0.0, 0.09)], rng=rng, factor=3.0)


# ------------------------------------------------------------------------------ Kaggle format
def test_kaggle_format_round_trip(tmp_path):
    rng = np.random.default_rng(3)
    X = 1 + rng.normal(0, 1e-3, (6, 50))
    y = np.array([1, 0, 0, 1, 0, 0])
    meta = pd.DataFrame({"star": list("abcdef")})
    path = write_flux_table(tmp_path / "t.csv", X, y, meta=meta, ppm=True)
    header = path.read_text().splitlines()[0].split(",")
    assert header[:3] == ["LABEL", "FLUX.1", "FLUX.2"] and header[-1] == "FLUX.50"
    raw = pd.read_csv(path)
    assert raw["LABEL"].tolist() == [2, 1, 1, 2, 1, 1]
    X2, y2, meta2 = read_flux_table_with_meta(path)
    assert y2.tolist() == y.tolist()
    assert meta2["star"].tolist() == list("abcdef")
    expected = (X / np.median(X, axis=1, keepdims=True) - 1) * 1e6
    assert np.allclose(X2, expected, atol=0.01)


def test_kaggle_reader_on_kaggle_shaped_file(tmp_path):
    # a file shaped like exoTrain.csv: LABEL then FLUX.1..FLUX.n, raw flux values, no sidecar
    cols = {"LABEL": [2, 1, 1]}
    cols.update({f"FLUX.{i}": [93.85 + i, -38.88, 532.64] for i in range(1, 21)})
    p = tmp_path / "exoTrain.csv"
    pd.DataFrame(cols).to_csv(p, index=False)
    X, y, meta = read_flux_table_with_meta(p)
    assert X.shape == (3, 20) and y.tolist() == [1, 0, 0] and meta is None
    assert X[0, 0] == pytest.approx(94.85)


def test_kaggle_reader_errors(tmp_path):
    with pytest.raises(DataNotFoundError, match="build-dataset"):
        read_flux_table_with_meta(tmp_path / "missing.csv")
    bad = tmp_path / "bad.csv"
    pd.DataFrame({"LABEL": [3], "FLUX.1": [1.0]}).to_csv(bad, index=False)
    with pytest.raises(FormatError, match="LABEL must be 2"):
        read_flux_table_with_meta(bad)
    nolabel = tmp_path / "nolabel.csv"
    pd.DataFrame({"x": [1]}).to_csv(nolabel, index=False)
    with pytest.raises(FormatError, match="no LABEL column"):
        read_flux_table_with_meta(nolabel)
    with pytest.raises(InputError, match="labels"):
        write_flux_table(tmp_path / "y.csv", np.ones((1, 3)), [2])
    assert meta_path(tmp_path / "a.csv.zip").name == "a.meta.csv"


# ------------------------------------------------------------------------------ builder
def _toy_star(seed: int = 0, n: int = 2400, cadence_min: float = 29.4, depth: float = 0.01):
    """A LightCurve with white noise and a 3-day planet, made in the test."""
    from spacekit.transformer import LightCurve

    rng = np.random.default_rng(seed)
    t = 2455000.0 + np.arange(n) * cadence_min / 1440
    f = (
        1000.0
        * (1 + rng.normal(0, 2e-4, n))
        * transit_model(t, period=3.0, epoch=2455001.0, duration=0.15, depth=depth)
    )
    return LightCurve(time=Time(t, format="jd", scale="tdb"), flux=f), Ephemeris(
        3.0, 2455001.0, 0.15
    )


@pytest.mark.slow
def test_build_training_set_composition_and_determinism(tmp_path):
    lc_a, eph_a = _toy_star(0)
    lc_b, _ = _toy_star(1)
    stars = [
        StarSpec("host", [lc_a], ephemerides=[eph_a]),
        StarSpec("quiet", [lc_b], ephemerides=[]),
    ]
    kw = dict(
        stars=stars,
        length=600,
        step=300,
        injections_per_window=2,
        n_synthetic=8,
        seed=5,
        show_progress=False,
    )
    ts = build_training_set(tmp_path / "a", **kw)
    again = build_training_set(tmp_path / "b", **kw)
    assert ts.summary["sha256"] == again.summary["sha256"]
    other = build_training_set(tmp_path / "c", **{**kw, "seed": 6})
    assert other.summary["sha256"] != ts.summary["sha256"]

    meta = ts.meta
    n_win = 7  # (2400 - 600) // 300 + 1 per star
    c = ts.summary["composition"]["counts"]
    assert c["real_noise"] == 2 * 2 * n_win  # balanced with the injected copies
    assert c["real_injected"] == 2 * 2 * n_win
    assert c["real_transit"] == n_win  # every 600 x 29.4 min window holds a 3-day transit
    assert c["synthetic_noise"] == 4 and c["synthetic_injected"] == 4
    assert ts.summary["composition"]["real_noise_fraction"] == pytest.approx(
        (4 * n_win + 4 * n_win + n_win) / len(meta)
    )
    assert set(meta["group"]) == {"host", "quiet", "synthetic-0", "synthetic-1"}
    X, y, meta2 = read_flux_table_with_meta(ts.path)
    assert X.shape == (len(meta), 600)
    assert (y == meta["label"]).all()
    # masked host windows have no 1 % dip left; its real-transit windows do
    noise_rows = X[(meta["group"] == "host") & (meta["kind"] == "real_noise")]
    first, reversed_copy = noise_rows[0], noise_rows[1]
    assert np.allclose(first[::-1], reversed_copy)
    transit_rows = X[(meta["kind"] == "real_transit")]
    assert noise_rows.min() > -3000  # ppm
    assert np.all(transit_rows.min(axis=1) < -7000)
    inj = meta[meta["kind"].str.endswith("injected")]
    assert inj["snr"].notna().all() and (inj["depth"] > 0).all()
    assert (inj["n_transits"] >= 1).all()
    assert np.allclose(inj["snr_per_transit"], inj["snr"] / np.sqrt(inj["n_transits"]))
    assert ts.summary["cadence"] == "native (no binning)"


def test_build_training_set_errors(tmp_path):
    lc, _ = _toy_star(0, n=300)
    with pytest.raises(InputError, match="no window"):
        build_training_set(
            tmp_path,
            stars=[StarSpec("short", [lc], ephemerides=[])],
            length=600,
            n_synthetic=0,
            show_progress=False,
        )
    with pytest.raises(InputError, match="unique"):
        build_training_set(tmp_path, stars=[StarSpec("a"), StarSpec("a")], show_progress=False)


def test_composition_counts():
    frac = composition(
        pd.DataFrame(
            {"kind": ["real_noise", "real_transit", "synthetic_noise", "synthetic_injected"]}
        )
    )
    assert frac["real_noise_fraction"] == 0.5 and frac["n_planet"] == 2


def test_builder_masks_planet_hunter_ephemerides_on_real_data(tmp_path):
    """HAT-P-7 (shared Kepler short-cadence light curve): planet_hunter finds HAT-P-7 b,
    the builder masks it in the noise windows and keeps it in the real-transit windows."""
    star = StarSpec("HAT-P-7", ["lc_hat_p_7"], max_planets=1)
    ts = build_training_set(
        tmp_path,
        stars=[star],
        length=3197,
        step=3197,
        injections_per_window=1,
        n_synthetic=2,
        seed=0,
        show_progress=False,
    )
    eph = ts.summary["ephemerides_jd"]["HAT-P-7"]
    assert len(eph) == 1 and eph[0]["period"] == pytest.approx(2.2047, abs=2e-3)
    meta = ts.meta
    X, _, _ = read_flux_table_with_meta(ts.path)
    noise = X[meta["kind"] == "real_noise"]
    real = X[meta["kind"] == "real_transit"]
    assert len(noise) == 4 and len(real) == 4
    # HAT-P-7 b is ~6,000 ppm deep: gone from masked windows, present in the real ones
    assert np.all(np.percentile(noise, 0.5, axis=1) > -2000)
    assert np.all(np.percentile(real, 0.5, axis=1) < -4000)


def test_lazy_exports():
    assert k2.build_training_set is build_training_set
    assert callable(k2.transit_model) and callable(k2.predict)
    with pytest.raises(AttributeError):
        k2.not_a_name  # noqa: B018


def test_leave_one_star_out_folds():
    from spacekit.skopes.k2.classifier import leave_one_star_out_folds

    groups = ["A"] * 3 + ["B"] * 2 + ["synthetic-0", "synthetic-1", "synthetic-2"]
    folds = leave_one_star_out_folds(groups)
    assert [name for name, _ in folds] == ["A", "B"]
    covered = np.sum([m for _, m in folds], axis=0)
    assert covered.tolist() == [1] * len(groups)  # every window held out exactly once
    a = dict(folds)["A"]
    assert not a[3:5].any()  # B never tested in A's fold
    with pytest.raises(InputError, match="two groups"):
        leave_one_star_out_folds(["A", "A"])


def test_training_mask_drops_only_low_snr_injections():
    from spacekit.skopes.k2.classifier import _training_mask

    meta = pd.DataFrame(
        {
            "kind": [
                "real_noise",
                "real_injected",
                "synthetic_injected",
                "real_transit",
                "synthetic_injected",
            ],
            "snr": [np.nan, 2.0, 50.0, 1.0, 4.9],
        }
    )
    y = np.array([0, 1, 1, 1, 1])
    assert _training_mask(y, meta, 5.0).tolist() == [True, False, True, True, False]
    assert _training_mask(y, meta, None).all()
    assert _training_mask(y, None, 5.0).all()  # Kaggle tables have no metadata: all kept


# ------------------------------------------------------------------ bug hunt: flux tables
def _flux_frame(n_rows: int = 3, n: int = 8) -> pd.DataFrame:
    cols = {"LABEL": [2, 1, 1][:n_rows] + [1] * max(0, n_rows - 3)}
    cols.update({f"FLUX.{i}": np.arange(n_rows, dtype=float) + i for i in range(1, n + 1)})
    return pd.DataFrame(cols)


def test_kaggle_reader_refuses_a_gap_in_the_flux_columns(tmp_path):
    # a table missing FLUX.4 used to be read as 7 cadences with every later one shifted
    p = tmp_path / "gap.csv"
    _flux_frame().drop(columns=["FLUX.4"]).to_csv(p, index=False)
    with pytest.raises(FormatError, match=r"FLUX\.4"):
        read_flux_table_with_meta(p)


def test_kaggle_reader_errors_on_odd_columns_text_and_no_rows(tmp_path):
    odd = tmp_path / "odd.csv"
    _flux_frame().assign(**{"FLUX.abc": 1.0}).to_csv(
        odd, index=False
    )  # was a bare int() ValueError
    with pytest.raises(FormatError, match="FLUX.abc"):
        read_flux_table_with_meta(odd)
    text = tmp_path / "text.csv"
    f = _flux_frame().astype(object)
    f.loc[1, "FLUX.3"] = "abc"
    f.to_csv(text, index=False)  # was numpy's "could not convert string to float"
    with pytest.raises(FormatError, match="not numbers"):
        read_flux_table_with_meta(text)
    empty = tmp_path / "empty.csv"
    _flux_frame().iloc[:0].to_csv(empty, index=False)  # header only: crashed later in np.stack
    with pytest.raises(FormatError, match="no rows"):
        read_flux_table_with_meta(empty)


def test_kaggle_reader_explains_zero_one_labels(tmp_path):
    p = tmp_path / "01.csv"
    _flux_frame().assign(LABEL=[1, 0, 0]).to_csv(p, index=False)
    with pytest.raises(FormatError, match=r"found \[0\].*LABEL \+ 1") as err:
        read_flux_table_with_meta(p)
    assert "np.int64" not in str(err.value)


# ------------------------------------------------------------- bug hunt: noise generators
def test_noise_generators_take_an_int_seed():
    # rng=5 raised "'int' object has no attribute 'choice'"; a seed now means default_rng(seed)
    t1, f1, p1 = synthetic_window(300, rng=5)
    t2, f2, p2 = synthetic_window(300, rng=np.random.default_rng(5))
    assert np.array_equal(f1, f2) and p1 == p2
    assert np.array_equal(
        red_noise(50, rms=1e-3, alpha=1.0, rng=2),
        red_noise(50, rms=1e-3, alpha=1.0, rng=np.random.default_rng(2)),
    )
    with pytest.raises(InputError, match="numpy.random.Generator or an int seed"):
        synthetic_window(300, rng="seed")


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda rng: k2.white_noise(10, sigma=-1.0, rng=rng), "sigma"),  # was numpy "scale < 0"
        (lambda rng: k2.red_noise(10, rms=float("nan"), alpha=1.0, rng=rng), "rms"),  # was all NaN
        (lambda rng: k2.red_noise(10, rms=1e-3, alpha=float("inf"), rng=rng), "alpha"),
    ],
)
def test_noise_generators_refuse_bad_scales(call, match):
    with pytest.raises(InputError, match=match):
        call(np.random.default_rng(0))


def test_rewriting_a_table_without_meta_drops_the_stale_sidecar(tmp_path):
    # the old <stem>.meta.csv stayed beside the new table and was read back as its metadata
    # (wrong groups/kinds/SNR whenever the row count happened to match)
    p = tmp_path / "t.csv"
    write_flux_table(p, np.ones((2, 5)), [1, 0], meta=pd.DataFrame({"group": ["a", "b"]}))
    write_flux_table(p, np.zeros((2, 5)), [0, 1])
    X, y, meta = read_flux_table_with_meta(p)
    assert meta is None and y.tolist() == [0, 1] and not meta_path(p).exists()


@pytest.mark.parametrize(
    "kw, match",
    [
        ({"n_synthetic": -5}, "n_synthetic"),  # was silently 0
        ({"injections_per_window": -1}, "injections_per_window"),  # silently no injection
        ({"negatives_per_window": -2}, "negatives_per_window"),
        (
            {"synthetic_groups": -3},
            "synthetic_groups",
        ),  # made groups 'synthetic--1', 'synthetic--2'
        ({"synthetic_groups": 0}, "synthetic_groups"),  # silently the default
        ({"mask_factor": -1.0}, "mask_factor"),  # masked nothing
    ],
)
def test_build_training_set_refuses_negative_counts(tmp_path, kw, match):
    with pytest.raises(InputError, match=match):
        build_training_set(
            tmp_path, stars=[], length=200, **{"n_synthetic": 4, **kw}, show_progress=False
        )
    assert not (tmp_path / "k2-train.csv").exists()


def test_build_training_set_refuses_a_compressed_output_name(tmp_path):
    with pytest.raises(InputError, match="plain csv"):
        build_training_set(
            tmp_path / "set.csv.gz", stars=[], length=200, n_synthetic=4, show_progress=False
        )
    assert not (tmp_path / "set.csv.gz").exists()  # no folder of that name either


def test_training_settings_are_written_once():
    """classifier.train, cv.evaluate and fit_members share FIT_SETTINGS: defaults, checks and
    the TypeError of an unknown keyword, before any data are read."""
    from spacekit.skopes.k2 import K2Model
    from spacekit.skopes.k2.classifier import train as clf_train
    from spacekit.skopes.k2.cv import evaluate as clf_evaluate
    from spacekit.skopes.k2.settings import FIT_SETTINGS, fit_settings

    s = fit_settings({"epochs": 3}, where="train")
    assert s == {**FIT_SETTINGS, "epochs": 3}
    for func in (clf_train, clf_evaluate):
        with pytest.raises(TypeError, match="unexpected keyword argument.*'epoch'"):
            func("no-such-table.csv", epoch=3)
        with pytest.raises(InputError, match="decision threshold"):
            func("no-such-table.csv", threshold=2.0)
    assert K2Model().get_params()["epochs"] == FIT_SETTINGS["epochs"]


def test_read_flux_table_with_meta_refusals_are_pinned(tmp_path):
    """Each refusal of read_flux_table_with_meta, with its message (pins the checks' order)."""

    def table(text: str):
        p = tmp_path / f"t{len(list(tmp_path.iterdir()))}.csv"
        p.write_text(text)
        return p

    with pytest.raises(InputError, match="expected the path of a flux table"):
        read_flux_table_with_meta(3)
    with pytest.raises(DataNotFoundError, match="does not exist"):
        read_flux_table_with_meta(tmp_path / "none.csv")
    with pytest.raises(DataNotFoundError, match="is a folder"):
        read_flux_table_with_meta(tmp_path)
    cases = [
        ("LABEL,X\n1,2\n", r"no FLUX\.1 \.\.\. columns"),
        ("LABEL,FLUX.1,FLUX.a\n1,2,3\n", r"found \['FLUX\.a'\]"),
        (
            "LABEL,FLUX.1,FLUX.3\n1,2,3\n",
            r"FLUX\.1 \.\.\. FLUX\.3, but 1 are missing .*\(FLUX\.2\)",
        ),
        ("LABEL,FLUX.1,FLUX.2\n", "header but no rows"),
        ("LABEL,FLUX.1\n0\n1\n", r"found \[0\]; it looks like 0/1 labels"),
        ("LABEL,FLUX.1\n2,\n", "1 flux values are NaN/inf"),
    ]
    for text, message in cases:
        with pytest.raises(FormatError, match=message):
            read_flux_table_with_meta(table(text))
    p = write_flux_table(tmp_path / "ok.csv", np.ones((2, 3)), [1, 0])
    (tmp_path / "ok.meta.csv").write_text("window\n0\n")
    with pytest.raises(FormatError, match="has 1 rows but .* has 2; rebuild"):
        read_flux_table_with_meta(p)
