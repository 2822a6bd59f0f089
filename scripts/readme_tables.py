"""The README's results tables, rendered from the committed results/<table>.json files.

    python scripts/readme_tables.py            # rewrite the tables in README.md
    python scripts/readme_tables.py --check    # exit 1 if README.md differs from results/

A table in the README sits between two markers that name the results files it shows:

    <!-- results: basicmotions, japanesevowels -->
    | ... rendered here ... |
    <!-- /results -->

One row per (results file, family): the config, seeds evaluated, iterations per phase,
training wall time per seed, and the mean ± standard deviation over seeds of every metric
that some row scored (scripts/reproduce.py writes these files). Text outside the markers
(published numbers, prose) is left alone. The test suite runs `--check`, so a results
file that changes without the README failing to follow is caught.
"""

from __future__ import annotations

import json
import pathlib
import re
import sys

from absl import app, flags
from reproduce import COLUMNS, METRICS, run_cells  # scripts/ is on sys.path

REPO = pathlib.Path(__file__).resolve().parents[1]
BLOCK = re.compile(r"(<!-- results: ([\w, -]+) -->\n)(.*?)(<!-- /results -->)", re.DOTALL)

FLAGS = flags.FLAGS


def _define_flags():
    flags.DEFINE_string("readme", str(REPO / "README.md"), "The markdown file to render into.")
    flags.DEFINE_string("results_dir", str(REPO / "results"), "Where <table>.json files are.")
    flags.DEFINE_bool("check", False, "Change nothing; exit 1 if a table is out of date.")


def _short(summary: dict | None) -> str:
    """'.046 ± .017': the published tables' style (no leading zero)."""
    if summary is None:
        return ""

    def number(x: float) -> str:
        text = f"{x:.3f}"
        return text[1:] if text.startswith("0.") else text

    std = summary["std"]
    return number(summary["mean"]) + ("" if std is None else f" ± {number(std)}")


def render_block(names: list[str], results_dir: str) -> str:
    """The markdown table of the results files `names` (without their .json)."""
    rows = []
    for name in names:
        path = pathlib.Path(results_dir) / f"{name}.json"
        if not path.is_file():
            raise FileNotFoundError(f"{path} does not exist; run scripts/reproduce.py first.")
        results = json.loads(path.read_text())
        for family, entry in results["families"].items():
            if entry["seeds"]:
                rows.append((name, family, entry))
    metrics = [m for m in METRICS if any(m in e["summary"] for _, _, e in rows)]
    header = (["table"] if len(names) > 1 else []) + [
        "family (config)",
        "seeds",
        "iterations",
        "training per seed",
    ]
    header += [COLUMNS.get(m, m) for m in metrics]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for name, family, entry in rows:
        row = [name] if len(names) > 1 else []
        row += [f"{family} (`{entry['config']}`)", *run_cells(entry)]
        row += [_short(entry["summary"].get(m)) for m in metrics]
        lines.append("| " + " | ".join(row) + " |")
    return "\n".join(lines) + "\n"


def render(text: str, results_dir: str) -> str:
    """`text` with every marked block re-rendered."""

    def block(match: re.Match) -> str:
        names = [n.strip() for n in match.group(2).split(",") if n.strip()]
        return match.group(1) + render_block(names, results_dir) + match.group(4)

    return BLOCK.sub(block, text)


def main(argv):
    if len(argv) > 1:
        raise app.UsageError(f"Unexpected arguments: {argv[1:]}")
    readme = pathlib.Path(FLAGS.readme)
    text = readme.read_text()
    rendered = render(text, FLAGS.results_dir)
    if FLAGS.check:
        if rendered != text:
            sys.exit(
                f"{readme} is out of date with {FLAGS.results_dir}: "
                "run python scripts/readme_tables.py"
            )
        print(f"{readme}: {len(BLOCK.findall(text))} tables up to date")
        return
    if rendered != text:
        readme.write_text(rendered)
    print(f"Rendered {len(BLOCK.findall(text))} tables into {readme}")


if __name__ == "__main__":
    _define_flags()
    app.run(main)
