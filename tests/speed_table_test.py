"""scripts/speed_table.py: ratios to the naive step measured around each config, and the
table written from them. (Measuring is scripts/benchmark.py's job; faked here.)"""

import importlib.util
import json

from conftest import REPO

_spec = importlib.util.spec_from_file_location("speed_table", REPO / "scripts" / "speed_table.py")
speed_table = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(speed_table)


def test_each_config_is_divided_by_the_mean_of_the_naive_runs_around_it(tmp_path, monkeypatch):
    naive_runs = iter([10.0, 14.0, 18.0, 18.0, 18.0])  # around each config
    monkeypatch.setattr(speed_table, "naive_steps_per_sec", lambda steps, script: next(naive_runs))

    def fake_benchmark(config, steps, steps_per_call, ensemble):
        rate = {"a.py": 24.0, "b_timegan.py": 8.0}[config]
        phase = "joint" if "timegan" in config else "adversarial"
        return {
            "steps_per_sec": rate,
            "cpu_ms_per_step": 50.0,
            "compile_sec": 3.0,
            "phases": {phase: {"steps_per_sec": rate}},
        }

    monkeypatch.setattr(speed_table, "benchmark", fake_benchmark)
    rows = speed_table.measure(["a.py", "b_timegan.py"], steps=200)
    # An ensemble of 4 counts 4 models' steps per step.
    rows += speed_table.measure(["a.py"], steps=200, ensembles=(4,))
    speed_table.write_table(rows, str(tmp_path / "speed"), "python scripts/speed_table.py", [0.5])
    table = json.loads((tmp_path / "speed.json").read_text())
    ratios = [row["ratio_to_naive"] for row in table["rows"]]
    assert ratios == [24.0 / 12.0, 8.0 / 16.0, 4 * 24.0 / 18.0]
    assert [row["naive_runs"] for row in table["rows"]] == [[10.0, 14.0], [14.0, 18.0], [18.0] * 2]
    markdown = (tmp_path / "speed.md").read_text()
    assert "| `a.py` | adversarial | 1 | 1 | 24.0 | 24.0 | 12.0 | **2.00x** |" in markdown
    assert "| `b_timegan.py` | joint | 1 | 1 | 8.0 | 8.0 | 16.0 | **0.50x** |" in markdown
    assert "| `a.py` | adversarial | 4 | 1 | 24.0 | 96.0 | 18.0 | **5.33x** |" in markdown
    assert table["commit"] in markdown
