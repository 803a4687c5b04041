//! An application around a `Peer` for scenario tests: it polls events after every call, keeps
//! a log, checks received data, pumps bulk transfers, and trickles candidates to the other side
//! through a shared in-memory signaling channel.

use sansrtc::sdp::SdpType;
use sansrtc::sim::{HostId, Interface, LinkConfig, Network, Node};
use sansrtc::{
    ChannelId, ChannelMessage, ChannelOptions, Datagram, Event, IceCandidateInit, Peer, PeerConfig,
    PeerConnectionState, Transmit,
};
use sha2::{Digest, Sha256};
use std::cell::RefCell;
use std::collections::{BTreeMap, VecDeque};
use std::rc::Rc;
use std::time::Instant;

/// A bulk sender: `total` bytes in messages of `msg` bytes, content derived from the offset.
pub struct Pump {
    pub id: ChannelId,
    pub total: u64,
    pub sent: u64,
    pub msg: usize,
    pub hash: Sha256,
    /// Keep at most this many bytes buffered.
    pub buffer: usize,
}

/// What arrived on one channel.
#[derive(Default)]
pub struct Sink {
    pub bytes: u64,
    pub count: u64,
    pub hash: Sha256,
    /// The messages themselves, when `App::keep_messages` is on.
    pub messages: Vec<ChannelMessage>,
}

pub type Signal = Rc<RefCell<VecDeque<IceCandidateInit>>>;

pub struct App {
    pub peer: Peer,
    pub log: Vec<(Instant, Event)>,
    pub sinks: BTreeMap<ChannelId, Sink>,
    pub pumps: Vec<Pump>,
    pub keep_messages: bool,
    /// Candidates we trickle go here (the other side's inbox).
    pub outbox: Option<Signal>,
    /// Candidates trickled to us.
    pub inbox: Option<Signal>,
    now: Instant,
}

pub fn payload(offset: u64, len: usize) -> Vec<u8> {
    (0..len as u64)
        .map(|i| {
            let x = offset + i;
            (x ^ (x >> 8) ^ (x >> 16)) as u8
        })
        .collect()
}

impl App {
    pub fn new(config: PeerConfig, now: Instant) -> Self {
        Self {
            peer: Peer::new(config, now),
            log: Vec::new(),
            sinks: BTreeMap::new(),
            pumps: Vec::new(),
            keep_messages: true,
            outbox: None,
            inbox: None,
            now,
        }
    }

    pub fn drain(&mut self) {
        if let Some(inbox) = &self.inbox {
            let candidates: Vec<IceCandidateInit> = inbox.borrow_mut().drain(..).collect();
            for c in candidates {
                // W3C addIceCandidate with the section and generation, as browsers signal them.
                let _ = self.peer.add_ice_candidate(&c);
            }
        }
        loop {
            self.pump();
            let Some(e) = self.peer.poll_event() else {
                break;
            };
            match e {
                Event::ChannelMessage(m) => {
                    let s = self.sinks.entry(m.id).or_default();
                    s.bytes += m.data.len() as u64;
                    s.count += 1;
                    s.hash.update(&m.data);
                    if self.keep_messages {
                        s.messages.push(m);
                    }
                }
                Event::LocalCandidate(c) => {
                    if let Some(out) = &self.outbox {
                        out.borrow_mut().push_back(c.clone());
                    }
                    self.log.push((self.now, Event::LocalCandidate(c)));
                }
                e => self.log.push((self.now, e)),
            }
        }
    }

    fn pump(&mut self) {
        for p in &mut self.pumps {
            while p.sent < p.total && self.peer.buffered_amount(p.id) < p.buffer {
                let n = (p.total - p.sent).min(p.msg as u64) as usize;
                let data = payload(p.sent, n);
                if self.peer.send_binary(p.id, data.clone()).is_err() {
                    break;
                }
                p.hash.update(&data);
                p.sent += n as u64;
            }
        }
    }

    pub fn add_pump(&mut self, id: ChannelId, total: u64, msg: usize) {
        self.keep_messages = false;
        self.pumps.push(Pump {
            id,
            total,
            sent: 0,
            msg,
            hash: Sha256::new(),
            buffer: 1 << 20,
        });
        self.drain();
    }

    pub fn state(&self) -> PeerConnectionState {
        self.peer.connection_state()
    }

    pub fn is_open(&self, id: ChannelId) -> bool {
        self.log
            .iter()
            .any(|(_, e)| matches!(e, Event::ChannelOpen(x) if *x == id))
    }

    /// Channels the remote opened, by label.
    pub fn remote_channel(&self, label: &str) -> Option<ChannelId> {
        self.log.iter().find_map(|(_, e)| match e {
            Event::DataChannel { id, label: l, .. } if l == label => Some(*id),
            _ => None,
        })
    }

    pub fn closed(&self, id: ChannelId) -> bool {
        self.log
            .iter()
            .any(|(_, e)| matches!(e, Event::ChannelClosed { id: x, .. } if *x == id))
    }

    pub fn received(&self, id: ChannelId) -> u64 {
        self.sinks.get(&id).map_or(0, |s| s.bytes)
    }

    pub fn create(&mut self, label: &str, options: ChannelOptions) -> ChannelId {
        let id = self.peer.create_data_channel(label, options).unwrap();
        self.drain();
        id
    }
}

impl Node for App {
    fn handle_receive(&mut self, now: Instant, d: Datagram<'_>) {
        self.now = now;
        self.peer.handle_receive(now, d);
        self.drain();
    }
    fn handle_timeout(&mut self, now: Instant) {
        self.now = now;
        self.peer.handle_timeout(now);
        self.drain();
    }
    fn poll_transmit(&mut self, now: Instant) -> Option<Transmit> {
        let t = self.peer.poll_transmit(now);
        if t.is_none() {
            self.drain();
            return self.peer.poll_transmit(now);
        }
        t
    }
    fn poll_timeout(&self) -> Option<Instant> {
        self.peer.poll_timeout()
    }
}

pub fn app(net: &Network, h: HostId) -> &App {
    net.node::<App>(h).expect("an App")
}

pub fn app_mut(net: &mut Network, h: HostId) -> &mut App {
    net.node_mut::<App>(h).expect("an App")
}

/// Connects two apps' trickle channels.
pub fn trickle(a: &mut App, b: &mut App) {
    let ab: Signal = Rc::default();
    let ba: Signal = Rc::default();
    a.outbox = Some(ab.clone());
    b.inbox = Some(ab);
    b.outbox = Some(ba.clone());
    a.inbox = Some(ba);
}

/// One offer/answer round, as text (the way a signaling channel carries it).
pub fn negotiate(net: &mut Network, offerer: HostId, answerer: HostId) {
    let offer = {
        let a = app_mut(net, offerer);
        let offer = a.peer.create_offer().unwrap();
        a.peer.set_local_description(offer.clone()).unwrap();
        a.drain();
        offer.sdp.to_string()
    };
    let answer = {
        let b = app_mut(net, answerer);
        b.peer.set_remote_sdp(SdpType::Offer, &offer).unwrap();
        let answer = b.peer.create_answer().unwrap();
        b.peer.set_local_description(answer.clone()).unwrap();
        b.drain();
        answer.sdp.to_string()
    };
    let a = app_mut(net, offerer);
    a.peer.set_remote_sdp(SdpType::Answer, &answer).unwrap();
    a.drain();
}

pub fn connected(net: &Network, hosts: &[HostId]) -> bool {
    hosts
        .iter()
        .all(|h| app(net, *h).state() == PeerConnectionState::Connected)
}

/// Two peers on one LAN segment, `a` at 10.0.0.1:5000 and `b` at 10.0.0.2:5000, each behind
/// `link`; the network seeded with `seed`.
pub fn lan_pair(
    seed: u64,
    link: LinkConfig,
    a_config: PeerConfig,
    b_config: PeerConfig,
) -> (Network, HostId, HostId) {
    let mut net = Network::new(crate::common::base(), seed);
    let lan = net.add_segment();
    let now = net.now();
    let mut hosts = Vec::new();
    for (name, ip, config) in [("a", "10.0.0.1", a_config), ("b", "10.0.0.2", b_config)] {
        let mut app = App::new(config, now);
        let local = crate::common::addr(&format!("{ip}:5000"));
        app.peer.add_local_address(local);
        let iface = Interface::new(local.ip(), lan).link(link.clone());
        hosts.push(net.add_host(name, [iface], app).unwrap());
    }
    (net, hosts[0], hosts[1])
}
