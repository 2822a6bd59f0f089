"""scripts/reproduce.py: a table's runs per seed, trained, evaluated and summarized."""

import importlib.util
import json
import math
import subprocess
import sys

import numpy as np
import pytest
from conftest import REPO

from rgan.config import with_added_fields

_spec = importlib.util.spec_from_file_location("reproduce", REPO / "scripts" / "reproduce.py")
reproduce = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(reproduce)


def _seed(disc, pred, mmd2=0.01, corr=0.05, phases=None, wall=50.0):
    return {
        "phases": phases or {"adversarial": 5000},
        "wall_seconds": wall,
        "metrics": {
            "discriminative": {"mean": disc, "std": 0.01},
            "predictive": {"mean": pred, "std": 0.001},
            "mmd2": {"mean": mmd2, "std": 0.0},
            "correlational": {"mean": corr, "std": 0.002},
        },
    }


def test_summarize_seeds_render_markdown_and_merge(tmp_path):
    seeds = {"0": _seed(0.1, 0.09), "1": _seed(0.2, 0.1), "2": _seed(0.3, 0.11)}
    seeds["2"]["metrics"]["mmd2"] = {"skipped": "variable-length sequences"}
    summary = reproduce.summarize_seeds(seeds)
    assert math.isclose(summary["discriminative"]["mean"], 0.2)
    assert math.isclose(summary["discriminative"]["std"], np.std([0.1, 0.2, 0.3], ddof=1))
    assert summary["mmd2"]["n"] == 2  # the skipped seed does not count
    one = reproduce.summarize_seeds({"0": _seed(0.1, 0.09)})
    assert one["predictive"] == {"mean": 0.09, "std": None, "n": 1}

    timegan = {"phases": {"embedding": 10000, "supervised": 10000, "joint": 10000}}
    results = {
        "table": "sines",
        "repeats": 5,
        "command": "python scripts/reproduce.py --table=sines",
        "commit": "abc123",
        "date": "2025-01-01T00:00:00+00:00",
        "machine": "Linux, 2 CPUs",
        "jax": "0.7.0",
        "families": {
            "rgan": {"seeds_requested": 3, "seeds": seeds, "summary": summary},
            "timegan": {
                "command": "python scripts/reproduce.py --families=timegan",
                "seeds_requested": 3,
                "seeds": {"0": _seed(0.033, 0.094, wall=7200.0, **timegan)},
                "summary": reproduce.summarize_seeds({"0": _seed(0.033, 0.094)}),
            },
        },
    }
    lines = reproduce.render_markdown(results).splitlines()
    row = "| rgan | 3 | 5k | 50 s | 0.200 ± 0.100 | 0.100 ± 0.010 | 0.010 ± 0.000 | 0.050 ± 0.000 |"
    assert row in lines
    assert "| timegan | 1 of 3 | 10k + 10k + 10k | 2.0 h | 0.033 | 0.094 | 0.010 | 0.050 |" in lines
    footer = "`python scripts/reproduce.py --table=sines`; `python scripts/reproduce.py --families"
    assert any(x.startswith(footer) and "at commit `abc123`" in x for x in lines)

    # A later command with some families keeps the others' rows, in the usual order.
    timegan_only = {**results, "families": {"timegan": results["families"].pop("timegan")}}
    reproduce.write_results(results, str(tmp_path))
    reproduce.write_results(timegan_only, str(tmp_path))
    merged = json.loads((tmp_path / "sines.json").read_text())
    assert list(merged["families"]) == ["rgan", "timegan"]
    assert "| rgan | 3 |" in (tmp_path / "sines.md").read_text()


def test_a_budget_sized_from_the_data_is_read_from_the_run_s_saved_config(tmp_path):
    """train.num_steps=-1 is only known once the run has started and saved config.json."""
    assert reproduce.total_iterations({"family": "rgan", "train": {"num_steps": -1}}) == -1
    workdir = tmp_path / "run"
    # A stand-in for rgan.main: saves the budget it chose (7) and a checkpoint at it.
    fake_run = (
        "import json, os, sys; w = sys.argv[1]; os.makedirs(w + '/checkpoints/7'); "
        "json.dump({'family': 'rgan', 'train': {'num_steps': 7}}, open(w + '/config.json', 'w'))"
    )
    reproduce.train([sys.executable, "-c", fake_run, str(workdir)], str(workdir), -1)
    record = json.loads((workdir / reproduce.RUN_FILE).read_text())
    assert record["iterations_trained"] == 7 and len(record["sessions"]) == 1
    # Run again: finished at its saved budget, so skipped (the failing command never runs).
    reproduce.train([sys.executable, "-c", "raise SystemExit(3)"], str(workdir), -1)
    assert len(json.loads((workdir / reproduce.RUN_FILE).read_text())["sessions"]) == 1


def test_print_commands_and_missing_config(tmp_path):
    base = [sys.executable, "scripts/reproduce.py", f"--workdir={tmp_path}", "--seeds=2"]
    printed = subprocess.run(
        [*base, "--table=sines", "--override=train.num_steps=7", "--print_commands"],
        capture_output=True,
        text=True,
        cwd=REPO,
    )
    assert printed.returncode == 0, printed.stderr[-2000:]
    lines = printed.stdout.strip().splitlines()
    assert len(lines) == 4 * 2 * 2  # 4 families with a Sines config x 2 seeds x (train, eval)
    assert "configs/sines_crnngan.py" in lines[-2] and "--config.seed=1" in lines[-2]
    assert "--config.train.num_steps=7" in lines[0] and "rgan.evaluate" in lines[1]
    assert not (tmp_path / "rgan").exists()

    missing = subprocess.run(
        [*base, "--table=basicmotions", "--families=timegan"],  # BasicMotions: RCGAN only
        capture_output=True,
        text=True,
        cwd=REPO,
    )
    assert missing.returncode != 0 and "basicmotions_timegan.py is missing" in missing.stderr

    # --no_train never trains: an untrained run is an error that says so.
    untrained = subprocess.run(
        [*base, "--table=sines", "--families=rgan", "--config_arg=smoke", "--no_train"],
        capture_output=True,
        text=True,
        cwd=REPO,
    )
    assert untrained.returncode != 0 and "--no_train: " in untrained.stderr
    assert "drop --no_train to train it" in untrained.stderr
    assert not (tmp_path / "rgan" / "seed_0" / "checkpoints").exists()


def _smoke_command(tmp_path, *flags) -> list[str]:
    """reproduce.py on Sines RGAN, 2 seeds of 4 smoke steps, into tmp_path/runs and
    tmp_path/results, with `flags` added."""
    return [
        sys.executable,
        "scripts/reproduce.py",
        "--table=sines",
        "--families=rgan",
        "--seeds=2",
        *flags,
        "--config_arg=smoke",
        "--override=train.num_steps=4",
        "--override=data.num_samples=64",
        "--override=train.plot_every=0",
        # Post-hoc models of a few iterations: this checks the plumbing, not the scores.
        "--eval_flag=--discriminative_iterations=4",
        "--eval_flag=--predictive_iterations=4",
        "--eval_flag=--context_fid_iterations=2",
        "--eval_flag=--noplots",
        f"--workdir={tmp_path / 'runs'}",
        f"--results_dir={tmp_path / 'results'}",
    ]


def test_reproduce_trains_evaluates_summarizes_and_skips_finished_runs(tmp_path):
    results_dir = tmp_path / "results"
    command = _smoke_command(tmp_path, "--repeats=2")
    first = subprocess.run(command, capture_output=True, text=True, cwd=REPO)
    assert first.returncode == 0, first.stderr[-3000:]
    results = json.loads((results_dir / "sines.json").read_text())
    assert results["table"] == "sines" and results["repeats"] == 2
    assert "--override=data.num_samples=64" in results["command"] and results["commit"]
    family = results["families"]["rgan"]
    assert sorted(family["seeds"]) == ["0", "1"] and "data.num_samples=64" in family["overrides"]
    for seed, entry in family["seeds"].items():
        workdir = tmp_path / "runs" / "rgan" / f"seed_{seed}"
        config = json.loads((workdir / "config.json").read_text())  # the overrides got there
        assert config["seed"] == int(seed) and config["data"]["num_samples"] == 64
        assert entry["iterations"] == 4 and entry["step"] == 4 and entry["wall_seconds"] > 0
        scored = [m for m in reproduce.METRICS if m != "label_accuracy"]  # unconditional
        assert all(math.isfinite(entry["metrics"][m]["mean"]) for m in scored)
        assert "skipped" in entry["metrics"]["label_accuracy"]
    assert "label_accuracy" not in family["summary"]
    for name in scored:
        means = [s["metrics"][name]["mean"] for s in family["seeds"].values()]
        assert math.isclose(family["summary"][name]["mean"], np.mean(means))
        assert math.isclose(family["summary"][name]["std"], np.std(means, ddof=1))
    markdown = (results_dir / "sines.md").read_text()
    assert "| rgan | 2 | 4 |" in markdown and "commit `" in markdown
    assert "label acc." not in markdown  # no run scored it: no column

    records = [(tmp_path / "runs" / "rgan" / f"seed_{s}" / "reproduce_run.json") for s in (0, 1)]
    before = [r.read_text() for r in records]
    # Trained and evaluated: --no_train collects them again without complaint.
    again = subprocess.run([*command, "--no_train"], capture_output=True, text=True, cwd=REPO)
    assert again.returncode == 0, again.stderr[-3000:]
    assert again.stdout.count("trained (4 of 4 iterations), skipped") == 2
    assert again.stdout.count("evaluated at this step, skipped") == 2
    assert [r.read_text() for r in records] == before  # no training time added
    rerun = json.loads((results_dir / "sines.json").read_text())
    assert rerun["families"]["rgan"]["seeds"] == family["seeds"]


def test_reproduce_trains_a_family_s_seeds_as_one_ensemble(tmp_path):
    results_dir = tmp_path / "results"
    command = _smoke_command(tmp_path, "--ensemble", "--repeats=1")
    printed = subprocess.run(
        [*command, "--print_commands"], capture_output=True, text=True, cwd=REPO
    )
    lines = printed.stdout.strip().splitlines()
    assert len(lines) == 3  # one training for both seeds, two evaluations
    assert "--config.train.ensemble=2" in lines[0] and "--config.seed=0" in lines[0]
    assert "--member=0" in lines[1] and "--member=1" in lines[2]

    done = subprocess.run(command, capture_output=True, text=True, cwd=REPO)
    assert done.returncode == 0, done.stderr[-3000:]
    workdir = tmp_path / "runs" / "rgan" / "ensemble"
    assert json.loads((workdir / "config.json").read_text())["train"]["ensemble"] == 2
    family = json.loads((results_dir / "sines.json").read_text())["families"]["rgan"]
    assert sorted(family["seeds"]) == ["0", "1"]
    for seed, entry in family["seeds"].items():
        assert (workdir / "members" / seed / "eval" / "metrics.json").is_file()
        assert entry["ensemble"] == 2 and entry["step"] == 4
    mmd = [e["metrics"]["mmd2"]["mean"] for e in family["seeds"].values()]
    assert mmd[0] != mmd[1]  # two members, not one scored twice
    assert "(2 in one ensemble)" in (results_dir / "sines.md").read_text()


def test_only_the_metrics_an_evaluation_lacks_are_scored_again(tmp_path):
    run = reproduce.SeedRun("rgan", 0, "configs/sines_rgan.py", str(tmp_path))
    assert reproduce.missing_metrics(run, 5) == list(reproduce.METRICS)  # not evaluated
    (tmp_path / "checkpoints" / "300").mkdir(parents=True)
    report = tmp_path / "eval" / "step_00000300" / "metrics.json"
    report.parent.mkdir(parents=True)
    older = [m for m in reproduce.METRICS if m != "spread"]  # made before "spread" existed
    report.write_text(json.dumps({"repeats": 5, "metrics": {m: {} for m in older}}))
    assert reproduce.missing_metrics(run, 5) == ["spread"]
    assert reproduce.evaluation(run, 5) is None
    assert reproduce.missing_metrics(run, 3) == list(reproduce.METRICS)  # other repeats
    command = reproduce.eval_command(str(tmp_path), 5, ["--noplots"], None, ["spread"])
    assert "--metrics=spread" in command and command[-1] == "--noplots"


def test_seeds_added_later_join_their_row_only_under_the_same_recipe(tmp_path):
    # --first_seed=2 --seeds=1 --ensemble: its own ensemble, whose member 0 is seed 2.
    (run,) = reproduce.seed_runs(["timegan"], {"timegan": "c.py"}, 1, "/w", True, 2)
    assert (run.seed, run.member, run.workdir) == (2, 0, "/w/timegan/ensemble_from_seed_2")
    command = reproduce.run_training_command(run, 1, ["train.num_steps=7"])
    assert "--config.seed=2" in command and "--config.train.ensemble=1" in command
    alone = reproduce.seed_runs(["rgan"], {"rgan": "c.py"}, 2, "/w", False, 3)
    assert [(r.seed, r.workdir) for r in alone] == [(3, "/w/rgan/seed_3"), (4, "/w/rgan/seed_4")]

    recipe = {"config": "configs/stocks_timegan.py", "overrides": ["a=1", "b=2"]}
    # The earlier seeds' run, as rgan.main saved its config (an ensemble of 2 from seed 0),
    # before rgan had the fields of ADDED_FIELDS.
    saved = {"seed": 0, "train": {"ensemble": 2, "num_steps": 12000, "lr": 0.001}}
    (tmp_path / "run").mkdir()
    (tmp_path / "run" / "config.json").write_text(json.dumps(saved))
    ensemble = {"ensemble": 2, "wall_seconds": 15000.0, "workdir": str(tmp_path / "run")}
    # This command's config: another seed and size, a budget sized when the run starts,
    # the added fields at the values that keep the old behaviour.
    resolved = with_added_fields({**saved, "seed": 2})
    resolved["train"].update(ensemble=1, num_steps=-1)
    recipe["resolved"] = resolved

    def results(command, requested, seeds, **changes):
        entry = {**recipe, "command": command, "seeds_requested": len(requested)}
        entry.update(requested=requested, seeds=seeds, summary={}, **changes)
        return {
            "table": "stocks",
            "command": command,
            "commit": "abc",
            "date": "2026-01-01",
            "machine": "Linux, 2 CPUs",
            "jax": "0.7.0",
            "families": {"timegan": entry},
        }

    first = results("first", [0, 1], {"0": {**_seed(0.1, 0.04), **ensemble}})
    first["families"]["timegan"]["seeds"]["1"] = {**_seed(0.06, 0.04), **ensemble}
    reproduce.write_results(first, str(tmp_path))
    reproduce.check_adding_seeds(str(tmp_path), "stocks", first["families"], 2)  # same recipe
    # The overrides in another order are the same recipe.
    reordered = {"timegan": {**recipe, "overrides": ["b=2", "a=1"]}}
    reproduce.check_adding_seeds(str(tmp_path), "stocks", reordered, 2)
    # The config file edited since the earlier run: its saved config.json tells.
    edited = {**recipe, "resolved": {**resolved, "train": {**resolved["train"], "lr": 0.01}}}
    with pytest.raises(SystemExit, match=r"has changed since .*train.lr: 0.001 -> 0.01"):
        reproduce.check_adding_seeds(str(tmp_path), "stocks", {"timegan": edited}, 2)
    later = results("later", [2], {"2": _seed(0.2, 0.04, wall=9000.0)}, overrides=["b=2", "a=1"])
    reproduce.write_results(later, str(tmp_path))
    row = json.loads((tmp_path / "stocks.json").read_text())["families"]["timegan"]
    assert list(row["seeds"]) == ["0", "1", "2"] and row["requested"] == [0, 1, 2]
    assert math.isclose(row["summary"]["discriminative"]["mean"], 0.12)
    assert row["commands"] == ["first", "later"]
    # Writing the later command's results again (it writes after every run) changes nothing.
    reproduce.write_results(later, str(tmp_path))
    assert json.loads((tmp_path / "stocks.json").read_text())["families"]["timegan"] == row
    table = (tmp_path / "stocks.md").read_text()
    assert "| timegan | 3 | 5k | 4.2 h (2 in one ensemble) / 2.5 h | 0.120 ± 0.072 |" in table
    assert "`first`; `later` at commit `abc`" in table

    # Other overrides: seeds cannot be added to that row (their mean would mix recipes) ...
    other = {"timegan": {**recipe, "overrides": ["a=1", "b=3"]}}
    with pytest.raises(SystemExit, match=r"made with configs/stocks_timegan.py and overrides"):
        reproduce.check_adding_seeds(str(tmp_path), "stocks", other, 3)
    # ... while a whole new recipe from seed 0 replaces the row, as before.
    new = results("new", [0], {"0": _seed(0.3, 0.05)}, overrides=["a=1", "b=3"])
    reproduce.write_results(new, str(tmp_path))
    row = json.loads((tmp_path / "stocks.json").read_text())["families"]["timegan"]
    assert list(row["seeds"]) == ["0"] and "commands" not in row


def test_the_machine_names_its_cpu_model_and_vector_instructions(tmp_path):
    cpuinfo = tmp_path / "cpuinfo"
    cpu = "model name\t: AMD EPYC 9R14\nflags\t\t: fpu sse2 avx avx2 fma\n"
    cpuinfo.write_text(cpu + "\n" + cpu.replace("9R14", "other"))  # one entry per core
    assert reproduce.machine_description(str(cpuinfo)).endswith(" CPUs (AMD EPYC 9R14, avx2)")
    cpuinfo.write_text("model name\t: Xeon\nflags\t\t: avx avx2 avx512f avx512bw\n")
    assert reproduce.machine_description(str(cpuinfo)).endswith("(Xeon, avx512f)")
    assert reproduce.machine_description(str(tmp_path / "absent")).endswith(" CPUs")
