"""What a competent person would write instead of hmsync, run as its own process like hmsync.

    python benchmarks/baseline.py list  API BASE
    python benchmarks/baseline.py apply API BASE PARALLELISM FOLDER
    python benchmarks/baseline.py times API BASE COUNT

`list` walks the paged list at the API's largest page, and nothing else: the floor of any plan.
`apply` reads the YAML files, lists once, and writes each template whose roles differ in one
whole-template call (the files' roles merged over the live ones), PARALLELISM at once. It checks
nothing and keeps no one else's change that lands between its list and its write.
`times` times COUNT role writes that change nothing, then COUNT reads of one template, one
after another: one write's and one read's round trip.
Each prints one line of JSON.
"""

from __future__ import annotations

import json
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import yaml

from hmsync.backends.auth import make_token
from hmsync.emulator import DEFAULT_ACCESS_KEY, DEFAULT_SECRET

PAGE = {"v1": 20, "v2": 100}


def client(base: str, parallelism: int = 1) -> httpx.Client:
    token, _ = make_token(DEFAULT_ACCESS_KEY, DEFAULT_SECRET, time.time())
    limits = httpx.Limits(max_connections=parallelism, max_keepalive_connections=parallelism)
    headers = {"Authorization": f"Bearer {token}"}
    return httpx.Client(base_url=base, headers=headers, timeout=60, limits=limits)


def listing(http: httpx.Client, api: str) -> tuple[list[dict[str, Any]], int]:
    templates: list[dict[str, Any]] = []
    start, pages = "", 0
    while True:
        params = {"limit": PAGE[api], **({"start": start} if start else {})}
        page = http.get("/templates", params=params).raise_for_status().json()
        pages += 1
        data = page.get("data") or []
        templates += data
        start = page.get("last") or ""
        if len(data) < PAGE[api] or not start:
            return templates, pages


def merged(live: Any, mine: Any) -> Any:
    if not isinstance(live, dict) or not isinstance(mine, dict):
        return mine
    return {**live, **{k: merged(live.get(k), v) for k, v in mine.items()}}


def apply(http: httpx.Client, api: str, parallelism: int, folder: Path) -> dict[str, Any]:
    files = [yaml.load(f.read_text(), Loader=yaml.CSafeLoader) for f in sorted(folder.iterdir())]
    live = {t["name"]: t for t in listing(http, api)[0]}
    writes = []
    for data in files:
        template = live[data["name"]]
        roles = {n: merged(template["roles"].get(n, {}), r) for n, r in data["roles"].items()}
        if roles != {n: template["roles"].get(n) for n in roles}:
            writes.append((template, {**template["roles"], **roles}))

    def write(item: tuple[dict[str, Any], dict[str, Any]]) -> None:
        template, roles = item
        body = {"name": template["name"], "roles": roles, "settings": template["settings"]}
        if api == "v1":
            http.post("/templates", params={"id": template["_id"]}, json=body).raise_for_status()
        else:
            http.post(f"/templates/{template['id']}", json=body).raise_for_status()

    with ThreadPoolExecutor(parallelism) as pool:
        list(pool.map(write, writes))
    return {"writes": len(writes)}


def call_times(http: httpx.Client, api: str, count: int) -> dict[str, Any]:
    """One template read's and one role write's round trip, each the mean of count."""
    template = listing(http, api)[0][0]
    tid = template["_id"] if api == "v1" else template["id"]
    role = template["roles"]["r9"]
    started = time.perf_counter()
    for _ in range(count):
        http.post(f"/templates/{tid}/roles/r9", json=role).raise_for_status()
    written = time.perf_counter()
    for _ in range(count):
        if api == "v1":  # v1 reads one template through the list's id filter
            http.get("/templates", params={"id": tid}).raise_for_status()
        else:
            http.get(f"/templates/{tid}").raise_for_status()
    read = time.perf_counter()
    return {"write_s": (written - started) / count, "read_s": (read - written) / count}


def main(argv: list[str]) -> int:
    what, api, base = argv[:3]
    started = time.perf_counter()
    if what == "list":
        with client(base) as http:
            templates, pages = listing(http, api)
        result: dict[str, Any] = {"templates": len(templates), "pages": pages}
    elif what == "apply":
        with client(base, int(argv[3])) as http:
            result = apply(http, api, int(argv[3]), Path(argv[4]))
    else:
        with client(base) as http:
            result = call_times(http, api, int(argv[3]))
    result["inside_s"] = time.perf_counter() - started
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
