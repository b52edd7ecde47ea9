# Sourced, not run: a live gateway with okta-sim behind it, for the CI stages that call one
# (schemathesis, the MCP SDK check).
#
# start_live_gateway OUT WORK starts okta-sim and the gateway from ${BIN_DIR:-target/release}
# (a fresh SQLite file in WORK) on free loopback ports and connects account `acme` to the
# simulator. It sets SIM_URL, SIM_TOKEN, ADMIN_KEY, ACTION_KEY and GATEWAY_URL (exported),
# appends the two processes to the caller's `pids` array (the caller stops them), and writes
# their logs to OUT. Any failure exits with the service's log tail.

live_gateway_fail() {
    echo "live gateway: $*" >&2
    exit 1
}

# Print a service's log tail, for a failure while starting it.
show_log() {
    echo "--- last lines of $1 ---" >&2
    tail -n 40 "$1" >&2 || true
}

random_key() { od -An -N24 -tx1 /dev/urandom | tr -d ' \n'; }

start_live_gateway() {
    local out=$1 work=$2 bin=${BIN_DIR:-target/release}
    SIM_TOKEN="sim-$(random_key)"
    ADMIN_KEY="admin-$(random_key)"
    ACTION_KEY="action-$(random_key)"

    : >"$work/sim.url"
    OKTA_SIM_TOKEN="$SIM_TOKEN" "$bin/okta-sim" --port 0 >"$work/sim.url" 2>"$out/okta-sim.log" &
    pids+=($!)
    for _ in $(seq 1 100); do
        [ -s "$work/sim.url" ] && break
        kill -0 "${pids[-1]}" 2>/dev/null || { show_log "$out/okta-sim.log"; live_gateway_fail "okta-sim exited"; }
        sleep 0.1
    done
    SIM_URL=$(head -n 1 "$work/sim.url")
    [[ "$SIM_URL" == http://127.0.0.1:* ]] || live_gateway_fail "okta-sim printed no base URL"
    echo "okta-sim at $SIM_URL"

    # Port 0: the gateway picks a free port and logs it in its "listening" line.
    : >"$out/gateway.log"
    BIND_ADDR=127.0.0.1:0 \
        DATABASE_URL="sqlite://$work/gateway.db" \
        GATEWAY_ADMIN_KEYS="$ADMIN_KEY" \
        GATEWAY_API_KEYS="$ACTION_KEY" \
        TOKEN_ENCRYPTION_KEY="$(head -c 32 /dev/urandom | base64)" \
        OKTA_ALLOW_INSECURE_LOOPBACK=true \
        LOG_FORMAT=json \
        RUST_LOG=info \
        "$bin/okta-gateway" serve >"$out/gateway.log" 2>&1 &
    pids+=($!)
    local addr=""
    for _ in $(seq 1 100); do
        addr=$(sed -n 's/.*"addr":"\(127\.0\.0\.1:[0-9]*\)".*okta-gateway listening.*/\1/p; s/.*okta-gateway listening.*"addr":"\(127\.0\.0\.1:[0-9]*\)".*/\1/p' "$out/gateway.log" | head -n 1)
        [ -n "$addr" ] && break
        kill -0 "${pids[-1]}" 2>/dev/null || { show_log "$out/gateway.log"; live_gateway_fail "the gateway exited"; }
        sleep 0.1
    done
    [ -n "$addr" ] || { show_log "$out/gateway.log"; live_gateway_fail "the gateway did not say where it listens"; }
    export GATEWAY_URL="http://$addr"
    for _ in $(seq 1 100); do
        curl -fsS "$GATEWAY_URL/readyz" >/dev/null 2>&1 && break
        sleep 0.1
    done
    curl -fsS "$GATEWAY_URL/readyz" >/dev/null || { show_log "$out/gateway.log"; live_gateway_fail "the gateway is not ready"; }
    echo "gateway at $GATEWAY_URL"

    local status
    status=$(curl -sS -o "$work/connect.json" -w '%{http_code}' -X POST "$GATEWAY_URL/accounts" \
        -H "Authorization: Bearer $ADMIN_KEY" -H 'Content-Type: application/json' \
        -d "{\"name\": \"acme\", \"domain\": \"$SIM_URL\", \"apiToken\": \"$SIM_TOKEN\"}")
    [ "$status" = 201 ] || { cat "$work/connect.json" >&2; live_gateway_fail "connecting account acme answered $status"; }
    echo "account acme connected to the simulator"
}
