#!/usr/bin/env bash
# Starts a local hito chain of 4 validator processes: installs what is missing
# (scripts/setup.sh), builds the release preset, writes the validators' homes with
# `hitod testnet` (first run only), starts one `hitod start` per validator in the
# background with its log in a file, waits until the chain commits a block, and prints
# the node addresses, how to use them with `hito`, how to stop them and where the logs are.
#
#   ./scripts/devnet.sh            start (or report the running one)
#   ./scripts/devnet.sh stop       stop every node (SIGTERM, clean shutdown)
#   ./scripts/devnet.sh status     which nodes are running?
#
# Environment:
#   DEVNET_DIR         folder for everything (default ./devnet). testnet/node<i> is
#                      validator i's home, node<i>.log its log, node<i>.pid its pid,
#                      wallet/ the hito keystore. The chain survives restarts; delete
#                      the folder for a fresh one.
#   DEVNET_VALIDATORS  number of validators (default 4; 1 runs a single `hitod dev`
#                      with its home in DEVNET_DIR/node, log hitod.log). Fixed when the
#                      folder is first written (DEVNET_DIR/validators); stop and status
#                      read it from there.
#   DEVNET_BASE_PORT   node i listens for gRPC on base+2i and for peers on base+2i+1
#                      (default 26600); the single-node chain uses DEVNET_GRPC_ADDR
#                      (default 127.0.0.1:9090). Both are recorded in DEVNET_DIR on
#                      first start, like the validator count.
#   DEVNET_NO_BUILD=1  skip setup and build (use the binaries already built)
#   DEVNET_BUILD_DIR   where the binaries are (default build/release, the release preset)
set -euo pipefail
cd "$(dirname "$0")/.."
root="$(pwd)"

dir="${DEVNET_DIR:-./devnet}"
mkdir -p "$dir"
dir="$(cd "$dir" && pwd)"
build_dir="${DEVNET_BUILD_DIR:-$root/build/release}"
hitod="$build_dir/node/hitod"
hito="$build_dir/wallet/hito"
wallet_home="$dir/wallet"
rel_hito="${hito#"$root"/}"
stop_cmd="./scripts/devnet.sh stop"
status_cmd="./scripts/devnet.sh status"
if [ -n "${DEVNET_DIR:-}" ]; then
  stop_cmd="DEVNET_DIR=$dir $stop_cmd"
  status_cmd="DEVNET_DIR=$dir $status_cmd"
fi

# The validator count is part of the chain written in $dir: a later call (stop, status,
# start again) uses the recorded count, so the caller need not repeat it.
if [ -f "$dir/validators" ]; then
  validators="$(cat "$dir/validators")"
  if [ -n "${DEVNET_VALIDATORS:-}" ] && [ "$DEVNET_VALIDATORS" != "$validators" ]; then
    echo "devnet: $dir holds a $validators-validator chain; DEVNET_VALIDATORS=$DEVNET_VALIDATORS" \
      "asks for another. Delete $dir (or pick another DEVNET_DIR) for a new chain." >&2
    exit 2
  fi
else
  validators="${DEVNET_VALIDATORS:-4}"
fi
case "$validators" in
  '' | *[!0-9]*)
    echo "devnet: DEVNET_VALIDATORS must be a whole number from 1 to 100, got '$validators'" >&2
    exit 2
    ;;
esac
if [ "$validators" -lt 1 ] || [ "$validators" -gt 100 ]; then
  echo "devnet: DEVNET_VALIDATORS must be from 1 to 100, got $validators" >&2
  exit 2
fi

command="${1:-start}"
case "$command" in
  start | stop | status) ;;
  *)
    echo "usage: $0 [start|stop|status]" >&2
    exit 2
    ;;
esac

# pidfile <name> and logfile <name> for a process named node<i> (or hitod).
pid_of() { cat "$dir/$1.pid" 2>/dev/null || true; }
is_running() {
  local pid
  pid="$(pid_of "$1")"
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null
}
stop_process() {
  local name="$1" pid
  if is_running "$name"; then
    pid="$(pid_of "$name")"
    kill -TERM "$pid"
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    if kill -0 "$pid" 2>/dev/null; then
      echo "devnet: $name ($pid) did not stop in 10 s; sending SIGKILL"
      kill -KILL "$pid"
    fi
    echo "devnet: $name stopped"
  else
    echo "devnet: $name not running"
  fi
  rm -f "$dir/$name.pid"
}
build() {
  if [ "${DEVNET_NO_BUILD:-0}" != "1" ]; then
    ./scripts/setup.sh
    cmake --preset release >/dev/null
    cmake --build --preset release -j "$(nproc)" --target hitod hito
  fi
}
# Waits until the node at $1 reports a committed height >= 1 (the chain is live, not
# only listening). Prints nothing; returns non-zero after about a minute.
wait_for_commit() {
  local out height
  for _ in $(seq 1 300); do
    if out="$("$hito" --node "$1" --home "$wallet_home" status --json 2>/dev/null)"; then
      height="$(printf '%s' "$out" | sed -n 's/.*"height": *\([0-9][0-9]*\).*/\1/p' | head -n 1)"
      if [ -n "$height" ] && [ "$height" -ge 1 ]; then return 0; fi
    fi
    sleep 0.2
  done
  return 1
}

if [ "$validators" = 1 ]; then
  # One validator: `hitod dev` (a funded dev account, one process).
  addr="${DEVNET_GRPC_ADDR:-127.0.0.1:9090}"
  if [ -f "$dir/grpc_addr" ]; then addr="$(cat "$dir/grpc_addr")"; fi
  node_home="$dir/node"
  case "$command" in
    stop) stop_process hitod; exit 0 ;;
    status)
      if is_running hitod; then echo "devnet: hitod running, pid $(pid_of hitod), $addr"
      else echo "devnet: hitod not running"; fi
      exit 0
      ;;
  esac
  build
  echo 1 >"$dir/validators"
  echo "$addr" >"$dir/grpc_addr"
  if is_running hitod; then
    echo "devnet: already running (pid $(pid_of hitod))"
  else
    echo "devnet: starting hitod dev (home $node_home, gRPC $addr, log $dir/hitod.log)"
    nohup "$hitod" dev --home "$node_home" --grpc-addr "$addr" >>"$dir/hitod.log" 2>&1 </dev/null &
    echo $! >"$dir/hitod.pid"
    if ! wait_for_commit "$addr"; then
      echo "devnet: hitod did not commit a block; last lines of $dir/hitod.log:" >&2
      tail -n 20 "$dir/hitod.log" >&2
      stop_process hitod >/dev/null
      exit 1
    fi
  fi
  "$hito" --node "$addr" --home "$wallet_home" status
  key="$node_home/dev.key"
  attester_key="$node_home/attester.key"
  validators_flag=""
  echo
  echo "The single-validator dev chain is up."
  echo "  node:  gRPC $addr  home $node_home  log $dir/hitod.log  pid $(pid_of hitod)"
else
  # N validators: one `hitod start` per home written by `hitod testnet`.
  tn="$dir/testnet"
  base="${DEVNET_BASE_PORT:-26600}"
  if [ -f "$dir/base_port" ]; then base="$(cat "$dir/base_port")"; fi
  case "$command" in
    stop)
      for i in $(seq 0 $((validators - 1))); do stop_process "node$i"; done
      exit 0
      ;;
    status)
      for i in $(seq 0 $((validators - 1))); do
        if is_running "node$i"; then
          echo "devnet: node$i running, pid $(pid_of "node$i"), gRPC 127.0.0.1:$((base + 2 * i))"
        else
          echo "devnet: node$i not running"
        fi
      done
      exit 0
      ;;
  esac
  build
  if [ ! -f "$tn/nodes.json" ]; then
    "$hitod" testnet --validators "$validators" --out "$tn" --base-port "$base"
    echo "$validators" >"$dir/validators"
    echo "$base" >"$dir/base_port"
  fi
  for i in $(seq 0 $((validators - 1))); do
    if is_running "node$i"; then
      echo "devnet: node$i already running (pid $(pid_of "node$i"))"
      continue
    fi
    nohup "$hitod" start --home "$tn/node$i" >>"$dir/node$i.log" 2>&1 </dev/null &
    echo $! >"$dir/node$i.pid"
  done
  addr="127.0.0.1:$base"
  if ! wait_for_commit "$addr"; then
    echo "devnet: the chain did not commit a block; last lines of $dir/node0.log:" >&2
    tail -n 20 "$dir/node0.log" >&2
    echo "(the nodes are left running; $stop_cmd stops them)" >&2
    exit 1
  fi
  "$hito" --node "$addr" --home "$wallet_home" status
  key="$tn/dev.key"
  attester_key="$tn/attester.key"
  validators_list=""
  for i in $(seq 0 $((validators - 1))); do
    validators_list="$validators_list${validators_list:+,}127.0.0.1:$((base + 2 * i))"
  done
  validators_flag=" --validators $validators_list"
  echo
  echo "The $validators-validator chain is up (node addresses also in $tn/nodes.json):"
  for i in $(seq 0 $((validators - 1))); do
    echo "  node$i: gRPC 127.0.0.1:$((base + 2 * i))  p2p 127.0.0.1:$((base + 2 * i + 1))  log $dir/node$i.log  pid $(pid_of "node$i")"
  done
fi

cat <<EOT
  stop:  $stop_cmd      status: $status_cmd

Use it with hito (the keystore passphrase is asked on the terminal, or set HITO_PASSPHRASE):
  export HITO_HOME=$wallet_home
  $rel_hito --node $addr keys import dev --seed-file $key
  $rel_hito --node $addr keys new alice
  $rel_hito --node $addr send --from dev --to alice --amount 1000000
  $rel_hito --node $addr balance alice
  $rel_hito --node $addr block latest --json

A citizen's first five commands (the dev attester is accredited in genesis; epochs last a
few seconds, and a new identity claims from the epoch after its registration):
  $rel_hito --node $addr attester import dev-attester --seed-file $attester_key
  $rel_hito --node $addr identity new carol --json
  $rel_hito --node $addr attester attest --attester dev-attester --identity <identity from above> --handle passport:FRA:CAROL01 --expires-in 1000$validators_flag > carol.attestation.json
  $rel_hito --node $addr identity register carol --attestation carol.attestation.json --json
  $rel_hito --node $addr ubi claim carol --to alice --json      (then: ubi status carol)
EOT
