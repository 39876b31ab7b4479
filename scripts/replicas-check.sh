#!/usr/bin/env bash
# Three replicas behind nginx on loopback, routed by namespace (deploy/nginx.conf with its upstream
# pointed at them): 20 namespaces go through whole Prevail lifecycles through nginx, each must live on
# exactly one replica, then one replica is killed and only its namespaces may be affected.
#
#   scripts/replicas-check.sh            # installs nginx with apt-get when it is missing
#   PYTHON=.venv/bin/python scripts/replicas-check.sh
#   NAMESPACES=40 scripts/replicas-check.sh
#
# nginx runs in the foreground from a temporary prefix (its own pid, logs and temp paths), so no
# system configuration is read or changed. Everything started here is stopped on exit.
set -euo pipefail
cd "$(dirname "$0")/.."
python=${PYTHON:-python3}
namespaces=${NAMESPACES:-20}

if ! command -v nginx >/dev/null 2>&1; then
  echo "nginx is missing: installing it with apt-get"
  if [[ $(id -u) == 0 ]]; then apt-get install -y nginx >/dev/null; else sudo apt-get install -y nginx >/dev/null; fi
fi
nginx_bin=$(command -v nginx)

work=$(mktemp -d)
pids=()
cleanup() {
  local status=$?
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$work"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() { "$python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

wait_up() {  # URL LOG
  for _ in $(seq 1 200); do
    "$python" -c "import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=1)" "$1" 2>/dev/null && return 0
    sleep 0.1
  done
  echo "FAIL: $1 did not come up"; cat "$2"; exit 1
}

replica_args=()
nginx_conf=$(cat deploy/nginx.conf)
for n in 1 2 3; do
  port=$(free_port)
  env -u SIM_ADMIN_TOKEN "$python" -m simulator serve --port "$port" --replica-name "r$n" \
    --clock-start 2025-01-20T15:00:00Z --freeze-clock --webhook-policy loopback >"$work/r$n.log" 2>&1 &
  pids+=($!)
  replica_args+=(--replica "r$n,http://127.0.0.1:$port,$!")
  nginx_conf=${nginx_conf//sim$n:8000/127.0.0.1:$port}
  wait_up "http://127.0.0.1:$port/_sim/health" "$work/r$n.log"
done

# The shipped configuration, with the replicas on loopback, nginx listening on a free loopback port
# and its temporary files in the prefix (workers may run as another user: let them write there).
balancer_port=$(free_port)
mkdir -p "$work/nginx/temp"
chmod 755 "$work"
chmod 1777 "$work/nginx/temp"
cp deploy/sim-namespace.conf "$work/nginx/"
nginx_conf=${nginx_conf//listen 8000;/listen 127.0.0.1:$balancer_port;}
temp="client_body_temp_path $work/nginx/temp/body; proxy_temp_path $work/nginx/temp/proxy;
    fastcgi_temp_path $work/nginx/temp/fastcgi; uwsgi_temp_path $work/nginx/temp/uwsgi; scgi_temp_path $work/nginx/temp/scgi;"
nginx_conf=${nginx_conf/http \{/http \{
    $temp}
printf '%s\n' "$nginx_conf" >"$work/nginx/nginx.conf"
"$nginx_bin" -p "$work/nginx" -c "$work/nginx/nginx.conf" -e "$work/nginx/error.log" \
  -g "daemon off; pid $work/nginx/nginx.pid; error_log $work/nginx/error.log;" &
pids+=($!)
balancer="http://127.0.0.1:$balancer_port"
wait_up "$balancer/_sim/health" "$work/nginx/error.log"
echo "nginx $("$nginx_bin" -v 2>&1 | sed 's/.*\///') on $balancer in front of: ${replica_args[*]//--replica /}"

if "$python" scripts/replicas_check.py --balancer "$balancer" "${replica_args[@]}" --namespaces "$namespaces"; then
  echo "replicas-check: PASSED"
else
  echo "replicas-check: FAILED (replica logs follow)"
  tail -n 20 "$work"/r*.log "$work/nginx/error.log"
  exit 1
fi
