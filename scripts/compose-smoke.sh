#!/usr/bin/env bash
# Brings the stack of compose.yaml up with podman, waits until every service is healthy, runs the smoke flow
# through the gateway container's published port, prints the results and tears everything down (volumes too).
#
# Compose is docker-compose (Debian's 1.29) against podman's Docker-compatible API socket: it honours
# `depends_on: condition:` (service_healthy, service_completed_successfully), which podman-compose 1.0 ignores.
# Where no systemd runs (CI sandboxes), podman cannot schedule the healthchecks' timers, so this script runs each
# container's own healthcheck (`podman healthcheck run`) every two seconds instead.
#
# Needs the images (scripts/build-image.sh): ASHYQ_IMAGE (localhost/ashyq:latest) and POSTGRES_IMAGE
# (localhost/ashyq-postgres:15; set docker.io/library/postgres:15-bookworm where a registry is reachable).
# Debian packages: podman docker-compose (and runc, containernetworking-plugins, dnsmasq-base).
set -euo pipefail
cd "$(dirname "$0")/.."

export ASHYQ_IMAGE=${ASHYQ_IMAGE:-localhost/ashyq:latest}
export POSTGRES_IMAGE=${POSTGRES_IMAGE:-localhost/ashyq-postgres:15}
PROJECT=${COMPOSE_PROJECT:-ashyqsmoke}
TIMEOUT=${SMOKE_TIMEOUT:-240}
LOGIN=smoke-admin

log() { printf '\n==> %s\n' "$*"; }
started=$(date +%s)

# shellcheck source=scripts/podman-limits.sh
. scripts/podman-limits.sh
podman_fit_limits
for tool in podman docker-compose python3; do
  command -v "$tool" >/dev/null || { echo "compose-smoke: $tool is missing (apt-get install podman docker-compose)" >&2; exit 1; }
done
for image in "$ASHYQ_IMAGE" "$POSTGRES_IMAGE"; do
  podman image exists "$image" || { echo "compose-smoke: no image $image (run scripts/build-image.sh)" >&2; exit 1; }
done

work=$(mktemp -d /tmp/ashyq-smoke.XXXXXX)
export ASHYQ_SECRETS=$work/secrets
export ASHYQ_HTTP_PORT=${ASHYQ_HTTP_PORT:-$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')}
export ASHYQ_PUBLIC_URL=http://127.0.0.1:$ASHYQ_HTTP_PORT
export DOCKER_HOST=unix://$work/podman.sock
BASE=http://127.0.0.1:$ASHYQ_HTTP_PORT
service_pid= ticker_pid=

compose() { docker-compose --ansi never -p "$PROJECT" -f compose.yaml "$@"; }
container() { podman ps -a -q --filter "label=com.docker.compose.project=$PROJECT" \
                --filter "label=com.docker.compose.service=$1" | head -n 1; }

dump() {  # what went wrong: each container's state and last log lines
  compose ps >&2 || true
  for service in postgres migrate-orgs migrate-dialogue orgs dialogue worker gateway; do
    id=$(container "$service")
    [ -n "$id" ] || continue
    echo "--- $service: $(podman inspect "$id" --format '{{.State.Status}} exit={{.State.ExitCode}} health={{.State.Health.Status}}')" >&2
    podman logs --tail 15 "$id" >&2 2>&1 || true
  done
}

cleanup() {
  local code=$?
  log "tearing down"
  compose --profile demo down --volumes --remove-orphans --timeout 10 >/dev/null 2>&1 || true
  [ -n "$ticker_pid" ] && kill "$ticker_pid" 2>/dev/null || true
  [ -n "$service_pid" ] && kill "$service_pid" 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$work"
  exit "$code"
}
trap cleanup EXIT

log "secrets (random, in $ASHYQ_SECRETS)"
compose/make-secrets.sh "$ASHYQ_SECRETS" >/dev/null

log "podman's Docker-compatible API on $DOCKER_HOST"
podman system service --time=0 "$DOCKER_HOST" >"$work/podman-service.log" 2>&1 &
service_pid=$!
for _ in $(seq 1 50); do [ -S "$work/podman.sock" ] && break; sleep 0.1; done
[ -S "$work/podman.sock" ] || { cat "$work/podman-service.log" >&2; exit 1; }

compose config -q  # the file as compose itself reads it

if [ ! -d /run/systemd/system ]; then
  log "no systemd: running the containers' healthchecks every 2 s"
  (
    while sleep 2; do
      for id in $(podman ps -q --filter "label=com.docker.compose.project=$PROJECT" 2>/dev/null); do
        podman healthcheck run "$id" >/dev/null 2>&1 || true
      done
    done
  ) &
  ticker_pid=$!
fi

log "compose up (images $ASHYQ_IMAGE, $POSTGRES_IMAGE; gateway on port $ASHYQ_HTTP_PORT)"
up_started=$(date +%s)
compose up -d || { dump; exit 1; }

log "waiting for orgs, dialogue, worker and gateway to be healthy"
deadline=$(( $(date +%s) + TIMEOUT ))
while :; do
  states=""
  healthy=0
  for service in orgs dialogue worker gateway; do
    id=$(container "$service")
    state=$( [ -n "$id" ] && podman inspect "$id" --format '{{.State.Status}}/{{.State.Health.Status}}' 2>/dev/null || echo missing)
    states="$states $service=$state"
    [ "$state" = "running/healthy" ] && healthy=$((healthy + 1))
  done
  [ "$healthy" = 4 ] && break
  if [ "$(date +%s)" -ge "$deadline" ]; then
    echo "compose-smoke: not healthy after $TIMEOUT s:$states" >&2
    dump
    exit 1
  fi
  sleep 2
done
healthy_at=$(date +%s)
echo "healthy:$states ($((healthy_at - up_started)) s after up)"
for job in migrate-orgs migrate-dialogue; do
  echo "$job: $(podman inspect "$(container "$job")" --format 'exited with {{.State.ExitCode}}')"
done

log "demo data (a one-shot container: ashyq demo)"
compose --profile demo run --rm demo 2>"$work/demo.log" || { cat "$work/demo.log" >&2; exit 1; }

log "an admin account (ashyq create-admin in the orgs container, password on standard input)"
password=$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')
admin_id=$(printf '%s\n' "$password" | podman exec -i "$(container orgs)" ashyq create-admin --login "$LOGIN" \
  --display-name "Smoke Admin" 2>"$work/admin.log") || { cat "$work/admin.log" >&2; exit 1; }

log "an API key with the read scope for the first organization (the registry's admin API, as that admin)"
api_key=$(podman exec -i "$(container orgs)" python3 - "$admin_id" <<'PY'
import json, sys, urllib.request
from services.common.tokens import issue_token
from services.contracts.auth import Actor, Role
from services.orgs.settings import OrgsSettings

token = issue_token(Actor(account_id=int(sys.argv[1]), roles=[Role.admin]), OrgsSettings().service_secret.get_secret_value())
auth = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
orgs = json.load(urllib.request.urlopen(urllib.request.Request("http://127.0.0.1:8001/v1/orgs?limit=1", headers=auth)))
body = json.dumps({"name": "compose smoke", "org_id": orgs["items"][0]["id"], "scopes": ["read"]}).encode()
created = json.load(urllib.request.urlopen(urllib.request.Request("http://127.0.0.1:8001/v1/api-keys", body, auth)))
print(created["key"])
PY
) || exit 1

log "smoke flow through the gateway ($BASE)"
request_id=smoke-$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')
status=0
python3 scripts/smoke_flow.py "$BASE" "$request_id" "$LOGIN" "$password" "$api_key" || status=1

log "request id $request_id in the logs of the three services, and no password anywhere"
for service in gateway dialogue orgs worker; do
  podman logs "$(container "$service")" >"$work/$service.log" 2>&1 || true
done
for service in gateway dialogue orgs; do
  lines=$(grep -c "\"request_id\": \"$request_id\"" "$work/$service.log" || true)
  if [ "$lines" -gt 0 ]; then echo "PASS  $service: $lines JSON lines carry it"; else echo "FAIL  $service: no line carries it"; status=1; fi
done
if cat "$work"/*.log | grep -qF -e "$password" -e "$api_key"; then echo "FAIL  the password or the API key appears in a log"; status=1
else echo "PASS  neither the admin's password nor the API key appears in any log"; fi
if python3 - "$work/gateway.log" <<'PY'
import json, sys
lines = [line for line in open(sys.argv[1], encoding="utf-8") if line.startswith("{")]
sys.exit(0 if lines and all({"timestamp", "level", "logger", "event", "service", "request_id"} <= json.loads(line).keys()
                             for line in lines) else 1)
PY
then echo "PASS  every gateway log line is JSON with timestamp, level, logger, event, service, request_id"
else echo "FAIL  the gateway's log lines are not all JSON with the required keys"; status=1; fi

log "metrics on the services' own ports (read from inside the gateway container)"
metrics=$(podman exec "$(container gateway)" python3 -c '
import urllib.request
for url in ("http://orgs:8001/metrics", "http://dialogue:8002/metrics", "http://127.0.0.1:8000/metrics"):
    print(urllib.request.urlopen(url, timeout=5).read().decode())')
for series in 'ashyq_organizations{kind="state_body"}' ashyq_accounts_active ashyq_recommendations_open \
              ashyq_recommendations_overdue ashyq_sessions_today ashyq_outbox_backlog 'http_requests_total{handler="/"'; do
  value=$(grep -F "$series" <<<"$metrics" | grep -v '^#' | head -n 1 || true)
  if [ -n "$value" ]; then echo "PASS  $value"; else echo "FAIL  no $series"; status=1; fi
done

finished=$(date +%s)
log "compose smoke: $([ "$status" = 0 ] && echo passed || echo FAILED) in $((finished - started)) s (healthy $((healthy_at - up_started)) s after up)"
exit "$status"
