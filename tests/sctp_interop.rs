//! Our SCTP association against an independent implementation: `sctp-proto` 0.10 (the SCTP
//! inside str0m), over an in-memory path with optional seeded loss. Both roles; messages of
//! many sizes both ways (fragmented, ordered, on several streams); loss; stream reset. The
//! negotiation must fall back to what sctp-proto speaks (DATA rather than I-DATA, real CRC32c).

mod common;

use bytes::Bytes;
use sansrtc::rng::{Rng, RngRoot, Stream};
use sansrtc::sctp::{Association, SctpConfig, SctpEvent, SendOptions};
use sctp_proto::{
    AssociationHandle, ClientConfig, DatagramEvent, Endpoint, EndpointConfig, Event, Payload,
    PayloadProtocolIdentifier, ServerConfig, StreamEvent, TransportConfig,
};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

struct Proto {
    ep: Endpoint,
    assoc: Option<(AssociationHandle, sctp_proto::Association)>,
    connected: bool,
    /// (stream, ppid, data) received.
    received: Vec<(u16, u32, Vec<u8>)>,
    reset_streams: Vec<u16>,
}

struct World {
    ours: Association,
    ours_events: Vec<SctpEvent>,
    proto: Proto,
    now: Instant,
    loss: f64,
    rng: Rng,
    our_addr: SocketAddr,
}

impl World {
    fn new(seed: u64, we_connect: bool) -> World {
        let now = common::base();
        let root = RngRoot::from_seed(seed);
        let ours = Association::new(
            SctpConfig {
                max_send_message_bytes: 256 * 1024,
                ..SctpConfig::default()
            },
            root.stream(Stream::Sctp),
            now,
        );
        // 256 KiB messages, as browsers advertise (`a=max-message-size:262144`).
        let transport = Arc::new(
            TransportConfig::default()
                .with_max_send_message_size(256 * 1024)
                .with_max_receive_message_size(256 * 1024),
        );
        let mut server = ServerConfig::new();
        server.transport = transport.clone();
        let ep = Endpoint::new(Arc::new(EndpointConfig::default()), Some(Arc::new(server)));
        let mut w = World {
            ours,
            ours_events: Vec::new(),
            proto: Proto {
                ep,
                assoc: None,
                connected: false,
                received: Vec::new(),
                reset_streams: Vec::new(),
            },
            now,
            loss: 0.0,
            rng: root.stream(Stream::Sim),
            our_addr: "10.0.0.1:5000".parse().unwrap(),
        };
        if we_connect {
            w.ours.connect(now);
        } else {
            let mut client = ClientConfig::new();
            client.transport = transport;
            let (h, a) = w
                .proto
                .ep
                .connect(client, w.our_addr)
                .expect("sctp-proto connect");
            w.proto.assoc = Some((h, a));
        }
        w
    }

    fn lost(&mut self) -> bool {
        self.rng.chance(self.loss)
    }

    /// Moves packets both ways and handles events; returns whether anything moved.
    fn pump(&mut self) -> bool {
        let now = self.now;
        let mut moved = false;
        // Ours → proto.
        while let Some(pkt) = self.ours.poll_transmit(now) {
            moved = true;
            if self.lost() {
                continue;
            }
            let r = self
                .proto
                .ep
                .handle(now, self.our_addr, None, None, Bytes::from(pkt));
            match r {
                Some((h, DatagramEvent::NewAssociation(a))) => self.proto.assoc = Some((h, a)),
                Some((_, DatagramEvent::AssociationEvent(ev))) => {
                    if let Some((_, a)) = self.proto.assoc.as_mut() {
                        a.handle_event(ev);
                    }
                }
                None => {}
            }
        }
        while let Some(t) = self.proto.ep.poll_transmit() {
            moved = true;
            self.deliver_to_ours(t.payload);
        }
        // Proto → ours.
        let mut out = Vec::new();
        if let Some((h, a)) = self.proto.assoc.as_mut() {
            while let Some(t) = a.poll_transmit(now) {
                out.push(t.payload);
            }
            while let Some(ev) = a.poll_endpoint_event() {
                self.proto.ep.handle_event(*h, ev);
            }
        }
        for p in out {
            moved = true;
            self.deliver_to_ours(p);
        }
        self.proto_events();
        while let Some(e) = self.ours.poll_event() {
            self.ours_events.push(e);
        }
        moved
    }

    fn deliver_to_ours(&mut self, p: Payload) {
        if let Payload::RawEncode(packets) = p {
            for pkt in packets {
                if !self.lost() {
                    self.ours.handle_packet(self.now, &pkt);
                }
            }
        }
    }

    fn proto_events(&mut self) {
        let Some((_, a)) = self.proto.assoc.as_mut() else {
            return;
        };
        while let Some(e) = a.poll() {
            match e {
                Event::Connected => self.proto.connected = true,
                Event::Stream(StreamEvent::Opened { .. }) => while a.accept_stream().is_some() {},
                Event::Stream(StreamEvent::Readable { id }) => {
                    if let Ok(mut s) = a.stream(id) {
                        while let Ok(Some(chunks)) = s.read_sctp() {
                            let mut buf = vec![0u8; chunks.len()];
                            let n = chunks.read(&mut buf).unwrap();
                            buf.truncate(n);
                            self.proto.received.push((id, chunks.ppi as u32, buf));
                        }
                    }
                }
                Event::Stream(StreamEvent::Stopped { id, .. }) => self.proto.reset_streams.push(id),
                _ => {}
            }
        }
    }

    fn step(&mut self) {
        if self.pump() {
            return;
        }
        let next = [
            self.ours.poll_timeout(),
            self.proto
                .assoc
                .as_ref()
                .and_then(|(_, a)| a.poll_timeout()),
        ]
        .into_iter()
        .flatten()
        .min()
        .unwrap_or(self.now + Duration::from_millis(10));
        self.now = next.max(self.now + Duration::from_micros(1));
        self.ours.handle_timeout(self.now);
        if let Some((_, a)) = self.proto.assoc.as_mut() {
            a.handle_timeout(self.now);
        }
    }

    fn run_until(&mut self, limit: Duration, mut done: impl FnMut(&World) -> bool) {
        let end = self.now + limit;
        while !done(self) && self.now < end {
            self.step();
        }
    }

    fn ours_messages(&self) -> Vec<(u16, u32, Vec<u8>)> {
        self.ours_events
            .iter()
            .filter_map(|e| match e {
                SctpEvent::Message(m) => Some((m.stream, m.ppid, m.data.to_vec())),
                _ => None,
            })
            .collect()
    }
}

fn message(i: usize) -> Vec<u8> {
    let len = [1, 100, 1199, 1200, 5000, 65_536, 200_000][i % 7];
    (0..len).map(|k| (k * 7 + i * 13) as u8).collect()
}

fn exchange(seed: u64, we_connect: bool, loss: f64) {
    let mut w = World::new(seed, we_connect);
    w.run_until(Duration::from_secs(30), |w| {
        w.ours.is_established() && w.proto.connected
    });
    assert!(w.ours.is_established(), "we are connected");
    assert!(w.proto.connected, "sctp-proto is connected");
    assert!(!w.ours.uses_i_data(), "sctp-proto does not offer I-DATA");
    assert!(!w.ours.sends_zero_checksum(), "nor zero checksum");
    w.loss = loss;

    // Ours → proto on streams 1 and 3.
    let n = 28;
    for i in 0..n {
        let stream = if i % 2 == 0 { 1 } else { 3 };
        w.ours
            .send(stream, 53, Bytes::from(message(i)), SendOptions::default())
            .unwrap();
    }
    // Proto → ours on stream 2.
    {
        let (_, a) = w.proto.assoc.as_mut().unwrap();
        let mut s = a
            .open_stream(2, PayloadProtocolIdentifier::Binary)
            .expect("open stream");
        for i in 0..n {
            let m = Bytes::from(message(i + 100));
            s.write_sctp(&m, PayloadProtocolIdentifier::Binary).unwrap();
        }
    }
    w.run_until(Duration::from_secs(600), |w| {
        w.proto.received.len() == n && w.ours_messages().len() == n
    });
    let got = w.ours_messages();
    assert_eq!(got.len(), n, "messages from sctp-proto");
    for (i, (stream, ppid, data)) in got.iter().enumerate() {
        assert_eq!((*stream, *ppid), (2, 53));
        assert_eq!(
            data,
            &message(i + 100),
            "message {i} from sctp-proto intact, in order"
        );
    }
    assert_eq!(w.proto.received.len(), n, "messages to sctp-proto");
    for s in [1u16, 3] {
        let sent: Vec<Vec<u8>> = (0..n)
            .filter(|i| (if i % 2 == 0 { 1 } else { 3 }) == s)
            .map(message)
            .collect();
        let got: Vec<Vec<u8>> = w
            .proto
            .received
            .iter()
            .filter(|m| m.0 == s)
            .map(|m| m.2.clone())
            .collect();
        assert!(got == sent, "stream {s} at sctp-proto: intact and in order");
    }

    // Closing stream 1 by reset (RFC 8831 §6.7): sctp-proto performs it.
    w.loss = 0.0;
    w.ours.reset_streams(&[1]);
    w.run_until(Duration::from_secs(30), |w| {
        w.ours_events
            .iter()
            .any(|e| matches!(e, SctpEvent::OutgoingStreamsReset { .. }))
    });
    assert!(
        w.ours_events
            .contains(&SctpEvent::OutgoingStreamsReset { streams: vec![1] }),
        "sctp-proto answered our reset: {:?}",
        w.ours_events
            .iter()
            .filter(|e| !matches!(e, SctpEvent::Message(_)))
            .collect::<Vec<_>>()
    );
}

#[test]
fn sctp_proto_connects_to_us() {
    exchange(1, false, 0.0);
}

#[test]
fn we_connect_to_sctp_proto() {
    exchange(2, true, 0.0);
}

#[test]
fn both_roles_under_loss() {
    exchange(3, false, 0.05);
    exchange(4, true, 0.05);
}
