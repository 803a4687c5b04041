//! TURN end to end in the simulator: peers behind symmetric NATs meet only through a relay;
//! the relay policy forces a relayed pair on one LAN; refreshes keep a 30-minute session alive;
//! expired REST credentials are refused; a stranger without permission is dropped by the server;
//! allocations are freed on close and on expiry.

mod common;

use common::peer::{App, app, app_mut, connected, negotiate, trickle};
use common::{addr, base};
use sansrtc::dtls::{DtlsConfig, DtlsContext};
use sansrtc::ice::CandidateKind;
use sansrtc::net::{Datagram, Protocol, Transmit};
use sansrtc::rng::{RngRoot, Stream};
use sansrtc::sim::{HostId, Interface, Limits, LinkChange, LinkConfig, NatConfig, Network, Node};
use sansrtc::turn::{RestCredentials, TurnConfig, TurnCredentials, TurnServer, TurnServerConfig};
use sansrtc::{
    ChannelOptions, Event, IceCandidateError, IceGatheringState, IceTransportPolicy, PeerConfig,
    PeerConnectionState,
};
use sha2::Digest;
use std::net::SocketAddr;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

const TURN: &str = "192.0.2.10:3478";
const UNIX_START: u64 = 1_800_000_000;
const SECRET: &[u8] = b"rest-shared-secret";

fn context() -> Arc<DtlsContext> {
    static CTX: OnceLock<Arc<DtlsContext>> = OnceLock::new();
    CTX.get_or_init(|| Arc::new(DtlsContext::new(DtlsConfig::default())))
        .clone()
}

fn turn_server(now: Instant, seed: u64) -> TurnServer {
    let config = TurnServerConfig::new(
        "sansrtc.test",
        TurnCredentials::Rest {
            secret: SECRET.to_vec(),
        },
        UNIX_START,
    );
    TurnServer::new(config, RngRoot::from_seed(seed).stream(Stream::Server), now)
}

/// REST credentials as an application server would hand out, valid `ttl` from `UNIX_START`
/// shifted by `offset` seconds.
fn credentials(user: &str, offset: i64, ttl: u64) -> TurnConfig {
    let c = RestCredentials::new(
        SECRET,
        user,
        UNIX_START.saturating_add_signed(offset),
        Duration::from_secs(ttl),
    );
    TurnConfig::new(addr(TURN), c.username, c.password)
}

fn config(seed: u64, turn: TurnConfig, policy: IceTransportPolicy) -> PeerConfig {
    PeerConfig::new()
        .seed(seed)
        .dtls_context(context())
        .turn_server(turn)
        .ice_transport_policy(policy)
}

/// Two peers, each behind its own NAT, and a TURN server on the internet.
fn behind_nats(
    seed: u64,
    na: NatConfig,
    nb: NatConfig,
    ca: PeerConfig,
    cb: PeerConfig,
) -> (Network, HostId, HostId, HostId) {
    let mut net = Network::new(base(), seed);
    let inet = net.internet();
    let now = net.now();
    let server = net
        .add_host(
            "turn",
            [Interface::new(addr(TURN).ip(), inet)],
            turn_server(now, seed),
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
        .loss(0.01);
    let mut pa = App::new(ca, now);
    let mut pb = App::new(cb, now);
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
    (net, a, b, server)
}

fn server(net: &Network, h: HostId) -> &TurnServer {
    net.node::<TurnServer>(h).expect("turn server")
}

fn is_relayed(local: SocketAddr) -> bool {
    local.ip() == addr(TURN).ip()
}

#[track_caller]
fn run(net: &mut Network, secs: u64, done: impl FnMut(&Network) -> bool) {
    net.run_until(done, Limits::time(Duration::from_secs(secs)))
        .unwrap();
}

#[test]
fn symmetric_nats_meet_only_through_turn() {
    let seed = common::seed(40);
    let (mut net, a, b, s) = behind_nats(
        seed,
        NatConfig::symmetric(),
        NatConfig::symmetric(),
        config(seed, credentials("alice", 0, 3600), IceTransportPolicy::All),
        config(
            seed + 1,
            credentials("bob", 0, 3600),
            IceTransportPolicy::All,
        ),
    );
    let ca = app_mut(&mut net, a).create("relay", ChannelOptions::default());
    negotiate(&mut net, a, b);
    run(&mut net, 60, |n| {
        connected(n, &[a, b]) && app(n, a).is_open(ca)
    });
    // Both sides signalled a relayed candidate; the selected pair runs through the relay.
    for h in [a, b] {
        assert!(app(&net, h).log.iter().any(|(_, e)| matches!(
            e,
            Event::LocalCandidate(c) if c.candidate.as_ref().and_then(|c| c.to_ice()).is_some_and(|c| c.kind == CandidateKind::Relayed)
        )));
        assert_eq!(app(&net, h).peer.stats().turn_allocations, 1);
    }
    let (la, ra) = app(&net, a).peer.selected_pair().unwrap();
    assert!(
        is_relayed(la) || is_relayed(ra),
        "selected {la} -> {ra} does not use the relay"
    );
    // Data moves: 2 MiB, SHA-256 checked.
    let total = 2u64 << 20;
    app_mut(&mut net, a).add_pump(ca, total, 8 * 1024);
    app_mut(&mut net, b).keep_messages = false;
    run(&mut net, 300, |n| {
        app(n, b)
            .remote_channel("relay")
            .is_some_and(|r| app(n, b).received(r) == total)
    });
    let r = app(&net, b).remote_channel("relay").unwrap();
    assert_eq!(
        app(&net, a).pumps[0].hash.clone().finalize(),
        app(&net, b).sinks[&r].hash.clone().finalize()
    );
    assert!(server(&net, s).stats().relayed_out > 1000);
    // Close deallocates: the server frees both allocations at once.
    app_mut(&mut net, a).peer.close();
    app_mut(&mut net, b).peer.close();
    run(&mut net, 10, |n| server(n, s).allocation_count() == 0);
    assert_eq!(server(&net, s).stats().allocations_expired, 0);
}

#[test]
fn relay_policy_forces_a_relayed_pair_on_one_lan() {
    let seed = common::seed(41);
    let mut net = Network::new(base(), seed);
    let inet = net.internet();
    let now = net.now();
    net.add_host(
        "turn",
        [Interface::new(addr(TURN).ip(), inet)],
        turn_server(now, seed),
    )
    .unwrap();
    let cfg = |s, user| config(s, credentials(user, 0, 3600), IceTransportPolicy::Relay);
    let mut pa = App::new(cfg(seed, "alice"), now);
    let mut pb = App::new(cfg(seed + 1, "bob"), now);
    trickle(&mut pa, &mut pb);
    // Both on the public segment: host candidates would connect directly in one check.
    pa.peer.add_local_address(addr("198.51.100.1:5000"));
    pb.peer.add_local_address(addr("198.51.100.2:5000"));
    let link = LinkConfig::ideal().latency(Duration::from_millis(5));
    let a = net
        .add_host(
            "a",
            [Interface::new(addr("198.51.100.1:0").ip(), inet).link(link.clone())],
            pa,
        )
        .unwrap();
    let b = net
        .add_host(
            "b",
            [Interface::new(addr("198.51.100.2:0").ip(), inet).link(link)],
            pb,
        )
        .unwrap();
    let ca = app_mut(&mut net, a).create("x", ChannelOptions::default());
    negotiate(&mut net, a, b);
    run(&mut net, 60, |n| {
        connected(n, &[a, b]) && app(n, a).is_open(ca)
    });
    let (la, ra) = app(&net, a).peer.selected_pair().unwrap();
    assert!(is_relayed(la), "local {la} is not relayed");
    assert!(is_relayed(ra), "remote {ra} is not relayed");
    // Nothing but relayed candidates was signalled, in SDP or trickled.
    for h in [a, b] {
        let sdp = app(&net, h)
            .peer
            .local_description()
            .unwrap()
            .sdp
            .to_string();
        assert!(!sdp.contains("typ host"), "{sdp}");
        assert!(!app(&net, h).log.iter().any(|(_, e)| matches!(
            e,
            Event::LocalCandidate(c) if c.candidate.as_ref().and_then(|c| c.to_ice()).is_some_and(|c| c.kind != CandidateKind::Relayed)
        )));
    }
}

#[test]
fn refreshes_keep_a_thirty_minute_session_alive() {
    let seed = common::seed(42);
    let (mut net, a, b, s) = behind_nats(
        seed,
        NatConfig::symmetric(),
        NatConfig::port_restricted_cone(),
        config(
            seed,
            credentials("alice", 0, 7200),
            IceTransportPolicy::Relay,
        ),
        config(
            seed + 1,
            credentials("bob", 0, 7200),
            IceTransportPolicy::Relay,
        ),
    );
    let ca = app_mut(&mut net, a).create("long", ChannelOptions::default());
    negotiate(&mut net, a, b);
    run(&mut net, 60, |n| app(n, a).is_open(ca));
    net.keep_trace_records(false);
    // A message a minute for 30 virtual minutes.
    for minute in 0..30u64 {
        app_mut(&mut net, a)
            .peer
            .send_text(ca, &format!("minute {minute}"))
            .unwrap();
        net.run_for(Duration::from_secs(60)).unwrap();
    }
    let r = app(&net, b).remote_channel("long").unwrap();
    assert_eq!(app(&net, b).sinks[&r].count, 30);
    assert_eq!(app(&net, a).state(), PeerConnectionState::Connected);
    assert_eq!(server(&net, s).allocation_count(), 2);
    let st = server(&net, s).stats();
    assert_eq!(st.allocations_expired, 0);
    assert!(
        st.stale_nonces > 0,
        "nonces rotated (10 min) and clients retried"
    );
    assert_eq!(app(&net, a).peer.stats().turn_failures, 0);
}

#[test]
fn expired_credentials_are_refused() {
    let seed = common::seed(43);
    // Credentials that expired an hour before the server's clock.
    let (mut net, a, b, s) = behind_nats(
        seed,
        NatConfig::symmetric(),
        NatConfig::symmetric(),
        config(
            seed,
            credentials("alice", -7200, 3600),
            IceTransportPolicy::Relay,
        ),
        config(
            seed + 1,
            credentials("bob", -7200, 3600),
            IceTransportPolicy::Relay,
        ),
    );
    negotiate(&mut net, a, b);
    net.run_for(Duration::from_secs(40)).unwrap();
    assert_eq!(server(&net, s).allocation_count(), 0);
    assert!(server(&net, s).stats().unauthorized >= 2);
    for h in [a, b] {
        assert_eq!(app(&net, h).peer.stats().turn_failures, 1);
        assert_ne!(app(&net, h).state(), PeerConnectionState::Connected);
        // W3C `icecandidateerror`: the server's 401, from the socket the Allocate left.
        let errors: Vec<&IceCandidateError> = app(&net, h)
            .log
            .iter()
            .filter_map(|(_, e)| match e {
                Event::IceCandidateError(e) => Some(e),
                _ => None,
            })
            .collect();
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert_eq!(errors[0].error_code, 401);
        assert!(errors[0].url.starts_with("turn:") && errors[0].url.ends_with("?transport=udp"));
    }
}

/// A host on the internet that sends to a relayed address it has no permission for.
struct Stranger {
    target: Option<SocketAddr>,
    out: Vec<Transmit>,
}

impl Node for Stranger {
    fn handle_receive(&mut self, _: Instant, _: Datagram<'_>) {}
    fn handle_timeout(&mut self, _: Instant) {}
    fn poll_transmit(&mut self, _: Instant) -> Option<Transmit> {
        self.out.pop()
    }
    fn poll_timeout(&self) -> Option<Instant> {
        None
    }
}

#[test]
fn a_stranger_without_permission_is_dropped_and_allocations_expire() {
    let seed = common::seed(44);
    let (mut net, a, b, s) = behind_nats(
        seed,
        NatConfig::symmetric(),
        NatConfig::symmetric(),
        config(
            seed,
            credentials("alice", 0, 3600),
            IceTransportPolicy::Relay,
        ),
        config(
            seed + 1,
            credentials("bob", 0, 3600),
            IceTransportPolicy::Relay,
        ),
    );
    let inet = net.internet();
    let stranger = net
        .add_host(
            "stranger",
            [Interface::new(addr("198.51.100.66:0").ip(), inet)],
            Stranger {
                target: None,
                out: Vec::new(),
            },
        )
        .unwrap();
    let ca = app_mut(&mut net, a).create("x", ChannelOptions::default());
    negotiate(&mut net, a, b);
    run(&mut net, 60, |n| app(n, a).is_open(ca));
    let (relayed, _) = app(&net, a).peer.selected_pair().unwrap();
    let before = server(&net, s).stats().dropped_no_permission;
    {
        let st = net.node_mut::<Stranger>(stranger).unwrap();
        st.target = Some(relayed);
        for i in 0..5u8 {
            st.out.push(Transmit {
                source: addr("198.51.100.66:9999"),
                destination: relayed,
                protocol: Protocol::Udp,
                contents: vec![0x17, 0xfe, 0xfd, i].into(),
            });
        }
    }
    net.run_for(Duration::from_secs(2)).unwrap();
    assert_eq!(server(&net, s).stats().dropped_no_permission, before + 5);
    // The session is unharmed.
    app_mut(&mut net, a).peer.send_text(ca, "fine").unwrap();
    run(&mut net, 10, |n| {
        app(n, b)
            .remote_channel("x")
            .is_some_and(|r| app(n, b).received(r) == 4)
    });
    // Both peers vanish without deallocating (their links are cut): the server frees the
    // allocations when their lifetime (600 s) runs out.
    for h in [a, b] {
        for ip in net.host_addresses(h) {
            let link = net.host_link(h, ip).unwrap();
            let now = net.now();
            net.schedule(now, link, LinkChange::Cut);
        }
    }
    net.run_for(Duration::from_secs(700)).unwrap();
    assert_eq!(server(&net, s).allocation_count(), 0);
    assert_eq!(server(&net, s).stats().allocations_expired, 2);
}

#[test]
fn several_turn_servers_give_one_relayed_candidate_each() {
    let seed = common::seed(45);
    let mut net = Network::new(base(), seed);
    let inet = net.internet();
    let now = net.now();
    let second: SocketAddr = addr("192.0.2.20:3478");
    net.add_host(
        "turn1",
        [Interface::new(addr(TURN).ip(), inet)],
        turn_server(now, seed),
    )
    .unwrap();
    net.add_host(
        "turn2",
        [Interface::new(second.ip(), inet)],
        turn_server(now, seed + 1),
    )
    .unwrap();
    let mut other = credentials("carol", 0, 3600);
    other.server = second;
    let cfg =
        config(seed, credentials("carol", 0, 3600), IceTransportPolicy::All).turn_server(other);
    let mut p = App::new(cfg, now);
    p.peer.add_local_address(addr("198.51.100.7:5000"));
    let h = net
        .add_host("p", [Interface::new(addr("198.51.100.7:0").ip(), inet)], p)
        .unwrap();
    run(&mut net, 10, |n| {
        app(n, h)
            .log
            .iter()
            .any(|(_, e)| *e == Event::IceGatheringStateChange(IceGatheringState::Complete))
    });
    let relayed: Vec<SocketAddr> = app(&net, h)
        .log
        .iter()
        .filter_map(|(_, e)| match e {
            Event::LocalCandidate(c) => c
                .candidate
                .as_ref()
                .and_then(|c| c.to_ice())
                .filter(|c| c.kind == CandidateKind::Relayed),
            _ => None,
        })
        .map(|c| c.address)
        .collect();
    assert_eq!(relayed.len(), 2, "{relayed:?}");
    assert!(relayed.iter().any(|a| a.ip() == addr(TURN).ip()));
    assert!(relayed.iter().any(|a| a.ip() == second.ip()));
    // End-of-candidates came after both Allocates.
    assert_eq!(app(&net, h).peer.stats().turn_allocations, 2);
}
