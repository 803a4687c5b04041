//! The hostile-input sweep (issue 10): floods, forgeries and oversize input at every layer a
//! stranger or a misbehaving peer can reach. Each test checks the same four things: no panic,
//! memory bounded (live heap bytes measured by a counting allocator, per thread), the drop
//! counted, and the legitimate connection (where there is one) unharmed.

mod common;

#[path = "common/alloc.rs"]
mod alloc;

use common::base;
use common::pair::{Pair, a_addr, b_addr};
use proptest::prelude::*;
use sansrtc::rng::{Rng, RngRoot, Stream};
use sansrtc::stun::{Class, Method, StunAttribute, StunMessage, TransactionId};
use std::net::SocketAddr;
use std::time::Duration;

/// A stranger's address, different for each `i`.
fn stranger(i: u32) -> SocketAddr {
    let ip = std::net::Ipv4Addr::from(0xCB00_7100 | (i & 0xFF));
    SocketAddr::new(ip.into(), 1024 + (i >> 8) as u16 % 60000)
}

fn rng(seed: u64) -> Rng {
    RngRoot::from_seed(seed)
        .child("hostile", 0)
        .stream(Stream::Sim)
}

fn ufrag(sdp: &str) -> String {
    sdp.lines()
        .find_map(|l| l.strip_prefix("a=ice-ufrag:"))
        .expect("a ufrag")
        .trim()
        .to_string()
}

/// Live heap bytes of this thread while `f` runs `rounds` times, after the first `warm` rounds
/// (caches, queues and counters reach their steady size) and after all of them.
fn growth(warm: usize, rounds: usize, mut f: impl FnMut(usize)) -> isize {
    for i in 0..warm {
        f(i);
    }
    let before = alloc::live();
    for i in warm..rounds {
        f(i);
    }
    alloc::live() - before
}

/// Every transmit to a stranger is no larger than what the stranger sent (RFC 8489 §16.1.3's
/// amplification concern, made strict): checks and clears `stray`.
fn assert_no_amplification(p: &mut Pair, sent: &[(SocketAddr, usize)]) {
    for (_, t) in p.stray.drain(..) {
        let request = sent
            .iter()
            .filter(|(s, _)| *s == t.destination)
            .map(|(_, n)| *n)
            .min()
            .unwrap_or_else(|| panic!("a transmit to {} that sent nothing", t.destination));
        assert!(
            t.contents.len() <= request,
            "{} bytes answered {} bytes from a stranger",
            t.contents.len(),
            request
        );
    }
}

fn binding_request(rng: &mut Rng, attrs: Vec<StunAttribute>, key: Option<&[u8]>) -> Vec<u8> {
    let mut m = StunMessage::new(Class::Request, Method::BINDING, TransactionId::random(rng));
    m.attributes = attrs;
    let mut out = Vec::new();
    m.encode_with_key(key, &mut out).unwrap();
    out
}

/// STUN from strangers, 4 kinds × 5,000: bare requests, requests with a made-up username and
/// integrity, requests with the right username and a wrong password, and responses to no
/// transaction. Nothing is answered larger than the request, every one is counted, memory stays
/// flat, and the connection carries on.
#[test]
fn stun_floods_from_strangers_are_counted_unanswered_beyond_their_size_and_flat() {
    let mut p = Pair::with_seed(1, base());
    let mut r = rng(1);
    let b_ufrag = ufrag(&p.b.local_description().unwrap().sdp.to_string());
    let a_ufrag = ufrag(&p.a.local_description().unwrap().sdp.to_string());
    let before = p.b.stats().ice;
    let mut sent = Vec::new();
    let n = 20_000;
    let grew = growth(2_000, n, |i| {
        let from = stranger(i as u32);
        let d = match i % 4 {
            0 => binding_request(&mut r, vec![], None),
            1 => binding_request(
                &mut r,
                vec![
                    StunAttribute::Username(format!("x{i}:y{i}")),
                    StunAttribute::MessageIntegrity([0; 20]),
                    StunAttribute::Fingerprint,
                ],
                Some(b"guess"),
            ),
            2 => binding_request(
                &mut r,
                vec![
                    StunAttribute::Username(format!("{b_ufrag}:{a_ufrag}")),
                    StunAttribute::IceControlling(i as u64),
                    StunAttribute::Priority(1),
                    StunAttribute::UseCandidate,
                    StunAttribute::MessageIntegrity([0; 20]),
                    StunAttribute::Fingerprint,
                ],
                Some(b"not the password at all"),
            ),
            _ => {
                let mut m = StunMessage::new(
                    Class::SuccessResponse,
                    Method::BINDING,
                    TransactionId::random(&mut r),
                );
                m.attributes = vec![
                    StunAttribute::XorMappedAddress(from),
                    StunAttribute::Fingerprint,
                ];
                m.to_bytes().unwrap()
            }
        };
        sent.push((from, d.len()));
        p.inject_b(from, &d);
        p.deliver();
        // Keep the record of what was sent small: only this round's sources can be answered.
        assert_no_amplification(&mut p, &sent);
        sent.clear();
    });
    let after = p.b.stats().ice;
    let unauth = after.dropped_unauthenticated - before.dropped_unauthenticated;
    let unknown = after.dropped_unknown_transaction - before.dropped_unknown_transaction;
    assert_eq!(unauth, (n / 4 * 3) as u64, "{after:?}");
    assert_eq!(unknown, (n / 4) as u64, "{after:?}");
    assert_eq!(after.requests_received, before.requests_received);
    assert!(
        grew < 16 * 1024,
        "live heap grew {grew} bytes over 18,000 datagrams"
    );
    assert_eq!(p.b.selected_pair(), Some((b_addr(), a_addr())));
    p.assert_unharmed();
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    /// Arbitrary datagrams from a stranger (STUN-shaped or not) to a connected peer: no answer
    /// larger than the datagram, and the connection carries on.
    #[test]
    fn no_answer_to_a_stranger_is_larger_than_what_it_sent(
        seed in 0u64..4,
        datagrams in proptest::collection::vec(
            (any::<bool>(), any::<u8>(), proptest::collection::vec(any::<u8>(), 0..120)), 1..40),
    ) {
        let mut p = Pair::with_seed(100 + seed, base());
        let mut r = rng(seed);
        let mut sent = Vec::new();
        for (i, (stun, first, body)) in datagrams.into_iter().enumerate() {
            let from = stranger(i as u32);
            let d = if stun {
                // A Binding request with arbitrary attribute bytes after a valid header.
                let mut d = binding_request(&mut r, vec![], None);
                let len = (body.len() & !3) as u16;
                d[2..4].copy_from_slice(&len.to_be_bytes());
                d.extend_from_slice(&body[..len as usize]);
                d
            } else {
                let mut d = vec![first];
                d.extend_from_slice(&body);
                d
            };
            sent.push((from, d.len()));
            p.inject_b(from, &d);
            p.deliver();
        }
        assert_no_amplification(&mut p, &sent);
        p.assert_unharmed();
    }
}

/// A DTLS record header (RFC 6347 §4.1) followed by `body`.
fn record(content_type: u8, epoch: u16, seq: u64, len_field: Option<u16>, body: &[u8]) -> Vec<u8> {
    let mut d = vec![content_type, 0xFE, 0xFD];
    d.extend_from_slice(&epoch.to_be_bytes());
    d.extend_from_slice(&seq.to_be_bytes()[2..]);
    d.extend_from_slice(&len_field.unwrap_or(body.len() as u16).to_be_bytes());
    d.extend_from_slice(body);
    d
}

/// A ClientHello, as a fresh peer's DTLS client would send it.
fn client_hello(seed: u64) -> Vec<u8> {
    let mut q = Pair::negotiated(
        sansrtc::PeerConfig::new().seed(seed),
        sansrtc::PeerConfig::new().seed(seed + 1),
        base(),
        |s| s,
    );
    q.keep_wire = true;
    q.run_until(Duration::from_secs(10), |q| {
        q.wire.iter().any(|(_, w)| w.first() == Some(&22))
    });
    let (_, w) = q
        .wire
        .iter()
        .find(|(_, w)| w.first() == Some(&22))
        .expect("a ClientHello");
    w.to_vec()
}

/// Forged and oversize DTLS from the legitimate peer's own address (an off-path attacker
/// spoofing it, or the peer misbehaving) on a connected transport: records that cannot be framed
/// are dropped before DTLS and counted `dropped_malformed`; records DTLS refuses (bad MAC, stale
/// epoch, a new ClientHello or HelloRequest — renegotiation —, plaintext alerts, replays) are
/// discarded silently per RFC 6347 §4.1.2.7 and counted by reason (`dropped_auth`,
/// `dropped_replay`, `dropped_unexpected`, `renegotiation_refused`). None of it ends
/// the connection, delivers anything, or grows memory.
#[test]
fn dtls_forgeries_replays_and_renegotiation_are_discarded_and_counted() {
    let mut p = Pair::with_seed(3, base());
    p.keep_wire = true;
    p.a.send_text(p.channel, "once").unwrap();
    p.run_until(Duration::from_secs(2), |p| !p.b_got.is_empty());
    // The datagram that carried "once", to replay (the last application record a sent).
    let replay = p
        .wire
        .iter()
        .rev()
        .find(|(from, w)| *from == 'a' && w.first() == Some(&23))
        .map(|(_, w)| w.to_vec())
        .expect("an application record");
    p.keep_wire = false;
    let got = p.b_got.len();
    let hello = client_hello(77);
    let malformed: Vec<(&str, Vec<u8>)> = vec![
        (
            "length past the datagram",
            record(23, 1, 1001, Some(0xFFFF), &[1; 200]),
        ),
        (
            "record over 2^14 + 2048",
            record(23, 1, 1002, Some(0xFFF0), &vec![1; 0xFFF0]),
        ),
        ("truncated header", vec![23, 0xFE, 0xFD, 0]),
        ("unknown content type after a record", {
            let mut d = record(23, 1, 1003, None, &[1; 40]);
            d.extend_from_slice(&[99; 20]);
            d
        }),
        ("unified header with a connection id", vec![0x3F; 40]),
    ];
    let discarded: Vec<(&str, Vec<u8>)> = vec![
        (
            "application data failing authentication",
            record(23, 1, 1000, None, &[0x55; 100]),
        ),
        (
            "application data in epoch 0",
            record(23, 0, 1000, None, &[0x55; 100]),
        ),
        (
            "handshake garbage in epoch 1",
            record(22, 1, 1000, None, &[0x55; 100]),
        ),
        ("a new ClientHello (renegotiation)", hello),
        (
            "HelloRequest (renegotiation)",
            record(22, 0, 99, None, &[0; 12]),
        ),
        ("plaintext fatal alert", record(21, 0, 5, None, &[2, 40])),
        ("plaintext ChangeCipherSpec", record(20, 0, 6, None, &[1])),
        ("replayed application record", replay),
    ];
    let dtls = |p: &Pair| p.b.stats().dtls.unwrap();
    for (cases, malformed) in [(&malformed, true), (&discarded, false)] {
        for (name, d) in cases.iter() {
            let before = dtls(&p);
            p.inject_b(a_addr(), d);
            p.deliver();
            let after = dtls(&p);
            if malformed {
                assert_eq!(
                    after.dropped_malformed,
                    before.dropped_malformed + 1,
                    "{name}"
                );
            } else {
                let discarded = |s: &sansrtc::dtls::DtlsStats| {
                    s.dropped_auth
                        + s.dropped_replay
                        + s.dropped_unexpected
                        + s.renegotiation_refused
                };
                assert_eq!(discarded(&after), discarded(&before) + 1, "{name}");
            }
            assert_eq!(
                p.b.connection_state(),
                sansrtc::PeerConnectionState::Connected,
                "{name}"
            );
        }
    }
    // The lot again, many times: memory flat.
    let all: Vec<Vec<u8>> = malformed
        .iter()
        .chain(&discarded)
        .map(|(_, d)| d.clone())
        .collect();
    let grew = growth(all.len() * 50, all.len() * 500, |i| {
        p.inject_b(a_addr(), &all[i % all.len()]);
        p.deliver();
    });
    assert!(grew < 16 * 1024, "live heap grew {grew} bytes");
    assert_eq!(
        p.b_got.len(),
        got,
        "nothing forged or replayed was delivered"
    );
    assert!(p.stray.is_empty());
    p.assert_unharmed();
}

/// A remote description whose fingerprint does not match the certificate the peer presents
/// (RFC 8122 §5, RFC 8842 §5), with the checking side as DTLS client and as server: it fails as
/// soon as it sees the certificate, before its last flight, so the other side's handshake never
/// completes either. Both report a DTLS failure; no channel opens, nothing is delivered.
#[test]
fn dtls_wrong_fingerprint_fails_both_sides_and_delivers_nothing() {
    for setup in [sansrtc::sdp::Setup::Active, sansrtc::sdp::Setup::Passive] {
        let mut cb = sansrtc::PeerConfig::new().seed(42);
        cb.answer_setup = Some(setup);
        let mut p = Pair::negotiated(sansrtc::PeerConfig::new().seed(41), cb, base(), |sdp| {
            // Flip the first hex digit of the offerer's fingerprint.
            let at = sdp.find("a=fingerprint:sha-256 ").unwrap() + "a=fingerprint:sha-256 ".len();
            let mut s = sdp.into_bytes();
            s[at] = if s[at] == b'0' { b'1' } else { b'0' };
            String::from_utf8(s).unwrap()
        });
        p.run_for(Duration::from_secs(120));
        for (side, peer, events) in [('a', &p.a, &p.a_events), ('b', &p.b, &p.b_events)] {
            assert_eq!(
                peer.connection_state(),
                sansrtc::PeerConnectionState::Failed,
                "{setup:?} {side}"
            );
            assert!(
                events
                    .iter()
                    .any(|e| matches!(e, sansrtc::Event::Failed(sansrtc::PeerFailure::Dtls(_)))),
                "{setup:?} {side}: {events:?}"
            );
            assert!(
                !events.iter().any(|e| matches!(
                    e,
                    sansrtc::Event::ConnectionStateChange(sansrtc::PeerConnectionState::Connected)
                )),
                "{setup:?} {side} was never connected"
            );
        }
        assert!(p.b_channel.is_none() && !p.a_open);
        assert!(p.a_got.is_empty() && p.b_got.is_empty());
    }
}

mod sctp {
    //! SCTP reaches only the authenticated DTLS peer, so the attacker here is a misbehaving (or
    //! compromised) remote: packets are forged with the association's real verification tag
    //! where the attack needs it.

    use super::{alloc, growth};
    use bytes::Bytes;
    use sansrtc::rng::{RngRoot, Stream};
    use sansrtc::sctp::chunk::{ForwardTsn, ReconfigParam, Sack, Skipped, StreamList, typ};
    use sansrtc::sctp::{Association, Chunk, Packet, SctpConfig, SctpEvent, SendOptions, checksum};
    use std::time::{Duration, Instant};

    /// A chunk framed by hand (RFC 9260 §3.2: type, flags, length, value, zero padding to a
    /// multiple of 4), so the forgeries do not depend on the crate's own writer.
    fn write_chunk(
        out: &mut bytes::BytesMut,
        typ: u8,
        flags: u8,
        value: impl FnOnce(&mut bytes::BytesMut),
    ) {
        let start = out.len();
        out.extend_from_slice(&[typ, flags, 0, 0]);
        value(out);
        let len = u16::try_from(out.len() - start).expect("a chunk under 64 KiB");
        out[start + 2..start + 4].copy_from_slice(&len.to_be_bytes());
        while !(out.len() - start).is_multiple_of(4) {
            out.extend_from_slice(&[0]);
        }
    }

    pub(super) struct Assocs {
        pub a: Association,
        pub b: Association,
        pub now: Instant,
        /// The last packet a sent b, and the TSN of the last DATA in any of them.
        pub last_ab: Vec<u8>,
        pub last_tsn: u32,
        pub b_got: Vec<Bytes>,
    }

    impl Assocs {
        pub fn connected(seed: u64, ca: SctpConfig, cb: SctpConfig) -> Self {
            let now = common_now();
            let root = RngRoot::from_seed(seed);
            let mut p = Self {
                a: Association::new(ca, root.child("a", 0).stream(Stream::Sctp), now),
                b: Association::new(cb, root.child("b", 0).stream(Stream::Sctp), now),
                now,
                last_ab: Vec::new(),
                last_tsn: 0,
                b_got: Vec::new(),
            };
            p.a.connect(now);
            p.run_until(Duration::from_secs(10), |p| {
                p.a.is_established() && p.b.is_established()
            });
            assert!(p.a.is_established() && p.b.is_established());
            p.message(b"hello");
            p
        }

        fn step(&mut self) {
            let mut moved = false;
            while let Some(w) = self.a.poll_transmit(self.now) {
                if let Ok(pk) = Packet::parse(&w, true) {
                    for c in pk.chunks() {
                        if let Ok(Chunk::Data(d)) = Chunk::parse(c) {
                            self.last_tsn = d.tsn;
                        }
                    }
                }
                self.b.handle_packet(self.now, &w);
                self.last_ab = w;
                moved = true;
            }
            while let Some(w) = self.b.poll_transmit(self.now) {
                self.a.handle_packet(self.now, &w);
                moved = true;
            }
            while let Some(e) = self.b.poll_event() {
                if let SctpEvent::Message(m) = e {
                    self.b_got.push(m.data);
                }
            }
            while self.a.poll_event().is_some() {}
            if !moved {
                let next = [self.a.poll_timeout(), self.b.poll_timeout()]
                    .into_iter()
                    .flatten()
                    .min()
                    .unwrap_or(self.now);
                self.now = next.max(self.now + Duration::from_micros(1));
                self.a.handle_timeout(self.now);
                self.b.handle_timeout(self.now);
            }
        }

        pub fn run_until(&mut self, limit: Duration, mut done: impl FnMut(&Self) -> bool) {
            let end = self.now + limit;
            while !done(self) && self.now < end {
                self.step();
            }
        }

        /// One message a → b, which must arrive: the association is unharmed.
        pub fn message(&mut self, text: &'static [u8]) {
            let n = self.b_got.len();
            self.a
                .send(0, 51, Bytes::from_static(text), SendOptions::default())
                .unwrap();
            self.run_until(Duration::from_secs(5), |p| p.b_got.len() > n);
            assert_eq!(self.b_got.last().map(|b| &b[..]), Some(text));
            assert!(self.a.is_established() && self.b.is_established());
        }

        /// b's verification tag (what a puts in its packets).
        pub fn b_tag(&self) -> u32 {
            u32::from_be_bytes(self.last_ab[4..8].try_into().unwrap())
        }

        /// Hands b a packet with these chunks and this tag, as if from a.
        pub fn forge(&mut self, tag: u32, chunks: &[u8]) {
            let mut out = Vec::with_capacity(12 + chunks.len());
            out.extend_from_slice(&self.last_ab[0..4]);
            out.extend_from_slice(&tag.to_be_bytes());
            out.extend_from_slice(&[0; 4]);
            out.extend_from_slice(chunks);
            let crc = checksum(&out);
            out[8..12].copy_from_slice(&crc.to_le_bytes());
            self.b.handle_packet(self.now, &out);
            // Whatever b answers goes to a (a real association ignores what it cannot use).
            while let Some(w) = self.b.poll_transmit(self.now) {
                self.a.handle_packet(self.now, &w);
            }
        }
    }

    fn common_now() -> Instant {
        super::base()
    }

    /// 20,000 packets with wrong verification tags (every chunk kind that is not INIT) are
    /// dropped and counted one by one (RFC 9260 §8.5); 5,000 INITs on the established association
    /// are answered statelessly (§5.2.2, the INIT ACK carries a cookie, nothing is kept) and
    /// never restart it (that takes a COOKIE ECHO); memory flat; data flows after.
    #[test]
    fn wrong_tags_and_init_floods() {
        let mut p = Assocs::connected(1, SctpConfig::default(), SctpConfig::default());
        let tag = p.b_tag();
        let before = p.b.stats().dropped.bad_tag;
        let mut sack = bytes::BytesMut::new();
        Sack::write(
            &mut sack,
            p.last_tsn,
            1 << 20,
            std::iter::empty(),
            std::iter::empty(),
        );
        let mut kinds: Vec<Vec<u8>> = vec![sack.to_vec()];
        for t in [
            typ::HEARTBEAT,
            typ::ABORT,
            typ::SHUTDOWN,
            typ::COOKIE_ACK,
            typ::ERROR,
        ] {
            let mut c = bytes::BytesMut::new();
            write_chunk(&mut c, t, 0, |o| o.extend_from_slice(&[0; 8]));
            kinds.push(c.to_vec());
        }
        let n = 20_000;
        let grew = growth(2_000, n, |i| {
            let wrong = tag.wrapping_add(1 + i as u32);
            let k = &kinds[i % kinds.len()];
            p.forge(wrong, k);
        });
        assert_eq!(p.b.stats().dropped.bad_tag, before + n as u64);
        assert!(grew < 4096, "live heap grew {grew} bytes");
        p.message(b"after wrong tags");

        let sent_before = p.b.stats().packets_sent;
        let grew = growth(500, 5_000, |i| {
            let mut c = bytes::BytesMut::new();
            write_chunk(&mut c, typ::INIT, 0, |o| {
                sansrtc::sctp::chunk::Init {
                    initiate_tag: 0x1000 + i as u32,
                    a_rwnd: 1 << 20,
                    outbound_streams: 1024,
                    inbound_streams: 1024,
                    initial_tsn: i as u32,
                    params: Default::default(),
                }
                .write_fixed(o)
            });
            p.forge(0, &c);
        });
        assert!(grew < 4096, "live heap grew {grew} bytes");
        assert!(
            p.b.stats().packets_sent >= sent_before + 5_000,
            "each INIT answered"
        );
        p.message(b"after an INIT flood");
    }

    /// A message far past the receiver's cap (4 MiB against 64 KiB), fragmented, with DATA and
    /// with I-DATA: the receiver never holds more than the cap plus its window, discards the
    /// message and counts it, and the next message arrives.
    #[test]
    fn huge_fragmented_messages_past_the_cap() {
        for i_data in [true, false] {
            let ca = SctpConfig {
                i_data,
                max_send_message_bytes: 8 << 20,
                max_send_buffer_bytes: 8 << 20,
                ..SctpConfig::default()
            };
            let cb = SctpConfig {
                i_data,
                max_receive_message_bytes: 64 << 10,
                ..SctpConfig::default()
            };
            let window = cb.receive_window_bytes;
            let mut p = Assocs::connected(2, ca, cb);
            // Four huge messages in turn; memory is measured from the end of the first (buffers
            // have reached their working size) to the end of the last: it must not grow.
            let mut baseline = 0;
            for round in 0..4 {
                p.a.send(
                    0,
                    53,
                    Bytes::from(vec![7u8; 4 << 20]),
                    SendOptions::default(),
                )
                .unwrap();
                let mut most = 0;
                let end = p.now + Duration::from_secs(60);
                while p.a.stats().queued_bytes + p.a.stats().flight_bytes > 0 && p.now < end {
                    p.step();
                    most = most.max(p.b.held_bytes());
                }
                assert!(most <= (64 << 10) + window, "held {most} bytes");
                assert_eq!(p.b.stats().dropped.oversize_messages, round + 1);
                p.message(b"after a huge message");
                if round == 0 {
                    baseline = alloc::live();
                }
            }
            let grew = alloc::live() - baseline;
            assert!(
                grew < 16 * 1024,
                "live heap grew {grew} bytes over three huge messages"
            );
        }
    }

    /// FORWARD-TSNs whose new cumulative TSN lies beyond the TSN window, 10,000 of them, with
    /// skipped-stream entries: ignored, counted, memory flat, data flows after.
    #[test]
    fn forward_tsn_beyond_the_window() {
        let cfg = SctpConfig::default();
        let mut p = Assocs::connected(3, cfg.clone(), cfg);
        let tag = p.b_tag();
        let i_data = p.b.uses_i_data();
        let before = p.b.stats().dropped.out_of_window;
        let n = 10_000;
        let grew = growth(1_000, n, |i| {
            let mut c = bytes::BytesMut::new();
            let skipped = (0..8).map(|s| Skipped {
                stream: s,
                unordered: i % 2 == 0,
                mid: i as u32,
            });
            let far = p.last_tsn.wrapping_add(0x1_0000 + (i as u32 % 0x4000_0000));
            ForwardTsn::write(&mut c, i_data, far, skipped.collect::<Vec<_>>().into_iter());
            p.forge(tag, &c);
        });
        assert_eq!(p.b.stats().dropped.out_of_window, before + n as u64);
        assert!(grew < 4096, "live heap grew {grew} bytes");
        p.message(b"after forward-tsn");
    }

    /// 20,000 stream reset requests (RFC 6525) against an application that keeps polling: each
    /// answered, the event queue bounded when it does not poll, memory flat, data flows after on
    /// the streams nobody reset.
    #[test]
    fn stream_reset_storms() {
        let cfg = SctpConfig::default();
        let mut p = Assocs::connected(4, cfg.clone(), cfg);
        let tag = p.b_tag();
        let last_tsn = p.last_tsn;
        let streams = ReconfigParam::stream_bytes(&[7, 8, 9]);
        let sent_before = p.b.stats().packets_sent;
        let n = 20_000u32;
        let grew = growth(5_000, n as usize, |i| {
            let mut c = bytes::BytesMut::new();
            write_chunk(&mut c, typ::RE_CONFIG, 0, |o| {
                ReconfigParam::OutgoingReset {
                    request_seq: 0x4000_0000 + i as u32,
                    response_seq: 0,
                    last_tsn,
                    streams: StreamList::from_bytes(&streams),
                }
                .write(o)
            });
            p.forge(tag, &c);
        });
        // Measured once the event queue is full (4,096 events, the first 5,000 requests).
        assert!(grew < 4096, "live heap grew {grew} bytes");
        assert!(
            p.b.stats().packets_sent >= sent_before + u64::from(n),
            "each answered"
        );
        let mut events = 0;
        while p.b.poll_event().is_some() {
            events += 1;
        }
        assert!(events <= 4096, "{events} events queued");
        assert!(p.b.stats().dropped.events > 0, "the excess is counted");
        p.message(b"after a reset storm");
    }
}

mod turn {
    //! The TURN server against replays and floods: it keeps no state for anybody who has not
    //! proved a password, and a proof is bound to the client's address and the nonce's lifetime.

    use super::{growth, rng, stranger};
    use sansrtc::net::{Datagram, Protocol, Transmit};
    use sansrtc::rng::{RngRoot, Stream};
    use sansrtc::stun::{Class, MessageView, Method, StunAttribute, StunMessage, TransactionId};
    use sansrtc::turn::{
        TurnClient, TurnConfig, TurnCredentials, TurnEvent, TurnReceive, TurnServer,
        TurnServerConfig,
    };
    use std::collections::BTreeMap;
    use std::net::SocketAddr;
    use std::time::{Duration, Instant};

    fn a(s: &str) -> SocketAddr {
        s.parse().unwrap()
    }
    const SERVER: &str = "198.51.100.1:3478";
    const CLIENT: &str = "10.0.0.1:5000";
    const PEER: &str = "203.0.113.9:7000";

    struct World {
        now: Instant,
        client: TurnClient,
        server: TurnServer,
        /// Every request the client sent.
        wire: Vec<Vec<u8>>,
        events: Vec<TurnEvent>,
        got: Vec<Vec<u8>>,
        /// What the server sent to anyone other than the client.
        others: Vec<Transmit>,
    }

    impl World {
        fn new() -> Self {
            let now = super::base();
            let root = RngRoot::from_seed(9);
            let users = BTreeMap::from([("alice".to_owned(), "secret".to_owned())]);
            let mut w = Self {
                now,
                client: TurnClient::new(
                    TurnConfig::new(a(SERVER), "alice", "secret"),
                    a(CLIENT),
                    root.stream(Stream::Turn),
                    now,
                ),
                server: TurnServer::new(
                    TurnServerConfig::new(
                        "example.org",
                        TurnCredentials::Static(users),
                        1_700_000_000,
                    ),
                    root.stream(Stream::Server),
                    now,
                ),
                wire: Vec::new(),
                events: Vec::new(),
                got: Vec::new(),
                others: Vec::new(),
            };
            w.client.start(now);
            w.pump();
            assert!(w.relayed().is_some());
            w
        }

        fn relayed(&self) -> Option<SocketAddr> {
            self.events.iter().find_map(|e| match e {
                TurnEvent::Allocated { relayed, .. } => Some(*relayed),
                _ => None,
            })
        }

        fn pump(&mut self) {
            for _ in 0..100 {
                let mut moved = false;
                while let Some(t) = self.client.poll_transmit() {
                    self.wire.push(t.contents.to_vec());
                    self.server.handle_receive(self.now, t.as_datagram());
                    moved = true;
                }
                while let Some(t) = self.server.poll_transmit() {
                    moved = true;
                    if t.destination == a(CLIENT) {
                        if let TurnReceive::Data { data, .. } =
                            self.client.handle_receive(self.now, t.as_datagram())
                        {
                            self.got.push(data.to_vec());
                        }
                    } else {
                        self.others.push(t);
                    }
                }
                while let Some(e) = self.client.poll_event() {
                    self.events.push(e);
                }
                if !moved {
                    return;
                }
            }
        }

        fn advance(&mut self, d: Duration) {
            let end = self.now + d;
            while let Some(t) = [self.client.poll_timeout(), self.server.poll_timeout()]
                .into_iter()
                .flatten()
                .filter(|t| *t <= end)
                .min()
            {
                self.now = self.now.max(t);
                self.client.handle_timeout(self.now);
                self.server.handle_timeout(self.now);
                self.pump();
            }
            self.now = end;
        }

        /// Hands the server a datagram from `source`; returns its answers to `source`.
        fn inject(&mut self, source: SocketAddr, contents: &[u8]) -> Vec<Vec<u8>> {
            self.server.handle_receive(
                self.now,
                Datagram {
                    source,
                    destination: a(SERVER),
                    protocol: Protocol::Udp,
                    contents,
                },
            );
            let mut out = Vec::new();
            while let Some(t) = self.server.poll_transmit() {
                assert_eq!(t.destination, source, "an answer to someone else");
                out.push(t.contents.to_vec());
            }
            out
        }

        /// The legitimate allocation still relays both ways.
        fn assert_unharmed(&mut self) {
            let relayed = self.relayed().unwrap();
            self.client.send_to(a(PEER), b"to the peer");
            self.pump();
            assert!(
                self.others
                    .iter()
                    .any(|t| t.destination == a(PEER) && &t.contents[..] == b"to the peer"),
                "relayed out"
            );
            let n = self.got.len();
            self.server.handle_receive(
                self.now,
                Datagram {
                    source: a(PEER),
                    destination: relayed,
                    protocol: Protocol::Udp,
                    contents: b"from the peer",
                },
            );
            self.pump();
            assert_eq!(self.got.len(), n + 1, "relayed in");
            assert!(
                self.events
                    .iter()
                    .all(|e| !matches!(e, TurnEvent::Failed(_)))
            );
        }
    }

    fn error_code(d: &[u8]) -> Option<u16> {
        match StunMessage::parse(d)
            .ok()?
            .get(sansrtc::stun::AttributeType::ERROR_CODE)
        {
            Some(StunAttribute::ErrorCode { code, .. }) => Some(*code),
            _ => None,
        }
    }

    fn method(d: &[u8]) -> Option<Method> {
        MessageView::parse(d).ok().map(|v| v.method())
    }

    /// Every authenticated request the client made (Allocate, Refresh, CreatePermission,
    /// ChannelBind), replayed: from another address at once (401: the nonce is an HMAC over the
    /// client's address and its expiry, so it is not a nonce this server gave that address),
    /// and after the nonce's life from the client's own address (438 Stale Nonce, RFC 8489
    /// §9.2.4) and from another (401). Never obeyed, every refusal counted, the legitimate
    /// allocation untouched.
    #[test]
    fn replayed_credentials_and_stale_nonces_are_refused() {
        let mut w = World::new();
        w.client.send_to(a(PEER), b"permission please");
        w.pump();
        let authenticated: Vec<Vec<u8>> = w
            .wire
            .iter()
            .filter(|d| {
                MessageView::parse(d).is_ok_and(|v| {
                    v.class() == Class::Request
                        && v.get(sansrtc::stun::AttributeType::NONCE).is_some()
                })
            })
            .cloned()
            .collect();
        assert!(
            authenticated.len() >= 2,
            "Allocate and CreatePermission at least"
        );
        let allocations = w.server.allocation_count();
        let before = w.server.stats();
        let attacker = a("192.0.2.66:4444");
        let codes = |w: &mut World, from, d: &[u8]| -> Vec<Option<u16>> {
            w.inject(from, d).iter().map(|d| error_code(d)).collect()
        };
        for d in &authenticated {
            assert_eq!(codes(&mut w, attacker, d), [Some(401)], "{:?}", method(d));
        }
        assert_eq!(w.server.allocation_count(), allocations);
        w.assert_unharmed();
        // Eleven minutes on (the client refreshes meanwhile and stays allocated): the old
        // requests are stale from the client's own address too.
        w.advance(Duration::from_secs(11 * 60));
        let mid = w.server.stats();
        for d in &authenticated {
            assert_eq!(codes(&mut w, a(CLIENT), d), [Some(438)], "{:?}", method(d));
            assert_eq!(codes(&mut w, attacker, d), [Some(401)], "{:?}", method(d));
        }
        let after = w.server.stats();
        let n = authenticated.len() as u64;
        assert_eq!(mid.unauthorized - before.unauthorized, n);
        assert_eq!(after.unauthorized - mid.unauthorized, n);
        assert_eq!(after.stale_nonces - mid.stale_nonces, n);
        assert_eq!(w.server.allocation_count(), allocations);
        w.assert_unharmed();
    }

    /// 20,000 unauthenticated Allocates from as many sources: each gets the same fixed-size
    /// 401 challenge, the server allocates nothing and keeps nothing (memory flat), the
    /// challenges are counted, and the legitimate allocation carries on. The challenge is larger
    /// than a bare Allocate (TURN's 401 must carry REALM and NONCE, RFC 8656 §7.2: 108 bytes to
    /// 28 here), bounded at a fixed size whatever the request; any other error to a stranger is
    /// sent only when no larger than its request.
    #[test]
    fn unauthenticated_allocate_flood_keeps_no_state() {
        let mut w = World::new();
        let mut r = rng(5);
        let before = w.server.stats().unauthorized;
        let allocations = w.server.allocation_count();
        let mut largest = 0;
        let n = 20_000;
        let grew = growth(2_000, n, |i| {
            let mut m = StunMessage::new(
                Class::Request,
                Method::ALLOCATE,
                TransactionId::random(&mut r),
            );
            m.attributes.push(StunAttribute::RequestedTransport(17));
            let d = m.to_bytes().unwrap();
            let answers = w.inject(stranger(i as u32), &d);
            assert_eq!(answers.len(), 1);
            assert_eq!(error_code(&answers[0]), Some(401));
            largest = largest.max(answers[0].len());
        });
        assert!(grew < 4096, "live heap grew {grew} bytes");
        assert_eq!(w.server.stats().unauthorized - before, n as u64);
        assert_eq!(w.server.allocation_count(), allocations);
        assert!(largest <= 160, "challenge of {largest} bytes");
        // A bare request of a method TURN does not know would draw a 40-byte 400: not sent.
        let amp = w.server.stats().dropped_amplification;
        for i in 0..1000u32 {
            let m = StunMessage::new(
                Class::Request,
                Method::new(0x0FF).unwrap(),
                TransactionId::random(&mut r),
            );
            assert!(w.inject(stranger(i), &m.to_bytes().unwrap()).is_empty());
        }
        assert_eq!(w.server.stats().dropped_amplification - amp, 1000);
        w.assert_unharmed();
    }
}

/// Remote descriptions past every limit (`SdpLimits`: bytes, lines, attributes, media
/// sections) and trickled candidates past ICE's: refused with the limit named, before anything
/// is stored (memory flat over many), the signaling state untouched, and the connection that
/// was up carries on. Descriptions within the byte limit but with more candidates than ICE takes
/// are accepted with the excess dropped and counted.
#[test]
fn sdp_past_every_limit_is_refused_and_changes_nothing() {
    use sansrtc::sdp::{SdpError, SdpType, SignalingState};
    let mut p = Pair::with_seed(5, base());
    let offer = p.a.local_description().unwrap().sdp.to_string();
    let (head, media) = offer.split_at(offer.find("m=").unwrap());
    let too_large = format!(
        "{offer}{}",
        "a=x-pad:".to_owned() + &"y".repeat(70_000) + "\r\n"
    );
    let too_many_lines = format!("{offer}{}", "b=AS:1\r\n".repeat(5_000));
    let too_many_attributes = format!("{offer}{}", "a=x\r\n".repeat(2_100));
    let too_many_media = format!("{head}{}", media.repeat(130));
    let cases = [
        (too_large, "TooLarge"),
        (too_many_lines, "TooManyLines"),
        (too_many_attributes, "TooManyAttributes"),
        (too_many_media, "TooManyMedia"),
    ];
    let check = |p: &mut Pair, sdp: &str, want: &str| {
        let e = p.b.set_remote_sdp(SdpType::Offer, sdp).unwrap_err();
        let SdpError::Parse(e) = &e else {
            panic!("{want}: {e:?}")
        };
        let kind = format!("{:?}", e.kind);
        assert!(kind.starts_with(want), "{want}: {kind}");
        assert_eq!(p.b.signaling_state(), SignalingState::Stable);
    };
    for (sdp, want) in &cases {
        check(&mut p, sdp, want);
    }
    let grew = growth(20, 200, |i| {
        let (sdp, want) = &cases[i % cases.len()];
        check(&mut p, sdp, want);
    });
    assert!(grew < 4096, "live heap grew {grew} bytes");
    p.assert_unharmed();

    // Candidates: 10,000 trickled to a connected peer. ICE keeps at most its limit.
    let before = p.b.stats().ice.dropped_candidates;
    let mut refused = 0;
    let grew = growth(1_000, 10_000, |i| {
        let c = format!(
            "candidate:{i} 1 udp {} 198.18.{}.{} {} typ host",
            2_000_000_000 - i,
            (i >> 8) & 0xFF,
            i & 0xFF,
            1024 + i
        );
        refused += usize::from(p.b.add_remote_candidate(&c).is_err());
    });
    let dropped = p.b.stats().ice.dropped_candidates - before;
    assert!(grew < 4096, "live heap grew {grew} bytes");
    assert!(
        dropped >= 9_000 && refused >= 9_000,
        "dropped {dropped}, refused {refused}"
    );
    p.assert_unharmed();
}

/// An offer inside the byte limit carrying 1,000 candidates (60 bytes each, inside the 64 KiB limit): applied, ICE keeps its limit and
/// counts the rest, and the session still connects.
#[test]
fn sdp_with_thousands_of_candidates_connects_with_the_excess_counted() {
    let mut p = Pair::negotiated(
        sansrtc::PeerConfig::new().seed(61),
        sansrtc::PeerConfig::new().seed(62),
        base(),
        |sdp| {
            let extra: String = (0..1_000)
                .map(|i| {
                    format!(
                        "a=candidate:{i} 1 udp {} 198.19.{}.{} 9 typ host\r\n",
                        1_000 + i,
                        i >> 8,
                        i & 0xFF
                    )
                })
                .collect();
            // After the real candidate: ICE keeps the first it is given (see the notes).
            let at = sdp.find("a=candidate").unwrap();
            let at = at + sdp[at..].find("\r\n").unwrap() + 2;
            format!("{}{extra}{}", &sdp[..at], &sdp[at..])
        },
    );
    assert!(p.b.remote_description().is_some(), "the offer was applied");
    let dropped = p.b.stats().ice.dropped_candidates;
    assert!(dropped >= 800, "dropped {dropped}");
    p.run_until(Duration::from_secs(60), |p| {
        p.a_open && p.b_channel.is_some()
    });
    p.assert_unharmed();
}

/// A handshake record with `message_seq` and a 20-byte body fragment (RFC 6347 §4.2.2).
fn handshake_fragment(msg_type: u8, message_seq: u16, offset: u32, seq: u64) -> Vec<u8> {
    let mut h = vec![msg_type];
    h.extend_from_slice(&1000u32.to_be_bytes()[1..]); // length
    h.extend_from_slice(&message_seq.to_be_bytes());
    h.extend_from_slice(&offset.to_be_bytes()[1..]);
    h.extend_from_slice(&20u32.to_be_bytes()[1..]); // fragment length
    h.extend_from_slice(&[0xAB; 20]);
    record(22, 0, seq, None, &h)
}

/// A burst of forged handshake fragments from the peers' own addresses while their handshake is
/// in progress (the handshake is unauthenticated until Finished): fragments more than six
/// messages ahead of the next expected one are discarded by reassembly (RFC 6347 §4.2.2 "MAY
/// discard"; a flight holds at most six) and counted `dropped_fragments`; a server still waiting
/// for its ClientHello counts anything else `dropped_unexpected`; a fragment reaching past its
/// message's length is `dropped_malformed`. Nothing is buffered for them and the handshake
/// completes. (A forger who also guesses the exact next message number and offset
/// can still spoil a handshake: DTLS 1.2 offers nothing against that. See the notes.)
#[test]
fn dtls_handshake_survives_a_burst_of_forged_fragments() {
    let mut p = Pair::negotiated(
        sansrtc::PeerConfig::new().seed(71),
        sansrtc::PeerConfig::new().seed(72),
        base(),
        |s| s,
    );
    p.keep_wire = true;
    // Until the first DTLS datagram (the ClientHello) crosses.
    p.run_until(Duration::from_secs(10), |p| {
        p.wire.iter().any(|(_, w)| w.first() == Some(&22))
    });
    let mut forged = 0;
    for i in 0..300u16 {
        // Far past any handshake, and within reach but well ahead of the flight.
        let seq = if i % 2 == 0 { 100 + i } else { 9 + i % 8 };
        let d = handshake_fragment(11, seq, 20 * u32::from(i), 1000 + u64::from(i));
        p.inject_b(a_addr(), &d);
        p.a.handle_receive(
            p.now,
            sansrtc::Datagram {
                source: b_addr(),
                destination: a_addr(),
                protocol: sansrtc::Protocol::Udp,
                contents: &d,
            },
        );
        forged += 1;
    }
    p.run_until(Duration::from_secs(60), |p| {
        p.a_open && p.b_channel.is_some()
    });
    for peer in [&p.a, &p.b] {
        let d = peer.stats().dtls.unwrap();
        // Fragments reaching past their message's length (offsets 1000 and up) are malformed.
        assert_eq!(
            d.dropped_malformed + d.dropped_fragments + d.dropped_unexpected,
            forged,
            "{d:?}"
        );
        assert_eq!(d.dropped_malformed, 250, "{d:?}");
    }
    p.assert_unharmed();
}
