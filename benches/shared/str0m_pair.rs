//! Two str0m 0.25 peers (aws-lc-rs) in one process, the reference the benchmarks measure
//! sansrtc against: a negotiated data channel over the direct API for throughput, and the full
//! SDP offer/answer path for connection setup.

#![allow(dead_code)]

use std::collections::VecDeque;
use std::net::{Ipv4Addr, SocketAddr};
use std::time::{Duration, Instant};
use str0m::channel::{ChannelConfig, ChannelId};
use str0m::net::{DatagramRecv, Protocol, Receive};
use str0m::{Candidate, Event, Input, Output, Rtc, RtcConfig};

pub struct Pair {
    l: Rtc,
    r: Rtc,
    la: SocketAddr,
    ra: SocketAddr,
    cid: ChannelId,
    now: Instant,
    to_l: VecDeque<(SocketAddr, SocketAddr, Vec<u8>)>,
    to_r: VecDeque<(SocketAddr, SocketAddr, Vec<u8>)>,
    received: usize,
    open: bool,
}

fn drain(
    rtc: &mut Rtc,
    out: &mut VecDeque<(SocketAddr, SocketAddr, Vec<u8>)>,
    received: &mut usize,
    open: &mut bool,
) -> Option<Instant> {
    loop {
        match rtc.poll_output().expect("poll_output") {
            Output::Timeout(t) => return Some(t),
            Output::Transmit(t) => out.push_back((t.source, t.destination, t.contents.to_vec())),
            Output::Event(Event::ChannelData(d)) => *received += d.data.len(),
            Output::Event(Event::ChannelOpen(..)) => *open = true,
            Output::Event(_) => {}
        }
    }
}

type Queue = VecDeque<(SocketAddr, SocketAddr, Vec<u8>)>;

/// Hands every datagram of `inbox` to `rtc`, queueing what it sends in `outbox`.
fn deliver(
    rtc: &mut Rtc,
    inbox: &mut Queue,
    outbox: &mut Queue,
    now: Instant,
    received: &mut usize,
    open: &mut bool,
) -> bool {
    let mut moved = false;
    while let Some((source, destination, c)) = inbox.pop_front() {
        DATAGRAMS.with(|d| d.set(d.get() + 1));
        let input = Input::Receive(
            now,
            Receive {
                proto: Protocol::Udp,
                source,
                destination,
                contents: DatagramRecv::try_from(&c[..]).unwrap(),
            },
        );
        rtc.handle_input(input).unwrap();
        drain(rtc, outbox, received, open);
        moved = true;
    }
    moved
}

thread_local! {
    static DATAGRAMS: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
}

impl Pair {
    /// Datagrams carried so far (both directions).
    pub fn datagrams(&self) -> u64 {
        DATAGRAMS.with(|d| d.get())
    }

    pub fn new(now: Instant) -> Pair {
        let mut l = RtcConfig::new().build(now);
        let mut r = RtcConfig::new().set_ice_lite(true).build(now);
        let la: SocketAddr = (Ipv4Addr::new(1, 1, 1, 1), 1000).into();
        let ra: SocketAddr = (Ipv4Addr::new(2, 2, 2, 2), 2000).into();
        let hl = Candidate::host(la, "udp").unwrap();
        let hr = Candidate::host(ra, "udp").unwrap();
        l.add_local_candidate(hl.clone()).unwrap();
        l.add_remote_candidate(hr.clone());
        r.add_local_candidate(hr).unwrap();
        r.add_remote_candidate(hl);
        let fl = l.direct_api().local_dtls_fingerprint().clone();
        let fr = r.direct_api().local_dtls_fingerprint().clone();
        l.direct_api().set_remote_fingerprint(fr);
        r.direct_api().set_remote_fingerprint(fl);
        let cl = l.direct_api().local_ice_credentials();
        let cr = r.direct_api().local_ice_credentials();
        l.direct_api().set_remote_ice_credentials(cr);
        r.direct_api().set_remote_ice_credentials(cl);
        l.direct_api().set_ice_controlling(true);
        r.direct_api().set_ice_controlling(false);
        l.direct_api().start_dtls(true).unwrap();
        r.direct_api().start_dtls(false).unwrap();
        l.direct_api().start_sctp(true);
        r.direct_api().start_sctp(false);
        let config = ChannelConfig {
            negotiated: Some(1),
            label: "bench".into(),
            ..Default::default()
        };
        let cid = l.direct_api().create_data_channel(config.clone());
        r.direct_api().create_data_channel(config);
        let mut p = Pair {
            l,
            r,
            la,
            ra,
            cid,
            now,
            to_l: VecDeque::new(),
            to_r: VecDeque::new(),
            received: 0,
            open: false,
        };
        for _ in 0..10_000 {
            if p.open && p.l.channel(p.cid).is_some() {
                break;
            }
            p.step();
        }
        assert!(p.open, "str0m channel opened");
        p
    }

    fn step(&mut self) {
        let mut open = self.open;
        let mut rx = 0;
        let tl = drain(&mut self.l, &mut self.to_r, &mut rx, &mut open);
        let tr = drain(&mut self.r, &mut self.to_l, &mut rx, &mut open);
        let now = self.now;
        let mut moved = deliver(
            &mut self.r,
            &mut self.to_r,
            &mut self.to_l,
            now,
            &mut rx,
            &mut open,
        );
        moved |= deliver(
            &mut self.l,
            &mut self.to_l,
            &mut self.to_r,
            now,
            &mut rx,
            &mut open,
        );
        self.received += rx;
        self.open = open;
        if !moved && self.to_r.is_empty() && self.to_l.is_empty() {
            let next = [tl, tr].into_iter().flatten().min().unwrap_or(self.now);
            self.now = next.max(self.now + Duration::from_micros(1));
            self.l.handle_input(Input::Timeout(self.now)).unwrap();
            self.r.handle_input(Input::Timeout(self.now)).unwrap();
        }
        let _ = (self.la, self.ra);
    }

    pub fn transfer(&mut self, total: usize, msg: usize, buffer: usize) {
        let payload = vec![0xA5u8; msg];
        let mut sent = 0;
        let start = self.received;
        while self.received - start < total {
            while sent < total {
                let mut ch = self.l.channel(self.cid).expect("channel");
                if ch.buffered_amount() >= buffer {
                    break;
                }
                if !ch.write(true, &payload).expect("write") {
                    break;
                }
                sent += msg;
            }
            self.step();
        }
    }
}

/// Two str0m peers connected the way an application does it: a host candidate each, an offer
/// with a data channel and its answer (as SDP text), ICE, DTLS, SCTP, the channel open on both
/// sides and one message across.
pub struct SdpPair {
    pub l: Rtc,
    pub r: Rtc,
    pub now: Instant,
    to_l: Queue,
    to_r: Queue,
    tl: Option<Instant>,
    tr: Option<Instant>,
    /// Datagrams exchanged.
    pub datagrams: u64,
}

impl SdpPair {
    pub fn connect(now: Instant) -> SdpPair {
        let mut l = Rtc::new(now);
        let mut r = Rtc::new(now);
        let la: SocketAddr = (Ipv4Addr::new(1, 1, 1, 1), 1000).into();
        let ra: SocketAddr = (Ipv4Addr::new(2, 2, 2, 2), 2000).into();
        let hl = Candidate::host(la, "udp").unwrap();
        let hr = Candidate::host(ra, "udp").unwrap();
        l.add_local_candidate(hl.clone()).unwrap();
        r.add_local_candidate(hr.clone()).unwrap();
        let mut api = l.sdp_api();
        let cid = api.add_channel("setup".into());
        let (offer, pending) = api.apply().unwrap();
        let offer = str0m::change::SdpOffer::from_sdp_string(&offer.to_sdp_string()).unwrap();
        let answer = r.sdp_api().accept_offer(offer).unwrap();
        let answer = str0m::change::SdpAnswer::from_sdp_string(&answer.to_sdp_string()).unwrap();
        l.sdp_api().accept_answer(pending, answer).unwrap();
        // Host candidates trickled the way the SDP carried them.
        l.add_remote_candidate(hr);
        r.add_remote_candidate(hl);
        let mut p = SdpPair {
            l,
            r,
            now,
            to_l: VecDeque::new(),
            to_r: VecDeque::new(),
            tl: None,
            tr: None,
            datagrams: 0,
        };
        let (mut rx, mut open_l, mut open_r) = (0usize, false, false);
        let mut sent = false;
        for _ in 0..100_000 {
            p.tl = drain(&mut p.l, &mut p.to_r, &mut rx, &mut open_l);
            p.tr = drain(&mut p.r, &mut p.to_l, &mut rx, &mut open_r);
            if open_l && !sent {
                if let Some(mut ch) = p.l.channel(cid) {
                    ch.write(true, b"first").unwrap();
                    sent = true;
                }
                continue;
            }
            if rx > 0 && open_r {
                return p;
            }
            p.exchange(&mut rx, &mut open_l, &mut open_r);
        }
        panic!("str0m setup did not complete");
    }

    /// Delivers what is queued; when nothing moved, jumps to the next deadline.
    fn exchange(&mut self, rx: &mut usize, open_l: &mut bool, open_r: &mut bool) {
        self.datagrams += (self.to_l.len() + self.to_r.len()) as u64;
        let now = self.now;
        let mut moved = deliver(&mut self.r, &mut self.to_r, &mut self.to_l, now, rx, open_r);
        moved |= deliver(&mut self.l, &mut self.to_l, &mut self.to_r, now, rx, open_l);
        if !moved {
            let next = [self.tl, self.tr]
                .into_iter()
                .flatten()
                .min()
                .unwrap_or(now);
            self.now = next.max(now + Duration::from_micros(1));
            self.l.handle_input(Input::Timeout(self.now)).unwrap();
            self.r.handle_input(Input::Timeout(self.now)).unwrap();
        }
    }

    /// Idles until `until`: timers (consent checks, heartbeats) and their answers only.
    pub fn idle_until(&mut self, until: Instant) {
        let (mut rx, mut open_l, mut open_r) = (0usize, true, true);
        while self.now < until {
            self.tl = drain(&mut self.l, &mut self.to_r, &mut rx, &mut open_l);
            self.tr = drain(&mut self.r, &mut self.to_l, &mut rx, &mut open_r);
            if self.to_l.is_empty() && self.to_r.is_empty() {
                let next = [self.tl, self.tr]
                    .into_iter()
                    .flatten()
                    .min()
                    .unwrap_or(until);
                self.now = next.clamp(self.now + Duration::from_micros(1), until);
                self.l.handle_input(Input::Timeout(self.now)).unwrap();
                self.r.handle_input(Input::Timeout(self.now)).unwrap();
                continue;
            }
            self.exchange(&mut rx, &mut open_l, &mut open_r);
        }
    }
}

/// Connection setup (see [`SdpPair`]); returns the datagrams exchanged.
pub fn setup_via_sdp(now: Instant) -> u64 {
    SdpPair::connect(now).datagrams
}
