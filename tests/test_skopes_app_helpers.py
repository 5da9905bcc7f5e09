"""The plumbing the four apps share (spacekit.skopes._app): issue 17's one copy of the
model-folder, chunking and worker-model logic of load_model / predict_batch."""

from __future__ import annotations

import warnings

import pandas as pd
import pytest

from spacekit.exceptions import InputError
from spacekit.skopes import _app
from spacekit.utils.manifest import OutOfRangeWarning


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
