#!/usr/bin/env bash
# Benchmark of okta-gateway against okta-sim, on loopback, with standard load generators.
#
#   scripts/bench.sh                  full run on SQLite (about 3 minutes after the build)
#   scripts/bench.sh --quick          short smoke for CI (about 15 s per database after the
#                                     build; every measurement, fewer and 1 s runs)
#   DATABASE_URL=postgres://postgres@127.0.0.1:5432/test scripts/bench.sh [--quick]
#                                     also on Postgres: a fresh database is created next to
#                                     the one in the URL, used, and dropped at the end
#
# Options: --quick, --duration S (closed-loop and fixed-rate runs; default 10, quick 1),
#          --soak N (get_user actions of the no-scrape soak; default 500000, quick 20000;
#          0 skips it),
#          --rate N (fixed rate in requests/s, a multiple of 5; default 500),
#          --rate-tool h2load|hey (default h2load), --starts N (restarts timed to /readyz;
#          default 7, quick 3), --out DIR (default target/bench).
#
# What it does: builds the release binaries once; starts okta-sim (demo seed) and the
# gateway, each pinned to a CPU with taskset; connects the account `bench` to the sim; then
# for `get_user` (by id) and `list_groups` runs every load (a) directly against the sim's
# equivalent Okta endpoints and (b) through the gateway, back to back:
#   c1, c32, c256   closed loop with wrk (1 thread, N connections), for throughput;
#   rN              a fixed rate of N requests/s, for latency: 5 h2load processes with one
#                   connection each at N/5 requests/s, started 1/N s apart, so requests
#                   arrive evenly spaced (h2load's own clients would fire in bursts).
# At c32, (c) nginx proxy_pass to the sim (one worker on the gateway's core, upstream
# keep-alive) is the reference: its CPU per request beside the gateway's CPU per action.
# Any non-2xx answer, socket error or timeout fails the run (and the script). Around each
# gateway run it reads the gateway's /metrics and /proc/PID/{stat,status}. It also times
# several gateway starts to the first 200 on /readyz. The no-scrape soak (SQLite) starts a
# fresh gateway, never reads its /metrics, sends N get_user actions with h2load and prints the
# gateway's RSS before, right after, and after the metrics upkeep interval: it stays flat only
# while histogram samples are drained without a scrape. The table goes to stdout and to
# DIR/results.md, DIR/results.csv and DIR/results.json; logs to DIR/logs/.
# scripts/bench/README.md says how each figure is computed.
#
# CPU layout (2 cores): the gateway alone on CPU 0; okta-sim and the load generator share
# CPU 1. Direct runs use the same layout, so (b) − (a) is the cost of the gateway's hop.
# Postgres, when used, is the machine's server and is not pinned.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
LIB="$ROOT/scripts/bench/benchlib.py"
WRK_LUA="$ROOT/scripts/bench/wrk.lua"

QUICK=0
SOAK=
DURATION=
RATE=500
RATE_TOOL=h2load
STARTS=
OUT=target/bench
while [ $# -gt 0 ]; do
    case $1 in
        --quick) QUICK=1 ;;
        --duration) DURATION=$2; shift ;;
        --rate) RATE=$2; shift ;;
        --rate-tool) RATE_TOOL=$2; shift ;;
        --starts) STARTS=$2; shift ;;
        --soak) SOAK=$2; shift ;;
        --out) OUT=$2; shift ;;
        -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
        *) echo "bench: unknown option $1 (see --help)" >&2; exit 2 ;;
    esac
    shift
done
if [ "$QUICK" = 1 ]; then
    DURATION=${DURATION:-1}
    WARMUP=0 # the preflight request is the only warm-up
    STARTS=${STARTS:-3}
    SOAK=${SOAK:-20000}
    LOADS=(c32 "r$RATE")
else
    DURATION=${DURATION:-10}
    WARMUP=3
    STARTS=${STARTS:-7}
    SOAK=${SOAK:-500000}
    LOADS=(c1 c32 c256 "r$RATE")
fi
ACTIONS=(get_user list_groups)
RATE_CONNECTIONS=5
SETTLE=0.3
REFERENCE_LOAD=c32 # the load at which the nginx reference runs beside the gateway
GRACE=30 # seconds a load generator may overrun its duration before it is killed
[[ $SOAK =~ ^[0-9]+$ ]] || { echo "bench: --soak must be a whole number" >&2; exit 2; }
case $RATE_TOOL in h2load|hey) ;; *) echo "bench: --rate-tool is h2load or hey" >&2; exit 2 ;; esac
if ! [[ $RATE =~ ^[0-9]+$ ]] || [ $((RATE % RATE_CONNECTIONS)) -ne 0 ] || [ "$RATE" -eq 0 ]; then
    echo "bench: --rate must be a positive multiple of $RATE_CONNECTIONS" >&2
    exit 2
fi

# Postgres when DATABASE_URL points at one.
PG_ADMIN_URL=
case ${DATABASE_URL:-} in
    postgres://*|postgresql://*) PG_ADMIN_URL=$DATABASE_URL ;;
    "") ;;
    *) echo "bench: DATABASE_URL is not postgres://…; benchmarking SQLite only" >&2 ;;
esac
unset DATABASE_URL
BACKENDS=(sqlite)
[ -n "$PG_ADMIN_URL" ] && BACKENDS+=(postgres)

# CPU layout.
NCPU=$(nproc)
GW_CPU=${BENCH_GATEWAY_CPU:-0}
SIM_CPU=${BENCH_SIM_CPU:-1}
LOAD_CPU=${BENCH_LOAD_CPU:-1}
if [ "$NCPU" -lt 2 ]; then
    echo "bench: only $NCPU CPU available; everything on CPU 0" >&2
    GW_CPU=0 SIM_CPU=0 LOAD_CPU=0
fi
LAYOUT="gateway on CPU $GW_CPU; okta-sim on CPU $SIM_CPU; load generator on CPU $LOAD_CPU"

log() { printf '==> [%3d s] %s\n' "$SECONDS" "$*"; }
die() { printf 'bench: %s\n' "$*" >&2; exit 1; }

# ---- tools ------------------------------------------------------------------------------
need=()
command -v wrk >/dev/null || need+=(wrk)
command -v h2load >/dev/null || need+=(nghttp2-client)
{ [ "$RATE_TOOL" = hey ] && ! command -v hey >/dev/null; } && need+=(hey)
command -v taskset >/dev/null || need+=(util-linux)
command -v curl >/dev/null || need+=(curl)
command -v nginx >/dev/null || need+=(nginx)
{ [ -n "$PG_ADMIN_URL" ] && ! command -v psql >/dev/null; } && need+=(postgresql-client)
if [ ${#need[@]} -gt 0 ]; then
    [ "$(id -u)" = 0 ] || die "missing ${need[*]}: apt-get install -y ${need[*]} (as root)"
    log "installing ${need[*]}"
    apt-get install -y -qq "${need[@]}" >/dev/null ||
        { apt-get update -qq && apt-get install -y -qq "${need[@]}" >/dev/null; }
fi
command -v python3 >/dev/null || die "python3 is needed"

# ---- build ------------------------------------------------------------------------------
log "building release binaries"
cargo build --release --locked -p okta-gateway -p okta-sim --bin okta-gateway --bin okta-sim
BIN="$ROOT/target/release"

# ---- processes and clean-up -------------------------------------------------------------
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
LOGS="$OUT/logs"
rm -rf "$LOGS"
mkdir -p "$LOGS"
RESULTS="$OUT/results.jsonl"
: >"$RESULTS"
TMP=$(mktemp -d /tmp/okta-bench.XXXXXX)
PIDS=()
CURRENT=
PG_DB=
GW_PID=

cleanup() {
    local rc=$? pid i
    set +e
    trap - EXIT INT TERM
    for pid in $CURRENT "${PIDS[@]}"; do
        kill -TERM "$pid" 2>/dev/null
    done
    for pid in $CURRENT "${PIDS[@]}"; do
        for i in $(seq 50); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
        kill -KILL "$pid" 2>/dev/null
        wait "$pid" 2>/dev/null
    done
    if [ -n "$PG_DB" ]; then
        psql "$PG_ADMIN_URL" -qXc "DROP DATABASE IF EXISTS \"$PG_DB\" WITH (FORCE)" >/dev/null
    fi
    rm -rf "$TMP"
    [ "$rc" = 0 ] || echo "bench: FAILED (exit $rc); logs in $LOGS" >&2
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

forget() { # pid: no longer ours to clean up
    local keep=() p
    for p in "${PIDS[@]}"; do [ "$p" = "$1" ] || keep+=("$p"); done
    PIDS=("${keep[@]}")
}

# Run a command in the background and wait for it, so that a signal reaches the trap at once.
run() {
    local rc=0
    "$@" &
    CURRENT=$!
    wait "$CURRENT" || rc=$?
    CURRENT=
    return "$rc"
}

# ---- secrets and settings of this run (throw-away) -----------------------------------------
OKTA_TOKEN="bench-okta-token-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')"
ADMIN_KEY="bench-admin-$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')"
ACTION_KEY="bench-action-$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')"
export GATEWAY_ADMIN_KEYS=$ADMIN_KEY
export GATEWAY_API_KEYS=$ACTION_KEY
export TOKEN_ENCRYPTION_KEY
TOKEN_ENCRYPTION_KEY=$(head -c 32 /dev/urandom | base64)
export OKTA_ALLOW_INSECURE_LOOPBACK=true
export PGCONNECT_TIMEOUT=10
export RUST_LOG=warn
# At c256 every connection has an Okta call in flight for the one account; the default cap
# of 20 would answer most of them 429, so the benchmark lifts it above its concurrency.
export OKTA_MAX_IN_FLIGHT_PER_ACCOUNT=1024
JORDAN=00ub0oNGTSWTBKOLGLNR
ACCOUNT=bench

# ---- okta-sim ---------------------------------------------------------------------------
log "starting okta-sim ($LAYOUT)"
taskset -c "$SIM_CPU" "$BIN/okta-sim" --port 0 --token "$OKTA_TOKEN" --seed demo \
    >"$TMP/sim.url" 2>"$LOGS/okta-sim.log" &
SIM_PID=$!
PIDS+=("$SIM_PID")
for _ in $(seq 200); do
    [ -s "$TMP/sim.url" ] && break
    kill -0 "$SIM_PID" 2>/dev/null || die "okta-sim exited (see $LOGS/okta-sim.log)"
    sleep 0.05
done
SIM_URL=$(head -n1 "$TMP/sim.url")
[ -n "$SIM_URL" ] || die "okta-sim printed no URL"
curl -fsS --max-time 5 "$SIM_URL/__sim/health" >/dev/null || die "okta-sim does not answer at $SIM_URL"

# ---- nginx: the reference proxy ---------------------------------------------------------
# nginx proxy_pass to okta-sim on the gateway's core, one worker, upstream keep-alive: what
# a plain reverse proxy costs per request, so the gateway's CPU per action has a yardstick
# measured in the same run.
NGINX_URL=
NGINX_WORKER=
start_nginx() {
    local port conf="$TMP/nginx.conf" i
    port=$(python3 "$LIB" free-port)
    cat >"$conf" <<EOF
worker_processes 1;
daemon off;
pid $TMP/nginx.pid;
error_log $LOGS/nginx.log warn;
events { worker_connections 4096; }
http {
    access_log off;
    client_body_temp_path $TMP/nginx-body;
    proxy_temp_path $TMP/nginx-proxy;
    proxy_max_temp_file_size 0;
    fastcgi_temp_path $TMP/nginx-fastcgi;
    uwsgi_temp_path $TMP/nginx-uwsgi;
    scgi_temp_path $TMP/nginx-scgi;
    upstream sim { server ${SIM_URL#http://}; keepalive 64; }
    server {
        listen 127.0.0.1:$port;
        location / {
            proxy_pass http://sim;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
        }
    }
}
EOF
    taskset -c "$GW_CPU" nginx -e "$LOGS/nginx.log" -c "$conf" >>"$LOGS/nginx.log" 2>&1 &
    local master=$!
    PIDS+=("$master")
    NGINX_URL="http://127.0.0.1:$port"
    for i in $(seq 100); do
        [ "$(curl -s --max-time 2 -o /dev/null -w '%{http_code}' "$NGINX_URL/__sim/health")" = 200 ] &&
            break
        kill -0 "$master" 2>/dev/null || die "nginx exited (see $LOGS/nginx.log)"
        sleep 0.05
    done
    NGINX_WORKER=$(pgrep -P "$master" | head -n1)
    [ -n "$NGINX_WORKER" ] || die "nginx started no worker (see $LOGS/nginx.log)"
}

# ---- the gateway ------------------------------------------------------------------------
GW_PORT=
GW_URL=
GW_DIR=

start_gateway() { # database URL
    (cd "$GW_DIR" && exec env "BIND_ADDR=127.0.0.1:$GW_PORT" "DATABASE_URL=$1" \
        taskset -c "$GW_CPU" "$BIN/okta-gateway" serve) >>"$LOGS/gateway-$BACKEND.log" 2>&1 &
    GW_PID=$!
    PIDS+=("$GW_PID")
    for _ in $(seq 600); do
        [ "$(curl -s --max-time 2 -o /dev/null -w '%{http_code}' "$GW_URL/readyz")" = 200 ] &&
            return 0
        kill -0 "$GW_PID" 2>/dev/null || die "the gateway exited (see $LOGS/gateway-$BACKEND.log)"
        sleep 0.05
    done
    die "the gateway is not ready after 30 s (see $LOGS/gateway-$BACKEND.log)"
}

stop_gateway() {
    local rc=0
    kill -TERM "$GW_PID"
    wait "$GW_PID" || rc=$?
    forget "$GW_PID"
    GW_PID=
    [ "$rc" = 0 ] || die "the gateway exited with $rc on SIGTERM (see $LOGS/gateway-$BACKEND.log)"
}

ready_time() { # database URL → milliseconds from spawn to the first 200 on /readyz
    (cd "$GW_DIR" && exec taskset -c "$LOAD_CPU" python3 "$LIB" ready-time \
        --log "$LOGS/gateway-$BACKEND-starts.log" "$GW_URL/readyz" -- \
        env "BIND_ADDR=127.0.0.1:$GW_PORT" "DATABASE_URL=$1" \
        taskset -c "$GW_CPU" "$BIN/okta-gateway" serve)
}

# ---- load -------------------------------------------------------------------------------
# target action → TARGET_URL METHOD AUTH BODY
describe() {
    BODY=
    if [ "$1" = direct ] || [ "$1" = nginx ]; then
        METHOD=GET
        AUTH="SSWS $OKTA_TOKEN"
        local base=$SIM_URL
        [ "$1" = nginx ] && base=$NGINX_URL
        case $2 in
            get_user) TARGET_URL="$base/api/v1/users/$JORDAN" ;;
            list_groups) TARGET_URL="$base/api/v1/groups?limit=200" ;;
        esac
    else
        METHOD=POST
        AUTH="Bearer $ACTION_KEY"
        TARGET_URL="$GW_URL/accounts/$ACCOUNT/actions/$2"
        case $2 in
            get_user) BODY="{\"searchBy\": \"id\", \"searchValue\": \"$JORDAN\"}" ;;
            list_groups) BODY='{"limit": 200}' ;;
        esac
    fi
}

preflight() { # target action: one request, must be 200 with a JSON body
    describe "$1" "$2"
    local status args=(-sS -o "$TMP/preflight.json" -w '%{http_code}' -X "$METHOD"
        -H "Authorization: $AUTH" -H 'Accept: application/json')
    [ -n "$BODY" ] && args+=(-H 'Content-Type: application/json' -d "$BODY")
    status=$(curl --max-time 10 "${args[@]}" "$TARGET_URL")
    [ "$status" = 200 ] || die "$1 $2 answered $status: $(head -c 500 "$TMP/preflight.json")"
    python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$TMP/preflight.json" ||
        die "$1 $2 did not answer JSON"
}

wrk_run() { # connections seconds output
    BENCH_METHOD=$METHOD BENCH_AUTH=$AUTH BENCH_BODY=$BODY \
        run taskset -c "$LOAD_CPU" timeout -k 5 $(($2 + GRACE)) \
        wrk -t1 -c "$1" -d "${2}s" --timeout 10s -s "$WRK_LUA" "$TARGET_URL" >"$3" 2>&1 ||
        die "wrk failed or overran (see $3)"
}

rate_run() { # seconds output-prefix → RUN_FILES (record's --output/--log arguments)
    # RATE_CONNECTIONS processes with one connection each, started 1/RATE s apart, so
    # requests arrive evenly spaced rather than in bursts (see benchlib.py spread).
    local per=$((RATE / RATE_CONNECTIONS)) interval i
    interval=$(python3 -c "print(1 / $RATE)")
    local spread=(run taskset -c "$LOAD_CPU" python3 "$LIB" spread --count "$RATE_CONNECTIONS"
        --interval "$interval" --deadline $(($1 + GRACE)) --stdout "$2.{i}.txt")
    RUN_FILES=()
    if [ "$RATE_TOOL" = h2load ]; then
        local args=(--h1 -c 1 --rps "$per" -D "$1" --log-file "$2.{i}.tsv"
            -H "authorization: $AUTH" -H 'accept: application/json')
        if [ -n "$BODY" ]; then
            printf '%s' "$BODY" >"$TMP/body.json"
            args+=(-d "$TMP/body.json" -H 'content-type: application/json')
        fi
        "${spread[@]}" -- h2load "${args[@]}" "$TARGET_URL" || die "h2load failed (see $2.*.txt)"
        for i in $(seq 0 $((RATE_CONNECTIONS - 1))); do
            RUN_FILES+=(--output "$2.$i.txt" --log "$2.$i.tsv")
        done
    else
        local args=(-z "${1}s" -c 1 -q "$per" -cpus 1 -disable-redirects -disable-compression
            -H "Authorization: $AUTH" -A application/json -o csv)
        [ -n "$BODY" ] && args+=(-m POST -T application/json -d "$BODY")
        "${spread[@]}" --stderr "$2.{i}.err" -- hey "${args[@]}" "$TARGET_URL" ||
            die "hey failed (see $2.*.err)"
        for i in $(seq 0 $((RATE_CONNECTIONS - 1))); do
            RUN_FILES+=(--output "$2.$i.txt" --log "$2.$i.err")
        done
    fi
}

warm_up() { # target action
    describe "$1" "$2"
    local out="$LOGS/$BACKEND-$2-$1-warmup.txt"
    wrk_run 32 "$WARMUP" "$out"
    python3 "$LIB" check --tool wrk --output "$out"
}

measure() { # target action load
    local target=$1 action=$2 load=$3 tool out
    describe "$target" "$action"
    out="$LOGS/$BACKEND-$action-$load-$target.txt"
    local extra=()
    if [ "$target" = gateway ]; then
        # VmHWM back to the current RSS, so the run's own peak is read afterwards.
        local scope=run
        echo 5 >"/proc/$GW_PID/clear_refs" 2>/dev/null || scope=process
        python3 "$LIB" snapshot --when before --pid "$GW_PID" --metrics-url "$GW_URL/metrics" \
            --key "$ADMIN_KEY" --out "$TMP/before.json"
        extra=(--before "$TMP/before.json" --after "$TMP/after.json" --account "$ACCOUNT"
            --rss-scope "$scope")
    elif [ "$target" = nginx ]; then
        python3 "$LIB" snapshot --when before --pid "$NGINX_WORKER" --out "$TMP/before.json"
        extra=(--before "$TMP/before.json" --after "$TMP/after.json")
    fi
    case $load in
        c*) tool=wrk
            wrk_run "${load#c}" "$DURATION" "$out"
            RUN_FILES=(--output "$out") ;;
        r*) tool=$RATE_TOOL
            rate_run "$DURATION" "${out%.txt}" ;;
    esac
    if [ "$target" = gateway ]; then
        sleep "$SETTLE" # requests cut off at the end finish before the counters are read
        python3 "$LIB" snapshot --when after --pid "$GW_PID" --metrics-url "$GW_URL/metrics" \
            --key "$ADMIN_KEY" --out "$TMP/after.json"
    elif [ "$target" = nginx ]; then
        sleep "$SETTLE"
        python3 "$LIB" snapshot --when after --pid "$NGINX_WORKER" --out "$TMP/after.json"
    fi
    python3 "$LIB" record --tool "$tool" "${RUN_FILES[@]}" \
        --results "$RESULTS" --backend "$BACKEND" --action "$action" --load "$load" \
        --target "$target" "${extra[@]}"
}

rss_kb() { awk '/VmRSS/ {print $2}' "/proc/$GW_PID/status"; }

# The no-scrape soak: a fresh gateway, N actions, RSS before and after (see the header).
soak() { # database URL
    [ "$SOAK" -gt 0 ] || return 0
    log "$BACKEND: no-scrape soak, $SOAK get_user actions"
    start_gateway "$1"
    describe gateway get_user
    printf '%s' "$BODY" >"$TMP/soak.json"
    local before after drained out="$LOGS/$BACKEND-soak.txt"
    before=$(rss_kb)
    run taskset -c "$LOAD_CPU" timeout -k 5 900 h2load --h1 -n "$SOAK" -c 32 -t 1 \
        -H "authorization: $AUTH" -H 'accept: application/json' \
        -H 'content-type: application/json' -d "$TMP/soak.json" "$TARGET_URL" >"$out" 2>&1 ||
        die "h2load failed or overran (see $out)"
    grep -Eq "status codes: $SOAK 2xx" "$out" || die "the soak saw answers other than 2xx (see $out)"
    after=$(rss_kb)
    sleep 6 # longer than the metrics upkeep interval
    drained=$(rss_kb)
    echo "    no-scrape soak: $SOAK actions; gateway RSS $before kB before, $after kB after, $drained kB 6 s later" |
        tee -a "$OUT/soak.txt"
    stop_gateway
}

# ---- one backend ------------------------------------------------------------------------
bench_backend() {
    BACKEND=$1
    local db_url
    GW_DIR="$TMP/$BACKEND"
    mkdir -p "$GW_DIR"
    if [ "$BACKEND" = sqlite ]; then
        db_url="sqlite://$GW_DIR/okta-gateway.db"
    else
        PG_DB="okgw_bench_$$_$(date +%s)"
        psql "$PG_ADMIN_URL" -qXc "CREATE DATABASE \"$PG_DB\"" >/dev/null ||
            die "cannot create a database through $PG_ADMIN_URL"
        db_url=$(python3 -c 'import sys; from urllib.parse import urlsplit, urlunsplit
u = urlsplit(sys.argv[1]); print(urlunsplit(u._replace(path="/" + sys.argv[2])))' \
            "$PG_ADMIN_URL" "$PG_DB")
    fi
    GW_PORT=$(python3 "$LIB" free-port)
    GW_URL="http://127.0.0.1:$GW_PORT"
    log "$BACKEND: gateway at $GW_URL"

    local first starts=() i ms
    first=$(ready_time "$db_url") || die "the gateway did not become ready (fresh database)"
    start_gateway "$db_url"
    curl -fsS --max-time 15 -o /dev/null -X POST "$GW_URL/accounts" -H "Authorization: Bearer $ADMIN_KEY" \
        -H 'Content-Type: application/json' \
        -d "{\"name\": \"$ACCOUNT\", \"domain\": \"$SIM_URL\", \"apiToken\": \"$OKTA_TOKEN\"}" ||
        die "connecting the account to okta-sim failed"
    stop_gateway
    for i in $(seq "$STARTS"); do
        ms=$(ready_time "$db_url") || die "the gateway did not become ready (restart $i)"
        starts+=("$ms")
    done
    python3 "$LIB" ready --results "$RESULTS" --backend "$BACKEND" --first "$first" "${starts[@]}"

    start_gateway "$db_url"
    local action load target targets=(direct gateway)
    # The nginx reference does not depend on the database: measured with the first one.
    [ "$BACKEND" = "${BACKENDS[0]}" ] && targets+=(nginx)
    for action in "${ACTIONS[@]}"; do
        for target in "${targets[@]}"; do
            preflight "$target" "$action"
            [ "$WARMUP" = 0 ] || warm_up "$target" "$action"
        done
        for load in "${LOADS[@]}"; do
            log "$BACKEND $action $load"
            for target in "${targets[@]}"; do
                # The reference is measured at the CPU target's load only.
                [ "$target" = nginx ] && [ "$load" != "$REFERENCE_LOAD" ] && continue
                measure "$target" "$action" "$load"
            done
        done
    done
    grep -Eq 'VmHWM' "/proc/$GW_PID/status" &&
        echo "    gateway lifetime peak RSS: $(awk '/VmHWM/ {print $2, $3}' "/proc/$GW_PID/status")"
    stop_gateway
    [ "$BACKEND" != sqlite ] || soak "$db_url"

    if [ "$BACKEND" = postgres ]; then
        psql "$PG_ADMIN_URL" -qXc "DROP DATABASE IF EXISTS \"$PG_DB\" WITH (FORCE)" >/dev/null
        PG_DB=
    fi
}

# ---- main -------------------------------------------------------------------------------
: >"$OUT/soak.txt"
MODE=$([ "$QUICK" = 1 ] && echo quick || echo full)
python3 - "$OUT/meta.json" <<EOF
import json, os, platform, subprocess, sys, datetime
def sh(cmd):
    try:
        return subprocess.run(cmd, shell=True, capture_output=True, text=True).stdout.strip()
    except Exception:
        return "?"
cpu = sh("grep -m1 'model name' /proc/cpuinfo | cut -d: -f2").strip()
meta = {
    "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
    "commit": sh("git rev-parse --short HEAD") + (" (dirty)" if sh("git status --porcelain -uno") else ""),
    "mode": "$MODE",
    "machine": f"{os.cpu_count()} CPUs ({cpu}), Linux {platform.release()}",
    "layout": "$LAYOUT",
    "tools": "; ".join([
        sh("wrk -v 2>&1 | head -n1 | cut -d' ' -f1-2") + " (closed loop, 1 thread)",
        ("h2load " + sh("h2load --version | head -n1 | awk '{print \$NF}'") + " (--h1 -c 1 --rps, $RATE_CONNECTIONS processes started 1/rate apart)")
        if "$RATE_TOOL" == "h2load" else
        ("hey " + sh("dpkg-query -W -f='\${Version}' hey") + " (-c 1 -q, $RATE_CONNECTIONS processes started 1/rate apart)"),
    ]),
    "settings": "${DURATION} s per run, ${WARMUP} s warm-up (wrk, c32) per target and action, fixed rate ${RATE}/s, "
                "RUST_LOG=warn, OKTA_MAX_IN_FLIGHT_PER_ACCOUNT=1024",
    "load_before": open("/proc/loadavg").read().split()[0:3],
}
json.dump(meta, open(sys.argv[1], "w"))
EOF

log "starting nginx (the reference proxy, on CPU $GW_CPU)"
start_nginx

for backend in "${BACKENDS[@]}"; do
    bench_backend "$backend"
done

python3 - "$OUT/meta.json" <<'EOF'
import json, sys
meta = json.load(open(sys.argv[1]))
meta["load_before"] = f"load average {' '.join(meta['load_before'])} before, " \
    f"{' '.join(open('/proc/loadavg').read().split()[0:3])} after (2 cores; other work shares them)"
json.dump(meta, open(sys.argv[1], "w"))
EOF
echo
python3 "$LIB" report --results "$RESULTS" --meta "$OUT/meta.json" --out-dir "$OUT"
log "written: $OUT/results.md, results.csv, results.json (logs in $LOGS)"
