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
