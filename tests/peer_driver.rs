//! The driver contract (DESIGN §3) with a real clock's gaps: commands carry no time, and what
//! they start is timed from the next call that does (`poll_transmit(now)`), never from the last
//! time the peer happened to see.
//!
//! The simulator cannot show a stale clock: its applications act only inside `handle_*`, where
//! `now` is fresh. Here a driver issues commands between events, after real time has passed
//! that the peers were not told about, as an application on a UI thread or a tokio task does.

mod common;

use common::{addr, base};
use proptest::prelude::*;
use sansrtc::channel::{ChannelId, ChannelOptions};
use sansrtc::sdp::SdpType;
use sansrtc::{Event, Peer, PeerConfig, Transmit};
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

const A: &str = "10.0.0.1:5000";
const B: &str = "10.0.0.2:5000";
const LIFETIME: Duration = Duration::from_millis(300);

/// Offer from `a`, answer from `b`, the SDP passed as text.
fn negotiate(a: &mut Peer, b: &mut Peer) {
    let offer = a.create_offer().unwrap();
    a.set_local_description(offer.clone()).unwrap();
    b.set_remote_sdp(SdpType::Offer, &offer.sdp.to_string())
        .unwrap();
    let answer = b.create_answer().unwrap();
    b.set_local_description(answer.clone()).unwrap();
    a.set_remote_description(answer).unwrap();
}

/// Two peers on a lossless path with a fixed one-way delay, driven like a real event loop:
/// datagrams arrive at their time, timers fire at their deadline, and commands come at times
/// of their own.
struct Net {
    peers: [Peer; 2],
    now: Instant,
    delay: Duration,
    /// (arrival, to, datagram), in send order (one delay for all: arrival order is send order).
    wire: Vec<(Instant, usize, Transmit)>,
    /// Channel ids by label, per side.
    channels: [BTreeMap<String, ChannelId>; 2],
    open: [Vec<ChannelId>; 2],
    /// Messages received, per side, by label.
    received: [BTreeMap<String, usize>; 2],
}

impl Net {
    fn new(seed: u64, delay: Duration) -> Self {
        let now = base();
        let mut a = Peer::new(PeerConfig::new().seed(seed), now);
        let mut b = Peer::new(PeerConfig::new().seed(seed + 1), now);
        a.add_local_address(addr(A));
        b.add_local_address(addr(B));
        let mut net = Net::with([a, b], now, delay);
        net.create(0, "reliable", ChannelOptions::default());
        net.create(
            0,
            "lifetime",
            ChannelOptions::new()
                .ordered(false)
                .max_packet_life_time(LIFETIME),
        );
        let [a, b] = &mut net.peers;
        negotiate(a, b);
        net.flush(0);
        net.flush(1);
        net
    }

    fn with(peers: [Peer; 2], now: Instant, delay: Duration) -> Self {
        Net {
            peers,
            now,
            delay,
            wire: Vec::new(),
            channels: Default::default(),
            open: Default::default(),
            received: Default::default(),
        }
    }

    fn create(&mut self, side: usize, label: &str, options: ChannelOptions) {
        let id = self.peers[side]
            .create_data_channel(label, options)
            .unwrap();
        self.channels[side].insert(label.to_owned(), id);
    }

    /// What `side` has to send, taken at the current time (the contract: after every command
    /// and every `handle_*`).
    fn flush(&mut self, side: usize) {
        while let Some(t) = self.peers[side].poll_transmit(self.now) {
            self.wire.push((self.now + self.delay, 1 - side, t));
        }
        while let Some(e) = self.peers[side].poll_event() {
            match e {
                Event::DataChannel { id, label, .. } => {
                    self.channels[side].insert(label, id);
                }
                Event::ChannelOpen(id) => self.open[side].push(id),
                Event::ChannelMessage(m) => {
                    let label = self.peers[side]
                        .channel_info(m.id)
                        .map(|(l, _)| l.to_owned())
                        .unwrap_or_default();
                    *self.received[side].entry(label).or_default() += 1;
                }
                Event::Failed(f) => panic!("side {side} failed: {f:?}"),
                _ => {}
            }
        }
    }

    /// Runs every arrival and timer up to `until`, then leaves the clock there without telling
    /// the peers (real time passing between events).
    fn run_until(&mut self, until: Instant) {
        loop {
            let arrival = self.wire.first().map(|w| w.0);
            let timers = [self.peers[0].poll_timeout(), self.peers[1].poll_timeout()];
            let next = [arrival, timers[0], timers[1]].into_iter().flatten().min();
            let Some(next) = next.filter(|&t| t <= until) else {
                self.now = until;
                return;
            };
            self.now = self.now.max(next);
            // A timer already due fires before a datagram due at the same time, as in a real
            // loop (a deadline in the past fires at once; a reply takes the path's delay).
            let mut fired = false;
            for (side, timer) in timers.into_iter().enumerate() {
                if timer.is_some_and(|t| t <= self.now) {
                    self.peers[side].handle_timeout(self.now);
                    self.flush(side);
                    fired = true;
                }
            }
            if !fired && arrival.is_some_and(|a| a <= self.now) {
                let (_, to, t) = self.wire.remove(0);
                self.peers[to].handle_receive(self.now, t.as_datagram());
                self.flush(to);
            }
        }
    }

    fn run_for(&mut self, d: Duration) {
        self.run_until(self.now + d);
    }

    fn id(&self, side: usize, label: &str) -> Option<ChannelId> {
        self.channels[side].get(label).copied()
    }

    fn is_open(&self, side: usize, label: &str) -> bool {
        self.id(side, label)
            .is_some_and(|id| self.open[side].contains(&id))
    }

    fn connect(&mut self) {
        for _ in 0..200 {
            if ["reliable", "lifetime"]
                .iter()
                .all(|l| self.is_open(0, l) && self.is_open(1, l))
            {
                // Quiet: the handshake's last acknowledgements delivered.
                self.run_for(Duration::from_millis(500));
                return;
            }
            self.run_for(Duration::from_millis(50));
        }
        panic!("no connection");
    }

    fn send(&mut self, side: usize, label: &str, len: usize) -> bool {
        let Some(id) = self.id(side, label) else {
            return false;
        };
        let ok = self.peers[side]
            .send_binary(id, vec![side as u8; len])
            .is_ok();
        self.flush(side);
        ok
    }

    /// Nothing was retransmitted and nothing abandoned, on either side, at any layer.
    fn assert_no_spurious_timers(&self) {
        for (side, p) in self.peers.iter().enumerate() {
            let s = p.stats();
            let sctp = s.sctp.expect("association");
            assert_eq!(sctp.send.t3_expirations, 0, "side {side}: T3-rtx fired");
            assert_eq!(sctp.send.retransmissions, 0, "side {side}: {sctp:?}");
            assert_eq!(sctp.send.abandoned_messages, 0, "side {side}: {sctp:?}");
            let dtls = s.dtls.expect("dtls");
            assert_eq!(dtls.flights_retransmitted, 0, "side {side}: {dtls:?}");
            assert_eq!(s.ice.retransmissions, 0, "side {side}: {:?}", s.ice);
        }
    }
}

/// The finding: an idle established peer, a message sent some time after its last event. The
/// retransmission timer was armed from the peer's last time (it fired before the packet could
/// have been answered: t3_expirations 0 → 1, cwnd 4380 → 1200, the RTT sample thrown away by
/// Karn's rule); on a lifetime channel the message was abandoned before it was sent.
#[test]
fn a_send_after_an_idle_gap_is_timed_from_the_send() {
    for (gap_ms, delay_ms) in [(495, 10), (650, 30), (2_000, 1), (4_300, 1), (4_300, 40)] {
        let mut net = Net::new(7, Duration::from_millis(delay_ms));
        net.connect();
        let cwnd = net.peers[0].stats().sctp.unwrap().cwnd;
        // Real time passes; no timer is due in it (consent checks run every few seconds, and
        // any that fall in the gap are fired by `run_until`).
        net.run_for(Duration::from_millis(gap_ms));
        assert!(net.send(0, "reliable", 1000));

        assert!(net.send(0, "lifetime", 1000));
        net.run_for(Duration::from_secs(2));
        let s = net.peers[0].stats().sctp.unwrap();
        assert_eq!(
            s.send.t3_expirations, 0,
            "gap {gap_ms} ms, delay {delay_ms} ms: T3 fired"
        );
        assert!(s.cwnd >= cwnd, "gap {gap_ms} ms: cwnd {cwnd} → {}", s.cwnd);
        assert_eq!(net.received[1].get("reliable"), Some(&1), "gap {gap_ms} ms");
        assert_eq!(
            net.received[1].get("lifetime"),
            Some(&1),
            "gap {gap_ms} ms: the lifetime started before the send"
        );
        net.assert_no_spurious_timers();
    }
}

/// The description applied long after the peer was made (signaling takes seconds): the DTLS
/// client's first flight and the STUN requests of commands are timed from when they could
/// leave, so a lossless path sees no retransmission of either.
#[test]
fn late_signaling_starts_no_timer_early() {
    let now = base();
    let mut a = Peer::new(PeerConfig::new().seed(3), now);
    let mut b = Peer::new(PeerConfig::new().seed(4), now);
    // Seconds pass before anything is signalled.
    let later = now + Duration::from_secs(3);
    a.add_local_address(addr(A));
    b.add_local_address(addr(B));
    let c = a
        .create_data_channel("reliable", Default::default())
        .unwrap();
    negotiate(&mut a, &mut b);
    let mut net = Net::with([a, b], later, Duration::from_millis(20));
    net.channels[0].insert("reliable".into(), c);
    net.flush(0);
    net.flush(1);
    for _ in 0..100 {
        if net.is_open(0, "reliable") && net.is_open(1, "reliable") {
            break;
        }
        net.run_for(Duration::from_millis(50));
    }
    assert!(net.is_open(1, "reliable"));
    net.run_for(Duration::from_secs(1));
    for p in &net.peers {
        let s = p.stats();
        assert_eq!(s.dtls.unwrap().flights_retransmitted, 0, "{:?}", s.dtls);
        assert_eq!(s.ice.retransmissions, 0, "{:?}", s.ice);
    }
}

#[derive(Debug, Clone)]
enum Command {
    Send {
        side: usize,
        lifetime: bool,
        len: usize,
    },
    Open {
        side: usize,
    },
    CloseNewest {
        side: usize,
    },
}

fn command() -> impl Strategy<Value = Command> {
    prop_oneof![
        6 => (0..2usize, any::<bool>(), 1..3000usize)
            .prop_map(|(side, lifetime, len)| Command::Send { side, lifetime, len }),
        1 => (0..2usize).prop_map(|side| Command::Open { side }),
        1 => (0..2usize).prop_map(|side| Command::CloseNewest { side }),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    /// Commands at arbitrary real-time gaps (0 to 6 s, across consent checks and heartbeats)
    /// on a lossless path: no retransmission timer fires at any layer, nothing is abandoned,
    /// and every message arrives, the lifetime channel's included.
    #[test]
    fn commands_at_real_time_gaps(
        seed in 0u64..1000,
        delay_ms in 1u64..60,
        script in proptest::collection::vec((0u64..6_000, command()), 1..24),
    ) {
        let mut net = Net::new(seed * 2 + 10, Duration::from_millis(delay_ms));
        net.connect();
        let mut sent: [BTreeMap<String, usize>; 2] = Default::default();
        let mut extra = 0;
        for (gap, cmd) in script {
            net.run_for(Duration::from_millis(gap));
            match cmd {
                Command::Send { side, lifetime, len } => {
                    let label = if lifetime { "lifetime" } else { "reliable" };
                    if net.is_open(side, label) && net.send(side, label, len) {
                        *sent[side].entry(label.to_owned()).or_default() += 1;
                    }
                }
                Command::Open { side } => {
                    extra += 1;
                    net.create(side, &format!("extra{extra}"), ChannelOptions::default());
                    net.flush(side);
                }
                Command::CloseNewest { side } => {
                    let newest = net.channels[side]
                        .iter()
                        .filter(|(l, _)| l.starts_with("extra"))
                        .map(|(_, id)| *id)
                        .next_back();
                    if let Some(id) = newest {
                        let _ = net.peers[side].close_channel(id);
                        net.flush(side);
                    }
                }
            }
        }
        net.run_for(Duration::from_secs(3));
        net.assert_no_spurious_timers();
        for (side, sent) in sent.iter().enumerate() {
            for (label, n) in sent {
                prop_assert_eq!(
                    net.received[1 - side].get(label).copied().unwrap_or(0),
                    *n,
                    "side {} → {}: {}", side, 1 - side, label
                );
            }
        }
    }
}
