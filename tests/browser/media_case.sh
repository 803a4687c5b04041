#!/usr/bin/env bash
# One Chromium <-> `udp_peer --media echo` case, run INSIDE a fresh network namespace:
#   media_case.sh BROWSER_ROLE CODEC DIR BIN_DIR PAGE CHROMIUM SECONDS [SIMULCAST_RID]
# With SIMULCAST_RID the page offers video as three encodings (l, m, h) and udp_peer echoes one.
set -uo pipefail
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
mkdir -p "$dir/profile/tmp"
TMPDIR="$dir/profile/tmp" setsid "$chromium" --headless --no-sandbox --disable-gpu --no-first-run \
  --disable-background-networking --disable-component-update --disable-sync \
  --disable-extensions --disable-default-apps --user-data-dir="$dir/profile" \
  --allow-loopback-in-peer-connection --use-fake-ui-for-media-stream \
  --use-fake-device-for-media-stream=fps=30 --disable-features=WebRtcHideLocalIpsWithMdns \
  --autoplay-policy=no-user-gesture-required \
  "http://127.0.0.1:$port/page.html?role=$role&codec=$codec&seconds=$seconds$query" > "$dir/chromium.log" 2>&1 &
chrome=$!
wait "$peer"
peer_rc=$?
for _ in $(seq 100); do
  [ -s "$dir/result.txt" ] && break
  sleep 0.1
done
kill -- "-$chrome" 2>/dev/null
kill "$relay" 2>/dev/null
wait 2>/dev/null
result=$(cat "$dir/result.txt" 2>/dev/null || echo "no verdict from the page")
echo "browser $role $codec / udp_peer $peer_role --media echo: udp_peer exit $peer_rc: $(grep -E '^(media|simulcast)' "$dir/peer.log" | tr '\n' ' ')$(tail -n 1 "$dir/peer.log"); page: $result"
if [ "${result%% *}" = skip ]; then exit 2; fi
[ "$peer_rc" -eq 0 ] && [ "${result%% *}" = ok ]
