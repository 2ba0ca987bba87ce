"""The project, environment and API a command works on, and where its cache is: what every
command needs first, kept light (validate and the hook start from here)."""

from __future__ import annotations

import argparse
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from .. import config
from ..config import Environment, Project
from ..plan.guardrails import Guardrails
from ..plan.rules import Protect, Rule

DEFAULT_PATHS = ["templates"]


@dataclass(frozen=True)
class Context:
    """The project file (if any), the environment this command works on, and --api."""

    project: Project | None = None
    env: Environment | None = None
    given_api: str | None = None
    # The guardrails to judge by, where they are not the project file's own: the base's
    # (plan --base-ref), or those a saved plan recorded. And what the change does to them.
    guard: Guardrails | None = None
    guard_changes: tuple[str, ...] = ()

    @property
    def guardrails(self) -> Guardrails:
        return self.guard if self.guard is not None else config.guardrails(self.project, self.env)

    @property
    def api(self) -> str:
        """--api, then the environment's api, then the project's, then v1."""
        if self.given_api:
            return self.given_api
        if self.env and self.env.api:
            return self.env.api
        return (self.project.api if self.project else None) or "v1"

    @property
    def name(self) -> str | None:
        return self.env.name if self.env else None

    @property
    def variables(self) -> Mapping[str, Any] | None:
        return self.env.vars if self.env else None

    @property
    def ignore(self) -> tuple[str, ...]:
        return self.guardrails.ignore

    @property
    def overlays(self) -> str | None:
        return self.env.overlays if self.env else None

    @property
    def rules(self) -> tuple[Rule, ...]:
        return self.guardrails.rules

    @property
    def protect(self) -> Protect | None:
        return self.guardrails.protect

    def folders(self, plural: str) -> list[str]:
        """A kind's folders (rooms): hmsync.yaml's, else its default if it exists. A folder
        the project file names must exist; the default may not."""
        if self.project is None:
            return [plural] if Path(plural).is_dir() else []
        named, explicit = self.project.folder(plural)
        if explicit:
            return list(named)
        return [f for f in named if Path(f).is_dir()]

    def paths(self, given: Sequence[str]) -> list[str]:
        if given:
            return list(given)
        return list(self.project.templates) if self.project else list(DEFAULT_PATHS)


def context(args: argparse.Namespace) -> Context:
    """The project and environment args name; with --base-ref, judged by the base's
    guardrails (a change never judges itself), what it changes about them kept to say."""
    project = config.find(getattr(args, "config", None))
    env = config.pick(project, getattr(args, "env", None))
    ctx = Context(project, env, getattr(args, "api", None))
    ref = getattr(args, "base_ref", None)
    if not ref:
        return ctx
    from ..gitbase import project_at
    from ..plan.guardrails import changes

    loaded, base = project_at(ref, getattr(args, "config", None))
    if not loaded:  # the base's project file does not load: the change's own (said)
        return ctx
    base_env = base.environments.get(env.name) if base and env else None
    before, after = config.guardrails(base, base_env), ctx.guardrails
    return replace(ctx, guard=before, guard_changes=tuple(changes(before, after)))


def cache_root(args: argparse.Namespace, ctx: Context, environ: Mapping[str, str]) -> Path | None:
    """The project's cache folder (filecache.place): outside the work tree, for the project
    beside hmsync.yaml, else the current folder. None: no cache, for --no-cache, with CI set
    unless --cache, and for the commands without those options (apply never uses one)."""
    if getattr(args, "no_cache", True):
        return None
    from ..files.filecache import place

    project = Path(ctx.project.file).parent if ctx.project else Path()
    return place(project, environ, asked=getattr(args, "cache", False))
