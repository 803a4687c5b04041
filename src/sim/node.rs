//! What runs on a simulated host: anything with the sans-IO driver shape, and a few small nodes
//! for tests and examples.

use crate::net::{Datagram, Protocol, Transmit};
use crate::stun::server::StunServer;
use bytes::Bytes;
use std::any::Any;
use std::collections::VecDeque;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

/// A sans-IO participant in a simulated network.
///
/// The same shape as the driver contract of [`crate`]: the network hands it datagrams and
/// timeouts, and drains its transmits and next deadline after every call. A `Peer`, the STUN and
/// TURN servers, and a user's own types all run as nodes.
///
/// Contract: `poll_transmit` eventually returns `None`; `poll_timeout` is cheap. A deadline at or
/// before the current time is fired at the current time.
pub trait Node: Any {
    /// A datagram arrived on one of the host's interfaces.
    fn handle_receive(&mut self, now: Instant, datagram: Datagram<'_>);
    /// The deadline from `poll_timeout` has passed.
    fn handle_timeout(&mut self, now: Instant);
    /// The next datagram to send, at `now` (the time of the event just handled). Its `source`
    /// picks the interface; an unspecified source IP means the host's first interface of the
    /// destination's family.
    fn poll_transmit(&mut self, now: Instant) -> Option<Transmit>;
    /// When `handle_timeout` should be called next.
    fn poll_timeout(&self) -> Option<Instant>;
}

impl Node for StunServer {
    fn handle_receive(&mut self, now: Instant, datagram: Datagram<'_>) {
        StunServer::handle_receive(self, now, datagram)
    }
    fn handle_timeout(&mut self, now: Instant) {
        StunServer::handle_timeout(self, now)
    }
    fn poll_transmit(&mut self, _now: Instant) -> Option<Transmit> {
        StunServer::poll_transmit(self)
    }
    fn poll_timeout(&self) -> Option<Instant> {
        StunServer::poll_timeout(self)
    }
}

/// Sends every datagram it receives back to where it came from, from the address it arrived on.
#[derive(Debug, Default)]
pub struct Echo {
    queue: VecDeque<Transmit>,
    /// Datagrams echoed so far.
    pub echoed: u64,
}

impl Echo {
    /// A new echo node.
    pub fn new() -> Self {
        Self::default()
    }
}

impl Node for Echo {
    fn handle_receive(&mut self, _now: Instant, d: Datagram<'_>) {
        self.echoed += 1;
        self.queue.push_back(Transmit {
            source: d.destination,
            destination: d.source,
            protocol: d.protocol,
            contents: Bytes::copy_from_slice(d.contents),
        });
    }
    fn handle_timeout(&mut self, _now: Instant) {}
    fn poll_transmit(&mut self, _now: Instant) -> Option<Transmit> {
        self.queue.pop_front()
    }
    fn poll_timeout(&self) -> Option<Instant> {
        None
    }
}

/// A datagram a [`Probe`] received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Received {
    /// When it arrived.
    pub at: Instant,
    /// Source as seen (after NATs).
    pub source: SocketAddr,
    /// The local address it arrived on.
    pub destination: SocketAddr,
    /// The sequence number in its first 8 bytes (`u64::MAX` when shorter).
    pub seq: u64,
    /// Payload length.
    pub len: usize,
}

/// A scripted traffic source and sink.
///
/// It sends `count` datagrams of `size` bytes, one every `interval`, from `source` to
/// `destination`, starting at its first timeout; each carries its sequence number in the first
/// 8 bytes (big-endian). It records what it sent and everything it receives. With
/// [`Probe::sink`] it only receives.
#[derive(Debug)]
pub struct Probe {
    source: SocketAddr,
    destination: Option<SocketAddr>,
    size: usize,
    interval: Duration,
    remaining: u64,
    next_seq: u64,
    next_send: Option<Instant>,
    start: Option<Instant>,
    queue: VecDeque<Transmit>,
    /// Send time of each sequence number.
    pub sent: Vec<Instant>,
    /// Everything received, in arrival order.
    pub received: Vec<Received>,
}

impl Probe {
    /// A probe that sends `count` datagrams of `size` bytes (at least 8), one every `interval`,
    /// starting at `start`.
    pub fn sender(
        source: SocketAddr,
        destination: SocketAddr,
        count: u64,
        size: usize,
        interval: Duration,
        start: Instant,
    ) -> Self {
        Self {
            source,
            destination: Some(destination),
            size: size.max(8),
            interval,
            remaining: count,
            next_seq: 0,
            next_send: (count > 0).then_some(start),
            start: Some(start),
            queue: VecDeque::new(),
            sent: Vec::new(),
            received: Vec::new(),
        }
    }

    /// A probe that only receives.
    pub fn sink(address: SocketAddr) -> Self {
        Self {
            source: address,
            destination: None,
            size: 8,
            interval: Duration::ZERO,
            remaining: 0,
            next_seq: 0,
            next_send: None,
            start: None,
            queue: VecDeque::new(),
            sent: Vec::new(),
            received: Vec::new(),
        }
    }

    /// Whether every scripted datagram has been sent.
    pub fn is_done_sending(&self) -> bool {
        self.remaining == 0
    }

    /// When the first datagram is (or was) due.
    pub fn start(&self) -> Option<Instant> {
        self.start
    }

    /// Queues one datagram with arbitrary contents right away, from any local address.
    pub fn send_now(&mut self, source: SocketAddr, destination: SocketAddr, contents: Bytes) {
        self.queue.push_back(Transmit {
            source,
            destination,
            protocol: Protocol::Udp,
            contents,
        });
    }
}

impl Node for Probe {
    fn handle_receive(&mut self, now: Instant, d: Datagram<'_>) {
        let seq = d.contents.get(..8).map_or(u64::MAX, |b| {
            u64::from_be_bytes(b.try_into().expect("8 bytes"))
        });
        self.received.push(Received {
            at: now,
            source: d.source,
            destination: d.destination,
            seq,
            len: d.contents.len(),
        });
    }

    fn handle_timeout(&mut self, now: Instant) {
        let (Some(dest), Some(due)) = (self.destination, self.next_send) else {
            return;
        };
        if now < due {
            return;
        }
        let mut payload = vec![0u8; self.size];
        payload[..8].copy_from_slice(&self.next_seq.to_be_bytes());
        self.queue.push_back(Transmit {
            source: self.source,
            destination: dest,
            protocol: Protocol::Udp,
            contents: payload.into(),
        });
        self.sent.push(now);
        self.next_seq += 1;
        self.remaining -= 1;
        self.next_send = (self.remaining > 0).then(|| due + self.interval);
    }

    fn poll_transmit(&mut self, _now: Instant) -> Option<Transmit> {
        self.queue.pop_front()
    }

    fn poll_timeout(&self) -> Option<Instant> {
        self.next_send
    }
}
