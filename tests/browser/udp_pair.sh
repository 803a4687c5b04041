#!/usr/bin/env bash
# examples/udp_peer against itself over real UDP, IPv4 and IPv6 loopback, in a loopback-only
# network namespace: the command-line contract of the interop issue, end to end.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cargo build --release --example udp_peer
bin=$root/target/release/examples/udp_peer
for family in "" --ipv6; do
  dir=$(mktemp -d)
  unshare -n bash -c "
    ip link set lo up
    '$bin' answer '$dir/o.sdp' '$dir/a.sdp' --loopback-only --full --timeout 20 $family > '$dir/answer.log' 2>&1 &
    answer=\$!
    '$bin' offer '$dir/o.sdp' '$dir/a.sdp' --count 10 --send-bytes 8000000 --loopback-only --full --timeout 20 $family
    offer_rc=\$?
    wait \$answer
    answer_rc=\$?
    cat '$dir/answer.log'
    [ \$offer_rc -eq 0 ] && [ \$answer_rc -eq 0 ]
  "
  rm -rf "$dir"
done
