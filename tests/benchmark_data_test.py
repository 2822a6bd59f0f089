"""The TimeGAN benchmark files give TimeGAN's window counts (needs ../shared/data)."""

import subprocess
import sys

import numpy as np
import pytest
from conftest import REPO, SHARED_DATA
from testing import load_test_config

from rgan.data import build_dataset

pytestmark = pytest.mark.skipif(
    not (SHARED_DATA / "stock_data.csv").exists(),
    reason=f"benchmark CSVs not found in {SHARED_DATA}",
)


@pytest.mark.parametrize(
    "name, filename, shape",
    [("stocks", "stock_data.csv", (3661, 24, 6)), ("energy", "energy_data.csv", (19711, 24, 28))],
)
def test_timegan_protocol_window_counts(name, filename, shape):
    config = load_test_config(
        f"{REPO}/configs/{name}_rgan.py", data__path=str(SHARED_DATA / filename)
    )
    data = build_dataset(config.data, seed=0)
    assert data.windows.shape == shape
    assert data.windows.min() >= 0 and data.windows.max() <= 1
    # TimeGAN reverses the rows: the first window ends with the file's last rows.
    raw = np.loadtxt(SHARED_DATA / filename, delimiter=",", skiprows=1)
    np.testing.assert_allclose(data.scaler.inverse(data.windows[0, 0]), raw[-1], rtol=1e-6)


def test_download_script_copies_and_verifies(tmp_path):
    cmd = [sys.executable, "scripts/download_data.py", f"--out={tmp_path}", f"--from={SHARED_DATA}"]
    subprocess.run(cmd, check=True, cwd=REPO, capture_output=True)
    assert (tmp_path / "stock_data.csv").read_bytes() == (
        SHARED_DATA / "stock_data.csv"
    ).read_bytes()
    # A corrupt source is refused and does not replace the verified copy.
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "stock_data.csv").write_text("Open\n1\n")
    cmd = [sys.executable, "scripts/download_data.py", f"--out={tmp_path}", f"--from={bad}"]
    (tmp_path / "stock_data.csv").unlink()
    result = subprocess.run([*cmd, "--datasets=stocks"], cwd=REPO, capture_output=True, text=True)
    assert result.returncode == 1 and "does not match" in result.stderr
    assert not (tmp_path / "stock_data.csv").exists()
