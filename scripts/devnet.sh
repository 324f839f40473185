#!/usr/bin/env bash
# Starts a local hito dev chain: installs what is missing (scripts/setup.sh), builds the
# release preset, runs `hitod dev` in the background with its log in a file, waits until
# `hito status` answers, and prints how to use it.
#
#   ./scripts/devnet.sh            start (or report the running one)
#   ./scripts/devnet.sh stop       stop it (SIGTERM, clean shutdown)
#   ./scripts/devnet.sh status     is it running?
#
# Environment:
#   DEVNET_DIR        folder for everything (default ./devnet): node/ is hitod's home,
#                     wallet/ the hito keystore, hitod.log the log, hitod.pid the pid.
#                     The chain survives restarts; delete the folder for a fresh one.
#   DEVNET_GRPC_ADDR  gRPC address (default 127.0.0.1:9090, hitod's default)
#   DEVNET_NO_BUILD=1 skip setup and build (use the binaries already built)
#   DEVNET_BUILD_DIR  where the binaries are (default build/release, the release preset)
#   DEVNET_VALIDATORS N (N > 1) a local N-validator BFT chain instead: `hitod testnet`
#                     writes DEVNET_DIR/testnet/node0..N-1 (gRPC on DEVNET_BASE_PORT+2i,
#                     default 26600, p2p on +2i+1), one hitod process per node with its
#                     log in DEVNET_DIR/node<i>.log and pid in DEVNET_DIR/node<i>.pid.
#                     stop/status take the same variable.
set -euo pipefail
cd "$(dirname "$0")/.."
root="$(pwd)"

dir="${DEVNET_DIR:-./devnet}"
mkdir -p "$dir"
dir="$(cd "$dir" && pwd)"
addr="${DEVNET_GRPC_ADDR:-127.0.0.1:9090}"
node_home="$dir/node"
wallet_home="$dir/wallet"
log="$dir/hitod.log"
pidfile="$dir/hitod.pid"
build_dir="${DEVNET_BUILD_DIR:-$root/build/release}"
hitod="$build_dir/node/hitod"
hito="$build_dir/wallet/hito"

running() {
  [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null
}

validators="${DEVNET_VALIDATORS:-1}"
if [ "$validators" -gt 1 ] 2>/dev/null; then
  tn="$dir/testnet"
  base="${DEVNET_BASE_PORT:-26600}"
  node_running() { [ -f "$dir/node$1.pid" ] && kill -0 "$(cat "$dir/node$1.pid")" 2>/dev/null; }
  case "${1:-start}" in
    stop)
      for i in $(seq 0 $((validators - 1))); do
        if node_running "$i"; then
          pid="$(cat "$dir/node$i.pid")"
          kill -TERM "$pid"
          for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
          if kill -0 "$pid" 2>/dev/null; then kill -KILL "$pid"; fi
          echo "devnet: node$i stopped"
        fi
        rm -f "$dir/node$i.pid"
      done
      exit 0
      ;;
    status)
      for i in $(seq 0 $((validators - 1))); do
        if node_running "$i"; then echo "devnet: node$i running, pid $(cat "$dir/node$i.pid"), 127.0.0.1:$((base + 2 * i))"
        else echo "devnet: node$i not running"; fi
      done
      exit 0
      ;;
    start) ;;
    *)
      echo "usage: $0 [start|stop|status]" >&2
      exit 2
      ;;
  esac
  if [ "${DEVNET_NO_BUILD:-0}" != "1" ]; then
    ./scripts/setup.sh
    cmake --preset release >/dev/null
    cmake --build --preset release -j "$(nproc)" --target hitod hito
  fi
  if [ ! -f "$tn/nodes.json" ]; then
    "$hitod" testnet --validators "$validators" --out "$tn" --base-port "$base"
  fi
  for i in $(seq 0 $((validators - 1))); do
    if node_running "$i"; then
      echo "devnet: node$i already running (pid $(cat "$dir/node$i.pid"))"
      continue
    fi
    nohup "$hitod" start --home "$tn/node$i" >>"$dir/node$i.log" 2>&1 </dev/null &
    echo $! >"$dir/node$i.pid"
  done
  addr="127.0.0.1:$base"
  ok=0
  for _ in $(seq 1 300); do
    if "$hito" --node "$addr" --home "$wallet_home" status >/dev/null 2>&1; then ok=1; break; fi
    sleep 0.2
  done
  if [ "$ok" != 1 ]; then
    echo "devnet: node0 did not come up; last lines of $dir/node0.log:" >&2
    tail -n 20 "$dir/node0.log" >&2
    exit 1
  fi
  rel_hito="${hito#"$root"/}"
  echo
  echo "The $validators-validator chain is up (it decides once more than 2/3 are connected)."
  for i in $(seq 0 $((validators - 1))); do
    echo "  node$i: gRPC 127.0.0.1:$((base + 2 * i))  p2p 127.0.0.1:$((base + 2 * i + 1))  home $tn/node$i  log $dir/node$i.log  pid $(cat "$dir/node$i.pid")"
  done
  echo "  stop:   DEVNET_VALIDATORS=$validators DEVNET_DIR=$dir ./scripts/devnet.sh stop"
  echo
  echo "Use it with hito (passphrase asked on the terminal, or set HITO_PASSPHRASE):"
  echo "  export HITO_HOME=$wallet_home"
  echo "  $rel_hito --node $addr keys import dev --seed-file $tn/dev.key"
  echo "  $rel_hito --node $addr status"
  exit 0
fi

case "${1:-start}" in
  stop)
    if running; then
      pid="$(cat "$pidfile")"
      kill -TERM "$pid"
      for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      if kill -0 "$pid" 2>/dev/null; then
        echo "devnet: hitod ($pid) did not stop in 10 s; sending SIGKILL"
        kill -KILL "$pid"
      fi
      rm -f "$pidfile"
      echo "devnet: stopped"
    else
      echo "devnet: not running"
    fi
    exit 0
    ;;
  status)
    if running; then echo "devnet: running, pid $(cat "$pidfile"), $addr"; else echo "devnet: not running"; fi
    exit 0
    ;;
  start) ;;
  *)
    echo "usage: $0 [start|stop|status]" >&2
    exit 2
    ;;
esac

if [ "${DEVNET_NO_BUILD:-0}" != "1" ]; then
  ./scripts/setup.sh
  cmake --preset release >/dev/null
  cmake --build --preset release -j "$(nproc)" --target hitod hito
fi

if running; then
  echo "devnet: already running (pid $(cat "$pidfile"))"
else
  echo "devnet: starting hitod dev (home $node_home, gRPC $addr, log $log)"
  nohup "$hitod" dev --home "$node_home" --grpc-addr "$addr" >>"$log" 2>&1 </dev/null &
  echo $! >"$pidfile"
  ok=0
  for _ in $(seq 1 300); do
    if ! running; then break; fi
    if "$hito" --node "$addr" --home "$wallet_home" status >/dev/null 2>&1; then ok=1; break; fi
    sleep 0.2
  done
  if [ "$ok" != 1 ]; then
    echo "devnet: hitod did not come up; last lines of $log:" >&2
    tail -n 20 "$log" >&2
    if running; then kill -TERM "$(cat "$pidfile")" || true; fi
    rm -f "$pidfile"
    exit 1
  fi
fi

"$hito" --node "$addr" --home "$wallet_home" status
rel_hito="${hito#"$root"/}"
stop_cmd="./scripts/devnet.sh stop"
if [ -n "${DEVNET_DIR:-}" ]; then stop_cmd="DEVNET_DIR=$dir $stop_cmd"; fi
cat <<EOT

The dev chain is up.
  node (gRPC):  $addr
  hitod home:   $node_home   (dev.key = funded dev account's seed, hex)
  log:          $log
  pid:          $(cat "$pidfile")
  stop:         $stop_cmd

Use it with hito (the keystore passphrase is asked on the terminal, or set HITO_PASSPHRASE):
  export HITO_HOME=$wallet_home
  $rel_hito --node $addr keys import dev --seed-file $node_home/dev.key
  $rel_hito --node $addr keys new alice
  $rel_hito --node $addr send --from dev --to alice --amount 1000000
  $rel_hito --node $addr balance alice
  $rel_hito --node $addr block latest --json
EOT
