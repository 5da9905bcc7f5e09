"""Flux-table transforms: read_flux_table, scale_rows, add_smoothed_channel, fft_features."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from spacekit.exceptions import DataNotFoundError, InputError, SchemaError
from spacekit.transformer import (
    add_smoothed_channel,
    babel_fish_dispenser,
    fast_fourier,
    fft_features,
    hypersonic_pliers,
    read_flux_table,
    scale_rows,
    thermo_fusion_chisel,
)


def _table(tmp_path, n=6, m=40):
    rng = np.random.default_rng(0)
    flux = rng.normal(100, 5, size=(n, m))
    # columns deliberately out of numeric order: FLUX.10 before FLUX.2
    cols = {f"FLUX.{i + 1}": flux[:, i] for i in range(m)}
    df = pd.DataFrame({"LABEL": [2, 1, 1, 2, 1, 1], **cols})
    df = df[["LABEL"] + sorted(cols)]
    p = tmp_path / "k2.csv"
    df.to_csv(p, index=False)
    return p, flux


def test_read_flux_table_orders_columns_and_maps_labels(tmp_path):
    p, flux = _table(tmp_path)
    X, y = read_flux_table(p)
    np.testing.assert_allclose(X, flux)
    assert y.tolist() == [1, 0, 0, 1, 0, 0]
    X2, y2 = hypersonic_pliers(p)
    np.testing.assert_array_equal(X2, X)
    _, raw = read_flux_table(p, binary=False)
    assert raw.tolist() == [2, 1, 1, 2, 1, 1]


def test_read_flux_table_errors(tmp_path):
    with pytest.raises(DataNotFoundError):
        read_flux_table(tmp_path / "nope.csv")
    with pytest.raises(SchemaError, match="label column"):
        read_flux_table(pd.DataFrame({"FLUX.1": [1.0]}))
    with pytest.raises(SchemaError, match="FLUX.1"):
        read_flux_table(pd.DataFrame({"LABEL": [1], "x": [1.0]}))
    with pytest.raises(SchemaError, match="labels"):
        read_flux_table(pd.DataFrame({"LABEL": [3, 7], "FLUX.1": [1.0, 2.0]}))


def test_scale_rows_is_per_row():
    X = np.array([[1.0, 2.0, 3.0, 4.0], [10.0, 30.0, 10.0, 30.0], [5.0, 5.0, 5.0, 5.0]])
    Z = scale_rows(X)
    np.testing.assert_allclose(Z[:2].mean(axis=1), 0, atol=1e-12)
    np.testing.assert_allclose(Z[:2].std(axis=1), 1)
    assert np.all(Z[2] == 0)
    a, b = thermo_fusion_chisel(X, X * 2)
    np.testing.assert_allclose(a, b)
    with pytest.raises(InputError, match="2D"):
        scale_rows(np.arange(4.0))


def test_add_smoothed_channel():
    X = np.array([[0.0, 0.0, 9.0, 0.0, 0.0], [1.0, 1.0, 1.0, 1.0, 1.0]])
    out = add_smoothed_channel(X, size=3)
    assert out.shape == (2, 5, 2)
    np.testing.assert_array_equal(out[..., 0], X)
    np.testing.assert_allclose(out[0, 1:4, 1], [3.0, 3.0, 3.0])
    np.testing.assert_allclose(out[1, :, 1], 1.0)
    a, b = babel_fish_dispenser(X, X, step_size=3)  # the seed's mirrored ends
    np.testing.assert_array_equal(a, add_smoothed_channel(X, size=3, mode="reflect"))
    np.testing.assert_array_equal(a[:, 1:-1], out[:, 1:-1])
    with pytest.raises(InputError):
        add_smoothed_channel(X, size=0)


def test_fft_features_are_row_specific():
    t = np.arange(64)
    X = np.vstack([np.sin(2 * np.pi * 4 * t / 64), np.sin(2 * np.pi * 9 * t / 64)])
    F = fft_features(X)
    assert F.shape == (2, 33)
    assert F[0].argmax() == 4 and F[1].argmax() == 9  # the seed gave every row the same vector
    full = fast_fourier(X)
    assert full.shape == (2, 64)
    assert not np.allclose(full[0], full[1])
    assert fft_features(X, n=32).shape == (2, 17)


def test_flux_table_ignores_flux_error_columns_and_orders_by_number():
    df = pd.DataFrame(
        {"LABEL": [1, 2], "FLUX_2": [3.0, 4.0], "FLUX_1": [1.0, 2.0], "FLUX_ERR": [9.0, 9.0]}
    )
    X, y = read_flux_table(df)
    assert X.tolist() == [[1.0, 3.0], [2.0, 4.0]] and y.tolist() == [0, 1]


def test_flux_table_bad_labels_and_folder_are_clear_errors(tmp_path):
    flux = {"FLUX.1": [1.0, 2.0]}
    with pytest.raises(SchemaError, match="missing value"):
        read_flux_table(pd.DataFrame({"LABEL": [1.0, np.nan], **flux}))
    with pytest.raises(SchemaError, match="whole numbers.*factorize"):
        read_flux_table(pd.DataFrame({"LABEL": ["star", "planet"], **flux}), binary=False)
    with pytest.raises(DataNotFoundError, match="is a folder"):
        read_flux_table(tmp_path)


def test_scale_rows_all_nan_row_is_quiet_and_text_is_input_error():
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = scale_rows([[np.nan, np.nan], [1.0, 3.0]])
    assert out.tolist() == [[0.0, 0.0], [-1.0, 1.0]]
    with pytest.raises(InputError, match="hold numbers"):
        scale_rows([["a", "b"]])


def test_non_finite_flux_and_fractional_sizes_are_refused():
    import warnings

    # one inf made the whole row zeros (with a RuntimeWarning)
    with pytest.raises(
        InputError, match=r"scale_rows needs finite flux; 1 infinite value\(s\) in row\(s\) \[1\]"
    ):
        scale_rows([[1.0, 2.0, 3.0], [1.0, 2.0, np.inf]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert np.isnan(scale_rows([[1.0, np.nan, 3.0]])[0, 1])  # NaN still left out and kept
    # one NaN spread over the rest of the smoothed row; it made the whole spectrum NaN
    row = [[1.0, 2.0, np.nan, 4.0, 5.0, 6.0, 7.0]]
    with pytest.raises(InputError, match="add_smoothed_channel needs finite flux.*fill"):
        add_smoothed_channel(row, size=3)
    with pytest.raises(InputError, match="fft_features needs finite flux"):
        fft_features(row)
    # fractional sizes were truncated (size=2.5 ran as 2) or a bare TypeError (n=2.5)
    with pytest.raises(InputError, match="size .* whole number"):
        add_smoothed_channel([[1.0, 2.0, 3.0]], size=2.5)
    with pytest.raises(InputError, match="n .* whole number"):
        fft_features([[1.0, 2.0, 3.0]], n=2.5)
    assert fft_features([[1.0, 2.0, 3.0]], n=4.0).shape == (1, 3)


@pytest.mark.parametrize(
    ("args", "kwargs"),
    [
        ((), {"path_to_test": "exoTest.csv", "subtract_y": 1.0, "reshape": True}),  # LaunchK2's
        (("exoTest.csv",), {}),
        ((), {"y_col": [0], "skip": 1}),
    ],
)
def test_hypersonic_pliers_says_how_upstreams_call_translates(args, kwargs, tmp_path):
    """Upstream 1.1.4's call (two tables, raw labels) gets the way to call this one, not
    read_flux_table's bare TypeError."""
    p = tmp_path / "exoTrain.csv"
    pd.DataFrame({"LABEL": [2, 1], "FLUX.1": [1.0, 3.0]}).to_csv(p, index=False)
    with pytest.raises(InputError, match="upstream spacekit 1.1.4.*once per table"):
        hypersonic_pliers(p, *args, **kwargs)


def test_babel_fish_dispenser_gives_the_seeds_numbers():
    """The seed (and upstream 1.1.4): ``uniform_filter1d(X, axis=1, size=step_size)`` with
    scipy's default ``"reflect"`` ends and step_size 200 when not given, stacked on ``axis``."""
    from scipy.ndimage import uniform_filter1d

    rng = np.random.default_rng(0)
    X = rng.normal(size=(3, 500))
    for kwargs, size in (({}, 200), ({"step_size": 9}, 9)):
        seed = np.stack([X, uniform_filter1d(X, axis=1, size=size)], axis=2)
        np.testing.assert_array_equal(babel_fish_dispenser(X, **kwargs), seed)
    a, b = babel_fish_dispenser(X, X[:1], step_size=5, axis=1)
    assert a.shape == (3, 2, 500) and b.shape == (1, 2, 500)
    np.testing.assert_array_equal(a[:, 1], uniform_filter1d(X, axis=1, size=5))
    with pytest.raises(InputError, match="mode"):
        add_smoothed_channel(X, 3, mode="bogus")
