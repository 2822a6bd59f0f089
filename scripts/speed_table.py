"""The README's speed table: each config's training speed as a ratio to the naive step.

    python scripts/speed_table.py --out=results/speed --steps_per_call=1,10,100
    python scripts/speed_table.py --out=results/speed_ensemble --ensemble=1,4,16
    python scripts/speed_table.py --configs=configs/sines_rgan.py,configs/sines_rcgan.py \
        --steps=100 --out=/tmp/speed
    python scripts/speed_table.py --merge=/tmp/a.json,/tmp/b.json --out=results/speed_gpu

Absolute times on a shared machine move by ±30% from run to run, so every config is
measured next to `../shared/bench/naive_linen_rgan.py` (a plain Flax linen RGAN step, see
its README): the naive step runs before and after each config, in its own process, and
the config's `steps_per_sec` (scripts/benchmark.py, one fresh process per config) is
divided by their mean. With several `--steps_per_call` values, each config is timed at
each (`train.steps_per_call`: steps per dispatch), and likewise for `--ensemble` (K
models per step, `train.ensemble`; the ratio is then of member-steps/s, K models' steps,
to the naive step's). Writes `<out>.json` (every
measurement, the commit, the machine, the load average) and `<out>.md` (the table).
"""

from __future__ import annotations

import datetime
import json
import os
import pathlib
import subprocess
import sys

from absl import app, flags
from reproduce import machine_description  # scripts/ is on sys.path

REPO = pathlib.Path(__file__).resolve().parents[1]
NAIVE = REPO.parent / "shared" / "bench" / "naive_linen_rgan.py"
DEFAULT_CONFIGS = (
    "configs/sines_rgan.py",
    "configs/sines_rcgan.py",
    "configs/sines_crnngan.py",
    "configs/sines_timegan.py",
)
# TimeGAN: its joint phase alone (the other two are several times faster), for a quarter
# of the steps.
ONLY_LAST_PHASE = ("--config.timegan.embedding_steps=0", "--config.timegan.supervised_steps=0")

FLAGS = flags.FLAGS


def _define_flags():
    flags.DEFINE_list("configs", list(DEFAULT_CONFIGS), "Configs to time.")
    flags.DEFINE_integer("steps", 200, "Timed steps per config (and per naive run).")
    flags.DEFINE_list("steps_per_call", ["1"], "train.steps_per_call values to time.")
    flags.DEFINE_list("ensemble", ["1"], "train.ensemble values (models per step) to time.")
    flags.DEFINE_string("naive", str(NAIVE), "The naive step's script.")
    flags.DEFINE_string("out", None, "Writes <out>.json and <out>.md.")
    flags.DEFINE_list(
        "merge", [], "Measures nothing: joins these tables' JSON (several runs) into --out."
    )
    flags.mark_flags_as_required(["out"])


def _last_json_line(args: list[str]) -> dict:
    """Runs `args` (a python program printing one JSON line last) and parses that line."""
    done = subprocess.run(args, capture_output=True, text=True, cwd=REPO, check=False)
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if done.returncode or not lines:
        raise RuntimeError(f"{' '.join(args)} failed ({done.returncode}):\n{done.stderr[-2000:]}")
    return json.loads(lines[-1])


def naive_steps_per_sec(steps: int, script: str = str(NAIVE)) -> float:
    return _last_json_line([sys.executable, script, str(steps)])["steps_per_sec"]


def benchmark(config: str, steps: int, steps_per_call: int = 1, ensemble: int = 1) -> dict:
    # Both always passed: a config's own default may differ (configs/own_data.py: 50).
    args = [
        sys.executable,
        "scripts/benchmark.py",
        f"--config={config}",
        f"--steps={steps}",
        f"--config.train.steps_per_call={steps_per_call}",
        f"--config.train.ensemble={ensemble}",
    ]
    if "timegan" in pathlib.Path(config).name:
        args += ONLY_LAST_PHASE
    return _last_json_line(args)


def _commit() -> str:
    """HEAD's commit; RGAN_COMMIT where the tree was copied without its .git (a rented
    accelerator machine)."""
    done = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True, cwd=REPO)
    return done.stdout.strip() or os.environ.get("RGAN_COMMIT", "unknown")


def render_markdown(table: dict) -> str:
    lines = [
        "| config | phase | models/step | steps/call | steps/s | member-steps/s | naive steps/s "
        "| ratio to naive | CPU ms/step | compile (s) |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    configs = list(dict.fromkeys(row["config"] for row in table["rows"]))
    grouped = sorted(
        table["rows"],
        key=lambda r: (
            configs.index(r["config"]),
            r.get("ensemble", 1),
            r.get("steps_per_call", 1),
        ),
    )
    for row in grouped:
        result = row["benchmark"]
        phase = list(result["phases"])[-1]
        members = row.get("ensemble", 1)
        lines.append(
            f"| `{row['config']}` | {phase} | {members} | {row.get('steps_per_call', 1)} | "
            f"{result['steps_per_sec']:.1f} | {result['steps_per_sec'] * members:.1f} | "
            f"{row['naive_steps_per_sec']:.1f} | **{row['ratio_to_naive']:.2f}x** | "
            f"{result['cpu_ms_per_step']:.0f} | {result['compile_sec']:.1f} |"
        )
    for run in table.get("runs", [table]):  # one paragraph per run that measured rows
        lines.append("")
        lines.append(
            f"`{run['command']}` at commit `{run['commit']}` ({run['date']}, "
            f"{run['machine']}, jax {run['jax']}; load average before: "
            f"{run['load_average_before']})."
        )
    lines.append("")
    return "\n".join(lines)


def measure(
    configs: list[str],
    steps: int,
    naive_script: str = str(NAIVE),
    steps_per_call=(1,),
    ensembles=(1,),
    on_row=None,
) -> list[dict]:
    """One row per config, steps_per_call and ensemble value: its benchmark and the naive
    step's rate around it. Every config is timed at one (steps_per_call, ensemble) point
    before any is timed at the next, so a run cut short (an accelerator lease running out)
    still has a row for each config at the first point; `on_row(rows)` is called after
    each row (to write what is measured so far)."""
    rows = []
    naive_before = naive_steps_per_sec(steps, naive_script)
    points = [(c, int(s), int(k)) for s in steps_per_call for k in ensembles for c in configs]
    for config, per_call, members in points:
        config_steps = max(steps // 4, 20) if "timegan" in config else steps
        result = benchmark(config, max(config_steps, per_call), per_call, members)
        naive_after = naive_steps_per_sec(steps, naive_script)
        naive = (naive_before + naive_after) / 2
        rows.append(
            {
                "config": config,
                "steps_per_call": per_call,
                "ensemble": members,
                "benchmark": result,
                "naive_steps_per_sec": naive,
                "naive_runs": [naive_before, naive_after],
                # Models' steps per second: K per step for an ensemble of K.
                "ratio_to_naive": result["steps_per_sec"] * members / naive,
            }
        )
        print(
            f"{config} ({per_call} steps/call, {members} model(s)/step): "
            f"{result['steps_per_sec']:.1f} steps/s, {rows[-1]['ratio_to_naive']:.2f}x",
            flush=True,
        )
        if on_row is not None:
            on_row(rows)
        naive_before = naive_after
    return rows


def write_table(rows: list[dict], out: str, command: str, load_before: list[float]) -> None:
    import jax

    table = {
        "command": command,
        "commit": _commit(),
        "date": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "machine": machine_description(),
        "jax": jax.__version__,
        "load_average_before": load_before,
        "rows": rows,
    }
    os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
    with open(out + ".json", "w") as f:
        json.dump(table, f, indent=2)
    with open(out + ".md", "w") as f:
        f.write(render_markdown(table))


_RUN_FIELDS = ("command", "commit", "date", "machine", "jax", "load_average_before")


def merge_tables(paths: list[str], out: str) -> dict:
    """Joins the tables of several runs (one accelerator lease's calls, each cut to fit)
    into `<out>.json` and `.md`: their rows in order, and under `runs` each run's command,
    commit, date, machine and load; `run` in a row indexes it."""
    runs, rows = [], []
    for path in paths:
        with open(path) as f:
            table = json.load(f)
        for row in table["rows"]:
            rows.append({**row, "run": len(runs)})
        runs.append({field: table[field] for field in _RUN_FIELDS})
    merged = {**runs[0], "runs": runs, "rows": rows}
    merged["command"] = " ; ".join(run["command"] for run in runs)
    os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
    with open(out + ".json", "w") as f:
        json.dump(merged, f, indent=2)
    with open(out + ".md", "w") as f:
        f.write(render_markdown(merged))
    return merged


def main(argv):
    del argv
    if FLAGS.merge:
        merge_tables(FLAGS.merge, FLAGS.out)
        print(f"Wrote {FLAGS.out}.json and .md from {len(FLAGS.merge)} tables")
        return
    load_before = [round(x, 2) for x in os.getloadavg()]
    command = "python scripts/speed_table.py " + " ".join(sys.argv[1:])
    rows = measure(
        FLAGS.configs,
        FLAGS.steps,
        FLAGS.naive,
        FLAGS.steps_per_call,
        FLAGS.ensemble,
        on_row=lambda rows: write_table(rows, FLAGS.out, command, load_before),
    )
    write_table(rows, FLAGS.out, command, load_before)
    print(f"Wrote {FLAGS.out}.json and .md")


if __name__ == "__main__":
    _define_flags()
    app.run(main)
