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
use sansrtc::stun::{Attribute, Class, Message, Method, TransactionId};
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

fn binding_request(rng: &mut Rng, attrs: Vec<Attribute>, key: Option<&[u8]>) -> Vec<u8> {
    let mut m = Message::new(Class::Request, Method::BINDING, TransactionId::random(rng));
    m.attributes = attrs;
    let mut out = Vec::new();
    m.encode_with_key(key, &mut out);
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
                    Attribute::Username(format!("x{i}:y{i}")),
                    Attribute::MessageIntegrity([0; 20]),
                    Attribute::Fingerprint,
                ],
                Some(b"guess"),
            ),
            2 => binding_request(
                &mut r,
                vec![
                    Attribute::Username(format!("{b_ufrag}:{a_ufrag}")),
                    Attribute::IceControlling(i as u64),
                    Attribute::Priority(1),
                    Attribute::UseCandidate,
                    Attribute::MessageIntegrity([0; 20]),
                    Attribute::Fingerprint,
                ],
                Some(b"not the password at all"),
            ),
            _ => {
                let mut m = Message::new(
                    Class::SuccessResponse,
                    Method::BINDING,
                    TransactionId::random(&mut r),
                );
                m.attributes = vec![Attribute::XorMappedAddress(from), Attribute::Fingerprint];
                m.to_bytes()
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
/// discarded silently per RFC 6347 §4.1.2.7 and counted `dropped_discarded`. None of it ends
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
                assert_eq!(
                    after.dropped_discarded,
                    before.dropped_discarded + 1,
                    "{name}"
                );
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
