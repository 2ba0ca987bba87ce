"""The project, environment and API a command works on, and where its cache is: what every
command needs first, kept light (validate and the hook start from here)."""

from __future__ import annotations

import argparse
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .. import config
from ..config import Environment, Project
from ..rules import Protect, Rule, with_rules
from ..schema import Checked, check_paths

DEFAULT_PATHS = ["templates"]


@dataclass(frozen=True)
class Context:
    """The project file (if any), the environment this command works on, and --api."""

    project: Project | None = None
    env: Environment | None = None
    given_api: str | None = None

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
        if self.env:
            return self.env.ignore
        return self.project.ignore if self.project else ()

    @property
    def overlays(self) -> str | None:
        return self.env.overlays if self.env else None

    @property
    def rules(self) -> tuple[Rule, ...]:
        return self.project.rules if self.project else ()

    @property
    def protect(self) -> Protect | None:
        return self.project.protect if self.project else None

    def paths(self, given: Sequence[str]) -> list[str]:
        if given:
            return list(given)
        return list(self.project.templates) if self.project else list(DEFAULT_PATHS)


def context(args: argparse.Namespace) -> Context:
    project = config.find(getattr(args, "config", None))
    env = config.pick(project, getattr(args, "env", None))
    return Context(project, env, getattr(args, "api", None))


def cache_root(args: argparse.Namespace, ctx: Context, environ: Mapping[str, str]) -> Path | None:
    """The project's cache folder (filecache.place): outside the work tree, for the project
    beside hmsync.yaml, else the current folder. None: no cache, for --no-cache, with CI set
    unless --cache, and for the commands without those options (apply never uses one)."""
    if getattr(args, "no_cache", True):
        return None
    from ..filecache import place

    project = Path(ctx.project.file).parent if ctx.project else Path()
    return place(project, environ, asked=getattr(args, "cache", False))


def checked_files(
    ctx: Context,
    paths: Sequence[str],
    environ: Mapping[str, str],
    cache: Path | None,
    *,
    rules: bool = True,
    strict: bool = False,
    require_env: bool = True,
) -> Checked:
    """The files as ctx's environment sees them (its vars and overlays), against the schema of
    its API and, with rules, the team's rules. cache: see cache_root."""
    checked = check_paths(
        ctx.paths(paths),
        environ,
        strict=strict,
        require_env=require_env,
        variables=ctx.variables,
        overlays=ctx.overlays,
        api=ctx.api,
        cache_root=cache,
    )
    return with_rules(checked, ctx.rules, ctx.name, ctx.api, strict) if rules else checked
