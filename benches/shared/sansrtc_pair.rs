//! Two sansrtc `Peer`s back to back, as the benchmarks drive them: offer/answer as text, host
//! candidates, every datagram delivered at once, time jumping to the next deadline when nothing
//! moves. Datagrams are taken as a driver with a send buffer of its own takes them
//! (`Peer::poll_transmit_into`, one buffer reused) and handed over borrowed (`handle_receive`),
//! as a driver reading into a stack buffer does; idle pairs (the scale figures) use
//! `poll_transmit`.

#![allow(dead_code)]

use bytes::BytesMut;
use sansrtc::dtls::DtlsContext;
use sansrtc::sdp::SdpType;
use sansrtc::{ChannelId, ChannelOptions, Datagram, Event, Peer, PeerConfig, TransmitMeta};
use std::sync::Arc;
use std::time::{Duration, Instant};

pub struct Pair {
    pub a: Peer,
    pub b: Peer,
    pub now: Instant,
    pub channel: ChannelId,
    pub remote_open: bool,
    pub received: usize,
    pub datagrams: u64,
    /// The send buffer, reused for every datagram.
    buf: BytesMut,
}

/// `buf`'s datagram, as the peer at `t.destination` receives it.
fn datagram<'a>(t: &TransmitMeta, buf: &'a [u8]) -> Datagram<'a> {
    Datagram {
        source: t.source,
        destination: t.destination,
        protocol: t.protocol,
        contents: buf,
    }
}

impl Pair {
    /// Two peers through offer/answer (as text) with host candidates; runs until `channel` is
    /// open on both sides.
    pub fn new(ctx: Option<&Arc<DtlsContext>>, seed: u64, now: Instant) -> Self {
        let config = |s: u64| {
            let c = PeerConfig::new().seed(s);
            match ctx {
                Some(ctx) => c.dtls_context(ctx.clone()),
                None => c,
            }
        };
        let mut a = Peer::new(config(seed * 2), now);
        let mut b = Peer::new(config(seed * 2 + 1), now);
        a.add_local_address("10.0.0.1:1000".parse().unwrap());
        b.add_local_address("10.0.0.2:2000".parse().unwrap());
        let channel = a
            .create_data_channel("bench", ChannelOptions::default())
            .unwrap();
        let offer = a.create_offer().unwrap();
        a.set_local_description(offer.clone()).unwrap();
        b.set_remote_sdp(SdpType::Offer, &offer.sdp.to_string())
            .unwrap();
        let answer = b.create_answer().unwrap();
        b.set_local_description(answer.clone()).unwrap();
        a.set_remote_sdp(SdpType::Answer, &answer.sdp.to_string())
            .unwrap();
        let mut p = Pair {
            a,
            b,
            now,
            channel,
            remote_open: false,
            received: 0,
            datagrams: 0,
            buf: BytesMut::new(),
        };
        let mut local_open = false;
        for _ in 0..100_000 {
            if local_open && p.remote_open {
                // A driver's send buffer is its own, shared by all its peers: not held per
                // pair (the scale figures count the heap of established pairs).
                p.buf = BytesMut::new();
                return p;
            }
            while let Some(e) = p.a.poll_event() {
                local_open |= e == Event::ChannelOpen(channel);
            }
            p.step();
        }
        panic!("sansrtc setup did not complete");
    }

    /// Moves every datagram across; when nothing moved, jumps to the next deadline.
    pub fn step(&mut self) {
        let mut moved = false;
        while let Some(t) = self.a.poll_transmit_into(self.now, &mut self.buf) {
            self.datagrams += 1;
            self.b.handle_receive(self.now, datagram(&t, &self.buf));
            self.buf.clear();
            moved = true;
        }
        while let Some(e) = self.b.poll_event() {
            match e {
                Event::ChannelMessage(m) => self.received += m.data.len(),
                Event::ChannelOpen(_) => self.remote_open = true,
                _ => {}
            }
        }
        while let Some(t) = self.b.poll_transmit_into(self.now, &mut self.buf) {
            self.datagrams += 1;
            self.a.handle_receive(self.now, datagram(&t, &self.buf));
            self.buf.clear();
            moved = true;
        }
        if !moved {
            let next = [self.a.poll_timeout(), self.b.poll_timeout()]
                .into_iter()
                .flatten()
                .min();
            self.now = next
                .unwrap_or(self.now)
                .max(self.now + Duration::from_micros(1));
            self.a.handle_timeout(self.now);
            self.b.handle_timeout(self.now);
        }
    }

    /// Setup's last leg: one message across.
    pub fn first_message(&mut self) {
        self.a.send_text(self.channel, "first").unwrap();
        while self.received == 0 {
            self.step();
        }
    }

    pub fn transfer(&mut self, total: usize, msg: usize, buffer: usize) {
        let payload = bytes::Bytes::from(vec![0xA5u8; msg]);
        let (mut sent, start) = (0, self.received);
        while self.received - start < total {
            while sent < total && self.a.buffered_amount(self.channel) < buffer {
                if self.a.send_binary(self.channel, payload.clone()).is_err() {
                    break;
                }
                sent += msg;
            }
            self.step();
        }
    }

    /// Idles until `until`: timers (consent checks, heartbeats) and their answers only.
    pub fn idle_until(&mut self, until: Instant) {
        while self.now < until {
            let mut moved = false;
            while let Some(t) = self.a.poll_transmit(self.now) {
                self.datagrams += 1;
                self.b.handle_receive(self.now, t.as_datagram());
                moved = true;
            }
            while self.b.poll_event().is_some() {}
            while let Some(t) = self.b.poll_transmit(self.now) {
                self.datagrams += 1;
                self.a.handle_receive(self.now, t.as_datagram());
                moved = true;
            }
            while self.a.poll_event().is_some() {}
            if moved {
                continue;
            }
            let next = [self.a.poll_timeout(), self.b.poll_timeout()]
                .into_iter()
                .flatten()
                .min()
                .unwrap_or(until);
            self.now = next.clamp(self.now + Duration::from_micros(1), until);
            self.a.handle_timeout(self.now);
            self.b.handle_timeout(self.now);
        }
    }
}
