"""The APIs hmsync talks to, behind one narrow interface (as octoDNS has providers).

Both backends list every template; create, replace, and upsert, rename or delete a role;
write settings; v2 also destinations and recordings. Each hands live templates to the rest of
hmsync in one internal form (see api.Client), so that commands, plans, apply and the safety
rules are one for both.

- v1: api.Client, the policy v1 API (`https://prod-policy.100ms.live/policy/v1`).
- v2: backends.v2.V2Client, the v2 API (`https://api.100ms.live/v2`).
"""

from __future__ import annotations

APIS = ("v1", "v2")
DEFAULT_BASES = {
    "v1": "https://prod-policy.100ms.live/policy/v1",
    "v2": "https://api.100ms.live/v2",
}
