#!/usr/bin/env bash
# Runs every test of meldroute: formatting and lints, the domain engine, the store conformance suite on
# SQLite and PostgreSQL, and the integration tests that drive the real binary.
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

apt_install sqlite3
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
summary=$(grep -E '^test result:' target/test-output.txt | awk '{p+=$4; f+=$6; i+=$8} END {print p" passed, "f" failed, "i" ignored"}')
echo
echo "$summary"
exit "$status"
