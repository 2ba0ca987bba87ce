"""The benchmark's report marks every target met or missed on the median of the
runs, and README's speed table is exactly what benchmarks/results.json says."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))

from report import END, START, Line, lines, markdown, text  # noqa: E402


def test_a_target_is_judged_on_the_median_and_says_how_many_runs_met_it() -> None:
    line = Line("x", [1.0, 3.0, 1.2], "s", 1.25)
    assert (line.median, line.met, line.verdict) == (1.2, True, "met (2/3 runs)")
    assert line.spread == "1.00 s-3.00 s" and line.target == "<= 1.25 s"
    missed = Line("y", [2.0, 2.5, 1.0], "x", 1.3)
    assert (missed.met, missed.verdict) == (False, "MISSED (1/3 runs)")
    shown = Line("z", [0.5], "MB")
    assert (shown.met, shown.verdict, shown.target) == (True, "", "")


def _results() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((ROOT / "benchmarks" / "results.json").read_text())
    return loaded


def test_readme_s_table_is_made_from_the_committed_results() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    table = readme.split(START, 1)[1].split(END, 1)[0].strip()
    assert table == markdown(_results())


def test_every_target_of_the_issue_is_reported() -> None:
    results = _results()
    targets = {line.what: line.limit for line in lines(results) if line.limit is not None}
    assert len(results["runs"]) == 3
    assert list(targets.values()) == [
        2.0, 4.0, 6.0,  # start-up
        1.3, 1.3,  # plan wall against the listing: v1 cold, v2 warm
        2.0, 1.0, 2.0, 1.0,  # plan CPU: cold and warm, v1 and v2
        5.3, 25.0,  # growth, memory
        1.3, 1.6, 1.3, 1.6,  # apply against its floor
        1.0,  # the diff alone
    ]  # fmt: skip
    report = text(results)
    assert report.count(" met (") + report.count(" MISSED (") == len(targets)
