#!/usr/bin/env bash
# Starts PostgreSQL, Redis and the inventory service with docker compose, building the image, and
# waits until GET /health answers. With --monitoring, Prometheus and Grafana start too (compose
# profile "monitoring"). Stop everything with: docker compose --profile monitoring down
set -euo pipefail
cd "$(dirname "$0")/.."

usage() {
  cat <<'USAGE'
Usage: scripts/start.sh [--monitoring] [--no-build]
  --monitoring   also start Prometheus (http://localhost:9090) and Grafana (http://localhost:3000)
  --no-build     use the image already built instead of rebuilding it
Host ports: INVENTORY_PORT (8083), POSTGRES_PORT (5432), REDIS_PORT (6379), PROMETHEUS_PORT (9090), GRAFANA_PORT (3000).
USAGE
}

profile=()
build=(--build)
for arg in "$@"; do
  case "$arg" in
    --monitoring) profile=(--profile monitoring) ;;
    --no-build) build=() ;;
    -h|--help) usage; exit 0 ;;
    *) echo "start.sh: unknown option '$arg'" >&2; usage >&2; exit 2 ;;
  esac
done

if docker compose version >/dev/null 2>&1; then
  compose=(docker compose)
elif command -v docker-compose >/dev/null 2>&1; then
  compose=(docker-compose)
else
  echo "start.sh: needs Docker with the compose plugin (docker compose) or docker-compose" >&2
  exit 1
fi

# "${array[@]+...}" keeps `set -u` quiet about empty arrays on bash 3.2 (macOS).
"${compose[@]}" ${profile[@]+"${profile[@]}"} up -d ${build[@]+"${build[@]}"}

port="${INVENTORY_PORT:-8083}"
echo "waiting for http://localhost:${port}/health ..."
for _ in $(seq 1 90); do
  if curl -fsS "http://localhost:${port}/health" >/dev/null 2>&1; then
    echo "inventory service:  http://localhost:${port}   (API docs: /docs, metrics: /metrics)"
    if [ ${#profile[@]} -gt 0 ]; then
      echo "prometheus:         http://localhost:${PROMETHEUS_PORT:-9090}"
      echo "grafana:            http://localhost:${GRAFANA_PORT:-3000}   (dashboard \"MiniShop Inventory Service\"; anonymous viewing, admin login: admin / GRAFANA_ADMIN_PASSWORD, default admin)"
    fi
    exit 0
  fi
  sleep 1
done
echo "start.sh: the service did not answer /health within 90 s; see: ${compose[*]} logs inventory-service" >&2
exit 1
