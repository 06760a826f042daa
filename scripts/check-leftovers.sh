#!/usr/bin/env bash
# Fails (exit 1, listing them) if a run left something running. .ci/run calls it after the tests:
#   scripts/check-leftovers.sh containers
#       any container on the lab's engine (before teardown, which would remove them and hide the leak);
#       on an engine setup did not start itself, only the test bed's (labels org.regsweep.lab and
#       org.testcontainers) count.
#   scripts/check-leftovers.sh processes SINCE
#       any process started after SINCE (clock ticks since boot, /proc/PID/stat field 22) whose working
#       directory, executable or command line is inside this clone, or whose command line names a
#       /tmp/regsweep-* path (the test bed's registry configs, its Swift and Ceph run folders), unless that
#       folder's `owner` file names another checkout's cache (servers chdir to /), or, without one, the
#       process runs from another regsweep checkout.
#       The caller, its parents, and its children still running (this script) are not counted.
# It stops nothing: it says what is left and how to stop it.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cache=${REGSWEEP_CACHE_DIR:-$repo/.cache}

log() { printf '[leftovers] %s\n' "$*" >&2; }

# One pass over /proc (builtins only, no fork per process): parent and start time of every process.
declare -A ppid_of=() ticks_of=()
read_proc_table() {
  local stat rest fields
  for stat in /proc/[0-9]*/stat; do
    read -r rest 2>/dev/null <"$stat" || continue
    local pid=${rest%% *}
    rest=${rest##*) } # the command name (field 2) may hold spaces and ')': fields start after the last ') '
    read -r -a fields <<<"$rest"
    ppid_of[$pid]=${fields[1]}
    ticks_of[$pid]=${fields[19]}
  done
}

# True if $1 is $2 or one of its descendants.
descends_from() {
  local pid=$1 ancestor=$2
  while [[ -n $pid && $pid != 0 ]]; do
    [[ $pid == "$ancestor" ]] && return 0
    pid=${ppid_of[$pid]:-}
  done
  return 1
}

# True if the folder is inside a regsweep checkout other than this clone (another worktree's tests).
in_other_checkout() {
  local dir=$1
  while [[ -n $dir && $dir != / ]]; do
    if [[ -f $dir/pnpm-workspace.yaml ]] && grep -q '"regsweep-monorepo"' "$dir/package.json" 2>/dev/null; then
      [[ $dir != "$repo" ]]
      return
    fi
    dir=$(dirname "$dir")
  done
  return 1
}

under_repo() { [[ $1 == "$repo" || $1 == "$repo"/* ]]; }

# True if a command line naming a /tmp/regsweep-* folder is this clone's: the test bed writes an `owner`
# file (its cache folder) into the run folders of the S3 servers it starts (Swift and Ceph chdir to /, so
# their working directory says nothing); a folder without one falls back to the working directory.
names_our_run_dir() {
  local cmd=$1 cwd=$2 dir
  [[ $cmd =~ (/tmp/regsweep-[^/[:space:]]+) ]] || return 1
  dir=${BASH_REMATCH[1]}
  if [[ -f $dir/owner ]]; then
    [[ $(<"$dir/owner") == "$cache" ]]
    return
  fi
  ! in_other_checkout "$cwd"
}

check_processes() {
  local since=$1 found=0 pid cwd exe cmd args
  local caller=$PPID
  read_proc_table
  for pid in "${!ticks_of[@]}"; do
    ((ticks_of[$pid] >= since)) || continue
    # Whoever called this script (.ci/run), its parents, and what it still runs (this script, a pipe it
    # reads) are not leftovers: a process left behind has lost its parent and belongs to init by now.
    descends_from "$pid" "$caller" && continue
    descends_from "$caller" "$pid" && continue
    args=()
    mapfile -d '' -t args 2>/dev/null <"/proc/$pid/cmdline" || continue
    ((${#args[@]} > 0)) || continue # kernel threads
    cmd="${args[*]}"
    cwd=$(readlink "/proc/$pid/cwd" 2>/dev/null || true)
    exe=$(readlink "/proc/$pid/exe" 2>/dev/null || true)
    if under_repo "$cwd" || under_repo "${exe% (deleted)}" || [[ $cmd == *"$repo/"* ]] ||
      names_our_run_dir "$cmd" "$cwd"; then
      ((found++)) || true
      printf '  pid %s (cwd %s): %s\n' "$pid" "${cwd:-?}" "$cmd"
    fi
  done
  if ((found > 0)); then
    log "$found process(es) started by this run from $repo are still running (listed above; kill PID stops one)"
    return 1
  fi
  log "no process from $repo is left running"
}

check_containers() {
  local engine="" private_socket=$cache/docker/docker.sock
  # shellcheck source=/dev/null
  [[ -f $cache/docker/paths.env ]] && private_socket=$(source "$cache/docker/paths.env" && echo "${socket:-$private_socket}")
  [[ -f $cache/env.sh ]] && engine=$(sed -n 's/^export DOCKER_HOST=//p' "$cache/env.sh")
  engine=${engine:-${DOCKER_HOST:-}}
  if [[ -z $engine ]]; then
    log "no lab engine configured (.cache/env.sh): no containers to check"
    return 0
  fi
  if ! DOCKER_HOST=$engine timeout 20 docker info >/dev/null 2>&1; then
    log "the lab engine ($engine) does not answer: no container can be running there"
    return 0
  fi
  local ids=() lines
  if [[ $engine == "unix://$private_socket" ]]; then
    mapfile -t ids < <(DOCKER_HOST=$engine docker ps -aq)
  else
    # A shared engine: only what the test bed and the lab start is ours (docker ANDs different label
    # filters, so ask once per label).
    mapfile -t ids < <(for f in label=org.regsweep.lab label=org.testcontainers=true; do
      DOCKER_HOST=$engine docker ps -aq --filter "$f"
    done | sort -u)
  fi
  if ((${#ids[@]} > 0)); then
    lines=$(DOCKER_HOST=$engine docker inspect --format \
      '  {{.ID}} {{.Config.Image}} {{.State.Status}} {{.Name}} {{json .Config.Labels}}' "${ids[@]}" | cut -c1-220)
    printf '%s\n' "$lines"
    log "${#ids[@]} container(s) are still on the lab engine $engine (listed above; docker rm -f ID removes one)"
    return 1
  fi
  log "no container is left on the lab engine $engine"
}

case "${1:-}" in
containers) check_containers ;;
processes)
  [[ ${2:-} =~ ^[0-9]+$ ]] || {
    echo "usage: $0 processes SINCE-TICKS" >&2
    exit 2
  }
  check_processes "$2"
  ;;
*)
  sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'
  exit 2
  ;;
esac
