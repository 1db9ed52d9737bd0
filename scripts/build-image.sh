#!/usr/bin/env bash
# Builds the Ashyq image without any image registry or the Python package index, the way CI does and the
# way an administrator on a closed network would:
#   1. a base image from Debian bookworm made with debootstrap and `podman import` (python3.11, the libraries
#      and fonts the protocol PDFs need), unless it exists already;
#   2. the offline bundle under build/offline/: a wheelhouse (`pip wheel` of the project and every pinned
#      dependency) and an npm cache holding the pinned htmx;
#   3. `podman build` of the Dockerfile with BASE_IMAGE pointing at the local base image; inside, pip runs with
#      --no-index and npm with --offline, so nothing is fetched from the Python index or the npm registry;
#   4. a PostgreSQL image from Debian's packages (compose/postgres), for compose.yaml's POSTGRES_IMAGE where the
#      official one cannot be pulled.
# Steps 1 and 2 need a Debian mirror, PyPI and the npm registry (or mirrors of them: DEBIAN_MIRROR,
# PIP_INDEX_URL, npm_config_registry); step 3 needs nothing but a Debian mirror for the build stage's nodejs.
#
# Usage: scripts/build-image.sh [--rebuild-base]
# Environment: IMAGE (localhost/ashyq:latest), BASE_IMAGE (localhost/ashyq-base:bookworm),
#              POSTGRES_IMAGE (localhost/ashyq-postgres:15; empty: not built),
#              DEBIAN_MIRROR (http://deb.debian.org/debian), PODMAN_RUNTIME (runc; see scripts/podman-limits.sh).
set -euo pipefail
cd "$(dirname "$0")/.."

IMAGE=${IMAGE:-localhost/ashyq:latest}
BASE_IMAGE=${BASE_IMAGE:-localhost/ashyq-base:bookworm}
POSTGRES_IMAGE=${POSTGRES_IMAGE-localhost/ashyq-postgres:15}
DEBIAN_MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
OFFLINE=build/offline
# What the runtime needs from Debian besides Python: WeasyPrint's Pango and HarfBuzz, serif fonts that cover
# every Kazakh letter (see README: Documents). The Dockerfile installs the same list when the base lacks it.
BASE_PACKAGES=python3,python3-venv,ca-certificates,tzdata,libpango-1.0-0,libpangoft2-1.0-0,libharfbuzz-subset0,fonts-dejavu-core,fonts-liberation2,postgresql-client

log() { printf '\n==> %s\n' "$*"; }
seconds() { date +%s; }
started=$(seconds)

for tool in podman debootstrap python3 npm; do
  command -v "$tool" >/dev/null || { echo "build-image: $tool is missing (apt-get install podman debootstrap python3-venv npm)" >&2; exit 1; }
done

# shellcheck source=scripts/podman-limits.sh
. scripts/podman-limits.sh
podman_fit_limits

rebuild_base=false
[ "${1:-}" = "--rebuild-base" ] && rebuild_base=true

# --- 1. the base image -------------------------------------------------------------------------------------
if $rebuild_base || ! podman image exists "$BASE_IMAGE"; then
  log "base image $BASE_IMAGE: debootstrap bookworm from $DEBIAN_MIRROR"
  rootfs=$(mktemp -d /var/tmp/ashyq-rootfs.XXXXXX)
  trap 'rm -rf "$rootfs"' EXIT
  debootstrap --variant=minbase --include="$BASE_PACKAGES" bookworm "$rootfs" "$DEBIAN_MIRROR" >"$rootfs.log" 2>&1 \
    || { tail -n 30 "$rootfs.log" >&2; exit 1; }
  rm -f "$rootfs.log"
  # Security updates, as the official images carry them.
  printf 'deb %s bookworm main\ndeb %s bookworm-updates main\ndeb http://deb.debian.org/debian-security bookworm-security main\n' \
    "$DEBIAN_MIRROR" "$DEBIAN_MIRROR" >"$rootfs/etc/apt/sources.list"
  rm -rf "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/usr/share/doc/* \
         "$rootfs"/usr/share/man/* "$rootfs"/usr/share/info/*
  tar -C "$rootfs" --numeric-owner -c . | podman import \
    --change 'ENV LANG=C.UTF-8' --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'CMD ["/bin/bash"]' --message "debootstrap bookworm minbase + python3 (ashyq)" - "$BASE_IMAGE" >/dev/null
  rm -rf "$rootfs"
  trap - EXIT
  podman run --rm --runtime "$PODMAN_RUNTIME" "$BASE_IMAGE" python3 --version
else
  log "base image $BASE_IMAGE exists (--rebuild-base makes it again)"
fi
base_done=$(seconds)

# --- 2. the offline bundle: wheelhouse and npm cache -------------------------------------------------------
log "wheelhouse: pip wheel of the project and its pinned dependencies into $OFFLINE/wheels"
mkdir -p "$OFFLINE"
python3 -m venv build/wheel-venv
build/wheel-venv/bin/pip install -q --upgrade pip
# setuptools too: the image installs the project itself from its source (editable), which needs the backend.
build/wheel-venv/bin/pip wheel -q --wheel-dir "$OFFLINE/wheels" . "setuptools>=75"
ls "$OFFLINE/wheels" | wc -l | xargs printf '%s wheels\n'

log "npm cache with the pinned htmx (web/package-lock.json) into $OFFLINE/npm-cache"
scratch=$(mktemp -d)
cp web/package.json web/package-lock.json "$scratch/"
npm ci --prefix "$scratch" --cache "$PWD/$OFFLINE/npm-cache" --no-audit --no-fund --silent
rm -rf "$scratch"
bundle_done=$(seconds)

# --- 3. the image ------------------------------------------------------------------------------------------
log "podman build $IMAGE (BASE_IMAGE=$BASE_IMAGE, offline bundle)"
podman build --runtime "$PODMAN_RUNTIME" --build-arg BASE_IMAGE="$BASE_IMAGE" --build-arg NODE_IMAGE="$BASE_IMAGE" \
  --build-arg OFFLINE=1 -t "$IMAGE" .
podman run --rm --runtime "$PODMAN_RUNTIME" "$IMAGE" ashyq --help >/dev/null
build_done=$(seconds)

# --- 4. PostgreSQL ---------------------------------------------------------------------------------------------
if [ -n "$POSTGRES_IMAGE" ]; then
  log "podman build $POSTGRES_IMAGE (PostgreSQL 15 from Debian's packages)"
  podman build --runtime "$PODMAN_RUNTIME" --build-arg BASE_IMAGE="$BASE_IMAGE" -t "$POSTGRES_IMAGE" compose/postgres
fi
postgres_done=$(seconds)

log "built $IMAGE: base $((base_done - started)) s, offline bundle $((bundle_done - base_done)) s, image $((build_done - bundle_done)) s, PostgreSQL image $((postgres_done - build_done)) s"
