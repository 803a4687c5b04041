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
    pub extensions: Vec<(String, String)>,
}

/// Why a candidate did not parse.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("malformed candidate attribute")]
pub struct CandidateParseError;

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
        let mut w = v.split(' ');
        let mut next = || w.next().filter(|s| !s.is_empty()).ok_or(e);
        let foundation = next()?.to_owned();
        let component = next()?.parse().map_err(|_| e)?;
        let transport = next()?.to_owned();
        let priority = next()?.parse().map_err(|_| e)?;
        let address = CandidateAddress::parse(next()?).ok_or(e)?;
        let port = next()?.parse().map_err(|_| e)?;
        if next()? != "typ" {
            return Err(e);
        }
        let kind = kind_from_sdp(next()?).ok_or(e)?;
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
            extensions: Vec::new(),
        };
        let rest: Vec<&str> = w.collect();
        let mut i = 0;
        // RFC 8839 §5.1: raddr and rport, when present, come right after the type.
        if rest.first() == Some(&"raddr") {
            c.related_address = Some(
                rest.get(1)
                    .and_then(|a| CandidateAddress::parse(a))
                    .ok_or(e)?,
            );
            i = 2;
        }
        if rest.get(i) == Some(&"rport") {
            c.related_port = Some(rest.get(i + 1).and_then(|p| p.parse().ok()).ok_or(e)?);
            i += 2;
        }
        let tail = rest.get(i..).unwrap_or_default();
        if tail.len() % 2 != 0 || tail.iter().any(|s| s.is_empty()) {
            return Err(e);
        }
        c.extensions = tail
            .chunks_exact(2)
            .map(|p| (p[0].to_owned(), p[1].to_owned()))
            .collect();
        if c.foundation.len() > 32 || c.component == 0 {
            return Err(e);
        }
        Ok(c)
    }

    /// The value of extension attribute `name` (e.g. `tcptype`, `generation`, `ufrag`).
    pub fn extension(&self, name: &str) -> Option<&str> {
        self.extensions
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
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
            extensions: Vec::new(),
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
        c.extensions
            .iter()
            .try_for_each(|(n, v)| write!(f, " {n} {v}"))
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
