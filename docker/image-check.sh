#!/usr/bin/env bash
# Build the dashboard image for real and prove it serves (`make image-check`; ~15 minutes,
# not part of CI). No Docker daemon or Docker Hub is needed:
#   1. a base image is made from Debian packages with mmdebstrap (python3, its venv module)
#      and imported into podman's storage;
#   2. docker/Dockerfile is built on it with `podman build --isolation=chroot --format docker`
#      (the docker format keeps the HEALTHCHECK, which OCI drops);
#   3. the image's command is served with `buildah run --isolation chroot` (where `podman
#      run` is refused by a sandbox's rlimits), and /healthz and a page are fetched;
#   4. the image size, build time and start time (launch to the first /healthz answer) are
#      printed, as lines starting with "image-check:".
# Needs root (or a user set up for rootless podman), podman, buildah, mmdebstrap and curl;
# as root they are installed with apt-get when missing.
# Settings (environment): SUITE (bookworm), MIRROR (Debian mirror, default mmdebstrap's),
# WORK (/tmp/spacekit-image-check), PORT (18050), TAG (localhost/spacekit-dashboard:check),
# BUILD_CA (a CA bundle pip must trust during the build, for a network behind a TLS-inspecting
# proxy; default the host's $PIP_CERT, else none): it is mounted into the build steps only,
# never stored in the image.
set -euo pipefail

SUITE=${SUITE:-bookworm}
MIRROR=${MIRROR:-}
WORK=${WORK:-/tmp/spacekit-image-check}
PORT=${PORT:-18050}
TAG=${TAG:-localhost/spacekit-dashboard:check}
BASE_TAG=localhost/spacekit-base:${SUITE}
ROOT=$(cd "$(dirname "$0")/.." && pwd)

say() { echo "image-check: $*"; }
fail() { say "FAILED: $*"; exit 1; }

missing=()
for tool in podman buildah mmdebstrap curl; do
    command -v "$tool" >/dev/null 2>&1 || missing+=("$tool")
done
if [ ${#missing[@]} -gt 0 ]; then
    [ "$(id -u)" = 0 ] || fail "install ${missing[*]} (apt-get install ${missing[*]})"
    say "installing ${missing[*]}"
    apt-get update -qq && apt-get install -y -qq "${missing[@]}" >/dev/null
fi
mkdir -p "$WORK"

# 1. the base: Debian minbase + python3 + venv (+ passwd for useradd, CA certificates for pip)
t0=$(date +%s)
if ! podman image exists "$BASE_TAG"; then
    say "making the $SUITE base with mmdebstrap"
    rm -f "$WORK/base.tar"
    # shellcheck disable=SC2086
    mmdebstrap --variant=minbase --include=python3,python3-venv,passwd,ca-certificates \
        "$SUITE" "$WORK/base.tar" $MIRROR
    podman import --change 'CMD ["/bin/bash"]' "$WORK/base.tar" "$BASE_TAG" >/dev/null
    rm -f "$WORK/base.tar"
fi
t1=$(date +%s)
say "base image $BASE_TAG ready in $((t1 - t0)) s"

# 2. the image
BUILD_CA=${BUILD_CA:-${PIP_CERT:-}}
mounts=()
if [ -n "$BUILD_CA" ]; then
    [ -f "$BUILD_CA" ] || fail "BUILD_CA=$BUILD_CA is not a file"
    printf '[global]\ncert = /etc/ssl/certs/build-ca.crt\n' >"$WORK/pip.conf"
    mounts=(--volume "$BUILD_CA:/etc/ssl/certs/build-ca.crt:ro" --volume "$WORK/pip.conf:/etc/pip.conf:ro")
    say "pip trusts $BUILD_CA during the build (not stored in the image)"
fi
# the checkout's version (the build context has no git metadata); empty: the fallback version
VERSION=$(cd "$ROOT" && python3 -m setuptools_scm 2>/dev/null || true)
say "image version: ${VERSION:-the fallback in pyproject.toml (no setuptools_scm here)}"
podman build --isolation=chroot --format docker --build-arg "BASE=$BASE_TAG" "${mounts[@]}" \
    --build-arg "SPACEKIT_VERSION=$VERSION" -f "$ROOT/docker/Dockerfile" -t "$TAG" "$ROOT"
t2=$(date +%s)
say "built $TAG in $((t2 - t1)) s"
podman image inspect "$TAG" | grep -q '/healthz' || fail "the image has no HEALTHCHECK on /healthz"
say "HEALTHCHECK kept (docker format)"
size=$(podman image inspect --format '{{.Size}}' "$TAG")
say "image size: $((size / 1000000)) MB ($size bytes)"

# 3. serve it
ctr=$(buildah from --pull-never "$TAG")
log="$WORK/serve.log"
cleanup() {
    if [ -n "${server_pid:-}" ] && kill -0 "$server_pid" 2>/dev/null; then
        kill "$server_pid" 2>/dev/null || true
        wait "$server_pid" 2>/dev/null || true
    fi
    # the dashboard itself, if it outlived buildah: the process listening on our port
    pid=$(ss -Hltnp "sport = :$PORT" 2>/dev/null | sed -n 's/.*pid=\([0-9]*\).*/\1/p' | head -1)
    [ -z "$pid" ] || kill "$pid" 2>/dev/null || true
    buildah rm "$ctr" >/dev/null 2>&1 || true
}
trap cleanup EXIT
start=$(date +%s.%N)
buildah run --isolation chroot "$ctr" -- \
    spacekit dashboard --host 127.0.0.1 --port "$PORT" --runs /runs >"$log" 2>&1 &
server_pid=$!
ready=""
for _ in $(seq 1 240); do
    if curl -fsS "http://127.0.0.1:$PORT/healthz" >"$WORK/healthz.json" 2>/dev/null; then
        ready=$(date +%s.%N)
        break
    fi
    kill -0 "$server_pid" 2>/dev/null || { cat "$log"; fail "the dashboard exited"; }
    sleep 0.5
done
[ -n "$ready" ] || { cat "$log"; fail "no answer on /healthz within 120 s"; }
grep -q '"status": *"ok"' "$WORK/healthz.json" || fail "/healthz said $(cat "$WORK/healthz.json")"
say "start to /healthz: $(awk "BEGIN { printf \"%.1f\", $ready - $start }") s"
# (read whole before grep: grep -q closing the pipe early would fail curl under pipefail)
curl -fsS "http://127.0.0.1:$PORT/evaluate" >"$WORK/evaluate.html" \
    || fail "/evaluate did not answer"
grep -q '<title>spacekit dashboard</title>' "$WORK/evaluate.html" \
    || fail "/evaluate did not serve the dashboard page"
curl -fsS "http://127.0.0.1:$PORT/_dash-layout" >"$WORK/layout.json" \
    || fail "/_dash-layout did not answer"
grep -q 'navbar' "$WORK/layout.json" || fail "/_dash-layout did not answer the app's layout"
say "/healthz and the Evaluate page answer; server: $(curl -sI "http://127.0.0.1:$PORT/healthz" | tr -d '\r' | grep -i '^server:')"
say "OK"
