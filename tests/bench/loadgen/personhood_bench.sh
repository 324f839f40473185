#!/usr/bin/env bash
# Personhood and UBI figures of docs/perf/ubi.md, each on a fresh chain of real hitod
# processes on loopback:
#
#   personhood_bench.sh dev            committed claims/s, single-validator dev chain
#   personhood_bench.sh devnet         committed claims/s, 4-validator testnet
#   personhood_bench.sh registrations  committed registrations/s, dev chain
#   personhood_bench.sh claim-wall     wall time of `hito ubi claim` for one epoch in a
#                                      cohort of 2^14, snapshot cached (5 epochs, median)
#   personhood_bench.sh rss            peak RSS of a dev node with 4 cohorts of 2^14
#                                      and a 14-epoch window, after claims in every
#                                      cohort and 16 epochs
#   personhood_bench.sh ballots-dev    committed governance ballots/s (and re-votes/s),
#                                      single-validator dev chain (docs/perf/governance.md)
#   personhood_bench.sh ballots-devnet the same on the 4-validator testnet
#
# Claims are by test identities (`--identities`) in cohorts of 2^14, all for epoch 0 of
# a chain whose epochs are long enough for the run (rss: short epochs, see below). The
# chain id is hito-dev for every claims chain, so the proofs hito_loadgen_personhood
# caches in $BENCH_DIR/cache (proving 2,000 takes about ten minutes on 2 cores, once)
# serve all of them.
#
# Ballots are cast in round 1 by test identities 0..BALLOTS-1 of one cohort of 2^14, on a
# chain whose rounds are one epoch of ROUND_BLOCKS blocks (claim window 1, which caps
# round_epochs at 1): the generator submits a proposal in round 0, waits for round 1 and
# votes; round 1 is open for ROUND_BLOCKS blocks, the whole run. Their proofs (bound to the
# round and cached in $BENCH_DIR/cache like the claims') are proved on a first chain when
# the cache lacks them; the timed run is then on a fresh one.
#
# Environment: BUILD_DIR (default build/dev), BENCH_DIR (default /tmp/hito-bench),
# CLAIMS (default 2000), REGISTRATIONS (default 20000), BALLOTS (default 1000), REVOTES
# (default 500: identities that vote again, replacing their ballot), ROUND_BLOCKS (default
# 60), BASE_PORT (default 19300), LOAD_ARGS (extra hito_loadgen_personhood options, e.g.
# "--batch 128 --concurrency 8").
set -euo pipefail
cd "$(dirname "$0")/../../.."
build="${BUILD_DIR:-build/dev}"
hitod="$build/node/hitod"
load="$build/tests/bench/loadgen/hito_loadgen_personhood"
bench="${BENCH_DIR:-/tmp/hito-bench}"
claims="${CLAIMS:-2000}"
port="${BASE_PORT:-19300}"
mkdir -p "$bench"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
}
trap cleanup EXIT

# Waits (at most 120 s) until the node at $1 answers and has committed a block.
wait_ready() {
  local hito="$build/wallet/hito"
  for _ in $(seq 1 600); do
    if h=$("$hito" --node "$1" --json status 2>/dev/null | sed -n 's/.*"height": *\([0-9]*\).*/\1/p') &&
      [ -n "$h" ] && [ "$h" -ge 1 ]; then
      return 0
    fi
    sleep 0.2
  done
  echo "node $1 did not start" >&2
  exit 1
}

# BM_BatchVerify/16384/64 of bench_zk: time per proof in ms (mean over at least 3 s of
# iterations; its setup proves 64 proofs first, about a minute), taken before any node
# starts (the generator's own probe runs with the nodes up).
bench_floor_ms() {
  "$build/tests/bench/zk/bench_zk" --benchmark_filter='BM_BatchVerify/16384/64$' \
    --benchmark_min_time=3 --benchmark_format=json 2>/dev/null |
    python3 -c 'import json, statistics, sys
runs = [b for b in json.load(sys.stdin)["benchmarks"] if b.get("run_type") == "iteration"]
print(round(statistics.median(b["per_proof"] for b in runs) * 1000, 3))'
}

# Reads the generator's JSON summary on stdin, prints it, then the ratio of committed
# transactions/s to cores / (validators x $1 ms), for the run and for its re-votes if any
# ($2 names what was committed, default "claims").
with_bench_ratio() {
  python3 -c 'import json, os, sys
line = sys.stdin.read().strip().splitlines()[-1]
print(line)
j = json.loads(line)
ms = float(sys.argv[1])
floor = os.cpu_count() / (j["validators"] * ms / 1000)
for what, run in [(sys.argv[2], j), ("re-votes", j.get("revotes"))]:
    if run:
        print("bench_zk BM_BatchVerify/16384/64: %.3f ms per proof; floor %.0f %s/s; committed %.0f/s; ratio %.2f"
              % (ms, floor, what, run["committed_per_second"], run["committed_per_second"] / floor))' "$1" "${2:-claims}"
}

start_dev() {  # start_dev HOME [hitod dev options...]
  local home="$1"
  shift
  rm -rf "$home"
  "$hitod" dev --home "$home" --grpc-addr "127.0.0.1:$port" "$@" >"$home.log" 2>&1 &
  pids+=($!)
  wait_ready "127.0.0.1:$port"
}

claims_dev() {
  local ms
  ms=$(bench_floor_ms)
  start_dev "$bench/dev" --identities 16384 --cohort-bits 14 --epoch-blocks 100000 \
    --claim-window 14
  "$load" claims --nodes "127.0.0.1:$port" --secrets "$bench/dev/identities.secrets" \
    --count "$claims" --cache "$bench/cache" --json ${LOAD_ARGS:-} | with_bench_ratio "$ms"
}

claims_devnet() {
  local ms
  ms=$(bench_floor_ms)
  rm -rf "$bench/tn"
  "$hitod" testnet --validators 4 --out "$bench/tn" --base-port "$port" --chain-id hito-dev \
    --identities 16384 --cohort-bits 14 --epoch-blocks 100000 --claim-window 14 >/dev/null
  local nodes=""
  for i in 0 1 2 3; do
    "$hitod" start --home "$bench/tn/node$i" >"$bench/tn/node$i.log" 2>&1 &
    pids+=($!)
    nodes="$nodes${nodes:+,}127.0.0.1:$((port + 2 * i))"
  done
  for i in 0 1 2 3; do wait_ready "127.0.0.1:$((port + 2 * i))"; done
  "$load" claims --nodes "$nodes" --secrets "$bench/tn/identities.secrets" \
    --count "$claims" --cache "$bench/cache" --json ${LOAD_ARGS:-} | with_bench_ratio "$ms"
}

registrations() {
  start_dev "$bench/reg"
  "$load" registrations --nodes "127.0.0.1:$port" --attester-key "$bench/reg/attester.key" \
    --count "${REGISTRATIONS:-20000}" --json ${LOAD_ARGS:-}
}

# 65,536 identities: cohorts 0..3 of 2^14. Epochs of 4 blocks (about 4 s) so that 16
# epochs pass in about a minute; claims by CLAIMS/4 identities of each cohort go in during
# epoch 0's window. Proving them takes longer than that window, so a first chain only
# fills the proof cache (cohort 0's are the dev run's) and a second, identical one runs.
rss() {
  local per=$((claims / 4))
  local args=(--secrets "$bench/rss/identities.secrets" --cohorts 4 --count "$per" --epoch 0
    --cache "$bench/cache" --json)
  start_dev "$bench/rss" --identities 65536 --cohort-bits 14 --epoch-blocks 4 --claim-window 14
  "$load" claims --nodes "127.0.0.1:$port" "${args[@]}" --prove-only
  cleanup
  pids=()
  start_dev "$bench/rss" --identities 65536 --cohort-bits 14 --epoch-blocks 4 --claim-window 14
  local pid="${pids[-1]}"
  "$load" claims --nodes "127.0.0.1:$port" "${args[@]}"
  sleep 70
  "$build/wallet/hito" --node "127.0.0.1:$port" --json status
  grep -E 'VmHWM|VmRSS' "/proc/$pid/status"
}

# A citizen registered into a cohort of 2^14 (16,383 test identities and theirs), claiming
# with `hito` as a citizen would. The first claim downloads the snapshot; the next five,
# one per epoch, find it in the wallet's cache and are timed whole (process start to the
# commit seen).
claim_wall() {
  start_dev "$bench/cw" --identities 16383 --cohort-bits 14 --claim-window 14
  local w="$bench/cw-wallet" node="127.0.0.1:$port"
  rm -rf "$w"
  local hito=("$build/wallet/hito" --home "$w" --node "$node")
  export HITO_PASSPHRASE=bench
  "${hito[@]}" keys new to >/dev/null
  "${hito[@]}" attester import dev --seed-file "$bench/cw/attester.key" >/dev/null
  local point
  point=$("${hito[@]}" --json identity new alice | sed -n 's/.*"identity": *"\([0-9a-f]*\)".*/\1/p')
  "${hito[@]}" attester attest --attester dev --identity "$point" --handle alice \
    --expires-in 1000 >"$bench/cw-att.json"
  "${hito[@]}" --json identity register alice --attestation "$bench/cw-att.json"
  local first
  first=$("${hito[@]}" --json identity show alice | sed -n 's/.*"first_claim_epoch": *\([0-9]*\).*/\1/p')
  epoch_now() { "${hito[@]}" --json ubi status alice | sed -n 's/.*"epoch": *\([0-9]*\), *"oldest.*/\1/p'; }
  until [ "$(epoch_now)" -ge "$first" ]; do sleep 0.5; done
  "${hito[@]}" --json ubi claim alice --to to --epochs "$(epoch_now)" >/dev/null  # downloads
  local times=()
  for _ in 1 2 3 4 5; do
    local e
    e=$(epoch_now)
    until [ "$(epoch_now)" -gt "$e" ]; do sleep 0.2; done
    local t0 t1
    t0=$(date +%s.%N)
    "${hito[@]}" --json ubi claim alice --to to --epochs "$((e + 1))" >/dev/null
    t1=$(date +%s.%N)
    times+=("$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')")
  done
  printf '%s\n' "${times[@]}" | sort -n | awk '{a[NR]=$1} END {print "hito ubi claim wall seconds:", a[1], a[3], a[5], "(min median max)"}'
  # Its parts: `ubi status` unlocks the identity (Argon2id, moderate) and reads the node;
  # `identity show` reads the node only.
  local parts=()
  for cmd in "ubi status alice" "identity show alice"; do
    local t0 t1
    t0=$(date +%s.%N)
    for _ in 1 2 3; do "${hito[@]}" --json $cmd >/dev/null; done
    t1=$(date +%s.%N)
    parts+=("$cmd: $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", (b - a) / 3 }') s")
  done
  echo "mean of 3: ${parts[0]}; ${parts[1]}"
}

# Governance ballots on a chain started by `$1` (start_ballot_dev or start_ballot_devnet,
# which set nodes and home): proofs first (a fresh chain afterwards if they had to be
# proved: proving outlasts round 0), then the timed run.
ballots() {
  local ms start="$1" validators="$2"
  ms=$(bench_floor_ms)
  "$start"
  local args=(--nodes "$nodes" --secrets "$home/identities.secrets" --dev-key "$home/dev.key"
    --count "${BALLOTS:-1000}" --revotes "${REVOTES:-500}" --cache "$bench/cache" --json)
  local proved
  proved=$("$load" ballots "${args[@]}" --prove-only |
    python3 -c 'import json, sys; print(json.loads(sys.stdin.read().strip().splitlines()[-1])["proved_this_run"])')
  if [ "$proved" -gt 0 ]; then
    cleanup
    pids=()
    "$start"
  fi
  "$load" ballots "${args[@]}" --validators "$validators" ${LOAD_ARGS:-} |
    with_bench_ratio "$ms" ballots
}

start_ballot_dev() {
  home="$bench/gov"
  nodes="127.0.0.1:$port"
  start_dev "$home" --identities 16384 --cohort-bits 14 --epoch-blocks "${ROUND_BLOCKS:-60}" \
    --claim-window 1
}

start_ballot_devnet() {
  home="$bench/gov-tn"
  nodes=""
  rm -rf "$home"
  "$hitod" testnet --validators 4 --out "$home" --base-port "$port" --chain-id hito-dev \
    --identities 16384 --cohort-bits 14 --epoch-blocks "${ROUND_BLOCKS:-60}" --claim-window 1 \
    >/dev/null
  for i in 0 1 2 3; do
    "$hitod" start --home "$home/node$i" >"$home/node$i.log" 2>&1 &
    pids+=($!)
    nodes="$nodes${nodes:+,}127.0.0.1:$((port + 2 * i))"
  done
  for i in 0 1 2 3; do wait_ready "127.0.0.1:$((port + 2 * i))"; done
}

case "${1:-}" in
  claim-wall) claim_wall ;;
  dev) claims_dev ;;
  devnet) claims_devnet ;;
  registrations) registrations ;;
  rss) rss ;;
  ballots-dev) ballots start_ballot_dev 1 ;;
  ballots-devnet) ballots start_ballot_devnet 4 ;;
  *)
    echo "usage: $0 dev|devnet|registrations|claim-wall|rss|ballots-dev|ballots-devnet" >&2
    exit 2
    ;;
esac
