"""Shell completion scripts for bash, zsh and fish, written from hmsync's own parser. Pure.

No library: shtab writes no fish, and argcomplete would run hmsync on every TAB and be a
runtime dependency; hmsync's command line is small and fixed, so a static script serves.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass

SHELLS = ("bash", "zsh", "fish")


@dataclass(frozen=True)
class Option:
    flag: str  # the long form, or the only one
    takes_value: bool
    choices: tuple[str, ...]
    help: str


@dataclass(frozen=True)
class Command:
    name: str
    help: str
    options: tuple[Option, ...]
    takes_paths: bool
    words: tuple[str, ...] = ()  # a positional's choices (completion's shells)


def _options(parser: argparse.ArgumentParser) -> tuple[Option, ...]:
    out = []
    for action in parser._actions:
        if not action.option_strings or isinstance(action, argparse._HelpAction):
            continue
        flag = max(action.option_strings, key=len)
        choices = tuple(str(c) for c in action.choices) if action.choices else ()
        out.append(Option(flag, action.nargs != 0, choices, action.help or ""))
    return tuple(out)


def commands(parser: argparse.ArgumentParser) -> tuple[tuple[Option, ...], tuple[Command, ...]]:
    """The global options and every command, read from the parser."""
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    helps = {c.dest: c.help or "" for c in sub._choices_actions}
    found = []
    for name, command in sub.choices.items():
        positionals = [a for a in command._actions if not a.option_strings]
        words = tuple(str(c) for a in positionals if a.choices for c in a.choices)
        takes_paths = bool(positionals) and not words
        found.append(Command(name, helps.get(name, ""), _options(command), takes_paths, words))
    return _options(parser), tuple(found)


def script(shell: str, parser: argparse.ArgumentParser) -> str:
    top, cmds = commands(parser)
    if shell == "fish":
        return _fish(top, cmds)
    bash = _bash(top, cmds)
    if shell == "zsh":  # zsh runs bash completions through its own bashcompinit
        return (
            "autoload -U +X compinit && compinit\nautoload -U +X bashcompinit && bashcompinit\n"
            + bash
        )
    return bash


def _words(options: tuple[Option, ...]) -> str:
    return " ".join(o.flag for o in options)


# The environment names of hmsync.yaml in the working directory, read at TAB time without
# running hmsync: the keys one level under `environments:` (block style, as init writes it).
ENV_NAMES = (
    "awk 'on && /^[^[:space:]#]/ {exit} /^environments:/ {on=1; next} "
    "on && /^[[:space:]]+[^[:space:]#]/ {match($0, /^[[:space:]]+/); if (!lvl) lvl = RLENGTH; "
    'if (RLENGTH == lvl) {s = $0; sub(/^[[:space:]]+/, "", s); sub(/:.*/, "", s); print s}}\' '
    "hmsync.yaml 2>/dev/null"
)


# The template names of the files in templates/ (where init and export put them), read at TAB
# time without running hmsync: each file's top-level `name:`.
TEMPLATE_NAMES = "sed -n 's/^name:[[:space:]]*//p' templates/*.yaml templates/*.yml 2>/dev/null"


def _bash(top: tuple[Option, ...], cmds: tuple[Command, ...]) -> str:
    valued = " ".join(o.flag for o in top if o.takes_value)
    lines = [
        '# hmsync completion for bash: eval "$(hmsync completion bash)"',
        "_hmsync() {",
        '  local cur="${COMP_WORDS[COMP_CWORD]}" prev="${COMP_WORDS[COMP_CWORD-1]}" cmd="" i',
        "  for ((i = 1; i < COMP_CWORD; i++)); do",
        '    case "${COMP_WORDS[i]}" in',
        f"      {'|'.join(valued.split()) or '--none'}) ((i++)) ;;",
        "      -*) ;;",
        '      *) cmd="${COMP_WORDS[i]}"; break ;;',
        "    esac",
        "  done",
        '  if [[ "$prev" == --env ]]; then',
        f'    COMPREPLY=($(compgen -W "$({ENV_NAMES})" -- "$cur")); return',
        "  fi",
        '  if [[ "$prev" == --only ]]; then',
        f'    COMPREPLY=($(compgen -W "$({TEMPLATE_NAMES})" -- "$cur")); return',
        "  fi",
        '  case "$cmd:$prev" in',
    ]
    # One arm per command and option the command really takes (before it: the top's).
    arms: dict[str, str] = {}
    for name, options in (("", top), *((c.name, c.options) for c in cmds)):
        for option in options:
            if option.choices:
                words = " ".join(option.choices)
                arms.setdefault(f"{name}:{option.flag}", words)
    for arm, words in arms.items():
        lines.append(f'    {arm}) COMPREPLY=($(compgen -W "{words}" -- "$cur")); return ;;')
    lines += ["  esac", '  case "$cmd" in']
    names = " ".join(c.name for c in cmds)
    lines.append(f'    "") COMPREPLY=($(compgen -W "{names} {_words(top)} --help" -- "$cur")) ;;')
    for cmd in cmds:
        files = (
            ' [[ "$cur" != -* ]] && COMPREPLY+=($(compgen -f -- "$cur"));'
            if cmd.takes_paths
            else ""
        )
        words = " ".join((*cmd.words, _words(cmd.options), "--help")).strip()
        lines.append(f'    {cmd.name}) COMPREPLY=($(compgen -W "{words}" -- "$cur"));{files} ;;')
    lines += ["  esac", "}", "complete -o filenames -F _hmsync hmsync", ""]
    return "\n".join(lines)


def _quote(text: str) -> str:
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _fish(top: tuple[Option, ...], cmds: tuple[Command, ...]) -> str:
    names = " ".join(c.name for c in cmds)
    lines = [
        "# hmsync completion for fish: hmsync completion fish | source",
        "complete -c hmsync -f",
    ]
    for cmd in cmds:
        lines.append(
            f"complete -c hmsync -n 'not __fish_seen_subcommand_from {names}' -a {cmd.name} "
            f"-d {_quote(cmd.help)}"
        )
    for option in top:
        lines.append(_fish_option("not __fish_seen_subcommand_from " + names, option))
    for cmd in cmds:
        when = f"__fish_seen_subcommand_from {cmd.name}"
        if cmd.takes_paths:
            lines.append(f"complete -c hmsync -n '{when}' -F")
        if cmd.words:
            lines.append(f"complete -c hmsync -n '{when}' -xa {_quote(' '.join(cmd.words))}")
        lines += [_fish_option(when, option) for option in cmd.options]
    return "\n".join(lines) + "\n"


def _fish_option(when: str, option: Option) -> str:
    flag = f"-l {option.flag[2:]}" if option.flag.startswith("--") else f"-s {option.flag[1:]}"
    if option.flag == "--env":
        value = f" -xa {_quote('(' + ENV_NAMES + ')')}"
    elif option.flag == "--only":
        value = f" -xa {_quote('(' + TEMPLATE_NAMES + ')')}"
    elif option.choices:
        value = f" -xa {_quote(' '.join(option.choices))}"
    else:
        value = " -r" if option.takes_value else ""
    return f"complete -c hmsync -n '{when}' {flag}{value} -d {_quote(option.help.strip())}"
