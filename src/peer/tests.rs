use super::*;
use crate::channel::{DcepMessage, DcepOpen, Reliability};
use crate::event::ChannelState;
use crate::test_util::base;
use std::sync::OnceLock;

fn context() -> Arc<DtlsContext> {
    static CTX: OnceLock<Arc<DtlsContext>> = OnceLock::new();
    CTX.get_or_init(|| Arc::new(DtlsContext::new(Default::default())))
        .clone()
}

fn peer(seed: u64, address: &str, now: Instant) -> Peer {
    let mut p = Peer::new(PeerConfig::new().seed(seed).dtls_context(context()), now);
    p.add_local_address(address.parse().unwrap());
    p
}

/// Two peers wired back to back with a fixed one-way delay of 0 (delivered on the next step).
struct Wire {
    a: Peer,
    b: Peer,
    now: Instant,
    events_a: Vec<Event>,
    events_b: Vec<Event>,
}

impl Wire {
    fn new(seed: u64) -> Self {
        let now = base();
        Self {
            a: peer(seed, "10.0.0.1:1000", now),
            b: peer(seed + 1, "10.0.0.2:2000", now),
            now,
            events_a: Vec::new(),
            events_b: Vec::new(),
        }
    }

    fn negotiate(&mut self) {
        let offer = self.a.create_offer().unwrap();
        self.a.set_local_description(offer.clone()).unwrap();
        self.b.set_remote_description(offer).unwrap();
        let answer = self.b.create_answer().unwrap();
        self.b.set_local_description(answer.clone()).unwrap();
        self.a.set_remote_description(answer).unwrap();
    }

    /// Moves everything due; advances to the next deadline when idle. Returns false when idle
    /// with no deadline.
    fn step(&mut self) -> bool {
        let mut moved = false;
        while let Some(t) = self.a.poll_transmit(self.now) {
            self.b.handle_receive(self.now, t.as_datagram());
            moved = true;
        }
        while let Some(t) = self.b.poll_transmit(self.now) {
            self.a.handle_receive(self.now, t.as_datagram());
            moved = true;
        }
        while let Some(e) = self.a.poll_event() {
            self.events_a.push(e);
            moved = true;
        }
        while let Some(e) = self.b.poll_event() {
            self.events_b.push(e);
            moved = true;
        }
        if moved {
            return true;
        }
        let next = [self.a.poll_timeout(), self.b.poll_timeout()]
            .into_iter()
            .flatten()
            .min();
        let Some(t) = next else { return false };
        self.now = self.now.max(t);
        self.a.handle_timeout(self.now);
        self.b.handle_timeout(self.now);
        true
    }

    fn run_until(&mut self, mut done: impl FnMut(&Self) -> bool) {
        for _ in 0..100_000 {
            if done(self) {
                return;
            }
            if !self.step() {
                break;
            }
        }
        assert!(done(self), "condition not reached");
    }

    fn connect(&mut self) {
        self.negotiate();
        self.run_until(|w| {
            w.a.connection_state() == PeerConnectionState::Connected
                && w.b.connection_state() == PeerConnectionState::Connected
                && w.a.sctp.as_ref().is_some_and(Association::is_established)
                && w.b.sctp.as_ref().is_some_and(Association::is_established)
        });
    }
}

#[test]
fn connection_states_follow_the_w3c_order() {
    let mut w = Wire::new(1);
    assert_eq!(w.a.connection_state(), PeerConnectionState::New);
    w.connect();
    let states: Vec<_> = w
        .events_a
        .iter()
        .filter_map(|e| match e {
            Event::ConnectionStateChange(s) => Some(*s),
            _ => None,
        })
        .collect();
    assert_eq!(
        states,
        [
            PeerConnectionState::Connecting,
            PeerConnectionState::Connected
        ]
    );
    let signaling: Vec<_> = w
        .events_a
        .iter()
        .filter_map(|e| match e {
            Event::SignalingStateChange(s) => Some(*s),
            _ => None,
        })
        .collect();
    assert_eq!(
        signaling,
        [SignalingState::HaveLocalOffer, SignalingState::Stable]
    );
    w.a.close();
    assert_eq!(w.a.connection_state(), PeerConnectionState::Closed);
    assert_eq!(w.a.poll_timeout(), None);
    // The close reaches b: SCTP ABORT (User-Initiated Abort) and close_notify. A remote close
    // is not a failure.
    w.run_until(|w| {
        w.events_b
            .contains(&Event::SctpClosed(crate::sctp::CloseReason::PeerAbort {
                cause: Some(12),
            }))
    });
    assert!(
        !w.events_b.iter().any(|e| matches!(e, Event::Failed(_))),
        "{:?}",
        w.events_b
    );
}

/// RFC 9260 §3.3.10: which SCTP endings are failures. A remote's ABORT without a cause or with
/// User-Initiated Abort (12) is a close; one reporting an error (Protocol Violation, 13;
/// Invalid Stream Identifier, 1; ...) is a failure, as are our own give-ups.
#[test]
fn which_sctp_endings_are_failures() {
    use crate::sctp::CloseReason as R;
    for (reason, failure) in [
        (R::Shutdown, false),
        (R::LocalAbort, false),
        (R::PeerAbort { cause: None }, false),
        (R::PeerAbort { cause: Some(12) }, false),
        (R::PeerAbort { cause: Some(13) }, true),
        (R::PeerAbort { cause: Some(1) }, true),
        (R::HandshakeTimeout, true),
        (R::TooManyRetransmissions, true),
    ] {
        assert_eq!(
            super::routing::sctp_close_is_failure(reason),
            failure,
            "{reason:?}"
        );
    }
}

#[test]
fn channel_commands_fail_cleanly_before_and_after() {
    let now = base();
    let mut p = peer(3, "10.0.0.1:1", now);
    let both = ChannelOptions {
        max_retransmits: Some(1),
        max_packet_life_time: Some(Duration::from_millis(1)),
        ..Default::default()
    };
    assert_eq!(
        p.create_data_channel("x", both),
        Err(ChannelError::InvalidOptions)
    );
    assert_eq!(
        p.create_data_channel(
            "x",
            ChannelOptions {
                negotiated: Some(u16::MAX),
                ..Default::default()
            }
        ),
        Err(ChannelError::IdUnavailable(u16::MAX))
    );
    let id = p.create_data_channel("x", Default::default()).unwrap();
    assert_eq!(p.channel_state(id), Some(ChannelState::Connecting));
    assert_eq!(p.send_text(id, "early"), Err(ChannelError::NotOpen));
    // Closing a channel that never connected closes it at once.
    p.close_channel(id).unwrap();
    assert_eq!(p.channel_state(id), None);
    assert_eq!(p.close_channel(id), Err(ChannelError::UnknownChannel));
    p.close();
    assert_eq!(
        p.create_data_channel("y", Default::default()),
        Err(ChannelError::Closed)
    );
}

#[test]
fn negotiation_needed_once_until_stable() {
    let now = base();
    let mut p = peer(4, "10.0.0.1:1", now);
    p.create_data_channel("a", Default::default()).unwrap();
    p.create_data_channel("b", Default::default()).unwrap();
    let n = std::iter::from_fn(|| p.poll_event())
        .filter(|e| *e == Event::NegotiationNeeded)
        .count();
    assert_eq!(n, 1);
}

#[test]
fn rollback_returns_to_stable() {
    let now = base();
    let mut p = peer(5, "10.0.0.1:1", now);
    let offer = p.create_offer().unwrap();
    p.set_local_description(offer).unwrap();
    assert_eq!(p.signaling_state(), SignalingState::HaveLocalOffer);
    p.rollback().unwrap();
    assert_eq!(p.signaling_state(), SignalingState::Stable);
    assert!(p.rollback().is_err());
}

#[test]
fn message_size_limit_from_the_remote_description() {
    let mut w = Wire::new(6);
    let id = w.a.create_data_channel("big", Default::default()).unwrap();
    w.connect();
    w.run_until(|w| w.a.channel_state(id) == Some(ChannelState::Open));
    // b advertises 256 KiB (its PeerLimits default).
    let big = vec![0u8; 256 * 1024 + 1];
    assert_eq!(
        w.a.send_binary(id, big),
        Err(ChannelError::TooLarge {
            len: 256 * 1024 + 1,
            max: 256 * 1024
        })
    );
    w.a.send_binary(id, vec![7u8; 256 * 1024]).unwrap();
    w.run_until(|w| {
        w.events_b
            .iter()
            .any(|e| matches!(e, Event::ChannelMessage(m) if m.data.len() == 256 * 1024))
    });
}

/// A DATA_CHANNEL_OPEN on a stream of our own parity is refused by resetting it, and counted.
#[test]
fn an_open_with_the_wrong_parity_is_refused() {
    let mut w = Wire::new(7);
    w.connect();
    // b is the DTLS client (even ids). Make a send a raw OPEN on an even stream to b.
    let open = DcepMessage::Open(DcepOpen {
        ordered: true,
        reliability: Reliability::Reliable,
        priority: 256,
        label: "evil".into(),
        protocol: String::new(),
    });
    w.a.sctp
        .as_mut()
        .unwrap()
        .send(
            4,
            crate::channel::ppid::DCEP,
            bytes::Bytes::from(open.to_bytes()),
            Default::default(),
        )
        .unwrap();
    w.run_until(|w| w.b.stats().dropped.channels_refused == 1);
    assert!(
        !w.events_b
            .iter()
            .any(|e| matches!(e, Event::DataChannel { .. }))
    );
    // A well-formed OPEN on an odd stream is accepted.
    w.a.sctp
        .as_mut()
        .unwrap()
        .send(
            5,
            crate::channel::ppid::DCEP,
            bytes::Bytes::from(open.to_bytes()),
            Default::default(),
        )
        .unwrap();
    w.run_until(|w| {
        w.events_b
            .iter()
            .any(|e| matches!(e, Event::DataChannel { label, .. } if label == "evil"))
    });
}

#[test]
fn deprecated_partial_ppids_are_joined() {
    let mut w = Wire::new(8);
    let id = w.a.create_data_channel("old", Default::default()).unwrap();
    w.connect();
    w.run_until(|w| w.a.channel_state(id) == Some(ChannelState::Open));
    let stream = w.a.channel_stream_id(id).unwrap();
    let sctp = w.a.sctp.as_mut().unwrap();
    for (ppid, part) in [
        (crate::channel::ppid::BINARY_PARTIAL, &b"ab"[..]),
        (crate::channel::ppid::BINARY_PARTIAL, b"cd"),
        (crate::channel::ppid::BINARY, b"e"),
        (999, b"?"),
    ] {
        sctp.send(
            stream,
            ppid,
            bytes::Bytes::copy_from_slice(part),
            Default::default(),
        )
        .unwrap();
    }
    w.run_until(|w| w.b.stats().dropped.messages_unknown_ppid == 1);
    let got: Vec<_> = w
        .events_b
        .iter()
        .filter_map(|e| match e {
            Event::ChannelMessage(m) => Some(m.data.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(got, [bytes::Bytes::from_static(b"abcde")]);
}

#[test]
fn dtls_from_an_unknown_address_is_dropped() {
    let mut w = Wire::new(9);
    w.connect();
    let record = [22u8, 0xfe, 0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
    w.a.handle_receive(
        w.now,
        Datagram {
            source: "10.9.9.9:9".parse().unwrap(),
            destination: "10.0.0.1:1000".parse().unwrap(),
            protocol: Protocol::Udp,
            contents: &record,
        },
    );
    assert_eq!(w.a.stats().dropped.dtls_unknown_source, 1);
    assert!(!w.a.accepts(&Datagram {
        source: "10.9.9.9:9".parse().unwrap(),
        destination: "10.0.0.1:1000".parse().unwrap(),
        protocol: Protocol::Udp,
        contents: &record,
    }));
    assert_eq!(w.a.connection_state(), PeerConnectionState::Connected);
}

#[test]
fn buffered_amount_low_fires() {
    let mut w = Wire::new(10);
    let id = w.a.create_data_channel("b", Default::default()).unwrap();
    w.connect();
    w.run_until(|w| w.a.channel_state(id) == Some(ChannelState::Open));
    w.a.set_buffered_amount_low_threshold(id, 1000).unwrap();
    for _ in 0..100 {
        w.a.send_binary(id, vec![1u8; 1000]).unwrap();
    }
    assert!(w.a.buffered_amount(id) >= 90_000);
    w.run_until(|w| w.events_a.contains(&Event::BufferedAmountLow(id)));
    assert!(w.a.buffered_amount(id) <= 1000);
}

/// RFC 8831 §6.4: channel priorities weigh the SCTP scheduler (high : very-low = 8 : 1).
#[test]
fn channel_priority_weighs_the_scheduler() {
    let mut w = Wire::new(11);
    let opts = |priority| ChannelOptions {
        priority,
        ..Default::default()
    };
    let high = w.a.create_data_channel("high", opts(1024)).unwrap();
    let low = w.a.create_data_channel("low", opts(128)).unwrap();
    w.connect();
    w.run_until(|w| {
        w.a.channel_state(high) == Some(ChannelState::Open)
            && w.a.channel_state(low) == Some(ChannelState::Open)
    });
    for _ in 0..3000 {
        w.a.send_binary(high, vec![1u8; 1000]).unwrap();
        w.a.send_binary(low, vec![2u8; 1000]).unwrap();
    }
    let sent = |w: &Wire, id| 3_000_000usize.saturating_sub(w.a.buffered_amount(id));
    w.run_until(|w| sent(w, high) + sent(w, low) >= 1_000_000);
    let ratio = sent(&w, high) as f64 / sent(&w, low) as f64;
    assert!((7.0..=9.0).contains(&ratio), "ratio {ratio}");
}

mod api_sequences {
    use super::*;
    use proptest::prelude::*;

    #[derive(Debug, Clone)]
    enum Op {
        Channel {
            a: bool,
            ordered: bool,
            rexmit: Option<u16>,
            negotiated: Option<u16>,
        },
        Send {
            a: bool,
            channel: usize,
            len: usize,
            binary: bool,
        },
        CloseChannel {
            a: bool,
            channel: usize,
        },
        Negotiate {
            a_offers: bool,
        },
        OfferOnly {
            a: bool,
        },
        Rollback {
            a: bool,
        },
        RestartIce {
            a: bool,
        },
        Candidate {
            a: bool,
            text: String,
        },
        Garbage {
            a: bool,
            bytes: Vec<u8>,
        },
        Deliver {
            count: usize,
            drop_every: usize,
        },
        Advance {
            ms: u64,
        },
        /// Deliver everything and jump to the next deadline, `steps` times (the lossless wire).
        Run {
            steps: usize,
        },
        Close {
            a: bool,
        },
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            (
                any::<bool>(),
                any::<bool>(),
                proptest::option::of(0u16..4),
                proptest::option::of(0u16..8)
            )
                .prop_map(|(a, ordered, rexmit, negotiated)| Op::Channel {
                    a,
                    ordered,
                    rexmit,
                    negotiated
                }),
            (any::<bool>(), 0usize..8, 0usize..3000, any::<bool>()).prop_map(
                |(a, channel, len, binary)| Op::Send {
                    a,
                    channel,
                    len,
                    binary
                }
            ),
            (any::<bool>(), 0usize..8).prop_map(|(a, channel)| Op::CloseChannel { a, channel }),
            any::<bool>().prop_map(|a_offers| Op::Negotiate { a_offers }),
            any::<bool>().prop_map(|a| Op::OfferOnly { a }),
            any::<bool>().prop_map(|a| Op::Rollback { a }),
            any::<bool>().prop_map(|a| Op::RestartIce { a }),
            (any::<bool>(), "candidate:[0-9a-z .]{0,40}")
                .prop_map(|(a, text)| Op::Candidate { a, text }),
            (any::<bool>(), proptest::collection::vec(any::<u8>(), 0..64))
                .prop_map(|(a, bytes)| Op::Garbage { a, bytes }),
            (1usize..200, 0usize..5)
                .prop_map(|(count, drop_every)| Op::Deliver { count, drop_every }),
            (1u64..3000).prop_map(|ms| Op::Advance { ms }),
            (1usize..300).prop_map(|steps| Op::Run { steps }),
            (1usize..300).prop_map(|steps| Op::Run { steps }),
            any::<bool>().prop_map(|a| Op::Close { a }),
        ]
    }

    struct Side {
        peer: Peer,
        channels: Vec<ChannelId>,
        states: Vec<PeerConnectionState>,
    }

    fn side(w: &mut [Side; 2], a: bool) -> &mut Side {
        &mut w[usize::from(!a)]
    }

    fn legal(from: PeerConnectionState, to: PeerConnectionState) -> bool {
        use PeerConnectionState as S;
        // W3C: closed is final; nothing goes back to new.
        from != S::Closed && to != S::New
    }

    /// Random sequences of API calls and network events never panic and keep the W3C state
    /// rules; enough of them connect for the rules to be exercised past `connecting`.
    #[test]
    fn any_call_sequence_keeps_the_rules() {
        let connected_cases = std::cell::Cell::new(0);
        let mut runner = proptest::test_runner::TestRunner::new(ProptestConfig {
            cases: 48,
            ..ProptestConfig::default()
        });
        let result = runner.run(&proptest::collection::vec(op(), 1..60), |ops| {
            let mut now = base();
            let mut w = [
                Side {
                    peer: peer(100, "10.0.0.1:1000", now),
                    channels: Vec::new(),
                    states: vec![PeerConnectionState::New],
                },
                Side {
                    peer: peer(101, "10.0.0.2:2000", now),
                    channels: Vec::new(),
                    states: vec![PeerConnectionState::New],
                },
            ];
            let mut wire: VecDeque<(bool, Transmit)> = VecDeque::new();
            let mut reached_connected = false;
            for op in ops {
                match op {
                    Op::Channel {
                        a,
                        ordered,
                        rexmit,
                        negotiated,
                    } => {
                        let s = side(&mut w, a);
                        let opts = ChannelOptions {
                            ordered,
                            max_retransmits: rexmit,
                            negotiated,
                            ..Default::default()
                        };
                        if let Ok(id) = s.peer.create_data_channel("p", opts) {
                            s.channels.push(id);
                        }
                    }
                    Op::Send {
                        a,
                        channel,
                        len,
                        binary,
                    } => {
                        let s = side(&mut w, a);
                        if let Some(&id) = s.channels.get(channel) {
                            let data = vec![7u8; len];
                            let _ = if binary {
                                s.peer.send_binary(id, data)
                            } else {
                                s.peer.send_text(id, &"x".repeat(len))
                            };
                        }
                    }
                    Op::CloseChannel { a, channel } => {
                        let s = side(&mut w, a);
                        if let Some(&id) = s.channels.get(channel) {
                            let _ = s.peer.close_channel(id);
                        }
                    }
                    Op::Negotiate { a_offers } => {
                        let (o, r) = if a_offers { (0, 1) } else { (1, 0) };
                        if let Ok(offer) = w[o].peer.create_offer()
                            && w[o].peer.set_local_description(offer.clone()).is_ok()
                            && w[r].peer.set_remote_description(offer).is_ok()
                            && let Ok(answer) = w[r].peer.create_answer()
                            && w[r].peer.set_local_description(answer.clone()).is_ok()
                        {
                            let _ = w[o].peer.set_remote_description(answer);
                        }
                    }
                    Op::OfferOnly { a } => {
                        let s = side(&mut w, a);
                        if let Ok(offer) = s.peer.create_offer() {
                            let _ = s.peer.set_local_description(offer);
                        }
                    }
                    Op::Rollback { a } => {
                        let _ = side(&mut w, a).peer.rollback();
                    }
                    Op::RestartIce { a } => side(&mut w, a).peer.restart_ice(),
                    Op::Candidate { a, text } => {
                        let _ = side(&mut w, a).peer.add_remote_candidate(&text);
                    }
                    Op::Garbage { a, bytes } => {
                        let (src, dst) = if a {
                            ("10.0.0.2:2000", "10.0.0.1:1000")
                        } else {
                            ("10.0.0.1:1000", "10.0.0.2:2000")
                        };
                        side(&mut w, a).peer.handle_receive(
                            now,
                            Datagram {
                                source: src.parse().unwrap(),
                                destination: dst.parse().unwrap(),
                                protocol: Protocol::Udp,
                                contents: &bytes,
                            },
                        );
                    }
                    Op::Deliver { count, drop_every } => {
                        for (i, s) in w.iter_mut().enumerate() {
                            while let Some(t) = s.peer.poll_transmit(now) {
                                wire.push_back((i == 0, t));
                                if wire.len() > 4096 {
                                    wire.pop_front();
                                }
                            }
                        }
                        for k in 0..count {
                            let Some((from_a, t)) = wire.pop_front() else {
                                break;
                            };
                            if drop_every > 0 && k % (drop_every + 1) == drop_every {
                                continue;
                            }
                            side(&mut w, !from_a)
                                .peer
                                .handle_receive(now, t.as_datagram());
                        }
                    }
                    Op::Advance { ms } => {
                        now += Duration::from_millis(ms);
                        for s in w.iter_mut() {
                            s.peer.handle_timeout(now);
                        }
                    }
                    Op::Run { steps } => {
                        for _ in 0..steps {
                            let mut moved = false;
                            for i in 0..2 {
                                while let Some(t) = w[i].peer.poll_transmit(now) {
                                    w[1 - i].peer.handle_receive(now, t.as_datagram());
                                    moved = true;
                                }
                            }
                            if !moved {
                                let next = w.iter().filter_map(|s| s.peer.poll_timeout()).min();
                                let Some(t) = next else { break };
                                now = now.max(t);
                                for s in w.iter_mut() {
                                    s.peer.handle_timeout(now);
                                }
                            }
                            for s in w.iter_mut() {
                                while let Some(e) = s.peer.poll_event() {
                                    if let Event::ConnectionStateChange(to) = e {
                                        let from = *s.states.last().unwrap();
                                        prop_assert!(legal(from, to), "{from:?} -> {to:?}");
                                        s.states.push(to);
                                    }
                                }
                            }
                        }
                    }
                    Op::Close { a } => side(&mut w, a).peer.close(),
                }
                for s in w.iter_mut() {
                    while let Some(e) = s.peer.poll_event() {
                        if let Event::ConnectionStateChange(to) = e {
                            let from = *s.states.last().unwrap();
                            prop_assert!(legal(from, to), "{from:?} -> {to:?}");
                            s.states.push(to);
                        }
                    }
                    prop_assert_eq!(s.peer.connection_state(), *s.states.last().unwrap());
                    reached_connected |=
                        s.peer.connection_state() == PeerConnectionState::Connected;
                    if s.peer.connection_state() == PeerConnectionState::Closed {
                        prop_assert_eq!(s.peer.poll_timeout(), None);
                    }
                }
            }
            if reached_connected {
                connected_cases.set(connected_cases.get() + 1);
            }
            Ok(())
        });
        if let Err(e) = result {
            panic!("{e}");
        }
        assert!(
            connected_cases.get() >= 5,
            "only {} cases connected",
            connected_cases.get()
        );
    }
}

/// A 256-bit seed (`PeerConfig::seed_bytes`) replays like a 64-bit one, is a different root
/// from any 64-bit seed, and never shows in `Debug`; unseeded peers differ from each other.
#[test]
fn seeds_of_256_bits_replay_and_stay_secret() {
    let now = base();
    let offer = |config: PeerConfig| {
        let mut p = Peer::new(config.dtls_context(context()), now);
        p.add_local_address("10.0.0.1:1".parse().unwrap());
        p.create_data_channel("x", ChannelOptions::default())
            .unwrap();
        p.create_offer().unwrap().sdp.to_string()
    };
    let key = [0x5Au8; 32];
    let a = offer(PeerConfig::new().seed_bytes(key));
    assert_eq!(
        a,
        offer(PeerConfig::new().seed_bytes(key)),
        "same key, same bytes"
    );
    let mut other = key;
    other[31] ^= 1;
    assert_ne!(a, offer(PeerConfig::new().seed_bytes(other)));
    assert_ne!(a, offer(PeerConfig::new().seed(0x5A5A_5A5A_5A5A_5A5A)));
    assert_ne!(
        offer(PeerConfig::new()),
        offer(PeerConfig::new()),
        "OS seeding"
    );
    let shown = format!("{:?}", PeerConfig::new().seed_bytes(key));
    assert!(
        shown.contains("Secret(..)") && !shown.contains("90"),
        "{shown}"
    );
}

/// Chrome's and Safari's mDNS host candidates (`<uuid>.local`) get an outcome of their own, so
/// that the application can resolve them; resolved, the candidate is added (and a second time
/// it is a duplicate, refused).
#[test]
fn mdns_candidates_ask_to_be_resolved() {
    let mut w = Wire::new(9);
    w.connect();
    let mdns = "candidate:3079231839 1 udp 2122260223 \
                4b3c2e1a-9f4d-4e77-8c1b-2f6a3d5e7c90.local 61234 typ host generation 0 \
                ufrag Xy9w network-id 1";
    assert_eq!(
        w.b.add_remote_candidate(mdns),
        Err(CandidateError::NeedsResolution {
            name: "4b3c2e1a-9f4d-4e77-8c1b-2f6a3d5e7c90.local".into()
        })
    );
    let ip = "10.0.0.77".parse().unwrap();
    assert_eq!(w.b.add_remote_candidate_resolved(mdns, ip), Ok(()));
    assert_eq!(
        w.b.add_remote_candidate_resolved(mdns, ip),
        Err(CandidateError::Refused),
        "the resolved candidate was added: the same one again is a duplicate"
    );
    // A literal address never asks.
    let literal = "candidate:1 1 udp 2122260223 10.0.0.78 61234 typ host";
    assert_eq!(w.b.add_remote_candidate(literal), Ok(()));
}

/// Trickled candidates carry what a browser's `RTCIceCandidateInit` does (mid, m-line index,
/// ufrag), and `add_ice_candidate` checks them: another generation's ufrag (from before a
/// restart) or an unknown section is refused, and counted.
#[test]
fn candidates_carry_their_section_and_generation() {
    let mut w = Wire::new(11);
    w.connect();
    // Gathered before any local description: the section is not known yet.
    let early = w
        .events_a
        .iter()
        .find_map(|e| match e {
            Event::LocalCandidate(c) => Some(c.clone()),
            _ => None,
        })
        .expect("a trickled candidate");
    assert_eq!((early.sdp_mid, early.sdp_m_line_index), (None, None));
    assert!(early.username_fragment.is_some());
    // A new local address once negotiated: its candidate names the section.
    w.a.add_local_address("10.0.0.1:2".parse().unwrap());
    let init = std::iter::from_fn(|| w.a.poll_event())
        .find_map(|e| match e {
            Event::LocalCandidate(c) => Some(c),
            _ => None,
        })
        .expect("a candidate for the new address");
    let local = w.a.local_description().unwrap().sdp.clone();
    let data = &local.media[0];
    assert_eq!(init.sdp_mid.as_deref(), data.mid());
    assert_eq!(init.sdp_m_line_index, Some(0));
    assert_eq!(
        init.username_fragment.as_deref(),
        Some(w.a.ice.local_credentials().ufrag.as_str())
    );

    let fresh = |port: u16| {
        let mut c = init.clone();
        c.candidate.as_mut().expect("a candidate").port = port;
        c
    };
    // The current generation, the transport section: added.
    assert_eq!(w.b.add_ice_candidate(&fresh(40001)), Ok(()));
    // Without the fields: taken as current.
    let bare = IceCandidateInit::new(fresh(40002).candidate.unwrap());
    assert_eq!(w.b.add_ice_candidate(&bare), Ok(()));
    // Another generation (a ufrag from before a restart): refused and counted.
    let mut old = fresh(40003);
    old.username_fragment = Some("oldufrag".into());
    assert_eq!(
        w.b.add_ice_candidate(&old),
        Err(CandidateError::OtherGeneration)
    );
    assert_eq!(w.b.stats().dropped.other_generation_candidates, 1);
    // A section the description does not have.
    let mut elsewhere = fresh(40004);
    elsewhere.sdp_mid = Some("7".into());
    assert_eq!(
        w.b.add_ice_candidate(&elsewhere),
        Err(CandidateError::UnknownSection)
    );
    let mut by_index = fresh(40005);
    by_index.sdp_mid = None;
    by_index.sdp_m_line_index = Some(3);
    assert_eq!(
        w.b.add_ice_candidate(&by_index),
        Err(CandidateError::UnknownSection)
    );
}

/// W3C `iceGatheringState` and the end-of-candidates candidate: new → gathering with the first
/// address → complete, the end-of-candidates `icecandidate` (no candidate, this generation's
/// ufrag) just before the state change; an ICE restart gathers again under a new ufrag.
#[test]
fn gathering_state_and_end_of_candidates() {
    let now = base();
    let mut p = Peer::new(PeerConfig::new().seed(5).dtls_context(context()), now);
    assert_eq!(p.ice_gathering_state(), IceGatheringState::New);
    p.add_local_address("10.0.0.1:1000".parse().unwrap());
    assert_eq!(p.ice_gathering_state(), IceGatheringState::Complete);
    let events: Vec<Event> = std::iter::from_fn(|| p.poll_event()).collect();
    let ufrag = p.ice.local_credentials().ufrag.clone();
    let tail: Vec<&Event> = events
        .iter()
        .filter(|e| {
            matches!(
                e,
                Event::LocalCandidate(_) | Event::IceGatheringStateChange(_)
            )
        })
        .collect();
    assert_eq!(tail.len(), 4, "{events:?}");
    assert_eq!(
        tail[0],
        &Event::IceGatheringStateChange(IceGatheringState::Gathering)
    );
    assert!(matches!(tail[1], Event::LocalCandidate(c) if c.candidate.is_some()));
    assert_eq!(
        tail[2],
        &Event::LocalCandidate(IceCandidateInit::end_of_candidates(
            None,
            None,
            Some(ufrag.clone())
        ))
    );
    assert_eq!(
        tail[3],
        &Event::IceGatheringStateChange(IceGatheringState::Complete)
    );
    p.restart_ice();
    let events: Vec<Event> = std::iter::from_fn(|| p.poll_event()).collect();
    let new_ufrag = p.ice.local_credentials().ufrag.clone();
    assert_ne!(new_ufrag, ufrag);
    assert!(events.contains(&Event::IceGatheringStateChange(
        IceGatheringState::Gathering
    )));
    assert!(events.iter().any(|e| matches!(e,
        Event::LocalCandidate(c) if c.is_end_of_candidates()
            && c.username_fragment.as_deref() == Some(new_ufrag.as_str()))));
    assert_eq!(p.ice_gathering_state(), IceGatheringState::Complete);
}

/// W3C description getters: the local description reflects candidates gathered after it was
/// created (what a non-trickle application sends), pending until answered, then current; the
/// remote's likewise; `canTrickleIceCandidates` from the remote's ice-options.
#[test]
fn description_getters_follow_the_w3c_attributes() {
    let now = base();
    let mut a = Peer::new(PeerConfig::new().seed(8).dtls_context(context()), now);
    let mut b = peer(9, "10.0.0.2:2000", now);
    a.create_data_channel("x", Default::default()).unwrap();
    let offer = a.create_offer().unwrap();
    assert!(offer.sdp.media[0].candidates().next().is_none());
    a.set_local_description(offer.clone()).unwrap();
    assert!(a.current_local_description().is_none());
    assert_eq!(a.can_trickle_ice_candidates(), None);
    // Gathered after the offer was made: the getters show it, with end-of-candidates.
    a.add_local_address("10.0.0.1:1000".parse().unwrap());
    let pending = a.pending_local_description().expect("pending offer");
    assert_eq!(Some(&pending), a.local_description().as_ref());
    let m = &pending.sdp.media[0];
    assert_eq!(m.candidates().count(), 1);
    assert!(
        m.attributes
            .contains(&crate::sdp::SdpAttribute::EndOfCandidates)
    );
    // Asked twice: nothing added twice.
    assert_eq!(a.local_description(), Some(pending.clone()));

    b.set_remote_sdp(SdpType::Offer, &pending.sdp.to_string())
        .unwrap();
    assert_eq!(b.can_trickle_ice_candidates(), Some(true));
    assert!(b.pending_remote_description().is_some());
    assert!(b.current_remote_description().is_none());
    let answer = b.create_answer().unwrap();
    b.set_local_description(answer.clone()).unwrap();
    assert!(b.pending_remote_description().is_none());
    assert!(b.current_remote_description().is_some());
    assert!(b.current_local_description().is_some());
    // An answer without `a=ice-options:trickle`: the remote cannot take trickled candidates.
    let text = answer
        .sdp
        .to_string()
        .replace("a=ice-options:trickle\r\n", "");
    a.set_remote_sdp(SdpType::Answer, &text).unwrap();
    assert_eq!(a.can_trickle_ice_candidates(), Some(false));
    assert!(a.pending_local_description().is_none());
    assert!(a.current_local_description().is_some());
}

/// The remote certificate once verified, the SCTP transport's max message size once set up,
/// and end-of-candidates given through `add_ice_candidate`.
#[test]
fn transport_getters_and_remote_end_of_candidates() {
    let mut w = Wire::new(21);
    assert_eq!(w.a.remote_certificate(), None);
    assert_eq!(w.a.sctp_max_message_size(), None);
    // Negotiated with an answer that does not end b's candidates (a trickling answerer).
    let offer = w.a.create_offer().unwrap();
    w.a.set_local_description(offer.clone()).unwrap();
    w.b.set_remote_description(offer).unwrap();
    let answer = w.b.create_answer().unwrap();
    w.b.set_local_description(answer.clone()).unwrap();
    let text = answer
        .sdp
        .to_string()
        .replace("a=end-of-candidates\r\n", "");
    w.a.set_remote_sdp(SdpType::Answer, &text).unwrap();
    w.run_until(|w| {
        w.a.sctp.as_ref().is_some_and(Association::is_established)
            && w.b.sctp.as_ref().is_some_and(Association::is_established)
    });
    assert_eq!(w.a.remote_certificate(), Some(w.b.certificate().der()));
    assert_eq!(w.b.remote_certificate(), Some(w.a.certificate().der()));
    // Both offer 256 KiB (JSEP's `a=max-message-size`).
    assert_eq!(w.a.sctp_max_message_size(), Some(262_144));
    let (mid, index) = w.b.local_transport_section();
    let ufrag = w.b.ice.local_credentials().ufrag.clone();
    // Another generation's end-of-candidates is refused; this one's is taken.
    let old = IceCandidateInit::end_of_candidates(mid.clone(), index, Some("old".into()));
    assert_eq!(
        w.a.add_ice_candidate(&old),
        Err(CandidateError::OtherGeneration)
    );
    assert!(!w.a.ice.remote_end_of_candidates());
    let eoc = IceCandidateInit::end_of_candidates(mid, index, Some(ufrag));
    assert_eq!(w.a.add_ice_candidate(&eoc), Ok(()));
    assert!(w.a.ice.remote_end_of_candidates());
}

/// `get_stats`: the W3C entries, linked by id, with the candidate pair's own counters (STUN
/// round trips, checks, data bytes), both certificates and the channels' message counts.
#[test]
fn stats_report_has_the_w3c_entries() {
    use crate::stats::{IceRole, Stats};
    let mut w = Wire::new(31);
    let chan = w.a.create_data_channel("chat", Default::default()).unwrap();
    w.connect();
    w.run_until(|w| w.a.channel_state(chan) == Some(crate::event::ChannelState::Open));
    for _ in 0..3 {
        w.a.send_text(chan, "hello").unwrap();
    }
    w.run_until(|w| {
        w.events_b
            .iter()
            .filter(|e| matches!(e, Event::ChannelMessage(_)))
            .count()
            == 3
    });
    // Time for a consent check on the selected pair.
    let until = w.now + Duration::from_secs(8);
    w.run_until(|w| w.now >= until);
    let r = w.a.get_stats(w.now);
    let mut ids: Vec<&str> = r.iter().map(Stats::id).collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), r.len(), "ids are unique");
    assert_eq!(r.peer_connection().unwrap().data_channels_opened, 1);
    let t = r.transport().unwrap();
    assert_eq!(t.ice_role, IceRole::Controlling, "the offerer controls");
    assert_eq!(t.dtls_state, Some(DtlsState::Connected));
    assert_eq!(t.tls_version.as_deref(), Some("FEFD"));
    assert_eq!(
        t.dtls_cipher.as_deref(),
        Some("TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256")
    );
    assert_eq!(t.bytes_sent, w.a.stats().bytes_sent);
    assert_eq!(t.selected_candidate_pair_changes, 1);
    // The selected pair: what its candidates and counters say.
    let p = r.selected_candidate_pair().expect("a selected pair");
    assert!(p.nominated);
    assert_eq!(p.state, crate::ice::PairState::Succeeded);
    assert!(p.requests_sent >= 1 && p.responses_received >= 1, "{p:?}");
    assert!(p.consent_requests_sent >= 1, "{p:?}");
    assert!(p.current_round_trip_time.is_some());
    assert!(p.packets_sent > 0 && p.bytes_received > 0, "{p:?}");
    let local = r
        .local_candidates()
        .find(|c| c.id == p.local_candidate_id)
        .expect("the pair's local candidate has an entry");
    assert_eq!(
        std::net::SocketAddr::new(local.address, local.port),
        w.a.selected_pair().unwrap().0
    );
    assert!(r.remote_candidates().any(|c| c.id == p.remote_candidate_id));
    // Certificates: ours as in our SDP fingerprint, the remote's once verified.
    let ours = r
        .certificates()
        .find(|c| c.id == t.local_certificate_id)
        .unwrap();
    let fp = w.a.certificate().fingerprint(FingerprintHash::Sha256);
    let hex: Vec<String> = fp.bytes.iter().map(|b| format!("{b:02X}")).collect();
    assert_eq!(ours.fingerprint, hex.join(":"));
    let theirs = r
        .certificates()
        .find(|c| Some(&c.id) == t.remote_certificate_id.as_ref())
        .unwrap();
    assert_eq!(
        theirs,
        &crate::stats::certificate_stats(w.b.certificate().der())
    );
    assert_ne!(theirs.id, ours.id);
    let d = r.data_channels().next().unwrap();
    assert_eq!(
        (d.label.as_str(), d.messages_sent, d.bytes_sent),
        ("chat", 3, 15)
    );
    let rb = w.b.get_stats(w.now);
    let db = rb.data_channels().next().unwrap();
    assert_eq!((db.messages_received, db.bytes_received), (3, 15));
    assert_eq!(rb.transport().unwrap().ice_role, IceRole::Controlled);
}
