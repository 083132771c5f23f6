#!/usr/bin/env bash
# Runs the browser tests against a freshly started demo server: on SQLite always, and on PostgreSQL too when
# MELDROUTE_REQUIRE_PG=1 (a fresh database per run, created through psql). Builds nothing: ../test.sh builds
# the binary and runs `npm ci` first.
#
#   MELDROUTE_BIN         the binary (default ../target/debug/meldroute)
#   MELDROUTE_TEST_PG_URL the PostgreSQL server (default postgres://postgres@127.0.0.1:5432/postgres)
#   E2E_RESULT_FILE       if set, "PASSED FAILED" (totals over all runs) is written there
#   E2E_BACKENDS          override the backends, e.g. "sqlite" or "sqlite postgres"
#   E2E_CONCURRENCY       test files run at once (default 3)
#   E2E_TESTS             the test files (default tests/*.test.mjs), e.g. "tests/route.test.mjs"
#   E2E_TIMING            if set, each test file prints where its time went (axe, mirror pages, screenshots)
#
# Per backend two servers run: the demo server all journeys use, and a second one with
# MELDROUTE_SESSION_IDLE_MINUTES=1 for the session-expiry journey (its minute of waiting overlaps the other
# test files, which run concurrently).
#
# Screenshots land in e2e/screenshots/ (git-ignored), named <backend>-<page>.png.
set -euo pipefail
cd "$(dirname "$0")"

BIN=${MELDROUTE_BIN:-../target/debug/meldroute}
PG_URL=${MELDROUTE_TEST_PG_URL:-postgres://postgres@127.0.0.1:5432/postgres}
if [ -z "${E2E_BACKENDS:-}" ]; then
  E2E_BACKENDS=sqlite
  [ "${MELDROUTE_REQUIRE_PG:-0}" = "1" ] && E2E_BACKENDS="sqlite postgres"
fi

[ -x "$BIN" ] || { echo "e2e/run.sh: $BIN not found; build it first (cargo build)" >&2; exit 2; }
node_major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
[ "$node_major" -ge 20 ] || { echo "e2e/run.sh: Node.js 20 or later is needed (found: $(node --version 2>&1))" >&2; exit 2; }
[ -d node_modules/playwright-core ] || { echo "e2e/run.sh: run 'npm ci' in e2e/ first" >&2; exit 2; }
[ -x "${CHROMIUM:-/usr/bin/chromium}" ] || { echo "e2e/run.sh: ${CHROMIUM:-/usr/bin/chromium} missing (apt-get install chromium)" >&2; exit 2; }

WORK=$(mktemp -d "${TMPDIR:-/tmp}/meldroute-e2e.XXXXXX")
SERVER_PIDS=()
PG_DBS=()
stop_server() {
  local pid
  for pid in "${SERVER_PIDS[@]}"; do
    if kill -0 "$pid" 2>/dev/null; then
      kill -TERM "$pid" 2>/dev/null || true
      for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      kill -KILL "$pid" 2>/dev/null || true
      wait "$pid" 2>/dev/null || true
    fi
  done
  SERVER_PIDS=()
}
drop_pg_db() {
  local db
  for db in "${PG_DBS[@]}"; do
    psql -q "$PG_URL" -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1 || true
  done
  PG_DBS=()
}
# Creates a fresh PostgreSQL database; prints its URL.
new_pg_db() {
  local db="meldroute_e2e_$(date +%s)_$$_$1"
  psql -q "$PG_URL" -v ON_ERROR_STOP=1 -c "CREATE DATABASE $db" >/dev/null || return 1
  PG_DBS+=("$db")
  local base=${PG_URL%%\?*} query=""
  [ "$base" != "$PG_URL" ] && query="?${PG_URL#*\?}"
  echo "${base%/*}/$db$query"
}
cleanup() {
  stop_server
  drop_pg_db
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Starts a demo server in the background (output in $dir); launch_server, then wait_server.
launch_server() {
  local dir=$1
  shift
  mkdir -p "$dir/data"
  "$BIN" serve --demo --data-dir "$dir/data" --addr 127.0.0.1:0 "$@" >"$dir/server.out" 2>"$dir/server.err" &
  SERVER_PIDS+=($!)
  LAUNCHED_PID=$!
}

# Waits for the server launched in $dir (pid $2); exports ${3}BASE_URL, DEMO_PASSWORD and ${3}TOTP_<LOGIN>
# from what it prints ($3 is the prefix: empty for the main server, IDLE_ for the second one).
wait_server() {
  local dir=$1 pid=$2 prefix=${3:-}
  # The demo table ends with an empty line; the server accepts requests once it is printed.
  for _ in $(seq 1 600); do
    if awk '/TOTP secret$/ {t = 1; next} t && NF == 0 {done = 1} END {exit !done}' "$dir/server.out"; then
      break
    fi
    if ! kill -0 "$pid" 2>/dev/null; then
      echo "e2e/run.sh: the server exited during start-up:" >&2
      cat "$dir/server.out" "$dir/server.err" >&2
      return 1
    fi
    sleep 0.1
  done
  local url password
  url=$(sed -n 's|^meldroute is running at \(http://[^ ]*/\)$|\1|p' "$dir/server.out" | head -n 1)
  password=$(sed -n 's/^DEMO: .*password: \(.*\)$/\1/p' "$dir/server.out" | head -n 1)
  if [ -z "$url" ] || [ -z "$password" ]; then
    echo "e2e/run.sh: could not read the address or demo password from the server's output:" >&2
    cat "$dir/server.out" "$dir/server.err" >&2
    return 1
  fi
  export "${prefix}BASE_URL=$url" "DEMO_PASSWORD=$password"
  local count=0
  while read -r var; do
    export "${var?}"
    count=$((count + 1))
  done < <(awk -v p="$prefix" '/TOTP secret$/ {t = 1; next} t && NF == 0 {exit} t && NF >= 2 {l = toupper($1); gsub(/[^A-Z0-9]/, "_", l); print p "TOTP_" l "=" $NF}' "$dir/server.out")
  [ "$count" -gt 0 ] || { echo "e2e/run.sh: no TOTP secrets in the server's output" >&2; return 1; }
  echo "server at $url, $count demo accounts${prefix:+ ($prefix)}"
}

# Starts both servers of a backend (in parallel: each creates its demo data).
start_servers() {
  local dir=$1 backend=$2 main_args=() idle_args=() url
  if [ "$backend" = postgres ]; then
    url=$(new_pg_db main) || { echo "e2e/run.sh: cannot create a database on ${PG_URL%%\?*}" >&2; return 1; }
    main_args=(--database-url "$url")
    url=$(new_pg_db idle) || { echo "e2e/run.sh: cannot create a database on ${PG_URL%%\?*}" >&2; return 1; }
    idle_args=(--database-url "$url")
  fi
  mkdir -p "$dir/main" "$dir/idle"
  launch_server "$dir/main" "${main_args[@]}"
  local main_pid=$LAUNCHED_PID
  MELDROUTE_SESSION_IDLE_MINUTES=1 launch_server "$dir/idle" "${idle_args[@]}"
  local idle_pid=$LAUNCHED_PID
  wait_server "$dir/main" "$main_pid" "" && wait_server "$dir/idle" "$idle_pid" IDLE_
}

total_pass=0
total_fail=0
overall=0
for backend in $E2E_BACKENDS; do
  dir="$WORK/$backend"
  mkdir -p "$dir"
  printf '\n--- browser tests on %s\n' "$backend"
  started=$(date +%s)
  if ! start_servers "$dir" "$backend"; then
    total_fail=$((total_fail + 1))
    overall=1
    stop_server
    drop_pg_db
    continue
  fi
  set +e
  E2E_BACKEND=$backend E2E_STATE_DIR="$dir/state" \
    node --test --test-concurrency="${E2E_CONCURRENCY:-3}" --test-reporter=spec ${E2E_TESTS:-tests/*.test.mjs} 2>&1 | tee "$dir/node.out"
  status=${PIPESTATUS[0]}
  set -e
  stop_server
  drop_pg_db
  pass=$(sed -n 's/^ℹ pass \([0-9]*\)$/\1/p' "$dir/node.out" | tail -n 1)
  fail=$(sed -n 's/^ℹ fail \([0-9]*\)$/\1/p' "$dir/node.out" | tail -n 1)
  skipped=$(sed -n 's/^ℹ skipped \([0-9]*\)$/\1/p' "$dir/node.out" | tail -n 1)
  pass=${pass:-0}
  fail=${fail:-0}
  if [ "$status" -ne 0 ] && [ "$fail" -eq 0 ]; then fail=1; fi
  if [ "$status" -ne 0 ]; then
    overall=1
    echo "--- server log ($backend, last 40 lines):"
    tail -n 40 "$dir/main/server.err"
  fi
  total_pass=$((total_pass + pass))
  total_fail=$((total_fail + fail))
  echo "--- browser tests on $backend: $pass passed, $fail failed, ${skipped:-0} skipped (product bugs, see the test.skip comments) in $(($(date +%s) - started))s"
done

[ -n "${E2E_RESULT_FILE:-}" ] && echo "$total_pass $total_fail" >"$E2E_RESULT_FILE"
echo
echo "browser tests: $total_pass passed, $total_fail failed ($E2E_BACKENDS)"
exit "$overall"
