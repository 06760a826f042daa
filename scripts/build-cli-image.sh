#!/usr/bin/env bash
# Builds a small `regsweep` container image to run next to a registry with its storage mounted:
#   scripts/build-cli-image.sh [tag]          (default tag regsweep:local)
#   docker run --rm -v /var/lib/registry:/var/lib/registry regsweep:local gc --storage /var/lib/registry --dry-run
# No base image is pulled: it is the local busybox:latest (scripts/setup.sh makes it) plus this machine's
# node binary, the libraries it links, and `pnpm deploy` of the CLI.
set -euo pipefail
cd "$(dirname "$0")/.."
tag=${1:-regsweep:local}
[ -f .cache/env.sh ] && . .cache/env.sh
ctx=$(mktemp -d /tmp/regsweep-image-XXXXXX)
trap 'rm -rf "$ctx"' EXIT

pnpm --filter regsweep build >/dev/null
pnpm --filter regsweep deploy --prod "$ctx/app" >/dev/null

node_bin=$(readlink -f "$(command -v node)")
mkdir -p "$ctx/rootfs/usr/local/bin"
cp "$node_bin" "$ctx/rootfs/usr/local/bin/node"
# The libraries node links, at the paths the dynamic loader looks for them.
for lib in $(ldd "$node_bin" | awk '$3 ~ /^\// {print $3} $1 ~ /^\/.*ld-linux/ {print $1}'); do
  mkdir -p "$ctx/rootfs$(dirname "$lib")"
  cp -L "$lib" "$ctx/rootfs$lib"
done

cat > "$ctx/Dockerfile" <<'DOCKERFILE'
FROM busybox:latest
COPY rootfs/ /
COPY app /opt/regsweep
LABEL org.opencontainers.image.title="regsweep" org.opencontainers.image.description="Delete images from distribution registries and free the disk"
ENTRYPOINT ["/usr/local/bin/node", "/opt/regsweep/dist/main.js"]
CMD ["--help"]
DOCKERFILE
DOCKER_BUILDKIT=0 docker build -q -t "$tag" "$ctx" >/dev/null 2>&1 || DOCKER_BUILDKIT=0 docker build -t "$tag" "$ctx"
echo "built $tag"
