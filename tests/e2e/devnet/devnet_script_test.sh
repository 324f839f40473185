#!/usr/bin/env bash
# Drives scripts/devnet.sh against the binaries of one build tree (no setup, no build):
# a 4-validator chain starts and commits; a transfer sent through one node is seen on
# another; status names every node; stop stops them all; a second start resumes the same
# chain at a later height; a mismatched DEVNET_VALIDATORS and an unknown command are
# refused with exit code 2 and a message.
#   devnet_script_test.sh SOURCE_DIR BUILD_DIR
set -uo pipefail
src="$1"
build="$2"
hito="$build/wallet/hito"
work="$(mktemp -d /tmp/hito-devnet-test.XXXXXX)"
# A base port unlikely to collide with another test running in parallel.
base=$((30000 + (RANDOM % 1500) * 20))
export DEVNET_DIR="$work/devnet" DEVNET_NO_BUILD=1 DEVNET_BUILD_DIR="$build" DEVNET_BASE_PORT="$base"
export HITO_HOME="$work/wallet" HITO_PASSPHRASE="devnet test passphrase"
unset DEVNET_VALIDATORS

fail() {
  echo "FAIL: $*" >&2
  for i in 0 1 2 3; do
    [ -f "$DEVNET_DIR/node$i.log" ] && { echo "--- node$i.log (tail)" >&2; tail -n 15 "$DEVNET_DIR/node$i.log" >&2; }
  done
  exit 1
}
cleanup() {
  "$src/scripts/devnet.sh" stop >/dev/null 2>&1
  rm -rf "$work"
}
trap cleanup EXIT

height_of() {
  "$hito" --node "$1" status --json | sed -n 's/.*"height": *\([0-9][0-9]*\).*/\1/p' | head -n 1
}

out="$("$src/scripts/devnet.sh" 2>&1)" || fail "devnet.sh start exited non-zero: $out"
for i in 0 1 2 3; do
  grep -q "node$i: gRPC 127.0.0.1:$((base + 2 * i))" <<<"$out" || fail "start did not print node$i's address: $out"
done
grep -q "4-validator chain is up" <<<"$out" || fail "start did not say the chain is up: $out"
grep -q "stop:" <<<"$out" || fail "start did not say how to stop: $out"
[ -f "$DEVNET_DIR/testnet/nodes.json" ] || fail "no nodes.json"

status="$("$src/scripts/devnet.sh" status)"
[ "$(grep -c ' running, pid ' <<<"$status")" = 4 ] || fail "status does not list 4 running nodes: $status"

node0="127.0.0.1:$base"
node3="127.0.0.1:$((base + 6))"
"$hito" --node "$node0" keys import dev --seed-file "$DEVNET_DIR/testnet/dev.key" >/dev/null || fail "keys import"
"$hito" --node "$node0" keys new alice >/dev/null || fail "keys new"
"$hito" --node "$node0" send --from dev --to alice --amount 1000000 >/dev/null || fail "send through node0"
bal="$("$hito" --node "$node3" balance alice --json)" || fail "balance on node3"
grep -q '"balance": *1000000' <<<"$bal" || fail "node3 does not show alice's 1000000 units: $bal"

h1="$(height_of "$node3")"
[ -n "$h1" ] && [ "$h1" -ge 1 ] || fail "node3 height unknown: $h1"

"$src/scripts/devnet.sh" stop >/dev/null || fail "stop exited non-zero"
status="$("$src/scripts/devnet.sh" status)"
[ "$(grep -c 'not running' <<<"$status")" = 4 ] || fail "after stop, status still shows running nodes: $status"

out="$(DEVNET_VALIDATORS=2 "$src/scripts/devnet.sh" status 2>&1)"
rc=$?
[ "$rc" = 2 ] || fail "a mismatched DEVNET_VALIDATORS gave exit $rc, want 2"
grep -q "4-validator chain" <<<"$out" || fail "mismatch message does not name the recorded count: $out"
out="$("$src/scripts/devnet.sh" bogus 2>&1)"
rc=$?
[ "$rc" = 2 ] || fail "an unknown command gave exit $rc, want 2"
grep -q "usage" <<<"$out" || fail "unknown command printed no usage: $out"

# Restart: the same chain resumes (same homes), commits past where it stopped, and
# alice's balance is still there.
"$src/scripts/devnet.sh" >/dev/null 2>&1 || fail "second start exited non-zero"
for _ in $(seq 1 100); do
  h2="$(height_of "$node0")"
  [ -n "$h2" ] && [ "$h2" -gt "$h1" ] && break
  sleep 0.2
done
[ -n "$h2" ] && [ "$h2" -gt "$h1" ] || fail "after restart node0 is at height $h2, not past $h1"
bal="$("$hito" --node "$node0" balance alice --json)" || fail "balance after restart"
grep -q '"balance": *1000000' <<<"$bal" || fail "alice's balance lost across restart: $bal"
echo "PASS: devnet.sh 4 validators (base port $base), heights $h1 -> $h2"
