"""CPU time of the pure diff: 1,000 templates of 10 roles, live vs files. Prints numbers.

Run with `make bench` or `.venv/bin/python benchmarks/diff_cpu.py`.
"""

from __future__ import annotations

import json
import time
from typing import Any

from hmsync.plan.diff import make_plan
from hmsync.plan.normalize import complete_role, complete_settings

TEMPLATES, ROLES = 1000, 10


def desired(t: int) -> dict[str, Any]:
    roles = {
        f"role{r}": {
            "priority": 1 + r % 10,
            "publishParams": {"allowed": ["audio", "video"], "video": {"bitRate": 300 + r}},
            "subscribeParams": {"subscribeToRoles": [f"role{(r + 1) % ROLES}"]},
            "permissions": {"mute": r % 2 == 0},
        }
        for r in range(ROLES)
    }
    return {"name": f"template-{t}", "roles": roles, "settings": {"region": "in"}}


def live_of(data: dict[str, Any], t: int, changed: bool) -> dict[str, Any]:
    roles = {n: {"name": n, **complete_role(r)} for n, r in data["roles"].items()}
    if changed:  # one role differs in one field, as after a typical pull request
        roles["role3"]["publishParams"]["video"]["bitRate"] += 1
    return {
        "_id": f"{t:024x}",
        "name": data["name"],
        "customer": "c" * 24,
        "roles": roles,
        "settings": complete_settings(data["settings"]),
    }


def main() -> None:
    files = [desired(t) for t in range(TEMPLATES)]
    results = {}
    for label, share in (("no changes", 0), ("10% of templates changed", 10), ("all changed", 1)):
        live = [live_of(d, t, share and t % share == 0) for t, d in enumerate(files)]
        live = json.loads(json.dumps(live))  # fresh objects, as read from the API
        started = time.process_time()
        plan = make_plan([(f"t{i}.yaml", d) for i, d in enumerate(files)], live, "00" * 16)
        cpu = time.process_time() - started
        results[label] = cpu
        print(
            f"diff {TEMPLATES} x {ROLES} roles, {label}: {cpu:.3f} s CPU, "
            f"{len(plan.actions)} actions"
        )
    worst = max(results.values())
    print(f"target: under 1 s CPU -> {'met' if worst < 1 else 'MISSED'} (worst {worst:.3f} s)")
    print(deepdiff_cpu(files, live))


def deepdiff_cpu(files: list[dict[str, Any]], live: list[dict[str, Any]]) -> str:
    """The same role views (all changed) compared by deepdiff instead of hmsync's walk: the
    measurement behind the README's "why not deepdiff for the diff"."""
    from deepdiff import DeepDiff

    from hmsync.plan.views import role_views

    pairs = [
        role_views(t["roles"][name], d["roles"][name])
        for d, t in zip(files, live, strict=True)
        for name in d["roles"]
    ]
    started = time.process_time()
    for live_view, desired_view in pairs:
        DeepDiff(live_view, desired_view)
    every = time.process_time() - started
    started = time.process_time()
    for live_view, desired_view in pairs:
        if live_view != desired_view:  # the cheap equality first
            DeepDiff(live_view, desired_view)
    cheap = time.process_time() - started
    return (
        f"deepdiff on the same {len(pairs)} role views (all changed): {every:.3f} s CPU for "
        f"every role, {cheap:.3f} s with the equality check first"
    )


if __name__ == "__main__":
    main()
