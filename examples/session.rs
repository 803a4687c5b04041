//! The main job: a simulated session between two hosts behind different NATs.
//!
//! Alice sits behind a port-restricted cone NAT on a lossy, jittery access link; Bob behind a
//! restricted cone NAT. Each asks a STUN server for its server-reflexive address, the example
//! hands each the other's (the signaling channel), both punch holes through their NATs, and Alice
//! streams datagrams to Bob, who acknowledges the count at the end.
//!
//! Everything runs in virtual time from one seed: `SIM_SEED=7 cargo run --example session`
//! replays exactly, and the last line, `trace-hash: <hex>`, fingerprints every datagram.
//!
//! (When the sansrtc `Peer` lands, this same command becomes a real WebRTC data-channel transfer.)

use bytes::Bytes;
use sansrtc::net::{Datagram, Protocol, Transmit};
use sansrtc::rng::{Rng, RngRoot, Stream};
use sansrtc::sim::{self, Interface, Limits, LinkConfig, NatConfig, Network, Node};
use sansrtc::stun::server::StunServer;
use sansrtc::stun::{Attribute, AttributeType, Class, Message, MessageView, Method, TransactionId};
use std::collections::VecDeque;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

/// Datagrams Alice streams to Bob once the path is open.
const MESSAGES: u64 = 2_000;
const MESSAGE_BYTES: usize = 1_000;

/// A tiny hole-punching node: STUN discovery, then punching, then streaming.
struct Punch {
    local: SocketAddr,
    stun: SocketAddr,
    start: Instant,
    rng: Rng,
    sender: bool,
    /// The outstanding Binding transaction and when to retransmit it.
    binding: Option<(TransactionId, Instant, Duration)>,
    reflexive: Option<SocketAddr>,
    peer: Option<SocketAddr>,
    peer_heard_at: Option<Instant>,
    next_punch: Option<Instant>,
    next_data: Option<Instant>,
    sent: u64,
    received: u64,
    bytes_received: u64,
    started: Option<Instant>,
    finished_at: Option<Instant>,
    queue: VecDeque<Transmit>,
}

impl Punch {
    fn new(local: SocketAddr, stun: SocketAddr, start: Instant, seed: u64, sender: bool) -> Self {
        Self {
            local,
            stun,
            start,
            rng: RngRoot::from_seed(seed).stream(Stream::Stun),
            sender,
            binding: None,
            reflexive: None,
            peer: None,
            peer_heard_at: None,
            next_punch: None,
            next_data: None,
            sent: 0,
            received: 0,
            bytes_received: 0,
            started: None,
            finished_at: None,
            queue: VecDeque::new(),
        }
    }

    fn send(&mut self, to: SocketAddr, contents: Vec<u8>) {
        self.queue.push_back(Transmit {
            source: self.local,
            destination: to,
            protocol: Protocol::Udp,
            contents: Bytes::from(contents),
        });
    }

    fn send_binding(&mut self, now: Instant, rto: Duration) {
        let tid = TransactionId::random(&mut self.rng);
        let mut req = Message::new(Class::Request, Method::BINDING, tid);
        req.attributes.push(Attribute::Fingerprint);
        self.send(self.stun, req.to_bytes());
        self.binding = Some((tid, now + rto, rto));
    }

    /// Signaling delivers the peer's reflexive address.
    fn set_peer(&mut self, now: Instant, peer: SocketAddr) {
        self.peer = Some(peer);
        self.next_punch = Some(now);
    }
}

impl Node for Punch {
    fn handle_receive(&mut self, now: Instant, d: Datagram<'_>) {
        if let Ok(view) = MessageView::parse(d.contents) {
            let Some((tid, ..)) = self.binding else {
                return;
            };
            if view.class() == Class::SuccessResponse
                && view.transaction_id() == tid
                && let Some(Ok(Attribute::XorMappedAddress(a))) =
                    view.decode(AttributeType::XOR_MAPPED_ADDRESS)
            {
                self.reflexive = Some(a);
                self.binding = None;
            }
            return;
        }
        // Anything else comes from the peer: a punch, data, or the final count.
        if self.peer_heard_at.is_none() {
            self.peer_heard_at = Some(now);
            if self.sender {
                self.next_data = Some(now);
                self.started = Some(now);
            }
        }
        match d.contents.first() {
            Some(b'D') => {
                self.received += 1;
                self.bytes_received += d.contents.len() as u64;
                if d.contents.get(1) == Some(&b'!') {
                    // The last message: report the count back, three times for the lossy link.
                    let report = format!("R{}", self.received).into_bytes();
                    for _ in 0..3 {
                        self.send(d.source, report.clone());
                    }
                }
            }
            Some(b'R') if self.finished_at.is_none() => {
                self.finished_at = Some(now);
                self.received = std::str::from_utf8(&d.contents[1..])
                    .ok()
                    .and_then(|s| s.parse().ok())
                    .unwrap_or(0);
            }
            Some(b'P') if self.next_punch.is_some() && !self.sender => {
                // Answer a punch so the sender knows the path is open both ways.
                self.send(d.source, b"P".to_vec());
            }
            _ => {}
        }
    }

    fn handle_timeout(&mut self, now: Instant) {
        match self.binding {
            None if self.reflexive.is_none() => self.send_binding(now, Duration::from_millis(500)),
            // RFC 8489 §6.2.1: retransmit with a doubling RTO.
            Some((_, at, rto)) if now >= at => self.send_binding(now, rto * 2),
            _ => {}
        }
        if let (Some(peer), Some(at)) = (self.peer, self.next_punch)
            && now >= at
        {
            if self.peer_heard_at.is_none() || !self.sender {
                self.send(peer, b"P".to_vec());
            }
            self.next_punch = self
                .peer_heard_at
                .is_none()
                .then_some(now + Duration::from_millis(50));
        }
        if let (Some(peer), Some(at)) = (self.peer, self.next_data)
            && now >= at
        {
            let last = self.sent + 1 == MESSAGES;
            let mut m = vec![0u8; MESSAGE_BYTES];
            m[0] = b'D';
            m[1] = if last { b'!' } else { b'.' };
            m[2..10].copy_from_slice(&self.sent.to_be_bytes());
            self.send(peer, m);
            self.sent += 1;
            // 1000-byte datagrams every 0.5 ms: 16 Mbit/s offered.
            self.next_data = (!last).then_some(now + Duration::from_micros(500));
        }
    }

    fn poll_transmit(&mut self) -> Option<Transmit> {
        self.queue.pop_front()
    }

    fn poll_timeout(&self) -> Option<Instant> {
        let binding = match self.binding {
            Some((_, at, _)) => Some(at),
            // Not started yet: discover at the start time.
            None if self.reflexive.is_none() => Some(self.start),
            None => None,
        };
        [binding, self.next_punch, self.next_data]
            .into_iter()
            .flatten()
            .min()
    }
}

#[allow(
    clippy::disallowed_methods,
    reason = "the example measures wall time and takes one base"
)]
fn wall_now() -> Instant {
    Instant::now()
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let seed = sim::seed_from_env(1);
    let wall = wall_now();
    let base = wall;

    let mut net = Network::new(base, seed);
    let internet = net.internet();
    let lossy = LinkConfig::ideal()
        .latency(Duration::from_millis(20))
        .jitter(Duration::from_millis(4))
        .loss(0.02)
        .bandwidth(20_000_000, 256 * 1024);
    let alice_nat = net.add_nat(
        NatConfig::port_restricted_cone(),
        internet,
        "203.0.113.10".parse()?,
        LinkConfig::ideal().latency(Duration::from_millis(5)),
    )?;
    let bob_nat = net.add_nat(
        NatConfig::restricted_cone(),
        internet,
        "198.51.100.20".parse()?,
        LinkConfig::ideal().latency(Duration::from_millis(15)),
    )?;
    let stun_addr: SocketAddr = "192.0.2.1:3478".parse()?;
    net.add_host(
        "stun",
        [Interface::new(stun_addr.ip(), internet)],
        StunServer::new().with_software("sansrtc sim"),
    )?;
    let alice_local: SocketAddr = "10.0.0.2:50000".parse()?;
    let bob_local: SocketAddr = "192.168.1.7:61000".parse()?;
    let alice = net.add_host(
        "alice",
        [Interface::new(alice_local.ip(), net.inside(alice_nat)).link(lossy)],
        Punch::new(alice_local, stun_addr, base, net.derive_seed("alice"), true),
    )?;
    let bob = net.add_host(
        "bob",
        [Interface::new(bob_local.ip(), net.inside(bob_nat))],
        Punch::new(bob_local, stun_addr, base, net.derive_seed("bob"), false),
    )?;

    println!("sansrtc sim session (SIM_SEED={seed})");
    println!(
        "  alice {alice_local} behind port-restricted cone NAT 203.0.113.10, 2% loss, 20 ms ± 4 ms, 20 Mbit/s"
    );
    println!("  bob   {bob_local} behind restricted cone NAT 198.51.100.20");

    // 1. STUN discovery.
    let limits = Limits::time(Duration::from_secs(60));
    net.run_until(
        |n| {
            n.node::<Punch>(alice)
                .is_some_and(|p| p.reflexive.is_some())
                && n.node::<Punch>(bob).is_some_and(|p| p.reflexive.is_some())
        },
        limits,
    )?;
    let a_refl = net
        .node::<Punch>(alice)
        .and_then(|p| p.reflexive)
        .expect("discovered");
    let b_refl = net
        .node::<Punch>(bob)
        .and_then(|p| p.reflexive)
        .expect("discovered");
    println!(
        "{:>9.1} ms  STUN: alice is {a_refl}, bob is {b_refl}",
        ms(net.elapsed())
    );

    // 2. Signaling: each learns the other's reflexive address; both punch.
    let now = net.now();
    net.node_mut::<Punch>(alice)
        .expect("alice")
        .set_peer(now, b_refl);
    net.node_mut::<Punch>(bob)
        .expect("bob")
        .set_peer(now, a_refl);
    net.run_until(
        |n| {
            n.node::<Punch>(alice)
                .is_some_and(|p| p.peer_heard_at.is_some())
        },
        limits,
    )?;
    println!(
        "{:>9.1} ms  hole punched: alice hears bob",
        ms(net.elapsed())
    );

    // 3. Streaming.
    net.run_until(
        |n| {
            n.node::<Punch>(alice)
                .is_some_and(|p| p.finished_at.is_some())
        },
        limits,
    )?;
    net.run_until_idle(limits)?;
    let a = net.node::<Punch>(alice).expect("alice");
    let b = net.node::<Punch>(bob).expect("bob");
    let took = a
        .finished_at
        .zip(a.started)
        .map(|(f, s)| f - s)
        .unwrap_or_default();
    println!(
        "{:>9.1} ms  transfer done: {} of {} datagrams reached bob ({:.1}% lost), {:.2} Mbit/s goodput",
        ms(net.elapsed()),
        a.received,
        a.sent,
        100.0 * (1.0 - a.received as f64 / a.sent as f64),
        b.bytes_received as f64 * 8.0 / took.as_secs_f64() / 1e6,
    );

    let c = net.counts();
    println!(
        "network: {} sent, {} delivered, {} lost, {} queue full, {} filtered by NAT, {} no route",
        c.sent, c.delivered, c.lost, c.queue_full, c.nat_refused, c.no_route
    );
    for (name, nat) in [("alice", alice_nat), ("bob", bob_nat)] {
        let s = net.nat_stats(nat);
        println!(
            "nat {name}: {} mappings, {} out, {} in, {} refused",
            s.mappings_created, s.outbound, s.inbound, s.refused
        );
    }
    println!(
        "virtual time {:.3} s in {:.1} ms of wall time, {} steps",
        net.elapsed().as_secs_f64(),
        ms(wall_now() - wall),
        net.steps()
    );
    println!("trace-hash: {}", net.trace_hash_hex());
    Ok(())
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}
