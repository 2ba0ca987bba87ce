"""The benchmark's results as targets met or missed, in text and as README's Markdown table.

Pure: results in, text out. A target is judged on the median of the runs; the spread (lowest
and highest) and how many runs met it are shown beside it.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

START, END = "<!-- bench:start -->", "<!-- bench:end -->"
Run = dict[str, Any]


@dataclass(frozen=True)
class Line:
    """One measured quantity over the runs; limit None: shown, no target."""

    what: str
    values: list[float]
    unit: str  # "x" (a ratio), "s" or "MB"
    limit: float | None = None

    @property
    def median(self) -> float:
        return statistics.median(self.values)

    @property
    def met(self) -> bool:
        return self.limit is None or self.median <= self.limit

    def shown(self, value: float) -> str:
        return f"{value:.2f}{self.unit}" if self.unit == "x" else f"{value:.2f} {self.unit}"

    @property
    def spread(self) -> str:
        return f"{self.shown(min(self.values))}-{self.shown(max(self.values))}"

    @property
    def verdict(self) -> str:
        if self.limit is None:
            return ""
        runs = sum(v <= self.limit for v in self.values)
        return f"{'met' if self.met else 'MISSED'} ({runs}/{len(self.values)} runs)"

    @property
    def target(self) -> str:
        return "" if self.limit is None else f"<= {self.shown(self.limit)}"


def _plan(run: Run, api: str, cache: str, count: int = 1000) -> dict[str, Any]:
    return next(
        p
        for p in run["plan"]
        if p["api"] == api and p["cache"] == cache and p["templates"] == count
    )


def _apply(run: Run, api: str, parallelism: int) -> dict[str, Any]:
    return next(a for a in run["apply"] if a["api"] == api and a["parallelism"] == parallelism)


def _ratio(measured: dict[str, Any], to: str, key: str = "wall_s") -> float:
    return float(measured["wall_s"]) / float(measured[to][key])


def lines(results: dict[str, Any]) -> Iterator[Line]:
    runs: list[Run] = results["runs"]

    def each(value: Callable[[Run], float]) -> list[float]:
        return [value(r) for r in runs]

    def startup(key: str) -> list[float]:
        return each(lambda r: r["startup"][key] / r["startup"]["pass_s"])

    yield Line("start-up: `python -c pass` (s)", each(lambda r: r["startup"]["pass_s"]), "s")
    yield Line("start-up: `--version` / `python -c pass`", startup("version_s"), "x", 2.0)
    yield Line(
        "start-up: `validate`, 10 templates / `python -c pass`", startup("validate_s"), "x", 4.0
    )
    yield Line("start-up: `plan`, 10 templates / `python -c pass`", startup("plan_s"), "x", 6.0)
    for command in ("validate", "plan"):
        yield Line(
            f"start-up: `{command} --no-cache`, 10 templates / `python -c pass`",
            startup(f"{command}_cold_s"),
            "x",
        )
    for api in ("v1", "v2"):
        yield Line(
            f"plan 1,000: the listing alone, {api}",
            each(lambda r, a=api: _plan(r, a, "cold")["alone"]["wall_s"]),
            "s",
        )
    for api, cache, limit in (("v1", "cold", 1.3), ("v1", "warm", None), ("v2", "cold", None),
                              ("v2", "warm", 1.3)):  # fmt: skip
        yield Line(
            f"plan 1,000, {api}, cache {cache}: wall / the listing alone",
            each(lambda r, a=api, c=cache: _ratio(_plan(r, a, c), "alone")),
            "x",
            limit,
        )
    for api in ("v1", "v2"):
        for cache, limit in (("cold", 2.0), ("warm", 1.0)):
            yield Line(
                f"plan 1,000, {api}, cache {cache}: CPU",
                each(lambda r, a=api, c=cache: _plan(r, a, c)["cpu_s"]),
                "s",
                limit,
            )
    yield Line(
        "plan growth, v2 cold: CPU of 5,000 / CPU of 1,000",
        each(lambda r: _plan(r, "v2", "cold", 5000)["cpu_s"] / _plan(r, "v2", "cold")["cpu_s"]),
        "x",
        5.3,
    )
    yield Line(
        "plan memory per 1,000 templates (peak 5,000 - peak 1,000) / 4",
        each(
            lambda r: (
                (_plan(r, "v2", "cold", 5000)["peak_mb"] - _plan(r, "v2", "cold")["peak_mb"]) / 4
            )
        ),
        "MB",
        25.0,
    )
    yield Line(
        "plan 1,000, v2 cold: peak memory of the process",
        each(lambda r: _plan(r, "v2", "cold")["peak_mb"]),
        "MB",
    )
    yield Line(
        "plan 1,000, v1 cold: the emulator's CPU meanwhile",
        each(lambda r: _plan(r, "v1", "cold")["server_cpu_s"]),
        "s",
    )
    for api in ("v1", "v2"):
        for parallelism, limit in ((8, 1.3), (16, 1.6)):
            yield Line(
                f"apply 1,000 role changes, {api}, parallelism {parallelism}: wall / floor",
                each(
                    lambda r, a=api, p=parallelism: (
                        _apply(r, a, p)["wall_s"] / _apply(r, a, p)["floor_s"]
                    )
                ),
                "x",
                limit,
            )
    for api in ("v1", "v2"):
        for parallelism in (8, 16):
            yield Line(
                f"apply, {api}, parallelism {parallelism}: hmsync wall / the script's wall",
                each(lambda r, a=api, p=parallelism: _ratio(_apply(r, a, p), "script")),
                "x",
            )
    yield Line("diff CPU alone, 1,000 x 10 roles", each(lambda r: r["diff_cpu_s"]), "s", 1.0)


def details(results: dict[str, Any]) -> Iterator[str]:
    """The raw numbers of the last run: walls, CPU, calls, floors."""
    run = results["runs"][-1]
    for p in run["plan"]:
        yield (
            f"plan {p['templates']:>5} {p['api']} cache {p['cache']:<5}: wall {p['wall_s']:.2f} s, "
            f"CPU {p['cpu_s']:.2f} s, peak {p['peak_mb']:.0f} MB, {p['calls']} calls; listing "
            f"alone {p['alone']['wall_s']:.2f} s ({p['alone']['pages']} pages); emulator CPU "
            f"{p['server_cpu_s']:.2f} s"
        )
    for a in run["apply"]:
        s = a["script"]
        yield (
            f"apply {a['api']} parallelism {a['parallelism']:>2}: wall {a['wall_s']:.2f} s "
            f"(floor {a['floor_s']:.2f} s: {a['reads_per_template']:.0f} read of "
            f"{a['read_s'] * 1000:.1f} ms and {a['changes'] // a['templates']} writes of "
            f"{a['write_s'] * 1000:.1f} ms a template), CPU "
            f"{a['cpu_s']:.2f} s, {a['calls']} calls ({a['writes']} writes); the script "
            f"{s['wall_s']:.2f} s, {s['calls']} calls"
        )


def _made(results: dict[str, Any]) -> str:
    return (
        f"{len(results['runs'])} runs, {results['latency_ms']} ms of latency per request, "
        f"Python {results['python']}; a target is judged on the median of the runs"
    )


def text(results: dict[str, Any]) -> str:
    out = [
        f"hmsync benchmarks: {_made(results)}",
        "",
        f"{'':<72} {'median':>9} {'spread':>17} {'target':>9}  verdict",
    ]
    for line in lines(results):
        out.append(
            f"{line.what:<72} {line.shown(line.median):>9} {line.spread:>17} "
            f"{line.target:>9}  {line.verdict}"
        )
    out += ["", "the last run:", *(f"  {d}" for d in details(results))]
    out.append("results: benchmarks/results.json")
    return "\n".join(out)


def markdown(results: dict[str, Any]) -> str:
    out = [
        f"Made by `make bench` from `benchmarks/results.json`: {_made(results)}.",
        "",
        "| measured | median | spread | target | verdict |",
        "|---|---:|---:|---:|---|",
    ]
    for line in lines(results):
        out.append(
            f"| {line.what} | {line.shown(line.median)} | {line.spread} | {line.target} "
            f"| {line.verdict} |"
        )
    return "\n".join(out)


def update_docs(readme: Path, table: str) -> None:
    text = readme.read_text(encoding="utf-8")
    head, rest = text.split(START, 1)
    _, tail = rest.split(END, 1)
    readme.write_text(f"{head}{START}\n{table}\n{END}{tail}", encoding="utf-8")
