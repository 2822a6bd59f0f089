"""scripts/speed_table.py: ratios to the naive step measured around each config, and the
table written from them. (Measuring is scripts/benchmark.py's job; faked here.)"""

import importlib.util
import json
import sys

from conftest import REPO

sys.path.insert(0, str(REPO / "scripts"))  # as when it runs: it imports scripts/reproduce.py
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


def test_every_config_is_timed_at_one_point_before_the_next_and_each_row_is_written(
    tmp_path, monkeypatch
):
    monkeypatch.setattr(speed_table, "naive_steps_per_sec", lambda steps, script: 10.0)
    timed = []

    def fake_benchmark(config, steps, steps_per_call, ensemble):
        timed.append((config, steps_per_call, ensemble))
        return {
            "steps_per_sec": 10.0 * steps_per_call,
            "cpu_ms_per_step": 1.0,
            "compile_sec": 1.0,
            "phases": {"adversarial": {}},
        }

    monkeypatch.setattr(speed_table, "benchmark", fake_benchmark)
    out = str(tmp_path / "speed")
    written = []

    def write(rows):  # what a run cut short after this row would have left behind
        speed_table.write_table(rows, out, "cmd", [0.0])
        written.append(len(json.loads((tmp_path / "speed.json").read_text())["rows"]))

    speed_table.measure(
        ["a.py", "b.py"], 20, steps_per_call=(1, 100), ensembles=(1, 16), on_row=write
    )
    assert timed[:2] == [("a.py", 1, 1), ("b.py", 1, 1)]  # each config once, first of all
    assert sorted(timed) == sorted(
        (c, s, k) for c in ("a.py", "b.py") for s in (1, 100) for k in (1, 16)
    )
    assert written == list(range(1, 9))
    # The table lists one config's rows together, by models/step then steps/call.
    lines = [line for line in (tmp_path / "speed.md").read_text().splitlines() if "`a.py`" in line]
    assert [line.split("|")[3:5] for line in lines] == [
        [" 1 ", " 1 "],
        [" 1 ", " 100 "],
        [" 16 ", " 1 "],
        [" 16 ", " 100 "],
    ]
    table = (tmp_path / "speed.md").read_text().splitlines()
    assert table.index(lines[-1]) < min(i for i, line in enumerate(table) if "`b.py`" in line)


def test_merged_tables_keep_every_row_and_the_run_it_came_from(tmp_path):
    def table(name, command, configs):
        rows = [
            {
                "config": c,
                "steps_per_call": 1,
                "ensemble": 1,
                "naive_steps_per_sec": 10.0,
                "ratio_to_naive": 2.0,
                "benchmark": {
                    "steps_per_sec": 20.0,
                    "cpu_ms_per_step": 1.0,
                    "compile_sec": 1.0,
                    "phases": {"adversarial": {}},
                },
            }
            for c in configs
        ]
        speed_table.write_table(rows, str(tmp_path / name), command, [0.1])
        return str(tmp_path / name) + ".json"

    first, second = table("a", "run one", ["x.py"]), table("b", "run two", ["y.py", "z.py"])
    merged = speed_table.merge_tables([first, second], str(tmp_path / "all"))
    assert [(r["config"], r["run"]) for r in merged["rows"]] == [
        ("x.py", 0),
        ("y.py", 1),
        ("z.py", 1),
    ]
    assert [run["command"] for run in merged["runs"]] == ["run one", "run two"]
    markdown = (tmp_path / "all.md").read_text()
    assert "`run one` at commit" in markdown and "`run two` at commit" in markdown
    paragraphs = markdown.split("\n\n")  # each run's line its own paragraph, not one run-on
    assert sum(p.startswith("`run one`") for p in paragraphs) == 1
    assert sum(p.startswith("`run two`") for p in paragraphs) == 1
    assert json.loads((tmp_path / "all.json").read_text()) == merged
