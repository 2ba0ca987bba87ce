"""`make mutate`: plant one small bug at a time in the pure core and the write path, run the
fast tests that cover that module, and count the bugs they catch.

mutmut and cosmic-ray were tried first: each copies or instruments the whole package and runs
the suite per mutant, hours on this project's 2 cores. This does less and says so: the
mutation operators below (the kinds of one-line bugs a review plants by hand), on the lines of
the modules listed, each against its own tests, two at a time, in copies of the tree.

Usage: python scripts/mutate.py [MODULE ...] [--jobs N]   (default: every module below)
Prints the score per module and every survivor as file:line: the line as mutated.
"""

from __future__ import annotations

import argparse
import io
import re
import shutil
import subprocess
import sys
import tempfile
import tokenize
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Each module with the fast tests that cover it (the slow end-to-end files are left out).
TARGETS = {
    "hmsync/redact.py": ["tests/test_core_gaps.py", "tests/test_security.py"],
    "hmsync/plan/concealment.py": [
        "tests/test_core_gaps.py",
        "tests/test_security.py",
        "tests/test_plan.py",
    ],
    "hmsync/plan/planfile.py": [
        "tests/test_core_gaps.py",
        "tests/test_plan.py",
        "tests/test_apply.py",
    ],
    "hmsync/write/meanwhile.py": [
        "tests/test_meanwhile.py",
        "tests/test_core_gaps.py",
        "tests/test_shared_account.py",
    ],
    "hmsync/plan/diff.py": [
        "tests/test_core_mutants.py",
        "tests/test_renames.py",
        "tests/test_diff.py",
        "tests/test_normalize.py",
        "tests/test_v2_normalize.py",
        "tests/test_core_gaps.py",
    ],
    "hmsync/plan/normalize.py": [
        "tests/test_definitions.py",
        "tests/test_core_mutants.py",
        "tests/test_normalize.py",
        "tests/test_v2_normalize.py",
        "tests/test_core_gaps.py",
        "tests/test_diff.py",
    ],
    "hmsync/plan/views.py": [
        "tests/test_core_mutants.py",
        "tests/test_normalize.py",
        "tests/test_v2_normalize.py",
        "tests/test_core_gaps.py",
        "tests/test_diff.py",
    ],
    "hmsync/files/semantic.py": [
        "tests/test_validate.py",
        "tests/test_v2_validate.py",
        "tests/test_renames.py",
        "tests/test_core_mutants.py",
    ],
    "hmsync/write/apply.py": [
        "tests/test_apply_mutants.py",
        "tests/test_apply.py",
        "tests/test_shared_account.py",
        "tests/test_core_gaps.py",
    ],
    "hmsync/write/template_run.py": [
        "tests/test_apply_mutants.py",
        "tests/test_apply.py",
        "tests/test_shared_account.py",
        "tests/test_core_gaps.py",
    ],
    "hmsync/plan/rules.py": ["tests/test_rules.py", "tests/test_core_mutants.py"],
    "hmsync/plan/rulecheck.py": ["tests/test_rules.py", "tests/test_core_mutants.py"],
    "hmsync/plan/origin.py": [
        "tests/test_base_ref.py",
        "tests/test_pictures.py",
        "tests/test_core_mutants.py",
    ],
    "hmsync/files/filecache.py": [
        "tests/test_filecache.py",
        "tests/test_forged_cache.py",
        "tests/test_situations.py",
    ],
    "hmsync/files/fastcheck.py": [
        "tests/test_fastcheck.py",
        "tests/test_validate.py",
        "tests/test_v2_validate.py",
    ],
    "hmsync/backends/transport.py": [
        "tests/test_transport_mutants.py",
        "tests/test_api.py",
        "tests/test_security.py",
    ],
    # Where the semantic bugs of the hand-made sample stood: each with the tests of its module
    # and the situations people create.
    "hmsync/plan/digests.py": ["tests/test_situations.py", "tests/test_plan.py"],
    "hmsync/backends/v2.py": ["tests/test_situations.py", "tests/test_v2.py"],
    "hmsync/backends/auth.py": ["tests/test_situations.py", "tests/test_api.py"],
    "hmsync/render/markdown.py": ["tests/test_situations.py", "tests/test_pictures.py"],
    "hmsync/render/export.py": ["tests/test_situations.py", "tests/test_drift_export.py"],
    "hmsync/files/loader.py": ["tests/test_situations.py", "tests/test_loader.py"],
    "hmsync/gitbase.py": ["tests/test_situations.py", "tests/test_base_ref.py"],
    "hmsync/plan/guardrails.py": ["tests/test_guardrails_from_base.py", "tests/test_rules.py"],
    # Rooms: their tests run against the emulator (a few seconds a mutant).
    "hmsync/kinds/rooms/diff.py": ["tests/test_rooms.py", "tests/test_rooms_second_writer.py"],
    "hmsync/kinds/rooms/run.py": ["tests/test_rooms.py", "tests/test_rooms_second_writer.py"],
    "hmsync/render/notify.py": ["tests/test_notify.py"],
}
EXTRA: list[str] = []  # more pytest arguments (--without-properties)
FSTRING_START = getattr(tokenize, "FSTRING_START", -1)  # Python 3.12+ splits f-strings
COPIED = ("hmsync", "tests", "examples", "schemas", "docs", "README.md", "pyproject.toml")
# (pattern, replacement): the one-line bugs: a flipped comparison, a dropped condition, an
# off-by-one, a boolean swapped, a sort reversed.
OPERATORS = [
    (r" == ", " != "),
    (r" != ", " == "),
    (r" < ", " <= "),
    (r" <= ", " < "),
    (r" > ", " >= "),
    (r" >= ", " > "),
    (r"\bnot ", ""),
    (r" and ", " or "),
    (r" or ", " and "),
    (r"\bTrue\b", "False"),
    (r"\bFalse\b", "True"),
    (r" \+ 1\b", " + 2"),
    (r" - 1\b", " - 2"),
    (r"reverse=True", "reverse=False"),
    (r"\breturn True\b", "return False"),
]
# The semantic set: the bugs a developer really makes, as a hand-made sample found them: a
# missing ingredient in a key or a digest, one name of a translation table dropped, a case fold
# dropped, a dedupe dropped, a path joined without its middle part. Reported apart.
KEYED = (
    r"(?:key|context_key|files_digest|fingerprint|live_fingerprint|plan_key|secret_hasher"
    r"|sha256|new)"
)
SEMANTIC: list[tuple[str, str]] = [
    (r"\.lower\(\)", ""),
    (r"\.casefold\(\)", ""),
    (r"\blist\(dict\.fromkeys\(([^()]*)\)\)", r"list(\1)"),
    (r"\bdict\.fromkeys\(([^()]*)\)", r"\1"),
    (r"(\S+) / ([\w.\"()\[\]]+) / (\S+)", r"\1 / \3"),  # a / b / c -> a / c
    (r'"[\w.]+": "[\w.]+", ', ""),  # one entry of a name -> name table
    (r', "[\w.]+": "[\w.]+"', ""),
    (r"\b(settings_out|settings_in|_secret_named)\((\w+)[^()]*\)", r"\2"),  # untranslated
]
SETS = {"operators": OPERATORS, "semantic": SEMANTIC}


@dataclass(frozen=True)
class Mutant:
    file: str
    line: int  # 1-based
    text: str  # the line as mutated
    kind: str = "operators"  # the set it comes from


def _dropped_arguments(line: str) -> list[str]:
    """The semantic set's other bug: a key or digest call with one of its arguments dropped
    (`cache.key("load", name, digest)` -> `cache.key("load", digest)`), one line, no nesting."""
    out = []
    for match in re.finditer(rf"\b{KEYED}\(([^()]*)\)", line):
        args = [a.strip() for a in match.group(1).split(",") if a.strip()]
        if len(args) < 2 or any(a.startswith("*") or "[" in a or "=" in a for a in args):
            continue
        for i in range(len(args)):
            kept = ", ".join(args[:i] + args[i + 1 :])
            start, end = match.span(1)
            out.append(line[:start] + kept + line[end:])
    return out


def mutants(file: str, kinds: tuple[str, ...] = tuple(SETS)) -> list[Mutant]:
    """Every operator of the sets asked for, at every place it applies in code: never inside a
    string or comment (a translation table's strings are the semantic set's to drop)."""
    source = (ROOT / file).read_text()
    lines = source.splitlines()
    quiet: dict[int, list[tuple[int, int]]] = {}  # line -> column spans of strings, comments
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type in (tokenize.STRING, tokenize.COMMENT) or token.type == FSTRING_START:
            (row, col), (end_row, end_col) = token.start, token.end
            for r in range(row, end_row + 1):
                start = col if r == row else 0
                quiet.setdefault(r, []).append((start, end_col if r == end_row else 10**6))
    out = []
    for number, line in enumerate(lines, 1):
        if line.strip().startswith(("import ", "from ")):
            continue
        spans = quiet.get(number, [])
        if line.strip().startswith(("def ", "class ", "async def ")):
            kinds_here = tuple(k for k in kinds if k != "semantic")  # a signature is no call
        else:
            kinds_here = kinds
        for kind in kinds_here:
            for pattern, replacement in SETS[kind]:
                for match in re.finditer(pattern, line):
                    strings_too = kind == "semantic" and '"' in pattern
                    if not strings_too and any(a <= match.start() < b for a, b in spans):
                        continue
                    mutated = (
                        line[: match.start()] + match.expand(replacement) + line[match.end() :]
                    )
                    out.append(Mutant(file, number, mutated, kind))
        if "semantic" in kinds_here:
            out += [Mutant(file, number, m, "semantic") for m in _dropped_arguments(line)]
    return list(dict.fromkeys(m for m in out if m.text != line))  # two may plant the same bug


def killed(mutant: Mutant, tests: list[str], work: Path) -> bool:
    """Whether the tests fail with the mutant in place (in a copy of the tree of its own)."""
    path = work / mutant.file
    original = (ROOT / mutant.file).read_text().splitlines(keepends=True)
    mutated = list(original)
    mutated[mutant.line - 1] = mutant.text + "\n"
    path.write_text("".join(mutated))
    try:
        done = subprocess.run(
            [sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider",
             "-o", "addopts=", *EXTRA, *tests],
            cwd=work, capture_output=True, timeout=600, check=False,
            env={"PYTHONPATH": str(work), "PATH": "/usr/bin:/bin", "HYPOTHESIS_PROFILE": "mutate"},
        )  # fmt: skip
        return done.returncode != 0
    except subprocess.TimeoutExpired:
        return True
    finally:
        path.write_text("".join(original))


def _in_free_tree(mutant: Mutant, tests: list[str], free: list[Path]) -> bool:
    tree = free.pop()  # one tree per worker: list.pop and append are atomic
    try:
        return killed(mutant, tests, tree)
    finally:
        free.append(tree)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("modules", nargs="*", default=list(TARGETS))
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument(
        "--set",
        choices=(*SETS, "all"),
        default="all",
        help="the operators (flipped comparisons and the like), the semantic set, or both",
    )
    parser.add_argument(
        "--without-properties",
        action="store_true",
        help="deselect the hypothesis properties: what survives then is caught by them alone",
    )
    args = parser.parse_args()
    if args.without_properties:
        EXTRA.extend(["-m", "not hypothesis"])
    trees = []
    for _ in range(args.jobs):
        tree = Path(tempfile.mkdtemp(prefix="hmsync-mutate-"))
        for part in (
            "hmsync",
            "tests",
            "examples",
            "schemas",
            "docs",
            "README.md",
            "pyproject.toml",
        ):
            source = ROOT / part
            if source.is_dir():
                shutil.copytree(source, tree / part, symlinks=True)
            else:
                shutil.copy2(source, tree / part)
        trees.append(tree)
    kinds = tuple(SETS) if args.set == "all" else (args.set,)
    scores = {kind: [0, 0] for kind in kinds}  # caught, planted
    survivors: list[Mutant] = []
    try:
        for module in args.modules:
            found = mutants(module, kinds)
            run = partial(_in_free_tree, tests=TARGETS[module], free=list(trees))
            with ThreadPoolExecutor(max_workers=args.jobs) as pool:
                results = list(pool.map(run, found))
            survivors += [m for m, ok in zip(found, results, strict=True) if not ok]
            for kind in kinds:
                mine = [ok for m, ok in zip(found, results, strict=True) if m.kind == kind]
                scores[kind][0] += sum(mine)
                scores[kind][1] += len(mine)
                if mine:
                    print(f"{module} ({kind}): {sum(mine)}/{len(mine)} caught "
                          f"({100 * sum(mine) // len(mine)}%)", flush=True)  # fmt: skip
    finally:
        for tree in trees:
            shutil.rmtree(tree, ignore_errors=True)
    for kind, (caught, planted) in scores.items():
        print(f"Score ({kind}): {caught}/{planted} mutants caught "
              f"({100 * caught // max(1, planted)}%).")  # fmt: skip
    for mutant in survivors:
        print(f"  survived ({mutant.kind}): {mutant.file}:{mutant.line}: {mutant.text.strip()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
