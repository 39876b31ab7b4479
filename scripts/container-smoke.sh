#!/usr/bin/env bash
# Build the image, run it, and check it as a user would: /_sim/health answers, the container's
# HEALTHCHECK turns healthy, and a vendor operation answers with a token made inside the container.
#
#   scripts/container-smoke.sh                       # docker, python:3.11-slim base
#   BASE_IMAGE=my-registry/python:3.11 scripts/container-smoke.sh
#   CONTAINER_ENGINE=podman SMOKE_PORT=18080 scripts/container-smoke.sh
#
# Needs a container engine (docker or podman) and curl. Cleans up the container; keeps the image.
set -euo pipefail
cd "$(dirname "$0")/.."

engine=${CONTAINER_ENGINE:-docker}
base=${BASE_IMAGE:-python:3.11-slim}
tag=${IMAGE_TAG:-vendor-api-simulator:smoke}
port=${SMOKE_PORT:-18000}
network=${SMOKE_NETWORK:-}   # e.g. "host" where the engine has no bridge network

echo "building $tag on $base with $engine"
build_args=(--build-arg "BASE_IMAGE=$base" -t "$tag")
[[ -n $network ]] && build_args+=(--network "$network")
"$engine" build "${build_args[@]}" .

run_args=(-d)
if [[ $network == host ]]; then
  run_args+=(--network host -e SIM_HOST=127.0.0.1 -e "SIM_PORT=$port")
else
  [[ -n $network ]] && run_args+=(--network "$network")
  run_args+=(-p "127.0.0.1:$port:8000")
fi
container=$("$engine" run "${run_args[@]}" "$tag")
trap '"$engine" rm -f "$container" >/dev/null 2>&1 || true' EXIT
url="http://127.0.0.1:$port"

for _ in $(seq 1 150); do
  curl -fsS "$url/_sim/health" >/dev/null 2>&1 && break
  sleep 0.2
done
curl -fsS "$url/_sim/health" | grep -q '"status":"ok"' || { "$engine" logs "$container"; echo "FAIL: no health"; exit 1; }
echo "ok: /_sim/health"

user=$("$engine" exec "$container" id -u)
[[ $user != 0 ]] || { echo "FAIL: the container runs as root"; exit 1; }
echo "ok: runs as uid $user"

token=$("$engine" exec "$container" simulator token prevail)
curl -fsS -H "Authorization: Bearer $token" "$url/api/v1/session_requests?items=1" | grep -q '"pagy"' \
  || { echo "FAIL: GET /api/v1/session_requests"; exit 1; }
echo "ok: GET /api/v1/session_requests"

admin_token=$("$engine" logs "$container" 2>&1 | sed -n 's/^admin token .*: //p' | head -1)
[[ -n $admin_token ]] || { echo "FAIL: no admin token printed at start"; exit 1; }
code=$(curl -s -o /dev/null -w '%{http_code}' "$url/_sim/journal")
[[ $code == 401 ]] || { echo "FAIL: /_sim/journal without the admin token answered $code"; exit 1; }
curl -fsS -H "X-Sim-Admin-Token: $admin_token" "$url/_sim/journal" >/dev/null \
  || { echo "FAIL: /_sim/journal with the admin token"; exit 1; }
echo "ok: the admin API asks for the printed token"

status=""
for _ in $(seq 1 60); do
  status=$("$engine" inspect --format '{{.State.Health.Status}}' "$container" 2>/dev/null || echo none)
  [[ $status == healthy ]] && break
  sleep 1
done
[[ $status == healthy ]] || { echo "FAIL: HEALTHCHECK status is '$status'"; exit 1; }
echo "ok: HEALTHCHECK healthy"
echo "container smoke test passed"
