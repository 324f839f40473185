#!/bin/bash
# The dedup key made and reshared on chain by real hitod processes (dev build): a testnet
# of N validators whose genesis runs a DKG among validators 0..N-2 (phases of P blocks);
# validator N-1 joins at block JOIN by the validator schedule, and the set reshares.
# Prints, from the status of node 0 and the nodes' logs:
#   - the block interval measured between two heights;
#   - dkg: seconds from the nodes' start to the last genesis holder's combined share;
#   - reshare: seconds from block JOIN to the newcomer's combined share.
# Usage: N=4 P=20 tests/bench/loadgen/dkg_onchain_bench.sh [OUT_DIR]
set -u
B="${HITO_BUILD:-build/dev}"
N="${N:-4}"
P="${P:-20}"
JOIN="${JOIN:-$((4 * P + 5))}"
PORT="${PORT:-27800}"
OUT="${1:-/tmp/hito-dkg-onchain}"
rm -rf "$OUT"
"$B/node/hitod" testnet --validators "$N" --out "$OUT" --base-port "$PORT" --dedup-dkg \
  --dkg-phase-blocks "$P" > "$OUT.log" 2>&1 || { cat "$OUT.log"; exit 1; }
python3 - "$OUT" "$N" "$JOIN" <<'EOF'
import json, sys
out, n, join = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
g = json.load(open(f"{out}/node0/genesis.json"))
every = g["validators"]
g["validators"] = every[: n - 1]
g["validator_schedule"] = [{"height": join, "validators": every}]
for i in range(n):
    with open(f"{out}/node{i}/genesis.json", "w") as f:
        f.write(json.dumps(g, indent=2) + "\n")
EOF

now() { date +%s.%N; }
height() {
  "$B/wallet/hito" --node "127.0.0.1:$PORT" --json status 2> /dev/null |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["height"])' 2> /dev/null || echo 0
}
combined() {
  local c
  c=$(grep -c "dedup OPRF: combined share" "$OUT.node$1.log" 2> /dev/null)
  echo "${c:-0}"
}

PIDS=()
START=$(now)
for ((i = 0; i < N; i++)); do
  "$B/node/hitod" start --home "$OUT/node$i" > "$OUT.node$i.log" 2>&1 &
  PIDS+=($!)
done
trap 'for p in "${PIDS[@]}"; do kill "$p" 2> /dev/null; done; wait' EXIT
nproc
uptime

# Genesis DKG: every holder 0..N-2 combines its share once the run decides at block 3P.
DKG_DONE=""
T_JOIN=""
T_3P=""
DEADLINE=$(($(date +%s) + 60 + 12 * P + JOIN * 3))
while [ "$(date +%s)" -lt "$DEADLINE" ]; do
  h=$(height)
  [ -z "$T_3P" ] && [ "$h" -ge $((3 * P)) ] && T_3P=$(now)
  [ -z "$T_JOIN" ] && [ "$h" -ge "$JOIN" ] && T_JOIN=$(now)
  if [ -z "$DKG_DONE" ]; then
    all=1
    for ((i = 0; i < N - 1; i++)); do [ "$(combined $i)" -ge 1 ] || all=0; done
    [ "$all" = 1 ] && DKG_DONE=$(now)
  fi
  if [ -n "$T_JOIN" ] && [ "$(combined $((N - 1)))" -ge 1 ]; then
    RESHARE_DONE=$(now)
    break
  fi
  sleep 0.2
done
if [ -z "${RESHARE_DONE:-}" ] || [ -z "$DKG_DONE" ]; then
  echo "timed out (dkg done: ${DKG_DONE:-no}); logs in $OUT.node*.log" >&2
  exit 1
fi
python3 - "$START" "$T_3P" "$T_JOIN" "$DKG_DONE" "$RESHARE_DONE" "$N" "$P" "$JOIN" <<'EOF'
import sys
start, t3p, tjoin, dkg, reshare = map(float, sys.argv[1:6])
n, p, join = map(int, sys.argv[6:9])
interval = (tjoin - t3p) / (join - 3 * p)
print(f"validators {n} (genesis DKG among {n - 1}), phase {p} blocks, join at {join}")
print(f"block interval {interval:.3f} s (blocks {3 * p}..{join})")
print(f"dkg: {dkg - start:.1f} s from start to the last holder's share ({3 * p} blocks)")
print(f"reshare: {reshare - tjoin:.1f} s from block {join} to the newcomer's share "
      f"({3 * p} blocks = {3 * p * interval:.1f} s at that interval)")
EOF
uptime
