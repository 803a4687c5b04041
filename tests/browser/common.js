// Helpers shared by the interop pages (page.html: data channels, media.html: media), served
// by examples/browser_relay.rs as /common.js: the relay protocol and ICE gathering.
const post = (path, body) => fetch(path, { method: 'POST', body });
const log = (m) => post('/log', m);
let reported = false;
// The page's verdict, once: "ok ...", "fail <reason>" or "skip <reason>".
const result = (m) => { if (!reported) { reported = true; post('/result', m); } };
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
// GET `path` until the relay has a non-empty body for it (udp_peer's offer or answer).
async function waitFor(path) {
  for (;;) {
    const r = await fetch(path);
    if (r.ok) { const t = await r.text(); if (t.trim()) return t; }
    await sleep(50);
  }
}
// Resolves once ICE gathering is complete (descriptions are sent whole, without trickle).
function gathered(pc) {
  return new Promise((res) => {
    if (pc.iceGatheringState === 'complete') return res();
    pc.addEventListener('icegatheringstatechange', () => {
      if (pc.iceGatheringState === 'complete') res();
    });
  });
}
