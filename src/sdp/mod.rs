//! SDP (RFC 8866) as WebRTC uses it, and JSEP offer/answer (RFC 9429).
//!
//! - [`SessionDescription`] is the typed model: origin, session lines, media sections and typed
//!   [`SdpAttribute`]s, every attribute sansrtc does not model kept verbatim and in order.
//!   [`SessionDescription::parse`] accepts CRLF or LF line ends and enforces [`SdpLimits`];
//!   `to_string()` writes CRLF. What a browser wrote round-trips line for line.
//! - [`Jsep`] is the signaling state machine and the offer/answer rules for the data-channel
//!   section, one BUNDLE group and one transport.

mod attr;
mod candidate;
mod jsep;
pub mod media;
mod parse;
#[cfg(test)]
mod tests;

pub use attr::{
    Direction, Extmap, Fingerprint, RidDirection, Rtpmap, SdpAttribute, Setup, Simulcast,
    SimulcastRid,
};
pub use candidate::{CandidateAddress, CandidateExtensions, CandidateParseError, SdpCandidate};
pub use jsep::{
    Description, Jsep, JsepConfig, LocalParams, RemoteTransport, SdpError, SdpType, SignalingState,
    UnknownSdpType,
};
pub use media::LocalMedia;

use std::fmt;

/// Limits on untrusted SDP.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SdpLimits {
    /// Largest description accepted, in bytes (default 64 KiB).
    pub max_bytes: usize,
    /// Most lines (default 4096).
    pub max_lines: usize,
    /// Most attributes in the whole description (default 2048).
    pub max_attributes: usize,
    /// Most media sections (default 128).
    pub max_media: usize,
}

impl Default for SdpLimits {
    fn default() -> Self {
        Self {
            max_bytes: 64 * 1024,
            max_lines: 4096,
            max_attributes: 2048,
            max_media: 128,
        }
    }
}

/// What is wrong with a description.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ParseErrorKind {
    /// Larger than [`SdpLimits::max_bytes`].
    #[error("description larger than {max} bytes")]
    TooLarge {
        /// The limit.
        max: usize,
    },
    /// More lines than [`SdpLimits::max_lines`].
    #[error("more than {max} lines")]
    TooManyLines {
        /// The limit.
        max: usize,
    },
    /// More attributes than [`SdpLimits::max_attributes`].
    #[error("more than {max} attributes")]
    TooManyAttributes {
        /// The limit.
        max: usize,
    },
    /// More media sections than [`SdpLimits::max_media`].
    #[error("more than {max} media sections")]
    TooManyMedia {
        /// The limit.
        max: usize,
    },
    /// Not of the form `<letter>=<value>`.
    #[error("not a <type>=<value> line")]
    Syntax,
    /// A line type that is not allowed here (or repeated where it must be single).
    #[error("unexpected `{0}=` line")]
    Unexpected(char),
    /// A required line is missing.
    #[error("missing `{0}=` line")]
    Missing(char),
    /// The value of a `v=`, `o=`, `c=`, `b=`, `t=` or `m=` line is malformed.
    #[error("malformed `{0}=` line")]
    Malformed(char),
    /// A typed attribute's value is malformed.
    #[error("malformed a={0} attribute")]
    SdpAttribute(&'static str),
}

/// A parse failure: the 1-based line (0 for the whole input) and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("SDP line {line}: {kind}")]
pub struct ParseError {
    /// 1-based line number; 0 when the error is about the whole description.
    pub line: usize,
    /// What is wrong.
    pub kind: ParseErrorKind,
}

/// `o=` (RFC 8866 §5.2).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Origin {
    /// Username (`-` when none).
    pub username: String,
    /// Session id.
    pub session_id: u64,
    /// Session version, incremented with each new description (RFC 9429 §5.2.2).
    pub session_version: u64,
    /// `IN`.
    pub network_type: String,
    /// `IP4` / `IP6`.
    pub address_type: String,
    /// Unicast address (or name).
    pub address: String,
}

/// `c=` (RFC 8866 §5.7).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Connection {
    /// `IN`.
    pub network_type: String,
    /// `IP4` / `IP6`.
    pub address_type: String,
    /// Connection address (possibly with `/ttl` or `/count`), verbatim.
    pub address: String,
}

impl Connection {
    /// `IN IP4 0.0.0.0`, the placeholder JSEP writes when there is no candidate yet.
    pub fn placeholder() -> Self {
        Self {
            network_type: "IN".into(),
            address_type: "IP4".into(),
            address: "0.0.0.0".into(),
        }
    }
}

/// `b=<type>:<bandwidth>` (RFC 8866 §5.8).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Bandwidth {
    /// `AS`, `CT`, `TIAS`, ...
    pub kind: String,
    /// The value (kbit/s for AS and CT, bit/s for TIAS).
    pub value: u64,
}

/// `t=` with its `r=` lines (RFC 8866 §5.9-5.10).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Timing {
    /// Start time (0 in WebRTC).
    pub start: u64,
    /// Stop time (0 in WebRTC).
    pub stop: u64,
    /// `r=` lines, verbatim.
    pub repeats: Vec<String>,
}

/// One `m=` section (RFC 8866 §5.14).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct MediaDescription {
    /// `audio`, `video`, `application`, ...
    pub kind: String,
    /// Port; 0 means rejected (or bundled-only in an offer).
    pub port: u16,
    /// `/<number of ports>`.
    pub port_count: Option<u16>,
    /// `UDP/DTLS/SCTP`, `UDP/TLS/RTP/SAVPF`, ...
    pub protocol: String,
    /// Formats (payload types, or `webrtc-datachannel`).
    pub formats: Vec<String>,
    /// `i=`.
    pub title: Option<String>,
    /// `c=`.
    pub connection: Option<Connection>,
    /// `b=` lines.
    pub bandwidths: Vec<Bandwidth>,
    /// `k=` (obsolete, kept).
    pub key: Option<String>,
    /// `a=` lines, in order.
    pub attributes: Vec<SdpAttribute>,
}

/// A session description (RFC 8866 §5).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SessionDescription {
    /// `o=`.
    pub origin: Origin,
    /// `s=` (`-` in WebRTC).
    pub session_name: String,
    /// `i=`.
    pub information: Option<String>,
    /// `u=`.
    pub uri: Option<String>,
    /// `e=` lines.
    pub emails: Vec<String>,
    /// `p=` lines.
    pub phones: Vec<String>,
    /// Session-level `c=`.
    pub connection: Option<Connection>,
    /// Session-level `b=` lines.
    pub bandwidths: Vec<Bandwidth>,
    /// `t=` lines (at least one).
    pub timings: Vec<Timing>,
    /// `z=`, verbatim.
    pub time_zones: Option<String>,
    /// `k=` (obsolete, kept).
    pub key: Option<String>,
    /// Session-level attributes, in order.
    pub attributes: Vec<SdpAttribute>,
    /// Media sections, in order.
    pub media: Vec<MediaDescription>,
}

impl SessionDescription {
    /// Drops spare capacity in every list (parsing and building grow them by doubling).
    pub fn shrink_to_fit(&mut self) {
        self.emails.shrink_to_fit();
        self.phones.shrink_to_fit();
        self.bandwidths.shrink_to_fit();
        self.timings.shrink_to_fit();
        self.attributes.shrink_to_fit();
        for m in &mut self.media {
            m.formats.shrink_to_fit();
            m.bandwidths.shrink_to_fit();
            m.attributes.shrink_to_fit();
        }
        self.media.shrink_to_fit();
    }

    /// A description with this origin and session name and nothing else (add at least one
    /// [`Timing`] before writing it: RFC 8866 requires a `t=` line).
    pub fn new(origin: Origin, session_name: impl Into<String>) -> Self {
        Self {
            origin,
            session_name: session_name.into(),
            information: None,
            uri: None,
            emails: Vec::new(),
            phones: Vec::new(),
            connection: None,
            bandwidths: Vec::new(),
            timings: Vec::new(),
            time_zones: None,
            key: None,
            attributes: Vec::new(),
            media: Vec::new(),
        }
    }

    /// Parses a description with the default [`SdpLimits`].
    pub fn parse(text: &str) -> Result<Self, ParseError> {
        Self::parse_with_limits(text, &SdpLimits::default())
    }

    /// Parses a description; lines end in CRLF or LF.
    pub fn parse_with_limits(text: &str, limits: &SdpLimits) -> Result<Self, ParseError> {
        parse::parse(text, limits)
    }

    /// The first session-level attribute named `name`.
    pub fn attribute(&self, name: &str) -> Option<&SdpAttribute> {
        self.attributes.iter().find(|a| a.name() == name)
    }

    /// Whether the session is ICE-lite (`a=ice-lite`, RFC 8839 §5.3).
    pub fn is_ice_lite(&self) -> bool {
        self.attributes.contains(&SdpAttribute::IceLite)
    }

    /// The mids of the first BUNDLE group (RFC 8843), if any.
    pub fn bundle_group(&self) -> Option<&[String]> {
        self.attributes.iter().find_map(|a| match a {
            SdpAttribute::Group { semantics, mids } if semantics == "BUNDLE" => Some(&mids[..]),
            _ => None,
        })
    }

    /// The media section with mid `mid`.
    pub fn media_by_mid(&self, mid: &str) -> Option<&MediaDescription> {
        self.media.iter().find(|m| m.mid() == Some(mid))
    }
}

impl MediaDescription {
    /// A section with this `m=` line and nothing else.
    pub fn new(
        kind: impl Into<String>,
        port: u16,
        protocol: impl Into<String>,
        formats: Vec<String>,
    ) -> Self {
        Self {
            kind: kind.into(),
            port,
            port_count: None,
            protocol: protocol.into(),
            formats,
            title: None,
            connection: None,
            bandwidths: Vec::new(),
            key: None,
            attributes: Vec::new(),
        }
    }

    /// The first attribute named `name`.
    pub fn attribute(&self, name: &str) -> Option<&SdpAttribute> {
        self.attributes.iter().find(|a| a.name() == name)
    }

    /// `a=mid`.
    pub fn mid(&self) -> Option<&str> {
        self.attributes.iter().find_map(|a| match a {
            SdpAttribute::Mid(m) => Some(m.as_str()),
            _ => None,
        })
    }

    /// Whether this is the data-channel section (`UDP/DTLS/SCTP webrtc-datachannel`, or the
    /// older `DTLS/SCTP` form).
    pub fn is_data_channel(&self) -> bool {
        self.kind == "application" && self.protocol.ends_with("DTLS/SCTP")
    }

    /// Port zero without `a=bundle-only`: rejected (RFC 8866 §5.14, RFC 9429 §5.3.1). A
    /// bundle-only section also has port zero but is in use on the BUNDLE transport
    /// (RFC 8843 §6).
    pub fn is_rejected(&self) -> bool {
        self.port == 0 && !self.is_bundle_only()
    }

    /// `a=bundle-only` (RFC 8843 §6).
    pub fn is_bundle_only(&self) -> bool {
        self.attributes.iter().any(
            |a| matches!(a, SdpAttribute::Other { name, value: None } if name == "bundle-only"),
        )
    }

    /// The candidates in this section.
    pub fn candidates(&self) -> impl Iterator<Item = &SdpCandidate> {
        self.attributes.iter().filter_map(|a| match a {
            SdpAttribute::Candidate(c) => Some(&**c),
            _ => None,
        })
    }

    /// The fingerprints in this section.
    pub fn fingerprints(&self) -> impl Iterator<Item = &Fingerprint> {
        self.attributes.iter().filter_map(|a| match a {
            SdpAttribute::Fingerprint(f) => Some(f),
            _ => None,
        })
    }
}

fn write_connection(f: &mut fmt::Formatter<'_>, c: &Connection) -> fmt::Result {
    write!(
        f,
        "c={} {} {}\r\n",
        c.network_type, c.address_type, c.address
    )
}

impl fmt::Display for SessionDescription {
    /// Writes the description with CRLF line ends, in RFC 8866 §5 order.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let o = &self.origin;
        f.write_str("v=0\r\n")?;
        write!(
            f,
            "o={} {} {} {} {} {}\r\n",
            o.username, o.session_id, o.session_version, o.network_type, o.address_type, o.address
        )?;
        write!(f, "s={}\r\n", self.session_name)?;
        if let Some(i) = &self.information {
            write!(f, "i={i}\r\n")?;
        }
        if let Some(u) = &self.uri {
            write!(f, "u={u}\r\n")?;
        }
        for e in &self.emails {
            write!(f, "e={e}\r\n")?;
        }
        for p in &self.phones {
            write!(f, "p={p}\r\n")?;
        }
        if let Some(c) = &self.connection {
            write_connection(f, c)?;
        }
        for b in &self.bandwidths {
            write!(f, "b={}:{}\r\n", b.kind, b.value)?;
        }
        for t in &self.timings {
            write!(f, "t={} {}\r\n", t.start, t.stop)?;
            for r in &t.repeats {
                write!(f, "r={r}\r\n")?;
            }
        }
        if let Some(z) = &self.time_zones {
            write!(f, "z={z}\r\n")?;
        }
        if let Some(k) = &self.key {
            write!(f, "k={k}\r\n")?;
        }
        for a in &self.attributes {
            write!(f, "a={a}\r\n")?;
        }
        for m in &self.media {
            write!(f, "m={} {}", m.kind, m.port)?;
            if let Some(n) = m.port_count {
                write!(f, "/{n}")?;
            }
            write!(f, " {}", m.protocol)?;
            for fmt in &m.formats {
                write!(f, " {fmt}")?;
            }
            f.write_str("\r\n")?;
            if let Some(i) = &m.title {
                write!(f, "i={i}\r\n")?;
            }
            if let Some(c) = &m.connection {
                write_connection(f, c)?;
            }
            for b in &m.bandwidths {
                write!(f, "b={}:{}\r\n", b.kind, b.value)?;
            }
            if let Some(k) = &m.key {
                write!(f, "k={k}\r\n")?;
            }
            for a in &m.attributes {
                write!(f, "a={a}\r\n")?;
            }
        }
        Ok(())
    }
}
