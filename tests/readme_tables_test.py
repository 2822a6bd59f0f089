"""scripts/readme_tables.py: the README's results tables are the committed results files."""

import json

from testing import run_script


def _tables(*args):
    return run_script("readme_tables.py", *args)


def test_the_readme_shows_the_committed_results():
    checked = _tables("--check")
    assert checked.returncode == 0, checked.stderr + checked.stdout


def _seed(discriminative, wall):
    return {
        "phases": {"adversarial": 20000},
        "wall_seconds": wall,
        "metrics": {"discriminative": {"mean": discriminative, "std": 0.01}},
    }


def test_rows_follow_the_results_and_check_catches_a_stale_number(tmp_path):
    results = {
        "families": {
            "rgan": {
                "config": "configs/sines_rgan.py",
                "seeds_requested": 3,
                "seeds": {"0": _seed(0.03, 1400), "1": _seed(0.05, 1600)},
                "summary": {"discriminative": {"mean": 0.04, "std": 0.0141}},
            },
            "rcgan": {"config": "configs/sines_rcgan.py", "seeds_requested": 3, "seeds": {}},
        }
    }
    (tmp_path / "sines.json").write_text(json.dumps(results))
    readme = tmp_path / "README.md"
    readme.write_text("intro\n<!-- results: sines -->\nold\n<!-- /results -->\npublished\n")
    flags = [f"--readme={readme}", f"--results_dir={tmp_path}"]

    assert _tables(*flags, "--check").returncode == 1  # "old" is not the table
    assert _tables(*flags).returncode == 0
    assert readme.read_text() == (
        "intro\n<!-- results: sines -->\n"
        "| family (config) | seeds | iterations | training per seed | disc. ↓ |\n"
        "|---|---|---|---|---|\n"
        "| rgan (`configs/sines_rgan.py`) | 2 of 3 | 20k | 25 min | .040 ± .014 |\n"
        "<!-- /results -->\npublished\n"
    )  # the family without evaluated seeds has no row; text outside the markers stays
    assert _tables(*flags, "--check").returncode == 0

    results["families"]["rgan"]["summary"]["discriminative"]["mean"] = 0.05
    (tmp_path / "sines.json").write_text(json.dumps(results))
    stale = _tables(*flags, "--check")
    assert stale.returncode == 1 and "out of date" in stale.stderr


def _family(discriminative, predictive, seeds=3):
    summary = {"discriminative": {"mean": discriminative, "std": 0.01 if seeds > 1 else None}}
    summary["predictive"] = {"mean": predictive, "std": 0.001 if seeds > 1 else None}
    return {
        "config": "configs/x.py",
        "seeds_requested": seeds,
        "seeds": {str(s): _seed(discriminative, 100) for s in range(seeds)},
        "summary": summary,
    }


def test_published_rows_say_whether_each_target_is_met(tmp_path):
    sines = {"timegan": _family(0.0114, 0.090, seeds=1), "rgan": _family(0.0496, 0.096)}
    (tmp_path / "sines.json").write_text(json.dumps({"families": sines}))
    (tmp_path / "energy.json").write_text(
        json.dumps({"families": {"rgan": _family(0.2, 0.26), "timegan": _family(0.2, 0.274)}})
    )
    readme = tmp_path / "README.md"
    readme.write_text("<!-- published: sines, energy -->\n<!-- /published -->\n")
    assert _tables(f"--readme={readme}", f"--results_dir={tmp_path}").returncode == 0
    rows = [line.split(" | ") for line in readme.read_text().splitlines()[3:-1]]
    assert [(r[0], r[1], r[-2], r[-1]) for r in rows] == [
        ("| sines", "timegan", "≤ .011 / ≤ .094", "yes |"),  # .0114 shows as .011
        ("| sines", "rgan", "≤ .050 / ≤ .097", "yes |"),
        ("| energy", "rgan", "report", "– |"),  # no target: beside RCGAN's row
        ("| energy", "timegan", "≤ .236 / ≤ .273", "**no** |"),  # predictive .274 > .273
    ]
    assert rows[0][3:7] == [".011", ".011 ± .008 (TimeGAN)", ".090", ".093 ± .019 (TimeGAN)"]
    assert rows[2][4] == ".336 ± .017 (RCGAN)"


def test_every_page_is_rendered_and_check_names_the_stale_one(tmp_path):
    """The README and the pages under docs/ hold tables of the same results files: one
    command renders them all, and --check names the page that fell behind."""
    results = {"families": {"rgan": _family(0.04, 0.095)}}
    (tmp_path / "sines.json").write_text(json.dumps(results))
    readme, page = tmp_path / "README.md", tmp_path / "results_sines.md"
    for document in (readme, page):
        document.write_text("<!-- results: sines -->\nold\n<!-- /results -->\n")
    flags = [f"--readme={readme}", f"--readme={page}", f"--results_dir={tmp_path}"]
    assert _tables(*flags).returncode == 0
    assert readme.read_text() == page.read_text() and "| .040 ± .010 |" in page.read_text()

    page.write_text(page.read_text().replace(".040 ± .010", ".050 ± .010"))
    stale = _tables(*flags, "--check")
    assert stale.returncode == 1
    assert str(page) in stale.stderr and str(readme) not in stale.stderr


def test_an_included_results_page_is_copied_without_its_title(tmp_path):
    """The speed and FLOP tables are the pages their scripts wrote: the README holds a
    copy (title dropped), and --check catches a page rewritten since."""
    page = tmp_path / "speed.md"
    page.write_text("# speed\n\n| config | ratio |\n|---|---|\n| a | **1.5x** |\n\n`cmd` at `c`\n")
    readme = tmp_path / "README.md"
    readme.write_text("before\n\n<!-- include: speed -->\nold\n<!-- /include -->\n\nafter\n")
    flags = [f"--readme={readme}", f"--results_dir={tmp_path}"]
    assert _tables(*flags).returncode == 0
    assert readme.read_text() == (
        "before\n\n<!-- include: speed -->\n| config | ratio |\n|---|---|\n| a | **1.5x** |\n"
        "\n`cmd` at `c`\n<!-- /include -->\n\nafter\n"
    )
    page.write_text(page.read_text().replace("1.5x", "1.6x"))
    stale = _tables(*flags, "--check")
    assert stale.returncode == 1 and str(readme) in stale.stderr

    readme.write_text("<!-- include: missing -->\n<!-- /include -->\n")
    missing = _tables(*flags)
    assert missing.returncode != 0 and "missing.md does not exist" in missing.stderr
