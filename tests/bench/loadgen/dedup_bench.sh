#!/bin/bash
# Dedup service figures on a 4-validator testnet (dev build).
set -u
B="${HITO_BUILD:-build/dev}"
OUT="${1:-/tmp/hito-dedup-bench}"
rm -rf "$OUT"
$B/node/hitod testnet --validators 4 --out $OUT --base-port 27700 > "$OUT.log" 2>&1 || exit 1
# Throughput runs past the default quota of 10,000 per attester per epoch: raise it (every
# node the same file, before the first start).
for i in 0 1 2 3; do sed -i 's/"quota_per_epoch": 10000/"quota_per_epoch": 100000000/' $OUT/node$i/genesis.json; done
PIDS=()
for i in 0 1 2 3; do
  $B/node/hitod start --home $OUT/node$i > "$OUT.node$i.log" 2>&1 &
  PIDS+=($!)
done
sleep 6
VALS=127.0.0.1:27700,127.0.0.1:27702,127.0.0.1:27704,127.0.0.1:27706
nproc; uptime
$B/tests/bench/loadgen/hito_dedup_bench --mode latency --node 127.0.0.1:27700 --validators $VALS --attester-key $OUT/attester.key --runs 50
$B/tests/bench/loadgen/hito_dedup_bench --mode latency --node 127.0.0.1:27700 --validators $VALS --attester-key $OUT/attester.key --runs 50
$B/tests/bench/loadgen/hito_dedup_bench --mode throughput --node 127.0.0.1:27700 --attester-key $OUT/attester.key --threads 4 --seconds 10
$B/tests/bench/loadgen/hito_dedup_bench --mode throughput --node 127.0.0.1:27700 --attester-key $OUT/attester.key --threads 8 --seconds 10
uptime
for p in "${PIDS[@]}"; do kill $p; done
wait
