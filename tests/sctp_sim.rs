//! SCTP associations over `sim` links (directly over UDP, without DTLS, which is proven
//! separately): bulk transfers under loss, goodput on a bandwidth-limited link, many streams at
//! once, and I-DATA keeping small messages from waiting behind a large one.

mod common;

use common::{addr, base, seed};
use sansrtc::net::{Datagram, Protocol, Transmit};
use sansrtc::rng::{RngRoot, Stream};
use sansrtc::sctp::{Association, SctpConfig, SctpEvent, SendOptions};
use sansrtc::sim::{HostId, Interface, Limits, LinkConfig, Network, Node};
use sha2::{Digest, Sha256};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

/// What a node's application does.
#[derive(Default)]
struct App {
    /// Bytes still to hand to the association, as messages of `msg_size` on `streams`.
    to_send: u64,
    msg_size: usize,
    streams: u16,
    next_stream: u16,
    /// Keep this many bytes queued (the application's send buffer).
    buffer: usize,
    sent_hash: Sha256,
    sent_bytes: u64,
    seq: u64,
    first_send: Option<Instant>,
    // Receive side.
    received_bytes: u64,
    received_hash: Sha256,
    /// Per stream, the sequence numbers seen (from the first 8 bytes of each message).
    last_seq: Vec<Option<u64>>,
    in_order: bool,
    arrivals: Vec<(Instant, u16, usize)>,
    done_at: Option<Instant>,
    expect_bytes: u64,
}

struct SctpNode {
    assoc: Association,
    local: SocketAddr,
    remote: SocketAddr,
    app: App,
    ordered: bool,
}

fn message(seq: u64, len: usize) -> Vec<u8> {
    let mut m = vec![0u8; len];
    let head = seq.to_be_bytes();
    let n = len.min(8);
    m[..n].copy_from_slice(&head[..n]);
    for (i, b) in m.iter_mut().enumerate().skip(8) {
        *b = (i as u64 ^ seq.wrapping_mul(0x9E37_79B9)) as u8;
    }
    m
}

impl SctpNode {
    fn new(assoc: Association, local: &str, remote: &str) -> Self {
        SctpNode {
            assoc,
            local: addr(local),
            remote: addr(remote),
            app: App {
                in_order: true,
                ..App::default()
            },
            ordered: true,
        }
    }

    fn refill(&mut self, now: Instant) {
        let a = &mut self.app;
        while a.to_send > 0 && self.assoc.stats().queued_bytes < a.buffer {
            let len = (a.msg_size as u64).min(a.to_send) as usize;
            let m = message(a.seq, len);
            a.sent_hash.update(&m);
            let opts = SendOptions {
                unordered: !self.ordered,
                ..SendOptions::default()
            };
            if self.assoc.send(a.next_stream, 53, m.into(), opts).is_err() {
                break;
            }
            a.first_send.get_or_insert(now);
            a.seq += 1;
            a.sent_bytes += len as u64;
            a.to_send -= len as u64;
            a.next_stream = (a.next_stream + 1) % a.streams.max(1);
        }
    }

    fn drain(&mut self, now: Instant) {
        while let Some(e) = self.assoc.poll_event() {
            if let SctpEvent::Message(m) = e {
                let a = &mut self.app;
                a.received_bytes += m.data.len() as u64;
                a.received_hash.update(&m.data);
                a.arrivals.push((now, m.stream, m.data.len()));
                if m.data.len() >= 8 {
                    let seq = u64::from_be_bytes(m.data[..8].try_into().unwrap());
                    let s = usize::from(m.stream);
                    if a.last_seq.len() <= s {
                        a.last_seq.resize(s + 1, None);
                    }
                    if a.last_seq[s].is_some_and(|l| l >= seq) {
                        a.in_order = false;
                    }
                    a.last_seq[s] = Some(seq);
                }
                if a.expect_bytes > 0 && a.received_bytes >= a.expect_bytes {
                    a.done_at.get_or_insert(now);
                }
            }
        }
        self.refill(now);
    }
}

impl Node for SctpNode {
    fn handle_receive(&mut self, now: Instant, d: Datagram<'_>) {
        self.assoc.handle_packet(now, d.contents);
        self.drain(now);
    }
    fn handle_timeout(&mut self, now: Instant) {
        self.assoc.handle_timeout(now);
        self.drain(now);
    }
    fn poll_transmit(&mut self, now: Instant) -> Option<Transmit> {
        self.assoc.poll_transmit(now).map(|p| Transmit {
            source: self.local,
            destination: self.remote,
            protocol: Protocol::Udp,
            contents: p.into(),
        })
    }
    fn poll_timeout(&self) -> Option<Instant> {
        self.assoc.poll_timeout()
    }
}

const A: &str = "10.0.0.1:5000";
const B: &str = "10.0.0.2:5000";

fn pair(seed: u64, link: LinkConfig, cfg: SctpConfig) -> (Network, HostId, HostId) {
    let mut net = Network::new(base(), seed);
    let lan = net.add_segment();
    let root = RngRoot::from_seed(seed);
    let now = net.now();
    let mk =
        |label: &str| Association::new(cfg.clone(), root.child(label, 0).stream(Stream::Sctp), now);
    let mut na = SctpNode::new(mk("a"), A, B);
    let nb = SctpNode::new(mk("b"), B, A);
    na.assoc.connect(now);
    let a = net
        .add_host(
            "a",
            [Interface::new(addr(A).ip(), lan).link(link.clone())],
            na,
        )
        .unwrap();
    let b = net
        .add_host("b", [Interface::new(addr(B).ip(), lan).link(link)], nb)
        .unwrap();
    net.run_until(
        |n| {
            n.node::<SctpNode>(a).unwrap().assoc.is_established()
                && n.node::<SctpNode>(b).unwrap().assoc.is_established()
        },
        Limits::time(Duration::from_secs(30)),
    )
    .expect("associated");
    (net, a, b)
}

fn start(net: &mut Network, h: HostId, bytes: u64, msg_size: usize, streams: u16, buffer: usize) {
    let now = net.now();
    let n = net.node_mut::<SctpNode>(h).unwrap();
    n.app.to_send = bytes;
    n.app.msg_size = msg_size;
    n.app.streams = streams;
    n.app.buffer = buffer;
    n.refill(now);
}

fn expect(net: &mut Network, h: HostId, bytes: u64) {
    net.node_mut::<SctpNode>(h).unwrap().app.expect_bytes = bytes;
}

/// Runs until `b` has received `bytes`; returns (virtual seconds from the first send, goodput
/// in bytes per virtual second).
fn transfer(net: &mut Network, a: HostId, b: HostId, bytes: u64, limit: Duration) -> (f64, f64) {
    net.run_until(
        |n| n.node::<SctpNode>(b).unwrap().app.done_at.is_some(),
        Limits {
            max_time: limit,
            max_steps: u64::MAX,
        },
    )
    .unwrap_or_else(|e| {
        let na = net.node::<SctpNode>(a).unwrap();
        let nb = net.node::<SctpNode>(b).unwrap();
        panic!(
            "{e:?}: received {} of {bytes}; a {:?}; b {:?}",
            nb.app.received_bytes,
            na.assoc.stats(),
            nb.assoc.stats()
        )
    });
    let na = net.node::<SctpNode>(a).unwrap();
    let nb = net.node::<SctpNode>(b).unwrap();
    assert_eq!(nb.app.received_bytes, bytes);
    assert_eq!(
        na.app.sent_hash.clone().finalize(),
        nb.app.received_hash.clone().finalize(),
        "every byte intact and in order"
    );
    assert!(nb.app.in_order);
    let secs = (nb.app.done_at.unwrap() - na.app.first_send.unwrap()).as_secs_f64();
    (secs, bytes as f64 / secs)
}

#[test]
fn sixty_four_mib_over_0_1_and_5_percent_loss_at_100_ms_rtt() {
    const BYTES: u64 = 64 << 20;
    for (i, loss) in [0.0, 0.01, 0.05].into_iter().enumerate() {
        let s = seed(100 + i as u64);
        let link = LinkConfig::ideal()
            .latency(Duration::from_millis(25))
            .loss(loss);
        let (mut net, a, b) = pair(s, link, SctpConfig::default());
        start(&mut net, a, BYTES, 16 * 1024, 1, 1 << 20);
        expect(&mut net, b, BYTES);
        let (secs, rate) = transfer(&mut net, a, b, BYTES, Duration::from_secs(20_000));
        let st = net.node::<SctpNode>(a).unwrap().assoc.stats();
        println!(
            "64 MiB, loss {loss}: {secs:.1} s virtual, {:.2} MB/s, retransmissions {}, fast {}, t3 {} (seed {s})",
            rate / 1e6,
            st.send.retransmissions,
            st.send.fast_retransmits,
            st.send.t3_expirations
        );
        if loss == 0.0 {
            assert_eq!(st.send.retransmissions, 0);
        }
    }
}

#[test]
fn goodput_is_at_least_80_percent_of_a_10_mbit_link() {
    const BYTES: u64 = 16 << 20;
    let s = seed(110);
    // 10 Mbit/s, 50 ms one way (25 ms on each host's link: 100 ms RTT), the simulator's
    // default 64 KiB tail-drop queue.
    let link = LinkConfig::ideal()
        .latency(Duration::from_millis(25))
        .bandwidth(10_000_000, 64 * 1024);
    let (mut net, a, b) = pair(s, link, SctpConfig::default());
    start(&mut net, a, BYTES, 16 * 1024, 1, 1 << 20);
    expect(&mut net, b, BYTES);
    let (secs, rate) = transfer(&mut net, a, b, BYTES, Duration::from_secs(600));
    let share = rate * 8.0 / 10e6;
    let st = net.node::<SctpNode>(a).unwrap().assoc.stats();
    println!(
        "16 MiB over 10 Mbit/s, 100 ms RTT: {secs:.1} s, goodput {:.2} Mbit/s = {:.0}% of the link; fast rtx {}, t3 {} (seed {s})",
        rate * 8.0 / 1e6,
        share * 100.0,
        st.send.fast_retransmits,
        st.send.t3_expirations
    );
    assert!(share >= 0.8, "goodput {:.0}% of the link", share * 100.0);
}

#[test]
fn fifty_streams_interleaved_under_loss() {
    const BYTES: u64 = 8 << 20;
    let s = seed(120);
    let link = LinkConfig::ideal()
        .latency(Duration::from_millis(10))
        .jitter(Duration::from_millis(5))
        .loss(0.01)
        .reorder(0.05, Duration::from_millis(10));
    for i_data in [true, false] {
        let cfg = SctpConfig {
            i_data,
            ..SctpConfig::default()
        };
        let (mut net, a, b) = pair(s, link.clone(), cfg);
        start(&mut net, a, BYTES, 3000, 50, 256 * 1024);
        expect(&mut net, b, BYTES);
        net.run_until(
            |n| n.node::<SctpNode>(b).unwrap().app.done_at.is_some(),
            Limits::time(Duration::from_secs(600)),
        )
        .unwrap();
        let nb = net.node::<SctpNode>(b).unwrap();
        assert_eq!(nb.app.received_bytes, BYTES);
        assert!(nb.app.in_order, "each stream in order");
        let streams: std::collections::BTreeSet<u16> =
            nb.app.arrivals.iter().map(|x| x.1).collect();
        assert_eq!(streams.len(), 50);
        // Interleaved: within any 100 consecutive arrivals, many streams appear.
        let window: std::collections::BTreeSet<u16> =
            nb.app.arrivals[..100].iter().map(|x| x.1).collect();
        assert!(window.len() >= 40, "{}", window.len());
    }
}

#[test]
fn a_large_message_does_not_delay_small_ones_with_i_data() {
    let s = seed(130);
    let link = LinkConfig::ideal()
        .latency(Duration::from_millis(20))
        .bandwidth(10_000_000, 64 * 1024);
    let mut worst = [Duration::ZERO; 2];
    for (k, i_data) in [true, false].into_iter().enumerate() {
        let cfg = SctpConfig {
            i_data,
            max_send_message_bytes: 1 << 20,
            max_receive_message_bytes: 1 << 20,
            ..SctpConfig::default()
        };
        let (mut net, a, b) = pair(s, link.clone(), cfg);
        let t0 = net.now();
        let big = message(0, 1 << 20);
        net.node_mut::<SctpNode>(a)
            .unwrap()
            .assoc
            .send(1, 53, big.into(), SendOptions::default())
            .unwrap();
        // A small message every 50 ms while the big one is in flight.
        let mut sent_at = Vec::new();
        for i in 0..15u64 {
            let at = t0 + Duration::from_millis(50 * i);
            net.run_until(|n| n.now() >= at, Limits::time(Duration::from_secs(5)))
                .ok();
            let now = net.now();
            net.node_mut::<SctpNode>(a)
                .unwrap()
                .assoc
                .send(2, 51, message(i + 1, 100).into(), SendOptions::default())
                .unwrap();
            sent_at.push(now);
        }
        net.run_until(
            |n| n.node::<SctpNode>(b).unwrap().app.arrivals.len() == 16,
            Limits::time(Duration::from_secs(30)),
        )
        .unwrap();
        let nb = net.node::<SctpNode>(b).unwrap();
        let small: Vec<Instant> = nb
            .app
            .arrivals
            .iter()
            .filter(|x| x.1 == 2)
            .map(|x| x.0)
            .collect();
        let big_at = nb.app.arrivals.iter().find(|x| x.1 == 1).unwrap().0;
        worst[k] = small
            .iter()
            .zip(&sent_at)
            .map(|(r, s)| *r - *s)
            .max()
            .unwrap();
        println!(
            "i_data={i_data}: 1 MiB arrived after {:?}; worst small-message latency {:?}",
            big_at - t0,
            worst[k]
        );
    }
    // I-DATA: small messages interleave (one-way 20 ms plus queueing behind at most a window).
    assert!(worst[0] < Duration::from_millis(200), "{:?}", worst[0]);
    // DATA: they wait for the big message's last fragment.
    assert!(worst[1] > Duration::from_millis(500), "{:?}", worst[1]);
}
