"""The plumbing the four apps share (spacekit.skopes._app): issue 17's one copy of the
model-folder, chunking and worker-model logic of load_model / predict_batch."""

from __future__ import annotations

import warnings

import pandas as pd
import pytest

from spacekit.exceptions import InputError
from spacekit.skopes import _app
from spacekit.utils.manifest import ModelManifest, OutOfRangeWarning


class _Loaded:
    folder_ = None


def test_worker_model_in_process_and_on_a_cluster():
    m = _Loaded()
    assert _app.worker_model(m, None) is m
    assert _app.worker_model(m, "tcp://127.0.0.1:1") is m  # svm, jwst: the model itself
    with pytest.raises(InputError, match="needs a saved model"):  # k2: a folder is required
        _app.worker_model(m, "tcp://127.0.0.1:1", require_folder=True)
    m.folder_ = "runs/k2/x/model"
    assert _app.worker_model(m, "tcp://127.0.0.1:1", require_folder=True) == "runs/k2/x/model"
    assert _app.worker_model(m, None) is m


def test_chunks_of_frames_and_lists():
    frame = pd.DataFrame({"x": range(7)})
    parts = _app.chunked(frame, 3)
    assert [len(p) for p in parts] == [3, 3, 1]
    assert pd.concat(parts).equals(frame)
    assert _app.chunked([], 3) == []
    assert _app.chunk_size_or(None, default=8, label="chunk_size") == 8
    with pytest.raises(InputError, match="chunk_size \\(visits per task\\)"):
        _app.chunk_size_or(0, default=500, label="chunk_size (visits per task)")


def test_quiet_out_of_range():
    def warns():
        warnings.warn("outside", OutOfRangeWarning, stacklevel=1)
        return 1

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert _app.quiet_out_of_range(warns) == 1


def test_predict_in_chunks_in_order_with_the_model_or_its_folder():
    m = _Loaded()
    got = _app.predict_in_chunks(
        lambda ref, chunk, k: [(ref is m, k * x) for x in chunk],
        m,
        [1, 2, 3],
        client=None,
        chunk_size=None,
        default_size=2,
        label="chunk_size",
        extra=(10,),
    )
    assert got == [[(True, 10), (True, 20)], [(True, 30)]]
    with pytest.raises(InputError, match="chunk_size \\(rows\\)"):
        _app.predict_in_chunks(
            len, m, [1], client=None, chunk_size=0, default_size=2, label="chunk_size (rows)"
        )
    with pytest.raises(InputError, match="needs a saved model"):  # checked before dispatch
        _app.predict_in_chunks(
            len,
            m,
            [1],
            client="tcp://127.0.0.1:1",
            chunk_size=None,
            default_size=2,
            label="chunk_size",
            require_folder=True,
        )


def test_check_model_ranges_from_a_fitted_or_a_loaded_model():
    class Fitted:
        feature_ranges_ = {"x": [0.0, 1.0]}

    encoded = []

    def encode(table):
        encoded.append(len(table))
        return table

    frame = pd.DataFrame({"x": [0.5, 5.0]})
    with pytest.warns(OutOfRangeWarning, match="demo: inputs lie outside"):
        flags = _app.check_model_ranges(Fitted(), frame, "demo", encode=encode)
    assert flags == ["", "x"] and encoded == [2]

    class Imported:  # a manifest without ranges: nothing to check, nothing encoded
        manifest_ = ModelManifest(app="demo", feature_ranges=None)

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert _app.check_model_ranges(Imported(), frame, "demo", encode=encode) is None
    assert encoded == [2]
    assert _app.check_model_ranges(object(), frame, "demo") is None  # no manifest, no ranges


def test_every_app_exports_the_contract():
    import importlib

    for name in ("hst.cal", "hst.svm", "jwst.cal", "k2"):
        app = importlib.import_module(f"spacekit.skopes.{name}.app")
        assert list(app.__all__[: len(_app.CONTRACT)]) == list(_app.CONTRACT), name
        assert all(callable(getattr(app, f)) for f in _app.CONTRACT[1:]), name
