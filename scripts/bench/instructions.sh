#!/usr/bin/env bash
# Instructions per action, counted by valgrind's callgrind: a CPU figure that does not move
# with the machine's other load (bench.sh's CPU/1k actions does), for comparing one change
# with the next on a shared machine. It also writes the profile, ranked by function.
#
#   scripts/bench/instructions.sh [--actions N] [--action get_user|list_groups] [--out DIR]
#
# Builds the release binaries; starts okta-sim (demo seed) natively and the gateway under
# callgrind (SQLite in a temp dir, the bench's settings); connects the account `bench`;
# sends 300 warm-up actions; zeroes the counters; sends N actions (default 3000) with h2load
# over 32 connections; dumps the counters and prints Ir per action and the top functions
# (self cost). callgrind runs the gateway ~50× slower, so the figure
# is instructions, not time: compare it only with runs of this script.
set -euo pipefail
cd "$(dirname "$0")/../.."
N=3000
ACTION=get_user
OUT=target/bench/instructions
while [ $# -gt 0 ]; do
    case $1 in
        --actions) N=$2; shift ;;
        --action) ACTION=$2; shift ;;
        --out) OUT=$2; shift ;;
        -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
        *) echo "instructions: unknown option $1 (see --help)" >&2; exit 2 ;;
    esac
    shift
done
[[ $N =~ ^[1-9][0-9]*$ ]] || { echo "instructions: --actions must be a positive number" >&2; exit 2; }
for tool in valgrind callgrind_control h2load curl; do
    command -v "$tool" >/dev/null || { echo "instructions: $tool is needed" >&2; exit 1; }
done

cargo build --release --locked -p okta-gateway -p okta-sim --bin okta-gateway --bin okta-sim
BIN=$PWD/target/release
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
TMP=$(mktemp -d /tmp/okta-instructions.XXXXXX)
PIDS=()
cleanup() {
    local pid
    for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
    for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
    rm -rf "$TMP"
}
trap cleanup EXIT

TOKEN="instr-okta-token-$(head -c 8 /dev/urandom | od -An -tx1 | tr -d ' \n')"
ADMIN_KEY="instr-admin-$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')"
ACTION_KEY="instr-action-$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')"

"$BIN/okta-sim" --port 0 --token "$TOKEN" --seed demo >"$TMP/sim.url" 2>"$OUT/okta-sim.log" &
PIDS+=($!)
for _ in $(seq 200); do [ -s "$TMP/sim.url" ] && break; sleep 0.05; done
SIM_URL=$(head -n1 "$TMP/sim.url")

PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
GW_URL="http://127.0.0.1:$PORT"
env BIND_ADDR="127.0.0.1:$PORT" DATABASE_URL="sqlite://$TMP/gateway.db" \
    GATEWAY_ADMIN_KEYS="$ADMIN_KEY" GATEWAY_API_KEYS="$ACTION_KEY" \
    TOKEN_ENCRYPTION_KEY="$(head -c 32 /dev/urandom | base64)" \
    OKTA_ALLOW_INSECURE_LOOPBACK=true RUST_LOG=warn OKTA_MAX_IN_FLIGHT_PER_ACCOUNT=1024 \
    valgrind --tool=callgrind --callgrind-out-file="$OUT/callgrind.out" \
    "$BIN/okta-gateway" serve >"$OUT/gateway.log" 2>&1 &
GW_PID=$!
PIDS+=("$GW_PID")
for _ in $(seq 600); do
    [ "$(curl -s --max-time 5 -o /dev/null -w '%{http_code}' "$GW_URL/readyz")" = 200 ] && break
    kill -0 "$GW_PID" 2>/dev/null || { echo "instructions: the gateway exited (see $OUT/gateway.log)" >&2; exit 1; }
    sleep 0.2
done
curl -fsS --max-time 60 -o /dev/null -X POST "$GW_URL/accounts" \
    -H "Authorization: Bearer $ADMIN_KEY" -H 'Content-Type: application/json' \
    -d "{\"name\": \"bench\", \"domain\": \"$SIM_URL\", \"apiToken\": \"$TOKEN\"}"

case $ACTION in
    get_user) BODY='{"searchBy": "id", "searchValue": "00ub0oNGTSWTBKOLGLNR"}' ;;
    list_groups) BODY='{"limit": 200}' ;;
    *) echo "instructions: --action is get_user or list_groups" >&2; exit 2 ;;
esac
printf '%s' "$BODY" >"$TMP/body.json"
send() { # count output
    h2load --h1 -n "$1" -c 32 -t 1 -H "authorization: Bearer $ACTION_KEY" \
        -H 'content-type: application/json' -d "$TMP/body.json" \
        "$GW_URL/accounts/bench/actions/$ACTION" >"$2" 2>&1
    grep -Eq "status codes: $1 2xx" "$2" || { echo "instructions: answers other than 2xx (see $2)" >&2; exit 1; }
}
send 300 "$OUT/warmup.txt"
callgrind_control -z "$GW_PID" >/dev/null
send "$N" "$OUT/run.txt"
callgrind_control -d "$GW_PID" >/dev/null
DUMP=$(ls -t "$OUT"/callgrind.out.* | head -n1)
python3 scripts/bench/benchlib.py callgrind-self "$DUMP" --per "$N" --top 60 >"$OUT/profile.txt"
echo "$ACTION: $N actions: $(head -n1 "$OUT/profile.txt")"
echo "profile (self cost per function): $OUT/profile.txt"
sed -n '2,26p' "$OUT/profile.txt"
