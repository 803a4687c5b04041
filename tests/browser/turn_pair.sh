#!/usr/bin/env bash
# examples/turn_server on real UDP sockets, and two examples/udp_peer that may only use relayed
# candidates (--relay-only): every byte between them goes through the TURN server. Loopback-only
# network namespace.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cargo build --release --example udp_peer --example turn_server
bin=$root/target/release/examples
dir=$(mktemp -d)
unshare -n bash -c "
  ip link set lo up
  '$bin/turn_server' --listen 127.0.0.1:3478 --relay-ports 49152-49159 --user alice:wonderland --for 20 > '$dir/turn.log' 2>&1 &
  turn=\$!
  sleep 0.3
  peer=(--turn 127.0.0.1:3478 --turn-user alice --turn-pass wonderland --relay-only --timeout 15)
  '$bin/udp_peer' answer '$dir/o.sdp' '$dir/a.sdp' \"\${peer[@]}\" --full > '$dir/answer.log' 2>&1 &
  answer=\$!
  '$bin/udp_peer' offer '$dir/o.sdp' '$dir/a.sdp' \"\${peer[@]}\" --full --send-bytes 2000000
  offer_rc=\$?
  wait \$answer
  answer_rc=\$?
  kill \$turn 2>/dev/null
  cat '$dir/answer.log'
  grep -q 'typ relay' '$dir/o.sdp' && ! grep -q 'typ host' '$dir/o.sdp' || { echo 'offer is not relay-only' >&2; exit 1; }
  [ \$offer_rc -eq 0 ] && [ \$answer_rc -eq 0 ]
"
rm -rf "$dir"
