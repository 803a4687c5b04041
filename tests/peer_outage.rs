//! Recovery after an outage (issue 18): a phone switching networks, a Wi-Fi dead spot. The path
//! is cut for 20 s in the middle of a transfer and restored; ICE consent keeps the pair (30 s,
//! RFC 7675), SCTP's backed-off retransmissions are at most 3 s apart (the back-off cap Chrome
//! and Firefox use), so the transfer resumes within 3 s of the restore and completes intact.

mod common;

use common::addr;
use common::peer::{app, app_mut, connected, lan_pair, negotiate};
use sansrtc::sim::{HostId, Limits, LinkChange, LinkConfig, Network};
use sansrtc::{ChannelId, ChannelOptions, Event, PeerConfig, PeerConnectionState};
use sha2::Digest;
use std::time::Duration;

/// Two peers on a LAN, connected, with a "bulk" channel from `a` open.
fn connected_pair(seed: u64) -> (Network, HostId, HostId, ChannelId) {
    let link = LinkConfig::ideal()
        .latency(Duration::from_millis(20))
        .jitter(Duration::from_millis(2));
    let (mut net, a, b) = lan_pair(
        seed,
        link,
        PeerConfig::new().seed(seed * 2 + 1),
        PeerConfig::new().seed(seed * 2 + 2),
    );
    let ch = app_mut(&mut net, a).create("bulk", ChannelOptions::default());
    negotiate(&mut net, a, b);
    net.run_until(
        |n| connected(n, &[a, b]) && app(n, a).is_open(ch),
        Limits::time(Duration::from_secs(30)),
    )
    .unwrap();
    (net, a, b, ch)
}

fn received(net: &Network, b: HostId) -> u64 {
    app(net, b).sinks.values().map(|s| s.bytes).sum()
}

#[test]
fn a_transfer_resumes_within_3_s_of_a_20_s_outage() {
    let seed = common::seed(41);
    let (mut net, a, b, ch) = connected_pair(seed);
    const TOTAL: u64 = 8 << 20;
    app_mut(&mut net, a).add_pump(ch, TOTAL, 16 << 10);
    // Mid-transfer: some data through, not all.
    net.run_until(
        |n| received(n, b) >= 1 << 20,
        Limits::time(Duration::from_secs(30)),
    )
    .unwrap();
    assert!(
        received(&net, b) < TOTAL,
        "the transfer ended before the cut"
    );

    let link = net.host_link(a, addr("10.0.0.1:0").ip()).unwrap();
    let cut = net.now();
    net.schedule(cut, link, LinkChange::Cut);
    net.schedule(cut + Duration::from_secs(20), link, LinkChange::Restore);
    net.run_until(
        |n| n.now() >= cut + Duration::from_secs(20),
        Limits::time(Duration::from_secs(21)),
    )
    .unwrap();
    let restored = net.now();
    let before = received(&net, b);
    // While cut, the connection went `disconnected` (consent checks unanswered), never failed.
    assert_eq!(
        app(&net, a).state(),
        PeerConnectionState::Disconnected,
        "20 s without consent responses"
    );

    net.run_until(
        |n| received(n, b) > before,
        Limits::time(Duration::from_secs(10)),
    )
    .unwrap();
    let resumed_after = net.now() - restored;
    assert!(
        resumed_after <= Duration::from_secs(3),
        "data flowed again {resumed_after:?} after the restore"
    );

    // The transfer completes, intact, and both sides are connected again.
    net.run_until(
        |n| received(n, b) == TOTAL && connected(n, &[a, b]),
        Limits::time(Duration::from_secs(60)),
    )
    .unwrap();
    let sent = app(&net, a).pumps[0].hash.clone().finalize();
    let r = app(&net, b).remote_channel("bulk").unwrap();
    let got = app(&net, b).sinks[&r].hash.clone().finalize();
    assert_eq!(sent, got, "the bytes that arrived are the bytes sent");
    for h in [a, b] {
        assert!(
            !app(&net, h)
                .log
                .iter()
                .any(|(_, e)| matches!(e, Event::Failed(_) | Event::ChannelClosed { .. })),
            "nothing failed or closed"
        );
    }
}

/// ICE consent and SCTP agree on what "dead" means: a path cut for good fails the peer when
/// consent expires (RFC 7675, 30 s after the last response), as `PeerFailure::Ice`; SCTP, which
/// keeps retrying every 3 s, never declares the path dead first (with RFC 9260's
/// Association.Max.Retrans of 10 and the 3 s cap it would give up after about 27 s).
#[test]
fn a_path_cut_for_good_fails_by_consent_not_by_sctp() {
    let seed = common::seed(43);
    let (mut net, a, _, ch) = connected_pair(seed);
    app_mut(&mut net, a).add_pump(ch, 64 << 20, 16 << 10);
    net.run_for(Duration::from_millis(500)).unwrap();
    let link = net.host_link(a, addr("10.0.0.1:0").ip()).unwrap();
    let cut = net.now();
    net.schedule(cut, link, LinkChange::Cut);
    net.run_until(
        |n| app(n, a).state() == PeerConnectionState::Failed,
        Limits::time(Duration::from_secs(60)),
    )
    .unwrap();
    let failed_after = net.now() - cut;
    assert!(
        failed_after > Duration::from_secs(23) && failed_after <= Duration::from_secs(31),
        "{failed_after:?}"
    );
    let failures: Vec<_> = app(&net, a)
        .log
        .iter()
        .filter_map(|(_, e)| match e {
            Event::Failed(f) => Some(f.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(
        failures,
        [sansrtc::PeerFailure::Ice],
        "consent decided, not SCTP"
    );
}
