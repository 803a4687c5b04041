#!/usr/bin/env bash
# Chromium headless sends its fake camera and microphone through `udp_peer --media echo` and
# checks what comes back (tests/browser/media.html), both roles, once per video codec this
# Chromium can send (CODECS overrides: "VP8 VP9 H264 AV1"). Fails, never skips.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
chromium=${CHROMIUM:-/usr/lib/chromium/chromium}
seconds=${SECONDS_PER_CASE:-5}
codecs=${CODECS:-VP8 VP9 H264 AV1}
if [ ! -x "$chromium" ]; then
  echo "chromium media interop: $chromium missing (apt-get install chromium)" >&2
  exit 1
fi
cargo build --release --example udp_peer --example browser_relay
bin=$root/target/release/examples
status=0
sent=() skipped=()
for codec in $codecs; do
  for role in answer offer; do
    dir=$(mktemp -d)
    rc=0
    unshare -n bash "$root/tests/browser/media_case.sh" "$role" "$codec" "$dir" "$bin" "$root/tests/browser/media.html" "$chromium" "$seconds" || rc=$?
    if [ "$rc" -eq 2 ]; then
      skipped+=("$codec")
      rm -rf "$dir"
      break
    elif [ "$rc" -ne 0 ]; then
      status=1
      echo "--- logs of the failed case ($dir)" >&2
      for f in peer.log page.log relay.log; do
        [ -f "$dir/$f" ] && { echo "== $f" >&2; tail -n 20 "$dir/$f" >&2; }
      done
    else
      sent+=("$codec/$role")
      rm -rf "$dir"
    fi
  done
done
# Simulcast (RFC 8853) both ways: the page offers l, m and h (sendEncodings), or udp_peer's
# offer asks to receive them (a=simulcast:recv) and the page's answer sends them; udp_peer
# demuxes them by rid and echoes h.
if [ "${SIMULCAST:-1}" = 1 ]; then
  for role in offer answer; do
    dir=$(mktemp -d)
    if unshare -n bash "$root/tests/browser/media_case.sh" "$role" VP8 "$dir" "$bin" "$root/tests/browser/media.html" "$chromium" "$seconds" h; then
      sent+=("VP8-simulcast/$role")
      rm -rf "$dir"
    else
      status=1
      echo "--- logs of the failed simulcast case ($role, $dir)" >&2
      for f in peer.log page.log relay.log; do
        [ -f "$dir/$f" ] && { echo "== $f" >&2; tail -n 20 "$dir/$f" >&2; }
      done
    fi
  done
fi
echo "chromium media: echoed ${sent[*]:-nothing}; this Chromium cannot send: ${skipped[*]:-none}"
[ "${#sent[@]}" -gt 0 ] || status=1
exit $status
