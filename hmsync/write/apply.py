"""Carrying a plan out: the only module that writes to the 100ms API. Templates in parallel,
each template's actions in order (template_run.py), whatever stops one reported with the rest.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from ..backends import Backend
from ..errors import ApiError, Interrupted
from ..model import Action, Outcome, Plan, TemplatePlan
from ..plan.normalize import WRITE_ONLY, Json
from ..render import action_title
from .template_run import TemplateRun

log = logging.getLogger("hmsync.write.apply")
# (actions finished, total, the action, "ok" or "FAILED", seconds it took)
Progress = Callable[[int, int, Action, str, float], None]


def as_api_error(exc: Exception, client: Backend, runner: TemplateRun | None = None) -> ApiError:
    """exc as the report says a failure: an ApiError as it is; anything else (an answer no
    check foresaw, a bug) as one plain line at the template, its traceback logged for -v."""
    if isinstance(exc, ApiError):
        return exc
    log.debug("unexpected error during apply", exc_info=exc)
    tid = runner.template_id if runner else None
    where = client.template_url(str(tid)) if tid else client.base_url + "/templates"
    return ApiError(
        "apply",
        where,
        None,
        f"stopped by an unexpected error ({type(exc).__name__}: {str(exc)[:200]})",
        hint="this is a bug in hmsync: run again with -v and report it; the report "
        "below says what was written",
    )


def apply_templates(
    client: Backend,
    plan: Plan,
    desired: Mapping[str, Mapping[str, Any]],
    live: Mapping[str, Json],
    progress: Progress | None = None,
) -> list[Outcome]:
    """Every changed template's actions, templates in parallel, each template's in order.

    A failed call stops its template; the other templates go on. Ctrl-C stops every template
    before its next write, and raises Interrupted listing the writes made.
    """
    templates = plan.changed
    total = sum(len(t.actions) for t in templates)
    lock = threading.Lock()
    stop = threading.Event()
    written: list[Action] = []
    count = [0]  # actions finished, done or failed

    def one(template: TemplatePlan) -> Outcome:
        outcome = Outcome(template.name)
        name = template.name
        runner = TemplateRun(client, plan, template, desired[name], live.get(name))
        if any(c.old == WRITE_ONLY for a in template.actions for c in a.changes):
            runner.notes.append(
                "the API does not return the recording credentials, so they are written "
                "without a look at what is there now: a rotation made in the dashboard since "
                "the plan cannot be seen"
            )
        # What the plan read: a change by others since then is said, field by field.
        outcome.base = live.get(name) if template.template_id else None
        ordered = list(runner.remaining)
        for i, action in enumerate(ordered):
            if stop.is_set():
                outcome.not_attempted = ordered[i:]
                break
            started = time.monotonic()
            try:
                status = runner.run(action)
            except Exception as exc:  # whatever it is, the writes made so far are reported
                outcome.failed, outcome.error = action, as_api_error(exc, client, runner)
                outcome.not_attempted = ordered[i + 1 :]
                finished(action, "FAILED", started)
                break
            finally:
                outcome.notes = runner.notes
            outcome.done.append(action)
            with lock:
                written.append(action)
            finished(action, status, started)
        return outcome

    def finished(action: Action, status: str, started: float) -> None:
        with lock:
            count[0] += 1
            if progress:
                progress(count[0], total, action, status, time.monotonic() - started)

    with ThreadPoolExecutor(max_workers=max(1, min(client.parallelism, len(templates)))) as pool:
        futures = [pool.submit(one, t) for t in templates]
        try:
            return [f.result() for f in futures]
        except KeyboardInterrupt:
            stop.set()  # before the pool waits: calls under way finish, no other starts
            pool.shutdown(wait=True, cancel_futures=True)
            with lock:
                done = tuple(f"done: {a.template}: {action_title(a)}" for a in written)
            raise Interrupted(
                f"interrupted after {len(done)} write(s); no write was started after that. "
                "Run the same apply again to finish: every write is safe to repeat",
                done,
            ) from None
