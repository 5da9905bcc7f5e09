"""Every script in examples/ runs as documented (so the examples stay true to the code)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # the fast tier (make test-fast) leaves this file out

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"

#: A line each example prints only when its last step worked.
EXPECTED = {
    "01_datasets_and_io.py": "outputs in ",
    "02_lightcurves.py": "figure in ",
    "03_hst_cal_predict.py": "DynamoDB export: bin accuracy",
    "04_build_train_evaluate.py": "ROC-AUC",
    "05_hst_svm.py": "run folders under ",
}


def test_every_example_is_listed():
    assert sorted(p.name for p in EXAMPLES.glob("*.py")) == sorted(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_example_runs(name, tmp_path, _session_cache):
    env = dict(os.environ, SPACEKIT_PROGRESS="0", MPLBACKEND="Agg", TF_CPP_MIN_LOG_LEVEL="3")
    # examples use the documented relative mirror path when run from the repository root
    proc = subprocess.run(
        [sys.executable, str(EXAMPLES / name)],
        cwd=EXAMPLES.parent,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "Traceback" not in proc.stderr
    assert EXPECTED[name] in proc.stdout, proc.stdout[-2000:]
