//! The trace: one record per datagram copy and its fate, and a running SHA-256 over all of them.
//!
//! The hash covers every record field and the datagram's bytes, in the order fates happen, so
//! two runs have the same hash exactly when they sent the same bytes at the same virtual times
//! with the same outcomes.

use super::{HostId, LinkId, NatDrop, NatId};
use sha2::{Digest, Sha256};
use std::fmt;
use std::net::SocketAddr;
use std::time::Duration;

/// What became of one datagram copy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fate {
    /// Handed to the node of `host`, appearing to come from `source` (after any NAT).
    Delivered {
        /// The receiving host.
        host: HostId,
        /// The source address the receiver saw.
        source: SocketAddr,
    },
    /// Lost on a link (loss model).
    Lost(LinkId),
    /// The link was cut.
    LinkDown(LinkId),
    /// Larger than the link's MTU.
    OverMtu(LinkId),
    /// The link's queue was full (tail drop).
    QueueFull(LinkId),
    /// Refused by a NAT.
    NatRefused(NatId, NatDrop),
    /// No host or NAT owns the destination address, or the sender has no interface with the
    /// source address.
    NoRoute,
}

impl Fate {
    /// Whether the datagram reached a node.
    pub fn is_delivered(&self) -> bool {
        matches!(self, Fate::Delivered { .. })
    }

    /// A short name of the fate, for summaries.
    pub fn label(&self) -> &'static str {
        match self {
            Fate::Delivered { .. } => "delivered",
            Fate::Lost(_) => "lost",
            Fate::LinkDown(_) => "link down",
            Fate::OverMtu(_) => "over MTU",
            Fate::QueueFull(_) => "queue full",
            Fate::NatRefused(_, NatDrop::HairpinDisabled) => "hairpin disabled",
            Fate::NatRefused(..) => "filtered by NAT",
            Fate::NoRoute => "no route",
        }
    }
}

/// One line of the trace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TraceRecord {
    /// The datagram's number, in send order.
    pub id: u64,
    /// 0 for the original, 1 for a duplicate made by a link.
    pub copy: u8,
    /// When it was sent, since the network's start.
    pub sent: Duration,
    /// When its fate was decided (delivery or drop), since the network's start.
    pub at: Duration,
    /// The sending host.
    pub from: HostId,
    /// Source address as sent.
    pub source: SocketAddr,
    /// Destination address as sent.
    pub destination: SocketAddr,
    /// UDP payload bytes.
    pub size_bytes: usize,
    /// What happened.
    pub fate: Fate,
}

impl fmt::Display for TraceRecord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:>10.3}ms #{}{} {} -> {} {}B {}",
            self.at.as_secs_f64() * 1e3,
            self.id,
            if self.copy > 0 { "'" } else { "" },
            self.source,
            self.destination,
            self.size_bytes,
            self.fate.label()
        )
    }
}

/// Counts of fates.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TraceCounts {
    /// Datagrams sent by nodes.
    pub sent: u64,
    /// Copies delivered.
    pub delivered: u64,
    /// Lost on links.
    pub lost: u64,
    /// Dropped by cut links.
    pub link_down: u64,
    /// Dropped for size.
    pub over_mtu: u64,
    /// Tail-dropped.
    pub queue_full: u64,
    /// Refused by NATs (filtering, no mapping, hairpin off, ...).
    pub nat_refused: u64,
    /// No route.
    pub no_route: u64,
}

#[derive(Debug, Clone)]
pub(crate) struct Trace {
    hasher: Sha256,
    pub(crate) records: Option<Vec<TraceRecord>>,
    pub(crate) counts: TraceCounts,
}

impl Trace {
    pub(crate) fn new(keep_records: bool) -> Self {
        Self {
            hasher: Sha256::new(),
            records: keep_records.then(Vec::new),
            counts: TraceCounts::default(),
        }
    }

    pub(crate) fn record(&mut self, r: TraceRecord, contents: &[u8]) {
        let c = &mut self.counts;
        match r.fate {
            Fate::Delivered { .. } => c.delivered += 1,
            Fate::Lost(_) => c.lost += 1,
            Fate::LinkDown(_) => c.link_down += 1,
            Fate::OverMtu(_) => c.over_mtu += 1,
            Fate::QueueFull(_) => c.queue_full += 1,
            Fate::NatRefused(..) => c.nat_refused += 1,
            Fate::NoRoute => c.no_route += 1,
        }
        let h = &mut self.hasher;
        h.update(r.id.to_be_bytes());
        h.update([r.copy]);
        h.update(r.sent.as_nanos().to_be_bytes());
        h.update(r.at.as_nanos().to_be_bytes());
        h.update(r.from.0.to_be_bytes());
        hash_addr(h, r.source);
        hash_addr(h, r.destination);
        h.update((r.size_bytes as u64).to_be_bytes());
        match r.fate {
            Fate::Delivered { host, source } => {
                h.update([0]);
                h.update(host.0.to_be_bytes());
                hash_addr(h, source);
            }
            Fate::Lost(l) => hash_tagged(h, 1, l.0),
            Fate::LinkDown(l) => hash_tagged(h, 2, l.0),
            Fate::OverMtu(l) => hash_tagged(h, 3, l.0),
            Fate::QueueFull(l) => hash_tagged(h, 4, l.0),
            Fate::NatRefused(n, why) => {
                hash_tagged(h, 5, n.0);
                h.update([why as u8]);
            }
            Fate::NoRoute => h.update([6]),
        }
        h.update((contents.len() as u64).to_be_bytes());
        h.update(contents);
        if let Some(v) = &mut self.records {
            v.push(r);
        }
    }

    pub(crate) fn hash(&self) -> [u8; 32] {
        self.hasher.clone().finalize().into()
    }
}

fn hash_tagged(h: &mut Sha256, tag: u8, id: u32) {
    h.update([tag]);
    h.update(id.to_be_bytes());
}

fn hash_addr(h: &mut Sha256, a: SocketAddr) {
    match a {
        SocketAddr::V4(v4) => {
            h.update([4]);
            h.update(v4.ip().octets());
        }
        SocketAddr::V6(v6) => {
            h.update([6]);
            h.update(v6.ip().octets());
        }
    }
    h.update(a.port().to_be_bytes());
}

/// Lower-case hex of a hash.
pub fn to_hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}
