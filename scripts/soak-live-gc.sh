#!/usr/bin/env bash
# The live-GC soak: regsweep gc --delete-untagged --live beside a serving registry 2.8.x taking pushes from
# four pushers (new images, re-pushes of latest, cross-repository mounts, images reusing old layers) and two
# pullers, with no cache, the in-memory cache (refused) and redis (evicted); then upstream garbage-collect -m
# beside the same traffic as the peer. Prints totals per run. Needs scripts/setup.sh (registry, skopeo, redis).
#   SOAK_SECONDS=120 scripts/soak-live-gc.sh      (seconds per run; default 120)
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"
pnpm --filter @regsweep/testbed --filter @regsweep/cleaner --filter regsweep --filter @regsweep/lab run build >/dev/null
exec node packages/lab/dist/soak/live-gc-soak-main.js
