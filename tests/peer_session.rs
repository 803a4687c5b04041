//! Two sansrtc peers in the simulator: offer/answer, ICE, DTLS, SCTP and data channels end to
//! end (RFC 8831, RFC 8832), both roles, every channel type, closing, and replay.

mod common;

use common::peer::{app, app_mut, connected, lan_pair, negotiate, payload};

use sansrtc::dtls::{DtlsConfig, DtlsContext};
use sansrtc::sim::{HostId, Limits, LinkConfig, Network};
use sansrtc::{ChannelCloseReason, ChannelOptions, ChannelState, Event, PeerConfig};
use sha2::Digest;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

fn context() -> Arc<DtlsContext> {
    static CTX: OnceLock<Arc<DtlsContext>> = OnceLock::new();
    CTX.get_or_init(|| Arc::new(DtlsContext::new(DtlsConfig::default())))
        .clone()
}

fn config(seed: u64) -> PeerConfig {
    PeerConfig::new().seed(seed).dtls_context(context())
}

/// Two peers on one LAN; `a` will offer. Host candidates are in the descriptions.
fn lan(seed: u64, link: LinkConfig) -> (Network, HostId, HostId) {
    lan_with(seed, link, false)
}

fn lan_with(seed: u64, link: LinkConfig, b_lite: bool) -> (Network, HostId, HostId) {
    lan_pair(
        seed,
        link,
        config(seed * 2 + 1),
        config(seed * 2 + 2).ice_lite(b_lite),
    )
}

fn link() -> LinkConfig {
    LinkConfig::ideal()
        .latency(Duration::from_millis(20))
        .jitter(Duration::from_millis(2))
}

fn run(net: &mut Network, secs: u64, done: impl FnMut(&Network) -> bool) {
    net.run_until(done, Limits::time(Duration::from_secs(secs)))
        .unwrap();
}

#[test]
fn channels_from_both_roles_carry_text_binary_and_empty() {
    let (mut net, a, b) = lan(common::seed(1), link());
    // One channel created before negotiation (it is what asks for it), one after connecting.
    let ca = app_mut(&mut net, a).create("from-a", ChannelOptions::default());
    assert!(
        app(&net, a)
            .log
            .iter()
            .any(|(_, e)| *e == Event::NegotiationNeeded)
    );
    assert_eq!(app(&net, a).peer.channel_stream_id(ca), None);
    negotiate(&mut net, a, b);
    run(&mut net, 30, |n| {
        connected(n, &[a, b])
            && app(n, a).is_open(ca)
            && app(n, b).remote_channel("from-a").is_some()
    });
    // RFC 8832 §6: the answerer is the DTLS client (a=setup:active), so even ids are b's and
    // a (the server) uses odd ones.
    assert_eq!(app(&net, a).peer.channel_stream_id(ca), Some(1));
    let cb = app_mut(&mut net, b).create("from-b", ChannelOptions::default());
    run(&mut net, 10, |n| {
        app(n, b).is_open(cb) && app(n, a).remote_channel("from-b").is_some()
    });
    assert_eq!(app(&net, b).peer.channel_stream_id(cb), Some(0));

    let ra = app(&net, b).remote_channel("from-a").unwrap();
    let rb = app(&net, a).remote_channel("from-b").unwrap();
    {
        let p = &mut app_mut(&mut net, a).peer;
        p.send_text(ca, "hello").unwrap();
        p.send_binary(ca, vec![1u8, 2, 3]).unwrap();
        p.send_text(ca, "").unwrap();
        p.send_binary(ca, Vec::new()).unwrap();
    }
    app_mut(&mut net, b).peer.send_text(cb, "hi back").unwrap();
    run(&mut net, 10, |n| {
        app(n, b).sinks.get(&ra).is_some_and(|s| s.count == 4)
            && app(n, a).sinks.get(&rb).is_some_and(|s| s.count == 1)
    });
    let got = &app(&net, b).sinks[&ra].messages;
    assert_eq!(got[0].text(), Some("hello"));
    assert!(got[1].binary && got[1].data[..] == [1, 2, 3]);
    assert_eq!(got[2].text(), Some(""), "empty string (PPID 56)");
    assert!(
        got[3].binary && got[3].data.is_empty(),
        "empty binary (PPID 57)"
    );
    assert_eq!(app(&net, a).sinks[&rb].messages[0].text(), Some("hi back"));
    for h in [a, b] {
        let s = app(&net, h).peer.stats();
        assert_eq!(s.dropped, Default::default(), "{:?}", s.dropped);
        assert!(s.rtt.is_some());
    }
}

#[test]
fn negotiated_channels_need_no_dcep() {
    let (mut net, a, b) = lan(common::seed(2), link());
    let opts = ChannelOptions::new()
        .negotiated(7)
        .ordered(false)
        .max_retransmits(2);
    let ca = app_mut(&mut net, a).create("n", opts.clone());
    let cb = app_mut(&mut net, b).create("n", opts);
    negotiate(&mut net, a, b);
    run(&mut net, 30, |n| {
        app(n, a).is_open(ca) && app(n, b).is_open(cb)
    });
    assert_eq!(app(&net, a).peer.channel_stream_id(ca), Some(7));
    // The id is taken: a second negotiated channel on it is refused.
    assert!(
        app_mut(&mut net, a)
            .peer
            .create_data_channel("dup", ChannelOptions::new().negotiated(7))
            .is_err()
    );
    app_mut(&mut net, a).peer.send_text(ca, "over 7").unwrap();
    run(&mut net, 10, |n| app(n, b).received(cb) == 6);
    // No DATA_CHANNEL_OPEN crossed: b saw no remote channel.
    assert!(
        !app(&net, b)
            .log
            .iter()
            .any(|(_, e)| matches!(e, Event::DataChannel { .. }))
    );
}

#[test]
fn close_from_either_side_closes_both() {
    let (mut net, a, b) = lan(common::seed(3), link());
    let c1 = app_mut(&mut net, a).create("one", ChannelOptions::default());
    let c2 = app_mut(&mut net, a).create("two", ChannelOptions::default());
    negotiate(&mut net, a, b);
    run(&mut net, 30, |n| {
        app(n, b).remote_channel("one").is_some() && app(n, b).remote_channel("two").is_some()
    });
    let r1 = app(&net, b).remote_channel("one").unwrap();
    let r2 = app(&net, b).remote_channel("two").unwrap();
    // a closes "one" after a last message; b closes "two".
    app_mut(&mut net, a).peer.send_text(c1, "last").unwrap();
    app_mut(&mut net, a).peer.close_channel(c1).unwrap();
    assert_eq!(
        app(&net, a).peer.channel_state(c1),
        Some(ChannelState::Closing)
    );
    assert!(app_mut(&mut net, a).peer.send_text(c1, "late").is_err());
    app_mut(&mut net, b).peer.close_channel(r2).unwrap();
    run(&mut net, 10, |n| {
        app(n, a).closed(c1) && app(n, b).closed(r1) && app(n, a).closed(c2) && app(n, b).closed(r2)
    });
    // The message queued before close arrived first.
    assert_eq!(app(&net, b).sinks[&r1].messages[0].text(), Some("last"));
    // The side that did not start the close saw `closing` first.
    assert!(
        app(&net, b)
            .log
            .iter()
            .any(|(_, e)| *e == Event::ChannelClosing(r1))
    );
    for (h, id) in [(a, c1), (b, r1)] {
        assert!(app(&net, h).log.iter().any(|(_, e)| *e
            == Event::ChannelClosed {
                id,
                reason: ChannelCloseReason::Reset
            }));
    }
    // The stream ids are free again: a new channel from a reuses id 1.
    let c3 = app_mut(&mut net, a).create("three", ChannelOptions::default());
    run(&mut net, 10, |n| app(n, a).is_open(c3));
    assert_eq!(app(&net, a).peer.channel_stream_id(c3), Some(1));
}

#[test]
fn fifty_channels_of_mixed_types_at_once() {
    let (mut net, a, b) = lan(common::seed(4), link().loss(0.01));
    negotiate(&mut net, a, b);
    run(&mut net, 30, |n| connected(n, &[a, b]));
    let mut ids = Vec::new();
    for i in 0..50u16 {
        let mut opts = ChannelOptions::new()
            .ordered(i % 2 == 0)
            .protocol(format!("p{i}"));
        opts.max_retransmits = (i % 5 == 1).then_some(3);
        opts.max_packet_life_time = (i % 5 == 2).then_some(Duration::from_millis(500));
        let side = if i % 3 == 0 { b } else { a };
        ids.push((side, app_mut(&mut net, side).create(&format!("c{i}"), opts)));
    }
    run(&mut net, 10, |n| {
        ids.iter().all(|(h, id)| app(n, *h).is_open(*id))
    });
    for (h, id) in &ids {
        let p = &mut app_mut(&mut net, *h).peer;
        for k in 0..20u64 {
            p.send_binary(*id, payload(k, 300)).unwrap();
        }
    }
    // Reliable channels (i % 5 == 0, 3, 4) get all 20 messages; others at most 20.
    run(&mut net, 60, |n| {
        (0..50u16).all(|i| {
            let (h, _) = ids[usize::from(i)];
            let other = if h == a { b } else { a };
            let Some(r) = app(n, other).remote_channel(&format!("c{i}")) else {
                return false;
            };
            let got = app(n, other).sinks.get(&r).map_or(0, |s| s.count);
            if matches!(i % 5, 1 | 2) {
                got <= 20
            } else {
                got == 20
            }
        })
    });
    for i in 0..50u16 {
        let (h, _) = ids[usize::from(i)];
        let other = if h == a { b } else { a };
        let r = app(&net, other).remote_channel(&format!("c{i}")).unwrap();
        let (label, opts) = app(&net, other).peer.channel_info(r).unwrap();
        assert_eq!(label, format!("c{i}"));
        assert_eq!(opts.protocol, format!("p{i}"));
        assert_eq!(opts.ordered, i % 2 == 0);
        assert_eq!(opts.max_retransmits, (i % 5 == 1).then_some(3));
        // Every message arrived intact (never a partial message).
        for m in app(&net, other)
            .sinks
            .get(&r)
            .map_or(&[][..], |s| &s.messages[..])
        {
            assert_eq!(m.data.len(), 300);
        }
    }
}

#[test]
fn a_reliable_transfer_under_loss_arrives_intact() {
    let total: u64 = if cfg!(debug_assertions) {
        16 << 20
    } else {
        64 << 20
    };
    let (mut net, a, b) = lan(
        common::seed(5),
        LinkConfig::ideal()
            .latency(Duration::from_millis(25))
            .loss(0.02),
    );
    let ca = app_mut(&mut net, a).create("bulk", ChannelOptions::default());
    negotiate(&mut net, a, b);
    run(&mut net, 30, |n| app(n, a).is_open(ca));
    app_mut(&mut net, a).add_pump(ca, total, 16 * 1024);
    app_mut(&mut net, b).keep_messages = false;
    net.keep_trace_records(false);
    // Reno at 2% loss and a 50 ms RTT moves ~0.2–0.5 MB/s (Mathis): virtual minutes.
    run(&mut net, 3600, |n| {
        app(n, b)
            .remote_channel("bulk")
            .is_some_and(|r| app(n, b).received(r) == total)
    });
    let r = app(&net, b).remote_channel("bulk").unwrap();
    let sent = app(&net, a).pumps[0].hash.clone().finalize();
    let got = app(&net, b).sinks[&r].hash.clone().finalize();
    assert_eq!(sent, got, "SHA-256 of what was sent and what arrived");
    let s = app(&net, a).peer.stats();
    assert!(
        s.sctp.unwrap().send.retransmissions > 0,
        "the loss was felt"
    );
}

#[test]
fn the_whole_run_replays_from_the_seed() {
    let run_once = |seed| {
        let (mut net, a, b) = lan(seed, link().loss(0.05));
        let ca = app_mut(&mut net, a).create("x", ChannelOptions::default());
        negotiate(&mut net, a, b);
        run(&mut net, 30, |n| app(n, a).is_open(ca));
        for k in 0..50 {
            app_mut(&mut net, a)
                .peer
                .send_binary(ca, payload(k, 1000))
                .unwrap();
        }
        run(&mut net, 30, |n| {
            app(n, b)
                .remote_channel("x")
                .is_some_and(|r| app(n, b).received(r) == 50_000)
        });
        net.trace_hash_hex()
    };
    let first = run_once(11);
    assert_eq!(first, run_once(11));
    assert_ne!(first, run_once(12));
}

#[test]
fn an_ice_lite_answerer_connects() {
    // RFC 8445 §6.1.1: the full agent is controlling; the lite one only answers checks.
    let (mut net, a, b) = lan_with(common::seed(6), link(), true);
    let ca = app_mut(&mut net, a).create("lite", ChannelOptions::default());
    negotiate(&mut net, a, b);
    assert!(
        app(&net, b)
            .peer
            .local_description()
            .unwrap()
            .sdp
            .to_string()
            .contains("a=ice-lite")
    );
    run(&mut net, 30, |n| {
        connected(n, &[a, b]) && app(n, a).is_open(ca)
    });
    assert_eq!(
        app(&net, b).peer.stats().ice.checks_sent,
        0,
        "a lite agent sends no checks"
    );
    app_mut(&mut net, a).peer.send_text(ca, "to lite").unwrap();
    run(&mut net, 10, |n| {
        app(n, b)
            .remote_channel("lite")
            .is_some_and(|r| app(n, b).received(r) == 7)
    });
}

/// A remote that closes its peer connection (as most applications do the moment their exchange
/// is done) is not a failure (issue 18): `a.close()` sends an SCTP ABORT with User-Initiated
/// Abort (what browsers' `pc.close()` sends) and a DTLS close_notify; `b` closes its channels
/// with `RemoteAbort { cause: Some(12) }` (Chromium's `error` event carries the same cause),
/// reports the SCTP transport closed, and no `Failed`; its connection state follows the W3C
/// table (a DTLS transport closed by the remote counts as connected, ICE consent decides).
#[test]
fn a_remote_close_closes_the_channels_and_is_not_a_failure() {
    let (mut net, a, b) = lan(common::seed(12), link());
    let c = app_mut(&mut net, a).create("chat", ChannelOptions::default());
    negotiate(&mut net, a, b);
    run(&mut net, 30, |n| {
        app(n, b).remote_channel("chat").is_some() && app(n, a).is_open(c)
    });
    let r = app(&net, b).remote_channel("chat").unwrap();
    app_mut(&mut net, a)
        .peer
        .send_text(c, "last words")
        .unwrap();
    run(&mut net, 5, |n| {
        app(n, b).sinks.get(&r).is_some_and(|s| s.count == 1)
    });
    app_mut(&mut net, a).peer.close();
    run(&mut net, 5, |n| app(n, b).closed(r));
    let log: Vec<Event> = app(&net, b).log.iter().map(|(_, e)| e.clone()).collect();
    assert!(log.contains(&Event::ChannelClosed {
        id: r,
        reason: ChannelCloseReason::RemoteAbort { cause: Some(12) }
    }));
    assert!(
        log.contains(&Event::SctpClosed(sansrtc::sctp::CloseReason::PeerAbort {
            cause: Some(12)
        }))
    );
    assert!(
        !log.iter().any(|e| matches!(e, Event::Failed(_))),
        "a remote close is not a failure: {log:?}"
    );
    assert_eq!(
        app(&net, b).state(),
        sansrtc::PeerConnectionState::Connected
    );
    // Later, the remote's silence ends consent: then, and only then, the connection fails (ICE).
    run(&mut net, 40, |n| {
        app(n, b).state() == sansrtc::PeerConnectionState::Failed
    });
    let failures: Vec<_> = app(&net, b)
        .log
        .iter()
        .filter(|(_, e)| matches!(e, Event::Failed(_)))
        .map(|(_, e)| e.clone())
        .collect();
    assert_eq!(failures, [Event::Failed(sansrtc::PeerFailure::Ice)]);
}
