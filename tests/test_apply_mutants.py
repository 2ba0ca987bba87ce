"""For the write path: the one-line bugs `make mutate` planted in apply.py that the suite
let through, each caught here against an in-memory backend whose calls are counted and whose
answers can fail (before or after the write lands)."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from hmsync.errors import ApiError
from hmsync.model import Action, Plan
from hmsync.plan.diff import make_plan
from hmsync.write import apply as apply_mod
from hmsync.write.apply import apply_templates
from hmsync.write.template_run import apply_order


class Fake:
    """Templates by id; `fail[method]` a list of (status, landed) to answer the next calls with."""

    base_url = "http://127.0.0.1:1/policy/v1"
    parallelism = 1

    def __init__(self, *templates: dict[str, Any]) -> None:
        self.store = {t["_id"]: copy.deepcopy(t) for t in templates}
        self.calls: list[tuple[str, Any]] = []
        self.fail: dict[str, list[tuple[int, bool]]] = {}
        self.before_write: Any = None  # a second writer: runs on the first write call

    def template_url(self, tid: str) -> str:
        return f"{self.base_url}/templates/{tid}"

    def _maybe_fail(self, method: str, write: Any) -> Any:
        if self.before_write is not None and method != "get_template":
            hook, self.before_write = self.before_write, None
            hook(self)
        queue = self.fail.get(method) or []
        if queue:
            status, landed = queue.pop(0)
            if landed:
                write()
            raise ApiError("POST", self.base_url, status, "boom")
        return write()

    def get_template(self, tid: str, recordings: bool = True) -> dict[str, Any]:
        self.calls.append(("get_template", tid))
        return self._maybe_fail("get_template", lambda: copy.deepcopy(self.store[tid]))

    def get_role(self, tid: str, name: str) -> dict[str, Any]:
        self.calls.append(("get_role", name))
        if name not in self.store[tid]["roles"]:
            raise ApiError("GET", self.base_url, 404, "no such role")
        return copy.deepcopy(self.store[tid]["roles"][name])  # type: ignore[no-any-return]

    def get_settings(self, tid: str) -> dict[str, Any]:
        self.calls.append(("get_settings", tid))
        return copy.deepcopy(self.store[tid].get("settings") or {})  # type: ignore[no-any-return]

    def get_recordings(self, tid: str) -> list[Any]:
        self.calls.append(("get_recordings", tid))
        return copy.deepcopy(self.store[tid].get("recordings") or [])  # type: ignore[no-any-return]

    def find_template(self, name: str) -> dict[str, Any] | None:
        self.calls.append(("find_template", name))
        found = [t for t in self.store.values() if t["name"] == name]
        return copy.deepcopy(found[0]) if found else None

    def create_template(self, body: dict[str, Any]) -> dict[str, Any]:
        self.calls.append(("create_template", body))

        def write() -> dict[str, Any]:
            made = {**copy.deepcopy(body), "_id": "new"}
            for name, role in made.get("roles", {}).items():
                role["name"] = name
            self.store["new"] = made
            return copy.deepcopy(made)

        return self._maybe_fail("create_template", write)  # type: ignore[no-any-return]

    def upsert_role(self, tid: str, role: str, body: dict[str, Any]) -> dict[str, Any]:
        self.calls.append(("upsert_role", (role, copy.deepcopy(body))))

        def write() -> dict[str, Any]:
            roles = self.store[tid]["roles"]
            name = body.get("name", role)
            roles.pop(role, None)
            roles[name] = {**body, "name": name}
            return roles[name]

        return self._maybe_fail("upsert_role", write)  # type: ignore[no-any-return]

    def update_settings(self, tid: str, body: dict[str, Any]) -> dict[str, Any]:
        self.calls.append(("update_settings", copy.deepcopy(body)))
        return self._maybe_fail(  # type: ignore[no-any-return]
            "update_settings", lambda: self.store[tid].__setitem__("settings", body) or body
        )

    def modify_template(self, tid: str, body: dict[str, Any]) -> dict[str, Any]:
        self.calls.append(("modify_template", copy.deepcopy(body)))

        def write() -> dict[str, Any]:
            self.store[tid].update(copy.deepcopy(body))
            return body

        return self._maybe_fail("modify_template", write)  # type: ignore[no-any-return]

    def update_destinations(self, tid: str, body: dict[str, Any]) -> dict[str, Any]:
        self.calls.append(("update_destinations", copy.deepcopy(body)))
        return self._maybe_fail(  # type: ignore[no-any-return]
            "update_destinations", lambda: self.store[tid].__setitem__("destinations", body)
        )

    def update_recordings(self, tid: str, body: list[Any]) -> list[Any]:
        self.calls.append(("update_recordings", copy.deepcopy(body)))
        return self._maybe_fail(  # type: ignore[no-any-return]
            "update_recordings", lambda: self.store[tid].__setitem__("recordings", body)
        )

    def delete_role(self, tid: str, role: str) -> None:
        self.calls.append(("delete_role", role))
        self._maybe_fail("delete_role", lambda: self.store[tid]["roles"].pop(role))

    def named(self, method: str) -> list[Any]:
        return [args for name, args in self.calls if name == method]


def role(priority: int, **permissions: bool) -> dict[str, Any]:
    return {"priority": priority, "permissions": dict(permissions)}


def live_template(**roles: dict[str, Any]) -> dict[str, Any]:
    return {
        "_id": "t1",
        "name": "t",
        "roles": {n: {**r, "name": n} for n, r in roles.items()},
        "settings": {"region": "in"},
    }


def run(fake: Fake, desired: dict[str, Any], api: str = "v1") -> tuple[Plan, list[Any]]:
    live = list(fake.store.values())
    plan = make_plan([("t.yaml", desired)], copy.deepcopy(live), "salt", api=api)
    by_name = {t["name"]: copy.deepcopy(t) for t in live}
    for t in plan.templates:
        by_name.setdefault(t.name, by_name.get(plan.live_name(t), {}))
    return plan, apply_templates(fake, plan, {desired["name"]: desired}, by_name)


@pytest.fixture(autouse=True)
def _no_sleep(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    slept: list[float] = []
    monkeypatch.setattr(apply_mod.time, "sleep", slept.append)
    return slept


def test_actions_of_a_kind_go_in_order_of_their_role() -> None:
    actions = (Action("update_role", "t", "b"), Action("update_role", "t", "a"))
    assert [a.role for a in apply_order(actions)] == ["a", "b"]


def test_a_template_read_then_each_later_write_on_a_read_of_its_own_object() -> None:
    fake = Fake(live_template(a=role(1), b=role(1), c=role(1)))
    desired = {"name": "t", "roles": {"a": role(2), "b": role(3), "c": role(4)}}
    run(fake, {**desired, "settings": {"region": "in"}})
    assert len(fake.named("get_template")) == 1  # before the first write
    assert [(m, a if m == "get_role" else a[0]) for m, a in fake.calls[1:]] == [
        ("upsert_role", "a"),
        ("get_role", "b"),
        ("upsert_role", "b"),
        ("get_role", "c"),
        ("upsert_role", "c"),
    ]


def test_a_500_is_written_again_twice_with_backoff_and_a_400_never(_no_sleep: list[float]) -> None:
    desired = {"name": "t", "roles": {"a": role(2)}, "settings": {"region": "in"}}
    fake = Fake(live_template(a=role(1)))
    fake.fail["upsert_role"] = [(500, False)] * 5
    [outcome] = run(fake, desired)[1]
    assert outcome.failed is not None and len(fake.named("upsert_role")) == 3
    assert _no_sleep == [0.5, 1.0]
    fake = Fake(live_template(a=role(1)))
    fake.fail["upsert_role"] = [(400, False)]
    [outcome] = run(fake, desired)[1]
    assert outcome.failed is not None and len(fake.named("upsert_role")) == 1


def test_a_failed_write_that_landed_took_effect_and_one_that_did_not_fails() -> None:
    desired = {"name": "t", "roles": {"a": role(2), "b": role(3)}, "settings": {"region": "in"}}
    fake = Fake(live_template(a=role(1), b=role(1)))
    fake.fail["upsert_role"] = [(400, True)]  # a's write landed; b is still to do
    [outcome] = run(fake, desired)[1]
    assert outcome.failed is None
    assert outcome.notes[0].startswith("update role a: the call failed (boom), but a read shows")
    fake = Fake(live_template(a=role(1)))
    fake.fail["upsert_role"] = [(400, False)]
    [outcome] = run(fake, {"name": "t", "roles": {"a": role(2)}, "settings": {"region": "in"}})[1]
    assert outcome.failed is not None and not outcome.notes


def test_a_failed_read_after_a_failed_write_is_not_taken_for_success() -> None:
    fake = Fake(live_template(a=role(1)))
    fake.fail["upsert_role"] = [(400, False)]
    original = fake.get_template
    reads = [0]

    def failing_second(tid: str, recordings: bool = True) -> dict[str, Any]:
        reads[0] += 1
        if reads[0] > 1:
            raise ApiError("GET", fake.template_url(tid), 503, "down")
        return original(tid)

    fake.get_template = failing_second  # type: ignore[method-assign]
    [outcome] = run(fake, {"name": "t", "roles": {"a": role(2)}, "settings": {"region": "in"}})[1]
    assert outcome.failed is not None and not outcome.notes


def test_a_failed_create_is_taken_as_done_only_when_the_template_is_as_planned() -> None:
    desired = {"name": "n", "roles": {"a": role(1)}, "settings": {"region": "in"}}
    fake = Fake()
    fake.fail["create_template"] = [(400, True)]  # it landed
    [outcome] = run(fake, desired)[1]
    assert outcome.failed is None and "took effect" in outcome.notes[0]
    fake = Fake()
    fake.fail["create_template"] = [(400, False)]  # nothing landed
    [outcome] = run(fake, desired)[1]
    assert outcome.failed is not None
    fake = Fake()
    fake.fail["create_template"] = [(400, False)]
    fake.before_write = lambda f: f.store.__setitem__(
        "x", {"_id": "x", "name": "n", "roles": {}, "settings": {"region": "in"}}
    )  # someone else's template of that name, not as planned: no create over it
    [outcome] = run(fake, desired)[1]
    assert outcome.failed is not None


def test_a_partly_done_action_writes_the_rest_of_its_own_role() -> None:
    desired = {
        "name": "t",
        "roles": {"guest": role(5), "host": role(2, mute=True)},
        "settings": {"region": "in"},
    }
    fake = Fake(live_template(guest=role(1), host=role(1, mute=False)))
    plan = make_plan([("t.yaml", desired)], list(copy.deepcopy(fake.store).values()), "salt")
    # Between plan and apply, someone sets host's mute: what is left of host's update is its
    # priority, and that is what is written to host (not to guest).
    fake.store["t1"]["roles"]["host"]["permissions"]["mute"] = True
    apply_templates(fake, plan, {"t": desired}, {"t": copy.deepcopy(fake.store["t1"])})
    bodies = dict(fake.named("upsert_role"))
    assert bodies["host"]["priority"] == 2 and bodies["guest"]["priority"] == 5


def _recording(region: str, enabled: bool) -> tuple[Fake, dict[str, Any], Plan, dict[str, Any]]:
    """A template whose recording the file turns on (a whole write), planned; the file's
    region as given."""
    live = live_template(a=role(1))
    live["settings"] = {"region": "in", "recording": {"enabled": False}}
    desired = {
        "name": "t",
        "roles": {"a": role(1)},
        "settings": {"region": region, "recording": {"enabled": enabled}},
    }
    plan = make_plan([("t.yaml", desired)], [copy.deepcopy(live)], "salt")
    return Fake(live), desired, plan, live


def test_settings_partly_done_by_someone_else_are_still_written() -> None:
    fake, desired, plan, live = _recording("eu", True)
    fake.store["t1"]["settings"]["region"] = "eu"  # half of it, done meanwhile
    [outcome] = apply_templates(fake, plan, {"t": desired}, {"t": copy.deepcopy(live)})
    assert outcome.failed is None
    [body] = fake.named("modify_template")
    assert body["settings"]["recording"]["enabled"] is True


def test_a_rename_someone_else_made_leaves_the_rest_to_write() -> None:
    desired = {
        "name": "t",
        "roles": {"presenter": {**role(2), "renamedFrom": "host"}},
        "settings": {"region": "in"},
    }
    fake = Fake(live_template(host=role(1)))
    plan = make_plan([("t.yaml", desired)], list(copy.deepcopy(fake.store).values()), "salt")
    roles = fake.store["t1"]["roles"]
    roles["presenter"] = {**roles.pop("host"), "name": "presenter"}  # renamed meanwhile
    apply_templates(fake, plan, {"t": desired}, {"t": live_template(host=role(1))})
    assert fake.store["t1"]["roles"]["presenter"]["priority"] == 2
    # Gone altogether: a conflict, nothing written.
    fake = Fake(live_template(host=role(1)))
    del fake.store["t1"]["roles"]["host"]
    [outcome] = apply_templates(fake, plan, {"t": desired}, {"t": live_template(host=role(1))})
    assert "planned to be renamed presenter, but it is gone now" in str(outcome.error.details)
    assert not fake.named("upsert_role")


def test_a_template_rename_sends_the_new_name() -> None:
    fake = Fake({**live_template(a=role(1)), "name": "old"})
    run(
        fake,
        {
            "name": "new",
            "renamedFrom": "old",
            "roles": {"a": role(1)},
            "settings": {"region": "in"},
        },
    )
    [body] = fake.named("modify_template")
    assert body["name"] == "new" and fake.store["t1"]["name"] == "new"


def test_v2_writes_each_part_by_its_own_call_and_keeps_the_rest() -> None:
    live = {
        **live_template(a=role(1)),
        "destinations": {"rtmpDestinations": {"yt": {"name": "yt", "rtmpUrls": ["rtmp://a/b"]}}},
        "recordings": [{"name": "r0", "role": "a"}],
        "plugins": {},
    }
    fake = Fake(live)
    desired = copy.deepcopy({k: v for k, v in live.items() if k != "_id"})
    desired["destinations"]["rtmpDestinations"]["yt"]["rtmpUrls"] = ["rtmp://a/c"]
    desired["recordings"][0]["name"] = "r1"
    for r in desired["roles"].values():
        r.pop("name", None)
    run(fake, desired, api="v2")
    parts = [name for name, _ in fake.calls if name.startswith("update_")]
    assert parts == ["update_destinations", "update_recordings"]
    assert not fake.named("update_settings") and not fake.named("modify_template")
    assert fake.named("update_recordings")[0][0]["name"] == "r1"


UPLOAD_TO = {"type": "s3", "location": "b", "prefix": "p"}


def _default_on(
    live_upload: dict[str, Any], file_upload: dict[str, Any]
) -> tuple[Fake, dict[str, Any]]:
    """A template the file makes the default (a whole write), with recording uploads as given."""
    live = live_template(a=role(1))
    live["settings"] = {"region": "in", "recording": {"enabled": False, "upload": live_upload}}
    desired = {
        "name": "t",
        "roles": {"a": role(1)},
        "default": True,
        "settings": {"region": "in", "recording": {"enabled": False, "upload": file_upload}},
    }
    return Fake(live), desired


def test_a_whole_write_never_sends_credentials_it_cannot_read() -> None:
    fake, desired = _default_on({**UPLOAD_TO, "credentials": {"key": "****"}}, dict(UPLOAD_TO))
    [outcome] = run(fake, desired)[1]
    assert outcome.failed is not None
    assert not fake.named("modify_template")


def test_plan_for_v1_set_default_with_write_only_credentials_goes_through() -> None:
    creds = {"key": "K", "secret": "S"}
    fake, desired = _default_on(dict(UPLOAD_TO), {**UPLOAD_TO, "credentials": creds})
    [outcome] = run(fake, desired)[1]
    assert outcome.failed is None, outcome.error
    [body] = fake.named("modify_template")
    assert body["default"] is True
    assert body["settings"]["recording"]["upload"]["credentials"] == creds


def test_an_action_someone_else_did_whole_is_already_done_not_the_next_ones_write() -> None:
    desired = {"name": "t", "roles": {"a": role(2), "b": role(3)}, "settings": {"region": "in"}}
    fake = Fake(live_template(a=role(1), b=role(1)))
    plan = make_plan([("t.yaml", desired)], list(copy.deepcopy(fake.store).values()), "salt")
    fake.store["t1"]["roles"]["a"]["priority"] = 2  # a's whole change, made meanwhile
    [outcome] = apply_templates(
        fake, plan, {"t": desired}, {"t": live_template(a=role(1), b=role(1))}
    )
    assert outcome.notes == ["update role a: already as planned; nothing written"]
    assert [r for r, _ in fake.named("upsert_role")] == ["b"]


def test_a_whole_write_stops_where_someone_else_changed_the_template_meanwhile() -> None:
    fake, desired, plan, live = _recording("in", True)
    fake.store["t1"]["settings"]["region"] = "eu"  # not a field the plan changes
    [outcome] = apply_templates(fake, plan, {"t": desired}, {"t": copy.deepcopy(live)})
    assert outcome.failed is not None
    assert "the template changed since it was planned" in str(outcome.error)
    assert not fake.named("modify_template")  # their region is not overwritten


def test_a_v2_plugins_write_keeps_the_parts_the_file_leaves_out() -> None:
    live = {
        **live_template(host=role(1)),
        "destinations": {"rtmpDestinations": {"yt": {"name": "yt", "rtmpUrls": ["rtmp://a/b"]}}},
        "plugins": {"whiteboard": {"permissions": {"admin": ["host"]}}},
    }
    fake = Fake(live)
    desired = {
        "name": "t",
        "roles": {"host": role(1)},
        "settings": {"region": "in"},
        "plugins": {"whiteboard": {"permissions": {"admin": ["host"], "reader": ["host"]}}},
    }
    run(fake, desired, api="v2")
    [body] = fake.named("modify_template")
    assert body["destinations"] == live["destinations"]  # Update Template overwrites all fields
    assert body["plugins"]["whiteboard"]["permissions"]["reader"] == ["host"]
