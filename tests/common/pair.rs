//! Two `Peer`s wired back to back without the simulator: offer/answer as text, host candidates,
//! every datagram delivered at once, time jumping to the next deadline when nothing moves.
//! Datagrams addressed to anyone else (an attacker probing a peer) are kept in `stray`.

use bytes::Bytes;
use sansrtc::sdp::SdpType;
use sansrtc::{
    ChannelId, ChannelOptions, Datagram, Event, Peer, PeerConfig, PeerConnectionState, Protocol,
    Transmit,
};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

pub const A: &str = "10.0.0.1:1000";
pub const B: &str = "10.0.0.2:2000";

pub fn a_addr() -> SocketAddr {
    A.parse().unwrap()
}
pub fn b_addr() -> SocketAddr {
    B.parse().unwrap()
}

pub struct Pair {
    pub a: Peer,
    pub b: Peer,
    pub now: Instant,
    /// The channel `a` created, and the same channel on `b` once announced.
    pub channel: ChannelId,
    pub b_channel: Option<ChannelId>,
    pub a_open: bool,
    /// Messages received, by side.
    pub a_got: Vec<Bytes>,
    pub b_got: Vec<Bytes>,
    /// Every event other than messages, by side.
    pub a_events: Vec<Event>,
    pub b_events: Vec<Event>,
    /// Transmits to neither peer: (which peer sent it, the transmit).
    pub stray: Vec<(char, Transmit)>,
    pub datagrams: u64,
    /// When set, every datagram delivered between the two: (sender, contents).
    pub keep_wire: bool,
    pub wire: Vec<(char, Bytes)>,
    /// When set, datagrams are handed over in buffers of their own (`handle_receive_buf`,
    /// as a driver reading into `BytesMut` does), and the address range of each is kept in
    /// `owned_buffers` (the last 4096).
    pub owned: bool,
    pub owned_buffers: std::collections::VecDeque<std::ops::Range<usize>>,
    /// When set, transmits are taken with `Peer::poll_transmit_into` (one reused buffer) and
    /// `poll_transmit` by turns: the two must give the same datagrams.
    pub into: bool,
    polls: u64,
    into_buf: bytes::BytesMut,
}

impl Pair {
    /// Two peers from `Peer::new`, negotiated (the offer passes through `munge` before `b`
    /// applies it); not run yet.
    pub fn negotiated(
        ca: PeerConfig,
        cb: PeerConfig,
        now: Instant,
        munge: impl FnOnce(String) -> String,
    ) -> Self {
        let mut a = Peer::new(ca, now);
        let mut b = Peer::new(cb, now);
        a.add_local_address(a_addr());
        b.add_local_address(b_addr());
        let channel = a
            .create_data_channel("pair", ChannelOptions::default())
            .unwrap();
        let offer = a.create_offer().unwrap();
        a.set_local_description(offer.clone()).unwrap();
        let offer = munge(offer.sdp.to_string());
        let mut p = Self {
            a,
            b,
            now,
            channel,
            b_channel: None,
            a_open: false,
            a_got: Vec::new(),
            b_got: Vec::new(),
            a_events: Vec::new(),
            b_events: Vec::new(),
            stray: Vec::new(),
            datagrams: 0,
            keep_wire: false,
            wire: Vec::new(),
            owned: false,
            owned_buffers: Default::default(),
            into: false,
            polls: 0,
            into_buf: bytes::BytesMut::new(),
        };
        if p.b.set_remote_sdp(SdpType::Offer, &offer).is_err() {
            return p;
        }
        let answer = p.b.create_answer().unwrap();
        p.b.set_local_description(answer.clone()).unwrap();
        p.a.set_remote_sdp(SdpType::Answer, &answer.sdp.to_string())
            .unwrap();
        p
    }

    /// Two peers connected with the channel open on both sides.
    pub fn connected(ca: PeerConfig, cb: PeerConfig, now: Instant) -> Self {
        let mut p = Self::negotiated(ca, cb, now, |s| s);
        p.run_until(Duration::from_secs(30), |p| {
            p.a_open && p.b_channel.is_some()
        });
        assert!(
            p.a_open && p.b_channel.is_some(),
            "the pair did not connect"
        );
        p
    }

    pub fn with_seed(seed: u64, now: Instant) -> Self {
        Self::connected(
            PeerConfig::new().seed(seed * 2),
            PeerConfig::new().seed(seed * 2 + 1),
            now,
        )
    }

    fn events(&mut self) {
        while let Some(e) = self.a.poll_event() {
            match e {
                Event::ChannelMessage(m) => self.a_got.push(m.data),
                Event::ChannelOpen(id) if id == self.channel => {
                    self.a_open = true;
                    self.a_events.push(e);
                }
                e => self.a_events.push(e),
            }
        }
        while let Some(e) = self.b.poll_event() {
            match e {
                Event::ChannelMessage(m) => self.b_got.push(m.data),
                Event::DataChannel { id, .. } => {
                    self.b_channel.get_or_insert(id);
                    self.b_events.push(e);
                }
                e => self.b_events.push(e),
            }
        }
    }

    /// The transmit as the receiving socket would read it, into a buffer of its own.
    fn owned_datagram(&mut self, t: &Transmit) -> sansrtc::DatagramBuf {
        let contents = bytes::BytesMut::from(&t.contents[..]);
        let start = contents.as_ptr() as usize;
        if self.owned_buffers.len() == 4096 {
            self.owned_buffers.pop_front();
        }
        self.owned_buffers.push_back(start..start + contents.len());
        sansrtc::DatagramBuf {
            source: t.source,
            destination: t.destination,
            protocol: t.protocol,
            contents,
        }
    }

    /// The next transmit of `side`: `poll_transmit`, or with `into` set, every other one
    /// through `poll_transmit_into` (written into a reused buffer, copied out here).
    fn poll(&mut self, side: char) -> Option<Transmit> {
        let peer = if side == 'a' {
            &mut self.a
        } else {
            &mut self.b
        };
        self.polls += 1;
        if !self.into || self.polls.is_multiple_of(2) {
            return peer.poll_transmit(self.now);
        }
        self.into_buf.clear();
        let m = peer.poll_transmit_into(self.now, &mut self.into_buf)?;
        assert_eq!(m.len, self.into_buf.len());
        Some(Transmit {
            source: m.source,
            destination: m.destination,
            protocol: m.protocol,
            contents: Bytes::copy_from_slice(&self.into_buf),
        })
    }

    /// Delivers what is queued on both sides; returns whether anything moved.
    pub fn deliver(&mut self) -> bool {
        let mut moved = false;
        self.events();
        while let Some(t) = self.poll('a') {
            moved = true;
            self.datagrams += 1;
            if self.keep_wire {
                self.wire.push(('a', t.contents.clone()));
            }
            if t.destination == b_addr() {
                if self.owned {
                    let d = self.owned_datagram(&t);
                    self.b.handle_receive_buf(self.now, d);
                } else {
                    self.b.handle_receive(self.now, t.as_datagram());
                }
            } else {
                self.stray.push(('a', t));
            }
        }
        self.events();
        while let Some(t) = self.poll('b') {
            moved = true;
            self.datagrams += 1;
            if self.keep_wire {
                self.wire.push(('b', t.contents.clone()));
            }
            if t.destination == a_addr() {
                if self.owned {
                    let d = self.owned_datagram(&t);
                    self.a.handle_receive_buf(self.now, d);
                } else {
                    self.a.handle_receive(self.now, t.as_datagram());
                }
            } else {
                self.stray.push(('b', t));
            }
        }
        self.events();
        moved
    }

    /// Delivers; when nothing moved, jumps to the next deadline. False when nothing is left to do.
    pub fn step(&mut self) -> bool {
        if self.deliver() {
            return true;
        }
        let Some(next) = [self.a.poll_timeout(), self.b.poll_timeout()]
            .into_iter()
            .flatten()
            .min()
        else {
            return false;
        };
        self.now = next.max(self.now + Duration::from_micros(1));
        self.a.handle_timeout(self.now);
        self.b.handle_timeout(self.now);
        true
    }

    pub fn run_until(&mut self, limit: Duration, mut done: impl FnMut(&Self) -> bool) {
        let end = self.now + limit;
        while !done(self) && self.now < end {
            if !self.step() {
                break;
            }
        }
    }

    /// Runs for `d` of virtual time.
    pub fn run_for(&mut self, d: Duration) {
        let end = self.now + d;
        self.run_until(d, |p| p.now >= end);
    }

    /// Forgets the logs (messages, events, strays), capacity included: what is left on the heap
    /// is the peers'.
    pub fn forget_logs(&mut self) {
        for v in [&mut self.a_got, &mut self.b_got] {
            *v = Vec::new();
        }
        for v in [&mut self.a_events, &mut self.b_events] {
            *v = Vec::new();
        }
        self.stray = Vec::new();
        self.wire = Vec::new();
    }

    /// Hands `b` a datagram as if from `source`.
    pub fn inject_b(&mut self, source: SocketAddr, contents: &[u8]) {
        self.b.handle_receive(
            self.now,
            Datagram {
                source,
                destination: b_addr(),
                protocol: Protocol::Udp,
                contents,
            },
        );
    }

    /// The legitimate connection still works: connected on both sides, a message across each
    /// way within a few seconds.
    pub fn assert_unharmed(&mut self) {
        assert_eq!(self.a.connection_state(), PeerConnectionState::Connected);
        assert_eq!(self.b.connection_state(), PeerConnectionState::Connected);
        let (na, nb) = (self.a_got.len(), self.b_got.len());
        let bc = self.b_channel.expect("channel on b");
        self.a.send_text(self.channel, "still here a").unwrap();
        self.b.send_text(bc, "still here b").unwrap();
        self.run_until(Duration::from_secs(5), |p| {
            p.a_got.len() > na && p.b_got.len() > nb
        });
        assert_eq!(
            self.b_got.last().map(|b| &b[..]),
            Some(&b"still here a"[..])
        );
        assert_eq!(
            self.a_got.last().map(|b| &b[..]),
            Some(&b"still here b"[..])
        );
        assert_eq!(self.a.connection_state(), PeerConnectionState::Connected);
        assert_eq!(self.b.connection_state(), PeerConnectionState::Connected);
    }
}
