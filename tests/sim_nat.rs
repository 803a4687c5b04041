//! NAT behaviour in the simulator, written from the RFC 4787 definitions.
//!
//! One client host (10.0.0.2) behind the NAT under test (external 203.0.113.1); two servers on
//! the internet (198.51.100.1 and 198.51.100.2). Every node is a `Probe`, so the tests can send
//! from any port and see the source address each datagram arrived with.

mod common;

use bytes::Bytes;
use common::{addr, base};
use sansrtc::sim::{
    Fate, Filtering, HostId, Interface, LinkConfig, Mapping, NatConfig, NatDrop, NatId, Network,
    PortAssignment, Probe,
};
use std::net::SocketAddr;
use std::time::Duration;

struct World {
    net: Network,
    nat: NatId,
    client: HostId,
    s1: HostId,
    s2: HostId,
}

const NAT_IP: &str = "203.0.113.1";

fn world(config: NatConfig) -> World {
    let b = base();
    let mut net = Network::new(b, common::seed(11));
    let internet = net.internet();
    let nat = net
        .add_nat(
            config,
            internet,
            NAT_IP.parse().unwrap(),
            LinkConfig::ideal(),
        )
        .unwrap();
    let lan = net.inside(nat);
    let ms = LinkConfig::ideal().latency(Duration::from_millis(1));
    let client = net
        .add_host(
            "client",
            [Interface::new("10.0.0.2".parse().unwrap(), lan).link(ms.clone())],
            Probe::sink(addr("10.0.0.2:5000")),
        )
        .unwrap();
    let s1 = net
        .add_host(
            "s1",
            [Interface::new("198.51.100.1".parse().unwrap(), internet).link(ms.clone())],
            Probe::sink(addr("198.51.100.1:1000")),
        )
        .unwrap();
    let s2 = net
        .add_host(
            "s2",
            [Interface::new("198.51.100.2".parse().unwrap(), internet).link(ms)],
            Probe::sink(addr("198.51.100.2:1000")),
        )
        .unwrap();
    World {
        net,
        nat,
        client,
        s1,
        s2,
    }
}

impl World {
    fn send(&mut self, host: HostId, from: &str, to: SocketAddr) {
        self.net.node_mut::<Probe>(host).unwrap().send_now(
            addr(from),
            to,
            Bytes::from_static(b"12345678"),
        );
        self.net.run_for(Duration::from_millis(50)).unwrap();
    }

    fn last_source_seen(&self, host: HostId) -> SocketAddr {
        self.net
            .node::<Probe>(host)
            .unwrap()
            .received
            .last()
            .expect("received")
            .source
    }

    fn received(&self, host: HostId) -> usize {
        self.net.node::<Probe>(host).unwrap().received.len()
    }

    /// The external endpoints the client's port 5000 appears as towards S1:1000, S1:2000 and
    /// S2:1000.
    fn mappings(&mut self) -> [SocketAddr; 3] {
        let (c, s1, s2) = (self.client, self.s1, self.s2);
        self.send(c, "10.0.0.2:5000", addr("198.51.100.1:1000"));
        let a = self.last_source_seen(s1);
        self.send(c, "10.0.0.2:5000", addr("198.51.100.1:2000"));
        let b = self.last_source_seen(s1);
        self.send(c, "10.0.0.2:5000", addr("198.51.100.2:1000"));
        let d = self.last_source_seen(s2);
        [a, b, d]
    }

    /// After the client has sent to S1:1000 only: which of S1:1000, S1:2000 and S2:1000 can
    /// reach its external endpoint.
    fn admitted(&mut self) -> [bool; 3] {
        let (c, s1, s2) = (self.client, self.s1, self.s2);
        self.send(c, "10.0.0.2:5000", addr("198.51.100.1:1000"));
        let external = self.last_source_seen(s1);
        let mut out = [false; 3];
        for (i, (host, from)) in [
            (s1, "198.51.100.1:1000"),
            (s1, "198.51.100.1:2000"),
            (s2, "198.51.100.2:1000"),
        ]
        .into_iter()
        .enumerate()
        {
            let before = self.received(c);
            self.send(host, from, external);
            out[i] = self.received(c) > before;
        }
        out
    }
}

#[test]
fn mapping_behaviours() {
    // RFC 4787 §4.1: which destinations share the external endpoint X':x'.
    let cases = [
        (Mapping::EndpointIndependent, [true, true]),
        (Mapping::AddressDependent, [true, false]),
        (Mapping::AddressAndPortDependent, [false, false]),
    ];
    for (mapping, [same_ip_other_port, other_ip]) in cases {
        let mut w = world(NatConfig::new(mapping, Filtering::EndpointIndependent));
        let [a, b, c] = w.mappings();
        assert_eq!(a.ip(), NAT_IP.parse::<std::net::IpAddr>().unwrap());
        assert_eq!(a == b, same_ip_other_port, "{mapping:?}: {a} vs {b}");
        assert_eq!(a == c, other_ip, "{mapping:?}: {a} vs {c}");
        assert_eq!(
            w.net.nat_stats(w.nat).mappings_created,
            3 - same_ip_other_port as u64 - other_ip as u64
        );
    }
}

#[test]
fn filtering_behaviours() {
    // RFC 4787 §5: after X:x sent to S1:1000 only.
    let cases = [
        (Filtering::EndpointIndependent, [true, true, true]),
        (Filtering::AddressDependent, [true, true, false]),
        (Filtering::AddressAndPortDependent, [true, false, false]),
    ];
    for (filtering, want) in cases {
        let mut w = world(NatConfig::new(Mapping::EndpointIndependent, filtering));
        assert_eq!(w.admitted(), want, "{filtering:?}");
    }
}

#[test]
fn presets_behave_as_named() {
    // (preset, mapping outcome [same IP other port shares, other IP shares], filtering outcome)
    let cases = [
        (
            "full cone",
            NatConfig::full_cone(),
            [true, true],
            [true, true, true],
        ),
        (
            "restricted cone",
            NatConfig::restricted_cone(),
            [true, true],
            [true, true, false],
        ),
        (
            "port-restricted cone",
            NatConfig::port_restricted_cone(),
            [true, true],
            [true, false, false],
        ),
        (
            "symmetric",
            NatConfig::symmetric(),
            [false, false],
            [true, false, false],
        ),
    ];
    for (name, config, mapping, filtering) in cases {
        let mut w = world(config.clone());
        let [a, b, c] = w.mappings();
        assert_eq!([a == b, a == c], mapping, "{name} mapping");
        let mut w = world(config);
        assert_eq!(w.admitted(), filtering, "{name} filtering");
    }
}

#[test]
fn unsolicited_inbound_has_no_mapping() {
    let mut w = world(NatConfig::full_cone());
    let s1 = w.s1;
    w.send(s1, "198.51.100.1:1000", addr("203.0.113.1:5000"));
    assert_eq!(w.received(w.client), 0);
    let last = w.net.trace().last().unwrap().fate;
    assert_eq!(last, Fate::NatRefused(w.nat, NatDrop::NoMapping));
}

#[test]
fn port_preservation_and_random_ports() {
    let mut w = world(NatConfig::full_cone());
    let [a, ..] = w.mappings();
    assert_eq!(a.port(), 5000, "preserved");

    // A second internal host using the same port cannot keep it.
    let lan = w.net.inside(w.nat);
    let other = w
        .net
        .add_host(
            "other",
            [Interface::new("10.0.0.3".parse().unwrap(), lan)],
            Probe::sink(addr("10.0.0.3:5000")),
        )
        .unwrap();
    w.send(other, "10.0.0.3:5000", addr("198.51.100.1:1000"));
    let b = w.last_source_seen(w.s1);
    assert_ne!(b.port(), 5000);
    assert!(b.port() >= 1024);

    let mut w = world(NatConfig::full_cone().port_assignment(PortAssignment::Random));
    let [a, ..] = w.mappings();
    assert_ne!(
        a.port(),
        5000,
        "random ports (seeded; 1 in 64512 would collide)"
    );
    assert!(a.port() >= 1024);
}

#[test]
fn mapping_expires_without_outbound_refresh() {
    // RFC 4787 REQ-5/REQ-6: the mapping lives `timeout` after the last outbound datagram;
    // inbound traffic does not refresh it unless configured.
    let timeout = Duration::from_secs(120);
    let mut w = world(NatConfig::full_cone().mapping_timeout(timeout));
    let (c, s1) = (w.client, w.s1);
    w.send(c, "10.0.0.2:5000", addr("198.51.100.1:1000"));
    let external = w.last_source_seen(s1);

    // Inbound at 100 s: still mapped (and does not refresh).
    w.net.run_for(Duration::from_secs(100)).unwrap();
    w.send(s1, "198.51.100.1:1000", external);
    assert_eq!(w.received(c), 1);
    // Inbound at ~121 s after the last outbound: expired.
    w.net.run_for(Duration::from_secs(21)).unwrap();
    w.send(s1, "198.51.100.1:1000", external);
    assert_eq!(w.received(c), 1);
    assert_eq!(
        w.net.trace().last().unwrap().fate,
        Fate::NatRefused(w.nat, NatDrop::NoMapping)
    );
    assert_eq!(w.net.nat_mappings(w.nat), 0);

    // Outbound traffic refreshes: send every 100 s, inbound at 150 s after the first still works.
    let mut w = world(NatConfig::full_cone().mapping_timeout(timeout));
    let (c, s1) = (w.client, w.s1);
    w.send(c, "10.0.0.2:5000", addr("198.51.100.1:1000"));
    let external = w.last_source_seen(s1);
    w.net.run_for(Duration::from_secs(100)).unwrap();
    w.send(c, "10.0.0.2:5000", addr("198.51.100.1:1000"));
    w.net.run_for(Duration::from_secs(50)).unwrap();
    w.send(s1, "198.51.100.1:1000", external);
    assert_eq!(w.received(c), 1);

    // Inbound refresh when configured.
    let mut w = world(
        NatConfig::full_cone()
            .mapping_timeout(timeout)
            .inbound_refresh(true),
    );
    let (c, s1) = (w.client, w.s1);
    w.send(c, "10.0.0.2:5000", addr("198.51.100.1:1000"));
    let external = w.last_source_seen(s1);
    for _ in 0..3 {
        w.net.run_for(Duration::from_secs(100)).unwrap();
        w.send(s1, "198.51.100.1:1000", external);
    }
    assert_eq!(w.received(c), 3);
}

fn hairpin(on: bool) -> (World, HostId) {
    let mut w = world(NatConfig::port_restricted_cone().hairpinning(on));
    let lan = w.net.inside(w.nat);
    let b = w
        .net
        .add_host(
            "b",
            [Interface::new("10.0.0.3".parse().unwrap(), lan)],
            Probe::sink(addr("10.0.0.3:6000")),
        )
        .unwrap();
    // Both open mappings towards S1 (ports preserved: A = :5000, B = :6000), then A lets B in by
    // sending to B's external endpoint, and B sends to A's external endpoint.
    let (c, s1) = (w.client, w.s1);
    w.send(c, "10.0.0.2:5000", addr("198.51.100.1:1000"));
    w.send(b, "10.0.0.3:6000", addr("198.51.100.1:1000"));
    let _ = s1;
    // A's first hairpinned datagram is filtered by B's port-restricted mapping (B has not sent
    // to A's external endpoint yet) but opens A's side; B's then gets through, and so does A's
    // second.
    w.send(c, "10.0.0.2:5000", addr("203.0.113.1:6000"));
    w.send(b, "10.0.0.3:6000", addr("203.0.113.1:5000"));
    w.send(c, "10.0.0.2:5000", addr("203.0.113.1:6000"));
    (w, b)
}

#[test]
fn hairpinning_translates_source_to_external() {
    let (w, b) = hairpin(true);
    // RFC 4787 REQ-9: B sees A's external endpoint, A sees B's external endpoint.
    let at_b = &w.net.node::<Probe>(b).unwrap().received;
    assert_eq!(at_b.last().unwrap().source, addr("203.0.113.1:5000"));
    let at_a = &w.net.node::<Probe>(w.client).unwrap().received;
    assert_eq!(at_a.last().unwrap().source, addr("203.0.113.1:6000"));
    assert_eq!(w.net.node::<Probe>(b).unwrap().received.len(), 1);
    assert_eq!(w.net.nat_stats(w.nat).hairpinned, 3);
}

#[test]
fn hairpinning_off_drops() {
    let (w, b) = hairpin(false);
    assert!(w.net.node::<Probe>(b).unwrap().received.is_empty());
    assert_eq!(
        w.net.trace().last().unwrap().fate,
        Fate::NatRefused(w.nat, NatDrop::HairpinDisabled)
    );
}

#[test]
fn nested_nats_translate_twice() {
    let b = base();
    let mut net = Network::new(b, common::seed(3));
    let internet = net.internet();
    let carrier = net
        .add_nat(
            NatConfig::full_cone(),
            internet,
            "203.0.113.9".parse().unwrap(),
            LinkConfig::ideal(),
        )
        .unwrap();
    let cgn_inside = net.inside(carrier);
    let home = net
        .add_nat(
            NatConfig::full_cone(),
            cgn_inside,
            "100.64.0.2".parse().unwrap(),
            LinkConfig::ideal(),
        )
        .unwrap();
    let lan = net.inside(home);
    let c = net
        .add_host(
            "c",
            [Interface::new("192.168.1.2".parse().unwrap(), lan)],
            Probe::sink(addr("192.168.1.2:4000")),
        )
        .unwrap();
    let s = net
        .add_host(
            "s",
            [Interface::new("198.51.100.1".parse().unwrap(), internet)],
            Probe::sink(addr("198.51.100.1:1")),
        )
        .unwrap();
    net.node_mut::<Probe>(c).unwrap().send_now(
        addr("192.168.1.2:4000"),
        addr("198.51.100.1:1"),
        Bytes::from_static(b"x"),
    );
    net.run_for(Duration::from_millis(10)).unwrap();
    let seen = net.node::<Probe>(s).unwrap().received[0].source;
    assert_eq!(seen, addr("203.0.113.9:4000"));
    net.node_mut::<Probe>(s).unwrap().send_now(
        addr("198.51.100.1:1"),
        seen,
        Bytes::from_static(b"y"),
    );
    net.run_for(Duration::from_millis(10)).unwrap();
    assert_eq!(
        net.node::<Probe>(c).unwrap().received[0].source,
        addr("198.51.100.1:1")
    );
}

#[test]
fn private_addresses_are_not_routed_on_the_internet() {
    let mut w = world(NatConfig::full_cone());
    let s1 = w.s1;
    w.send(s1, "198.51.100.1:1000", addr("10.0.0.2:5000"));
    assert_eq!(w.received(w.client), 0);
    assert_eq!(w.net.trace().last().unwrap().fate, Fate::NoRoute);
    // A source address the host does not own has no route either.
    w.send(s1, "198.51.100.77:1000", addr("198.51.100.2:1000"));
    assert_eq!(w.net.trace().last().unwrap().fate, Fate::NoRoute);
}
