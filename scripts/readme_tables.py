"""The README's results tables, rendered from the committed files under results/.

    python scripts/readme_tables.py            # rewrite the tables in README.md and docs/
    python scripts/readme_tables.py --check    # exit 1 if one differs from results/

A table in the README (or a page under docs/) sits between two markers that name the
results files it shows:

    <!-- results: basicmotions, japanesevowels -->
    | ... rendered here ... |
    <!-- /results -->

One row per (results file, family): the config, seeds evaluated, iterations per phase,
training wall time per seed, and the mean ± standard deviation over seeds of every metric
that some row scored (scripts/reproduce.py writes these files).

    <!-- published: sines, stocks, energy -->

sets the same rows' discriminative and predictive scores beside the published ones and
says whether each meets its target (scripts/published.py), and

    <!-- include: speed -->

copies results/speed.md as a script wrote it (its tables and the command line under them,
without its title): the speed and FLOP tables, which their own scripts render. Text
outside the markers (prose) is left alone. The test suite runs `--check`, so a results
file that changes without the README failing to follow is caught.
"""

from __future__ import annotations

import json
import pathlib
import re
import sys

from absl import app, flags
from published import PUBLISHED, REFERENCE, TARGETS, target_met  # scripts/ is on sys.path
from reproduce import COLUMNS, METRICS, run_cells

REPO = pathlib.Path(__file__).resolve().parents[1]
BLOCK = re.compile(
    r"(<!-- (results|published|include): ([\w, -]+) -->\n)(.*?)(<!-- /\2 -->)", re.DOTALL
)
COMPARED = ("discriminative", "predictive")

FLAGS = flags.FLAGS


def _define_flags():
    flags.DEFINE_multi_string(
        "readme", None, "A markdown file to render into (repeatable); README.md and docs/*.md."
    )
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


def _rows(names: list[str], results_dir: str) -> list[tuple[str, str, dict]]:
    """(results file, family, its entry) for every family with evaluated seeds."""
    rows = []
    for name in names:
        path = pathlib.Path(results_dir) / f"{name}.json"
        if not path.is_file():
            raise FileNotFoundError(f"{path} does not exist; run scripts/reproduce.py first.")
        results = json.loads(path.read_text())
        for family, entry in results["families"].items():
            if entry["seeds"]:
                rows.append((name, family, entry))
    return rows


def render_block(names: list[str], results_dir: str) -> str:
    """The markdown table of the results files `names` (without their .json)."""
    rows = _rows(names, results_dir)
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


def _published_cell(table: str, family: str, metric: str) -> str:
    """'.011 ± .008 (TimeGAN)', or '' where the table has no such published score."""
    method = REFERENCE.get(family)
    score = PUBLISHED.get(method, {}).get(table, {}).get(metric)
    if score is None:
        return ""
    return f"{_short({'mean': score[0], 'std': score[1]})} ({method})"


def _target_cell(table: str, family: str) -> str:
    target = TARGETS.get(table, {}).get(family)
    if target is None:
        return "report"
    return " / ".join(f"≤ {_short({'mean': target[m], 'std': None})}" for m in COMPARED)


def render_published_block(names: list[str], results_dir: str) -> str:
    """rgan's rows of the results files `names` beside the published scores: per row the
    mean ± std over seeds and the published mean ± spread of each compared metric, the
    target and whether the row meets it ('report': no target, the scores stand beside
    the published ones)."""
    header = ["table", "family", "seeds"]
    for metric in COMPARED:
        header += [f"{COLUMNS.get(metric, metric)} rgan", "published"]
    header += ["target (disc. / pred.)", "met"]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for name, family, entry in _rows(names, results_dir):
        row = [name, family, str(len(entry["seeds"]))]
        for metric in COMPARED:
            row += [_short(entry["summary"].get(metric)), _published_cell(name, family, metric)]
        means = {m: s["mean"] for m, s in entry["summary"].items() if m in COMPARED}
        met = target_met(name, family, means)
        row += [_target_cell(name, family), {None: "–", True: "yes", False: "**no**"}[met]]
        lines.append("| " + " | ".join(row) + " |")
    return "\n".join(lines) + "\n"


def render_include(names: list[str], results_dir: str) -> str:
    """The markdown files `names` (without their .md) under `results_dir`, one after
    another: each without its "# title" line, with the blank lines around it trimmed."""
    parts = []
    for name in names:
        path = pathlib.Path(results_dir) / f"{name}.md"
        if not path.is_file():
            raise FileNotFoundError(f"{path} does not exist; run the script that writes it.")
        lines = path.read_text().splitlines()
        if lines and lines[0].startswith("# "):
            lines = lines[1:]
        parts.append("\n".join(lines).strip("\n"))
    return "\n\n".join(parts) + "\n"


def render(text: str, results_dir: str) -> str:
    """`text` with every marked block re-rendered."""
    renderers = {
        "results": render_block,
        "published": render_published_block,
        "include": render_include,
    }

    def block(match: re.Match) -> str:
        names = [n.strip() for n in match.group(3).split(",") if n.strip()]
        rendered = renderers[match.group(2)](names, results_dir)
        return match.group(1) + rendered + match.group(5)

    return BLOCK.sub(block, text)


def _documents() -> list[pathlib.Path]:
    """The files named by --readme, or the README and every page under docs/."""
    if FLAGS.readme:
        return [pathlib.Path(name) for name in FLAGS.readme]
    return [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]


def main(argv):
    if len(argv) > 1:
        raise app.UsageError(f"Unexpected arguments: {argv[1:]}")
    stale = []
    for document in _documents():
        text = document.read_text()
        rendered = render(text, FLAGS.results_dir)
        tables = len(BLOCK.findall(text))
        if FLAGS.check:
            if rendered != text:
                stale.append(str(document))
            else:
                print(f"{document}: {tables} tables up to date")
            continue
        if rendered != text:
            document.write_text(rendered)
        print(f"Rendered {tables} tables into {document}")
    if stale:
        sys.exit(
            f"{', '.join(stale)} out of date with {FLAGS.results_dir}: "
            "run python scripts/readme_tables.py"
        )


if __name__ == "__main__":
    _define_flags()
    app.run(main)
