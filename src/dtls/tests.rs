use super::*;
use crate::rng::{RngRoot, Stream};
use crate::test_util::base;

fn cert(seed: u64) -> Certificate {
    Certificate::generate(&mut RngRoot::from_seed(seed).stream(Stream::Certificate))
}

fn fp(c: &Certificate) -> Vec<Fingerprint> {
    vec![c.fingerprint(FingerprintHash::Sha256)]
}

struct Pair {
    client: DtlsTransport,
    server: DtlsTransport,
    now: Instant,
    /// Every datagram in the order sent, for determinism checks.
    wire: Vec<Bytes>,
}

impl Pair {
    fn new(seed: u64, config: DtlsConfig, client_fp: Option<Vec<Fingerprint>>) -> Self {
        let (cc, sc) = (cert(seed), cert(seed + 1000));
        let now = base();
        let rng = |i| {
            RngRoot::from_seed(seed)
                .child("peer", i)
                .stream(Stream::Dtls)
        };
        let ctx = DtlsContext::new(config);
        let client = DtlsTransport::new(
            &ctx,
            &cc,
            DtlsRole::Client,
            Some(client_fp.unwrap_or_else(|| fp(&sc))),
            rng(0),
        );
        let server = DtlsTransport::new(&ctx, &sc, DtlsRole::Server, Some(fp(&cc)), rng(1));
        Self {
            client,
            server,
            now,
            wire: Vec::new(),
        }
    }

    /// Moves datagrams both ways until quiet; advances time to the next deadline when quiet.
    fn run(&mut self, until: Duration) {
        let end = self.now + until;
        while self.now <= end {
            let mut moved = false;
            while let Some(d) = self.client.poll_transmit(self.now) {
                self.wire.push(d.clone());
                self.server.handle_receive(self.now, &d);
                moved = true;
            }
            while let Some(d) = self.server.poll_transmit(self.now) {
                self.wire.push(d.clone());
                self.client.handle_receive(self.now, &d);
                moved = true;
            }
            if moved {
                continue;
            }
            let next = [self.client.poll_timeout(), self.server.poll_timeout()]
                .into_iter()
                .flatten()
                .min();
            match next {
                Some(t) if t <= end => {
                    self.now = self.now.max(t);
                    self.client.handle_timeout(self.now);
                    self.server.handle_timeout(self.now);
                }
                _ => return,
            }
        }
    }
}

fn events(t: &mut DtlsTransport) -> Vec<DtlsEvent> {
    std::iter::from_fn(|| t.poll_event()).collect()
}

#[test]
fn handshake_verifies_fingerprints_and_carries_data() {
    let mut p = Pair::new(1, DtlsConfig::default(), None);
    p.run(Duration::from_secs(5));
    assert_eq!(p.client.state(), DtlsState::Connected);
    assert_eq!(p.server.state(), DtlsState::Connected);
    let (ce, se) = (events(&mut p.client), events(&mut p.server));
    for e in [&ce, &se] {
        assert!(matches!(
            e[0],
            DtlsEvent::Connected {
                verified_with: FingerprintHash::Sha256
            }
        ));
    }
    // DTLS-SRTP keying material (RFC 5764 §4.2): both sides export the same keys.
    let km = |e: &[DtlsEvent]| {
        e.iter().find_map(|e| match e {
            DtlsEvent::KeyingMaterial { material, profile } => Some((material.clone(), *profile)),
            _ => None,
        })
    };
    assert!(km(&ce).is_some());
    assert_eq!(km(&ce), km(&se));
    // The exported keys protect media both ways, each side keying by its role (RFC 5764 §4.2):
    // what the client protects the server unprotects, and the reverse.
    {
        use crate::srtp::{SrtpConfig, SrtpSession};
        let (material, profile) = km(&ce).unwrap();
        let session = |role| {
            SrtpSession::from_keying_material(profile, &material, role, SrtpConfig::default())
                .unwrap()
        };
        let (mut c, mut s) = (session(DtlsRole::Client), session(DtlsRole::Server));
        let rtp = [0x80u8, 96, 0, 1, 0, 0, 0, 0, 0, 0, 0, 7, 1, 2, 3];
        let mut up = BytesMut::from(&rtp[..]);
        c.protect_rtp(&mut up).unwrap();
        s.unprotect_rtp(&mut up).unwrap();
        let mut down = BytesMut::from(&rtp[..]);
        s.protect_rtp(&mut down).unwrap();
        c.unprotect_rtp(&mut down).unwrap();
        assert_eq!((&up[..], &down[..]), (&rtp[..], &rtp[..]));
    }

    p.client.send(b"hello server").unwrap();
    p.server.send(b"hello client").unwrap();
    p.run(Duration::from_millis(10));
    assert_eq!(
        events(&mut p.server),
        [DtlsEvent::Data(Bytes::from_static(b"hello server"))]
    );
    assert_eq!(
        events(&mut p.client),
        [DtlsEvent::Data(Bytes::from_static(b"hello client"))]
    );
    // Every handshake datagram fits the 1200-byte MTU, and demultiplexes as DTLS (RFC 7983).
    assert!(p.wire.iter().all(|d| d.len() <= 1200));
    assert!(
        p.wire
            .iter()
            .all(|d| crate::net::PacketKind::of(d) == Ok(crate::net::PacketKind::Dtls))
    );

    // close_notify reaches the peer.
    p.client.close();
    p.run(Duration::from_millis(10));
    assert_eq!(p.client.state(), DtlsState::Closed);
    assert_eq!(events(&mut p.server), [DtlsEvent::Closed]);
    assert_eq!(p.client.send(b"late"), Err(DtlsSendError::NotConnected));
}

#[test]
fn same_seed_same_records_other_seed_other_records() {
    let wire = |seed| {
        let mut p = Pair::new(seed, DtlsConfig::default(), None);
        p.run(Duration::from_secs(5));
        p.client.send(b"x").unwrap();
        p.run(Duration::from_millis(10));
        assert_eq!(p.client.state(), DtlsState::Connected);
        p.wire
    };
    let a = wire(7);
    assert_eq!(a, wire(7), "same seed, same bytes");
    let b = wire(8);
    assert_ne!(a, b);
    // Not just the certificates: the hello randoms differ too.
    assert_ne!(a[0], b[0]);
    // And the certificate itself is a function of the seed.
    assert_eq!(cert(3), cert(3));
    assert_ne!(cert(3).der(), cert(4).der());
}

#[test]
fn wrong_fingerprint_fails_without_data() {
    let wrong = vec![Fingerprint {
        hash: "sha-256".into(),
        bytes: vec![0x42; 32],
    }];
    let mut p = Pair::new(2, DtlsConfig::default(), Some(wrong));
    p.run(Duration::from_secs(5));
    assert_eq!(p.client.state(), DtlsState::Failed);
    let e = events(&mut p.client);
    assert_eq!(
        e,
        [DtlsEvent::Failed(DtlsFailure::Fingerprint(
            FingerprintMismatch::Mismatch { hash: "sha-256" }
        ))]
    );
    assert_eq!(p.client.send(b"secret"), Err(DtlsSendError::NotConnected));
    assert!(p.client.poll_timeout().is_none());
    // The client refused before sending its ChangeCipherSpec, so its bad_certificate alert went
    // out in plaintext, where the server can read it: the server fails at once too, never
    // connected, instead of retransmitting until its handshake times out.
    assert_eq!(p.server.state(), DtlsState::Failed);
    assert_eq!(
        events(&mut p.server),
        [DtlsEvent::Failed(DtlsFailure::PeerAlert(42))]
    );
    let last = p.wire.last().expect("the alert");
    assert_eq!(
        &last[..5],
        [21, 0xFE, 0xFD, 0, 0],
        "a plaintext alert, epoch 0"
    );
}

#[test]
fn fingerprints_arriving_late_hold_the_connection() {
    let (cc, sc) = (cert(5), cert(6));
    let now = base();
    let rng = |i| RngRoot::from_seed(5).child("peer", i).stream(Stream::Dtls);
    let ctx = DtlsContext::new(DtlsConfig::default());
    let mut p = Pair {
        client: DtlsTransport::new(&ctx, &cc, DtlsRole::Client, Some(fp(&sc)), rng(0)),
        // The server does not know the client's fingerprint yet (the answer is in flight).
        server: DtlsTransport::new(&ctx, &sc, DtlsRole::Server, None, rng(1)),
        now,
        wire: Vec::new(),
    };
    p.run(Duration::from_secs(5));
    assert_eq!(p.client.state(), DtlsState::Connected);
    events(&mut p.client);
    p.client.send(b"early").unwrap();
    p.run(Duration::from_millis(10));
    assert_eq!(p.server.state(), DtlsState::Connecting);
    assert!(
        events(&mut p.server).is_empty(),
        "nothing before verification"
    );
    p.server.set_remote_fingerprints(fp(&cc));
    assert_eq!(p.server.state(), DtlsState::Connected);
    let e = events(&mut p.server);
    assert!(matches!(e[0], DtlsEvent::Connected { .. }));
    assert!(e.contains(&DtlsEvent::Data(Bytes::from_static(b"early"))));
}

#[test]
fn rfc8122_strongest_hash_decides() {
    let c = cert(9);
    let s256 = c.fingerprint(FingerprintHash::Sha256);
    let s512 = c.fingerprint(FingerprintHash::Sha512);
    let s1 = c.fingerprint(FingerprintHash::Sha1);
    let bad512 = Fingerprint {
        hash: "sha-512".into(),
        bytes: vec![0; 64],
    };
    assert_eq!(
        verify_fingerprint(c.der(), std::slice::from_ref(&s256)),
        Ok(FingerprintHash::Sha256)
    );
    assert_eq!(
        verify_fingerprint(c.der(), &[s1.clone(), s512.clone()]),
        Ok(FingerprintHash::Sha512)
    );
    assert_eq!(
        verify_fingerprint(c.der(), &[s1]),
        Ok(FingerprintHash::Sha1)
    );
    assert_eq!(
        verify_fingerprint(c.der(), &[c.fingerprint(FingerprintHash::Sha384)]),
        Ok(FingerprintHash::Sha384)
    );
    // §5: the set of the most preferred hash must match, a weaker match does not rescue it.
    assert_eq!(
        verify_fingerprint(c.der(), &[s256.clone(), bad512.clone()]),
        Err(FingerprintMismatch::Mismatch { hash: "sha-512" })
    );
    // One match among several of the preferred hash is enough.
    assert_eq!(
        verify_fingerprint(c.der(), &[bad512, s512]),
        Ok(FingerprintHash::Sha512)
    );
    // Unknown hash names are ignored; none usable is its own error.
    let md5 = Fingerprint {
        hash: "md5".into(),
        bytes: vec![1; 16],
    };
    assert_eq!(
        verify_fingerprint(c.der(), std::slice::from_ref(&md5)),
        Err(FingerprintMismatch::NoUsableFingerprint)
    );
    assert_eq!(
        verify_fingerprint(c.der(), &[md5, s256]),
        Ok(FingerprintHash::Sha256)
    );
    // Names are case-insensitive (RFC 8122 §5 hash-func is a token; some stacks write SHA-256).
    assert_eq!(
        FingerprintHash::from_name("SHA-256"),
        Some(FingerprintHash::Sha256)
    );
}

#[test]
fn timer_contract() {
    let mut p = Pair::new(3, DtlsConfig::default(), None);
    // The client's first flight is queued at construction; its timer starts when it is taken.
    assert_eq!(
        p.client.poll_timeout(),
        None,
        "no timer before the flight is sent"
    );
    let first = p.client.poll_transmit(p.now).expect("ClientHello");
    // Browsers' choice first: ECDHE-ECDSA-AES128-GCM-SHA256 (0xC02B), then AES-256, ChaCha20,
    // then the ECDHE-RSA suites.
    assert!(
        first
            .windows(8)
            .any(|w| w == [0x00, 0x0C, 0xC0, 0x2B, 0xC0, 0x2C, 0xCC, 0xA9]),
        "cipher suites of the ClientHello"
    );
    assert_eq!(
        p.client.poll_timeout(),
        Some(p.now + DtlsConfig::default().flight_start_rto)
    );
    let t = p.client.poll_timeout().expect("flight timer");
    assert!(t > p.now);
    // Before the deadline: a no-op.
    p.client.handle_timeout(t - Duration::from_millis(1));
    assert!(p.client.poll_transmit(p.now).is_none());
    assert_eq!(p.client.poll_timeout(), Some(t));
    // At it: the flight is retransmitted (same handshake message, new record sequence).
    p.client.handle_timeout(t);
    let again = p.client.poll_transmit(p.now).expect("retransmission");
    assert_eq!(again.len(), first.len());
    assert!(p.client.poll_timeout().unwrap() > t);
}

#[test]
fn supplied_certificate_is_used() {
    let mine = cert(11);
    let mut rng = RngRoot::from_seed(11).stream(Stream::Certificate);
    let _ = Certificate::generate(&mut rng);
    // A certificate from DER + PKCS#8 works like a generated one.
    let again = Certificate::from_der(mine.der().to_vec(), mine.private_key_pkcs8.clone()).unwrap();
    assert_eq!(again, mine);
    assert_eq!(
        Certificate::from_der(mine.der().to_vec(), vec![1, 2, 3]),
        Err(CertificateError::BadKey)
    );
    assert_eq!(
        Certificate::from_der(Vec::new(), mine.private_key_pkcs8.clone()),
        Err(CertificateError::Empty)
    );
}

/// Pins the handshake bytes of one seed. In-process comparisons cannot see a clock read that is
/// constant within a process (dimpl's upstream DTLS 1.2 hello random carried `gmt_unix_time`);
/// a known answer can: it fails in every new process if anything but the seed feeds the bytes.
#[test]
fn handshake_bytes_are_a_function_of_the_seed_alone() {
    use sha2::Digest;
    let mut p = Pair::new(7, DtlsConfig::default(), None);
    p.run(Duration::from_secs(5));
    let mut h = sha2::Sha256::new();
    for d in &p.wire {
        h.update(d);
    }
    let hex: String = h.finalize().iter().map(|b| format!("{b:02x}")).collect();
    assert_eq!(
        hex,
        "51480492282929dbd8233d848b7c160b932f202cd028093d651980d7c9f32162"
    );
}

#[test]
fn handshake_timeout_fails_with_the_reason() {
    // A client whose server never answers: flights are retransmitted on the timer, then the
    // handshake times out and the transport fails with that reason.
    let config = DtlsConfig {
        handshake_timeout: Duration::from_secs(10),
        ..DtlsConfig::default()
    };
    let c = cert(15);
    let mut t = DtlsTransport::new(
        &DtlsContext::new(config),
        &c,
        DtlsRole::Client,
        Some(fp(&c)),
        RngRoot::from_seed(15).stream(Stream::Dtls),
    );
    let mut sent = 0;
    while t.poll_transmit(base()).is_some() {
        sent += 1;
    }
    while let Some(at) = t.poll_timeout() {
        t.handle_timeout(at);
        while t.poll_transmit(at).is_some() {
            sent += 1;
        }
        assert!(at < base() + Duration::from_secs(60), "no endless timers");
    }
    assert!(sent >= 3, "ClientHello retransmitted: {sent}");
    assert_eq!(t.state(), DtlsState::Failed);
    let e = events(&mut t);
    assert!(
        matches!(&e[..], [DtlsEvent::Failed(DtlsFailure::Timeout)]),
        "{e:?}"
    );
}

/// The hand-written PKCS#8 is byte-identical to p256's, and the fast key path signs exactly as
/// p256's own RFC 6979 signing key does.
#[test]
fn fast_key_path_matches_the_reference_encoders() {
    use p256::ecdsa::signature::Signer;
    use p256::pkcs8::EncodePrivateKey;
    let cert = Certificate::generate(&mut RngRoot::from_seed(77).stream(Stream::Certificate));
    let scalar = super::cert::p256_scalar_of_pkcs8(&cert.private_key_pkcs8).expect("ours parses");
    let key = p256::SecretKey::from(scalar);
    assert_eq!(
        key.to_pkcs8_der().unwrap().as_bytes(),
        &cert.private_key_pkcs8[..]
    );
    let reference: p256::ecdsa::Signature =
        p256::ecdsa::SigningKey::from(&key).sign(b"handshake transcript");
    let ours = cert
        .signing_key()
        .sign(super::crypto::scheme::ECDSA_SHA256, b"handshake transcript")
        .unwrap();
    assert_eq!(ours, reference.to_der().as_bytes());
    // Not a P-256 PKCS#8: the generic path.
    assert!(super::cert::p256_scalar_of_pkcs8(&[0x30, 0x00]).is_none());
}

/// RFC 5246 §6.2.1: 2^14 bytes of plaintext fit one record; one byte more is refused (the
/// caller cuts its data: SCTP packets are far smaller).
/// The in-place send path: `send_with` hands out the record being written (header and explicit
/// nonce in place, room after them), seals the plaintext appended there, and the datagram that goes
/// out is that same memory; the receiver's `handle_receive_buf` opens it in place and hands the
/// plaintext on as a slice of the buffer it was given. Nothing written, nothing sent; too much,
/// refused.
#[test]
fn send_with_seals_where_the_plaintext_was_written() {
    let mut p = Pair::new(6, DtlsConfig::default(), None);
    p.run(Duration::from_secs(5));
    let _ = (events(&mut p.client), events(&mut p.server));
    for len in [0, 1, 700, 1200] {
        let mut at = 0;
        let sent = p.client.send_with(1200, |buf| {
            // The record header and explicit nonce are in place; room follows.
            assert_eq!(buf.len(), 13 + 8);
            assert!(buf.capacity() - buf.len() >= 1200);
            at = buf.as_ptr() as usize + buf.len();
            buf.extend_from_slice(&vec![len as u8; len]);
            true
        });
        assert_eq!(sent, Ok(true));
        let d = p.client.poll_transmit(p.now).unwrap();
        // 13-byte header, 8-byte explicit nonce (AES-GCM), plaintext, 16-byte tag.
        assert_eq!(d.len(), 13 + 8 + len + 16);
        assert_eq!(d.as_ptr() as usize + 13 + 8, at, "{len}: copied after fill");
        assert!(p.client.poll_transmit(p.now).is_none());

        let buf = BytesMut::from(&d[..]);
        let range = buf.as_ptr() as usize..buf.as_ptr() as usize + buf.len();
        p.server.handle_receive_buf(p.now, buf);
        match &events(&mut p.server)[..] {
            [DtlsEvent::Data(b)] => {
                assert_eq!(&b[..], &vec![len as u8; len][..]);
                if len > 0 {
                    assert!(
                        range.contains(&(b.as_ptr() as usize)),
                        "{len}: copied on open"
                    );
                }
            }
            e => panic!("{len}: {e:?}"),
        }
    }
    assert_eq!(p.client.send_with(1200, |_| false), Ok(false));
    assert_eq!(
        p.client.send_with(1200, |buf| {
            buf.extend_from_slice(&vec![0; (1 << 14) + 1]);
            true
        }),
        Err(DtlsSendError::TooLarge {
            len: (1 << 14) + 1,
            max: 1 << 14
        })
    );
    assert!(p.client.poll_transmit(p.now).is_none());
    // A record refused takes no sequence number: the next one still opens at the peer.
    p.client.send(b"after").unwrap();
    p.run(Duration::from_millis(10));
    assert_eq!(
        events(&mut p.server),
        [DtlsEvent::Data(Bytes::from_static(b"after"))]
    );
}

/// The send and receive arenas take their memory back once every datagram and message cut
/// from it has been dropped (positions repeat: no allocation per chunk of records), and never
/// while the application holds one (what it holds stays intact).
#[test]
fn record_arenas_are_reused_once_released() {
    let mut p = Pair::new(7, DtlsConfig::default(), None);
    p.run(Duration::from_secs(5));
    let _ = (events(&mut p.client), events(&mut p.server));
    let mut decoys = Vec::new();
    let mut exchange = |p: &mut Pair, i: usize| {
        p.client.send(&[i as u8; 1000]).unwrap();
        let d = p.client.poll_transmit(p.now).unwrap();
        let sent_at = d.as_ptr() as usize;
        p.server.handle_receive(p.now, &d);
        drop(d);
        // Were an arena freed, these would take its memory back from malloc.
        decoys.push(vec![0u8; 16 * 1024]);
        match &events(&mut p.server)[..] {
            [DtlsEvent::Data(b)] => (sent_at, b.clone()),
            e => panic!("{i}: {e:?}"),
        }
    };
    let (mut sent, mut opened) = (
        std::collections::BTreeSet::new(),
        std::collections::BTreeSet::new(),
    );
    for i in 0..96 {
        let (at, b) = exchange(&mut p, i);
        assert_eq!(&b[..], &[i as u8; 1000][..]);
        // The first chunks may still hold handshake records (kept for retransmission).
        if i >= 32 {
            sent.insert(at);
            opened.insert(b.as_ptr() as usize);
        }
    }
    // 1037-byte datagrams, 15 to a 16 KiB chunk: 64 of them in the same 15 places.
    assert!(sent.len() <= 16, "{} send positions", sent.len());
    assert!(opened.len() <= 16, "{} receive positions", opened.len());
    // Held messages keep their chunk: nothing written over them.
    let held: Vec<Bytes> = (0..64).map(|i| exchange(&mut p, i).1).collect();
    for (i, b) in held.iter().enumerate() {
        assert_eq!(&b[..], &[i as u8; 1000][..]);
    }
}

/// A sink that lends or keeps, as told, and records what it was handed.
struct Collect {
    keep: bool,
    lent: Vec<Vec<u8>>,
    shared: Vec<Bytes>,
}

impl RecordSink for Collect {
    fn keeps(&mut self, _: &[u8]) -> bool {
        self.keep
    }
    fn record(&mut self, record: &[u8], shared: Option<(&Bytes, std::ops::Range<usize>)>) {
        match shared {
            Some((b, r)) => {
                assert_eq!(&b[r.clone()], record);
                self.shared.push(b.slice(r));
            }
            None => self.lent.push(record.to_vec()),
        }
    }
}

/// A borrowed datagram of application records, for a sink, is opened straight out of the
/// caller's buffer (nothing copied into the receive arena) and lent; when the sink keeps
/// slices the plaintexts are shared from the arena. Replays and forgeries are refused and
/// counted as on the general path, and a datagram with any other record takes that path.
#[test]
fn borrowed_application_data_is_opened_without_a_copy() {
    let mut p = Pair::new(11, DtlsConfig::default(), None);
    p.run(Duration::from_secs(5));
    let _ = (events(&mut p.client), events(&mut p.server));
    p.server.conn.trim();
    assert_eq!(p.server.conn.rx_arena_capacity(), 0);
    let two_records = |p: &mut Pair, a: u8, b: u8| {
        p.client.send(&[a; 900]).unwrap();
        p.client.send(&[b; 300]).unwrap();
        let mut d = p.client.poll_transmit(p.now).unwrap().to_vec();
        d.extend_from_slice(&p.client.poll_transmit(p.now).unwrap());
        d
    };
    let mut lend = Collect {
        keep: false,
        lent: Vec::new(),
        shared: Vec::new(),
    };
    let d = two_records(&mut p, 1, 2);
    p.server.handle_receive_into(p.now, &d, &mut lend);
    assert_eq!(lend.lent, [vec![1; 900], vec![2; 300]]);
    assert!(lend.shared.is_empty());
    assert_eq!(
        p.server.conn.rx_arena_capacity(),
        0,
        "copied into the arena"
    );

    // Replayed whole, then with one record forged: refused and counted, nothing handed on.
    p.server.handle_receive_into(p.now, &d, &mut lend);
    assert_eq!(p.server.stats().dropped_replay, 2);
    let mut forged = two_records(&mut p, 3, 4);
    let last = forged.len() - 1;
    forged[last] ^= 1;
    p.server.handle_receive_into(p.now, &forged, &mut lend);
    assert_eq!(p.server.stats().dropped_auth, 1);
    assert_eq!(lend.lent.len(), 3);
    assert_eq!(lend.lent[2], vec![3; 900]);

    // Kept: the same plaintexts, shared out of the arena.
    let mut keep = Collect {
        keep: true,
        lent: Vec::new(),
        shared: Vec::new(),
    };
    let d = two_records(&mut p, 5, 6);
    p.server.handle_receive_into(p.now, &d, &mut keep);
    assert!(keep.lent.is_empty());
    assert_eq!(keep.shared, [vec![5; 900], vec![6; 300]]);
    assert!(p.server.conn.rx_arena_capacity() > 0);

    // Application data followed by a close_notify: the general path, data first.
    let mut d = two_records(&mut p, 7, 8);
    p.client.close();
    d.extend_from_slice(&p.client.poll_transmit(p.now).unwrap());
    p.server.handle_receive_into(p.now, &d, &mut keep);
    assert_eq!(keep.shared[2..], [vec![7; 900], vec![8; 300]]);
    assert_eq!(p.server.state(), DtlsState::Closed);
}

#[test]
fn record_plaintext_limit() {
    let mut p = Pair::new(5, DtlsConfig::default(), None);
    p.run(Duration::from_secs(5));
    let _ = events(&mut p.server);
    assert_eq!(p.client.send(&vec![7; 1 << 14]), Ok(()));
    assert_eq!(
        p.client.send(&vec![7; (1 << 14) + 1]),
        Err(DtlsSendError::TooLarge {
            len: (1 << 14) + 1,
            max: 1 << 14
        })
    );
    p.run(Duration::from_millis(10));
    assert_eq!(
        events(&mut p.server),
        [DtlsEvent::Data(Bytes::from(vec![7; 1 << 14]))]
    );
}

#[test]
#[ignore = "writes fuzz seeds"]
fn write_fuzz_seeds() {
    let mut p = Pair::new(21, DtlsConfig::default(), None);
    p.run(Duration::from_secs(5));
    p.client.send(b"seed data").unwrap();
    p.run(Duration::from_millis(10));
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus");
    for (i, d) in p.wire.iter().enumerate() {
        std::fs::write(root.join("dtls_record").join(format!("wire-{i}")), d).unwrap();
        let mut rest = &d[..];
        let mut j = 0;
        while let Some(h) = super::record::RecordHeader::parse(rest) {
            let body = &rest[13..13 + usize::from(h.length)];
            if h.content_type == 22 && h.epoch == 0 {
                let mut b = body;
                while let Ok((hh, frag, r)) = super::message::HandshakeHeader::parse(b) {
                    if hh.fragment_offset == 0 && hh.fragment_length == hh.length {
                        std::fs::write(
                            root.join("dtls_message")
                                .join(format!("msg-{i}-{j}-{}", hh.msg_type)),
                            frag,
                        )
                        .unwrap();
                    }
                    j += 1;
                    b = r;
                }
            }
            rest = &rest[13 + usize::from(h.length)..];
        }
    }
}
