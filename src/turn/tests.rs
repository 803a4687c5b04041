use super::*;
use crate::net::{Datagram, Protocol, Transmit};
use crate::rng::{RngRoot, Stream};
use crate::test_util::base;
use proptest::prelude::*;
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

const SERVER: &str = "198.51.100.1:3478";
const CLIENT: &str = "10.0.0.1:5000";
const PEER: &str = "203.0.113.9:7000";

fn a(s: &str) -> SocketAddr {
    s.parse().unwrap()
}

fn static_users() -> TurnCredentials {
    TurnCredentials::Static(BTreeMap::from([("alice".to_owned(), "secret".to_owned())]))
}

struct World {
    now: Instant,
    client: TurnClient,
    server: TurnServer,
    /// What the server sent to PEER.
    at_peer: Vec<Transmit>,
    /// Data the client got from peers.
    got: Vec<(SocketAddr, Vec<u8>)>,
    events: Vec<TurnEvent>,
}

impl World {
    fn new(server_config: TurnServerConfig, client: TurnConfig) -> Self {
        let now = base();
        let root = RngRoot::from_seed(3);
        Self {
            now,
            client: TurnClient::new(client, a(CLIENT), root.stream(Stream::Turn), now),
            server: TurnServer::new(server_config, root.stream(Stream::Server), now),
            at_peer: Vec::new(),
            got: Vec::new(),
            events: Vec::new(),
        }
    }

    fn default_world() -> Self {
        Self::new(
            TurnServerConfig::new("example.org", static_users(), 1_700_000_000),
            TurnConfig::new(a(SERVER), "alice", "secret"),
        )
    }

    /// Moves datagrams until quiet (client <-> server; server -> peer is collected).
    fn pump(&mut self) {
        for _ in 0..100 {
            let mut moved = false;
            while let Some(t) = self.client.poll_transmit() {
                assert_eq!(t.destination, a(SERVER));
                self.server.handle_receive(self.now, t.as_datagram());
                moved = true;
            }
            while let Some(t) = self.server.poll_transmit() {
                moved = true;
                if t.destination == a(CLIENT) {
                    if let TurnReceive::Data { peer, data, .. } =
                        self.client.handle_receive(self.now, t.as_datagram())
                    {
                        self.got.push((peer, data.to_vec()));
                    }
                } else {
                    self.at_peer.push(t);
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
        loop {
            let next = [self.client.poll_timeout(), self.server.poll_timeout()]
                .into_iter()
                .flatten()
                .filter(|t| *t <= end)
                .min();
            let Some(t) = next else { break };
            self.now = self.now.max(t);
            self.client.handle_timeout(self.now);
            self.server.handle_timeout(self.now);
            self.pump();
        }
        self.now = end;
        self.client.handle_timeout(self.now);
        self.server.handle_timeout(self.now);
        self.pump();
    }

    fn allocated(&self) -> Option<SocketAddr> {
        self.events.iter().find_map(|e| match e {
            TurnEvent::Allocated { relayed, .. } => Some(*relayed),
            _ => None,
        })
    }

    fn peer_sends(&mut self, relayed: SocketAddr, data: &[u8]) {
        self.server.handle_receive(
            self.now,
            Datagram {
                source: a(PEER),
                destination: relayed,
                protocol: Protocol::Udp,
                contents: data,
            },
        );
        self.pump();
    }
}

#[test]
fn allocate_with_sha256_long_term_credentials() {
    let mut w = World::default_world();
    w.client.start(w.now);
    w.pump();
    let relayed = w.allocated().expect("allocated");
    assert_eq!(relayed.ip(), a(SERVER).ip());
    assert_eq!(w.server.allocation_count(), 1);
    // One 401 challenge, then success.
    assert_eq!(w.server.stats().unauthorized, 1);
    assert!(
        w.events
            .iter()
            .any(|e| matches!(e, TurnEvent::Allocated { mapped, .. } if *mapped == a(CLIENT)))
    );
}

#[test]
fn allocate_with_md5_against_an_rfc5389_server() {
    let mut cfg = TurnServerConfig::new("example.org", static_users(), 0);
    cfg.password_algorithms = false;
    let mut w = World::new(cfg, TurnConfig::new(a(SERVER), "alice", "secret"));
    w.client.start(w.now);
    w.pump();
    assert!(w.allocated().is_some());
}

#[test]
fn wrong_password_fails_after_one_retry() {
    let mut w = World::new(
        TurnServerConfig::new("example.org", static_users(), 0),
        TurnConfig::new(a(SERVER), "alice", "wrong"),
    );
    w.client.start(w.now);
    w.pump();
    assert!(w.allocated().is_none());
    assert!(
        w.events
            .contains(&TurnEvent::Failed(TurnError::Unauthorized))
    );
    assert_eq!(w.server.stats().unauthorized, 2);
    assert_eq!(w.server.allocation_count(), 0);
}

#[test]
fn permission_then_send_indications_then_channel_data() {
    let mut w = World::default_world();
    w.client.start(w.now);
    w.pump();
    let relayed = w.allocated().unwrap();
    // The first datagram waits for its permission, then goes out as a Send indication; the
    // channel binding follows and later data uses ChannelData.
    w.client.send_to(a(PEER), b"one");
    w.pump();
    assert_eq!(w.at_peer.len(), 1);
    assert_eq!(&w.at_peer[0].contents[..], b"one");
    assert_eq!(
        w.at_peer[0].source, relayed,
        "relayed from the allocation's address"
    );
    assert!(w.client.has_channel(a(PEER)));
    w.client.send_to(a(PEER), b"two");
    w.pump();
    assert_eq!(&w.at_peer[1].contents[..], b"two");
    let s = w.client.stats();
    assert_eq!((s.send_indications, s.channel_data_sent), (1, 1));
    // Peer -> client: ChannelData (bound).
    w.peer_sends(relayed, b"back");
    assert_eq!(w.got, vec![(a(PEER), b"back".to_vec())]);
}

#[test]
fn a_peer_without_permission_is_dropped_by_the_server() {
    let mut w = World::default_world();
    w.client.start(w.now);
    w.pump();
    let relayed = w.allocated().unwrap();
    w.peer_sends(relayed, b"unsolicited");
    assert!(w.got.is_empty());
    assert_eq!(w.server.stats().dropped_no_permission, 1);
}

#[test]
fn refreshes_keep_thirty_minutes_alive_and_close_deallocates() {
    let mut w = World::default_world();
    w.client.start(w.now);
    w.pump();
    let relayed = w.allocated().unwrap();
    w.client.send_to(a(PEER), b"x");
    w.pump();
    w.advance(Duration::from_secs(30 * 60));
    assert_eq!(w.server.allocation_count(), 1);
    // Permission and channel still valid after 30 minutes: data from the peer gets through.
    w.peer_sends(relayed, b"still here");
    assert_eq!(w.got.last().unwrap().1, b"still here");
    // Stale nonces along the way (600 s nonce lifetime) were answered with 438 and retried.
    assert!(w.server.stats().stale_nonces > 0);
    assert!(!w.events.iter().any(|e| matches!(e, TurnEvent::Failed(_))));
    w.client.close(w.now);
    w.pump();
    assert_eq!(w.server.allocation_count(), 0);
    assert_eq!(w.client.poll_timeout(), None);
}

#[test]
fn allocations_expire_without_refresh() {
    let mut w = World::default_world();
    w.client.start(w.now);
    w.pump();
    assert_eq!(w.server.allocation_count(), 1);
    // The client goes silent (not driven); the server frees the allocation at its lifetime.
    let t = w.now + Duration::from_secs(601);
    w.server.handle_timeout(t);
    assert_eq!(w.server.allocation_count(), 0);
    assert_eq!(w.server.stats().allocations_expired, 1);
}

#[test]
fn rest_credentials_and_their_expiry() {
    let secret = b"shared-secret".to_vec();
    let start_unix = 1_700_000_000;
    let creds = RestCredentials::new(&secret, "bob", start_unix, Duration::from_secs(3600));
    assert_eq!(creds.username, "1700003600:bob");
    assert_eq!(
        RestCredentials::expiry_of(&creds.username),
        Some(1_700_003_600)
    );
    let server = || {
        TurnServerConfig::new(
            "example.org",
            TurnCredentials::Rest {
                secret: secret.clone(),
            },
            start_unix,
        )
    };
    let mut w = World::new(
        server(),
        TurnConfig::new(a(SERVER), &creds.username, &creds.password),
    );
    w.client.start(w.now);
    w.pump();
    assert!(w.allocated().is_some());
    // Expired credentials are refused.
    let old = RestCredentials::new(&secret, "bob", start_unix - 7200, Duration::from_secs(3600));
    let mut w = World::new(
        server(),
        TurnConfig::new(a(SERVER), &old.username, &old.password),
    );
    w.client.start(w.now);
    w.pump();
    assert!(w.allocated().is_none());
    assert!(
        w.events
            .contains(&TurnEvent::Failed(TurnError::Unauthorized))
    );
}

/// The REST password is base64(HMAC-SHA1(secret, username)), as coturn computes it.
#[test]
fn rest_password_known_answer() {
    // HMAC-SHA1(key = "key", "The quick brown fox jumps over the lazy dog") is
    // de7c9b85b8b78aa6bc8a7a36f70a90701c9db4d9 (RFC 2104 test vector in common use).
    let p = rest_password(b"key", "The quick brown fox jumps over the lazy dog");
    assert_eq!(p, "3nybhbi3iqa8ino29wqQcBydtNk=");
}

#[test]
fn quota_gives_486() {
    let mut cfg = TurnServerConfig::new("example.org", static_users(), 0);
    cfg.max_allocations = 0;
    let mut w = World::new(cfg, TurnConfig::new(a(SERVER), "alice", "secret"));
    w.client.start(w.now);
    w.pump();
    assert!(
        w.events
            .contains(&TurnEvent::Failed(TurnError::QuotaReached))
    );
}

#[test]
fn an_unanswered_allocate_times_out() {
    let root = RngRoot::from_seed(1);
    let now = base();
    let mut c = TurnClient::new(
        TurnConfig::new(a(SERVER), "alice", "secret"),
        a(CLIENT),
        root.stream(Stream::Turn),
        now,
    );
    c.start(now);
    let mut t = now;
    while let Some(d) = c.poll_timeout() {
        t = d;
        c.handle_timeout(t);
        while c.poll_transmit().is_some() {}
    }
    assert!(t - now < Duration::from_secs(60));
    assert_eq!(c.poll_event(), Some(TurnEvent::Failed(TurnError::Timeout)));
}

#[test]
fn forged_responses_are_dropped() {
    let mut w = World::default_world();
    w.client.start(w.now);
    w.pump();
    // A success response to no transaction of ours, and garbage from the server address.
    let mut m = crate::stun::StunMessage::new(
        crate::stun::Class::SuccessResponse,
        crate::stun::Method::ALLOCATE,
        crate::stun::TransactionId([9; 12]),
    );
    m.attributes
        .push(crate::stun::StunAttribute::XorRelayedAddress(a(
            "1.2.3.4:5",
        )));
    for bytes in [
        m.to_bytes().unwrap(),
        vec![0x40, 0x00, 0x00, 0x10, 1, 2],
        vec![0xFF; 3],
    ] {
        let r = w.client.handle_receive(
            w.now,
            Datagram {
                source: a(SERVER),
                destination: a(CLIENT),
                protocol: Protocol::Udp,
                contents: &bytes,
            },
        );
        assert_eq!(r, TurnReceive::Consumed);
    }
    assert_eq!(w.client.stats().dropped, 3);
    // Not from the server: not ours at all.
    let r = w.client.handle_receive(
        w.now,
        Datagram {
            source: a(PEER),
            destination: a(CLIENT),
            protocol: Protocol::Udp,
            contents: b"x",
        },
    );
    assert_eq!(r, TurnReceive::NotMine);
}

#[test]
fn channel_data_layout_and_padding() {
    let cd = ChannelData {
        channel: 0x4001,
        data: b"abcde",
    };
    let mut v = Vec::new();
    cd.encode(false, &mut v);
    assert_eq!(v, [0x40, 0x01, 0, 5, b'a', b'b', b'c', b'd', b'e']);
    let mut p = Vec::new();
    cd.encode(true, &mut p);
    assert_eq!(p.len(), 12, "RFC 8656 §12.5: padded to 4 over TCP");
    assert_eq!(ChannelData::parse(&p), Ok(cd));
    assert_eq!(
        ChannelData::parse(&[0x30, 0, 0, 0]),
        Err(ChannelDataError::BadChannel(0x3000))
    );
    assert_eq!(
        ChannelData::parse(&[0x40, 0, 0, 9, 1]),
        Err(ChannelDataError::Truncated)
    );
}

proptest! {
    #[test]
    fn channel_data_round_trip(channel in 0x4000u16..=0x4FFF, data in proptest::collection::vec(any::<u8>(), 0..300), pad: bool) {
        let cd = ChannelData { channel, data: &data };
        let mut v = Vec::new();
        cd.encode(pad, &mut v);
        prop_assert_eq!(v.len(), cd.encoded_len(pad));
        prop_assert_eq!(ChannelData::parse(&v), Ok(cd));
    }

    #[test]
    fn channel_data_parse_never_panics(b in proptest::collection::vec(any::<u8>(), 0..40)) {
        let _ = ChannelData::parse(&b);
    }
}

/// RFC 8656 §7.3 / §8: the server restarts and forgets the allocation. The client's next
/// Refresh meets an unknown nonce (401, retried once with the new one) and then 437 Allocation
/// Mismatch: the allocation is reported lost.
#[test]
fn a_server_restart_is_reported_as_allocation_mismatch() {
    let mut w = World::default_world();
    w.client.start(w.now);
    w.pump();
    assert!(w.allocated().is_some());
    w.server = TurnServer::new(
        TurnServerConfig::new("example.org", static_users(), 0),
        RngRoot::from_seed(99).stream(Stream::Server),
        w.now,
    );
    w.advance(Duration::from_secs(600));
    assert!(
        w.events
            .contains(&TurnEvent::Failed(TurnError::AllocationMismatch)),
        "{:?}",
        w.events
    );
}

/// 442 (a transport other than UDP) and 441 (a request on someone else's allocation) from the
/// server side, with hand-made authenticated requests.
#[test]
fn server_refuses_other_transports_and_other_users() {
    use crate::stun::{
        AttributeType, Class, LongTermKey, MessageView, Method, PasswordAlgorithmKind,
        StunAttribute, StunMessage, TransactionId,
    };
    let users = BTreeMap::from([
        ("alice".to_owned(), "secret".to_owned()),
        ("mallory".to_owned(), "pw".to_owned()),
    ]);
    let mut w = World::new(
        TurnServerConfig::new("example.org", TurnCredentials::Static(users), 0),
        TurnConfig::new(a(SERVER), "alice", "secret"),
    );
    let send = |w: &mut World, m: StunMessage, key: Option<&[u8]>| -> u16 {
        let bytes = match key {
            Some(k) => m.to_bytes_with_key(k).unwrap(),
            None => m.to_bytes().unwrap(),
        };
        w.server.handle_receive(
            w.now,
            Datagram {
                source: a(CLIENT),
                destination: a(SERVER),
                protocol: Protocol::Udp,
                contents: &bytes,
            },
        );
        let t = w.server.poll_transmit().expect("an answer");
        let v = MessageView::parse(&t.contents).unwrap();
        match v.decode(AttributeType::ERROR_CODE) {
            Some(Ok(StunAttribute::ErrorCode { code, .. })) => code,
            _ => 0,
        }
    };
    // The challenge gives the nonce.
    let nonce = {
        let m = StunMessage::new(Class::Request, Method::ALLOCATE, TransactionId([1; 12]));
        let bytes = m.to_bytes().unwrap();
        w.server.handle_receive(
            w.now,
            Datagram {
                source: a(CLIENT),
                destination: a(SERVER),
                protocol: Protocol::Udp,
                contents: &bytes,
            },
        );
        let t = w.server.poll_transmit().unwrap();
        match MessageView::parse(&t.contents)
            .unwrap()
            .decode(AttributeType::NONCE)
        {
            Some(Ok(StunAttribute::Nonce(n))) => n,
            _ => panic!("no nonce"),
        }
    };
    let authed = |user: &str, method, tid: u8, mut attrs: Vec<StunAttribute>| {
        let mut m = StunMessage::new(Class::Request, method, TransactionId([tid; 12]));
        m.attributes.append(&mut attrs);
        m.attributes.push(StunAttribute::Username(user.into()));
        m.attributes
            .push(StunAttribute::Realm("example.org".into()));
        m.attributes.push(StunAttribute::Nonce(nonce.clone()));
        m.attributes.push(StunAttribute::MessageIntegrity([0; 20]));
        m
    };
    let key = |user: &str, pw: &str| {
        LongTermKey::new(PasswordAlgorithmKind::Md5, user, "example.org", pw)
            .unwrap()
            .as_bytes()
            .to_vec()
    };
    let k_alice = key("alice", "secret");
    let k_mallory = key("mallory", "pw");
    // RFC 8656 §7.2: UDP only here.
    let m = authed(
        "alice",
        Method::ALLOCATE,
        2,
        vec![StunAttribute::RequestedTransport(6)],
    );
    assert_eq!(send(&mut w, m, Some(&k_alice)), 442);
    let m = authed(
        "alice",
        Method::ALLOCATE,
        3,
        vec![StunAttribute::RequestedTransport(17)],
    );
    assert_eq!(send(&mut w, m, Some(&k_alice)), 0, "allocated");
    // A second Allocate on the same 5-tuple: 437.
    let m = authed(
        "alice",
        Method::ALLOCATE,
        4,
        vec![StunAttribute::RequestedTransport(17)],
    );
    assert_eq!(send(&mut w, m, Some(&k_alice)), 437);
    // Another user's request on alice's allocation: 441.
    let m = authed(
        "mallory",
        Method::REFRESH,
        5,
        vec![StunAttribute::Lifetime(600)],
    );
    assert_eq!(send(&mut w, m, Some(&k_mallory)), 441);
    // A wrong key: 401.
    let m = authed(
        "alice",
        Method::REFRESH,
        6,
        vec![StunAttribute::Lifetime(600)],
    );
    assert_eq!(send(&mut w, m, Some(&k_mallory)), 401);
    assert_eq!(w.server.allocation_count(), 1);
}

/// 508 Insufficient Capacity: the relay port range is exhausted.
#[test]
fn no_free_relay_port_gives_508() {
    let mut cfg = TurnServerConfig::new("example.org", static_users(), 0);
    cfg.relay_ports = 50000..=50000;
    let mut w = World::new(cfg, TurnConfig::new(a(SERVER), "alice", "secret"));
    w.client.start(w.now);
    w.pump();
    assert!(w.allocated().is_some(), "the one port");
    // A second client (another 5-tuple) finds no port.
    let root = RngRoot::from_seed(8);
    let mut second = TurnClient::new(
        TurnConfig::new(a(SERVER), "alice", "secret"),
        a("10.0.0.2:5000"),
        root.stream(Stream::Turn),
        w.now,
    );
    second.start(w.now);
    let mut failed = None;
    for _ in 0..10 {
        while let Some(t) = second.poll_transmit() {
            w.server.handle_receive(w.now, t.as_datagram());
        }
        while let Some(t) = w.server.poll_transmit() {
            let _ = second.handle_receive(w.now, t.as_datagram());
        }
        if let Some(e) = second.poll_event() {
            failed = Some(e);
            break;
        }
    }
    assert_eq!(
        failed,
        Some(TurnEvent::Failed(TurnError::InsufficientCapacity))
    );
}

/// The 16-bit length at its boundary: 65535 bytes are carried whole; more is the caller's error
/// and is cut to 65535, with `encoded_len` telling the same length (never a length field that
/// disagrees with the bytes).
#[test]
fn channel_data_length_at_the_16_bit_boundary() {
    let data = vec![7u8; 65536];
    for (len, carried) in [(65535, 65535), (65536, 65535)] {
        let cd = ChannelData {
            channel: 0x4001,
            data: &data[..len],
        };
        let mut v = Vec::new();
        cd.encode(false, &mut v);
        assert_eq!(v.len(), 4 + carried);
        assert_eq!(cd.encoded_len(false), v.len());
        let parsed = ChannelData::parse(&v).unwrap();
        assert_eq!(parsed.data.len(), carried);
    }
}

/// A datagram too large for a Send indication's 16-bit length is dropped and counted, never
/// sent with a truncated length.
#[test]
fn oversize_datagrams_are_dropped_not_truncated() {
    let mut w = World::default_world();
    w.client.start(w.now);
    w.pump();
    w.allocated().unwrap();
    let before = w.client.stats().dropped_outgoing;
    // Held for its permission, then too large for the indication.
    w.client.send_to(a(PEER), &vec![0x55; 65_520]);
    w.pump();
    assert!(w.at_peer.is_empty());
    assert_eq!(w.client.stats().dropped_outgoing, before + 1);
    assert_eq!(w.client.stats().send_indications, 0);
    // The largest that fits goes out whole.
    w.client.send_to(a(PEER), &vec![0x55; 65_500]);
    w.pump();
    assert_eq!(w.at_peer.len(), 1);
    assert_eq!(w.at_peer[0].contents.len(), 65_500);
}
