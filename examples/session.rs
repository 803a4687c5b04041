//! The main job: a WebRTC data-channel session between two sansrtc peers behind different NATs,
//! in the simulator.
//!
//! Alice sits behind a port-restricted cone NAT on a lossy, jittery 20 Mbit/s access link; Bob
//! behind a restricted cone NAT. Both gather a server-reflexive candidate from a STUN server and
//! trickle their candidates over an in-memory signaling channel; Alice offers, Bob answers; ICE
//! punches through both NATs, DTLS and SCTP come up, Alice opens a data channel and sends Bob a
//! file, which Bob checks with SHA-256.
//!
//! Everything runs in virtual time from one seed: `SIM_SEED=7 cargo run --release --example
//! session` replays exactly, and the last line, `trace-hash: <hex>`, fingerprints every
//! datagram and its fate.

use sansrtc::sdp::SdpType;
use sansrtc::sim::{self, Interface, Limits, LinkConfig, NatConfig, Network, Node};
use sansrtc::stun::server::StunServer;
use sansrtc::{
    ChannelId, ChannelOptions, Datagram, Event, IceCandidateInit, Peer, PeerConfig,
    PeerConnectionState, Transmit,
};
use sha2::{Digest, Sha256};
use std::cell::RefCell;
use std::collections::VecDeque;
use std::net::SocketAddr;
use std::rc::Rc;
use std::time::{Duration, Instant};

/// The file Alice sends.
const FILE_BYTES: usize = 8 << 20;
const CHUNK_BYTES: usize = 16 * 1024;

/// The signaling channel: candidates with their section and ICE generation (what a browser's
/// `RTCIceCandidateInit` carries), in order, delivered instantly.
type Signal = Rc<RefCell<VecDeque<IceCandidateInit>>>;

/// An application around a `Peer`: it polls events after every call, trickles candidates,
/// sends the file (keeping about 1 MiB buffered) or receives and hashes it.
struct App {
    peer: Peer,
    name: &'static str,
    now: Instant,
    start: Instant,
    outbox: Signal,
    inbox: Signal,
    /// Sender: the channel and how much of the file is queued.
    channel: Option<ChannelId>,
    file: Vec<u8>,
    queued: usize,
    /// Receiver: bytes and hash so far.
    received: usize,
    hash: Sha256,
    done_at: Option<Instant>,
    opened_at: Option<Instant>,
    next_report: usize,
}

impl App {
    fn new(name: &'static str, peer: Peer, now: Instant, outbox: Signal, inbox: Signal) -> Self {
        Self {
            peer,
            name,
            now,
            start: now,
            outbox,
            inbox,
            channel: None,
            file: Vec::new(),
            queued: 0,
            received: 0,
            hash: Sha256::new(),
            done_at: None,
            opened_at: None,
            next_report: FILE_BYTES / 4,
        }
    }

    fn at(&self) -> f64 {
        (self.now - self.start).as_secs_f64() * 1e3
    }

    fn drain(&mut self) {
        let candidates: Vec<IceCandidateInit> = self.inbox.borrow_mut().drain(..).collect();
        for c in candidates {
            let _ = self.peer.add_ice_candidate(&c);
        }
        loop {
            self.pump();
            let Some(e) = self.peer.poll_event() else {
                break;
            };
            match e {
                Event::LocalCandidate(c) => self.outbox.borrow_mut().push_back(c),
                Event::SelectedPair { local, remote } => {
                    println!(
                        "{:>9.1} ms  {}: selected pair {local} -> {remote}",
                        self.at(),
                        self.name
                    )
                }
                Event::ConnectionStateChange(s) => {
                    println!("{:>9.1} ms  {}: connection {s:?}", self.at(), self.name)
                }
                Event::ChannelOpen(id) if Some(id) == self.channel => {
                    self.opened_at = Some(self.now);
                    println!(
                        "{:>9.1} ms  {}: channel open, sending",
                        self.at(),
                        self.name
                    );
                }
                Event::DataChannel { label, .. } => {
                    println!(
                        "{:>9.1} ms  {}: remote opened channel {label:?}",
                        self.at(),
                        self.name
                    )
                }
                Event::ChannelMessage(m) => {
                    self.received += m.data.len();
                    self.hash.update(&m.data);
                    if self.received >= self.next_report {
                        println!(
                            "{:>9.1} ms  {}: {:>3}% received",
                            self.at(),
                            self.name,
                            self.received * 100 / FILE_BYTES
                        );
                        self.next_report += FILE_BYTES / 4;
                    }
                    if self.received == FILE_BYTES && self.done_at.is_none() {
                        self.done_at = Some(self.now);
                    }
                }
                _ => {}
            }
        }
    }

    fn pump(&mut self) {
        let Some(id) = self.channel else { return };
        while self.queued < self.file.len() && self.peer.buffered_amount(id) < 1 << 20 {
            let end = (self.queued + CHUNK_BYTES).min(self.file.len());
            let chunk = self.file[self.queued..end].to_vec();
            if self.peer.send_binary(id, chunk).is_err() {
                break;
            }
            self.queued = end;
        }
    }
}

impl Node for App {
    fn handle_receive(&mut self, now: Instant, d: Datagram<'_>) {
        self.now = now;
        self.peer.handle_receive(now, d);
        self.drain();
    }
    fn handle_timeout(&mut self, now: Instant) {
        self.now = now;
        self.peer.handle_timeout(now);
        self.drain();
    }
    fn poll_transmit(&mut self, now: Instant) -> Option<Transmit> {
        if let Some(t) = self.peer.poll_transmit(now) {
            return Some(t);
        }
        self.drain();
        self.peer.poll_transmit(now)
    }
    fn poll_timeout(&self) -> Option<Instant> {
        self.peer.poll_timeout()
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
        .loss(0.01)
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

    let config = |label: &str| {
        PeerConfig::new()
            .seed(net.derive_seed(label))
            .stun_server(stun_addr)
    };
    let (to_bob, to_alice): (Signal, Signal) = (Rc::default(), Rc::default());
    let mut alice = App::new(
        "alice",
        Peer::new(config("alice"), base),
        base,
        to_bob.clone(),
        to_alice.clone(),
    );
    let mut bob = App::new(
        "bob",
        Peer::new(config("bob"), base),
        base,
        to_alice,
        to_bob,
    );
    alice.peer.add_local_address(alice_local);
    bob.peer.add_local_address(bob_local);

    // The file: deterministic bytes from the seed.
    let mut x = seed | 1;
    alice.file = (0..FILE_BYTES)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect();
    let file_hash = Sha256::digest(&alice.file);
    alice.channel = Some(
        alice
            .peer
            .create_data_channel("file", ChannelOptions::default())?,
    );

    // Offer / answer as text, the way a signaling server carries it; candidates trickle.
    let offer = alice.peer.create_offer()?;
    alice.peer.set_local_description(offer.clone())?;
    bob.peer
        .set_remote_sdp(SdpType::Offer, &offer.sdp.to_string())?;
    let answer = bob.peer.create_answer()?;
    bob.peer.set_local_description(answer.clone())?;
    alice
        .peer
        .set_remote_sdp(SdpType::Answer, &answer.sdp.to_string())?;
    println!("sansrtc sim session (SIM_SEED={seed})");
    println!(
        "  alice {alice_local} behind port-restricted cone NAT 203.0.113.10, 1% loss, 20 ms ± 4 ms, 20 Mbit/s"
    );
    println!("  bob   {bob_local} behind restricted cone NAT 198.51.100.20");
    println!(
        "  STUN server {stun_addr}; a {} MiB file over a reliable data channel",
        FILE_BYTES >> 20
    );

    let alice = net.add_host(
        "alice",
        [Interface::new(alice_local.ip(), net.inside(alice_nat)).link(lossy)],
        alice,
    )?;
    let bob = net.add_host(
        "bob",
        [Interface::new(bob_local.ip(), net.inside(bob_nat))],
        bob,
    )?;
    net.keep_trace_records(false);
    net.run_until(
        |n| n.node::<App>(bob).is_some_and(|b| b.done_at.is_some()),
        Limits::time(Duration::from_secs(600)),
    )?;

    let a = net.node::<App>(alice).expect("alice");
    let b = net.node::<App>(bob).expect("bob");
    assert_eq!(a.peer.connection_state(), PeerConnectionState::Connected);
    let intact = b.hash.clone().finalize() == file_hash;
    let took = b
        .done_at
        .zip(a.opened_at)
        .map(|(d, o)| d - o)
        .unwrap_or_default();
    println!(
        "transfer: {} bytes in {:.2} s of virtual time, {:.2} Mbit/s goodput, SHA-256 {}",
        b.received,
        took.as_secs_f64(),
        b.received as f64 * 8.0 / took.as_secs_f64() / 1e6,
        if intact { "matches" } else { "DIFFERS" }
    );
    let s = a.peer.stats();
    if let Some(sctp) = s.sctp {
        println!(
            "alice sctp: {} packets sent, {} retransmitted chunks ({} fast), cwnd {} B, srtt {:?}",
            sctp.packets_sent,
            sctp.send.retransmissions,
            sctp.send.fast_retransmits,
            sctp.cwnd,
            sctp.srtt.unwrap_or_default()
        );
    }
    if let Some((local, remote)) = s.selected_pair {
        println!("selected pair: {local} -> {remote}");
    }
    let c = net.counts();
    println!(
        "network: {} sent, {} delivered, {} lost, {} queue full, {} filtered by NAT, {} no route",
        c.sent, c.delivered, c.lost, c.queue_full, c.nat_refused, c.no_route
    );
    println!(
        "virtual time {:.3} s in {:.1} ms of wall time, {} steps",
        net.elapsed().as_secs_f64(),
        (wall_now() - wall).as_secs_f64() * 1e3,
        net.steps()
    );
    if !intact {
        return Err("the file arrived corrupted".into());
    }
    println!("trace-hash: {}", net.trace_hash_hex());
    Ok(())
}
