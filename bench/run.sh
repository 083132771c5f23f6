#!/usr/bin/env bash
# meldroute benchmark: one run, one machine, both database backends; every number is a ratio to the physical
# limit measured in the same run (nginx serving the same bytes; a minimal program doing the same durable
# writes). Beside nginx, a bare Rust server on meldroute's own HTTP stack serves the same bytes from memory,
# to show what the stack alone costs. Method and results: docs/performance.md.
#
#   bench/run.sh [--scale national|small] [--smoke] [--backends "sqlite postgres"] [--duration SECONDS]
#                [--connections N] [--out FILE] [--debug]
#
#   --scale national  small dataset (50 schools) and the national one (8,000 schools, 2.5 million pupils,
#                     about 250,000 dossiers and 5 million entries)                                 [default]
#   --scale small     small dataset and a 400-school one (a twentieth of the country), for a quicker run
#   --smoke           seconds: tiny datasets, one-second loads, SQLite only unless --backends says otherwise;
#                     proves the script works (./test.sh runs it), asserts nothing about speed
#   --debug           use the debug build instead of building release (only sensible with --smoke)
#
# Installs what it needs (nginx-light, wrk) from Debian when missing. PostgreSQL: MELDROUTE_BENCH_PG_URL
# (default postgres://postgres@127.0.0.1:5432/postgres); the script creates and drops its own databases.
# Output: a markdown table on stdout and in --out (default target/bench/results.md); work files in
# target/bench/.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

scale=national
smoke=0
backends=""
duration=""
connections=64
out=""
profile=release
while [ $# -gt 0 ]; do
  case "$1" in
    --scale) scale=$2; shift 2 ;;
    --smoke) smoke=1; shift ;;
    --backends) backends=$2; shift 2 ;;
    --duration) duration=$2; shift 2 ;;
    --connections) connections=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    --debug) profile=debug; shift ;;
    -h|--help) sed -n '2,20p' "$0"; exit 0 ;;
    *) echo "bench/run.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done

# Dataset sizes: schools pupils-per-school dossiers-per-school entries-per-dossier.
small=(50 312 31 20)
case "$scale" in
  national) large=(8000 312 31 20) ;;
  small) large=(400 312 31 20) ;;
  *) echo "bench/run.sh: --scale is national or small" >&2; exit 2 ;;
esac
if [ "$smoke" = 1 ]; then
  small=(2 40 6 8)
  large=(4 40 6 8)
  : "${duration:=1}"
  : "${backends:=sqlite}"
fi
: "${duration:=10}"
: "${backends:=sqlite postgres}"

WORK=$ROOT/target/bench
out=${out:-$WORK/results.md}
mkdir -p "$WORK"
rm -rf "$WORK"/run && mkdir -p "$WORK/run"
RUN=$WORK/run
PG_URL=${MELDROUTE_BENCH_PG_URL:-postgres://postgres@127.0.0.1:5432/postgres}
PG_BASE=${PG_URL%/*}
PIDS=()

log() { printf '==> %s\n' "$*" >&2; }
die() { echo "bench/run.sh: $*" >&2; exit 1; }

cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup EXIT

apt_install() {
  local missing=()
  for pkg in "$@"; do dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg"); done
  [ ${#missing[@]} -eq 0 ] && return 0
  log "installing ${missing[*]}"
  [ "$(id -u)" -eq 0 ] || die "need root to install ${missing[*]} (or install them yourself)"
  apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
}
apt_install nginx-light wrk curl
NGINX=$(command -v nginx || echo /usr/sbin/nginx)

# --- build ---------------------------------------------------------------------------------------------------
if [ "$profile" = release ]; then
  log "building release (meldroute, meldroute-bench)"
  cargo build --release --quiet -p meldroute -p meldroute-bench
  BIN=$ROOT/target/release
else
  log "building debug (meldroute, meldroute-bench)"
  cargo build --quiet -p meldroute -p meldroute-bench
  BIN=$ROOT/target/debug
fi
[ -n "${CARGO_TARGET_DIR:-}" ] && BIN=$CARGO_TARGET_DIR/${BIN##*/}
MELDROUTE=$BIN/meldroute
WRITER=$BIN/meldroute-bench-writer
BARE=$BIN/meldroute-bench-static

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# --- nginx: the same bytes as a static file --------------------------------------------------------------------
NGINX_DIR=$RUN/nginx
mkdir -p "$NGINX_DIR/www" "$NGINX_DIR/logs"
chmod 755 "$RUN" "$NGINX_DIR" "$NGINX_DIR/www"
NGINX_PORT=$(free_port)
cat >"$NGINX_DIR/nginx.conf" <<EOF
worker_processes auto;
daemon off;
pid $NGINX_DIR/nginx.pid;
error_log $NGINX_DIR/logs/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  sendfile on;
  tcp_nopush on;
  keepalive_requests 1000000;
  types { text/html html; application/json json; }
  server {
    listen 127.0.0.1:$NGINX_PORT;
    root $NGINX_DIR/www;
  }
}
EOF
"$NGINX" -p "$NGINX_DIR" -c "$NGINX_DIR/nginx.conf" 2>"$NGINX_DIR/logs/stderr" &
PIDS+=($!)
for _ in $(seq 1 50); do curl -s -o /dev/null "http://127.0.0.1:$NGINX_PORT/" && break; sleep 0.1; done

# --- the bare Rust server: the same bytes from memory, on meldroute's own HTTP stack ----------------------------
BARE_PORT=$(free_port)
"$BARE" --dir "$NGINX_DIR/www" --addr "127.0.0.1:$BARE_PORT" 2>"$RUN/bare.err" &
PIDS+=($!)
for _ in $(seq 1 50); do curl -s -o /dev/null "http://127.0.0.1:$BARE_PORT/none" && break; sleep 0.1; done

# wrk: "rps p50_ms p99_ms non2xx" of a run against URL with extra headers.
WRK_THREADS=2
wrk_run() {
  local url=$1; shift
  local args=()
  for h in "$@"; do args+=(-H "$h"); done
  local text
  text=$(wrk -t"$WRK_THREADS" -c"$connections" -d"${duration}s" --latency "${args[@]}" "$url" 2>&1) || die "wrk failed: $text"
  echo "$text" >>"$RUN/wrk.log"
  awk '
    function ms(v) { if (v ~ /us$/) return v/1000; if (v ~ /ms$/) return v+0; if (v ~ /s$/) return v*1000; return v }
    /^ +50%/ { p50 = ms($2) } /^ +99%/ { p99 = ms($2) }
    /Requests\/sec/ { rps = $2 } /Non-2xx/ { bad = $5 }
    END { printf "%s %.2f %.2f %d\n", rps+0, p50, p99, bad+0 }' <<<"$text"
}

# Resident memory of a process: current and peak (VmHWM), in MB.
rss_mb() { awk '/^VmRSS/ {print int($2/1024)}' "/proc/$1/status" 2>/dev/null || echo 0; }
hwm_mb() { awk '/^VmHWM/ {print int($2/1024)}' "/proc/$1/status" 2>/dev/null || echo 0; }

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }'; }

RESULTS=$RUN/results.tsv
: >"$RESULTS"
record() { printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$@" >>"$RESULTS"; }

# --- one backend, one dataset ----------------------------------------------------------------------------------
# bench_dataset BACKEND NAME SCHOOLS PUPILS DOSSIERS ENTRIES
bench_dataset() {
  local backend=$1 name=$2 schools=$3 pupils=$4 dossiers=$5 entries=$6
  local dir=$RUN/$backend-$name url
  mkdir -p "$dir"
  if [ "$backend" = sqlite ]; then
    url="sqlite://$dir/meldroute.db"
  else
    local db="meldroute_bench_${name}_$$"
    psql -q "$PG_URL" -c "DROP DATABASE IF EXISTS $db" >/dev/null
    psql -q "$PG_URL" -c "CREATE DATABASE $db" >/dev/null
    url="$PG_BASE/$db"
    echo "$db" >>"$RUN/pg-databases"
  fi
  local dbargs=(--data-dir "$dir" --database-url "$url")

  log "$backend/$name: seeding $schools schools × $pupils pupils, $dossiers dossiers × $entries entries"
  "$MELDROUTE" seed "${dbargs[@]}" --schools "$schools" --pupils-per-school "$pupils" \
    --dossiers-per-school "$dossiers" --entries-per-dossier "$entries" --seed 42 >"$dir/seed.out"
  local seed_s login dossier query teacher open_dossiers
  seed_s=$(sed -n 's/^seed.seconds=//p' "$dir/seed.out")
  login=$(sed -n 's/^seed.login=//p' "$dir/seed.out")
  dossier=$(sed -n 's/^seed.dossier=//p' "$dir/seed.out")
  query=$(sed -n 's/^seed.pupil_query=//p' "$dir/seed.out" | sed 's/ /+/g')
  open_dossiers=$(sed -n 's/^seed.open_dossiers=//p' "$dir/seed.out")
  record "$backend" "$name" seed_seconds "$seed_s" "" "" ""

  local token
  token=$("$MELDROUTE" admin token create "${dbargs[@]}" --login "$login" --name bench | sed -n 's/^  \([^ ].*\)$/\1/p' | head -1)
  [ -n "$token" ] || die "no API token for $login"

  local port started ready pid
  port=$(free_port)
  started=$(date +%s.%N)
  "$MELDROUTE" serve "${dbargs[@]}" --addr "127.0.0.1:$port" >"$dir/serve.out" 2>"$dir/serve.err" &
  pid=$!
  PIDS+=("$pid")
  for _ in $(seq 1 600); do
    curl -sf -o /dev/null "http://127.0.0.1:$port/readyz" && break
    kill -0 "$pid" 2>/dev/null || die "meldroute serve ended: $(tail -3 "$dir/serve.err")"
    sleep 0.05
  done
  ready=$(date +%s.%N)
  record "$backend" "$name" startup_seconds "$(awk -v a="$started" -v b="$ready" 'BEGIN { printf "%.2f", b - a }')" "" "" ""
  local base="http://127.0.0.1:$port"

  # Log in: password, then a TOTP code (seeded organisations are fictional, so `demo totp` gives one).
  local headers cookie csrf code
  headers=$(curl -s -D - -o /dev/null -H "Origin: $base" --data-urlencode "login=$login" \
    --data-urlencode "password=seed-wachtwoord-2026" "$base/login")
  cookie=$(grep -i '^set-cookie:' <<<"$headers" | head -1 | sed 's/^[^:]*: *//; s/;.*//' | tr -d '\r')
  csrf=$(curl -s -H "Cookie: $cookie" "$base/login/code" | grep -o 'name="_csrf" value="[^"]*"' | head -1 | sed 's/.*value="//; s/"$//')
  code=$("$MELDROUTE" demo totp "${dbargs[@]}" "$login")
  headers=$(curl -s -D - -o /dev/null -H "Origin: $base" -H "Cookie: $cookie" \
    --data-urlencode "_csrf=$csrf" --data-urlencode "code=$code" "$base/login/code")
  cookie=$(grep -i '^set-cookie:' <<<"$headers" | head -1 | sed 's/^[^:]*: *//; s/;.*//' | tr -d '\r')
  grep -qi '^location: /' <<<"$headers" || die "$backend/$name: login as $login failed"

  # Reads: each against nginx serving the same bytes.
  local what path auth
  for what in dossier tasks search api_state; do
    case $what in
      dossier) path="/dossiers/$dossier"; auth="Cookie: $cookie" ;;
      tasks) path="/tasks"; auth="Cookie: $cookie" ;;
      search) path="/pupils?q=$query"; auth="Cookie: $cookie" ;;
      api_state) path="/api/v1/dossiers/$dossier/state"; auth="Authorization: Bearer $token" ;;
    esac
    local file=$NGINX_DIR/www/$backend-$name-$what.html
    local status
    status=$(curl -s -o "$file" -w '%{http_code}' -H "$auth" "$base$path")
    [ "$status" = 200 ] || die "$backend/$name: $path answered $status"
    chmod 644 "$file"
    read -r rps p50 p99 bad < <(wrk_run "$base$path" "$auth")
    [ "$bad" = 0 ] || die "$backend/$name: $bad non-2xx answers on $path"
    read -r srps sp50 sp99 _ < <(wrk_run "http://127.0.0.1:$NGINX_PORT/${file##*/}")
    local brps bbad
    read -r brps _ _ bbad < <(wrk_run "http://127.0.0.1:$BARE_PORT/${file##*/}")
    [ "$bbad" = 0 ] || die "the bare server answered $bbad requests for ${file##*/} with an error"
    record "$backend" "$name" "$what" "$rps" "$p50" "$p99" "$srps $sp50 $sp99 $(stat -c %s "$file") $brps"
  done

  # Durable writes: 64 concurrent appends through the API, against the minimal program's limit. The writers
  # are spread over the open dossiers of the first schools (each school's aandachtsfunctionaris, with her own
  # API token, appends to her own school's dossiers), and the two wrk threads start at opposite ends of that
  # list, so concurrent appends seldom meet on the same chronology (which the service would refuse with 409).
  if [ "$name" = small ]; then
    local lua=$RUN/append.lua targets pairs="" target wlogin wids wtoken id
    targets=$(sed -n 's/^seed.write_targets=//p' "$dir/seed.out")
    [ -n "$targets" ] || targets="$login:$open_dossiers"
    for target in $targets; do
      wlogin=${target%%:*}
      wids=${target#*:}
      [ -n "$wids" ] || continue
      wtoken=$("$MELDROUTE" admin token create "${dbargs[@]}" --login "$wlogin" --name bench-writes | sed -n 's/^  \([^ ].*\)$/\1/p' | head -1)
      [ -n "$wtoken" ] || die "no API token for $wlogin"
      for id in ${wids//,/ }; do pairs+="{\"$wtoken\", \"$id\"},"; done
    done
    cat >"$lua" <<EOF
local targets = { $pairs }
local body = '{"entry":{"kind":"observation","facts":"Kwam vandaag zonder jas en zonder lunch naar school; at in de pauze niets en was stil in de kring.","interpretation":null,"source":"own_observation","source_detail":null,"categories":["child_physical"],"also_noticed_by":[],"concerns_staff_sexual_misconduct":false}}'
local threads = 0
function setup(thread)
  thread:set("first", threads)
  threads = threads + 1
end
local n = nil
request = function()
  if n == nil then n = math.floor((first or 0) * #targets / $WRK_THREADS) end
  n = n + 1
  local t = targets[(n % #targets) + 1]
  return wrk.format("POST", "/api/v1/dossiers/" .. t[2] .. "/entries",
    { ["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. t[1] }, body)
end
EOF
    local text
    text=$(wrk -t"$WRK_THREADS" -c"$connections" -d"${duration}s" --latency -s "$lua" "$base" 2>&1) || die "wrk failed: $text"
    echo "$text" >>"$RUN/wrk.log"
    # Acknowledged = answered 201. Appends to the same dossier at the same moment can exhaust the service's
    # retries (409, nothing written): they are counted apart and left out of the rate.
    read -r wrps wp50 wp99 wbad < <(awk '
      function ms(v) { if (v ~ /us$/) return v/1000; if (v ~ /ms$/) return v+0; if (v ~ /s$/) return v*1000; return v }
      /^ +50%/ { p50 = ms($2) } /^ +99%/ { p99 = ms($2) } /Non-2xx/ { bad = $5 }
      / requests in / { total = $1; secs = $4; sub(/s,?$/, "", secs) }
      END { printf "%.0f %.2f %.2f %d\n", (total - bad) / (secs > 0 ? secs : 1), p50, p99, bad+0 }' <<<"$text")
    echo "$wbad" >"$dir/append-conflicts"
    local limit_url
    if [ "$backend" = sqlite ]; then
      limit_url="sqlite://$dir/limit.db"
    else
      local ldb="meldroute_bench_limit_$$"
      psql -q "$PG_URL" -c "DROP DATABASE IF EXISTS $ldb" >/dev/null
      psql -q "$PG_URL" -c "CREATE DATABASE $ldb" >/dev/null
      echo "$ldb" >>"$RUN/pg-databases"
      limit_url="$PG_BASE/$ldb"
    fi
    local lrps
    lrps=$("$WRITER" --url "$limit_url" --writers "$connections" --seconds "$duration" --payload-bytes 400 | sed -n 's/^writes_per_sec=//p')
    record "$backend" "$name" writes "$wrps" "$wp50" "$wp99" "$lrps"
  fi
  record "$backend" "$name" rss_mb "$(rss_mb "$pid")" "$(hwm_mb "$pid")" "" ""
  kill "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}

for backend in $backends; do
  if [ "$backend" = postgres ]; then
    command -v psql >/dev/null || die "psql is needed for the PostgreSQL run"
    pg_isready -q -d "$PG_URL" || die "PostgreSQL is not reachable at $PG_URL"
  fi
  bench_dataset "$backend" small "${small[@]}"
  bench_dataset "$backend" large "${large[@]}"
done

# --- the domain fold (criterion) -------------------------------------------------------------------------------
log "criterion: fold of 1,000 entries"
crit_args=(--noplot)
[ "$smoke" = 1 ] && crit_args+=(--warm-up-time 0.2 --measurement-time 0.5)
bench_profile=()
[ "$profile" = debug ] && bench_profile=(--profile dev)
fold_text=$(cargo bench --quiet "${bench_profile[@]}" -p meldroute-domain --bench fold -- "${crit_args[@]}" "fold 1000" 2>&1) || die "criterion failed: $fold_text"
echo "$fold_text" >"$RUN/criterion.log"
# "fold 1000 entries   time:   [low unit median unit high unit]": the median, in µs.
fold_us=$(grep -m1 'time:' <<<"$fold_text" | sed 's/.*time: *\[//; s/\]//' | awk '{ v = $3; u = $4; if (u ~ /^ns/) v /= 1000; if (u ~ /^ms/) v *= 1000; printf "%.1f", v }')

# Drop the PostgreSQL databases this run made.
if [ -f "$RUN/pg-databases" ]; then
  while read -r db; do psql -q "$PG_URL" -c "DROP DATABASE IF EXISTS $db" >/dev/null 2>&1 || true; done <"$RUN/pg-databases"
fi

# --- report ----------------------------------------------------------------------------------------------------
get() { awk -F'\t' -v b="$1" -v n="$2" -v w="$3" -v c="$4" '$1 == b && $2 == n && $3 == w { print $c; exit }' "$RESULTS"; }
verdict() { awk -v v="$1" -v t="$2" -v op="$3" 'BEGIN { if (v == "n/a" || v == "") print "?"; else if ((op == ">=" && v + 0 >= t) || (op == "<=" && v + 0 <= t)) print "met"; else print "NOT met" }'; }
{
  echo "# meldroute benchmark, $(date -u '+%Y-%m-%d %H:%M UTC')"
  echo
  echo "Machine: $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //')), $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo) memory, load average at the end $(cut -d' ' -f1-3 /proc/loadavg)."
  echo "Datasets: small = ${small[0]} schools × ${small[1]} pupils, ${small[2]} dossiers × ${small[3]} entries per school; large = ${large[0]} schools (same per school)."
  echo "Load: wrk, $WRK_THREADS threads, $connections connections, ${duration} s per measurement; $profile build."
  [ "$smoke" = 1 ] && echo "SMOKE RUN: tiny data and one-second loads; the numbers mean nothing."
  for backend in $backends; do
    echo
    echo "## $backend"
    echo
    echo "| measurement | small: req/s | p50 ms | p99 ms | large: req/s | p50 ms | p99 ms | static (nginx, large) req/s | ratio to static (large) | bare Rust server (large) req/s | ratio to bare | p99 growth small→large |"
    echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
    for what in dossier tasks search api_state; do
      read -r s_rps s_p50 s_p99 < <(echo "$(get "$backend" small "$what" 4) $(get "$backend" small "$what" 5) $(get "$backend" small "$what" 6)")
      read -r l_rps l_p50 l_p99 < <(echo "$(get "$backend" large "$what" 4) $(get "$backend" large "$what" 5) $(get "$backend" large "$what" 6)")
      read -r st_rps _ _ _ bare_rps <<<"$(get "$backend" large "$what" 7)"
      echo "| $what | $s_rps | $s_p50 | $s_p99 | $l_rps | $l_p50 | $l_p99 | $st_rps | $(ratio "$l_rps" "$st_rps") | $bare_rps | $(ratio "$l_rps" "$bare_rps") | $(ratio "$l_p99" "$s_p99") |"
    done
    w_rps=$(get "$backend" small writes 4); w_p99=$(get "$backend" small writes 6); w_lim=$(get "$backend" small writes 7)
    d_ratio=$(ratio "$(get "$backend" large dossier 4)" "$(get "$backend" large dossier 7 | cut -d' ' -f1)")
    w_ratio=$(ratio "$w_rps" "$w_lim")
    growth=$(ratio "$(get "$backend" large dossier 6)" "$(get "$backend" small dossier 6)")
    rss=$(get "$backend" large rss_mb 4); hwm=$(get "$backend" large rss_mb 5)
    echo
    echo "| target | measured | target | verdict |"
    echo "| --- | ---: | ---: | --- |"
    echo "| dossier page throughput / static (large) | $d_ratio | ≥ 0.5 | $(verdict "$d_ratio" 0.5 '>=') |"
    echo "| durable entry writes ($connections writers): $w_rps/s acknowledged ($(cat "$RUN/$backend-small/append-conflicts" 2>/dev/null || echo 0) refused as concurrent) vs minimal program $w_lim/s (p99 $w_p99 ms) | $w_ratio | ≥ 0.5 | $(verdict "$w_ratio" 0.5 '>=') |"
    echo "| dossier page p99 growth small → large | $growth | ≤ 1.5 | $(verdict "$growth" 1.5 '<=') |"
    echo "| resident memory after load, large (peak) MB | $rss ($hwm) | ≤ 150 | $(verdict "$hwm" 150 '<=') |"
    echo "| start-up on the large dataset, s | $(get "$backend" large startup_seconds 4) | | |"
    echo "| seeding: small / large, s | $(get "$backend" small seed_seconds 4) / $(get "$backend" large seed_seconds 4) | | |"
  done
  echo
  echo "Domain fold of a dossier with 1,000 entries (criterion, median): ${fold_us} µs (target ≤ 50 µs: $(verdict "$fold_us" 50 '<='))."
} | tee "$out"
log "results written to $out; raw wrk output in $RUN/wrk.log"
