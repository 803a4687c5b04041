//! Fuzz target logic, compiled into the crate so the cargo-fuzz shims in `fuzz/` stay one line
//! and `cargo test` replays every committed corpus file through the same code.
//!
//! Enabled by the `fuzzing` feature (and in the crate's own tests).

use crate::ice::{Candidate, CandidateKind, Credentials, IceAgent, IceConfig};
use crate::net::{Datagram, Protocol};
use crate::rng::RngRoot;
use crate::stun::{Class, MessageView, Method, StunAttribute, StunMessage, TransactionId};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

mod media_rtcp;
mod media_rtp;
mod media_srtp;

pub use media_rtcp::rtcp;
pub use media_rtp::{rtp, rtp_extensions};
pub use media_srtp::srtp_unprotect;

/// `stun`: whatever parses re-encodes, and the encoding re-parses to the same message; the
/// zero-copy view and the decoded value agree on what is valid.
pub fn stun(data: &[u8]) {
    let view = MessageView::parse(data);
    let Ok(view) = view else {
        // Nothing the view rejects may decode.
        assert!(
            StunMessage::parse(data).is_err(),
            "view rejects what decode accepts"
        );
        return;
    };
    let _ = view.unknown_comprehension_required();
    let _ = view.verify_integrity(b"fuzz");
    if let Ok(message) = view.to_message() {
        let bytes = message.to_bytes().expect(
            "invariant: a parsed message's body fit its 16-bit length, and encoding is canonical",
        );
        assert_eq!(
            bytes.len(),
            message.encoded_len(),
            "encoded_len agrees with encode"
        );
        let again = StunMessage::parse(&bytes).expect("what we encode parses");
        assert_eq!(again, message, "round trip");
        assert_eq!(
            again.to_bytes().expect("invariant: as above"),
            bytes,
            "encoding is canonical"
        );
    }
}

/// `ice_agent`: one agent fed arbitrary datagrams (raw, and authenticated Binding requests so the
/// fuzzer gets past MESSAGE-INTEGRITY), remote candidates, restarts and time steps. Its
/// deadlines must never lie in the past after `handle_timeout`, and it must never panic.
pub fn ice_agent(data: &[u8], base: Instant) {
    let Some((&flags, mut rest)) = data.split_first() else {
        return;
    };
    let mut now = base;
    let config = IceConfig {
        controlling: flags & 1 != 0,
        lite: flags & 2 != 0,
        stun_servers: vec![SocketAddr::from(([192, 0, 2, 1], 3478))],
        ..IceConfig::default()
    };
    let mut agent = IceAgent::new(config, &RngRoot::from_seed(u64::from(flags)), now);
    let local = SocketAddr::from(([10, 0, 0, 1], 5000));
    agent.add_local_address(local);
    agent.set_remote_credentials(Credentials {
        ufrag: "rf".into(),
        pwd: "remote-pwd".into(),
    });
    let peer = |b: u8| SocketAddr::from(([10, 1, 0, b & 7], 6000));
    while let Some((&op, tail)) = rest.split_first() {
        rest = tail;
        let take = |rest: &mut &[u8], n: usize| -> Vec<u8> {
            let n = n.min(rest.len());
            let (h, t) = rest.split_at(n);
            *rest = t;
            h.to_vec()
        };
        match op % 7 {
            0 => {
                let b = take(&mut rest, 2);
                let ms = u64::from(u16::from_be_bytes([
                    b.first().copied().unwrap_or(0),
                    b.get(1).copied().unwrap_or(0),
                ]));
                now += Duration::from_millis(ms);
                agent.handle_timeout(now);
                // No spinning: at a fixed `now`, firing what is due must eventually move every
                // deadline past `now` (a deadline that stays due forever is a livelock).
                let mut rounds = 0;
                while agent.poll_timeout().is_some_and(|d| d <= now) {
                    agent.handle_timeout(now);
                    while agent.poll_transmit().is_some() {}
                    rounds += 1;
                    assert!(rounds < 100, "deadline stays due at a fixed now: livelock");
                }
            }
            1 => {
                let len = take(&mut rest, 1).first().copied().unwrap_or(0) as usize;
                let bytes = take(&mut rest, len);
                let d = Datagram {
                    source: peer(op),
                    destination: local,
                    protocol: Protocol::Udp,
                    contents: &bytes,
                };
                agent.handle_receive(now, d);
            }
            2 => {
                let b = take(&mut rest, 5);
                let prio = u32::from_be_bytes([
                    0,
                    b.first().copied().unwrap_or(0),
                    b.get(1).copied().unwrap_or(0),
                    1,
                ]);
                agent.add_remote_candidate(Candidate::remote(
                    CandidateKind::Host,
                    peer(b.get(2).copied().unwrap_or(0)),
                    prio,
                    "f",
                ));
            }
            3 => {
                // An authenticated request, with fuzzed role and nomination.
                let b = take(&mut rest, 3);
                let mut m = StunMessage::new(
                    Class::Request,
                    Method::BINDING,
                    TransactionId([b.first().copied().unwrap_or(0); 12]),
                );
                m.attributes.push(StunAttribute::Username(format!(
                    "{}:rf",
                    agent.local_credentials().ufrag
                )));
                m.attributes.push(StunAttribute::Priority(
                    u32::from(b.get(1).copied().unwrap_or(0)) << 20,
                ));
                let tb = u64::from(b.get(2).copied().unwrap_or(0));
                m.attributes.push(if tb & 1 == 0 {
                    StunAttribute::IceControlling(tb)
                } else {
                    StunAttribute::IceControlled(tb)
                });
                if tb & 2 != 0 {
                    m.attributes.push(StunAttribute::UseCandidate);
                }
                m.attributes.push(StunAttribute::MessageIntegrity([0; 20]));
                m.attributes.push(StunAttribute::Fingerprint);
                let pwd = agent.local_credentials().pwd.clone();
                let bytes = m
                    .to_bytes_with_key(pwd.as_bytes())
                    .expect("invariant: a check of a few bounded attributes");
                agent.handle_receive(
                    now,
                    Datagram {
                        source: peer(op >> 3),
                        destination: local,
                        protocol: Protocol::Udp,
                        contents: &bytes,
                    },
                );
            }
            4 => agent.restart(now),
            5 => agent.end_of_remote_candidates(),
            _ => {
                // Answer the last check the agent sent, authenticated, from a fuzzed address.
                while let Some(t) = agent.poll_transmit() {
                    let Ok(view) = MessageView::parse(&t.contents) else {
                        continue;
                    };
                    if view.class() != Class::Request {
                        continue;
                    }
                    let mut r = StunMessage::new(
                        Class::SuccessResponse,
                        Method::BINDING,
                        view.transaction_id(),
                    );
                    r.attributes.push(StunAttribute::XorMappedAddress(t.source));
                    r.attributes.push(StunAttribute::MessageIntegrity([0; 20]));
                    let bytes = r
                        .to_bytes_with_key(b"remote-pwd")
                        .expect("invariant: a response of a few bounded attributes");
                    let source = if op & 8 == 0 { t.destination } else { peer(op) };
                    agent.handle_receive(
                        now,
                        Datagram {
                            source,
                            destination: t.source,
                            protocol: Protocol::Udp,
                            contents: &bytes,
                        },
                    );
                }
            }
        }
        while agent.poll_transmit().is_some() {}
        while agent.poll_event().is_some() {}
    }
}

/// A fuzz target: takes arbitrary bytes, panics only on a bug. Targets that run protocol time
/// take a base instant to add to (the caller's one clock read: the `fuzz/` shims read it, the
/// corpus replay uses the tests' base), so this module reads no clock.
pub type Target = fn(&[u8], Instant);

/// `sdp`: whatever parses writes and re-parses equal (and the writing is canonical); a parsed
/// description applied as a remote offer or answer and answered never panics; trickled
/// candidate strings parse or fail cleanly.
pub fn sdp(data: &[u8]) {
    use crate::sdp::SessionDescription;
    use crate::sdp::{Description, Jsep, JsepConfig, LocalParams, SdpCandidate, SdpType};
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(c) = text.parse::<SdpCandidate>() {
        assert_eq!(
            c.to_string().parse::<SdpCandidate>(),
            Ok(c),
            "candidate round trip"
        );
    }
    let Ok(sd) = SessionDescription::parse(text) else {
        return;
    };
    let written = sd.to_string();
    let again = SessionDescription::parse(&written).expect("what we write parses");
    assert_eq!(again, sd, "round trip");
    assert_eq!(again.to_string(), written, "writing is canonical");
    let mut rng = RngRoot::from_seed(1).stream(crate::rng::Stream::Sdp);
    let local = LocalParams {
        credentials: Credentials {
            ufrag: "fuzz".into(),
            pwd: "fuzz-password-0123456789".into(),
        },
        fingerprints: Vec::new(),
        candidates: Vec::new(),
        end_of_candidates: false,
        data_channel: true,
        media: Vec::new(),
    };
    let mut j = Jsep::new(JsepConfig::default(), &mut rng);
    if j.set_remote_description(Description {
        kind: SdpType::Offer,
        sdp: sd.clone(),
    })
    .is_ok()
    {
        let _ = j.remote_transport();
        let answer = j
            .create_answer(&local)
            .expect("answering in have-remote-offer");
        assert!(
            SessionDescription::parse(&answer.to_string()).is_ok(),
            "our answer parses"
        );
    }
    let mut j = Jsep::new(JsepConfig::default(), &mut rng);
    let offer = j.create_offer(&local).expect("offer in stable");
    j.set_local_description(Description {
        kind: SdpType::Offer,
        sdp: offer,
    })
    .expect("ours");
    let _ = j.set_remote_description(Description {
        kind: SdpType::Answer,
        sdp: sd,
    });
    let _ = j.remote_transport();
    let _ = j.is_dtls_client();
}

/// `dtls`: a client and a server transport exchange their real datagrams while the input
/// injects arbitrary records into either side, corrupts real datagrams in flight, and advances
/// time — during and after the handshake. Nothing may panic, and a side that fails must stop
/// producing data events.
pub fn dtls(data: &[u8], base: Instant) {
    use crate::dtls::{DtlsEvent, DtlsRole, DtlsState, DtlsTransport, FingerprintHash};
    use crate::rng::Stream;
    let mut now = base;
    let root = RngRoot::from_seed(1);
    let (ctx, cc, sc) = dtls_fixtures();
    let mut sides = [
        DtlsTransport::new(
            ctx,
            cc,
            DtlsRole::Client,
            Some(vec![sc.fingerprint(FingerprintHash::Sha256)]),
            root.child("c", 0).stream(Stream::Dtls),
        ),
        DtlsTransport::new(
            ctx,
            sc,
            DtlsRole::Server,
            Some(vec![cc.fingerprint(FingerprintHash::Sha256)]),
            root.child("s", 0).stream(Stream::Dtls),
        ),
    ];
    let mut input = data;
    let mut steps = 0;
    let mut failed = [false; 2];
    while let Some((&op, rest)) = input.split_first() {
        input = rest;
        steps += 1;
        if steps > 256 {
            break;
        }
        let side = usize::from(op & 1);
        match op >> 1 & 3 {
            // Arbitrary bytes into one side.
            0 => {
                let n = usize::from(input.first().copied().unwrap_or(0))
                    .min(input.len().saturating_sub(1));
                let record = input.get(1..1 + n).unwrap_or_default();
                input = input.get(1 + n..).unwrap_or_default();
                sides[side].handle_receive(now, record);
            }
            // Deliver the real datagrams of one side, one byte of each flipped if asked.
            1 | 2 => {
                let corrupt = op >> 1 & 3 == 2;
                let at = usize::from(input.first().copied().unwrap_or(0));
                input = input.get(1..).unwrap_or_default();
                while let Some(d) = sides[side].poll_transmit(now) {
                    let mut d = bytes::BytesMut::from(&d[..]);
                    if corrupt && !d.is_empty() {
                        let i = at % d.len();
                        d[i] ^= 0x5A;
                    }
                    if op & 8 == 0 {
                        // The owned path (opened inside this buffer).
                        sides[1 - side].handle_receive_buf(now, d);
                    } else {
                        // Borrowed, with a sink as the Peer's: once connected, application
                        // records are opened out of the datagram and lent or kept.
                        let mut sink = FuzzSink {
                            keep: op & 16 != 0,
                            records: 0,
                        };
                        sides[1 - side].handle_receive_into(now, &d, &mut sink);
                        assert!(
                            !(failed[1 - side] && sink.records > 0),
                            "data after failure"
                        );
                    }
                }
            }
            // Time passes; once connected, a side may send.
            _ => {
                now += Duration::from_millis(u64::from(op >> 3) * 50);
                for s in sides.iter_mut() {
                    s.handle_timeout(now);
                    if s.state() == DtlsState::Connected {
                        let _ = s.send(b"ping");
                    }
                }
            }
        }
        for (s, failed) in sides.iter_mut().zip(&mut failed) {
            while let Some(e) = s.poll_event() {
                assert!(
                    !(*failed && matches!(e, DtlsEvent::Data(_))),
                    "data after failure"
                );
                *failed |= matches!(e, DtlsEvent::Failed(_));
            }
            if s.state() == DtlsState::Failed {
                assert!(
                    s.poll_timeout().is_none(),
                    "a failed transport has no timer"
                );
                // Its fatal alert (RFC 5246 §7.2.2) may still be queued; nothing else.
                while let Some(d) = s.poll_transmit(now) {
                    assert_eq!(
                        d.first(),
                        Some(&21),
                        "a failed transport sends only its alert"
                    );
                }
            }
        }
    }
}

/// A record sink for the `dtls` target: keeps or lends as told, checks what it is handed.
struct FuzzSink {
    keep: bool,
    records: usize,
}

impl crate::dtls::RecordSink for FuzzSink {
    fn keeps(&mut self, _: &[u8]) -> bool {
        self.keep
    }
    fn record(&mut self, record: &[u8], shared: Option<(&bytes::Bytes, std::ops::Range<usize>)>) {
        if let Some((b, r)) = shared {
            assert_eq!(b.get(r), Some(record), "a shared record is its range");
        }
        self.records += 1;
    }
}

/// `dtls_message`: every DTLS handshake message codec and the hello extensions: what parses
/// re-encodes to what parses to the same value.
pub fn dtls_message(data: &[u8]) {
    crate::dtls::message::fuzz_parse_all(data);
}

/// `dtls_record`: record framing and live epoch-1 ciphers (each AEAD) opening arbitrary records
/// in place, with the replay window; and every input sealed as a record opens back to itself.
pub fn dtls_record(data: &[u8]) {
    use crate::dtls::crypto::AeadAlg;
    use crate::dtls::record::{HEADER_LEN, RecordCipher, RecordHeader, ReplayWindow, content};
    let ciphers = [
        RecordCipher::new(AeadAlg::Aes128Gcm, &[1; 16], &[2; 4]),
        RecordCipher::new(AeadAlg::Aes256Gcm, &[3; 32], &[4; 4]),
        RecordCipher::new(AeadAlg::ChaCha20Poly1305, &[5; 32], &[6; 12]),
    ];
    let mut window = ReplayWindow::default();
    let mut buf = data.to_vec();
    let mut pos = 0;
    while pos < buf.len() {
        let Some(h) = RecordHeader::parse(&buf[pos..]) else {
            break;
        };
        let body = pos + HEADER_LEN..pos + HEADER_LEN + usize::from(h.length);
        pos = body.end;
        let fresh = window.is_fresh(h.seq);
        let c = &ciphers[usize::from(h.epoch) % ciphers.len()];
        // Out of place first (the body is left as it was), then in place: the same verdict
        // and the same plaintext.
        let mut out = vec![0u8; body.len()];
        let outside = c.open_to(&h, &buf[body.clone()], &mut out);
        let inside = c.open(&h, &mut buf[body.clone()]);
        match (&outside, &inside) {
            (Ok(n), Ok(r)) => {
                assert_eq!(&out[..*n], &buf[body.start + r.start..body.start + r.end])
            }
            (Err(_), Err(_)) => {}
            _ => panic!("out of place and in place disagree"),
        }
        if let Ok(r) = inside {
            assert!(r.end <= body.len(), "plaintext within the body");
            if fresh {
                window.mark(h.seq);
                assert!(!window.is_fresh(h.seq), "a marked record is not fresh");
            }
        }
    }
    // Seal the input as a record's plaintext: it opens to itself.
    let plain = &data[..data.len().min(record_plain_max())];
    for c in &ciphers {
        let mut rec = vec![0u8; HEADER_LEN + c.overhead() + plain.len()];
        let p = HEADER_LEN + c.prefix_len();
        rec[p..p + plain.len()].copy_from_slice(plain);
        let h = RecordHeader {
            content_type: content::APPLICATION_DATA,
            version: 0xFEFD,
            epoch: 1,
            seq: data.len() as u64,
            length: 0,
        };
        c.seal(h, &mut rec);
        let parsed = RecordHeader::parse(&rec).expect("a sealed record frames");
        let (head, body) = rec.split_at_mut(HEADER_LEN);
        let _ = head;
        let mut out = vec![0u8; body.len()];
        let n = c
            .open_to(&parsed, body, &mut out)
            .expect("a sealed record opens out of place");
        assert_eq!(&out[..n], plain);
        let r = c.open(&parsed, body).expect("a sealed record opens");
        assert_eq!(&body[r], plain);
    }
}

fn record_plain_max() -> usize {
    crate::dtls::record::MAX_PLAINTEXT
}

/// The DTLS context and certificates are the same for every input; make them once.
fn dtls_fixtures() -> (
    &'static crate::dtls::DtlsContext,
    &'static crate::dtls::Certificate,
    &'static crate::dtls::Certificate,
) {
    use crate::dtls::{Certificate, DtlsConfig, DtlsContext};
    use crate::rng::Stream;
    use std::sync::OnceLock;
    static FIXTURES: OnceLock<(DtlsContext, Certificate, Certificate)> = OnceLock::new();
    let (ctx, c, s) = FIXTURES.get_or_init(|| {
        let root = RngRoot::from_seed(1);
        (
            DtlsContext::new(DtlsConfig::default()),
            Certificate::generate(&mut root.child("c", 0).stream(Stream::Certificate)),
            Certificate::generate(&mut root.child("s", 0).stream(Stream::Certificate)),
        )
    });
    (ctx, c, s)
}

/// `sctp_chunk`: the input is the chunk area of an SCTP packet (the target adds a header and a
/// valid checksum, so the fuzzer need not find CRCs). Every chunk that parses re-encodes to a
/// chunk that parses to the same value.
pub fn sctp_chunk(data: &[u8]) {
    use crate::sctp::chunk::{self, Chunk, ForwardTsn, ReconfigParam, Sack, typ};
    use crate::sctp::{ChunkView, Packet};
    let _ = Packet::parse(data, false);
    let _ = Packet::parse(data, true);
    let mut pkt = vec![0x13, 0x88, 0x13, 0x88, 0, 0, 0, 1, 0, 0, 0, 0];
    pkt.extend_from_slice(data);
    let crc = crate::sctp::checksum(&pkt);
    pkt[8..12].copy_from_slice(&crc.to_le_bytes());
    let Ok(p) = Packet::parse(&pkt, false) else {
        return;
    };
    fn reparse(buf: &[u8]) -> Chunk<'_> {
        let len = usize::from(u16::from_be_bytes([buf[2], buf[3]]));
        let v = ChunkView {
            typ: buf[0],
            flags: buf[1],
            value: &buf[4..len],
        };
        Chunk::parse(v).expect("what we encode parses")
    }
    for v in p.chunks() {
        let Ok(c) = Chunk::parse(v) else { continue };
        let mut out = bytes::BytesMut::new();
        match c {
            Chunk::Data(d) => {
                let i = v.typ == typ::I_DATA;
                chunk::Data::write_header(
                    &mut out,
                    i,
                    d.flags,
                    d.tsn,
                    d.stream,
                    d.mid,
                    d.ppid,
                    d.fsn,
                    d.payload.len(),
                );
                out.extend_from_slice(d.payload);
                assert_eq!(reparse(&out), Chunk::Data(d), "DATA round trip");
            }
            Chunk::Sack(s) => {
                Sack::write(
                    &mut out,
                    s.cum_tsn,
                    s.a_rwnd,
                    s.gap_blocks(),
                    s.duplicates(),
                );
                let Chunk::Sack(t) = reparse(&out) else {
                    panic!("SACK re-parses as SACK")
                };
                assert_eq!((t.cum_tsn, t.a_rwnd), (s.cum_tsn, s.a_rwnd));
                assert!(t.gap_blocks().eq(s.gap_blocks()));
                assert!(t.duplicates().eq(s.duplicates()));
            }
            Chunk::ForwardTsn(f) => {
                let i = v.typ == typ::I_FORWARD_TSN;
                let skipped: Vec<_> = f.skipped().collect();
                ForwardTsn::write(&mut out, i, f.new_cum_tsn, skipped.iter().copied());
                let Chunk::ForwardTsn(g) = reparse(&out) else {
                    panic!("FORWARD TSN re-parses")
                };
                assert_eq!(g.new_cum_tsn, f.new_cum_tsn);
                assert_eq!(g.skipped().collect::<Vec<_>>(), skipped);
            }
            Chunk::ReConfig(params) => {
                for r in Chunk::reconfig_params(params) {
                    let mut o = bytes::BytesMut::new();
                    chunk::write_chunk(&mut o, typ::RE_CONFIG, 0, |b| r.write(b));
                    let Chunk::ReConfig(q) = reparse(&o) else {
                        panic!("RE-CONFIG re-parses")
                    };
                    let again: Vec<ReconfigParam<'_>> = Chunk::reconfig_params(q).collect();
                    // `Other` keeps only the type and sequence number.
                    if !matches!(r, ReconfigParam::Other { .. }) {
                        assert_eq!(again, vec![r], "RE-CONFIG round trip");
                    }
                }
            }
            Chunk::Init(init) | Chunk::InitAck(init) => {
                chunk::write_chunk(&mut out, v.typ, 0, |b| {
                    init.write_fixed(b);
                    for q in init.params.iter() {
                        chunk::write_param(b, q.typ, q.value);
                    }
                });
                let (Chunk::Init(j) | Chunk::InitAck(j)) = reparse(&out) else {
                    panic!("INIT re-parses")
                };
                assert_eq!(
                    (j.initiate_tag, j.a_rwnd, j.initial_tsn),
                    (init.initiate_tag, init.a_rwnd, init.initial_tsn)
                );
                assert!(j.params.iter().eq(init.params.iter()));
            }
            _ => {}
        }
    }
}

/// `sctp_association`: two associations are set up in memory, then the fuzzer's operations run:
/// forged packets into `b` carrying its real verification tag and a valid checksum (so they get
/// past validation), real packets exchanged, time steps, sends, resets, shutdown and abort. It
/// must never panic, and its memory must stay within the configured limits.
pub fn sctp_association(data: &[u8], base: Instant) {
    use crate::rng::Stream;
    use crate::sctp::{Association, SctpConfig, SendOptions};
    let mut now = base;
    let root = RngRoot::from_seed(7);
    let cfg = SctpConfig {
        receive_window_bytes: 64 * 1024,
        max_receive_message_bytes: 16 * 1024,
        max_send_message_bytes: 16 * 1024,
        max_send_buffer_bytes: 256 * 1024,
        max_out_of_order_ranges: 16,
        ..SctpConfig::default()
    };
    let mut a = Association::new(cfg.clone(), root.child("a", 0).stream(Stream::Sctp), now);
    let mut b = Association::new(cfg.clone(), root.child("b", 0).stream(Stream::Sctp), now);
    a.connect(now);
    let mut b_tag = 0u32;
    let mut buf = bytes::BytesMut::new();
    let exchange = |a: &mut Association, b: &mut Association, now: Instant, tag: &mut u32| {
        let mut buf = bytes::BytesMut::new();
        for _ in 0..64 {
            let mut moved = false;
            while a.poll_transmit_into(now, &mut buf) {
                if buf.len() >= 8 && *tag == 0 {
                    let t = u32::from_be_bytes([buf[4], buf[5], buf[6], buf[7]]);
                    if t != 0 {
                        *tag = t;
                    }
                }
                b.handle_packet(now, &buf);
                moved = true;
            }
            while b.poll_transmit_into(now, &mut buf) {
                a.handle_packet(now, &buf);
                moved = true;
            }
            while a.poll_event().is_some() {}
            while b.poll_event().is_some() {}
            if !moved {
                break;
            }
        }
    };
    exchange(&mut a, &mut b, now, &mut b_tag);
    let mut rest = data;
    while let Some((&op, tail)) = rest.split_first() {
        rest = tail;
        let n = usize::from(rest.first().copied().unwrap_or(0)) + 1;
        match op % 9 {
            0 | 1 => {
                // A forged packet for b: the right tag (or a fuzzed one), a valid CRC.
                let n = n.min(rest.len());
                let (chunks, t) = rest.split_at(n);
                rest = t;
                let tag = if op % 9 == 0 {
                    b_tag
                } else {
                    u32::from_be_bytes([op, n as u8, 0, 1])
                };
                let mut pkt = vec![0x13, 0x88, 0x13, 0x88];
                pkt.extend_from_slice(&tag.to_be_bytes());
                pkt.extend_from_slice(&[0; 4]);
                pkt.extend_from_slice(chunks.get(1..).unwrap_or_default());
                let crc = crate::sctp::checksum(&pkt);
                pkt[8..12].copy_from_slice(&crc.to_le_bytes());
                b.handle_packet(now, &pkt);
            }
            2 => {
                now += Duration::from_millis(n as u64 * 7);
                a.handle_timeout(now);
                b.handle_timeout(now);
                rest = rest.get(1..).unwrap_or_default();
            }
            3 => {
                let len = n * 97 % (20 * 1024);
                let opts = SendOptions {
                    unordered: n & 1 != 0,
                    max_retransmits: (n & 2 != 0).then_some(1),
                    lifetime: (n & 4 != 0).then_some(Duration::from_millis(100)),
                };
                let _ = a.send((n % 5) as u16, 53, vec![op; len.max(1)].into(), opts);
                rest = rest.get(1..).unwrap_or_default();
            }
            4 => exchange(&mut a, &mut b, now, &mut b_tag),
            5 => {
                let _ = b.send(
                    (n % 3) as u16,
                    51,
                    vec![1; n].into(),
                    SendOptions::default(),
                );
                rest = rest.get(1..).unwrap_or_default();
            }
            6 => {
                a.reset_streams(&[(n % 5) as u16]);
                rest = rest.get(1..).unwrap_or_default();
            }
            7 => {
                // b's raw output is dropped (loss), then time passes.
                while b.poll_transmit_into(now, &mut buf) {}
                now += Duration::from_millis(250);
                a.handle_timeout(now);
                b.handle_timeout(now);
            }
            _ => {
                if n % 16 == 0 {
                    b.abort(now);
                } else if n % 16 == 1 {
                    a.shutdown(now);
                }
                rest = rest.get(1..).unwrap_or_default();
            }
        }
        for x in [&a, &b] {
            let s = x.stats();
            assert!(
                s.queued_bytes <= cfg.max_send_buffer_bytes,
                "send buffer bound"
            );
            if op % 9 == 2 || op % 9 == 7 {
                // Right after handle_timeout(now), nothing is due any more (no busy loop).
                assert!(
                    x.poll_timeout().is_none_or(|t| t > now),
                    "a deadline not after now following handle_timeout"
                );
            }
        }
        assert!(
            b.held_bytes() <= 2 * cfg.receive_window_bytes,
            "receive bound"
        );
    }
}

/// `dcep`: whatever parses re-encodes to bytes that parse to the same message.
pub fn dcep(data: &[u8]) {
    use crate::channel::DcepMessage;
    if let Ok(m) = DcepMessage::parse(data) {
        let bytes = m.to_bytes();
        assert_eq!(
            bytes.len(),
            m.encoded_len(),
            "encoded_len agrees with encode"
        );
        assert_eq!(DcepMessage::parse(&bytes), Ok(m), "round trip");
    }
}

fn shared_dtls_context() -> std::sync::Arc<crate::dtls::DtlsContext> {
    // Built once per process: validating the provider costs milliseconds per run otherwise.
    static CTX: std::sync::OnceLock<std::sync::Arc<crate::dtls::DtlsContext>> =
        std::sync::OnceLock::new();
    CTX.get_or_init(|| std::sync::Arc::new(crate::dtls::DtlsContext::new(Default::default())))
        .clone()
}

fn fuzz_peer(seed: u64, address: &str, now: Instant) -> crate::Peer {
    use crate::{PeerConfig, PeerLimits};
    let limits = PeerLimits {
        max_channels: 16,
        max_message_bytes: 16 * 1024,
        max_buffered_bytes: 256 * 1024,
        max_queued_events: 256,
    };
    let mut p = crate::Peer::new(
        PeerConfig::new()
            .seed(seed)
            .dtls_context(shared_dtls_context())
            .limits(limits),
        now,
    );
    p.add_local_address(address.parse().expect("fuzz address"));
    p
}

const FUZZ_A: &str = "10.0.0.1:1000";
const FUZZ_B: &str = "10.0.0.2:2000";

/// Moves every queued datagram across (lossless) and polls events, up to `rounds` times.
fn fuzz_exchange(a: &mut crate::Peer, b: &mut crate::Peer, now: Instant, rounds: usize) {
    for _ in 0..rounds {
        let mut moved = false;
        while let Some(t) = a.poll_transmit(now) {
            b.handle_receive(now, t.as_datagram());
            moved = true;
        }
        while let Some(t) = b.poll_transmit(now) {
            a.handle_receive(now, t.as_datagram());
            moved = true;
        }
        while a.poll_event().is_some() {}
        while b.poll_event().is_some() {}
        if !moved {
            break;
        }
    }
}

/// Two peers with an offer/answer done and time run until they are connected.
fn fuzz_connected_pair(now: &mut Instant) -> (crate::Peer, crate::Peer) {
    let mut a = fuzz_peer(1, FUZZ_A, *now);
    let mut b = fuzz_peer(2, FUZZ_B, *now);
    let _ = a.create_data_channel("fuzz", Default::default());
    add_media(&mut a);
    let offer = a.create_offer().expect("offer");
    a.set_local_description(offer.clone()).expect("local offer");
    b.set_remote_description(offer).expect("remote offer");
    answer_media(&mut b);
    let answer = b.create_answer().expect("answer");
    b.set_local_description(answer.clone())
        .expect("local answer");
    a.set_remote_description(answer).expect("remote answer");
    for _ in 0..200 {
        fuzz_exchange(&mut a, &mut b, *now, 16);
        if a.connection_state() == crate::PeerConnectionState::Connected
            && b.connection_state() == crate::PeerConnectionState::Connected
            && a.channel_state(crate::ChannelId(1)) == Some(crate::ChannelState::Open)
        {
            break;
        }
        let next = [a.poll_timeout(), b.poll_timeout()]
            .into_iter()
            .flatten()
            .min();
        let Some(t) = next else { break };
        *now = (*now).max(t);
        a.handle_timeout(*now);
        b.handle_timeout(*now);
    }
    (a, b)
}

/// An audio and a video transceiver, sendrecv; the video one also asks to receive simulcast
/// (l, m, h), which the answerer's video sender then sends.
fn add_media(p: &mut crate::Peer) {
    use crate::media::{MediaKind, TransceiverInit};
    let _ = p.add_transceiver(MediaKind::Audio, TransceiverInit::default());
    let _ = p.add_transceiver(
        MediaKind::Video,
        TransceiverInit {
            receive_rids: ["l", "m", "h"].map(String::from).to_vec(),
            ..TransceiverInit::default()
        },
    );
}

/// The answerer takes the offer's media sections as sendrecv.
fn answer_media(p: &mut crate::Peer) {
    let ids: Vec<_> = p.transceivers().map(|t| t.id()).collect();
    for id in ids {
        let _ = p.set_direction(id, crate::sdp::Direction::SendRecv);
    }
}

/// One media command chosen by `n` with bytes from `rest`: RTP through the API, an arbitrary
/// packet protected with the real keys (RTP with any header, SSRC and extensions; or RTCP),
/// a keyframe request, a direction change, a receive mode, new stream ids.
fn media_op(p: &mut crate::Peer, n: usize, rest: &mut &[u8]) {
    let ids: Vec<_> = p.transceivers().map(|t| t.id()).collect();
    let Some(&id) = ids.get(n % ids.len().max(1)) else {
        return;
    };
    match (n / 2) % 7 {
        0 => {
            let pt = p
                .transceiver(id)
                .and_then(|t| t.codecs().get(n % 3).map(|c| c.payload_type))
                .unwrap_or(96);
            let payload = take(rest, n * 5).to_vec();
            let _ = p.send_rtp(
                id,
                crate::RtpOut {
                    payload_type: pt,
                    timestamp: (n as u32).wrapping_mul(3000),
                    marker: n.is_multiple_of(3),
                    payload: payload.into(),
                    sequence_number: n.is_multiple_of(4).then_some(n as u16),
                    rid: n
                        .is_multiple_of(5)
                        .then(|| ["l", "m", "h"][n % 3].to_string()),
                    ..Default::default()
                },
            );
        }
        1 | 2 => {
            let packet = take(rest, n * 4);
            let _ = p.fuzz_send_protected(packet, (n / 2) % 7 == 2);
        }
        5 => {
            let mode = if n.is_multiple_of(4) {
                crate::media::ReceiveMode::Discard
            } else {
                crate::media::ReceiveMode::Rtp
            };
            let _ = p.set_receive_mode(id, mode);
        }
        6 => {
            let _ = p.set_streams(id, &[format!("s{}", n % 3)]);
        }
        3 => {
            let _ = p.request_keyframe(id, None);
        }
        _ => {
            let d = [
                crate::sdp::Direction::SendRecv,
                crate::sdp::Direction::RecvOnly,
                crate::sdp::Direction::Inactive,
            ][n % 3];
            let _ = p.set_direction(id, d);
        }
    }
}

fn peer_bounds(p: &crate::Peer) {
    let s = p.stats();
    assert!(p.remote_ssrc_count() <= 256, "SSRC table bound");
    assert!(s.channels <= 16 + 1, "channel bound");
    if let Some(sctp) = s.sctp {
        assert!(sctp.queued_bytes <= 256 * 1024, "send buffer bound");
    }
}

fn take<'a>(rest: &mut &'a [u8], n: usize) -> &'a [u8] {
    let n = n.min(rest.len());
    let (x, t) = rest.split_at(n);
    *rest = t;
    x
}

/// `peer_receive`: a connected peer `a` is fed arbitrary datagrams from its remote's address
/// (raw STUN, DTLS and anything else), arbitrary SCTP messages (stream, PPID, payload: DCEP and
/// channel data) sent through the real DTLS transport by its remote, commands and time. It
/// never panics and stays within its limits.
pub fn peer_receive(data: &[u8], base: Instant) {
    let mut now = base;
    let (mut a, mut b) = fuzz_connected_pair(&mut now);
    let mut rest = data;
    while let Some((&op, tail)) = rest.split_first() {
        rest = tail;
        let n = usize::from(rest.first().copied().unwrap_or(0));
        match op % 11 {
            10 => media_op(&mut b, n, &mut rest),
            0..=2 => {
                let bytes = take(&mut rest, n + 1);
                let bytes = bytes.get(1..).unwrap_or_default();
                let d = Datagram {
                    source: FUZZ_B.parse().expect("addr"),
                    destination: FUZZ_A.parse().expect("addr"),
                    protocol: Protocol::Udp,
                    contents: bytes,
                };
                if op % 10 == 2 {
                    // The owned path: the datagram in a buffer the peer keeps.
                    a.handle_receive_buf(
                        now,
                        crate::net::DatagramBuf {
                            source: d.source,
                            destination: d.destination,
                            protocol: d.protocol,
                            contents: bytes::BytesMut::from(bytes),
                        },
                    );
                } else {
                    a.handle_receive(now, d);
                }
            }
            3 | 4 => {
                // b's SCTP sends an arbitrary message: stream, PPID, payload.
                let head = take(&mut rest, 4);
                let stream = u16::from(head.get(1).copied().unwrap_or(0) % 8);
                let ppid = 48 + u32::from(head.get(2).copied().unwrap_or(0) % 12);
                let len = usize::from(head.get(3).copied().unwrap_or(0));
                let payload = take(&mut rest, len).to_vec();
                b.fuzz_send_raw(stream, ppid, payload);
            }
            5 => fuzz_exchange(&mut a, &mut b, now, 32),
            6 => {
                now += Duration::from_millis(1 + 37 * n as u64);
                a.handle_timeout(now);
                b.handle_timeout(now);
            }
            7 => {
                let who = if n % 2 == 0 { &mut a } else { &mut b };
                match (n / 2) % 6 {
                    0 => {
                        let _ = who.create_data_channel(
                            "c",
                            crate::ChannelOptions {
                                ordered: n % 4 < 2,
                                max_retransmits: (n % 3 == 0).then_some(1),
                                negotiated: (n % 5 == 0).then_some((n % 8) as u16),
                                ..Default::default()
                            },
                        );
                    }
                    1 => {
                        let _ =
                            who.send_binary(crate::ChannelId((n % 5) as u32), vec![1u8; n * 60]);
                    }
                    2 => {
                        let _ = who.close_channel(crate::ChannelId((n % 5) as u32));
                    }
                    3 => {
                        let _ = who.send_text(crate::ChannelId((n % 5) as u32), "");
                    }
                    4 => who.restart_ice(),
                    _ => {
                        let _ = who.add_remote_candidate("candidate:1 1 udp 1 10.0.0.9 9 typ host");
                    }
                }
            }
            8 => {
                if n == 255 {
                    a.close();
                }
            }
            _ => {
                // Drain a's events without delivering (an application that polls).
                while a.poll_event().is_some() {}
            }
        }
        peer_bounds(&a);
        peer_bounds(&b);
    }
    fuzz_exchange(&mut a, &mut b, now, 64);
}

/// `two_peers`: two real peers connect through a network the fuzzer controls (deliver, drop,
/// duplicate, reorder, corrupt one byte, advance time) while commands run on both. Never a
/// panic, limits hold, and the whole run is replayed a second time and must produce the same
/// bytes (no hidden nondeterminism).
pub fn two_peers(data: &[u8], base: Instant) {
    use sha2::Digest;
    let run = || {
        let mut hash = sha2::Sha256::new();
        let mut now = base;
        let mut a = fuzz_peer(1, FUZZ_A, now);
        let mut b = fuzz_peer(2, FUZZ_B, now);
        let _ = a.create_data_channel("x", Default::default());
        let media = data.first().is_some_and(|b| b & 1 == 1);
        if media {
            add_media(&mut a);
        }
        if let Ok(offer) = a.create_offer()
            && a.set_local_description(offer.clone()).is_ok()
            && b.set_remote_description(offer).is_ok()
            && {
                answer_media(&mut b);
                true
            }
            && let Ok(answer) = b.create_answer()
            && b.set_local_description(answer.clone()).is_ok()
        {
            let _ = a.set_remote_description(answer);
        }
        let mut wire: std::collections::VecDeque<(bool, Vec<u8>)> = Default::default();
        for &op in data {
            for (from_a, p) in [(true, &mut a), (false, &mut b)] {
                while let Some(t) = p.poll_transmit(now) {
                    hash.update(&t.contents);
                    if wire.len() < 1024 {
                        wire.push_back((from_a, t.contents.to_vec()));
                    }
                }
            }
            let arg = usize::from(op >> 3);
            match op & 7 {
                0 | 1 => {
                    // Deliver up to arg + 1 datagrams.
                    for _ in 0..=arg {
                        let Some((from_a, d)) = wire.pop_front() else {
                            break;
                        };
                        let (to, src, dst) = if from_a {
                            (&mut b, FUZZ_A, FUZZ_B)
                        } else {
                            (&mut a, FUZZ_B, FUZZ_A)
                        };
                        to.handle_receive(
                            now,
                            Datagram {
                                source: src.parse().expect("addr"),
                                destination: dst.parse().expect("addr"),
                                protocol: Protocol::Udp,
                                contents: &d,
                            },
                        );
                    }
                }
                2 => {
                    let _ = wire.pop_front();
                }
                3 => {
                    if let Some(x) = wire.front().cloned() {
                        wire.push_back(x);
                    }
                }
                4 => {
                    if wire.len() > 1 {
                        let i = arg % wire.len();
                        wire.swap(0, i);
                    }
                }
                5 => {
                    if let Some((_, d)) = wire.front_mut()
                        && !d.is_empty()
                    {
                        let i = arg % d.len();
                        d[i] ^= 1 << (arg % 8);
                    }
                }
                6 => {
                    let next = [a.poll_timeout(), b.poll_timeout()]
                        .into_iter()
                        .flatten()
                        .min();
                    now = next
                        .unwrap_or(now)
                        .max(now + Duration::from_millis(arg as u64));
                    a.handle_timeout(now);
                    b.handle_timeout(now);
                }
                _ => {
                    let p = if arg % 2 == 0 { &mut a } else { &mut b };
                    if media && arg / 2 % 2 == 1 {
                        // A fixed RTP header for the protected-packet commands.
                        let mut header: &[u8] = &[0x90, 96, 0, 1, 0, 0, 0, 1, 0, 0, 0, 9];
                        media_op(p, arg, &mut header);
                    } else {
                        match arg / 2 % 4 {
                            0 => {
                                let _ = p.create_data_channel("y", Default::default());
                            }
                            1 => {
                                for id in 1..4 {
                                    let _ = p.send_binary(crate::ChannelId(id), vec![7u8; 500]);
                                }
                            }
                            2 => {
                                let _ = p.close_channel(crate::ChannelId(1));
                            }
                            _ => p.restart_ice(),
                        }
                    }
                }
            }
            for p in [&mut a, &mut b] {
                while let Some(e) = p.poll_event() {
                    hash.update(format!("{e:?}").as_bytes());
                }
                peer_bounds(p);
            }
        }
        hash.finalize()
    };
    let first = run();
    assert_eq!(first, run(), "the same inputs gave different outputs");
}

/// `turn_channel_data`: whatever parses re-encodes to the bytes it came from (up to padding).
pub fn turn_channel_data(data: &[u8]) {
    use crate::turn::ChannelData;
    if let Ok(cd) = ChannelData::parse(data) {
        let mut out = Vec::new();
        cd.encode(false, &mut out);
        assert_eq!(&out[..], &data[..out.len()], "re-encoding");
        assert_eq!(ChannelData::parse(&out), Ok(cd));
        let mut padded = Vec::new();
        cd.encode(true, &mut padded);
        assert_eq!(padded.len() % 4, 0);
        assert_eq!(ChannelData::parse(&padded), Ok(cd));
    }
}

/// `turn_server`: a TURN server with a live allocation (made by a real client) fed arbitrary
/// datagrams from the client's address and from strangers, peer traffic to the relayed address,
/// client sends (permissions, channels), and time. Never a panic; allocations, queue and
/// per-allocation state stay within the configured limits.
pub fn turn_server(data: &[u8], base: Instant) {
    use crate::rng::{RngRoot, Stream};
    use crate::turn::{
        TurnClient, TurnConfig, TurnCredentials, TurnReceive, TurnServer, TurnServerConfig,
    };
    let mut now = base;
    let server_addr: SocketAddr = "192.0.2.1:3478".parse().expect("addr");
    let client_addr: SocketAddr = "10.0.0.1:5000".parse().expect("addr");
    let peer: SocketAddr = "203.0.113.5:7000".parse().expect("addr");
    let mut cfg = TurnServerConfig::new(
        "fuzz",
        TurnCredentials::Static([("u".to_owned(), "p".to_owned())].into_iter().collect()),
        0,
    );
    cfg.max_allocations = 4;
    cfg.max_peers_per_allocation = 8;
    cfg.relay_ports = 50000..=50007;
    let root = RngRoot::from_seed(5);
    let mut server = TurnServer::new(cfg, root.stream(Stream::Server), now);
    let mut client = TurnClient::new(
        TurnConfig::new(server_addr, "u", "p"),
        client_addr,
        root.stream(Stream::Turn),
        now,
    );
    let pump = |client: &mut TurnClient, server: &mut TurnServer, now: Instant| {
        for _ in 0..16 {
            let mut moved = false;
            while let Some(t) = client.poll_transmit() {
                server.handle_receive(now, t.as_datagram());
                moved = true;
            }
            while let Some(t) = server.poll_transmit() {
                if t.destination == client_addr {
                    let _ = client.handle_receive(now, t.as_datagram());
                }
                moved = true;
            }
            while client.poll_event().is_some() {}
            if !moved {
                break;
            }
        }
    };
    client.start(now);
    pump(&mut client, &mut server, now);
    let relayed = client.relayed();
    let mut rest = data;
    while let Some((&op, tail)) = rest.split_first() {
        rest = tail;
        let n = usize::from(rest.first().copied().unwrap_or(0));
        match op % 6 {
            0 | 1 => {
                // Raw bytes to the server's port, from the client or from a stranger.
                let bytes = take(&mut rest, n + 1);
                let source = if op % 6 == 0 {
                    client_addr
                } else {
                    SocketAddr::from(([198, 51, 100, op], 4000 + u16::from(op)))
                };
                server.handle_receive(
                    now,
                    Datagram {
                        source,
                        destination: server_addr,
                        protocol: Protocol::Udp,
                        contents: bytes.get(1..).unwrap_or_default(),
                    },
                );
            }
            2 => {
                // Peer traffic to the relayed address (or another port of the server).
                let bytes = take(&mut rest, n + 1);
                let destination = relayed.unwrap_or(server_addr);
                let destination = if op & 0x80 != 0 {
                    SocketAddr::new(destination.ip(), 50000 + u16::from(op % 8))
                } else {
                    destination
                };
                server.handle_receive(
                    now,
                    Datagram {
                        source: if op & 0x40 != 0 {
                            peer
                        } else {
                            SocketAddr::from(([203, 0, 113, op], 9))
                        },
                        destination,
                        protocol: Protocol::Udp,
                        contents: bytes.get(1..).unwrap_or_default(),
                    },
                );
            }
            3 => {
                let bytes = take(&mut rest, n + 1);
                let to = SocketAddr::from(([203, 0, 113, op % 16], 7000 + u16::from(op % 4)));
                client.send_to(to, bytes);
                pump(&mut client, &mut server, now);
            }
            4 => {
                now += Duration::from_secs(1 + 13 * n as u64);
                client.handle_timeout(now);
                server.handle_timeout(now);
                pump(&mut client, &mut server, now);
            }
            _ => {
                // Whatever the server queued for the client.
                while let Some(t) = server.poll_transmit() {
                    if t.destination == client_addr
                        && let TurnReceive::Data { .. } =
                            client.handle_receive(now, t.as_datagram())
                    {}
                }
            }
        }
        assert!(server.allocation_count() <= 4, "allocation quota");
    }
}

/// Every fuzz target by name, for the corpus replay test.
pub const TARGETS: &[(&str, Target)] = &[
    ("stun", |data, _| stun(data)),
    ("ice_agent", ice_agent),
    ("sdp", |data, _| sdp(data)),
    ("dtls", dtls),
    ("dtls_message", |data, _| dtls_message(data)),
    ("dtls_record", |data, _| dtls_record(data)),
    ("sctp_chunk", |data, _| sctp_chunk(data)),
    ("sctp_association", sctp_association),
    ("dcep", |data, _| dcep(data)),
    ("peer_receive", peer_receive),
    ("two_peers", two_peers),
    ("turn_channel_data", |data, _| turn_channel_data(data)),
    ("turn_server", turn_server),
    ("rtp", |data, _| rtp(data)),
    ("rtp_extensions", |data, _| rtp_extensions(data)),
    ("rtcp", |data, _| rtcp(data)),
    ("srtp_unprotect", |data, _| srtp_unprotect(data)),
];

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    /// Replays every file of every committed corpus (`fuzz/corpus/<target>/`) through its target.
    #[test]
    fn replay_corpora() {
        let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
        let root = manifest.join("fuzz/corpus");
        // A packaged crate (`cargo package` keeps the original manifest as Cargo.toml.orig)
        // leaves the corpora out (39 MB); in the repository they must all be there.
        if !root.exists() && manifest.join("Cargo.toml.orig").exists() {
            eprintln!("packaged crate: no fuzz corpora to replay");
            return;
        }
        let mut replayed = 0;
        for (name, target) in TARGETS {
            let dir = root.join(name);
            let entries = std::fs::read_dir(&dir)
                .unwrap_or_else(|e| panic!("corpus {} missing: {e}", dir.display()));
            for entry in entries {
                let path = entry.expect("dir entry").path();
                let data = std::fs::read(&path).expect("corpus file");
                target(&data, crate::test_util::base());
                replayed += 1;
            }
        }
        assert!(replayed > 0, "no corpus files replayed");
    }

    #[test]
    fn stun_target_accepts_the_rfc5769_vectors() {
        stun(&crate::stun::tests::rfc5769_request());
        stun(&crate::stun::tests::rfc5769_response_v4());
        stun(&crate::stun::tests::rfc5769_response_v6());
        stun(b"");
        stun(&[0; 20]);
    }
}
