//! The `candidate` attribute (RFC 8839 §5.1), as written in SDP and trickled (RFC 8840).
//!
//! ```text
//! candidate:<foundation> <component-id> <transport> <priority> <connection-address> <port>
//!           typ <cand-type> [raddr <address>] [rport <port>] *(<ext-name> <ext-value>)
//! ```
//!
//! Browsers put mDNS names (`<uuid>.local`) in the address (RFC 8839 §5.1 allows an FQDN), so the
//! address is an IP or a name. Extension pairs (`generation`, `network-id`, `network-cost`,
//! `tcptype` of RFC 6544, `ufrag`, ...) are kept in order.

use crate::ice::{Candidate, CandidateKind};
use crate::net::Protocol;
use std::fmt;
use std::net::{IpAddr, SocketAddr};
use std::str::FromStr;

/// A candidate's connection address: an IP address or a name (mDNS `.local`, FQDN).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum CandidateAddress {
    /// A literal IPv4 or IPv6 address.
    Ip(IpAddr),
    /// A name to resolve (browsers hide host addresses behind mDNS names).
    Name(String),
}

impl CandidateAddress {
    fn parse(s: &str) -> Option<Self> {
        if let Ok(ip) = s.parse() {
            return Some(Self::Ip(ip));
        }
        (!s.is_empty() && s.bytes().all(|b| b.is_ascii_graphic())).then(|| Self::Name(s.into()))
    }

    /// The IP address, when it is one.
    pub fn ip(&self) -> Option<IpAddr> {
        match self {
            Self::Ip(ip) => Some(*ip),
            Self::Name(_) => None,
        }
    }
}

impl fmt::Display for CandidateAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Ip(ip) => write!(f, "{ip}"),
            Self::Name(n) => f.write_str(n),
        }
    }
}

/// A candidate as signalled.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SdpCandidate {
    /// Foundation (1-32 ice-chars).
    pub foundation: String,
    /// Component id (1 for RTP, and all WebRTC traffic with rtcp-mux and BUNDLE).
    pub component: u16,
    /// Transport as written (`udp`, `UDP`, `tcp`).
    pub transport: String,
    /// Priority.
    pub priority: u32,
    /// Connection address.
    pub address: CandidateAddress,
    /// Port.
    pub port: u16,
    /// Candidate type.
    pub kind: CandidateKind,
    /// `raddr`.
    pub related_address: Option<CandidateAddress>,
    /// `rport`.
    pub related_port: Option<u16>,
    /// Extension attributes, name and value, in order.
    pub extensions: CandidateExtensions,
}

/// The extension attributes of a candidate (`generation 0 network-id 1 ...`), kept in order as
/// written: one string, split on demand (a candidate carries several and they are rarely read).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct CandidateExtensions(String);

impl CandidateExtensions {
    /// No extensions.
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends `name value`. Both must be non-empty and free of spaces, or they are not added
    /// (returns `false`).
    pub fn push(&mut self, name: &str, value: &str) -> bool {
        let ok =
            |s: &str| !s.is_empty() && !s.bytes().any(|b| b == b' ' || b == b'\r' || b == b'\n');
        if !ok(name) || !ok(value) {
            return false;
        }
        if !self.0.is_empty() {
            self.0.push(' ');
        }
        self.0.push_str(name);
        self.0.push(' ');
        self.0.push_str(value);
        true
    }

    /// The pairs, in order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        let mut w = self.0.split(' ').filter(|s| !s.is_empty());
        std::iter::from_fn(move || Some((w.next()?, w.next()?)))
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// Why a candidate did not parse.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("malformed candidate attribute")]
pub struct CandidateParseError;

/// Takes the next space-separated word of `rest`, leaving the remainder there.
fn word<'a>(rest: &mut &'a str) -> Result<&'a str, CandidateParseError> {
    let (w, r) = rest.split_once(' ').unwrap_or((rest, ""));
    *rest = r;
    if w.is_empty() {
        Err(CandidateParseError)
    } else {
        Ok(w)
    }
}

fn kind_from_sdp(s: &str) -> Option<CandidateKind> {
    Some(match s {
        "host" => CandidateKind::Host,
        "srflx" => CandidateKind::ServerReflexive,
        "prflx" => CandidateKind::PeerReflexive,
        "relay" => CandidateKind::Relayed,
        _ => return None,
    })
}

impl SdpCandidate {
    /// Parses the value after `candidate:`.
    pub(super) fn parse_value(v: &str) -> Result<Self, CandidateParseError> {
        let e = CandidateParseError;
        let mut rest = v;
        let foundation = word(&mut rest)?.to_owned();
        let component = word(&mut rest)?.parse().map_err(|_| e)?;
        let transport = word(&mut rest)?.to_owned();
        let priority = word(&mut rest)?.parse().map_err(|_| e)?;
        let address = CandidateAddress::parse(word(&mut rest)?).ok_or(e)?;
        let port = word(&mut rest)?.parse().map_err(|_| e)?;
        if word(&mut rest)? != "typ" {
            return Err(e);
        }
        let kind = kind_from_sdp(word(&mut rest)?).ok_or(e)?;
        let mut c = Self {
            foundation,
            component,
            transport,
            priority,
            address,
            port,
            kind,
            related_address: None,
            related_port: None,
            extensions: CandidateExtensions::new(),
        };
        // RFC 8839 §5.1: raddr and rport, when present, come right after the type.
        if let Some(r) = rest.strip_prefix("raddr ") {
            rest = r;
            c.related_address = Some(CandidateAddress::parse(word(&mut rest)?).ok_or(e)?);
        }
        if let Some(r) = rest.strip_prefix("rport ") {
            rest = r;
            c.related_port = Some(word(&mut rest)?.parse().map_err(|_| e)?);
        }
        // The rest are name/value pairs: validated here, stored as written.
        let tail = rest;
        let mut n = 0usize;
        while !rest.is_empty() {
            word(&mut rest)?;
            n += 1;
        }
        if !n.is_multiple_of(2) {
            return Err(e);
        }
        c.extensions = CandidateExtensions(tail.to_owned());
        if c.foundation.len() > 32 || c.component == 0 {
            return Err(e);
        }
        Ok(c)
    }

    /// The value of extension attribute `name` (e.g. `tcptype`, `generation`, `ufrag`).
    pub fn extension(&self, name: &str) -> Option<&str> {
        self.extensions
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v)
    }

    /// The attribute value (what follows `candidate:`), for writing.
    pub fn value(&self) -> impl fmt::Display + '_ {
        Value(self)
    }

    /// The ICE candidate, when the agent can use it: a literal IP, UDP.
    pub fn to_ice(&self) -> Option<Candidate> {
        let ip = self.address.ip()?;
        if !self.transport.eq_ignore_ascii_case("udp") {
            return None;
        }
        let mut c = Candidate::remote(
            self.kind,
            SocketAddr::new(ip, self.port),
            self.priority,
            self.foundation.clone(),
        );
        c.component = self.component;
        c.related = match (&self.related_address, self.related_port) {
            (Some(CandidateAddress::Ip(ip)), Some(p)) => Some(SocketAddr::new(*ip, p)),
            _ => None,
        };
        Some(c)
    }

    /// A local ICE candidate as signalled.
    pub fn from_ice(c: &Candidate) -> Self {
        Self {
            foundation: c.foundation.clone(),
            component: c.component,
            transport: match c.protocol {
                Protocol::Udp => "udp",
                Protocol::Tcp => "tcp",
            }
            .into(),
            priority: c.priority,
            address: CandidateAddress::Ip(c.address.ip()),
            port: c.address.port(),
            kind: c.kind,
            related_address: c.related.map(|r| CandidateAddress::Ip(r.ip())),
            related_port: c.related.map(|r| r.port()),
            extensions: CandidateExtensions::new(),
        }
    }
}

struct Value<'a>(&'a SdpCandidate);

impl fmt::Display for Value<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let c = self.0;
        write!(
            f,
            "{} {} {} {} {} {} typ {}",
            c.foundation,
            c.component,
            c.transport,
            c.priority,
            c.address,
            c.port,
            c.kind.sdp_name()
        )?;
        if let Some(a) = &c.related_address {
            write!(f, " raddr {a}")?;
        }
        if let Some(p) = c.related_port {
            write!(f, " rport {p}")?;
        }
        if !c.extensions.is_empty() {
            write!(f, " {}", c.extensions.0)?;
        }
        Ok(())
    }
}

impl fmt::Display for SdpCandidate {
    /// `candidate:<value>`, the form of a trickled candidate (RTCIceCandidate.candidate).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "candidate:{}", self.value())
    }
}

impl FromStr for SdpCandidate {
    type Err = CandidateParseError;

    /// Accepts `a=candidate:...`, `candidate:...` (a trickled candidate) or the bare value.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim_end_matches(['\r', '\n']);
        let s = s.strip_prefix("a=").unwrap_or(s);
        let s = s.strip_prefix("candidate:").unwrap_or(s);
        Self::parse_value(s)
    }
}
