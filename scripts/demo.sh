#!/usr/bin/env bash
# The main job, end to end, against a local emulator: validate -> plan -> apply -> plan,
# drift and export on the v1 API, then a template of every v2 object on the v2 API, and a
# room with its room codes.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ -t 1 ]; then bold=$'\033[1m' plain=$'\033[0m'; else bold="" plain=""; fi
say() { printf '\n%s== %s%s\n' "$bold" "$*" "$plain"; }
run() { printf '$ %s\n' "$*"; "$@"; }

# The telehealth example records to S3 with credentials from the environment.
# These are demo values, not real credentials.
export HMSYNC_S3_KEY="${HMSYNC_S3_KEY:-AKIADEMOKEY0000}"
export HMSYNC_S3_SECRET="${HMSYNC_S3_SECRET:-demo-secret-not-real}"

say "1. Start a local 100ms API emulator (no account needed)"
log=$(mktemp)
hmsync emulator --port 0 >"$log" 2>&1 &
emulator=$!
trap 'kill $emulator 2>/dev/null; wait $emulator 2>/dev/null; rm -f "$log" demo-plan.json' EXIT
for _ in $(seq 50); do grep -q "export HMS_SECRET" "$log" && break; sleep 0.1; done
cat "$log"
# The emulator prints the environment a client needs; use it.
eval "$(grep '^  export ' "$log")"

say "2. Validate the template files (offline)"
run hmsync validate examples/templates

say "3. Plan: what would change in the (empty) account"
run hmsync plan examples/templates -o demo-plan.json

say "4. Apply the reviewed plan"
run hmsync apply demo-plan.json

say "5. Plan again: nothing left to do"
run hmsync plan examples/templates --detailed-exitcode

say "6. Someone changes a role in the dashboard (here: straight through the API)"
python - <<'PY'
import os
import time

import httpx
from hmsync.backends.auth import make_token

token, _ = make_token(os.environ["HMS_ACCESS_KEY"], os.environ["HMS_SECRET"], time.time())
base, auth = os.environ["HMS_API_BASE"], {"Authorization": f"Bearer {token}"}
webinar = httpx.get(f"{base}/templates", params={"name": "webinar"}, headers=auth).json()["data"][0]
viewer = webinar["roles"]["viewer"]
viewer["publishParams"]["allowed"] = ["audio"]
httpx.post(f"{base}/templates/{webinar['_id']}/roles/viewer", json=viewer, headers=auth)
print("webinar/viewer may now publish audio")
PY

say "7. Drift: the scheduled check notices (exit 2)"
printf '$ hmsync drift examples/templates\n'
hmsync drift examples/templates && code=0 || code=$?
echo "(exit $code)"
[ "$code" -eq 2 ]

say "8. Export the live templates as files (e.g. to start a repository from a dashboard account)"
out=$(mktemp -d)
trap 'kill $emulator 2>/dev/null; wait $emulator 2>/dev/null; rm -rf "$log" demo-plan.json "$out"' EXIT
run hmsync export --out "$out"
echo "--- $out/webinar.yaml"
cat "$out/webinar.yaml"

say "9. The v2 API, from the same emulator: a live event with simulcast, destinations, recordings and plugins"
export HMS_API_BASE="${HMS_API_BASE%/policy/v1}/v2"
# Demo values, not real ones: a storage key and secret, and a YouTube stream key.
export HMSYNC_LIVE_EVENT_STORAGE_KEY="${HMSYNC_LIVE_EVENT_STORAGE_KEY:-GOOGDEMOKEY0000}"
export HMSYNC_LIVE_EVENT_STORAGE_SECRET="${HMSYNC_LIVE_EVENT_STORAGE_SECRET:-demo-gs-secret-not-real}"
export HMSYNC_YOUTUBE_STREAM_KEY="${HMSYNC_YOUTUBE_STREAM_KEY:-demo-stream-key-not-real}"
run hmsync --api v2 validate examples/v2/templates
run hmsync --api v2 apply examples/v2/templates --auto-approve
run hmsync --api v2 plan examples/v2/templates --detailed-exitcode

say "10. Rooms as code: a long-lived room on that template, and its room codes (v2)"
# examples/v2 holds templates/ and rooms/: hmsync finds both folders there by default.
export HMSYNC_ALL_HANDS_WEBHOOK_TOKEN="${HMSYNC_ALL_HANDS_WEBHOOK_TOKEN:-demo-webhook-token-not-real}"
cat examples/v2/rooms/all-hands.yaml
(cd examples/v2 && run hmsync --api v2 apply --auto-approve)
(cd examples/v2 && run hmsync --api v2 plan --detailed-exitcode)
python - <<'PY'
import os

import httpx

# The emulator's own view (its control endpoint): counts only; a room code is a bearer
# credential, and hmsync never prints one either.
state = httpx.get(os.environ["HMS_API_BASE"].rsplit("/v2", 1)[0] + "/_emulator/rooms").json()
for room in state["rooms"]:
    roles = sorted(c["role"] for c in state["codes"] if c["room_id"] == room["id"] and c["enabled"])
    print(f"room {room['name']}: {len(roles)} room codes enabled ({', '.join(roles)})")
PY

say "Done. The emulator stops now; against 100ms, set HMS_ACCESS_KEY and HMS_SECRET instead."
