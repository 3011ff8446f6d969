#!/usr/bin/env bash
# Runs the tests.
#   scripts/test.sh              the full suite (npm test: type-check, then every test against
#                                PostgreSQL and Redis on 127.0.0.1; it makes its own databases and keys)
#   scripts/test.sh --deps       the same, after starting postgres and redis with docker compose
#   scripts/test.sh --smoke [URL]  an API smoke test with curl against a running service
#                                (default http://localhost:8083, e.g. after scripts/start.sh). It
#                                creates one product with an id from 900000000000 up, named "smoke test".
set -euo pipefail
cd "$(dirname "$0")/.."

smoke() {
  local base="${1:-http://localhost:${INVENTORY_PORT:-8083}}"
  local run pid tmp status body failures=0
  run="$(date +%s)-$$"
  pid="${SMOKE_PRODUCT_ID:-$((900000000000 + ($(date +%s) * 100 + $$ % 100) % 100000000000))}"
  tmp="$(mktemp)"
  trap 'rm -f "$tmp"' RETURN

  request() { # method path [json body]
    local args=(-sS -o "$tmp" -w '%{http_code}' -X "$1" -H "x-trace-id: smoke-$run")
    if [ -n "${AUTH_TOKEN:-}" ]; then args+=(-H "authorization: Bearer $AUTH_TOKEN"); fi
    if [ $# -ge 3 ]; then args+=(-H 'content-type: application/json' --data "$3"); fi
    status="$(curl "${args[@]}" "$base$2")" || status=000
    body="$(cat "$tmp")"
  }
  check() { # description, allowed statuses (a|b), fragments the body must contain...
    local description="$1" statuses="$2" fragment
    shift 2
    local ok=1
    [[ "|$statuses|" == *"|$status|"* ]] || ok=0
    for fragment in "$@"; do [[ "$body" == *"$fragment"* ]] || ok=0; done
    if [ $ok -eq 1 ]; then
      echo "ok    $description"
    else
      echo "FAIL  $description: status $status (want $statuses), body: ${body:0:300}"
      failures=$((failures + 1))
    fi
  }

  echo "smoke test against $base (product $pid)"
  request GET /health
  check "GET /health answers" "200" '"success":true'
  request POST /api/v1/inventory "{\"product_id\":$pid,\"product_name\":\"smoke test\",\"stock\":10}"
  check "create a product with 10 in stock" "201" '"stock":10'
  request POST /api/v1/sync-stock "{\"product_id\":$pid,\"delta\":-3,\"order_id\":\"smoke-$run\",\"reason\":\"smoke test\"}"
  check "deduct 3 for an order" "200" '"after_stock":7' '"replayed":false'
  request POST /api/v1/sync-stock "{\"product_id\":$pid,\"delta\":-3,\"order_id\":\"smoke-$run\",\"reason\":\"smoke test\"}"
  check "the same order again is a replay" "200" '"after_stock":7' '"replayed":true'
  request POST /api/v1/sync-stock "{\"product_id\":$pid,\"delta\":-8}"
  check "deducting more than is available is refused" "409" '"code":"INSUFFICIENT_STOCK"'
  request POST /api/v1/sync-stock "{\"product_id\":$pid,\"delta\":5,\"reason\":\"restock\"}"
  check "restock 5" "200" '"stock":12'
  request GET "/api/v1/inventory/$pid"
  check "read the product" "200" '"available":12'
  request GET "/api/v1/inventory/$pid/logs"
  check "its history" "200" '"op_type":"add"' '"op_type":"deduct"' '"op_type":"init"'
  request POST /api/v1/sync-stock '{"product_id":"x","delta":1}'
  check "a malformed body is a 400" "400" '"code":"VALIDATION_ERROR"'
  request GET /api/v1/stats/inventory
  check "inventory stats" "200" '"total_stock":'
  request GET /api/v1/stats/service
  check "service stats" "200" '"success_rate":'
  request GET /metrics
  check "Prometheus metrics" "200" 'inventory_sync_requests_total{result="success"}' 'inventory_sync_requests_total{result="insufficient_stock"}'
  request GET /api/v1/health/check
  check "a health check run" "200|202" '"run_id":'

  if [ $failures -gt 0 ]; then
    echo "smoke test: $failures failed"
    return 1
  fi
  echo "smoke test: all passed"
}

case "${1:-}" in
  --smoke)
    smoke "${2:-}"
    ;;
  --deps)
    if docker compose version >/dev/null 2>&1; then compose=(docker compose); else compose=(docker-compose); fi
    "${compose[@]}" up -d postgres redis
    for _ in $(seq 1 60); do
      if "${compose[@]}" exec -T postgres pg_isready -U postgres -d inventory_db >/dev/null 2>&1 \
        && "${compose[@]}" exec -T redis redis-cli ping >/dev/null 2>&1; then break; fi
      sleep 1
    done
    # The compose PostgreSQL wants a password; node-postgres reads PGPASSWORD when none is configured.
    PGPASSWORD="${PGPASSWORD:-postgres}" npm test
    ;;
  "")
    npm test
    ;;
  -h|--help)
    sed -n '2,8p' "$0" | sed 's/^# \{0,1\}//'
    ;;
  *)
    echo "test.sh: unknown option '$1' (try --help)" >&2
    exit 2
    ;;
esac
