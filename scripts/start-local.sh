#!/usr/bin/env bash
# Installs and starts the whole Portcullis stack on this machine: Postgres and Redis (if down), the
# control plane (:4000), one gateway (:8080) and the dashboard (:3000). Logs and state live in .local/.
# Stop everything with: bash scripts/stop-local.sh
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
mkdir -p .local/logs .local/gateway-1

bash scripts/ensure-services.sh >/dev/null
bash scripts/install.sh
pnpm -r --workspace-concurrency=1 build

db=${PORTCULLIS_DB:-portcullis}
if ! psql -h 127.0.0.1 -U postgres -tAc "SELECT 1 FROM pg_database WHERE datname = '$db'" | grep -q 1; then
  createdb -h 127.0.0.1 -U postgres "$db"
fi

# The first run picks the bootstrap admin's password and keeps it in .local/ (git-ignored).
if [ ! -f .local/bootstrap.env ]; then
  umask 077
  cat > .local/bootstrap.env <<ENV
BOOTSTRAP_ADMIN_EMAIL=admin@portcullis.local
BOOTSTRAP_ADMIN_PASSWORD=$(node -e "process.stdout.write(require('crypto').randomBytes(12).toString('base64url'))")
BOOTSTRAP_ORG_NAME="Local Org"
PORTCULLIS_MASTER_KEY=$(node -e "process.stdout.write(require('crypto').randomBytes(32).toString('base64'))")
ENV
fi
set -a
# shellcheck disable=SC1091
. .local/bootstrap.env
set +a

bash scripts/stop-local.sh >/dev/null 2>&1 || true

start() { # name, dir, env... [-- command...]: runs in its own session (default `pnpm start`), so stop-local ends the group
  local name=$1 dir=$2
  shift 2
  local envs=()
  while [ $# -gt 0 ] && [ "$1" != "--" ]; do envs+=("$1"); shift; done
  [ "${1:-}" = "--" ] && shift
  local cmd=("$@")
  [ ${#cmd[@]} -eq 0 ] && cmd=(pnpm start)
  (cd "$root/$dir" && exec setsid env "${envs[@]}" "${cmd[@]}") >"$root/.local/logs/$name.log" 2>&1 </dev/null &
  echo $! >"$root/.local/$name.pid"
}
wait_for() { # url, name
  for _ in $(seq 1 60); do curl -fsS -o /dev/null "$1" 2>/dev/null && return 0; sleep 1; done
  echo "$2 did not come up; see .local/logs/$2.log" >&2
  tail -n 20 ".local/logs/$2.log" >&2 || true
  exit 1
}

start control-plane control-plane DATABASE_URL="postgres://postgres@127.0.0.1:5432/$db" REDIS_URL=redis://127.0.0.1:6379 \
  PORT=4000 UPSTREAM_ALLOWLIST=127.0.0.1,localhost MCP_ALLOWLIST=127.0.0.1,localhost \
  WEBHOOK_ALLOWLIST=127.0.0.1,localhost TRUSTED_PROXIES=loopback PUBLIC_DASHBOARD_URL=http://localhost:3000
wait_for http://127.0.0.1:4000/healthz control-plane
start fake-upstream testing PORT=9090 -- node dist/fake-upstream/main.js
wait_for http://127.0.0.1:9090/v1/models fake-upstream
node scripts/demo-setup.mjs http://127.0.0.1:4000 "$BOOTSTRAP_ADMIN_EMAIL" "$BOOTSTRAP_ADMIN_PASSWORD" http://127.0.0.1:9090 .local
start gateway-1 gateway CONTROL_PLANE_URL=http://127.0.0.1:4000 REDIS_URL=redis://127.0.0.1:6379 PORT=8080 \
  GATEWAY_STATE_DIR="$root/.local/gateway-1" UPSTREAM_ALLOWLIST=127.0.0.1,localhost MCP_ALLOWLIST=127.0.0.1,localhost \
  GATEWAY_TOKEN="$(cat .local/gateway-1.token)"
wait_for http://127.0.0.1:8080/readyz gateway-1
start dashboard dashboard PORT=3000 CONTROL_PLANE_URL=http://127.0.0.1:4000
wait_for http://127.0.0.1:3000/sign-in dashboard

cat <<MSG

Portcullis is running:
  Dashboard      http://localhost:3000   (sign in as $BOOTSTRAP_ADMIN_EMAIL / $BOOTSTRAP_ADMIN_PASSWORD)
  Control plane  http://localhost:4000   (OpenAPI: http://localhost:4000/api/openapi.json)
  Gateway        http://localhost:8080   (/healthz, /readyz, /metrics)
  Demo provider  http://localhost:9090   (a fake upstream, labelled as such; models demo-gpt and demo-claude)
Demo API key (also in .local/demo-key):
  $(cat .local/demo-key)
Try it:
  curl -s localhost:8080/v1/chat/completions -H "authorization: Bearer \$(cat .local/demo-key)" \\
    -H 'content-type: application/json' -d '{"model":"demo-gpt","messages":[{"role":"user","content":"hi"}]}'
Logs: .local/logs/   Stop: bash scripts/stop-local.sh
MSG
