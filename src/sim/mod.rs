//! `sim`: a deterministic network simulator in virtual time.
//!
//! A [`Network`] holds hosts, links and NATs, a virtual clock that starts at a base `Instant`, and
//! its own seeded random streams. Each host runs one [`Node`], anything with the sans-IO driver
//! shape: a sansrtc peer, the [`StunServer`](crate::stun::server::StunServer), or a user's type.
//!
//! Topology. Hosts and NATs sit on *segments*. The network starts with one segment, the public
//! [`internet`](Network::internet). A NAT has an external address on one segment and creates a
//! fresh private segment behind it; NATs nest. A host has one or more interfaces, each with an
//! address (IPv4 or IPv6) on a segment and its own access link, so a dual-stack host can have a
//! public IPv6 address and a private IPv4 one behind a NAT.
//!
//! Routing. A datagram leaves its interface's link onto the segment. If a host interface or a
//! NAT's external address on that segment owns the destination address, it goes down that link;
//! otherwise, inside a NAT, it is translated and goes up the NAT's link to the parent segment; on
//! the internet with no owner it has no route. Every hop's link adds its latency, jitter, loss,
//! duplication, MTU and bandwidth behaviour ([`LinkConfig`]), and NATs behave per RFC 4787
//! ([`NatConfig`]).
//!
//! Time. [`Network::step`] moves to the earliest node deadline or link delivery and processes
//! everything due then; [`Network::run_until`] steps until a condition holds and fails (never
//! hangs) when a step or virtual-time limit passes or the network goes idle.
//!
//! Trace. Every datagram copy gets exactly one [`TraceRecord`] with its fate, and the network
//! keeps a SHA-256 over all records and payloads: the same seed and the same nodes give the same
//! [`trace_hash`](Network::trace_hash), byte for byte.
//!
//! ```
//! use sansrtc::sim::{Interface, LinkConfig, NatConfig, Network, Echo, Probe};
//! use std::time::{Duration, Instant};
//!
//! let base = Instant::now();
//! let mut net = Network::new(base, 42);
//! let internet = net.internet();
//! let nat = net.add_nat(NatConfig::port_restricted_cone(), internet, "203.0.113.1".parse()?, LinkConfig::ideal())?;
//! let echo = net.add_host("echo", [Interface::new("198.51.100.1".parse()?, internet)], Echo::new())?;
//! let lan = net.inside(nat);
//! let link = LinkConfig::ideal().latency(Duration::from_millis(10));
//! let probe = Probe::sender("10.0.0.2:5000".parse()?, "198.51.100.1:7".parse()?, 3, 100, Duration::from_millis(20), base);
//! let client = net.add_host("client", [Interface::new("10.0.0.2".parse()?, lan).link(link)], probe)?;
//! net.run_until(|n| n.node::<Probe>(client).unwrap().received.len() == 3, Default::default())?;
//! // The echo saw the NAT's external address; the reply came back through the mapping.
//! assert_eq!(net.node::<Probe>(client).unwrap().received[0].source, "198.51.100.1:7".parse()?);
//! assert_eq!(net.trace().len(), 6);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod link;
mod nat;
mod node;
mod trace;

pub use link::{LinkConfig, LinkStats, Loss, MAX_LINK_DELAY, Reorder};
pub use nat::{Filtering, Mapping, NatConfig, NatDrop, NatStats, PortAssignment};
pub use node::{Echo, Node, Probe, Received};
pub use trace::{Fate, TraceCounts, TraceRecord, to_hex};

use crate::net::{Datagram, Protocol, Transmit};
use crate::rng::RngRoot;
use bytes::Bytes;
use link::{LinkDirection, LinkDrop};
use nat::Nat;
use std::any::Any;
use std::cmp::{Ordering, Reverse};
use std::collections::{BTreeMap, BinaryHeap};
use std::fmt;
use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};
use trace::Trace;

macro_rules! id_type {
    ($(#[$m:meta])* $name:ident, $prefix:expr) => {
        $(#[$m])*
        #[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $name(u32);

        impl $name {
            /// The index, in creation order from 0.
            pub fn index(self) -> usize {
                self.0 as usize
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, concat!($prefix, "{}"), self.0)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Debug::fmt(self, f)
            }
        }
    };
}

id_type!(
    /// A host in a [`Network`].
    HostId,
    "host"
);
id_type!(
    /// A link (an interface's access link or a NAT's uplink).
    LinkId,
    "link"
);
id_type!(
    /// A NAT.
    NatId,
    "nat"
);
id_type!(
    /// A segment: the internet, a NAT's inside, or an isolated LAN.
    SegmentId,
    "segment"
);

/// One interface of a host.
#[derive(Debug, Clone)]
pub struct Interface {
    /// Its address.
    pub ip: IpAddr,
    /// The segment it is attached to.
    pub segment: SegmentId,
    /// Its access link.
    pub link: LinkConfig,
}

impl Interface {
    /// An interface with an ideal link.
    pub fn new(ip: IpAddr, segment: SegmentId) -> Self {
        Self {
            ip,
            segment,
            link: LinkConfig::ideal(),
        }
    }

    /// Sets the access link's behaviour.
    pub fn link(mut self, link: LinkConfig) -> Self {
        self.link = link;
        self
    }
}

/// Limits for [`Network::run_until`]: a livelock or a stall fails instead of hanging.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Most steps to take.
    pub max_steps: u64,
    /// Most virtual time to advance.
    pub max_time: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_steps: 10_000_000,
            max_time: Duration::from_secs(3600),
        }
    }
}

impl Limits {
    /// Limits of `max_time` virtual time and the default step count.
    pub fn time(max_time: Duration) -> Self {
        Self {
            max_time,
            ..Self::default()
        }
    }
}

/// Errors of building or running a network.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SimError {
    /// The segment does not exist.
    #[error("unknown segment {0}")]
    UnknownSegment(SegmentId),
    /// The address is already used by a host or NAT on that segment.
    #[error("address {0} already in use on its segment")]
    AddressInUse(IpAddr),
    /// A host needs at least one interface.
    #[error("a host needs at least one interface")]
    NoInterface,
    /// Unspecified (0.0.0.0 / ::) addresses cannot be assigned.
    #[error("unspecified address")]
    UnspecifiedAddress,
    /// `run_until` took its maximum number of steps.
    #[error("step limit of {steps} reached at {elapsed:?} of virtual time (SIM_SEED={seed})")]
    StepLimit {
        /// Steps taken.
        steps: u64,
        /// Virtual time since the network's start.
        elapsed: Duration,
        /// The network's seed.
        seed: u64,
    },
    /// `run_until` reached its virtual-time limit.
    #[error("virtual time limit reached at {elapsed:?} (SIM_SEED={seed})")]
    TimeLimit {
        /// Virtual time since the network's start.
        elapsed: Duration,
        /// The network's seed.
        seed: u64,
    },
    /// Nothing was left to happen and the condition still did not hold.
    #[error("network went idle at {elapsed:?} before the condition held (SIM_SEED={seed})")]
    Idle {
        /// Virtual time since the network's start.
        elapsed: Duration,
        /// The network's seed.
        seed: u64,
    },
}

/// A scheduled change to a link.
#[derive(Debug, Clone, PartialEq)]
pub enum LinkChange {
    /// Cut the link: datagrams offered to it are dropped (those already on it still arrive).
    Cut,
    /// Restore a cut link.
    Restore,
    /// Replace the link's behaviour (both directions).
    Configure(LinkConfig),
}

/// The seed named by the `SIM_SEED` environment variable (decimal or `0x` hex), or `default`.
pub fn seed_from_env(default: u64) -> u64 {
    std::env::var("SIM_SEED")
        .ok()
        .and_then(|s| {
            let s = s.trim();
            match s.strip_prefix("0x") {
                Some(h) => u64::from_str_radix(h, 16).ok(),
                None => s.parse().ok(),
            }
        })
        .unwrap_or(default)
}

/// How many transmits are drained from one node per step before the rest wait for the next
/// step (keeps a node that never stops sending from hanging a single step).
const MAX_TRANSMITS_PER_FLUSH: usize = 65_536;
/// Hops a datagram may take through segments and NATs at one instant before it is declared
/// unroutable (a loop in a misconfigured topology).
const MAX_INSTANT_HOPS: usize = 64;

struct HostSlot {
    name: String,
    interfaces: Vec<HostInterface>,
    node: Box<dyn Node>,
    deadline: Option<Instant>,
    dirty: bool,
}

#[derive(Debug, Clone, Copy)]
struct HostInterface {
    ip: IpAddr,
    segment: SegmentId,
    link: LinkId,
}

#[derive(Debug, Default)]
struct Segment {
    /// The NAT this segment is the inside of.
    inside_of: Option<NatId>,
    hosts: BTreeMap<IpAddr, (HostId, LinkId)>,
    nats: BTreeMap<IpAddr, NatId>,
}

#[derive(Debug)]
struct NatSlot {
    nat: Nat,
    outside: SegmentId,
    inside: SegmentId,
    uplink: LinkId,
}

#[derive(Debug)]
struct Link {
    config: LinkConfig,
    up: bool,
    /// `[towards the segment / parent, towards the host / NAT]`.
    dirs: [LinkDirection; 2],
}

const UP: usize = 0;
const DOWN: usize = 1;

#[derive(Debug, Clone, Copy)]
enum Position {
    Segment(SegmentId),
    NatOutside(NatId),
    Host(HostId),
}

#[derive(Debug, Clone)]
struct InFlight {
    id: u64,
    copy: u8,
    sent: Instant,
    from: HostId,
    original_source: SocketAddr,
    original_destination: SocketAddr,
    source: SocketAddr,
    destination: SocketAddr,
    protocol: Protocol,
    contents: Bytes,
}

enum EventKind {
    Arrive(InFlight, Position),
    Change(LinkId, LinkChange),
}

struct Event {
    at: Instant,
    seq: u64,
    kind: EventKind,
}

impl PartialEq for Event {
    fn eq(&self, other: &Self) -> bool {
        (self.at, self.seq) == (other.at, other.seq)
    }
}
impl Eq for Event {}
impl PartialOrd for Event {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Event {
    fn cmp(&self, other: &Self) -> Ordering {
        (self.at, self.seq).cmp(&(other.at, other.seq))
    }
}

/// A simulated network. See the [module docs](self).
pub struct Network {
    base: Instant,
    now: Instant,
    seed: u64,
    rng: RngRoot,
    hosts: Vec<HostSlot>,
    segments: Vec<Segment>,
    nats: Vec<NatSlot>,
    links: Vec<Link>,
    events: BinaryHeap<Reverse<Event>>,
    event_seq: u64,
    timers: BinaryHeap<Reverse<(Instant, HostId)>>,
    dirty: Vec<HostId>,
    next_id: u64,
    trace: Trace,
    steps: u64,
}

impl fmt::Debug for Network {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Network")
            .field("seed", &self.seed)
            .field("elapsed", &self.elapsed())
            .field("hosts", &self.hosts.len())
            .field("nats", &self.nats.len())
            .field("links", &self.links.len())
            .field("in_flight", &self.events.len())
            .finish()
    }
}

impl Drop for Network {
    /// A network dropped while its thread panics (a failing test or assertion) names its seed on
    /// stderr, so every failure can be replayed with `SIM_SEED=<seed>`.
    fn drop(&mut self) {
        if std::thread::panicking() {
            eprintln!(
                "sim: network dropped during a panic at {:?} of virtual time; replay with SIM_SEED={}",
                self.elapsed(),
                self.seed
            );
        }
    }
}

impl Network {
    /// An empty network whose clock starts at `base`, with its randomness from `seed`.
    pub fn new(base: Instant, seed: u64) -> Self {
        Self {
            base,
            now: base,
            seed,
            rng: RngRoot::from_seed(seed).child("sim", 0),
            hosts: Vec::new(),
            segments: vec![Segment::default()],
            nats: Vec::new(),
            links: Vec::new(),
            events: BinaryHeap::new(),
            event_seq: 0,
            timers: BinaryHeap::new(),
            dirty: Vec::new(),
            next_id: 0,
            trace: Trace::new(true),
            steps: 0,
        }
    }

    /// Whether to keep every [`TraceRecord`] in memory (default on). The hash and counts are
    /// kept either way; turn records off for long or large simulations.
    pub fn keep_trace_records(&mut self, keep: bool) {
        if !keep {
            self.trace.records = None;
        } else if self.trace.records.is_none() {
            self.trace.records = Some(Vec::new());
        }
    }

    /// The seed the network was made with.
    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// A seed for a node, derived from the network's seed and `label`, so that a whole
    /// simulation replays from one number.
    pub fn derive_seed(&self, label: &str) -> u64 {
        self.rng.derive(label, 1).next_u64()
    }

    /// The virtual time now.
    pub fn now(&self) -> Instant {
        self.now
    }

    /// The instant the network started at.
    pub fn base(&self) -> Instant {
        self.base
    }

    /// Virtual time since the start.
    pub fn elapsed(&self) -> Duration {
        self.now - self.base
    }

    /// Steps taken so far.
    pub fn steps(&self) -> u64 {
        self.steps
    }

    /// The public segment the network starts with.
    pub fn internet(&self) -> SegmentId {
        SegmentId(0)
    }

    /// A new segment attached to nothing (a LAN with no way out).
    pub fn add_segment(&mut self) -> SegmentId {
        self.segments.push(Segment::default());
        SegmentId(self.segments.len() as u32 - 1)
    }

    fn add_link(&mut self, config: LinkConfig) -> LinkId {
        let id = self.links.len() as u64;
        let dirs = [
            LinkDirection::new(self.rng.derive("link-up", id)),
            LinkDirection::new(self.rng.derive("link-down", id)),
        ];
        self.links.push(Link {
            config,
            up: true,
            dirs,
        });
        LinkId(id as u32)
    }

    fn check_address(&self, segment: SegmentId, ip: IpAddr) -> Result<(), SimError> {
        let seg = self
            .segments
            .get(segment.index())
            .ok_or(SimError::UnknownSegment(segment))?;
        if ip.is_unspecified() {
            return Err(SimError::UnspecifiedAddress);
        }
        let inside_nat_ip = seg.inside_of.map(|n| self.nats[n.index()].nat.external_ip);
        if seg.hosts.contains_key(&ip) || seg.nats.contains_key(&ip) || inside_nat_ip == Some(ip) {
            return Err(SimError::AddressInUse(ip));
        }
        Ok(())
    }

    /// Adds a NAT with external address `external_ip` on segment `outside`, joined to it by a
    /// link with `uplink` behaviour. Its inside is a new segment: [`Network::inside`].
    pub fn add_nat(
        &mut self,
        config: NatConfig,
        outside: SegmentId,
        external_ip: IpAddr,
        uplink: LinkConfig,
    ) -> Result<NatId, SimError> {
        self.check_address(outside, external_ip)?;
        let id = NatId(self.nats.len() as u32);
        let link = self.add_link(uplink);
        let inside = self.add_segment();
        self.segments[inside.index()].inside_of = Some(id);
        self.segments[outside.index()].nats.insert(external_ip, id);
        let rng = self.rng.derive("nat", id.0.into());
        self.nats.push(NatSlot {
            nat: Nat::new(config, external_ip, rng),
            outside,
            inside,
            uplink: link,
        });
        Ok(id)
    }

    /// The private segment behind a NAT.
    pub fn inside(&self, nat: NatId) -> SegmentId {
        self.nats[nat.index()].inside
    }

    /// The link between a NAT and its outside segment.
    pub fn nat_link(&self, nat: NatId) -> LinkId {
        self.nats[nat.index()].uplink
    }

    /// The NAT's external address.
    pub fn nat_address(&self, nat: NatId) -> IpAddr {
        self.nats[nat.index()].nat.external_ip
    }

    /// Adds a host running `node`, with the given interfaces.
    pub fn add_host(
        &mut self,
        name: impl Into<String>,
        interfaces: impl IntoIterator<Item = Interface>,
        node: impl Node,
    ) -> Result<HostId, SimError> {
        let interfaces: Vec<Interface> = interfaces.into_iter().collect();
        if interfaces.is_empty() {
            return Err(SimError::NoInterface);
        }
        for (i, iface) in interfaces.iter().enumerate() {
            self.check_address(iface.segment, iface.ip)?;
            if interfaces[..i]
                .iter()
                .any(|o| o.ip == iface.ip && o.segment == iface.segment)
            {
                return Err(SimError::AddressInUse(iface.ip));
            }
        }
        let id = HostId(self.hosts.len() as u32);
        let mut ifaces = Vec::with_capacity(interfaces.len());
        for iface in interfaces {
            let link = self.add_link(iface.link);
            self.segments[iface.segment.index()]
                .hosts
                .insert(iface.ip, (id, link));
            ifaces.push(HostInterface {
                ip: iface.ip,
                segment: iface.segment,
                link,
            });
        }
        self.hosts.push(HostSlot {
            name: name.into(),
            interfaces: ifaces,
            node: Box::new(node),
            deadline: None,
            dirty: true,
        });
        self.dirty.push(id);
        Ok(id)
    }

    /// The host's name.
    pub fn host_name(&self, host: HostId) -> &str {
        &self.hosts[host.index()].name
    }

    /// The host's interface addresses, in the order given.
    pub fn host_addresses(&self, host: HostId) -> Vec<IpAddr> {
        self.hosts[host.index()]
            .interfaces
            .iter()
            .map(|i| i.ip)
            .collect()
    }

    /// The access link of the host's interface with address `ip`.
    pub fn host_link(&self, host: HostId, ip: IpAddr) -> Option<LinkId> {
        self.hosts[host.index()]
            .interfaces
            .iter()
            .find(|i| i.ip == ip)
            .map(|i| i.link)
    }

    /// All hosts, in creation order.
    pub fn hosts(&self) -> impl Iterator<Item = HostId> + '_ {
        (0..self.hosts.len() as u32).map(HostId)
    }

    /// The host's node, if it is a `T`.
    pub fn node<T: Node>(&self, host: HostId) -> Option<&T> {
        let node: &dyn Any = &*self.hosts.get(host.index())?.node;
        node.downcast_ref()
    }

    /// The host's node, if it is a `T`, for commands. The network drains its transmits and
    /// re-reads its deadline before the next step.
    pub fn node_mut<T: Node>(&mut self, host: HostId) -> Option<&mut T> {
        self.mark_dirty(host);
        let node: &mut dyn Any = &mut *self.hosts.get_mut(host.index())?.node;
        node.downcast_mut()
    }

    /// The host's node as a trait object.
    pub fn node_dyn_mut(&mut self, host: HostId) -> &mut dyn Node {
        self.mark_dirty(host);
        &mut *self.hosts[host.index()].node
    }

    fn mark_dirty(&mut self, host: HostId) {
        if let Some(h) = self.hosts.get_mut(host.index())
            && !h.dirty
        {
            h.dirty = true;
            self.dirty.push(host);
        }
    }

    /// Replaces a link's behaviour now.
    pub fn set_link(&mut self, link: LinkId, config: LinkConfig) {
        self.links[link.index()].config = config;
    }

    /// A link's behaviour.
    pub fn link_config(&self, link: LinkId) -> &LinkConfig {
        &self.links[link.index()].config
    }

    /// Applies a change to a link at virtual time `at` (now, if `at` has passed).
    pub fn schedule(&mut self, at: Instant, link: LinkId, change: LinkChange) {
        if at <= self.now {
            self.apply(link, change);
        } else {
            self.push_event(at, EventKind::Change(link, change));
        }
    }

    fn apply(&mut self, link: LinkId, change: LinkChange) {
        let l = &mut self.links[link.index()];
        match change {
            LinkChange::Cut => l.up = false,
            LinkChange::Restore => l.up = true,
            LinkChange::Configure(c) => l.config = c,
        }
    }

    /// Whether a link is up (not cut).
    pub fn is_link_up(&self, link: LinkId) -> bool {
        self.links[link.index()].up
    }

    /// Counters of a link: `(towards the segment, towards the host or NAT)`.
    pub fn link_stats(&self, link: LinkId) -> (LinkStats, LinkStats) {
        let l = &self.links[link.index()];
        (l.dirs[UP].stats, l.dirs[DOWN].stats)
    }

    /// Counters of a NAT.
    pub fn nat_stats(&self, nat: NatId) -> NatStats {
        self.nats[nat.index()].nat.stats
    }

    /// Live mappings of a NAT now.
    pub fn nat_mappings(&self, nat: NatId) -> usize {
        self.nats[nat.index()].nat.mapping_count(self.now)
    }

    /// Every trace record so far (empty when records are off).
    pub fn trace(&self) -> &[TraceRecord] {
        self.trace.records.as_deref().unwrap_or(&[])
    }

    /// Counts of fates so far.
    pub fn counts(&self) -> TraceCounts {
        self.trace.counts
    }

    /// SHA-256 over every trace record and payload so far.
    pub fn trace_hash(&self) -> [u8; 32] {
        self.trace.hash()
    }

    /// [`Network::trace_hash`] as lower-case hex.
    pub fn trace_hash_hex(&self) -> String {
        to_hex(&self.trace_hash())
    }

    /// Datagrams on links right now.
    pub fn in_flight(&self) -> usize {
        self.events
            .iter()
            .filter(|e| matches!(e.0.kind, EventKind::Arrive(..)))
            .count()
    }

    // ----- running -----

    /// When the next thing happens: a delivery, a link change, or a node deadline.
    pub fn next_time(&mut self) -> Option<Instant> {
        self.flush_dirty();
        let event = self.events.peek().map(|e| e.0.at);
        let timer = self.peek_timer();
        match (event, timer) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    fn peek_timer(&mut self) -> Option<Instant> {
        // Entries are not removed when a node's deadline changes; skip the stale ones here.
        while let Some(Reverse((at, host))) = self.timers.peek().copied() {
            if self.hosts[host.index()].deadline == Some(at) {
                return Some(at);
            }
            self.timers.pop();
        }
        None
    }

    /// Moves the clock to the next event and processes everything due then. Returns the new
    /// time, or `None` when nothing is left to happen.
    pub fn step(&mut self) -> Option<Instant> {
        let t = self.next_time()?;
        self.now = self.now.max(t);
        let now = self.now;
        self.steps += 1;
        while self.events.peek().is_some_and(|e| e.0.at <= now) {
            let Reverse(ev) = self.events.pop().expect("peeked");
            match ev.kind {
                EventKind::Arrive(p, pos) => self.route(p, pos),
                EventKind::Change(link, change) => self.apply(link, change),
            }
        }
        while let Some(at) = self.peek_timer()
            && at <= now
        {
            let Reverse((_, host)) = self.timers.pop().expect("peeked");
            let slot = &mut self.hosts[host.index()];
            slot.deadline = None;
            slot.node.handle_timeout(now);
            self.mark_dirty(host);
        }
        self.flush_dirty();
        Some(now)
    }

    /// Steps until `done` holds. Fails when a limit passes first or nothing is left to happen;
    /// the error names the seed.
    pub fn run_until(
        &mut self,
        mut done: impl FnMut(&Network) -> bool,
        limits: Limits,
    ) -> Result<(), SimError> {
        let deadline = self.now + limits.max_time;
        let mut steps = 0;
        loop {
            self.flush_dirty();
            if done(self) {
                return Ok(());
            }
            if steps >= limits.max_steps {
                return Err(SimError::StepLimit {
                    steps,
                    elapsed: self.elapsed(),
                    seed: self.seed,
                });
            }
            match self.next_time() {
                None => {
                    return Err(SimError::Idle {
                        elapsed: self.elapsed(),
                        seed: self.seed,
                    });
                }
                Some(t) if t > deadline => {
                    self.now = self.now.max(deadline);
                    return Err(SimError::TimeLimit {
                        elapsed: self.elapsed(),
                        seed: self.seed,
                    });
                }
                Some(_) => {
                    self.step();
                    steps += 1;
                }
            }
        }
    }

    /// Runs everything due in the next `duration` of virtual time and leaves the clock at its
    /// end. Fails only when `Limits::default().max_steps` steps do not get there (a livelock).
    pub fn run_for(&mut self, duration: Duration) -> Result<(), SimError> {
        let end = self.now + duration;
        let max_steps = Limits::default().max_steps;
        let mut steps = 0;
        while let Some(t) = self.next_time()
            && t <= end
        {
            if steps >= max_steps {
                return Err(SimError::StepLimit {
                    steps,
                    elapsed: self.elapsed(),
                    seed: self.seed,
                });
            }
            self.step();
            steps += 1;
        }
        self.now = self.now.max(end);
        Ok(())
    }

    /// Steps until nothing is left to happen (no deliveries, no node deadlines).
    pub fn run_until_idle(&mut self, limits: Limits) -> Result<(), SimError> {
        let deadline = self.now + limits.max_time;
        let mut steps = 0;
        while let Some(t) = self.next_time() {
            if t > deadline {
                self.now = self.now.max(deadline);
                return Err(SimError::TimeLimit {
                    elapsed: self.elapsed(),
                    seed: self.seed,
                });
            }
            if steps >= limits.max_steps {
                return Err(SimError::StepLimit {
                    steps,
                    elapsed: self.elapsed(),
                    seed: self.seed,
                });
            }
            self.step();
            steps += 1;
        }
        Ok(())
    }

    // ----- moving datagrams -----

    fn push_event(&mut self, at: Instant, kind: EventKind) {
        self.event_seq += 1;
        self.events.push(Reverse(Event {
            at,
            seq: self.event_seq,
            kind,
        }));
    }

    /// Drains transmits from every node touched since the last flush and refreshes deadlines.
    fn flush_dirty(&mut self) {
        if self.dirty.is_empty() {
            return;
        }
        let now = self.now;
        let mut dirty = std::mem::take(&mut self.dirty);
        // Drain in host order: the order nodes were touched in must not matter.
        dirty.sort_unstable();
        let mut out = Vec::new();
        for host in dirty {
            let slot = &mut self.hosts[host.index()];
            slot.dirty = false;
            while out.len() < MAX_TRANSMITS_PER_FLUSH {
                match slot.node.poll_transmit(now) {
                    Some(t) => out.push(t),
                    None => break,
                }
            }
            if out.len() == MAX_TRANSMITS_PER_FLUSH {
                // A node with still more to send is served again at the next flush.
                slot.dirty = true;
                self.dirty.push(host);
            }
            let deadline = slot.node.poll_timeout();
            if deadline != slot.deadline {
                slot.deadline = deadline;
                if let Some(d) = deadline {
                    self.timers.push(Reverse((d, host)));
                }
            }
            for t in out.drain(..) {
                self.send_from(host, t);
            }
        }
    }

    fn send_from(&mut self, host: HostId, t: Transmit) {
        let id = self.next_id;
        self.next_id += 1;
        self.trace.counts.sent += 1;
        let slot = &self.hosts[host.index()];
        let iface = if t.source.ip().is_unspecified() {
            slot.interfaces
                .iter()
                .find(|i| i.ip.is_ipv4() == t.destination.is_ipv4())
        } else {
            slot.interfaces.iter().find(|i| i.ip == t.source.ip())
        }
        .copied();
        let source = SocketAddr::new(iface.map_or(t.source.ip(), |i| i.ip), t.source.port());
        let p = InFlight {
            id,
            copy: 0,
            sent: self.now,
            from: host,
            original_source: source,
            original_destination: t.destination,
            source,
            destination: t.destination,
            protocol: t.protocol,
            contents: t.contents,
        };
        match iface {
            Some(i) => self.traverse(p, i.link, UP, Position::Segment(i.segment)),
            None => self.finish(&p, Fate::NoRoute),
        }
    }

    fn traverse(&mut self, p: InFlight, link: LinkId, dir: usize, next: Position) {
        let size = p.contents.len() + if p.destination.is_ipv4() { 28 } else { 48 };
        let l = &mut self.links[link.index()];
        match l.dirs[dir].transmit(&l.config, l.up, self.now, size) {
            Ok(arrivals) => {
                if let Some(at) = arrivals.second {
                    let mut dup = p.clone();
                    dup.copy = dup.copy.saturating_add(1);
                    self.push_event(at, EventKind::Arrive(dup, next));
                }
                self.push_event(arrivals.first, EventKind::Arrive(p, next));
            }
            Err(drop) => {
                let fate = match drop {
                    LinkDrop::Down => Fate::LinkDown(link),
                    LinkDrop::OverMtu => Fate::OverMtu(link),
                    LinkDrop::QueueFull => Fate::QueueFull(link),
                    LinkDrop::Lost => Fate::Lost(link),
                };
                self.finish(&p, fate);
            }
        }
    }

    /// Moves a datagram that has just arrived at `pos` on, through segments and NATs, until it
    /// is delivered, enters another link, or is dropped.
    fn route(&mut self, mut p: InFlight, mut pos: Position) {
        let now = self.now;
        for _ in 0..MAX_INSTANT_HOPS {
            match pos {
                Position::Host(host) => {
                    let slot = &mut self.hosts[host.index()];
                    slot.node.handle_receive(
                        now,
                        Datagram {
                            source: p.source,
                            destination: p.destination,
                            protocol: p.protocol,
                            contents: &p.contents,
                        },
                    );
                    self.mark_dirty(host);
                    let fate = Fate::Delivered {
                        host,
                        source: p.source,
                    };
                    self.finish(&p, fate);
                    return;
                }
                Position::NatOutside(nat) => {
                    let slot = &mut self.nats[nat.index()];
                    match slot.nat.inbound(now, p.source, p.destination.port()) {
                        Ok(internal) => {
                            p.destination = internal;
                            pos = Position::Segment(slot.inside);
                        }
                        Err(why) => return self.finish(&p, Fate::NatRefused(nat, why)),
                    }
                }
                Position::Segment(seg) => {
                    let s = &self.segments[seg.index()];
                    let dst = p.destination.ip();
                    if let Some(&(host, link)) = s.hosts.get(&dst) {
                        return self.traverse(p, link, DOWN, Position::Host(host));
                    }
                    if let Some(&nat) = s.nats.get(&dst) {
                        let link = self.nats[nat.index()].uplink;
                        return self.traverse(p, link, DOWN, Position::NatOutside(nat));
                    }
                    let Some(nat) = s.inside_of else {
                        return self.finish(&p, Fate::NoRoute);
                    };
                    let slot = &mut self.nats[nat.index()];
                    if dst == slot.nat.external_ip {
                        // RFC 4787 §6 hairpinning: translate the source to the sender's
                        // external endpoint (REQ-9), then treat it as arriving from outside.
                        if !slot.nat.config.hairpinning {
                            let fate = Fate::NatRefused(nat, NatDrop::HairpinDisabled);
                            return self.finish(&p, fate);
                        }
                        let external = match slot.nat.outbound(now, p.source, p.destination) {
                            Ok(e) => e,
                            Err(why) => return self.finish(&p, Fate::NatRefused(nat, why)),
                        };
                        slot.nat.stats.hairpinned += 1;
                        p.source = external;
                        pos = Position::NatOutside(nat);
                        continue;
                    }
                    match slot.nat.outbound(now, p.source, p.destination) {
                        Ok(external) => {
                            p.source = external;
                            let (link, outside) = (slot.uplink, slot.outside);
                            return self.traverse(p, link, UP, Position::Segment(outside));
                        }
                        Err(why) => return self.finish(&p, Fate::NatRefused(nat, why)),
                    }
                }
            }
        }
        self.finish(&p, Fate::NoRoute);
    }

    fn finish(&mut self, p: &InFlight, fate: Fate) {
        let record = TraceRecord {
            id: p.id,
            copy: p.copy,
            sent: p.sent - self.base,
            at: self.now - self.base,
            from: p.from,
            source: p.original_source,
            destination: p.original_destination,
            size_bytes: p.contents.len(),
            fate,
        };
        self.trace.record(record, &p.contents);
    }
}

#[cfg(test)]
mod tests;
