# Shared by case.sh and media_case.sh (sourced, inside the network namespace).
#   start_chromium CHROMIUM DIR URL [EXTRA_FLAGS...]  headless Chromium with the INTEROP.md flags,
#                                                    in its own process group; sets $chrome
#   finish_case DIR PEER_PID                         waits for udp_peer and the page's verdict,
#                                                    stops Chromium and the relay ($relay); sets
#                                                    $peer_rc and $result
start_chromium() {
  local chromium=$1 dir=$2 url=$3
  shift 3
  mkdir -p "$dir/profile/tmp"
  # setsid: Chromium and its children get their own process group, killed as one.
  TMPDIR="$dir/profile/tmp" setsid "$chromium" --headless --no-sandbox --disable-gpu --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync \
    --disable-extensions --disable-default-apps --user-data-dir="$dir/profile" \
    --allow-loopback-in-peer-connection --use-fake-ui-for-media-stream \
    --disable-features=WebRtcHideLocalIpsWithMdns "$@" "$url" > "$dir/chromium.log" 2>&1 &
  chrome=$!
}

finish_case() {
  local dir=$1 peer=$2
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
}
