#!/usr/bin/env bash
# One Chromium <-> `udp_peer --media echo` case, run INSIDE a fresh network namespace:
#   media_case.sh BROWSER_ROLE CODEC DIR BIN_DIR PAGE CHROMIUM SECONDS [SIMULCAST_RID]
# With SIMULCAST_RID video goes as three encodings (l, m, h) and udp_peer echoes one: the page
# offers them (BROWSER_ROLE offer), or udp_peer's offer asks for them (BROWSER_ROLE answer).
set -uo pipefail
. "$(dirname "$0")/chromium_lib.sh"
role=$1 codec=$2 dir=$3 bin=$4 page=$5 chromium=$6 seconds=$7 rid=${8:-}
extra=() query=""
if [ -n "$rid" ]; then extra=(--simulcast-rid "$rid"); query="&simulcast=1"; fi
ip link set lo up
port=8766
"$bin/browser_relay" "$port" "$dir" "$page" > "$dir/relay.log" 2>&1 &
relay=$!
if [ "$role" = answer ]; then peer_role=offer; else peer_role=answer; fi
"$bin/udp_peer" "$peer_role" "$dir/offer.sdp" "$dir/answer.sdp" --count 0 --media echo --video-codec "$codec" \
  --media-seconds $((seconds + 3)) "${extra[@]}" --loopback-only --timeout 60 > "$dir/peer.log" 2>&1 &
peer=$!
start_chromium "$chromium" "$dir" \
  "http://127.0.0.1:$port/page.html?role=$role&codec=$codec&seconds=$seconds$query" \
  --use-fake-device-for-media-stream=fps=30 --autoplay-policy=no-user-gesture-required
finish_case "$dir" "$peer"
echo "browser $role $codec / udp_peer $peer_role --media echo: udp_peer exit $peer_rc: $(grep -E '^(media|simulcast)' "$dir/peer.log" | tr '\n' ' ')$(tail -n 1 "$dir/peer.log"); page: $result"
if [ "${result%% *}" = skip ]; then exit 2; fi
[ "$peer_rc" -eq 0 ] && [ "${result%% *}" = ok ]
