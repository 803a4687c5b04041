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
        while let Some(t) = self.a.poll_transmit() {
            self.b.handle_receive(self.now, t.as_datagram());
            moved = true;
        }
        while let Some(t) = self.b.poll_transmit() {
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
    // The close reaches b: SCTP ABORT and close_notify.
    w.run_until(|w| {
        w.events_b
            .iter()
            .any(|e| matches!(e, Event::Failed(PeerFailure::Sctp(_))))
    });
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
