//! DTLS through the simulator: the handshake under 30% loss and reordering with a 1200-byte MTU
//! in both roles, a wrong fingerprint, and reproducibility from the seed.

mod common;

use common::{addr, base};
use sansrtc::dtls::{
    Certificate, DtlsConfig, DtlsContext, DtlsEvent, DtlsFailure, DtlsRole, DtlsState,
    DtlsTransport, FingerprintHash,
};
use sansrtc::net::{Datagram, Protocol, Transmit};
use sansrtc::rng::{RngRoot, Stream};
use sansrtc::sdp::Fingerprint;
use sansrtc::sim::{HostId, Interface, Limits, LinkConfig, Network, Node};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

/// A DTLS transport bound to one remote address, recording its events.
struct DtlsNode {
    dtls: DtlsTransport,
    local: SocketAddr,
    remote: SocketAddr,
    events: Vec<(Instant, DtlsEvent)>,
}

impl DtlsNode {
    fn drain(&mut self, now: Instant) {
        while let Some(e) = self.dtls.poll_event() {
            self.events.push((now, e));
        }
    }
}

impl Node for DtlsNode {
    fn handle_receive(&mut self, now: Instant, d: Datagram<'_>) {
        self.dtls.handle_receive(now, d.contents);
        self.drain(now);
    }
    fn handle_timeout(&mut self, now: Instant) {
        self.dtls.handle_timeout(now);
        self.drain(now);
    }
    fn poll_transmit(&mut self, now: Instant) -> Option<Transmit> {
        self.dtls.poll_transmit(now).map(|contents| Transmit {
            source: self.local,
            destination: self.remote,
            protocol: Protocol::Udp,
            contents,
        })
    }
    fn poll_timeout(&self) -> Option<Instant> {
        self.dtls.poll_timeout()
    }
}

const A: &str = "10.0.0.1:5000";
const B: &str = "10.0.0.2:5000";

/// Two hosts on one LAN; `a` has the lossy, reordering link. Returns (net, a, b).
fn scenario(
    seed: u64,
    a_role: DtlsRole,
    a_trusts: Option<Vec<Fingerprint>>,
) -> (Network, HostId, HostId) {
    let mut net = Network::new(base(), seed);
    let lan = net.add_segment();
    let bad = LinkConfig::ideal()
        .latency(Duration::from_millis(20))
        .jitter(Duration::from_millis(10))
        .loss(0.3)
        .reorder(0.3, Duration::from_millis(30))
        .mtu(1200);
    let good = LinkConfig::ideal()
        .latency(Duration::from_millis(20))
        .reorder(0.3, Duration::from_millis(30))
        .mtu(1200);
    let root = RngRoot::from_seed(seed);
    let (ca, cb) = (
        Certificate::generate(&mut root.child("a", 0).stream(Stream::Certificate)),
        Certificate::generate(&mut root.child("b", 0).stream(Stream::Certificate)),
    );
    let fp = |c: &Certificate| vec![c.fingerprint(FingerprintHash::Sha256)];
    let b_role = match a_role {
        DtlsRole::Client => DtlsRole::Server,
        DtlsRole::Server => DtlsRole::Client,
    };
    let ctx = DtlsContext::new(DtlsConfig::default());
    let node = |cert: &Certificate, role, trust, label: &str, local: &str, remote: &str| DtlsNode {
        dtls: DtlsTransport::new(
            &ctx,
            cert,
            role,
            Some(trust),
            root.child(label, 0).stream(Stream::Dtls),
        ),
        local: addr(local),
        remote: addr(remote),
        events: Vec::new(),
    };
    let a_node = node(&ca, a_role, a_trusts.unwrap_or_else(|| fp(&cb)), "a", A, B);
    let b_node = node(&cb, b_role, fp(&ca), "b", B, A);
    let a = net
        .add_host("a", [Interface::new(addr(A).ip(), lan).link(bad)], a_node)
        .unwrap();
    let b = net
        .add_host("b", [Interface::new(addr(B).ip(), lan).link(good)], b_node)
        .unwrap();
    (net, a, b)
}

fn state(net: &Network, h: HostId) -> DtlsState {
    net.node::<DtlsNode>(h).unwrap().dtls.state()
}

fn connect(seed: u64, a_role: DtlsRole) -> Network {
    let (mut net, a, b) = scenario(seed, a_role, None);
    net.run_until(
        |n| state(n, a) == DtlsState::Connected && state(n, b) == DtlsState::Connected,
        Limits::time(Duration::from_secs(60)),
    )
    .unwrap_or_else(|e| panic!("{a_role:?}: {e}"));
    for h in [a, b] {
        let n = net.node::<DtlsNode>(h).unwrap();
        assert!(matches!(n.events[0].1, DtlsEvent::Connected { .. }));
    }
    net
}

#[test]
fn handshake_survives_loss_and_reordering_in_both_roles() {
    for role in [DtlsRole::Client, DtlsRole::Server] {
        for seed in 1..=5 {
            let net = connect(common::seed(seed), role);
            // Datagrams were lost and flights retransmitted, and none exceeded the MTU.
            let counts = net.counts();
            assert!(counts.lost > 0, "{role:?} seed {seed}: {counts:?}");
            assert_eq!(counts.over_mtu, 0, "{role:?} seed {seed}");
        }
    }
}

#[test]
fn wrong_fingerprint_fails_and_delivers_nothing() {
    let wrong = vec![Fingerprint {
        hash: "sha-256".into(),
        bytes: vec![7; 32],
    }];
    let (mut net, a, b) = scenario(common::seed(11), DtlsRole::Client, Some(wrong));
    net.run_until(
        |n| state(n, a) == DtlsState::Failed,
        Limits::time(Duration::from_secs(60)),
    )
    .unwrap();
    // The server may believe in the connection and send; nothing reaches A's application.
    if state(&net, b) == DtlsState::Connected {
        net.node_mut::<DtlsNode>(b)
            .unwrap()
            .dtls
            .send(b"secret")
            .unwrap();
    }
    net.run_for(Duration::from_secs(2)).unwrap();
    let ev: Vec<_> = net
        .node::<DtlsNode>(a)
        .unwrap()
        .events
        .iter()
        .map(|e| e.1.clone())
        .collect();
    assert!(
        matches!(&ev[..], [DtlsEvent::Failed(DtlsFailure::Fingerprint(_))]),
        "{ev:?}"
    );
}

#[test]
fn same_seed_same_trace_other_seed_other_trace() {
    let hash = |seed| connect(seed, DtlsRole::Client).trace_hash_hex();
    assert_eq!(hash(21), hash(21));
    assert_ne!(hash(21), hash(22));
}
