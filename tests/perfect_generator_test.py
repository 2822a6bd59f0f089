"""scripts/perfect_generator.py: the discriminative metric's floor on a table's data."""

import importlib.util
import json

import numpy as np
from conftest import REPO, SHARED_DATA
from testing import run_script

_spec = importlib.util.spec_from_file_location(
    "perfect_generator", REPO / "scripts/perfect_generator.py"
)
perfect = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(perfect)


def test_fresh_sines_are_as_hard_to_tell_apart_as_the_protocol_allows():
    # Sines drawn as the training data's: a trained classifier does little better than a
    # coin (~.02 here), where sines of twice the frequency range score ~.16.
    floor = perfect.sines_floor(repeats=2, iterations=300, num_samples=1000)
    assert len(floor["scores"]) == 2
    assert np.mean(floor["scores"]) < 0.06, floor


def test_halves_of_energy_are_scored_and_written_beside_the_published_row(tmp_path):
    done = run_script(
        "perfect_generator.py",
        "--table=energy",
        f"--energy_path={SHARED_DATA / 'energy_data.csv'}",
        "--repeats=2",
        "--iterations=20",
        "--name=floor",
        f"--out={tmp_path}",
    )
    assert done.returncode == 0, done.stderr[-3000:]
    results = json.loads((tmp_path / "floor.json").read_text())
    entry = results["tables"]["energy"]
    assert list(results["tables"]) == ["energy"]
    assert len(entry["scores"]) == 2 and all(0 <= s <= 0.5 for s in entry["scores"])
    assert entry["summary"]["max"] == max(entry["scores"]) and entry["seconds"] > 0
    assert "disjoint halves of the 19711 windows" in entry["samples"]
    assert "perfect_generator.py --table=energy" in results["command"]
    table = (tmp_path / "floor.md").read_text()
    assert "| energy |" in table and "0.236 ± 0.012" in table and "≤ 0.236" in table


def test_a_missing_csv_is_named_with_the_fix(tmp_path):
    done = run_script(
        "perfect_generator.py",
        "--table=stocks",
        f"--stocks_path={tmp_path / 'nowhere.csv'}",
        f"--out={tmp_path}",
    )
    assert done.returncode != 0
    assert "--stocks_path" in done.stderr and "download_data.py" in done.stderr
    assert not list(tmp_path.glob("*.json"))


def test_the_predictive_floor_of_sines_is_scored_per_data_seed():
    floor = perfect.sines_predictive_floor([0, 1], repeats=2, iterations=50, num_samples=300)
    by_data_seed = floor["by_data_seed"]
    assert "fresh sines" in floor["samples"] and set(by_data_seed) == {"0", "1"}
    for scored in by_data_seed.values():
        assert len(scored["scores"]) == 2 and all(0 < s < 1 for s in scored["scores"])
        assert scored["summary"]["mean"] == np.mean(scored["scores"])
    # other real windows, other errors
    assert by_data_seed["0"]["scores"] != by_data_seed["1"]["scores"]
    table = perfect.markdown(
        {
            "name": "p",
            "iterations": 2000,
            "command": "c",
            "commit": "abc",
            "date": "d",
            "machine": "m",
            "tables": {"sines": {"predictive": floor, "seconds": 1.0}},
        }
    )
    rows = [line for line in table.splitlines() if line.startswith("| sines |")]
    assert [row.split(" | ")[2] for row in rows] == ["0", "1"]
    assert all(row.endswith("| 0.093 ± 0.019 | ≤ 0.094 |") for row in rows)
    assert "disc." not in table  # no discriminative floor was scored


def test_the_predictive_floor_is_refused_for_the_csv_tables_with_the_fix(tmp_path):
    done = run_script(
        "perfect_generator.py", "--table=energy", "--metrics=predictive", f"--out={tmp_path}"
    )
    assert done.returncode != 0 and "--table=sines" in done.stderr
    assert not list(tmp_path.glob("*.json"))
