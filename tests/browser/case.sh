#!/usr/bin/env bash
# One Chromium <-> udp_peer case, run INSIDE a fresh network namespace (see chromium.sh):
#   case.sh BROWSER_ROLE DIR BIN_DIR PAGE CHROMIUM BYTES
# BROWSER_ROLE is what the page does (offer | answer); udp_peer takes the other role.
set -uo pipefail
. "$(dirname "$0")/chromium_lib.sh"
role=$1 dir=$2 bin=$3 page=$4 chromium=$5 bytes=$6
ip link set lo up
port=8765
"$bin/browser_relay" "$port" "$dir" "$page" > "$dir/relay.log" 2>&1 &
relay=$!
if [ "$role" = answer ]; then
  peer_args=(offer "$dir/offer.sdp" "$dir/answer.sdp" --count 10 --send-bytes "$bytes" --full)
else
  # The page offers with trickle ICE: its offer carries no candidates, they follow one by one.
  peer_args=(answer "$dir/offer.sdp" "$dir/answer.sdp" --full --trickle-in "$dir/offer.candidates")
fi
"$bin/udp_peer" "${peer_args[@]}" --loopback-only --timeout 60 > "$dir/peer.log" 2>&1 &
peer=$!
start_chromium "$chromium" "$dir" \
  "http://127.0.0.1:$port/page.html?role=$role&count=10&bytes=$bytes&full=1&trickle=1" \
  --use-fake-device-for-media-stream
finish_case "$dir" "$peer"
echo "browser $role / udp_peer ${peer_args[0]}: udp_peer exit $peer_rc: $(tail -n 1 "$dir/peer.log"); page: $result"
trickled=ok
if [ "$role" = offer ] && ! grep -q "trickled [1-9][0-9]* candidates and end-of-candidates" "$dir/peer.log"; then
  echo "the page offered with trickle ICE, but udp_peer applied no trickled candidate" >&2
  trickled=fail
fi
[ "$peer_rc" -eq 0 ] && [ "$result" = ok ] && [ "$trickled" = ok ]
