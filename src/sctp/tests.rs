//! Association tests: two associations joined by an in-memory path with seeded loss,
//! duplication, reordering and delay. Scenario tests over `sim` links live in `tests/sctp_*.rs`.

use super::chunk::{self, Chunk, ForwardTsn, ReconfigParam, Sack, Skipped, StreamList, typ};
use super::*;
use crate::rng::{Rng, RngRoot, Stream};
use bytes::Bytes;
use proptest::prelude::*;
use std::collections::VecDeque;
use std::time::{Duration, Instant};

/// One direction of the path.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct PathCfg {
    pub(super) loss: f64,
    pub(super) dup: f64,
    pub(super) reorder: f64,
    pub(super) delay: Duration,
}

pub(super) struct Pair {
    pub(super) a: Association,
    pub(super) b: Association,
    pub(super) now: Instant,
    pub(super) cfg: [PathCfg; 2],
    queues: [VecDeque<(Instant, Vec<u8>)>; 2],
    rng: Rng,
    pub(super) a_events: Vec<SctpEvent>,
    pub(super) b_events: Vec<SctpEvent>,
    /// Every packet either side sent, in order (for determinism checks).
    pub(super) wire: Vec<Vec<u8>>,
    /// Drop the n-th packet sent from a (0-based), once.
    pub(super) drop_a: Vec<usize>,
    sent_a: usize,
    pub(super) keep_wire: bool,
    /// When non-zero, packets are taken with `poll_transmit_append` after this many bytes
    /// already in the buffer (as the Peer does after a DTLS record header), then cut out.
    pub(super) prefix: usize,
}

impl Pair {
    pub(super) fn new(seed: u64, ca: SctpConfig, cb: SctpConfig) -> Pair {
        let now = crate::test_util::base();
        let root = RngRoot::from_seed(seed);
        let a = Association::new(ca, root.child("a", 0).stream(Stream::Sctp), now);
        let b = Association::new(cb, root.child("b", 0).stream(Stream::Sctp), now);
        Pair {
            a,
            b,
            now,
            cfg: [PathCfg {
                delay: Duration::from_millis(10),
                ..PathCfg::default()
            }; 2],
            queues: Default::default(),
            rng: root.stream(Stream::Sim),
            a_events: Vec::new(),
            b_events: Vec::new(),
            wire: Vec::new(),
            drop_a: Vec::new(),
            sent_a: 0,
            keep_wire: false,
            prefix: 0,
        }
    }

    pub(super) fn default_pair(seed: u64) -> Pair {
        Pair::new(seed, SctpConfig::default(), SctpConfig::default())
    }

    pub(super) fn connect(&mut self) {
        self.a.connect(self.now);
        self.run_until(Duration::from_secs(10), |p| {
            p.a.is_established() && p.b.is_established()
        });
        assert!(self.a.is_established() && self.b.is_established());
    }

    fn pump(&mut self) {
        let mut buf = bytes::BytesMut::new();
        for dir in 0..2 {
            loop {
                let assoc = if dir == 0 { &mut self.a } else { &mut self.b };
                if self.prefix > 0 {
                    buf.clear();
                    buf.resize(self.prefix, 0xEE);
                    if !assoc.poll_transmit_append(self.now, &mut buf) {
                        assert_eq!(&buf[..], &vec![0xEE; self.prefix][..], "buffer touched");
                        break;
                    }
                    assert!(buf[..self.prefix].iter().all(|&b| b == 0xEE));
                    let _ = buf.split_to(self.prefix);
                } else if !assoc.poll_transmit_into(self.now, &mut buf) {
                    break;
                }
                if self.keep_wire {
                    self.wire.push(buf.to_vec());
                }
                if dir == 0 {
                    let n = self.sent_a;
                    self.sent_a += 1;
                    if let Some(i) = self.drop_a.iter().position(|&d| d == n) {
                        self.drop_a.remove(i);
                        continue;
                    }
                }
                let c = self.cfg[dir];
                if self.rng.chance(c.loss) {
                    continue;
                }
                let mut at = self.now + c.delay;
                if self.rng.chance(c.reorder) {
                    at += c.delay.max(Duration::from_millis(1)) * 2;
                }
                if self.rng.chance(c.dup) {
                    self.queues[dir].push_back((at + Duration::from_millis(1), buf.to_vec()));
                }
                self.queues[dir].push_back((at, buf.to_vec()));
            }
        }
        while let Some(e) = self.a.poll_event() {
            self.a_events.push(e);
        }
        while let Some(e) = self.b.poll_event() {
            self.b_events.push(e);
        }
    }

    fn next_time(&self) -> Option<Instant> {
        let q = self
            .queues
            .iter()
            .flat_map(|q| q.iter().map(|(t, _)| *t))
            .min();
        [q, self.a.poll_timeout(), self.b.poll_timeout()]
            .into_iter()
            .flatten()
            .min()
    }

    /// One step: deliver what is due, fire timers, send. False when nothing is left to happen.
    pub(super) fn step(&mut self) -> bool {
        self.pump();
        let Some(t) = self.next_time() else {
            return false;
        };
        self.now = self.now.max(t);
        for dir in 0..2 {
            let mut due = Vec::new();
            let mut i = 0;
            while i < self.queues[dir].len() {
                if self.queues[dir][i].0 <= self.now {
                    due.push(
                        self.queues[dir]
                            .remove(i)
                            .expect("invariant: index valid")
                            .1,
                    );
                } else {
                    i += 1;
                }
            }
            for p in due {
                if dir == 0 {
                    self.b.handle_packet(self.now, &p);
                } else {
                    self.a.handle_packet(self.now, &p);
                }
            }
        }
        self.a.handle_timeout(self.now);
        self.b.handle_timeout(self.now);
        self.pump();
        true
    }

    pub(super) fn run_until(&mut self, limit: Duration, mut done: impl FnMut(&mut Pair) -> bool) {
        let end = self.now + limit;
        while !done(self) && self.now < end {
            if !self.step() {
                break;
            }
        }
    }

    pub(super) fn b_messages(&self) -> Vec<&SctpMessage> {
        self.b_events
            .iter()
            .filter_map(|e| match e {
                SctpEvent::Message(m) => Some(m),
                _ => None,
            })
            .collect()
    }
}

fn payload(i: usize, len: usize) -> Bytes {
    (0..len)
        .map(|k| (i.wrapping_mul(31) ^ k.wrapping_mul(7)) as u8)
        .collect::<Vec<u8>>()
        .into()
}

#[test]
fn handshake_one_sided_and_simultaneous() {
    let mut p = Pair::default_pair(1);
    p.connect();
    assert!(p.a_events.contains(&SctpEvent::Connected));
    assert!(p.b_events.contains(&SctpEvent::Connected));
    assert!(p.a.uses_i_data() && p.b.uses_i_data());
    assert_eq!(p.a.stream_counts(), (65535, 65535));

    // §5.2.1: both sides send INIT at once (what browsers do): one association results.
    let mut p = Pair::default_pair(2);
    p.a.connect(p.now);
    p.b.connect(p.now);
    p.run_until(Duration::from_secs(5), |p| {
        p.a.is_established() && p.b.is_established()
    });
    assert!(p.a.is_established() && p.b.is_established());
    p.a.send(1, 51, Bytes::from_static(b"hi"), SendOptions::default())
        .unwrap();
    p.run_until(Duration::from_secs(1), |p| !p.b_messages().is_empty());
    assert_eq!(p.b_messages()[0].data, Bytes::from_static(b"hi"));
    assert_eq!(
        p.a_events
            .iter()
            .filter(|e| **e == SctpEvent::Connected)
            .count(),
        1
    );
}

#[test]
fn messages_queued_before_connect_are_sent_after() {
    let mut p = Pair::default_pair(3);
    for i in 0..5 {
        p.a.send(0, 53, payload(i, 100), SendOptions::default())
            .unwrap();
    }
    p.connect();
    p.run_until(Duration::from_secs(1), |p| p.b_messages().len() == 5);
    let got: Vec<_> = p.b_messages().iter().map(|m| m.data.clone()).collect();
    assert_eq!(got, (0..5).map(|i| payload(i, 100)).collect::<Vec<_>>());
}

fn transfer(
    seed: u64,
    path: PathCfg,
    i_data: bool,
    sizes: &[usize],
    opts: SendOptions,
) -> (Pair, Vec<SctpMessage>) {
    let cfg = SctpConfig {
        i_data,
        max_send_message_bytes: 1 << 20,
        max_receive_message_bytes: 1 << 20,
        ..SctpConfig::default()
    };
    let mut p = Pair::new(seed, cfg.clone(), cfg);
    p.connect();
    p.cfg = [path; 2];
    for (i, &n) in sizes.iter().enumerate() {
        p.a.send((i % 3) as u16, 53, payload(i, n), opts).unwrap();
    }
    let want = sizes.len();
    // An hour of virtual time: at 30% loss each way the RTO can sit at RTO.Max (60 s) for a
    // while (see `heavy_loss_with_rto_at_its_maximum_still_delivers_everything`).
    p.run_until(Duration::from_secs(3600), |p| {
        p.b_messages().len() >= want
            && p.a.stats().flight_bytes == 0
            && p.a.stats().queued_bytes == 0
    });
    // Let the association drain completely.
    p.run_until(Duration::from_secs(60), |p| {
        p.a.stats().flight_bytes == 0
            && p.a.stats().queued_bytes == 0
            && p.a
                .poll_timeout()
                .is_some_and(|t| t > p.now + Duration::from_secs(5))
    });
    let msgs = p.b_messages().into_iter().cloned().collect();
    (p, msgs)
}

fn check_reliable_ordered(sizes: &[usize], msgs: &[SctpMessage]) {
    assert_eq!(msgs.len(), sizes.len(), "every message exactly once");
    for s in 0..3u16 {
        let sent: Vec<Bytes> = sizes
            .iter()
            .enumerate()
            .filter(|(i, _)| (*i % 3) as u16 == s)
            .map(|(i, &n)| payload(i, n))
            .collect();
        let got: Vec<Bytes> = msgs
            .iter()
            .filter(|m| m.stream == s)
            .map(|m| m.data.clone())
            .collect();
        assert_eq!(got, sent, "stream {s} in order and intact");
    }
}

#[test]
fn fragmented_messages_with_and_without_i_data() {
    let sizes = [1, 1000, 1200, 5000, 100_000, 3, 65536, 77];
    for i_data in [false, true] {
        let (p, msgs) = transfer(
            4,
            PathCfg::default(),
            i_data,
            &sizes,
            SendOptions::default(),
        );
        check_reliable_ordered(&sizes, &msgs);
        assert_eq!(p.a.uses_i_data(), i_data);
        assert_eq!(p.a.stats().send.retransmissions, 0, "{:?}", p.a.stats());
    }
}

#[test]
fn reliable_delivery_under_loss_duplication_and_reordering() {
    let path = PathCfg {
        loss: 0.1,
        dup: 0.05,
        reorder: 0.1,
        delay: Duration::from_millis(20),
    };
    let sizes: Vec<usize> = (0..200).map(|i| [10, 700, 3000, 20_000][i % 4]).collect();
    for i_data in [false, true] {
        let (p, msgs) = transfer(5, path, i_data, &sizes, SendOptions::default());
        check_reliable_ordered(&sizes, &msgs);
        let s = p.a.stats();
        assert!(s.send.retransmissions > 0);
        assert!(s.send.fast_retransmits > 0, "{s:?}");
        assert!(p.b.stats().dropped.duplicates > 0);
    }
}

#[test]
fn unordered_messages_arrive_intact_once() {
    let path = PathCfg {
        loss: 0.05,
        reorder: 0.3,
        delay: Duration::from_millis(15),
        ..PathCfg::default()
    };
    let sizes: Vec<usize> = (0..100).map(|i| [50, 2500, 9000][i % 3]).collect();
    let opts = SendOptions {
        unordered: true,
        ..SendOptions::default()
    };
    for i_data in [false, true] {
        let (_, mut msgs) = transfer(6, path, i_data, &sizes, opts);
        assert!(msgs.iter().all(|m| m.unordered));
        msgs.sort_by_key(|m| m.data.clone());
        let mut want: Vec<Bytes> = sizes
            .iter()
            .enumerate()
            .map(|(i, &n)| payload(i, n))
            .collect();
        want.sort();
        assert_eq!(
            msgs.iter().map(|m| m.data.clone()).collect::<Vec<_>>(),
            want
        );
    }
}

#[test]
fn partial_reliability_never_surfaces_partial_messages() {
    let path = PathCfg {
        loss: 0.2,
        delay: Duration::from_millis(20),
        ..PathCfg::default()
    };
    let sizes: Vec<usize> = (0..150).map(|i| [100, 4000][i % 2]).collect();
    for (i_data, opts) in [
        (
            false,
            SendOptions {
                max_retransmits: Some(0),
                ..SendOptions::default()
            },
        ),
        (
            true,
            SendOptions {
                max_retransmits: Some(1),
                ..SendOptions::default()
            },
        ),
        (
            true,
            SendOptions {
                unordered: true,
                max_retransmits: Some(0),
                ..SendOptions::default()
            },
        ),
        (
            false,
            SendOptions {
                lifetime: Some(Duration::from_secs(3)),
                ..SendOptions::default()
            },
        ),
    ] {
        let cfg = SctpConfig {
            i_data,
            ..SctpConfig::default()
        };
        let mut p = Pair::new(7, cfg.clone(), cfg);
        p.connect();
        p.cfg = [path; 2];
        for (i, &n) in sizes.iter().enumerate() {
            p.a.send((i % 3) as u16, 53, payload(i, n), opts).unwrap();
        }
        p.run_until(Duration::from_secs(300), |p| {
            p.a.stats().flight_bytes == 0
                && p.a.stats().queued_bytes == 0
                && !p.a.stats().send.abandoned_messages == 0
        });
        p.run_until(Duration::from_secs(30), |_| false);
        let s = p.a.stats();
        assert_eq!(s.flight_bytes + s.queued_bytes, 0, "drained: {s:?}");
        assert!(s.send.abandoned_messages > 0, "{opts:?}: {s:?}");
        let msgs = p.b_messages();
        assert!(msgs.len() < sizes.len());
        // By count, the loss rate decides how many get through; by lifetime, also the queue
        // (messages expire unsent behind the first ones).
        let min = if opts.lifetime.is_some() {
            5
        } else {
            sizes.len() / 3
        };
        assert!(
            msgs.len() > min,
            "{opts:?} {i_data}: {} of {}: {:?}",
            msgs.len(),
            sizes.len(),
            p.a.stats()
        );
        // Each delivered message is one that was sent, whole, at most once.
        let mut seen = std::collections::BTreeSet::new();
        for m in &msgs {
            let i = (0..sizes.len())
                .find(|&i| payload(i, sizes[i]) == m.data && (i % 3) as u16 == m.stream)
                .expect("a delivered message is one that was sent, intact");
            assert!(seen.insert(i), "message {i} delivered twice");
        }
        if !opts.unordered {
            // Ordered streams still deliver in send order.
            for s in 0..3u16 {
                let idx: Vec<usize> = msgs
                    .iter()
                    .filter(|m| m.stream == s)
                    .map(|m| {
                        (0..sizes.len())
                            .find(|&i| payload(i, sizes[i]) == m.data)
                            .unwrap()
                    })
                    .collect();
                assert!(idx.windows(2).all(|w| w[0] < w[1]), "stream {s}: {idx:?}");
            }
        }
        // Data sent afterwards on a reliable message still gets through.
        p.cfg = [PathCfg::default(); 2];
        p.a.send(0, 51, Bytes::from_static(b"after"), SendOptions::default())
            .unwrap();
        p.run_until(Duration::from_secs(5), |p| {
            p.b_messages()
                .last()
                .is_some_and(|m| &m.data[..] == b"after")
        });
        assert_eq!(
            &p.b_messages().last().unwrap().data[..],
            b"after",
            "{opts:?}"
        );
    }
}

#[test]
fn i_data_lets_small_messages_pass_a_large_one() {
    for i_data in [true, false] {
        let cfg = SctpConfig {
            i_data,
            max_send_message_bytes: 1 << 20,
            max_receive_message_bytes: 1 << 20,
            ..SctpConfig::default()
        };
        let mut p = Pair::new(8, cfg.clone(), cfg);
        p.connect();
        p.a.send(1, 53, payload(0, 1 << 20), SendOptions::default())
            .unwrap();
        p.a.send(2, 51, Bytes::from_static(b"small"), SendOptions::default())
            .unwrap();
        p.run_until(Duration::from_secs(60), |p| p.b_messages().len() == 2);
        let order: Vec<u16> = p.b_messages().iter().map(|m| m.stream).collect();
        if i_data {
            assert_eq!(
                order,
                [2, 1],
                "the small message does not wait for the 1 MiB one"
            );
        } else {
            assert_eq!(
                order,
                [1, 2],
                "DATA sends a message's fragments contiguously"
            );
        }
    }
}

#[test]
fn fast_retransmit_repairs_a_single_loss_without_timeout() {
    let mut p = Pair::default_pair(9);
    p.connect();
    p.drop_a = vec![p_sent_after(&p) + 3];
    for i in 0..40 {
        p.a.send(0, 53, payload(i, 1100), SendOptions::default())
            .unwrap();
    }
    p.run_until(Duration::from_secs(10), |p| p.b_messages().len() == 40);
    assert_eq!(p.b_messages().len(), 40);
    let s = p.a.stats();
    assert_eq!(s.send.fast_retransmits, 1, "{s:?}");
    assert_eq!(s.send.t3_expirations, 0, "{s:?}");
}

fn p_sent_after(p: &Pair) -> usize {
    p.sent_a
}

#[test]
fn t3_timeout_recovers_a_lost_tail() {
    let mut p = Pair::default_pair(10);
    p.connect();
    // The only data packet is lost: no SACK can report it, T3 must.
    p.drop_a = vec![p.sent_a];
    let t0 = p.now;
    p.a.send(0, 51, Bytes::from_static(b"tail"), SendOptions::default())
        .unwrap();
    p.run_until(Duration::from_secs(10), |p| p.b_messages().len() == 1);
    let s = p.a.stats();
    assert_eq!(s.send.t3_expirations, 1);
    // RTO after the handshake's samples: at least RTO.Min (200 ms), well below RTO.Initial·2.
    let took = p.now - t0;
    assert!(
        took >= Duration::from_millis(200) && took < Duration::from_millis(1000),
        "{took:?}"
    );
}

#[test]
fn sack_policy_delays_single_packets_and_acks_every_second() {
    let mut p = Pair::default_pair(11);
    p.connect();
    p.cfg = [PathCfg {
        delay: Duration::from_millis(1),
        ..PathCfg::default()
    }; 2];
    p.run_until(Duration::from_secs(1), |_| false);
    // One small message: b's SACK waits for the delayed-ack timer (200 ms).
    let t0 = p.now;
    p.a.send(0, 51, Bytes::from_static(b"one"), SendOptions::default())
        .unwrap();
    p.step();
    assert!(p.a.stats().flight_bytes > 0);
    p.run_until(Duration::from_secs(2), |p| p.a.stats().flight_bytes == 0);
    let waited = p.now - t0;
    assert!(
        waited >= Duration::from_millis(200) && waited < Duration::from_millis(210),
        "{waited:?}"
    );
    // Two packets' worth: the SACK goes after the second, without waiting.
    let t0 = p.now;
    p.a.send(0, 53, payload(1, 2000), SendOptions::default())
        .unwrap();
    p.step();
    assert!(p.a.stats().flight_bytes > 0);
    p.run_until(Duration::from_secs(2), |p| p.a.stats().flight_bytes == 0);
    assert!(p.now - t0 < Duration::from_millis(10), "{:?}", p.now - t0);
}

#[test]
fn stream_reset_both_directions() {
    let mut p = Pair::default_pair(12);
    p.connect();
    p.a.send(3, 51, Bytes::from_static(b"x"), SendOptions::default())
        .unwrap();
    p.a.reset_streams(&[3]);
    assert_eq!(
        p.a.send(3, 51, Bytes::from_static(b"y"), SendOptions::default()),
        Err(SctpSendError::StreamResetting { stream: 3 })
    );
    p.run_until(Duration::from_secs(5), |p| {
        p.a_events
            .iter()
            .any(|e| matches!(e, SctpEvent::OutgoingStreamsReset { .. }))
    });
    assert!(
        p.b_events
            .contains(&SctpEvent::IncomingStreamsReset { streams: vec![3] })
    );
    assert!(
        p.a_events
            .contains(&SctpEvent::OutgoingStreamsReset { streams: vec![3] })
    );
    assert_eq!(p.b_messages().len(), 1, "queued data goes before the reset");
    // The peer closes its side too (RFC 8831 §6.7), and the stream id can be used again from
    // sequence number 0.
    p.b.reset_streams(&[3]);
    p.run_until(Duration::from_secs(5), |p| {
        p.a_events
            .contains(&SctpEvent::IncomingStreamsReset { streams: vec![3] })
            && p.b_events
                .contains(&SctpEvent::OutgoingStreamsReset { streams: vec![3] })
    });
    assert!(
        p.b_events
            .contains(&SctpEvent::OutgoingStreamsReset { streams: vec![3] })
    );
    p.a.send(3, 51, Bytes::from_static(b"again"), SendOptions::default())
        .unwrap();
    p.run_until(Duration::from_secs(5), |p| p.b_messages().len() == 2);
    assert_eq!(&p.b_messages()[1].data[..], b"again");
}

#[test]
fn stream_reset_waits_for_in_flight_data_under_loss() {
    let mut p = Pair::default_pair(13);
    p.connect();
    p.cfg = [PathCfg {
        loss: 0.3,
        delay: Duration::from_millis(10),
        ..PathCfg::default()
    }; 2];
    for i in 0..30 {
        p.a.send(5, 53, payload(i, 1500), SendOptions::default())
            .unwrap();
    }
    p.a.reset_streams(&[5]);
    p.run_until(Duration::from_secs(120), |p| {
        p.a_events
            .contains(&SctpEvent::OutgoingStreamsReset { streams: vec![5] })
    });
    // RFC 6525 §5.2.2: the receiver performs the reset only after every TSN before it.
    assert_eq!(p.b_messages().len(), 30);
    let pos_reset = p
        .b_events
        .iter()
        .position(|e| matches!(e, SctpEvent::IncomingStreamsReset { .. }))
        .unwrap();
    let last_msg = p
        .b_events
        .iter()
        .rposition(|e| matches!(e, SctpEvent::Message(_)))
        .unwrap();
    assert!(pos_reset > last_msg);
}

#[test]
fn graceful_shutdown_and_abort() {
    let mut p = Pair::default_pair(14);
    p.connect();
    for i in 0..10 {
        p.a.send(0, 53, payload(i, 3000), SendOptions::default())
            .unwrap();
    }
    p.a.shutdown(p.now);
    assert_eq!(
        p.a.send(0, 51, Bytes::from_static(b"late"), SendOptions::default()),
        Err(SctpSendError::Closed)
    );
    p.run_until(Duration::from_secs(10), |p| {
        p.a.state() == AssociationState::Closed && p.b.state() == AssociationState::Closed
    });
    assert_eq!(
        p.b_messages().len(),
        10,
        "queued data is delivered before the shutdown"
    );
    let closed = SctpEvent::Closed {
        reason: CloseReason::Shutdown,
    };
    assert!(p.a_events.contains(&closed) && p.b_events.contains(&closed));
    assert_eq!(p.a.poll_timeout(), None);

    let mut p = Pair::default_pair(15);
    p.connect();
    p.b.abort(p.now);
    p.run_until(Duration::from_secs(1), |p| {
        p.a.state() == AssociationState::Closed
    });
    assert!(p.a_events.contains(&SctpEvent::Closed {
        reason: CloseReason::PeerAbort {
            cause: Some(chunk::cause::USER_ABORT)
        }
    }));
    assert!(p.b_events.contains(&SctpEvent::Closed {
        reason: CloseReason::LocalAbort
    }));
}

#[test]
fn handshake_gives_up_after_max_init_retransmits() {
    let mut p = Pair::default_pair(16);
    p.cfg[0].loss = 1.0;
    p.a.connect(p.now);
    p.run_until(Duration::from_secs(3600), |p| {
        p.a.state() == AssociationState::Closed
    });
    assert!(p.a_events.contains(&SctpEvent::Closed {
        reason: CloseReason::HandshakeTimeout
    }));
    // 1 + 8 INITs with RTO doubling from 500 ms up to the 3 s back-off cap: 0.5 + 1 + 2 + 3 ×
    // 6 = 21.5 s, then give up.
    assert_eq!(p.sent_a, 9);
}

/// The WebRTC default (Chrome's and Firefox's dcSCTP settings): no Association.Max.Retrans (ICE
/// consent decides), and backed-off retransmissions every 3 s at most, so that a path back after
/// a long outage carries data again within 3 s.
#[test]
fn by_default_a_silent_peer_is_retried_every_3_s_and_never_given_up() {
    let mut p = Pair::default_pair(16);
    p.connect();
    p.cfg = [PathCfg {
        loss: 1.0,
        ..PathCfg::default()
    }; 2];
    p.a.send(
        0,
        51,
        Bytes::from_static(b"still there?"),
        SendOptions::default(),
    )
    .unwrap();
    p.run_until(Duration::from_secs(600), |_| false);
    assert!(p.a.is_established());
    let t3 = p.a.stats().send.t3_expirations;
    // 10 minutes: a few expiries while backing off to 3 s, then one every 3 s.
    assert!((198..=203).contains(&t3), "{t3} T3 expirations");
    // The path comes back: the message is through within one capped RTO.
    p.cfg = [PathCfg {
        delay: Duration::from_millis(10),
        ..PathCfg::default()
    }; 2];
    let back = p.now;
    p.run_until(Duration::from_secs(10), |p| !p.b_messages().is_empty());
    assert_eq!(&p.b_messages()[0].data[..], b"still there?");
    assert!(
        p.now - back <= Duration::from_millis(3100),
        "{:?}",
        p.now - back
    );
}

#[test]
fn dead_peer_is_detected_after_max_retransmissions() {
    let cfg = SctpConfig {
        max_retransmissions: Some(10),
        ..SctpConfig::default()
    };
    let mut p = Pair::new(17, cfg.clone(), cfg);
    p.connect();
    p.cfg = [PathCfg {
        loss: 1.0,
        ..PathCfg::default()
    }; 2];
    p.a.send(0, 51, Bytes::from_static(b"void"), SendOptions::default())
        .unwrap();
    p.run_until(Duration::from_secs(3600), |p| {
        p.a.state() == AssociationState::Closed
    });
    assert!(p.a_events.contains(&SctpEvent::Closed {
        reason: CloseReason::TooManyRetransmissions
    }));
    // Association.Max.Retrans counts T3 expirations and unanswered heartbeats together.
    let t3 = p.a.stats().send.t3_expirations;
    assert!((5..=10).contains(&t3), "{t3}");
}

/// A packet appended after a prefix of any length (the Peer writes it after the DTLS record
/// header and nonce: 13 or 21 bytes) is the packet written alone, byte for byte, padding and
/// checksum included, through a lossy transfer with every chunk kind in play.
/// The lending decision for received packets (`keeps_slices_of`): in-order fragments of a
/// large message are copied into reassembly, so a lent packet does; a message whole in one
/// chunk, or a fragment ahead of a gap, is kept as a slice, so the packet must be shared. Lent
/// or shared, what is delivered is the same.
#[test]
fn packets_are_lent_unless_slices_are_kept() {
    let mut p = Pair::default_pair(31);
    p.connect();
    let take = |p: &mut Pair| {
        let mut out = Vec::new();
        let mut buf = bytes::BytesMut::new();
        while p.a.poll_transmit_into(p.now, &mut buf) {
            out.push(buf.to_vec());
        }
        out
    };
    // A 3000-byte message, then a 100-byte one that rides whole in its last packet.
    p.a.send(0, 53, payload(1, 3000), SendOptions::default())
        .unwrap();
    p.a.send(0, 53, payload(2, 100), SendOptions::default())
        .unwrap();
    let first = take(&mut p);
    assert_eq!(first.len(), 3);
    let messages = |p: &mut Pair| -> Vec<Bytes> {
        std::iter::from_fn(|| p.b.poll_event())
            .filter_map(|e| match e {
                SctpEvent::Message(m) => Some(m.data),
                _ => None,
            })
            .collect()
    };
    for (i, pkt) in first.iter().enumerate() {
        assert_eq!(p.b.keeps_slices_of(pkt), i == 2, "packet {i}");
        p.b.handle_packet(p.now, pkt);
    }
    let mut got = messages(&mut p);
    // Out of order: the second fragment of the next message before its first.
    p.run_until(Duration::from_secs(1), |p| p.a.stats().flight_bytes == 0);
    p.a.send(0, 53, payload(3, 3000), SendOptions::default())
        .unwrap();
    let next = take(&mut p);
    assert!(next.len() >= 2);
    assert!(p.b.keeps_slices_of(&next[1]), "a fragment ahead of a gap");
    p.b.handle_packet(p.now, &next[1]);
    p.b.handle_packet(p.now, &next[0]);
    for pkt in &next[2..] {
        p.b.handle_packet(p.now, pkt);
    }
    got.extend(messages(&mut p));
    assert!(got == [payload(1, 3000), payload(2, 100), payload(3, 3000)]);
}

#[test]
fn packets_appended_after_a_prefix_are_the_same_bytes() {
    let run = |prefix: usize, zero_checksum: bool| {
        let cfg = SctpConfig {
            zero_checksum,
            ..SctpConfig::default()
        };
        let mut p = Pair::new(23, cfg.clone(), cfg);
        p.keep_wire = true;
        p.prefix = prefix;
        p.cfg[0].loss = 0.1;
        p.connect();
        for i in 0..40usize {
            let opts = SendOptions {
                unordered: i % 3 == 0,
                ..SendOptions::default()
            };
            let len = [1, 3, 5, 700, 1201, 5003][i % 6];
            p.a.send((i % 4) as u16, 53, Bytes::from(vec![i as u8; len]), opts)
                .unwrap();
        }
        p.run_until(Duration::from_secs(30), |p| p.b_messages().len() == 40);
        assert_eq!(p.b_messages().len(), 40);
        p.wire
    };
    for zero_checksum in [true, false] {
        let alone = run(0, zero_checksum);
        for prefix in [1, 2, 3, 13, 21] {
            assert!(run(prefix, zero_checksum) == alone, "prefix {prefix}");
        }
    }
}

#[test]
fn zero_checksum_only_when_both_agree_and_never_on_init() {
    let mut p = Pair::default_pair(18);
    p.keep_wire = true;
    p.connect();
    p.a.send(0, 51, Bytes::from_static(b"z"), SendOptions::default())
        .unwrap();
    p.run_until(Duration::from_secs(1), |p| !p.b_messages().is_empty());
    assert!(p.a.sends_zero_checksum());
    for w in &p.wire {
        let pk = Packet::parse(w, true).unwrap();
        let first = pk.chunks().next().unwrap().typ;
        let crc = u32::from_le_bytes(w[8..12].try_into().unwrap());
        if first == typ::INIT {
            assert_eq!(crc, checksum(w), "INIT carries a real CRC32c");
        } else if first == typ::DATA || first == typ::I_DATA || first == typ::SACK {
            assert_eq!(crc, 0, "RFC 9653: zero once agreed");
        }
    }
    // One side without it: both send real checksums.
    let cfg = SctpConfig {
        zero_checksum: false,
        ..SctpConfig::default()
    };
    let mut p = Pair::new(19, SctpConfig::default(), cfg);
    p.keep_wire = true;
    p.connect();
    assert!(!p.a.sends_zero_checksum() && !p.b.sends_zero_checksum());
    for w in &p.wire {
        assert!(Packet::parse(w, false).is_ok());
    }
}

/// Wraps chunks into a packet `from` would accept from its peer.
fn forge(p: &Association, tag: u32, chunks: &[u8]) -> Vec<u8> {
    let _ = p;
    let mut out = Vec::new();
    out.extend_from_slice(&5000u16.to_be_bytes());
    out.extend_from_slice(&5000u16.to_be_bytes());
    out.extend_from_slice(&tag.to_be_bytes());
    out.extend_from_slice(&[0; 4]);
    out.extend_from_slice(chunks);
    let crc = checksum(&out);
    out[8..12].copy_from_slice(&crc.to_le_bytes());
    out
}

#[test]
fn verification_tags_checksums_and_cookies_are_enforced() {
    let mut p = Pair::default_pair(20);
    p.keep_wire = true;
    p.connect();
    // A SACK with a wrong tag is dropped and counted (§8.5).
    let mut sack = bytes::BytesMut::new();
    Sack::write(&mut sack, 0, 1000, std::iter::empty(), std::iter::empty());
    let before = p.b.stats().dropped.bad_tag;
    p.b.handle_packet(p.now, &forge(&p.b, 0xDEAD_BEEF, &sack));
    assert_eq!(p.b.stats().dropped.bad_tag, before + 1);
    // A corrupted checksum.
    let mut w = forge(&p.b, 1, &sack);
    w[9] ^= 0xFF;
    let before = p.b.stats().dropped.malformed;
    p.b.handle_packet(p.now, &w);
    assert_eq!(p.b.stats().dropped.malformed, before + 1);
    // A replayed COOKIE ECHO with one bit flipped in the cookie: the HMAC refuses it.
    let echo = p
        .wire
        .iter()
        .find(|w| Packet::parse(w, true).unwrap().chunks().next().unwrap().typ == typ::COOKIE_ECHO)
        .unwrap()
        .clone();
    let mut bad = echo.clone();
    let n = bad.len();
    bad[n - 5] ^= 1;
    let crc = checksum(&bad);
    bad[8..12].copy_from_slice(&crc.to_le_bytes());
    let mut fresh = Association::new(
        SctpConfig::default(),
        RngRoot::from_seed(20).child("b", 0).stream(Stream::Sctp),
        p.now,
    );
    fresh.handle_packet(p.now, &bad);
    assert_eq!(fresh.stats().dropped.bad_cookie, 1);
    assert_eq!(fresh.state(), AssociationState::Closed);
    // The same cookie unmodified but after Valid.Cookie.Life: Stale Cookie error (§5.1.5).
    fresh.handle_packet(p.now + Duration::from_secs(61), &echo);
    assert_eq!(fresh.state(), AssociationState::Closed);
    let reply = fresh
        .poll_transmit(p.now + Duration::from_secs(61))
        .expect("a Stale Cookie error");
    let pk = Packet::parse(&reply, false).unwrap();
    let c = pk.chunks().next().unwrap();
    assert_eq!(c.typ, typ::ERROR);
    assert_eq!(chunk::be16(c.value), chunk::cause::STALE_COOKIE);
    // Within its life, the same cookie establishes (the endpoint is stateless until then).
    let mut fresh = Association::new(
        SctpConfig::default(),
        RngRoot::from_seed(20).child("b", 0).stream(Stream::Sctp),
        p.now,
    );
    fresh.handle_packet(p.now, &echo);
    assert!(fresh.is_established());
}

#[test]
fn unknown_chunks_follow_their_upper_bits() {
    let mut p = Pair::default_pair(21);
    p.connect();
    let tag = {
        // b's own tag: read it from a packet a sent to b.
        p.keep_wire = true;
        p.a.send(0, 51, Bytes::from_static(b"t"), SendOptions::default())
            .unwrap();
        p.run_until(Duration::from_secs(1), |p| !p.b_messages().is_empty());
        let w = p.wire.iter().rev().find(|w| {
            Packet::parse(w, true)
                .unwrap()
                .chunks()
                .any(|c| c.typ == typ::I_DATA)
        });
        u32::from_be_bytes(w.unwrap()[4..8].try_into().unwrap())
    };
    // 0x7F (01): stop and report; the HEARTBEAT after it is not processed.
    let mut chunks = bytes::BytesMut::new();
    chunk::write_chunk(&mut chunks, 0x7F, 0, |o| o.extend_from_slice(&[1, 2, 3]));
    chunk::write_chunk(&mut chunks, typ::HEARTBEAT, 0, |o| {
        chunk::write_param(o, chunk::param::HEARTBEAT_INFO, &[9; 8])
    });
    p.b.handle_packet(p.now, &forge(&p.b, tag, &chunks));
    let out = p.b.poll_transmit(p.now).unwrap();
    let pk = Packet::parse(&out, true).unwrap();
    let kinds: Vec<u8> = pk.chunks().map(|c| c.typ).collect();
    assert_eq!(
        kinds,
        [typ::ERROR],
        "reported, and nothing after it handled"
    );
    // 0xBF (10): skip silently, go on with the HEARTBEAT.
    let mut chunks = bytes::BytesMut::new();
    chunk::write_chunk(&mut chunks, 0xBF, 0, |o| o.extend_from_slice(&[1]));
    chunk::write_chunk(&mut chunks, typ::HEARTBEAT, 0, |o| {
        chunk::write_param(o, chunk::param::HEARTBEAT_INFO, &[9; 8])
    });
    p.b.handle_packet(p.now, &forge(&p.b, tag, &chunks));
    let out = p.b.poll_transmit(p.now).unwrap();
    let pk = Packet::parse(&out, true).unwrap();
    let kinds: Vec<u8> = pk.chunks().map(|c| c.typ).collect();
    assert_eq!(kinds, [typ::HEARTBEAT_ACK]);
}

#[test]
fn receive_limits_drop_oversize_messages_and_keep_the_association() {
    let ca = SctpConfig {
        max_send_message_bytes: 1 << 20,
        ..SctpConfig::default()
    };
    let cb = SctpConfig {
        max_receive_message_bytes: 10_000,
        ..SctpConfig::default()
    };
    for i_data in [true, false] {
        let mut p = Pair::new(
            22,
            SctpConfig {
                i_data,
                ..ca.clone()
            },
            SctpConfig {
                i_data,
                ..cb.clone()
            },
        );
        p.connect();
        p.a.send(0, 53, payload(0, 50_000), SendOptions::default())
            .unwrap();
        p.a.send(0, 53, payload(1, 5_000), SendOptions::default())
            .unwrap();
        p.run_until(Duration::from_secs(10), |p| p.b_messages().len() == 1);
        p.run_until(Duration::from_secs(1), |_| false);
        assert_eq!(p.b_messages().len(), 1);
        assert_eq!(p.b_messages()[0].data, payload(1, 5_000));
        assert_eq!(p.b.stats().dropped.oversize_messages, 1);
        assert!(p.b.is_established());
    }
}

#[test]
fn flow_control_stops_at_the_receivers_window() {
    let cb = SctpConfig {
        receive_window_bytes: 20_000,
        ..SctpConfig::default()
    };
    let mut p = Pair::new(23, SctpConfig::default(), cb);
    p.connect();
    for i in 0..50 {
        p.a.send(0, 53, payload(i, 1000), SendOptions::default())
            .unwrap();
    }
    // b does not read: run without polling b's events.
    let end = p.now + Duration::from_secs(5);
    while p.now < end {
        let mut buf = bytes::BytesMut::new();
        while p.a.poll_transmit_into(p.now, &mut buf) {
            p.b.handle_packet(p.now, &buf);
        }
        while p.b.poll_transmit_into(p.now, &mut buf) {
            p.a.handle_packet(p.now, &buf);
        }
        let Some(t) = [p.a.poll_timeout(), p.b.poll_timeout()]
            .into_iter()
            .flatten()
            .min()
        else {
            break;
        };
        p.now = t.max(p.now);
        p.a.handle_timeout(p.now);
        p.b.handle_timeout(p.now);
    }
    let held = p.b.stats();
    assert!(p.a.stats().queued_bytes > 0, "the sender is held back");
    assert_eq!(
        held.dropped.buffer_full, 0,
        "a compliant sender never overruns the window"
    );
    // Reading frees the window and the rest flows (zero-window probes and window updates keep
    // the sender going without waiting for the retransmission timer).
    let t0 = p.now;
    let t3_before = p.a.stats().send.t3_expirations;
    p.run_until(Duration::from_secs(30), |p| p.b_messages().len() == 50);
    assert_eq!(p.b_messages().len(), 50);
    assert!(p.now - t0 < Duration::from_millis(200), "{:?}", p.now - t0);
    assert_eq!(p.a.stats().send.t3_expirations, t3_before);
}

#[test]
fn same_seed_same_bytes() {
    let run = |seed| {
        let path = PathCfg {
            loss: 0.1,
            dup: 0.05,
            reorder: 0.1,
            delay: Duration::from_millis(5),
        };
        let mut p = Pair::default_pair(seed);
        p.keep_wire = true;
        p.cfg = [path; 2];
        p.a.connect(p.now);
        p.b.connect(p.now);
        for i in 0..30 {
            p.a.send(1, 53, payload(i, 3000), SendOptions::default())
                .unwrap();
        }
        p.run_until(Duration::from_secs(60), |p| p.b_messages().len() == 30);
        let mut h = sha2::Sha256::default();
        use sha2::Digest;
        for w in &p.wire {
            h.update(w);
        }
        h.finalize().to_vec()
    };
    assert_eq!(run(24), run(24));
    assert_ne!(run(24), run(25));
}

#[test]
fn forward_tsn_beyond_the_window_is_ignored() {
    let mut p = Pair::default_pair(26);
    p.connect();
    let tag = own_tag(&mut p);
    let mut c = bytes::BytesMut::new();
    ForwardTsn::write(
        &mut c,
        true,
        0x7000_0000,
        [Skipped {
            stream: 0,
            unordered: false,
            mid: 9,
        }]
        .into_iter(),
    );
    let before = p.b.stats().dropped.out_of_window;
    p.b.handle_packet(p.now, &forge(&p.b, tag, &c));
    assert_eq!(p.b.stats().dropped.out_of_window, before + 1);
    p.a.send(0, 51, Bytes::from_static(b"ok"), SendOptions::default())
        .unwrap();
    p.run_until(Duration::from_secs(2), |p| p.b_messages().len() == 2);
    assert_eq!(&p.b_messages().last().unwrap().data[..], b"ok");
}

/// b's verification tag, learned from a packet a sends.
fn own_tag(p: &mut Pair) -> u32 {
    p.keep_wire = true;
    p.a.send(0, 51, Bytes::from_static(b"probe"), SendOptions::default())
        .unwrap();
    let n = p.b_messages().len();
    p.run_until(Duration::from_secs(1), |p| p.b_messages().len() > n);
    let w = p.wire.iter().rev().find(|w| {
        Packet::parse(w, true)
            .unwrap()
            .chunks()
            .any(|c| c.typ == typ::I_DATA)
    });
    u32::from_be_bytes(w.unwrap()[4..8].try_into().unwrap())
}

#[test]
fn bad_reconfig_sequence_numbers_are_answered_not_obeyed() {
    let mut p = Pair::default_pair(27);
    p.connect();
    let tag = own_tag(&mut p);
    let streams = ReconfigParam::stream_bytes(&[0]);
    let request = |seq: u32| {
        let mut c = bytes::BytesMut::new();
        chunk::write_chunk(&mut c, typ::RE_CONFIG, 0, |o| {
            ReconfigParam::OutgoingReset {
                request_seq: seq,
                response_seq: 0,
                last_tsn: 0,
                streams: StreamList::from_bytes(&streams),
            }
            .write(o)
        });
        c
    };
    // The first request is taken whatever its number; a second with a wrong one is refused.
    p.b.handle_packet(p.now, &forge(&p.b, tag, &request(0x1234)));
    p.b.handle_packet(p.now, &forge(&p.b, tag, &request(0x9999)));
    let mut results = Vec::new();
    while let Some(w) = p.b.poll_transmit(p.now) {
        for ch in Packet::parse(&w, true).unwrap().chunks() {
            if let Ok(Chunk::ReConfig(params)) = Chunk::parse(ch) {
                for r in Chunk::reconfig_params(params) {
                    if let ReconfigParam::Response {
                        response_seq,
                        result,
                    } = r
                    {
                        results.push((response_seq, result));
                    }
                }
            }
        }
    }
    assert!(
        results.contains(&(0x9999, chunk::reconfig_result::BAD_SEQUENCE_NUMBER)),
        "{results:?}"
    );
    assert!(
        results.contains(&(0x1234, chunk::reconfig_result::PERFORMED))
            || results.contains(&(0x1234, chunk::reconfig_result::IN_PROGRESS)),
        "{results:?}"
    );
}

// --- Codec round trips -------------------------------------------------------------------------

fn parse_one(buf: &[u8]) -> Chunk<'_> {
    let (v, _) = (
        ChunkView {
            typ: buf[0],
            flags: buf[1],
            value: &buf[4..usize::from(u16::from_be_bytes([buf[2], buf[3]]))],
        },
        (),
    );
    Chunk::parse(v).unwrap()
}

proptest! {
    #[test]
    fn data_round_trip(i_data: bool, fl in 0u8..16, tsn: u32, stream: u16, mid: u32, ppid: u32, fsn: u32,
                       payload in proptest::collection::vec(any::<u8>(), 1..64)) {
        let mid = if i_data { mid } else { mid & 0xFFFF };
        let begin = fl & chunk::flags::BEGIN != 0;
        let mut out = bytes::BytesMut::new();
        chunk::Data::write_header(&mut out, i_data, fl, tsn, stream, mid, ppid, fsn, payload.len());
        out.extend_from_slice(&payload);
        chunk::pad(&mut out, payload.len());
        let Chunk::Data(d) = parse_one(&out) else { panic!("not data") };
        prop_assert_eq!((d.flags, d.tsn, d.stream, d.mid), (fl, tsn, stream, mid));
        prop_assert_eq!(d.payload, &payload[..]);
        if i_data {
            prop_assert_eq!((d.ppid, d.fsn), if begin { (ppid, 0) } else { (0, fsn) });
        } else {
            prop_assert_eq!(d.ppid, ppid);
        }
    }

    #[test]
    fn sack_round_trip(cum: u32, rwnd: u32, gaps in proptest::collection::vec(any::<(u16, u16)>(), 0..20),
                       dups in proptest::collection::vec(any::<u32>(), 0..20)) {
        let mut out = bytes::BytesMut::new();
        Sack::write(&mut out, cum, rwnd, gaps.iter().copied(), dups.iter().copied());
        let Chunk::Sack(s) = parse_one(&out) else { panic!("not sack") };
        prop_assert_eq!((s.cum_tsn, s.a_rwnd), (cum, rwnd));
        prop_assert_eq!(s.gap_blocks().collect::<Vec<_>>(), gaps);
        prop_assert_eq!(s.duplicates().collect::<Vec<_>>(), dups);
    }

    #[test]
    fn forward_tsn_round_trip(i: bool, cum: u32, entries in proptest::collection::vec((any::<u16>(), any::<bool>(), any::<u32>()), 0..20)) {
        let skipped: Vec<Skipped> = entries.iter().map(|&(stream, u, mid)| Skipped {
            stream, unordered: i && u, mid: if i { mid } else { mid & 0xFFFF },
        }).collect();
        let mut out = bytes::BytesMut::new();
        ForwardTsn::write(&mut out, i, cum, skipped.iter().copied());
        let Chunk::ForwardTsn(f) = parse_one(&out) else { panic!("not fwd") };
        prop_assert_eq!(f.new_cum_tsn, cum);
        prop_assert_eq!(f.skipped().collect::<Vec<_>>(), skipped);
    }

    #[test]
    fn reconfig_round_trip(req: u32, resp: u32, last: u32, result: u32, streams in proptest::collection::vec(any::<u16>(), 0..30)) {
        let bytes = ReconfigParam::stream_bytes(&streams);
        let params = [
            ReconfigParam::OutgoingReset { request_seq: req, response_seq: resp, last_tsn: last, streams: StreamList::from_bytes(&bytes) },
            ReconfigParam::IncomingReset { request_seq: req, streams: StreamList::from_bytes(&bytes) },
            ReconfigParam::Response { response_seq: resp, result },
        ];
        for p in params {
            let mut out = bytes::BytesMut::new();
            chunk::write_chunk(&mut out, typ::RE_CONFIG, 0, |o| p.write(o));
            let Chunk::ReConfig(ps) = parse_one(&out) else { panic!("not reconfig") };
            let got: Vec<_> = Chunk::reconfig_params(ps).collect();
            prop_assert_eq!(got, vec![p]);
        }
    }

    #[test]
    fn init_round_trip(tag: u32, rwnd: u32, os: u16, mis: u16, tsn: u32,
                       params in proptest::collection::vec((any::<u16>(), proptest::collection::vec(any::<u8>(), 0..12)), 0..6)) {
        let init = chunk::Init { initiate_tag: tag, a_rwnd: rwnd, outbound_streams: os, inbound_streams: mis, initial_tsn: tsn, params: chunk::Params::default() };
        let mut out = bytes::BytesMut::new();
        chunk::write_chunk(&mut out, typ::INIT, 0, |o| {
            init.write_fixed(o);
            for (t, v) in &params { chunk::write_param(o, *t, v); }
        });
        let Chunk::Init(got) = parse_one(&out) else { panic!("not init") };
        prop_assert_eq!((got.initiate_tag, got.a_rwnd, got.outbound_streams, got.inbound_streams, got.initial_tsn), (tag, rwnd, os, mis, tsn));
        let ps: Vec<(u16, Vec<u8>)> = got.params.iter().map(|p| (p.typ, p.value.to_vec())).collect();
        prop_assert_eq!(ps, params);
    }

    #[test]
    fn chunk_parse_never_panics(t: u8, f: u8, value in proptest::collection::vec(any::<u8>(), 0..64)) {
        let v = ChunkView { typ: t, flags: f, value: &value };
        if let Ok(Chunk::ReConfig(p)) = Chunk::parse(v) {
            let _ = Chunk::reconfig_params(p).count();
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    /// Under arbitrary loss, duplication, reordering and delay, every reliable message arrives
    /// exactly once, intact and in order; the association drains in bounded virtual time.
    #[test]
    fn reliable_delivery_under_arbitrary_network(
        seed: u64,
        loss in 0.0f64..0.3,
        dup in 0.0f64..0.2,
        reorder in 0.0f64..0.4,
        delay_ms in 1u64..80,
        i_data: bool,
        sizes in proptest::collection::vec(1usize..20_000, 1..40),
    ) {
        let path = PathCfg { loss, dup, reorder, delay: Duration::from_millis(delay_ms) };
        let (p, msgs) = transfer(seed, path, i_data, &sizes, SendOptions::default());
        check_reliable_ordered(&sizes, &msgs);
        let s = p.a.stats();
        prop_assert_eq!(s.flight_bytes + s.queued_bytes, 0);
    }

    /// Partially reliable messages arrive at most once and intact; the association drains.
    #[test]
    fn partially_reliable_delivery_under_arbitrary_network(
        seed: u64,
        loss in 0.0f64..0.3,
        reorder in 0.0f64..0.3,
        i_data: bool,
        unordered: bool,
        rtx in 0u16..3,
        sizes in proptest::collection::vec(1usize..10_000, 1..40),
    ) {
        let path = PathCfg { loss, dup: 0.0, reorder, delay: Duration::from_millis(10) };
        let opts = SendOptions { unordered, max_retransmits: Some(rtx), lifetime: None };
        let (p, msgs) = transfer(seed, path, i_data, &sizes, opts);
        let mut seen = std::collections::BTreeSet::new();
        for m in &msgs {
            let i = (0..sizes.len()).find(|&i| payload(i, sizes[i]) == m.data && (i % 3) as u16 == m.stream);
            prop_assert!(i.is_some(), "intact");
            prop_assert!(seen.insert(i.unwrap()), "at most once");
        }
        let s = p.a.stats();
        prop_assert_eq!(s.flight_bytes + s.queued_bytes, 0);
    }
}

/// Writes seed inputs for the `sctp_chunk` and `sctp_association` fuzz targets from a real
/// exchange (run by hand: `cargo test --lib write_sctp_fuzz_seeds -- --ignored`).
#[test]
#[ignore = "tooling: regenerates fuzz seeds"]
fn write_sctp_fuzz_seeds() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus");
    let mut p = Pair::default_pair(40);
    p.keep_wire = true;
    p.cfg = [PathCfg {
        loss: 0.1,
        reorder: 0.2,
        delay: Duration::from_millis(5),
        ..PathCfg::default()
    }; 2];
    p.a.connect(p.now);
    p.b.connect(p.now);
    for i in 0..20 {
        let opts = SendOptions {
            unordered: i % 3 == 0,
            max_retransmits: (i % 4 == 0).then_some(0),
            ..SendOptions::default()
        };
        p.a.send(i as u16 % 4, 53, payload(i, [10, 3000][i % 2]), opts)
            .unwrap();
    }
    p.a.reset_streams(&[1]);
    p.run_until(Duration::from_secs(30), |p| {
        p.b_messages().len() >= 15 && p.a.stats().flight_bytes == 0
    });
    p.a.shutdown(p.now);
    p.run_until(Duration::from_secs(5), |_| false);
    let mut seen = std::collections::BTreeSet::new();
    for w in &p.wire {
        let body = &w[12..];
        let kinds: Vec<u8> = Packet::parse(w, true)
            .unwrap()
            .chunks()
            .map(|c| c.typ)
            .collect();
        if seen.insert(kinds) {
            std::fs::write(root.join(format!("sctp_chunk/seed-{}", seen.len())), body).unwrap();
        }
    }
    // Association programs: op bytes as read by `fuzzing::sctp_association`.
    let programs: [&[u8]; 4] = [
        &[3, 5, 3, 200, 4, 2, 50, 4, 5, 9, 4],
        &[3, 100, 7, 4, 2, 255, 4, 6, 2, 4, 2, 200, 4],
        &[0, 8, 0, 0, 0, 0, 0, 0, 0, 0, 4],
        &[3, 1, 3, 2, 3, 3, 4, 8, 16, 4, 2, 255, 4],
    ];
    for (i, prog) in programs.iter().enumerate() {
        std::fs::write(root.join(format!("sctp_association/seed-{i}")), prog).unwrap();
    }
    // Real chunks as forged packets for b (op 0, length, then chunk bytes after one pad byte).
    for (i, w) in p.wire.iter().enumerate().take(40) {
        let body = &w[12..];
        if body.len() < 250 {
            let mut prog = vec![3, 9, 4, 0, body.len() as u8];
            prog.push(0);
            prog.extend_from_slice(body);
            prog.extend_from_slice(&[4, 2, 9, 4]);
            std::fs::write(root.join(format!("sctp_association/wire-{i}")), prog).unwrap();
        }
    }
}

/// RFC 9260 §5.2.4 case A: the peer restarts (a fresh association sends INIT to one that is
/// established). The survivor answers with tie-tags, accepts the COOKIE ECHO, reports the
/// restart, and data flows on the new association.
#[test]
fn peer_restart_is_recognised_by_tie_tags() {
    let mut p = Pair::default_pair(30);
    p.connect();
    p.a.send(0, 51, Bytes::from_static(b"before"), SendOptions::default())
        .unwrap();
    p.run_until(Duration::from_secs(1), |p| p.b_messages().len() == 1);
    // b "restarts": a new association, new randomness, connecting to the same a.
    p.b = Association::new(
        SctpConfig::default(),
        RngRoot::from_seed(31).stream(Stream::Sctp),
        p.now,
    );
    p.b_events.clear();
    p.b.connect(p.now);
    p.run_until(Duration::from_secs(5), |p| {
        p.b.is_established() && p.a_events.contains(&SctpEvent::Restarted)
    });
    assert!(p.a_events.contains(&SctpEvent::Restarted));
    assert!(p.a.is_established() && p.b.is_established());
    p.a.send(0, 51, Bytes::from_static(b"after"), SendOptions::default())
        .unwrap();
    p.run_until(Duration::from_secs(1), |p| !p.b_messages().is_empty());
    assert_eq!(&p.b_messages()[0].data[..], b"after");
}

/// RFC 9260 §8.3: an idle association sends HEARTBEATs after HB.interval; the answer is an RTT
/// measurement.
#[test]
fn idle_heartbeats_measure_the_round_trip() {
    let cfg = SctpConfig {
        max_retransmissions: Some(10),
        ..SctpConfig::default()
    };
    let mut p = Pair::new(32, cfg.clone(), cfg);
    p.connect();
    assert_eq!(p.a.stats().srtt, None, "no data sent yet, no RTT sample");
    p.run_until(Duration::from_secs(40), |p| p.a.stats().srtt.is_some());
    assert_eq!(p.a.stats().srtt, Some(Duration::from_millis(20)));
    // With the peer gone silent, unanswered heartbeats count towards Association.Max.Retrans.
    p.cfg = [PathCfg {
        loss: 1.0,
        ..PathCfg::default()
    }; 2];
    p.run_until(Duration::from_secs(3600), |p| {
        p.a.state() == AssociationState::Closed
    });
    assert!(p.a_events.contains(&SctpEvent::Closed {
        reason: CloseReason::TooManyRetransmissions
    }));
}

#[test]
fn handshake_and_shutdown_survive_heavy_loss() {
    for seed in 0..8 {
        let mut p = Pair::default_pair(100 + seed);
        p.cfg = [PathCfg {
            loss: 0.3,
            reorder: 0.2,
            dup: 0.1,
            delay: Duration::from_millis(15),
        }; 2];
        p.a.connect(p.now);
        p.b.connect(p.now);
        p.run_until(Duration::from_secs(60), |p| {
            p.a.is_established() && p.b.is_established()
        });
        assert!(p.a.is_established() && p.b.is_established(), "seed {seed}");
        for i in 0..5 {
            p.b.send(1, 53, payload(i, 2000), SendOptions::default())
                .unwrap();
        }
        p.b.shutdown(p.now);
        p.run_until(Duration::from_secs(120), |p| {
            p.a.state() == AssociationState::Closed && p.b.state() == AssociationState::Closed
        });
        let shutdown = SctpEvent::Closed {
            reason: CloseReason::Shutdown,
        };
        assert!(
            p.a_events.contains(&shutdown) && p.b_events.contains(&shutdown),
            "seed {seed}: {:?} {:?} {:?} {:?}",
            p.a.state(),
            p.b.state(),
            p.a_events
                .iter()
                .filter(|e| !matches!(e, SctpEvent::Message(_)))
                .collect::<Vec<_>>(),
            p.b_events
                .iter()
                .filter(|e| !matches!(e, SctpEvent::Message(_)))
                .collect::<Vec<_>>()
        );
        let got = p
            .a_events
            .iter()
            .filter(|e| matches!(e, SctpEvent::Message(_)))
            .count();
        assert_eq!(got, 5, "seed {seed}: data before the shutdown is delivered");
    }
}

/// A receiver whose window was advertised nearly closed sends a window update as soon as the
/// application reads, without waiting for more data to acknowledge.
#[test]
fn reading_a_full_window_sends_a_window_update() {
    let cb = SctpConfig {
        receive_window_bytes: 20_000,
        ..SctpConfig::default()
    };
    let mut p = Pair::new(33, SctpConfig::default(), cb);
    p.connect();
    p.a.send(0, 53, payload(0, 18_000), SendOptions::default())
        .unwrap();
    // Deliver everything without letting b's application read.
    let mut buf = bytes::BytesMut::new();
    for _ in 0..20 {
        while p.a.poll_transmit_into(p.now, &mut buf) {
            p.b.handle_packet(p.now, &buf);
        }
        while p.b.poll_transmit_into(p.now, &mut buf) {
            p.a.handle_packet(p.now, &buf);
        }
        p.now += Duration::from_millis(250);
        p.a.handle_timeout(p.now);
        p.b.handle_timeout(p.now);
    }
    assert_eq!(p.a.stats().flight_bytes, 0);
    assert!(p.a.stats().peer_rwnd < 5_000, "{:?}", p.a.stats());
    assert!(
        p.b.poll_transmit(p.now).is_none(),
        "nothing owed before reading"
    );
    assert!(matches!(p.b.poll_event(), Some(SctpEvent::Message(_))));
    let update =
        p.b.poll_transmit(p.now)
            .expect("a window update after reading");
    p.a.handle_packet(p.now, &update);
    assert!(p.a.stats().peer_rwnd >= 10_000, "{:?}", p.a.stats());
}

/// A peer's reset storm against an application that does not poll: the event queue stays
/// bounded and the excess is counted.
#[test]
fn reset_storm_events_are_bounded() {
    let mut p = Pair::default_pair(34);
    p.connect();
    let tag = own_tag(&mut p);
    while p.b.poll_event().is_some() {}
    // The TSN of the last DATA a sent: b has received through it.
    let last_tsn = p
        .wire
        .iter()
        .rev()
        .find_map(|w| {
            let pk = Packet::parse(w, true).ok()?;
            pk.chunks()
                .filter_map(|c| match Chunk::parse(c) {
                    Ok(Chunk::Data(d)) => Some(d.tsn),
                    _ => None,
                })
                .last()
        })
        .unwrap();
    let streams = ReconfigParam::stream_bytes(&[7]);
    for seq in 0..5000u32 {
        let mut c = bytes::BytesMut::new();
        chunk::write_chunk(&mut c, typ::RE_CONFIG, 0, |o| {
            ReconfigParam::OutgoingReset {
                request_seq: 0x4000_0000 + seq,
                response_seq: 0,
                // Already received: performed at once.
                last_tsn,
                streams: StreamList::from_bytes(&streams),
            }
            .write(o)
        });
        p.b.handle_packet(p.now, &forge(&p.b, tag, &c));
        while p.b.poll_transmit(p.now).is_some() {}
    }
    let mut n = 0;
    while p.b.poll_event().is_some() {
        n += 1;
    }
    assert!(n <= 4096, "{n} events queued");
    assert!(p.b.stats().dropped.events > 0);
    assert!(p.b.is_established());
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 16, ..ProptestConfig::default() })]

    /// Both sides send at once (SACKs ride on DATA both ways) under arbitrary loss, duplication
    /// and reordering: every message arrives exactly once, intact, in order, in each direction.
    #[test]
    fn bidirectional_delivery_under_arbitrary_network(
        seed: u64,
        loss in 0.0f64..0.25,
        dup in 0.0f64..0.15,
        reorder in 0.0f64..0.3,
        i_data: bool,
        sizes in proptest::collection::vec(1usize..12_000, 1..30),
    ) {
        let cfg = SctpConfig { i_data, ..SctpConfig::default() };
        let mut p = Pair::new(seed, cfg.clone(), cfg);
        p.a.connect(p.now);
        p.b.connect(p.now);
        // Generous virtual-time bounds: at 25% loss each way, retransmission timers can back
        // off to RTO.Max (60 s); see `heavy_loss_with_rto_at_its_maximum_still_delivers_everything`.
        p.run_until(Duration::from_secs(600), |p| p.a.is_established() && p.b.is_established());
        prop_assert!(p.a.is_established() && p.b.is_established());
        p.cfg = [PathCfg { loss, dup, reorder, delay: Duration::from_millis(7) }; 2];
        for (i, &n) in sizes.iter().enumerate() {
            p.a.send((i % 3) as u16, 53, payload(i, n), SendOptions::default()).unwrap();
            p.b.send((i % 2) as u16, 53, payload(i + 1000, n), SendOptions::default()).unwrap();
        }
        let want = sizes.len();
        let count = |ev: &Vec<SctpEvent>| ev.iter().filter(|e| matches!(e, SctpEvent::Message(_))).count();
        p.run_until(Duration::from_secs(3600), |p| count(&p.a_events) == want && count(&p.b_events) == want);
        check_reliable_ordered(&sizes, &p.b_messages().into_iter().cloned().collect::<Vec<_>>());
        let at_a: Vec<SctpMessage> = p.a_events.iter().filter_map(|e| match e {
            SctpEvent::Message(m) => Some(m.clone()),
            _ => None,
        }).collect();
        prop_assert_eq!(at_a.len(), want);
        for s in 0..2u16 {
            let sent: Vec<Bytes> = sizes.iter().enumerate().filter(|(i, _)| (*i % 2) as u16 == s)
                .map(|(i, &n)| payload(i + 1000, n)).collect();
            let got: Vec<Bytes> = at_a.iter().filter(|m| m.stream == s).map(|m| m.data.clone()).collect();
            prop_assert_eq!(got, sent);
        }
    }
}

/// RFC 6525 §5.2.3: an Incoming SSN Reset Request (the peer asks us to reset our outgoing
/// streams) is answered by an Outgoing SSN Reset Request of ours, which the peer performs.
#[test]
fn incoming_reset_request_is_answered_with_our_outgoing_reset() {
    let mut p = Pair::default_pair(35);
    p.connect();
    let tag = own_tag(&mut p);
    let streams = ReconfigParam::stream_bytes(&[2]);
    let mut c = bytes::BytesMut::new();
    chunk::write_chunk(&mut c, typ::RE_CONFIG, 0, |o| {
        ReconfigParam::IncomingReset {
            request_seq: 0x0102_0304,
            streams: StreamList::from_bytes(&streams),
        }
        .write(o)
    });
    p.b.handle_packet(p.now, &forge(&p.b, tag, &c));
    let mut saw_request = false;
    p.run_until(Duration::from_secs(5), |p| {
        p.b_events
            .contains(&SctpEvent::OutgoingStreamsReset { streams: vec![2] })
    });
    for w in &p.wire {
        for ch in Packet::parse(w, true).unwrap().chunks() {
            if let Ok(Chunk::ReConfig(params)) = Chunk::parse(ch) {
                for r in Chunk::reconfig_params(params) {
                    if let ReconfigParam::OutgoingReset { response_seq, .. } = r {
                        // It names the request it answers.
                        saw_request |= response_seq == 0x0102_0304;
                    }
                }
            }
        }
    }
    assert!(
        saw_request,
        "b's outgoing reset answers the incoming request"
    );
    assert!(
        p.a_events
            .contains(&SctpEvent::IncomingStreamsReset { streams: vec![2] })
    );
    assert!(
        p.b_events
            .contains(&SctpEvent::OutgoingStreamsReset { streams: vec![2] })
    );
}

/// TSNs are serial numbers (RFC 9260 §1.6): a transfer that starts just below 2^32 crosses the
/// wrap under loss and reordering without losing or reordering anything; SSNs (16 bits) wrap
/// too on a stream carrying more than 65,536 messages.
#[test]
fn tsn_and_ssn_wrap_around() {
    let path = PathCfg {
        loss: 0.1,
        reorder: 0.1,
        dup: 0.05,
        delay: Duration::from_millis(5),
    };
    for i_data in [false, true] {
        let cfg = SctpConfig {
            i_data,
            ..SctpConfig::default()
        };
        let mut p = Pair::new(36, cfg.clone(), cfg);
        p.a.set_initial_tsn_for_test(u32::MAX - 300);
        p.b.set_initial_tsn_for_test(u32::MAX - 10);
        p.connect();
        p.cfg = [path; 2];
        let sizes: Vec<usize> = (0..600).map(|i| [30, 1500, 4000][i % 3]).collect();
        for (i, &n) in sizes.iter().enumerate() {
            p.a.send((i % 3) as u16, 53, payload(i, n), SendOptions::default())
                .unwrap();
            p.b.send(0, 53, payload(i, 100), SendOptions::default())
                .unwrap();
        }
        p.run_until(Duration::from_secs(600), |p| {
            p.b_messages().len() == sizes.len()
        });
        check_reliable_ordered(
            &sizes,
            &p.b_messages().into_iter().cloned().collect::<Vec<_>>(),
        );
    }
    // 70,000 one-byte messages on one ordered stream: the 16-bit SSN wraps (DATA).
    let cfg = SctpConfig {
        i_data: false,
        ..SctpConfig::default()
    };
    let mut p = Pair::new(37, cfg.clone(), cfg);
    p.connect();
    let n = 70_000usize;
    let mut sent = 0;
    let mut got = 0usize;
    let mut in_order = true;
    while got < n {
        while sent < n && p.a.buffered_amount(4) < 4096 {
            let v = (sent as u32).to_be_bytes();
            p.a.send(4, 53, Bytes::copy_from_slice(&v), SendOptions::default())
                .unwrap();
            sent += 1;
        }
        p.step();
        for e in p.b_events.drain(..) {
            if let SctpEvent::Message(m) = e {
                in_order &= u32::from_be_bytes(m.data[..4].try_into().unwrap()) == got as u32;
                got += 1;
            }
        }
    }
    assert!(in_order, "SSN wrap kept the order");
}

/// RFC 8260 §3.6: saturated streams share the path by weight. A high-priority stream (1024) and
/// a very-low one (128), both with far more queued than is sent: while both are busy, the high
/// one gets eight chunks for each of the other's.
#[test]
fn stream_priorities_share_the_path_by_weight() {
    for i_data in [true, false] {
        let cfg = SctpConfig {
            i_data,
            ..SctpConfig::default()
        };
        let mut p = Pair::new(31, cfg.clone(), cfg);
        p.connect();
        p.a.set_stream_priority(1, 1024);
        p.a.set_stream_priority(2, 128);
        // One-chunk messages so DATA (per message) and I-DATA (per chunk) count alike.
        for k in 0..2000 {
            for s in [1, 2] {
                p.a.send(s, 53, payload(k, 1000), SendOptions::default())
                    .unwrap();
            }
        }
        let queued = 2000.0 * 1000.0;
        let sent = |p: &Pair, s: u16| queued - p.a.buffered_amount(s) as f64;
        p.run_until(Duration::from_secs(60), |p| {
            sent(p, 1) + sent(p, 2) >= 900_000.0
        });
        let ratio = sent(&p, 1) / sent(&p, 2);
        assert!(
            (7.0..=9.0).contains(&ratio),
            "i_data {i_data}: ratio {ratio}"
        );
    }
}

/// Found by CI's proptest run (the case below, minimal): 29% loss each way, 65 ms delay, 36
/// messages of ~11 KB. T3 expirations back the RTO off to RTO.Max (60 s, RFC 9260 §16) and
/// Karn's rule (§6.3.1 C5) keeps it there until new data is measured, so delivery took longer
/// than the property's old 600-second bound: not a stall (it resumed 0.4 s after the deadline),
/// but a bound too tight for the corner of the parameter space. The bound is now an hour of
/// virtual time; this case must complete within it, in order, and drain.
#[test]
fn heavy_loss_with_rto_at_its_maximum_still_delivers_everything() {
    let sizes = [
        10273, 12757, 19020, 1970, 18066, 14969, 19340, 3019, 11397, 12510, 4645, 11598, 16200,
        4737, 9400, 10084, 322, 16792, 9006, 4447, 8049, 16976, 14263, 15527, 2727, 17452, 13021,
        11838, 3248, 5570, 8329, 3606, 11623, 12706, 9808, 10508,
    ];
    let path = PathCfg {
        loss: 0.289_180_351_808_496_66,
        dup: 0.047_222_786_475_560_97,
        reorder: 0.026_342_158_417_634_542,
        delay: Duration::from_millis(65),
    };
    let (p, msgs) = transfer(
        13_492_254_508_413_349_726,
        path,
        false,
        &sizes,
        SendOptions::default(),
    );
    check_reliable_ordered(&sizes, &msgs);
    let s = p.a.stats();
    assert_eq!(s.flight_bytes + s.queued_bytes, 0);
    assert_eq!(
        s.rto,
        Duration::from_secs(60).min(s.rto),
        "RTO.Max respected"
    );
}

/// Messages that fit a packet of their own travel whole: with three 1 KiB messages queued, the
/// second is not cut to fill the first packet's leftover room (it goes whole in the next). A
/// message larger than a packet is still cut to the packet, and small messages still bundle.
#[test]
fn whole_messages_are_not_cut_to_fill_a_packet() {
    let mut p = Pair::default_pair(41);
    p.connect();
    p.run_until(Duration::from_secs(1), |_| false);
    let data_chunks = |pkt: &[u8]| -> Vec<(u8, usize)> {
        // The pair negotiates zero checksums (RFC 9653).
        Packet::parse(pkt, true)
            .expect("our packet parses")
            .chunks()
            .filter_map(|c| match c.typ {
                typ::DATA => Some((c.flags & 3, c.value.len() - 12)),
                typ::I_DATA => Some((c.flags & 3, c.value.len() - 16)),
                _ => None,
            })
            .collect()
    };
    for i in 0..3 {
        p.a.send(0, 53, payload(i, 1024), SendOptions::default())
            .unwrap();
    }
    let mut packets = Vec::new();
    while let Some(pkt) = p.a.poll_transmit(p.now) {
        packets.push(data_chunks(&pkt));
    }
    // flags & 3 == 3: BEGIN and END, a whole message in one chunk.
    let whole: Vec<_> = packets.iter().flatten().collect();
    assert!(whole.len() >= 3, "{packets:?}");
    assert!(
        whole.iter().all(|&&(f, len)| f == 3 && len == 1024),
        "{packets:?}"
    );
    // Small messages still share a packet.
    for i in 0..4 {
        p.a.send(0, 53, payload(i, 100), SendOptions::default())
            .unwrap();
    }
    p.run_until(Duration::from_secs(1), |_| false);
    for i in 0..4 {
        p.a.send(0, 53, payload(i, 100), SendOptions::default())
            .unwrap();
    }
    let first = p.a.poll_transmit(p.now).map(|pkt| data_chunks(&pkt));
    assert_eq!(
        first.map(|c| c.len()),
        Some(4),
        "four small messages bundle"
    );
}
