"""Argument parsing and dispatch only; every command returns an exit code."""

from __future__ import annotations

import argparse
import gc
import os
import re
import sys
import warnings
from collections.abc import Callable, Iterable, Mapping, Sequence
from importlib import import_module
from typing import TYPE_CHECKING, Any, NoReturn

from . import redact
from .backends import APIS
from .commands.options import add_api_arguments, global_default
from .errors import Exit, HmsyncError
from .redact import RedactingStream, secret_values

if TYPE_CHECKING:
    import logging

SEE_EXIT_CODES = "exit codes: the same for every command (hmsync --help lists them)"
EXIT_CODES = """\
exit codes:
  0  success: no problems, no changes, or everything applied
  1  error: bad input, bad credentials, API error
  2  changes present (drift; plan with --detailed-exitcode)
  3  apply finished some actions but not all, or did not converge
  4  refused for safety: deletes not allowed, a limit exceeded, a stale plan"""

FILE_FORMAT = """\
files:
  One YAML file per template (*.yaml or *.yml); PATHS are files or folders.
  The file is checked against hmsync's JSON Schema (`hmsync schema` prints it):
  the API's field names, types, ranges and enums; unknown keys are errors.
  ${HMSYNC_NAME} is replaced from the environment; only variables whose names
  start with HMSYNC_ are read. validate checks a missing one as a placeholder
  (a note; --require-env: an error); plan and apply need it. ${vars.NAME} takes
  the chosen environment's variable (hmsync.yaml). Write $$ for a literal $.
  Recording credentials belong in such variables, never in the file."""

Handler = Callable[[argparse.Namespace, Mapping[str, str]], int]
# name (also its module in hmsync.commands, with add_arguments(parser) and run(args,
# environ)), help, description. A module is imported only to parse its own command: start-up
# stays light.
COMMANDS: list[tuple[str, str, str]] = [
    (
        "validate",
        "check template files offline (schema and semantic checks)",
        "Check template files against the schema and hmsync's own rules, offline. "
        "Every problem is reported at once, one line each, as file:line:col: path: message.",
    ),
    (
        "plan",
        "show what apply would change (read-only)",
        "Read the live templates and show how they differ from the files: the actions apply "
        "would take. Changes nothing.",
    ),
    (
        "apply",
        "carry out a saved plan, or plan and confirm",
        "Make the live templates match the files. With PLAN.json (from `hmsync plan -o`), "
        "carry out exactly that plan, refusing if the files or the live templates changed "
        "since. With PATHS, plan, show it and ask for confirmation.",
    ),
    (
        "drift",
        "report how live templates differ from the files (for schedules)",
        "Plan for schedules: exit 0 in sync, 2 drifted, 1 on error, with a report naming "
        "template, role, field, the live value and the file's value.",
    ),
    (
        "rules",
        "list the team's rules of hmsync.yaml and what each matched (offline)",
        "List the rules and protect of hmsync.yaml: where each applies, what it requires, what "
        "it matched in the files, and what breaks it. Exit 1 if an error-severity rule breaks.",
    ),
    (
        "show",
        "draw the files' roles: who may do what, who sees and hears whom (offline)",
        "The roles of the template files as they are, as a permissions matrix and a "
        "subscription graph: text, Markdown (for a README or a wiki), Mermaid, or JSON (for "
        "policy tools such as conftest). No API call.",
    ),
    (
        "export",
        "write the live templates as template files",
        "Write one YAML file per live template, documented defaults left out and recording "
        "credentials as ${HMSYNC_...} placeholders. Then validate and plan: no changes.",
    ),
    (
        "init",
        "write a starting hmsync.yaml, the schemas and the workflows",
        "Write a starting hmsync.yaml (if there is none), the JSON schemas, and the three "
        "GitHub workflows, made for the environments hmsync.yaml defines.",
    ),
    (
        "emulator",
        "serve a local, faithful 100ms policy API (tests, demos, CI)",
        "Serve the 100ms policy v1 API on a local port, with state in memory or in a file, "
        "injectable faults, and a control endpoint under /_emulator/.",
    ),
]


class _Parser(argparse.ArgumentParser):
    """argparse, with one-line errors and a did-you-mean for commands."""

    def error(self, message: str) -> NoReturn:
        match = re.search(r"invalid choice: '([^']*)'", message)
        if match and "COMMAND" in message:
            import difflib  # only for a mistyped command

            close = difflib.get_close_matches(match.group(1), COMMAND_NAMES, n=1, cutoff=0.5)
            hint = f"did you mean {close[0]!r}?" if close else "hmsync --help lists them"
            message = f"unknown command {match.group(1)!r}; {hint}"
        sys.stderr.write(safe(f"hmsync: {message} (hmsync --help for usage)") + "\n")
        raise SystemExit(2)


def _global_options(p: argparse.ArgumentParser, top: bool) -> None:
    """-v and --no-color, before the command (top) or after it."""
    flag = {"action": "store_true", "default": global_default(False, top)}
    p.add_argument("-v", "--verbose", help="print more detail", **flag)
    p.add_argument("--no-color", help="no colors (or set NO_COLOR)", **flag)


COMMAND_NAMES = [name for name, *_ in COMMANDS] + ["schema", "completion"]


def _parser(wanted: Iterable[str] | None = None) -> argparse.ArgumentParser:
    """The whole parser; with wanted, only those commands' own options are read (each
    module imported then), the others listed for help and suggestions."""
    common = _Parser(add_help=False)
    _global_options(common, top=False)

    parser = _Parser(
        prog="hmsync",
        description="100ms templates and roles as code: validate, plan, apply, drift.",
        epilog=EXIT_CODES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    from .release import version_line

    parser.add_argument("--version", action="version", version=version_line())
    _global_options(parser, top=True)
    add_api_arguments(parser, top=True)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True

    for name, summary, description in COMMANDS:
        # The exit codes are the same for every command: said once, in `hmsync --help`.
        epilog = f"{FILE_FORMAT}\n\n{SEE_EXIT_CODES}" if name == "validate" else SEE_EXIT_CODES
        p = sub.add_parser(
            name,
            parents=[common],
            help=summary,
            description=description,
            epilog=epilog,
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        if wanted is None or name in wanted:
            command = import_module(f".commands.{name}", __package__)
            command.add_arguments(p)
            p.set_defaults(handler=command.run)

    p = sub.add_parser(
        "schema", parents=[common], help="print the template JSON Schema (for editors)"
    )
    p.add_argument(
        "--config",
        dest="project",
        action="store_true",
        help="print the schema of hmsync.yaml instead of a template's",
    )
    p.add_argument(
        "--api",
        choices=APIS,
        default=argparse.SUPPRESS,
        help="the template schema of this API version (default: hmsync.yaml's, else v1)",
    )
    p.set_defaults(handler=_print_schema)
    p = sub.add_parser(
        "completion",
        parents=[common],
        help="print shell completion (bash, zsh or fish)",
        description='bash: eval "$(hmsync completion bash)"; zsh: the same with zsh; '
        "fish: hmsync completion fish | source",
    )
    p.add_argument("shell", choices=("bash", "zsh", "fish"), help="the shell")
    p.set_defaults(handler=_print_completion)
    return parser


def _print_completion(args: argparse.Namespace, environ: Mapping[str, str]) -> int:
    from .completion import script

    sys.stdout.write(script(args.shell, _parser()))
    return Exit.OK


def _print_schema(args: argparse.Namespace, environ: Mapping[str, str]) -> int:
    from . import config
    from .commands.context import context
    from .files import schema

    text = config.schema_text() if args.project else schema.schema_text(context(args).api)
    sys.stdout.write(text)
    return Exit.OK


SHORT_SECRET = (
    "hmsync: warning: the app secret is {n} bytes, under the 32 that the token's HMAC-SHA256 "
    "wants; 100ms issues longer ones, so check that HMS_SECRET (or your environment's "
    "secret_env) holds the whole secret"
)


def _warner() -> Callable[..., None]:
    """A library's warning as hmsync's own: one line, each said once a run; PyJWT's on a short
    secret as hmsync's advice, never the library's words."""
    said: set[str] = set()

    def show(message: Any, category: Any, *args: Any, **kwargs: Any) -> None:
        text = str(message).strip()
        if category.__name__ == "InsecureKeyLengthWarning":
            found = re.search(r"(\d+) bytes", text)
            line = SHORT_SECRET.format(n=found.group(1) if found else "fewer than 32")
        else:
            line = f"hmsync: warning: {text.splitlines()[0] if text else category.__name__}"
        if line not in said:
            said.add(line)
            print(safe(line), file=sys.stderr)

    return show


def _log_to_stderr() -> logging.Handler:
    """-v: every request (method, URL, status, attempt; never a header or body) on stderr,
    for this run only (main may run many times in one process, as in the tests)."""
    import logging  # here: ~6 ms of start-up that only -v needs

    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("hmsync: %(message)s"))
    logger = logging.getLogger("hmsync")
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    return handler


def safe(text: str) -> str:
    """render.safe, imported when there is something to print (not for --version)."""
    from .render import safe as escaped

    return escaped(text)


_OWN_PROCESS = False  # True when hmsync is the process (entry), not a library call (tests)


def entry() -> int:
    """The `hmsync` program: main() in a process of its own."""
    global _OWN_PROCESS
    _OWN_PROCESS = True
    # httpx imports its own command line (rich, click, pygments: ~50-80 ms when installed)
    # on `import httpx`; hmsync never runs it. Marked absent, httpx falls back to a stub.
    sys.modules.setdefault("httpx._main", None)  # type: ignore[arg-type]
    return main()


def main(argv: Sequence[str] | None = None, environ: Mapping[str, str] | None = None) -> int:
    env = os.environ if environ is None else environ
    stdout, stderr = sys.stdout, sys.stderr
    known, redact.KNOWN = redact.KNOWN, redact.Secrets(secret_values(env))
    sys.stdout = RedactingStream(stdout)
    sys.stderr = RedactingStream(stderr)
    try:
        return _main(argv, env)
    finally:
        sys.stdout, sys.stderr = stdout, stderr
        redact.KNOWN = known


def _main(argv: Sequence[str] | None, env: Mapping[str, str]) -> int:
    words = sys.argv[1:] if argv is None else list(argv)
    if words == ["--version"]:  # asked on every CI run and by the hook: no parser to build
        from .release import version_line

        print(version_line())
        return int(Exit.OK)
    try:
        args = _parser(set(words) & set(COMMAND_NAMES)).parse_args(words)
    except SystemExit as exc:  # argparse says 2 for a usage error; 2 means "changes" here
        return int(Exit.OK) if exc.code in (0, None) else int(Exit.ERROR)
    handler: Handler = args.handler
    logged = _log_to_stderr() if getattr(args, "verbose", False) else None
    if _OWN_PROCESS and args.command != "emulator":
        # A command runs for seconds and makes almost no reference cycles, yet the cyclic
        # collector walks every object again and again as a thousand templates are read:
        # about a quarter of plan's CPU. Off for the run; the emulator is long-lived.
        gc.disable()
    try:
        return _run(args, handler, env)
    finally:
        if logged is not None:
            import logging

            logging.getLogger("hmsync").removeHandler(logged)
            logging.getLogger("hmsync").setLevel(logging.NOTSET)


def _run(args: argparse.Namespace, handler: Handler, env: Mapping[str, str]) -> int:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("always")
            warnings.showwarning = _warner()
            return int(handler(args, env))
    except HmsyncError as exc:
        if getattr(args, "format", None) == "json":  # a program reads stdout: JSON there too
            error = {"message": exc.message, "details": list(exc.details)}
            body = {"format_version": 1, "error": error, "exit_code": int(exc.exit_code)}
            import json

            sys.stdout.write(json.dumps(body, indent=2) + "\n")
        for line in exc.lines():  # a server's message may hold anything: escaped
            print(safe(f"hmsync: {line}" if line is exc.message else line), file=sys.stderr)
        return int(exc.exit_code)
    except KeyboardInterrupt:
        print("hmsync: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:
        if getattr(args, "verbose", False):
            import traceback

            traceback.print_exc()
        print(
            f"hmsync: internal error: {type(exc).__name__}: {exc}. This is a bug in hmsync; "
            "run again with -v for the traceback and report it.",
            file=sys.stderr,
        )
        return int(Exit.ERROR)
