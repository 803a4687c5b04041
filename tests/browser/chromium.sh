#!/usr/bin/env bash
# Chromium headless <-> examples/udp_peer over real UDP on 127.0.0.1, both roles, each case in
# its own loopback-only network namespace (Chromium probes the network on its own; inside the
# namespace that fails harmlessly). Fails, never skips, when Chromium is missing.
#   tests/browser/chromium.sh            (CHROMIUM=/path overrides the binary; BYTES the bulk size)
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
chromium=${CHROMIUM:-/usr/lib/chromium/chromium}
bytes=${BYTES:-4194304}
if [ ! -x "$chromium" ]; then
  echo "chromium interop: $chromium missing (apt-get install chromium)" >&2
  exit 1
fi
"$chromium" --version 2>/dev/null || true
cargo build --release --example udp_peer --example browser_relay
bin=$root/target/release/examples
status=0
for role in answer offer; do
  dir=$(mktemp -d)
  if ! unshare -n bash "$root/tests/browser/case.sh" "$role" "$dir" "$bin" "$root/tests/browser/page.html" "$chromium" "$bytes"; then
    status=1
    echo "--- logs of the failed case ($dir)" >&2
    for f in peer.log page.log relay.log; do
      [ -f "$dir/$f" ] && { echo "== $f" >&2; tail -n 20 "$dir/$f" >&2; }
    done
  else
    rm -rf "$dir"
  fi
done
exit $status
