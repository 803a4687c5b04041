//! Peers behind NATs with a STUN server and trickle ICE, and an ICE restart in the middle of a
//! reliable transfer.

mod common;

use common::peer::{App, app, app_mut, connected, negotiate, trickle};
use common::{addr, base};
use sansrtc::dtls::{DtlsConfig, DtlsContext};
use sansrtc::ice::CandidateKind;
use sansrtc::sim::{HostId, Interface, Limits, LinkConfig, NatConfig, Network};
use sansrtc::stun::server::StunServer;
use sansrtc::{ChannelOptions, Event, PeerConfig};
use sha2::Digest;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

const STUN: &str = "198.51.100.1:3478";

fn context() -> Arc<DtlsContext> {
    static CTX: OnceLock<Arc<DtlsContext>> = OnceLock::new();
    CTX.get_or_init(|| Arc::new(DtlsContext::new(DtlsConfig::default())))
        .clone()
}

fn behind_nats(seed: u64, na: NatConfig, nb: NatConfig, loss: f64) -> (Network, HostId, HostId) {
    let mut net = Network::new(base(), seed);
    let inet = net.internet();
    net.add_host(
        "stun",
        [Interface::new(addr(STUN).ip(), inet)],
        StunServer::new(),
    )
    .unwrap();
    let nat_a = net
        .add_nat(
            na,
            inet,
            "203.0.113.1".parse().unwrap(),
            LinkConfig::ideal(),
        )
        .unwrap();
    let nat_b = net
        .add_nat(
            nb,
            inet,
            "203.0.113.2".parse().unwrap(),
            LinkConfig::ideal(),
        )
        .unwrap();
    let link = LinkConfig::ideal()
        .latency(Duration::from_millis(15))
        .jitter(Duration::from_millis(3))
        .loss(loss);
    let now = net.now();
    let cfg = |s| {
        PeerConfig::new()
            .seed(s)
            .stun_server(addr(STUN))
            .dtls_context(context())
    };
    let mut pa = App::new(cfg(seed * 2 + 1), now);
    let mut pb = App::new(cfg(seed * 2 + 2), now);
    trickle(&mut pa, &mut pb);
    pa.peer.add_local_address(addr("10.0.0.2:5000"));
    pb.peer.add_local_address(addr("10.1.0.2:6000"));
    let (la, lb) = (net.inside(nat_a), net.inside(nat_b));
    let a = net
        .add_host(
            "a",
            [Interface::new(addr("10.0.0.2:0").ip(), la).link(link.clone())],
            pa,
        )
        .unwrap();
    let b = net
        .add_host(
            "b",
            [Interface::new(addr("10.1.0.2:0").ip(), lb).link(link)],
            pb,
        )
        .unwrap();
    (net, a, b)
}

fn selected_pairs(net: &Network, h: HostId) -> usize {
    app(net, h)
        .log
        .iter()
        .filter(|(_, e)| matches!(e, Event::SelectedPair { .. }))
        .count()
}

#[test]
fn cone_nats_with_stun_and_trickle() {
    for (i, (na, nb)) in [
        (NatConfig::full_cone(), NatConfig::port_restricted_cone()),
        (
            NatConfig::restricted_cone(),
            NatConfig::port_restricted_cone(),
        ),
        (
            NatConfig::port_restricted_cone(),
            NatConfig::port_restricted_cone(),
        ),
    ]
    .into_iter()
    .enumerate()
    {
        let (mut net, a, b) = behind_nats(common::seed(20 + i as u64), na, nb, 0.01);
        let ca = app_mut(&mut net, a).create("over-nat", ChannelOptions::default());
        // Negotiate at once: the host candidate is in the offer, the server-reflexive one
        // trickles after it.
        negotiate(&mut net, a, b);
        net.run_until(
            |n| connected(n, &[a, b]) && app(n, a).is_open(ca),
            Limits::time(Duration::from_secs(30)),
        )
        .unwrap();
        // Trickled server-reflexive candidates were gathered and signalled.
        assert!(app(&net, a).log.iter().any(|(_, e)| matches!(
            e,
            Event::LocalCandidate(c) if c.candidate.as_ref().and_then(|c| c.to_ice()).is_some_and(|c| c.kind == CandidateKind::ServerReflexive)
        )));
        // The selected pair crosses the NATs (public addresses on the remote side).
        let (_, remote) = app(&net, a).peer.selected_pair().unwrap();
        assert_eq!(remote.ip().to_string(), "203.0.113.2");
        app_mut(&mut net, a).peer.send_text(ca, "through").unwrap();
        net.run_until(
            |n| {
                app(n, b)
                    .remote_channel("over-nat")
                    .is_some_and(|r| app(n, b).received(r) == 7)
            },
            Limits::time(Duration::from_secs(10)),
        )
        .unwrap();
    }
}

#[test]
fn ice_restart_mid_transfer_loses_nothing() {
    let (mut net, a, b) = behind_nats(
        common::seed(30),
        NatConfig::port_restricted_cone(),
        NatConfig::restricted_cone(),
        0.01,
    );
    let ca = app_mut(&mut net, a).create("bulk", ChannelOptions::default());
    negotiate(&mut net, a, b);
    net.run_until(
        |n| app(n, a).is_open(ca),
        Limits::time(Duration::from_secs(30)),
    )
    .unwrap();
    let total = 4u64 << 20;
    app_mut(&mut net, a).add_pump(ca, total, 8 * 1024);
    app_mut(&mut net, b).keep_messages = false;
    net.run_until(
        |n| {
            app(n, b)
                .remote_channel("bulk")
                .is_some_and(|r| app(n, b).received(r) > total / 4)
        },
        Limits::time(Duration::from_secs(120)),
    )
    .unwrap();
    let before = (selected_pairs(&net, a), selected_pairs(&net, b));
    let ufrag_before = app(&net, b)
        .peer
        .remote_description()
        .unwrap()
        .sdp
        .to_string();
    // a restarts ICE: new credentials, a new offer/answer, new checks; b follows (RFC 8445 §9).
    app_mut(&mut net, a).peer.restart_ice();
    assert!(
        app(&net, a)
            .log
            .iter()
            .filter(|(_, e)| *e == Event::NegotiationNeeded)
            .count()
            >= 1
    );
    negotiate(&mut net, a, b);
    assert_ne!(
        app(&net, b)
            .peer
            .remote_description()
            .unwrap()
            .sdp
            .to_string(),
        ufrag_before
    );
    net.run_until(
        |n| {
            app(n, b)
                .remote_channel("bulk")
                .is_some_and(|r| app(n, b).received(r) == total)
        },
        Limits::time(Duration::from_secs(600)),
    )
    .unwrap();
    // Both agents selected a pair again under the new credentials.
    assert!(selected_pairs(&net, a) > before.0);
    assert!(selected_pairs(&net, b) > before.1);
    let r = app(&net, b).remote_channel("bulk").unwrap();
    assert_eq!(
        app(&net, a).pumps[0].hash.clone().finalize(),
        app(&net, b).sinks[&r].hash.clone().finalize()
    );
    assert!(connected(&net, &[a, b]));
}
