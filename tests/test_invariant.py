"""Never write what the plan does not show: the live template after apply equals the live
template before it with exactly the plan's changes applied, field for field.

The changes are applied here by the test's own reading of a plan (not hmsync's `patched`),
to the emulator's stored state (not to what reads show).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hmsync.emulator import Emulator
from hmsync.plan.diff import make_plan
from hmsync.write.apply import apply_templates

from .conftest import Run, Write
from .helpers import api, env
from .plan_applier import expected_after
from .strategies import roles
from .strategies import settings as settings_strategy

SALT = "55" * 16
SETS = ("allowed", "subscribeToRoles")
role_maps = st.dictionaries(st.sampled_from(["a", "b", "c", "d"]), roles, max_size=4)


@pytest.fixture(scope="module")
def emu() -> Iterator[Emulator]:
    with Emulator() as emulator:
        yield emulator


def _comparable(value: Any) -> Any:
    """Sets as sets; a role's own name aside."""
    if isinstance(value, dict):
        return {k: _comparable(v) for k, v in value.items() if k != "name"}
    if isinstance(value, list):
        try:
            return sorted(value)
        except TypeError:
            return value
    return value


@pytest.mark.parametrize("writes", ["merge", "replace", "as-sent"])
@settings(
    max_examples=75,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    live_roles=role_maps,
    live_settings=settings_strategy,
    file_roles=role_maps,
    file_settings=settings_strategy,
    default=st.sampled_from([None, True, False]),
    data=st.data(),
)
def test_apply_writes_exactly_the_plan(
    emu: Emulator,
    writes: str,
    live_roles: dict[str, Any],
    live_settings: dict[str, Any],
    file_roles: dict[str, Any],
    file_settings: dict[str, Any],
    default: bool | None,
    data: st.DataObject,
) -> None:
    emu.store.reset()
    emu.set_readings(writes=writes)
    with api(emu, parallelism=1) as client:
        if writes == "replace":
            # This reading fills what a write leaves out, so a live role is always full: make
            # it as the API would, by writing it.
            client.create_template({"name": "t", "roles": live_roles, "settings": live_settings})
        else:  # a role stored sparse, as another client or the dashboard may have left it
            emu.store.load(
                [
                    {
                        "name": "t",
                        "roles": {n: {"name": n, **r} for n, r in live_roles.items()},
                        "settings": live_settings,
                    }
                ]
            )
        renames = {
            new: data.draw(st.sampled_from(sorted(set(live_roles) - set(file_roles))))
            for new in sorted(set(file_roles) - set(live_roles))[:1]
            if set(live_roles) - set(file_roles)
        }
        desired: dict[str, Any] = {
            "name": "t",
            "roles": {
                n: {**r, **({"renamedFrom": renames[n]} if n in renames else {})}
                for n, r in file_roles.items()
            },
            "settings": file_settings,
        }
        if default is not None:
            desired["default"] = default
        [before] = emu.store.dump()
        live = client.list_templates()
        plan = make_plan([("t.yaml", desired)], live, SALT)
        outcomes = apply_templates(client, plan, {"t": desired}, {"t": live[0]})
        assert all(o.failed is None for o in outcomes), [str(o.error) for o in outcomes]
        [after] = emu.store.dump()
    expected = expected_after(before, plan)
    created = {a.role for a in plan.actions if a.kind == "create_role"}
    for name in set(after["roles"]) | set(expected["roles"]):
        if name not in created:
            assert _comparable(after["roles"].get(name)) == _comparable(
                expected["roles"].get(name)
            ), name
    written_credentials = any(c.sensitive for a in plan.actions for c in a.changes)
    if not written_credentials:
        assert _comparable(after.get("settings")) == _comparable(expected.get("settings"))
    assert bool(after.get("default")) == bool(expected.get("default"))
    again = make_plan([("t.yaml", desired)], [dict(after)], SALT)
    assert again.actions == [], "apply then plan must show no changes"


def test_a_priority_change_leaves_screen_simulcast_off(
    emu: Emulator, run: Run, write: Write
) -> None:
    # Against the emulator in each reading that can hold such a role.
    for writes in ("merge", "as-sent"):
        emu.store.reset()
        emu.set_readings(writes=writes)
        emu.store.load(
            [{"name": "t", "roles": {"r": {"name": "r", "priority": 1, "subscribeParams": {}}}}]
        )
        write("templates/t.yaml", "name: t\nroles:\n  r: {priority: 2}\n")
        result = run("apply", "--auto-approve", env=env(emu))
        assert result.code == 0, result.out
        assert "subscribeDegradation" not in result.out
        [template] = emu.store.dump()
        assert template["roles"]["r"] == {"name": "r", "priority": 2, "subscribeParams": {}}
