//! Handshakes that try to talk our DTLS down, and ClientHello floods: refused with a fatal alert
//! (or, before the cookie round trip, answered statelessly) and counted.

use super::conn::alert;
use super::flight::whole_message;
use super::message::{
    ClientHello, DTLS1_0, DTLS1_2, Extensions, HandshakeHeader, HelloVerifyRequest, ServerHello,
    UseSrtp, msg_type,
};
use super::record::{HEADER_LEN, RecordHeader, content};
use super::*;
use crate::rng::{RngRoot, Stream};
use crate::test_util::base;

fn cert(seed: u64) -> Certificate {
    Certificate::generate(&mut RngRoot::from_seed(seed).stream(Stream::Certificate))
}

fn transport(role: DtlsRole, seed: u64) -> DtlsTransport {
    let other = cert(seed + 1);
    DtlsTransport::new(
        &DtlsContext::new(DtlsConfig::default()),
        &cert(seed),
        role,
        Some(vec![other.fingerprint(FingerprintHash::Sha256)]),
        RngRoot::from_seed(seed).stream(Stream::Dtls),
    )
}

/// A plaintext handshake record holding one whole message.
fn datagram(msg: u8, seq: u16, body: &[u8], record_seq: u64) -> Vec<u8> {
    let whole = whole_message(msg, seq, body);
    let mut d = vec![0u8; HEADER_LEN];
    RecordHeader {
        content_type: content::HANDSHAKE,
        version: DTLS1_2,
        epoch: 0,
        seq: record_seq,
        length: whole.len() as u16,
    }
    .write(&mut d);
    d.extend_from_slice(&whole);
    d
}

/// What a browser's ClientHello would say (suites, groups, EMS, use_srtp).
fn browser_hello(random: [u8; 32]) -> ClientHello {
    ClientHello {
        version: DTLS1_2,
        random,
        session_id: Vec::new(),
        cookie: Vec::new(),
        cipher_suites: vec![0xC02B, 0xC02F, 0xCCA9],
        compression_methods: vec![0],
        extensions: Extensions {
            supported_groups: Some(vec![29, 23]),
            ec_point_formats: Some(vec![0]),
            signature_algorithms: Some(vec![0x0403, 0x0804, 0x0401]),
            use_srtp: Some(UseSrtp {
                profiles: vec![7, 1],
                mki: Vec::new(),
            }),
            extended_master_secret: true,
            renegotiation_info: Some(Vec::new()),
            unknown: Vec::new(),
        },
    }
}

fn encode_hello(h: &ClientHello) -> Vec<u8> {
    let mut b = Vec::new();
    h.encode(&mut b);
    b
}

/// The only datagram `t` sends now.
fn one_transmit(t: &mut DtlsTransport) -> Bytes {
    let d = t.poll_transmit(base()).expect("an answer");
    assert!(t.poll_transmit(base()).is_none(), "exactly one datagram");
    d
}

/// The fatal alert in `d` (a plaintext alert record), if that is what it is.
fn fatal_alert(d: &[u8]) -> Option<u8> {
    let h = RecordHeader::parse(d)?;
    (h.content_type == content::ALERT && h.epoch == 0 && d[HEADER_LEN] == 2)
        .then(|| d[HEADER_LEN + 1])
}

/// The cookie of a HelloVerifyRequest datagram.
fn cookie_of(d: &[u8]) -> Vec<u8> {
    let (h, body, _) = HandshakeHeader::parse(&d[HEADER_LEN..]).expect("a handshake message");
    assert_eq!(h.msg_type, msg_type::HELLO_VERIFY_REQUEST);
    HelloVerifyRequest::parse(body)
        .expect("a HelloVerifyRequest")
        .cookie
}

/// Sends `hello` without a cookie, then with the one the server gives: the server's answer to the
/// second.
fn with_cookie(server: &mut DtlsTransport, mut hello: ClientHello) -> Bytes {
    server.handle_receive(
        base(),
        &datagram(msg_type::CLIENT_HELLO, 0, &encode_hello(&hello), 0),
    );
    let hvr = one_transmit(server);
    hello.cookie = cookie_of(&hvr);
    server.handle_receive(
        base(),
        &datagram(msg_type::CLIENT_HELLO, 1, &encode_hello(&hello), 1),
    );
    server.poll_transmit(base()).expect("an answer")
}

#[test]
fn the_browser_shaped_hello_is_served() {
    // The control for the refusals below: the same hello, unmodified, gets the server's flight.
    let mut s = transport(DtlsRole::Server, 1);
    let flight = with_cookie(&mut s, browser_hello([1; 32]));
    let (h, body, _) = HandshakeHeader::parse(&flight[HEADER_LEN..]).unwrap();
    assert_eq!((h.msg_type, h.message_seq), (msg_type::SERVER_HELLO, 1));
    let sh = ServerHello::parse(body).unwrap();
    assert_eq!(sh.cipher_suite, 0xC02B);
    assert!(sh.extensions.extended_master_secret);
    assert_eq!(sh.extensions.use_srtp.unwrap().profiles, [7]);
    assert_eq!(s.state(), DtlsState::Connecting);
}

/// RFC 7627 §5.2 (no extended master secret), a suite we do not implement, and versions below
/// DTLS 1.2: a fatal alert, the transport failed with the reason, nothing else sent.
#[test]
fn server_refuses_downgrades_with_a_fatal_alert() {
    let no_ems = {
        let mut h = browser_hello([2; 32]);
        h.extensions.extended_master_secret = false;
        h
    };
    let cbc_only = ClientHello {
        cipher_suites: vec![0x002F, 0xC013], // TLS_RSA_WITH_AES_128_CBC_SHA, ECDHE_RSA_AES128_CBC
        ..browser_hello([3; 32])
    };
    let no_common_group = {
        let mut h = browser_hello([4; 32]);
        h.extensions.supported_groups = Some(vec![25, 30]); // secp521r1, x448
        h
    };
    for (name, hello, expected) in [
        ("no EMS", no_ems, alert::HANDSHAKE_FAILURE),
        ("CBC suites only", cbc_only, alert::HANDSHAKE_FAILURE),
        ("no common group", no_common_group, alert::HANDSHAKE_FAILURE),
    ] {
        let mut s = transport(DtlsRole::Server, 2);
        let answer = with_cookie(&mut s, hello);
        assert_eq!(fatal_alert(&answer), Some(expected), "{name}");
        assert!(
            s.poll_transmit(base()).is_none(),
            "{name}: nothing after the alert"
        );
        assert_eq!(s.state(), DtlsState::Failed, "{name}");
        let e: Vec<_> = std::iter::from_fn(|| s.poll_event()).collect();
        assert!(
            matches!(&e[..], [DtlsEvent::Failed(DtlsFailure::Refused { alert, .. })] if *alert == expected),
            "{name}: {e:?}"
        );
    }
    // TLS 1.0 (0x0301) and DTLS 1.0 (0xFEFF): refused before the cookie exchange with a
    // stateless protocol_version alert, counted; a stranger's hello cannot end the transport,
    // which still serves the real client afterwards.
    let mut s = transport(DtlsRole::Server, 3);
    for (i, version) in [0x0301u16, DTLS1_0].into_iter().enumerate() {
        let hello = ClientHello {
            version,
            ..browser_hello([5; 32])
        };
        s.handle_receive(
            base(),
            &datagram(msg_type::CLIENT_HELLO, 0, &encode_hello(&hello), 0),
        );
        let answer = one_transmit(&mut s);
        assert_eq!(
            fatal_alert(&answer),
            Some(alert::PROTOCOL_VERSION),
            "{version:#x}"
        );
        assert_eq!(s.stats().hellos_refused, i as u64 + 1);
        assert_eq!(s.state(), DtlsState::Connecting);
    }
    let flight = with_cookie(&mut s, browser_hello([6; 32]));
    assert_eq!(flight[HEADER_LEN], msg_type::SERVER_HELLO);
}

/// The client's side of the same: a ServerHello that picks what we did not offer, omits EMS or
/// names another version ends the handshake with the matching fatal alert.
#[test]
fn client_refuses_downgrades_with_a_fatal_alert() {
    let sh = |version, suite, ems: bool| ServerHello {
        version,
        random: [9; 32],
        session_id: Vec::new(),
        cipher_suite: suite,
        compression_method: 0,
        extensions: Extensions {
            extended_master_secret: ems,
            renegotiation_info: Some(Vec::new()),
            ..Extensions::default()
        },
    };
    for (name, hello, expected) in [
        (
            "suite not offered",
            sh(DTLS1_2, 0x002F, true),
            alert::ILLEGAL_PARAMETER,
        ),
        (
            "no EMS",
            sh(DTLS1_2, 0xC02B, false),
            alert::HANDSHAKE_FAILURE,
        ),
        (
            "DTLS 1.0",
            sh(DTLS1_0, 0xC02B, true),
            alert::PROTOCOL_VERSION,
        ),
    ] {
        let mut c = transport(DtlsRole::Client, 4);
        let _hello = one_transmit(&mut c);
        let mut body = Vec::new();
        hello.encode(&mut body);
        c.handle_receive(base(), &datagram(msg_type::SERVER_HELLO, 0, &body, 0));
        let answer = one_transmit(&mut c);
        assert_eq!(fatal_alert(&answer), Some(expected), "{name}");
        assert_eq!(c.state(), DtlsState::Failed, "{name}");
        assert_eq!(c.poll_timeout(), None, "{name}: no timer after failing");
    }
}

/// RFC 6347 §4.2.1: until a ClientHello returns our cookie the server keeps nothing. Ten thousand
/// hellos, each with another random (so another cookie): one HelloVerifyRequest each, smaller
/// than the hello (no amplification), no state, and the real client is served afterwards.
#[test]
fn client_hello_flood_keeps_no_state() {
    let mut s = transport(DtlsRole::Server, 5);
    for i in 0..10_000u32 {
        let mut random = [0u8; 32];
        random[..4].copy_from_slice(&i.to_be_bytes());
        let d = datagram(
            msg_type::CLIENT_HELLO,
            0,
            &encode_hello(&browser_hello(random)),
            u64::from(i),
        );
        s.handle_receive(base(), &d);
        let hvr = one_transmit(&mut s);
        assert!(
            hvr.len() < d.len(),
            "HelloVerifyRequest {} vs {}",
            hvr.len(),
            d.len()
        );
        // An echoed cookie of another hello does not pass (bound to the hello's random).
        if i == 1 {
            let mut other = browser_hello([0xEE; 32]);
            other.cookie = cookie_of(&hvr);
            s.handle_receive(
                base(),
                &datagram(msg_type::CLIENT_HELLO, 1, &encode_hello(&other), 1),
            );
            let again = one_transmit(&mut s);
            assert_eq!(again[HEADER_LEN], msg_type::HELLO_VERIFY_REQUEST);
        }
    }
    assert_eq!(s.stats().hello_verify_requests, 10_001);
    assert_eq!(s.conn.held_bytes(), 0, "nothing kept for any of them");
    assert_eq!(s.state(), DtlsState::Connecting);
    let flight = with_cookie(&mut s, browser_hello([7; 32]));
    assert_eq!(flight[HEADER_LEN], msg_type::SERVER_HELLO);
}

/// A hello numbered past any handshake (message_seq 65535, cookie or not) is dropped and
/// counted, never answered: nothing can count past it.
#[test]
fn hello_numbered_past_any_handshake_is_dropped() {
    let mut s = transport(DtlsRole::Server, 6);
    let mut hello = browser_hello([8; 32]);
    s.handle_receive(
        base(),
        &datagram(msg_type::CLIENT_HELLO, 0, &encode_hello(&hello), 0),
    );
    hello.cookie = cookie_of(&one_transmit(&mut s));
    s.handle_receive(
        base(),
        &datagram(msg_type::CLIENT_HELLO, u16::MAX, &encode_hello(&hello), 1),
    );
    assert!(s.poll_transmit(base()).is_none());
    assert_eq!(s.stats().dropped_malformed, 1);
    assert_eq!(s.state(), DtlsState::Connecting);
}
