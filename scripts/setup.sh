#!/usr/bin/env bash
# Prepares this machine for regsweep's integration tests and lab, without Docker Hub:
#   1. apt packages (docker.io docker-registry skopeo busybox-static, the S3 servers: Swift with s3api and
#      memcached, Ceph mon/osd/radosgw; systemd for `systemd-analyze verify`), installed only when missing;
#      no service is started here (the test bed starts S3 servers per run on free ports,
#      packages/testbed/src/s3/);
#   2. real registry binaries of the offline version matrix in .cache/registries/<version>/registry,
#      fetched from the Debian mirror this machine already uses (a private apt state, nothing installed);
#   3. a private Docker engine under .cache/docker when no engine answers;
#   4. .cache/env.sh (DOCKER_HOST and the testcontainers switches) for other scripts to `source`;
#   5. local images: busybox:latest and regsweep/registry:<version>;
#   6. a summary.
# Idempotent: a second run only checks and takes a few seconds. Undo with scripts/teardown.sh.
#
# Environment (all optional):
#   REGSWEEP_CACHE_DIR         cache folder (default: <repo>/.cache)
#   REGSWEEP_REGISTRY_VERSIONS "version:debian-suite ..." (default below; must match the lab's version table)
#   REGSWEEP_DEBIAN_MIRROR     Debian archive URI when the apt config names none (e.g. on Ubuntu)
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive NEEDRESTART_SUSPEND=1

started_ms=$(date +%s%3N)
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cache=${REGSWEEP_CACHE_DIR:-$repo/.cache}
# Kept in step with packages/testbed/src/registry-versions.ts (the entries that have `debian`).
read -r -a matrix <<<"${REGSWEEP_REGISTRY_VERSIONS:-2.7.1:bullseye 2.8.2:bookworm 2.8.3:trixie}"
# redis-server: the live-GC tests evict from a real redis (started per test on a free port, never as a service).
# systemd: only for `systemd-analyze verify` of deploy/systemd (nothing is started; works without systemd running).
apt_packages=(docker.io docker-registry skopeo busybox-static ca-certificates openssl apache2-utils curl tmux
  swift-proxy swift-account swift-container swift-object memcached ceph-mon ceph-osd radosgw ceph-common
  redis-server chromium systemd)

log() { printf '[setup] %s\n' "$*"; }
warn() { printf '[setup] WARNING: %s\n' "$*" >&2; }
die() {
  printf '[setup] ERROR: %s\n' "$*" >&2
  exit 1
}

mkdir -p "$cache"

# --- 1. system packages ---------------------------------------------------------------------------------

is_installed() { [[ $(dpkg-query -W -f='${Status}' "$1" 2>/dev/null) == "install ok installed" ]]; }

install_packages() {
  local missing=() p
  if command -v dpkg-query >/dev/null; then
    for p in "${apt_packages[@]}"; do is_installed "$p" || missing+=("$p"); done
  else
    missing=("${apt_packages[@]}")
  fi
  if ((${#missing[@]} == 0)); then
    log "apt packages: all present"
    return
  fi
  if [[ $(id -u) != 0 ]] || ! command -v apt-get >/dev/null; then
    die "missing packages: ${missing[*]}
  This script installs them with apt-get as root on Debian/Ubuntu. Elsewhere install by hand:
  a Docker engine (dockerd + docker CLI), the distribution registry, skopeo, a static busybox,
  ca-certificates, openssl, htpasswd (apache2-utils) and curl; or use the Vagrantfile."
  fi
  log "apt packages: installing ${missing[*]}"
  # No services get started: containers and chroots have no init, and we start dockerd ourselves (and the
  # test bed its S3 servers); where policy-rc.d allows it, the packages' own daemons are stopped below.
  # needrestart would ask about daemons: there are none to restart here.
  if ! { apt-get update -qq && apt-get install -y -qq --no-install-recommends "${missing[@]}"; } \
    >"$cache/apt-install.log" 2>&1; then
    tail -n 20 "$cache/apt-install.log" >&2
    die "apt-get could not install ${missing[*]} (full log: $cache/apt-install.log)"
  fi
  # On a machine with systemd the S3 packages start their own daemons on fixed ports: the tests never use
  # them (they start private servers on free ports), so they are stopped and disabled.
  if [[ -d /run/systemd/system ]] && command -v systemctl >/dev/null; then
    systemctl disable --now memcached.service 'swift-*.service' 'ceph*.service' 'ceph*.target' \
      >>"$cache/apt-install.log" 2>&1 || true
  fi
}

[[ $(id -u) == 0 ]] || die "run as root (it installs packages and starts a Docker engine); on other machines use the Vagrantfile"
install_packages
for cmd in docker dockerd skopeo busybox curl openssl swift-proxy-server memcached ceph-mon ceph-osd radosgw redis-server \
  systemd-analyze; do
  command -v "$cmd" >/dev/null || die "'$cmd' is not on PATH although its package is installed"
done

# --- 2. registry binaries from the Debian archive ------------------------------------------------------

# Prints the first Debian archive URI of the machine's apt sources: a `deb` entry whose suites include a
# Debian release name. Read at run time so no mirror host is ever written into the repository.
debian_mirror() {
  if [[ -n ${REGSWEEP_DEBIAN_MIRROR:-} ]]; then
    echo "$REGSWEEP_DEBIAN_MIRROR"
    return
  fi
  local release='^(buster|bullseye|bookworm|trixie|forky|duke|sid|oldstable|stable|testing|unstable)$'
  local f uri
  for f in /etc/apt/sources.list.d/*.sources; do
    [[ -r $f ]] || continue
    uri=$(awk -v release="$release" '
      BEGIN { RS = ""; FS = "\n" }
      {
        types = ""; uris = ""; suites = ""; enabled = "yes"
        for (i = 1; i <= NF; i++) {
          if ($i ~ /^[ \t]*#/) continue
          split($i, kv, ":"); key = tolower(kv[1]); value = substr($i, length(kv[1]) + 2)
          if (key == "types") types = value
          else if (key == "uris") uris = value
          else if (key == "suites") suites = value
          else if (key == "enabled") enabled = tolower(value)
        }
        if (enabled ~ /no/ || types !~ /(^|[ \t])deb([ \t]|$)/) next
        n = split(suites, s, /[ \t]+/)
        for (j = 1; j <= n; j++) if (s[j] ~ release) { split(uris, u, /[ \t]+/); for (k in u) if (u[k] != "") { print u[k]; exit } }
      }' "$f")
    [[ -n $uri ]] && echo "$uri" && return
  done
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [[ -r $f ]] || continue
    uri=$(sed -E 's/\[[^]]*\]//' "$f" | awk -v release="$release" '$1 == "deb" && $3 ~ release { print $2; exit }')
    [[ -n $uri ]] && echo "$uri" && return
  done
  return 1
}

# Runs apt with a private state in $cache/apt: its own sources, lists and caches, so the system's apt
# is neither used nor changed. Valid-Until is off because snapshot mirrors serve expired Release files.
private_apt() {
  local tool=$1
  shift
  "$tool" \
    -o Dir::Etc::SourceList="$cache/apt/sources.list" \
    -o Dir::Etc::SourceParts="$cache/apt/sources.list.d" \
    -o Dir::State::Lists="$cache/apt/lists" \
    -o Dir::Cache="$cache/apt/cache" \
    -o Dir::Etc::Preferences=/dev/null \
    -o Dir::Etc::PreferencesParts="$cache/apt/preferences.d" \
    -o APT::Architectures="$(dpkg --print-architecture)" \
    -o Acquire::Languages=none \
    -o Acquire::Check-Valid-Until=false \
    -o APT::Sandbox::User=root \
    "$@"
}

# A cached binary is good when its VERSION matches and it runs.
binary_ok() {
  local dir=$cache/registries/$1
  [[ -x $dir/registry && $(head -n1 "$dir/VERSION" 2>/dev/null) == "$1" ]] &&
    "$dir/registry" --version 2>/dev/null | grep -q -- "$1"
}

fetch_registries() {
  local wanted=() entry version suite
  for entry in "${matrix[@]}"; do
    binary_ok "${entry%%:*}" || wanted+=("$entry")
  done
  ((${#wanted[@]} == 0)) && log "registry binaries: all cached" && return

  # The system's own docker-registry serves its version without any download (and works on Ubuntu).
  local system_version remaining=()
  system_version=$(docker-registry --version 2>/dev/null | awk '{ print $3 }' | sed -E 's/^v//; s/[+-].*//' || true)
  for entry in "${wanted[@]}"; do
    version=${entry%%:*}
    if [[ $version == "$system_version" ]]; then
      mkdir -p "$cache/registries/$version"
      install -m 0755 "$(command -v docker-registry)" "$cache/registries/$version/registry"
      echo "$version" >"$cache/registries/$version/VERSION"
      echo "system package docker-registry $(dpkg-query -W -f='${Version}' docker-registry)" \
        >"$cache/registries/$version/SOURCE"
      binary_ok "$version" && log "registry $version: copied from the system's docker-registry" && continue
    fi
    remaining+=("$entry")
  done
  wanted=("${remaining[@]}")
  ((${#wanted[@]} == 0)) && return

  local mirror
  if ! mirror=$(debian_mirror); then
    warn "no Debian archive in /etc/apt/sources.list{,.d}: to fetch the other registry versions set" \
      "REGSWEEP_DEBIAN_MIRROR (and install debian-archive-keyring)"
    return
  fi
  mkdir -p "$cache/apt/lists/partial" "$cache/apt/cache/archives/partial" "$cache/apt/sources.list.d" \
    "$cache/apt/preferences.d"
  local keyring=/usr/share/keyrings/debian-archive-keyring.gpg
  : >"$cache/apt/sources.list.new"
  for entry in "${wanted[@]}"; do
    echo "deb [signed-by=$keyring] $mirror ${entry#*:} main" >>"$cache/apt/sources.list.new"
  done
  mv "$cache/apt/sources.list.new" "$cache/apt/sources.list"
  log "registry binaries: fetching ${wanted[*]%%:*} (private apt index of the configured Debian mirror)"
  if ! private_apt apt-get update -qq >"$cache/apt/update.log" 2>&1; then
    # One bad suite makes update fail although the others were fetched; carry on and report per version.
    warn "apt-get update on the private sources reported errors (see $cache/apt/update.log)"
  fi

  local work
  work=$(mktemp -d)
  for entry in "${wanted[@]}"; do
    version=${entry%%:*}
    suite=${entry#*:}
    # The exact Debian version whose upstream part is $version, from the wanted suite.
    local debver
    debver=$(private_apt apt-cache madison docker-registry 2>/dev/null |
      awk -F' *[|] *' -v v="$version" -v s=" $suite/" '
        { dv = $2; up = dv; sub(/^[0-9]+:/, "", up) }
        (up == v || index(up, v "+") == 1 || index(up, v "-") == 1) && index($3, s) { print dv; exit }')
    if [[ -z $debver ]]; then
      warn "registry $version: no docker-registry $version in $suite on the configured mirror; skipped"
      continue
    fi
    rm -rf "${work:?}"/*
    if ! (cd "$work" && private_apt apt-get download -qq "docker-registry=$debver" >/dev/null 2>&1); then
      warn "registry $version: apt-get download docker-registry=$debver failed; skipped"
      continue
    fi
    dpkg-deb -x "$work"/docker-registry_*.deb "$work/root"
    local dir=$cache/registries/$version
    mkdir -p "$dir"
    install -m 0755 "$work/root/usr/bin/docker-registry" "$dir/registry"
    echo "$version" >"$dir/VERSION"
    echo "debian docker-registry $debver ($suite)" >"$dir/SOURCE"
    if binary_ok "$version"; then
      log "registry $version: $("$dir/registry" --version)"
    else
      warn "registry $version: the binary from docker-registry $debver does not run here; skipped"
      rm -f "$dir/registry" "$dir/VERSION"
    fi
  done
  rm -rf "$work"
}

fetch_registries
available=()
for entry in "${matrix[@]}"; do
  binary_ok "${entry%%:*}" && available+=("${entry%%:*}")
done
((${#available[@]} > 0)) || die "no registry version could be obtained (wanted: ${matrix[*]%%:*})"

# --- 3. Docker engine -------------------------------------------------------------------------------------

docker_dir=$cache/docker
pidfile=$docker_dir/docker.pid
mkdir -p "$docker_dir"
# Unix socket paths are limited to ~108 bytes and containerd nests sockets below the exec root, so a deep
# checkout gets a short exec root under /run, named after the cache folder. Recorded in paths.env.
if ((${#docker_dir} > 48)); then
  run_dir=/run/regsweep-$(printf '%s' "$cache" | sha256sum | cut -c1-12)
else
  run_dir=$docker_dir
fi
exec_root=$run_dir/exec
socket=$run_dir/docker.sock

engine_answers() { DOCKER_HOST=$1 timeout 20 docker info >/dev/null 2>&1; }

our_dockerd_pid() {
  local pid
  pid=$(cat "$pidfile" 2>/dev/null) || return 1
  [[ -n $pid && $(cat "/proc/$pid/comm" 2>/dev/null) == dockerd ]] && echo "$pid"
}

start_dockerd() {
  local driver=$1 pid i
  log "docker engine: starting a private dockerd ($driver), log in $docker_dir/dockerd.log"
  mkdir -p "$exec_root" "$docker_dir/root"
  # --bridge=none keeps every container off the 172.17.x bridge: host networking or none.
  setsid dockerd --storage-driver="$driver" --iptables=false --ip-masq=false --bridge=none \
    --data-root="$docker_dir/root" --exec-root="$exec_root" --pidfile="$pidfile" \
    -H "unix://$socket" </dev/null >>"$docker_dir/dockerd.log" 2>&1 &
  pid=$!
  for ((i = 0; i < 150; i++)); do
    engine_answers "unix://$socket" && return 0
    kill -0 "$pid" 2>/dev/null || return 1
    sleep 0.2
  done
  kill "$pid" 2>/dev/null || true
  return 1
}

if [[ -n $(our_dockerd_pid || true) ]] && engine_answers "unix://$socket"; then
  docker_host=unix://$socket
  log "docker engine: private dockerd already running ($socket)"
elif [[ -z $(our_dockerd_pid || true) ]] && engine_answers "${DOCKER_HOST:-unix:///var/run/docker.sock}"; then
  docker_host=${DOCKER_HOST:-unix:///var/run/docker.sock}
  log "docker engine: using the running engine at $docker_host"
else
  [[ -z $(our_dockerd_pid || true) ]] || die "the private dockerd (pid $(cat "$pidfile")) does not answer; run scripts/teardown.sh"
  # The data root remembers its driver; otherwise try overlay2 (about twice as fast) before vfs.
  if [[ -d $docker_dir/root/vfs && ! -d $docker_dir/root/overlay2 ]]; then drivers=(vfs); else drivers=(overlay2 vfs); fi
  docker_host=
  for driver in "${drivers[@]}"; do
    if start_dockerd "$driver"; then
      docker_host=unix://$socket
      break
    fi
    warn "dockerd with $driver did not start (tail of the log follows)"
    tail -n 3 "$docker_dir/dockerd.log" >&2
  done
  [[ -n $docker_host ]] || die "could not start dockerd; see $docker_dir/dockerd.log"
fi
export DOCKER_HOST=$docker_host
printf 'exec_root=%q\nsocket=%q\n' "$exec_root" "$socket" >"$docker_dir/paths.env"

# --- 4. env file ---------------------------------------------------------------------------------------

env_file=$cache/env.sh
env_text="# Written by scripts/setup.sh: the Docker engine the tests use. Source it: . .cache/env.sh
export DOCKER_HOST=$docker_host
# Ryuk's image cannot be pulled here; tests clean up by the org.testcontainers=true label instead.
export TESTCONTAINERS_RYUK_DISABLED=true
# The machine has /.dockerenv: without this testcontainers probes the host with a pulled alpine container.
export TESTCONTAINERS_HOST_OVERRIDE=127.0.0.1"
[[ -f $env_file && $(cat "$env_file") == "$env_text" ]] || printf '%s\n' "$env_text" >"$env_file"

# --- 5. local images -----------------------------------------------------------------------------------

image_hash() { docker image inspect -f '{{index .Config.Labels "org.regsweep.content-hash"}}' "$1" 2>/dev/null || true; }

# busybox:latest from the static busybox: every fixture and registry image builds on it, and a missing
# base would make the engine try Docker Hub.
busybox_bin=/bin/busybox
ldd "$busybox_bin" >/dev/null 2>&1 && die "$busybox_bin is dynamically linked: install busybox-static"
busybox_hash=$(cat "$busybox_bin" <(echo "busybox-rootfs-v1") | sha256sum | cut -c1-64)
if [[ $(image_hash busybox:latest) != "$busybox_hash" ]]; then
  log "image busybox:latest: importing a rootfs of $busybox_bin"
  rootfs=$(mktemp -d)
  mkdir -p "$rootfs"/{bin,tmp,etc,root}
  chmod 1777 "$rootfs/tmp"
  cp "$busybox_bin" "$rootfs/bin/busybox"
  while read -r applet; do
    [[ $applet == bin/busybox ]] && continue
    mkdir -p "$rootfs/$(dirname "$applet")"
    ln -sf /bin/busybox "$rootfs/$applet"
  done < <("$busybox_bin" --list-full)
  echo 'root:x:0:0:root:/root:/bin/sh' >"$rootfs/etc/passwd"
  echo 'root:x:0:' >"$rootfs/etc/group"
  tar -C "$rootfs" -cf - . | docker import --change 'CMD ["sh"]' \
    --change "LABEL org.regsweep.content-hash=$busybox_hash" - busybox:latest >/dev/null
  rm -rf "$rootfs"
else
  log "image busybox:latest: present"
fi
busybox_id=$(docker image inspect -f '{{.Id}}' busybox:latest)

# regsweep/registry:<version>: the cached binary plus the libraries ldd names, on busybox. The label
# hashes binary, libraries and base, so any change rebuilds the image.
for version in "${available[@]}"; do
  binary=$cache/registries/$version/registry
  mapfile -t libs < <(ldd "$binary" 2>/dev/null | grep -oE '/[^ ]+' | sort -u || true)
  hash=$(cat "$binary" "${libs[@]}" <(echo "$busybox_id registry-image-v1") | sha256sum | cut -c1-64)
  image=regsweep/registry:$version
  if [[ $(image_hash "$image") == "$hash" ]]; then
    log "image $image: present"
    continue
  fi
  log "image $image: building"
  ctx=$(mktemp -d)
  mkdir -p "$ctx/rootfs/usr/local/bin"
  cp "$binary" "$ctx/rootfs/usr/local/bin/registry"
  for lib in "${libs[@]}"; do
    mkdir -p "$ctx/rootfs$(dirname "$lib")"
    cp -L "$lib" "$ctx/rootfs$lib"
  done
  cat >"$ctx/Dockerfile" <<EOF
FROM busybox:latest
COPY rootfs/ /
LABEL org.regsweep.content-hash="$hash" org.regsweep.registry-version="$version"
ENTRYPOINT ["/usr/local/bin/registry"]
CMD ["--version"]
EOF
  # The legacy builder needs no buildx plugin and no network; --network none keeps builds offline.
  DOCKER_BUILDKIT=0 docker build -q --network none -t "$image" "$ctx" >/dev/null 2>"$ctx/build.err" ||
    die "building $image failed: $(cat "$ctx/build.err")"
  rm -rf "$ctx"
  docker run --rm --network none "$image" --version | grep -q -- "$version" ||
    die "$image does not run its registry"
done

# --- 6. summary ------------------------------------------------------------------------------------------

missing_versions=()
for entry in "${matrix[@]}"; do
  [[ " ${available[*]} " == *" ${entry%%:*} "* ]] || missing_versions+=("${entry%%:*}")
done
log "registry versions: ${available[*]}${missing_versions:+ (unavailable: ${missing_versions[*]})}"
log "docker engine: $docker_host ($(docker info -f '{{.Driver}}' 2>/dev/null) storage)"
log "environment: source $env_file"
elapsed_ms=$(($(date +%s%3N) - started_ms))
log "done in $((elapsed_ms / 1000)).$((elapsed_ms % 1000 / 100)) s"
