"""The command line as people type it."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import jwt
import pytest

from hmsync.emulator import Emulator

from .conftest import Run, Write
from .helpers import env

ROOM = "name: room\nroles:\n  host: {priority: 1}\n"


def test_a_mistyped_command_gets_a_suggestion(run: Run) -> None:
    result = run("paln")
    assert (result.code, result.err) == (
        1,
        "hmsync: unknown command 'paln'; did you mean 'plan'? (hmsync --help for usage)\n",
    )
    assert run("zzz").err == (
        "hmsync: unknown command 'zzz'; hmsync --help lists them (hmsync --help for usage)\n"
    )


def test_global_options_go_before_or_after_the_command(
    emu: Emulator, run: Run, write: Write
) -> None:
    write("templates/room.yaml", ROOM)
    assert run("--no-color", "-v", "validate").code == 0
    assert run("validate", "--no-color").code == 0
    before = run("--api-base", "http://127.0.0.1:9/policy/v1", "plan", env=env(emu))
    assert before.code == 1 and "127.0.0.1:9" in before.err  # the global option was used
    after = run(
        "--api-base", "http://127.0.0.1:9/policy/v1", "plan", "--api-base", emu.api_base,
        env=env(emu),
    )  # fmt: skip
    assert after.code == 0, after.err  # after the command, it overrides
    assert run("--timeout", "nan", "plan", env=env(emu)).err.endswith(
        "argument --timeout: expected 0.1 to 3600, got nan (hmsync --help for usage)\n"
    )


def test_only_on_apply_and_drift(emu: Emulator, run: Run, write: Write) -> None:
    write("templates/room.yaml", ROOM)
    write("templates/other.yaml", ROOM.replace("room", "other"))
    applied = run("apply", "--auto-approve", "--only", "room", env=env(emu))
    assert applied.code == 0
    assert [t["name"] for t in emu.store.dump()] == ["room"]
    drift = run("drift", "--only", "room", env=env(emu))
    assert (drift.code, drift.out) == (0, "In sync: live templates match the files.\n")
    assert run("drift", env=env(emu)).code == 2  # other is missing
    assert run("apply", "--only", "nope", "--auto-approve", env=env(emu)).err == (
        "hmsync: --only nope: no template file defines a template of that name\n"
    )
    run("plan", "-o", "plan.json", env=env(emu))
    assert run("apply", "plan.json", "--only", "room", env=env(emu)).err == (
        "hmsync: --only goes with PATHS; a saved plan is applied whole\n"
    )


def test_errors_are_json_with_format_json(emu: Emulator, run: Run, write: Write) -> None:
    write("templates/room.yaml", "name: room\nroles: {host: {priority: high}}\n")
    result = run("plan", "--format", "json", env=env(emu))
    assert result.code == 1
    assert json.loads(result.out) == {
        "format_version": 1,
        "error": {
            "message": "1 error in the template files; fix them first (hmsync validate lists "
            "the same)",
            "details": [
                "templates/room.yaml:2:26: roles.host.priority: 'high' is not of type 'integer'"
            ],
        },
        "exit_code": 1,
    }


def test_a_library_warning_is_one_hmsync_line(
    emu: Emulator, run: Run, write: Write, monkeypatch: pytest.MonkeyPatch
) -> None:
    # PyJWT >= 2.10 warns of an HMAC key shorter than 32 bytes, over several lines of its own;
    # older releases do not, so the warning is raised here as such a library would.
    import warnings as python_warnings

    encode = jwt.encode

    def warning_encode(*args: Any, **kwargs: Any) -> str:
        python_warnings.warn(
            "The HMAC key is 12 bytes long.\nSee RFC 7518.", UserWarning, stacklevel=2
        )
        return encode(*args, **kwargs)

    monkeypatch.setattr(jwt, "encode", warning_encode)
    write("templates/room.yaml", ROOM)
    with Emulator(secret="short-secret") as short:
        result = run("plan", env={**env(short), "HMS_SECRET": "short-secret"})
    assert result.code == 0
    warnings = [line for line in result.err.splitlines() if "warning" in line]
    assert len(warnings) >= 1
    assert all(line.startswith("hmsync: warning: ") for line in warnings)
    assert "short-secret" not in result.err


def test_backup_then_restore_undoes_an_apply_renames_included(
    emu: Emulator, run: Run, write: Write
) -> None:
    write(
        "templates/room.yaml", "name: room\nroles:\n  host: {priority: 1}\n  pupil: {priority: 3}\n"
    )
    assert run("apply", "--auto-approve", env=env(emu)).code == 0
    before = emu.store.dump()
    write(
        "templates/room.yaml",
        "name: room\nroles:\n  host: {priority: 2}\n  student: {renamedFrom: pupil, priority: 3}\n",
    )
    applied = run("apply", "--auto-approve", "--backup", "backup", env=env(emu))
    assert applied.code == 0
    assert applied.err.startswith(
        "Backed up 1 template(s) to backup/ before writing; restore with: "
        "hmsync apply backup --allow-delete\n"
    )
    assert "renamedFrom: student" in Path("backup/room.yaml").read_text()
    emu.reset_calls()
    restored = run("apply", "backup", "--auto-approve", "--allow-delete", env=env(emu))
    assert restored.code == 0, restored.out
    assert "rename role student -> pupil" in restored.out
    assert emu.calls()["routes"].get("delete_role", 0) == 0
    assert emu.store.dump() == before
    again = run("apply", "--auto-approve", "--backup", "backup", env=env(emu))
    assert (again.code, again.err) == (
        4,
        "hmsync: refusing to overwrite 1 existing file(s): backup/room.yaml; name a new folder "
        "for --backup; nothing was changed\n",
    )


def _complete(script: str, line: str) -> list[str]:
    """What bash offers for `line` (the cursor at its end), with hmsync's script loaded."""
    words = line.split(" ")
    program = (
        f"{script}\nCOMP_WORDS=({' '.join(repr(w) for w in words)}); COMP_CWORD={len(words) - 1}\n"
        '_hmsync; printf "%s\\n" "${COMPREPLY[@]}"\n'
    )
    done = subprocess.run(["bash", "-c", program], capture_output=True, text=True, check=True)
    return done.stdout.split()


def test_shell_completion(run: Run, write: Write) -> None:
    bash = run("completion", "bash")
    assert bash.code == 0
    assert _complete(bash.out, "hmsync pl") == ["plan"]
    assert _complete(bash.out, "hmsync plan --for") == ["--format", "--force"]
    assert _complete(bash.out, "hmsync plan --format ") == ["text", "json", "markdown"]
    assert _complete(bash.out, "hmsync --timeout 5 apply --allow-d") == ["--allow-delete"]
    assert _complete(bash.out, "hmsync emulator --writes a") == ["as-sent"]
    assert _complete(bash.out, "hmsync completion ") == [
        "bash", "zsh", "fish", "--verbose", "--no-color", "--help"
    ]  # fmt: skip
    top = _complete(bash.out, "hmsync --")
    assert top.count("--version") == 1 and top.count("--help") == 1
    # Environment names come from hmsync.yaml in the working directory, read at TAB time.
    assert _complete(bash.out, "hmsync plan --env ") == []
    write(
        "hmsync.yaml",
        "templates: t\nenvironments:\n  staging:\n    vars: {a: 1}\n"
        "  production: {api: v2}\n# a comment\nignore: []\n",
    )
    assert _complete(bash.out, "hmsync plan --env ") == ["staging", "production"]
    assert _complete(bash.out, "hmsync --env p") == ["production"]
    zsh = run("completion", "zsh").out
    assert zsh.startswith("autoload -U +X compinit && compinit\n") and bash.out in zsh
    fish = run("completion", "fish").out
    assert (
        "complete -c hmsync -n '__fish_seen_subcommand_from plan' -l format -xa "
        "'text json markdown' -d 'text (default), json, or markdown for pull-request comments'"
    ) in fish
    assert "complete -c hmsync -n '__fish_seen_subcommand_from apply' -F" in fish
    assert (
        "complete -c hmsync -n '__fish_seen_subcommand_from completion' -xa 'bash zsh fish'" in fish
    )
    assert "-l env -xa '(awk " in fish
    assert run("completion", "tcsh").code == 1
