"""The everyday command line, as a Terraform or octoDNS user reaches for it: help that fits each
command, a did-you-mean for --only, hmsync's own advice where a library would warn."""

from __future__ import annotations

import subprocess
import sys

from hmsync.emulator import Emulator

from .conftest import Run, Write
from .helpers import env


def test_the_exit_code_table_is_said_once() -> None:
    top = subprocess.run([sys.executable, "-m", "hmsync", "--help"], capture_output=True,
                         text=True, check=True)  # fmt: skip
    assert "exit codes:\n" in top.stdout and "refused for safety" in top.stdout
    for command in ("emulator", "show", "init", "plan"):
        done = subprocess.run([sys.executable, "-m", "hmsync", command, "--help"],
                              capture_output=True, text=True, check=True)  # fmt: skip
        assert "refused for safety" not in done.stdout, command
        assert done.stdout.rstrip().endswith(
            "exit codes: the same for every command (hmsync --help lists them)"
        ), command


def test_only_with_a_typo_says_what_was_meant(emu: Emulator, run: Run, write: Write) -> None:
    write("templates/classroom.yaml", "name: classroom\nroles:\n  host: {}\n")
    result = run("plan", "--only", "clasroom", env=env(emu))
    assert (result.code, result.err) == (
        1,
        "hmsync: --only clasroom: no template file defines a template of that name; did you "
        "mean 'classroom'?\n",
    )


def test_a_short_app_secret_gets_hmsyncs_advice_once(run: Run, write: Write) -> None:
    """PyJWT warns of a secret under 32 bytes on every token; hmsync says it once, its way."""
    write("templates/t.yaml", "name: t\nroles:\n  host: {}\n")
    with Emulator(secret="short-secret-15") as emu:
        result = run("plan", env=emu.env())
    assert result.code == 0, result.err
    assert result.err == (
        "hmsync: warning: the app secret is 15 bytes, under the 32 that the token's HMAC-SHA256 "
        "wants; 100ms issues longer ones, so check that HMS_SECRET (or your environment's "
        "secret_env) holds the whole secret\n"
    )


def _complete(script: str, words: list[str], cwd: object) -> list[str]:
    line = " ".join(f"'{w}'" for w in words)
    code = f'{script}\nCOMP_WORDS=({line}); COMP_CWORD={len(words) - 1}; _hmsync; echo "${{COMPREPLY[@]}}"'
    done = subprocess.run(["bash", "-c", code], capture_output=True, text=True, check=True,
                          cwd=cwd)  # fmt: skip
    return done.stdout.split()


def test_completion_fits_each_command_and_offers_template_names(
    run: Run, write: Write, tmp_path: object
) -> None:
    script = run("completion", "bash").out
    arms = [line.strip().split(")")[0] for line in script.splitlines() if ":--" in line]
    assert len(arms) == len(set(arms))  # one arm each
    assert "init:--api" not in arms and "validate:--api" in arms
    write("templates/classroom.yaml", "name: classroom\nroles: {}\n")
    write("templates/webinar.yaml", "name: webinar\nroles: {}\n")
    assert _complete(script, ["hmsync", "plan", "--only", ""], tmp_path) == ["classroom", "webinar"]
    assert _complete(script, ["hmsync", "apply", "--only", "we"], tmp_path) == ["webinar"]
    assert "--api" not in _complete(script, ["hmsync", "init", ""], tmp_path)
