#!/usr/bin/env bash
# Undoes what scripts/setup.sh and the tests started: stops S3 servers a crashed test run left (only this
# checkout's), removes the test containers (label org.testcontainers=true), stops the private dockerd
# (only the one named by setup's pidfile), unmounts what it left mounted.
#   scripts/teardown.sh           keep images and registry binaries for the next setup
#   scripts/teardown.sh --purge   also delete .cache/docker (the engine's images and containers)
# Registry binaries and apt indexes in .cache stay either way; delete .cache by hand to start over.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cache=${REGSWEEP_CACHE_DIR:-$repo/.cache}
docker_dir=$cache/docker
pidfile=$docker_dir/docker.pid

log() { printf '[teardown] %s\n' "$*"; }

purge=false
case "${1:-}" in
"") ;;
--purge) purge=true ;;
-h | --help)
  sed -n '2,6p' "$0"
  exit 0
  ;;
*)
  echo "usage: $0 [--purge]" >&2
  exit 2
  ;;
esac

# Where setup put the exec root and socket (a short dir under /run when the checkout path is long).
exec_root=$docker_dir/exec
socket=$docker_dir/docker.sock
# shellcheck source=/dev/null
[[ -f $docker_dir/paths.env ]] && source "$docker_dir/paths.env"
run_dir=$(dirname "$socket")

# 0. S3 servers (Swift, Ceph) of this checkout that a killed test run left: their run folders in the temp
#    folder name their owner (this cache folder) and list `<pid> <name>`; a pid now used by another
#    program (its command line does not name the service) is left alone.
tmp=${TMPDIR:-/tmp}
for dir in "$tmp"/regsweep-swift-* "$tmp"/regsweep-ceph-*; do
  [[ -f $dir/owner && $(cat "$dir/owner") == "$cache" ]] || continue
  ours=()
  if [[ -f $dir/pids ]]; then
    while read -r pid name; do
      [[ -n $pid && -r /proc/$pid/cmdline ]] || continue
      tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q -- "${name#swift-}" && ours+=("$pid")
    done < <(tac "$dir/pids")
  fi
  if ((${#ours[@]} > 0)); then
    log "stopping ${#ours[@]} process(es) of the S3 server in $dir"
    kill -TERM "${ours[@]}" 2>/dev/null || true
    for ((i = 0; i < 50; i++)); do
      alive=0
      for pid in "${ours[@]}"; do kill -0 "$pid" 2>/dev/null && alive=1; done
      ((alive)) || break
      sleep 0.1
    done
    kill -KILL "${ours[@]}" 2>/dev/null || true
  fi
  rm -rf "$dir"
done

# 1. Test containers, on whichever engine the tests used (setup's env file, else the environment).
engine=${DOCKER_HOST:-}
if [[ -f $cache/env.sh ]]; then
  engine=$(sed -n 's/^export DOCKER_HOST=//p' "$cache/env.sh")
fi
if [[ -n $engine ]] && DOCKER_HOST=$engine timeout 20 docker info >/dev/null 2>&1; then
  mapfile -t ids < <(DOCKER_HOST=$engine docker ps -aq --filter label=org.testcontainers=true)
  if ((${#ids[@]} > 0)); then
    log "removing ${#ids[@]} test container(s) on $engine"
    DOCKER_HOST=$engine docker rm -f "${ids[@]}" >/dev/null
  fi
fi

# 2. The private engine, identified by its pidfile; a pid reused by another program is left alone.
pid=$(cat "$pidfile" 2>/dev/null || true)
if [[ -n $pid && $(cat "/proc/$pid/comm" 2>/dev/null) == dockerd ]] &&
  tr '\0' ' ' <"/proc/$pid/cmdline" | grep -qF -- "--pidfile=$pidfile"; then
  log "stopping the private dockerd (pid $pid)"
  kill -TERM "$pid"
  for ((i = 0; i < 150; i++)); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.2
  done
  if kill -0 "$pid" 2>/dev/null; then
    log "dockerd ignored SIGTERM for 30 s; killing it"
    kill -KILL "$pid"
  fi
else
  log "no private dockerd running"
fi
rm -f "$pidfile"

# 3. Mounts left under the data and exec roots (overlay layers, shm, netns), deepest first.
mapfile -t mounts < <(awk -v a="$docker_dir/" -v b="$run_dir/" \
  'index($2, a) == 1 || index($2, b) == 1 { print $2 }' /proc/self/mounts | sort -r)
for m in "${mounts[@]}"; do
  m=$(printf '%b' "$m") # /proc/mounts escapes spaces and the like in octal (\040)
  umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || log "could not unmount $m"
done
((${#mounts[@]} == 0)) || log "unmounted ${#mounts[@]} leftover mount(s)"

if $purge; then
  log "purging $docker_dir"
  rm -rf "$docker_dir"
  [[ $run_dir == /run/regsweep-* ]] && rm -rf "$run_dir"
fi
log "done"
