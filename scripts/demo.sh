#!/usr/bin/env bash
# The main job on the example templates, as a newcomer would run it.
set -euo pipefail
cd "$(dirname "$0")/.."

# The telehealth example records to S3 with credentials from the environment.
# These are demo values, not real credentials.
export HMSYNC_S3_KEY="${HMSYNC_S3_KEY:-AKIADEMOKEY0000}"
export HMSYNC_S3_SECRET="${HMSYNC_S3_SECRET:-demo-secret-not-real}"

echo "== hmsync validate examples/templates"
hmsync validate examples/templates
