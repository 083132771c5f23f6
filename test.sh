#!/usr/bin/env bash
# Runs every test of meldroute: formatting and lints, the domain engine, the store conformance suite on
# SQLite and PostgreSQL, the integration tests that drive the real binary, and the browser tests (e2e/).
#
# PostgreSQL: tests use MELDROUTE_TEST_PG_URL (default postgres://postgres@127.0.0.1:5432/postgres), each in
# a fresh database. With MELDROUTE_REQUIRE_PG=1 (as in CI) an unreachable server fails the run; without it,
# the PostgreSQL tests are skipped with a notice.
set -euo pipefail
cd "$(dirname "$0")"

log() { printf '\n==> %s\n' "$*"; }

apt_install() {
  # Installs Debian packages that are missing (needs root, as on the project's machines).
  local missing=()
  for pkg in "$@"; do dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg"); done
  [ ${#missing[@]} -eq 0 ] && return 0
  log "installing ${missing[*]}"
  if [ "$(id -u)" -ne 0 ]; then
    echo "test.sh: need root to install ${missing[*]} (or install them yourself)" >&2
    return 1
  fi
  apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
}

ensure_postgres() {
  local url="${MELDROUTE_TEST_PG_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
  export MELDROUTE_TEST_PG_URL="$url"
  # Start a local cluster that is installed but not running.
  if command -v pg_lsclusters >/dev/null 2>&1; then
    while read -r ver name _port status _rest; do
      if [ "$status" != "online" ] && [ -n "$ver" ]; then
        log "starting PostgreSQL cluster $ver/$name"
        pg_ctlcluster --skip-systemctl-redirect "$ver" "$name" start || true
      fi
    done < <(pg_lsclusters --no-header 2>/dev/null || true)
  fi
  local ok=0
  for _ in $(seq 1 20); do
    if command -v pg_isready >/dev/null 2>&1; then
      pg_isready -q -d "$url" && { ok=1; break; }
    else
      (exec 3<>/dev/tcp/127.0.0.1/5432) 2>/dev/null && { ok=1; break; }
    fi
    sleep 0.5
  done
  if [ "$ok" = 1 ]; then
    echo "PostgreSQL reachable at ${url%%\?*}"
  elif [ "${MELDROUTE_REQUIRE_PG:-0}" = "1" ]; then
    echo "test.sh: PostgreSQL is required (MELDROUTE_REQUIRE_PG=1) but not reachable at $url" >&2
    exit 1
  else
    echo "note: PostgreSQL not reachable at $url; its tests will be skipped (set MELDROUTE_REQUIRE_PG=1 to fail instead)"
  fi
}

# sqlite3 for the backup checks, poppler-utils (pdftotext, pdfinfo) to read the PDFs the tests produce.
apt_install sqlite3 poppler-utils
ensure_postgres

log "formatting"
cargo fmt --all -- --check

log "lints"
cargo clippy --workspace --all-targets --quiet -- -D warnings

log "tests (domain, store conformance on SQLite and PostgreSQL, integration)"
mkdir -p target
set +e
cargo test --workspace --no-fail-fast 2>&1 | tee target/test-output.txt | grep --line-buffered -vE '^test .* \.\.\. ok$'
status=${PIPESTATUS[0]}
set -e
read -r passed failed ignored < <(grep -E '^test result:' target/test-output.txt | awk '{p+=$4; f+=$6; i+=$8} END {print p+0, f+0, i+0}')

log "benchmark smoke run (bench/run.sh --smoke: proves the script works; asserts nothing about speed)"
# The debug build the tests above just made, not a release build: a release build of the whole binary
# (Typst included) would add many minutes to every CI run for numbers that mean nothing at smoke scale.
# Both backends when PostgreSQL is there: the PostgreSQL half adds a few seconds.
bench_backends=sqlite
pg_isready -q -d "$MELDROUTE_TEST_PG_URL" 2>/dev/null && bench_backends="sqlite postgres"
if ! MELDROUTE_BENCH_PG_URL="$MELDROUTE_TEST_PG_URL" bench/run.sh --smoke --debug --backends "$bench_backends" \
  --out target/bench/smoke.md >target/bench-smoke.log 2>&1; then
  echo "test.sh: the benchmark smoke run failed; its output:" >&2
  tail -40 target/bench-smoke.log >&2
  failed=$((failed + 1))
  [ "$status" -eq 0 ] && status=1
else
  echo "benchmark smoke run: ok (target/bench/smoke.md)"
fi

log "browser tests (e2e/: headless Chromium, axe-core; SQLite, and PostgreSQL when required)"
# Debian's chromium, driven by playwright-core from e2e/package-lock.json; the binary from the tests above.
e2e_status=0
rm -f target/e2e-result.txt
if ! apt_install chromium; then
  e2e_status=1
elif ! command -v npm >/dev/null 2>&1; then
  echo "test.sh: npm (Node.js 20 or later) is needed for the browser tests" >&2
  e2e_status=1
elif ! (cd e2e && npm ci --silent --no-audit --no-fund); then
  echo "test.sh: npm ci in e2e/ failed" >&2
  e2e_status=1
elif ! cargo build --quiet --bin meldroute; then
  e2e_status=1
else
  E2E_RESULT_FILE="$PWD/target/e2e-result.txt" e2e/run.sh || e2e_status=$?
fi
e2e_passed=0
e2e_failed=0
[ -s target/e2e-result.txt ] && read -r e2e_passed e2e_failed <target/e2e-result.txt
[ "$e2e_status" -ne 0 ] && [ "$e2e_failed" -eq 0 ] && e2e_failed=1
echo "browser tests: $e2e_passed passed, $e2e_failed failed"
[ "$status" -eq 0 ] && status=$e2e_status

echo
echo "$((passed + e2e_passed)) passed, $((failed + e2e_failed)) failed, $ignored ignored (cargo and browser tests)"
exit "$status"
