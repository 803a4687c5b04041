//! Typed SDP attributes as WebRTC uses them (RFC 8866 §6 and the RFCs named per variant).
//!
//! Every attribute sansrtc does not model is kept as [`SdpAttribute::Other`], name and value
//! verbatim, so a description re-writes as it came.

use super::candidate::SdpCandidate;
use std::fmt;

/// A media direction (RFC 8866 §6.7).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Direction {
    /// `sendrecv`
    SendRecv,
    /// `sendonly`
    SendOnly,
    /// `recvonly`
    RecvOnly,
    /// `inactive`
    Inactive,
}

impl Direction {
    /// The attribute name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::SendRecv => "sendrecv",
            Self::SendOnly => "sendonly",
            Self::RecvOnly => "recvonly",
            Self::Inactive => "inactive",
        }
    }

    fn from_name(s: &str) -> Option<Self> {
        Some(match s {
            "sendrecv" => Self::SendRecv,
            "sendonly" => Self::SendOnly,
            "recvonly" => Self::RecvOnly,
            "inactive" => Self::Inactive,
            _ => return None,
        })
    }
}

/// The DTLS setup role (RFC 4145 §4, RFC 8842 §5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Setup {
    /// `actpass`: either; what offers say.
    ActPass,
    /// `active`: this side opens the connection (DTLS client).
    Active,
    /// `passive`: this side waits (DTLS server).
    Passive,
    /// `holdconn`: not now.
    HoldConn,
}

impl Setup {
    /// The attribute value.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ActPass => "actpass",
            Self::Active => "active",
            Self::Passive => "passive",
            Self::HoldConn => "holdconn",
        }
    }

    fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "actpass" => Self::ActPass,
            "active" => Self::Active,
            "passive" => Self::Passive,
            "holdconn" => Self::HoldConn,
            _ => return None,
        })
    }
}

/// `a=fingerprint:<hash> <bytes>` (RFC 8122 §5): a certificate fingerprint.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Fingerprint {
    /// Hash function name as written (`sha-256`, `sha-384`, `sha-512`, `sha-1`, ...).
    pub hash: String,
    /// The digest bytes (written as upper-case hex pairs separated by `:`).
    pub bytes: Vec<u8>,
}

/// `a=rtpmap:<pt> <encoding>/<clock>[/<params>]` (RFC 8866 §6.6).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Rtpmap {
    /// RTP payload type.
    pub payload_type: u8,
    /// Encoding name (`opus`, `VP8`, ...).
    pub encoding: String,
    /// Clock rate in Hz.
    pub clock_rate: u32,
    /// Encoding parameters (audio channels).
    pub encoding_params: Option<String>,
}

/// `a=extmap:<id>[/<direction>] <uri> [<attributes>]` (RFC 8285 §8).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Extmap {
    /// Extension id (1-14 one-byte, up to 255 two-byte; 4096+ for negotiation).
    pub id: u16,
    /// Optional direction.
    pub direction: Option<Direction>,
    /// Extension URI.
    pub uri: String,
    /// Extension attributes, verbatim.
    pub attributes: Option<String>,
}

/// Send or receive, for `a=rid` and `a=simulcast` (RFC 8851, RFC 8853).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RidDirection {
    /// `send`
    Send,
    /// `recv`
    Recv,
}

impl RidDirection {
    /// The keyword.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Send => "send",
            Self::Recv => "recv",
        }
    }

    fn parse(s: &str) -> Option<Self> {
        match s {
            "send" => Some(Self::Send),
            "recv" => Some(Self::Recv),
            _ => None,
        }
    }
}

/// One stream of an `a=simulcast` alternative list: a rid, possibly paused (`~`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SimulcastRid {
    /// The rid.
    pub id: String,
    /// Written with a leading `~`.
    pub paused: bool,
}

/// `a=simulcast:` (RFC 8853 §5.1): per direction, streams separated by `;`, each a list of
/// alternatives separated by `,`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Simulcast {
    /// The directions in the order written.
    pub directions: Vec<(RidDirection, Vec<Vec<SimulcastRid>>)>,
}

/// A decoded SDP attribute (the part after `a=`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SdpAttribute {
    /// `a=group:<semantics> <mid>...` (RFC 5888, BUNDLE per RFC 8843).
    Group {
        /// `BUNDLE`, `LS`, ...
        semantics: String,
        /// Identification tags (mids), in order.
        mids: Vec<String>,
    },
    /// `a=mid:` (RFC 5888 §4).
    Mid(String),
    /// `a=ice-ufrag:` (RFC 8839 §5.4).
    IceUfrag(String),
    /// `a=ice-pwd:` (RFC 8839 §5.4).
    IcePwd(String),
    /// `a=ice-options:` (RFC 8839 §5.6), e.g. `trickle`.
    IceOptions(Vec<String>),
    /// `a=ice-lite` (RFC 8839 §5.3).
    IceLite,
    /// `a=candidate:` (RFC 8839 §5.1). Boxed: candidates are the largest attribute, and
    /// keeping the enum small keeps attribute lists compact.
    Candidate(Box<SdpCandidate>),
    /// `a=end-of-candidates` (RFC 8840 §8.2).
    EndOfCandidates,
    /// `a=fingerprint:` (RFC 8122 §5).
    Fingerprint(Fingerprint),
    /// `a=setup:` (RFC 4145 §4).
    Setup(Setup),
    /// `a=sctp-port:` (RFC 8841 §5).
    SctpPort(u16),
    /// `a=max-message-size:` (RFC 8841 §6).
    MaxMessageSize(u64),
    /// `a=rtcp-mux` (RFC 5761).
    RtcpMux,
    /// `a=rtcp-mux-only` (RFC 8858).
    RtcpMuxOnly,
    /// `a=rtcp-rsize` (RFC 5506).
    RtcpRsize,
    /// `a=sendrecv` / `sendonly` / `recvonly` / `inactive`.
    Direction(Direction),
    /// `a=msid:<stream> [<track>]` (RFC 8830).
    Msid {
        /// Stream id.
        stream: String,
        /// Track id (the "appdata").
        track: Option<String>,
    },
    /// `a=rtpmap:`.
    Rtpmap(Rtpmap),
    /// `a=fmtp:<format> <parameters>` (parameters verbatim; see [`SdpAttribute::fmtp_params`]).
    Fmtp {
        /// The format (payload type).
        format: String,
        /// Format parameters, verbatim.
        parameters: String,
    },
    /// `a=rtcp-fb:<format> <type> [<parameter>]` (RFC 4585 §4.2).
    RtcpFb {
        /// Payload type or `*`.
        format: String,
        /// Feedback type (`nack`, `ccm`, `goog-remb`, `transport-cc`, ...).
        kind: String,
        /// The rest (`pli`, `fir`, ...).
        parameter: Option<String>,
    },
    /// `a=extmap:`.
    Extmap(Extmap),
    /// `a=ssrc:<ssrc> <attribute>[:<value>]` (RFC 5576 §4.1).
    Ssrc {
        /// The SSRC.
        ssrc: u32,
        /// Source attribute name (`cname`, `msid`, ...).
        attribute: String,
        /// Its value.
        value: Option<String>,
    },
    /// `a=ssrc-group:<semantics> <ssrc>...` (RFC 5576 §4.2).
    SsrcGroup {
        /// `FID`, `SIM`, `FEC-FR`, ...
        semantics: String,
        /// The SSRCs.
        ssrcs: Vec<u32>,
    },
    /// `a=rid:<id> <send|recv> [<restrictions>]` (RFC 8851 §10).
    Rid {
        /// The rid.
        id: String,
        /// Direction.
        direction: RidDirection,
        /// Format and other restrictions, verbatim.
        restrictions: Option<String>,
    },
    /// `a=simulcast:` (RFC 8853).
    Simulcast(Simulcast),
    /// Any other attribute, verbatim: `a=<name>` or `a=<name>:<value>`.
    Other {
        /// Attribute name.
        name: String,
        /// Everything after the first `:`, verbatim.
        value: Option<String>,
    },
}

/// Why a known attribute's value did not parse: `name` is the attribute.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct BadAttribute(pub(super) &'static str);

fn token(s: &str) -> Option<String> {
    (!s.is_empty() && !s.bytes().any(|b| b == b' ' || b == b'\t')).then(|| s.to_owned())
}

fn split1(s: &str) -> (&str, Option<&str>) {
    match s.split_once(' ') {
        Some((a, b)) => (a, Some(b)),
        None => (s, None),
    }
}

/// `AB:CD:...` (either case) to bytes.
fn parse_hex_pairs(s: &str) -> Option<Vec<u8>> {
    fn nibble(b: u8) -> Option<u8> {
        match b {
            b'0'..=b'9' => Some(b - b'0'),
            b'a'..=b'f' => Some(b - b'a' + 10),
            b'A'..=b'F' => Some(b - b'A' + 10),
            _ => None,
        }
    }
    let b = s.as_bytes();
    // n pairs take 3n - 1 bytes.
    if b.len() % 3 != 2 {
        return None;
    }
    let mut out = Vec::with_capacity(b.len().div_ceil(3));
    for (i, pair) in b.chunks(3).enumerate() {
        if pair.len() == 3 && pair[2] != b':' || pair.len() == 2 && i != b.len() / 3 {
            return None;
        }
        out.push(nibble(pair[0])? << 4 | nibble(pair[1])?);
    }
    Some(out)
}

impl SdpAttribute {
    /// Parses the text after `a=`.
    pub(super) fn parse(text: &str) -> Result<Self, BadAttribute> {
        let (name, value) = match text.split_once(':') {
            Some((n, v)) => (n, Some(v)),
            None => (text, None),
        };
        let Some(v) = value else {
            return Ok(match name {
                "ice-lite" => Self::IceLite,
                "end-of-candidates" => Self::EndOfCandidates,
                "rtcp-mux" => Self::RtcpMux,
                "rtcp-mux-only" => Self::RtcpMuxOnly,
                "rtcp-rsize" => Self::RtcpRsize,
                _ => match Direction::from_name(name) {
                    Some(d) => Self::Direction(d),
                    None => Self::Other {
                        name: name.to_owned(),
                        value: None,
                    },
                },
            });
        };
        macro_rules! bad {
            ($n:literal) => {
                BadAttribute($n)
            };
        }
        Ok(match name {
            "group" => {
                let mut it = v.split(' ');
                let semantics = token(it.next().unwrap_or_default()).ok_or(bad!("group"))?;
                let mids = it
                    .map(|m| token(m).ok_or(bad!("group")))
                    .collect::<Result<_, _>>()?;
                Self::Group { semantics, mids }
            }
            "mid" => Self::Mid(token(v).ok_or(bad!("mid"))?),
            "ice-ufrag" => Self::IceUfrag(token(v).ok_or(bad!("ice-ufrag"))?),
            "ice-pwd" => Self::IcePwd(token(v).ok_or(bad!("ice-pwd"))?),
            "ice-options" => Self::IceOptions(
                v.split(' ')
                    .map(|t| token(t).ok_or(bad!("ice-options")))
                    .collect::<Result<_, _>>()?,
            ),
            "candidate" => Self::Candidate(Box::new(
                SdpCandidate::parse_value(v).map_err(|_| bad!("candidate"))?,
            )),
            "fingerprint" => {
                let (hash, rest) = v.split_once(' ').ok_or(bad!("fingerprint"))?;
                let hash = token(hash).ok_or(bad!("fingerprint"))?;
                let bytes = parse_hex_pairs(rest).ok_or(bad!("fingerprint"))?;
                Self::Fingerprint(Fingerprint { hash, bytes })
            }
            "setup" => Self::Setup(Setup::parse(v).ok_or(bad!("setup"))?),
            "sctp-port" => Self::SctpPort(v.parse().map_err(|_| bad!("sctp-port"))?),
            "max-message-size" => {
                Self::MaxMessageSize(v.parse().map_err(|_| bad!("max-message-size"))?)
            }
            "msid" => {
                let (stream, track) = split1(v);
                Self::Msid {
                    stream: token(stream).ok_or(bad!("msid"))?,
                    track: track.map(|t| token(t).ok_or(bad!("msid"))).transpose()?,
                }
            }
            "rtpmap" => {
                let (pt, enc) = v.split_once(' ').ok_or(bad!("rtpmap"))?;
                let mut parts = enc.splitn(3, '/');
                let encoding = token(parts.next().unwrap_or_default()).ok_or(bad!("rtpmap"))?;
                let clock_rate = parts
                    .next()
                    .and_then(|c| c.parse().ok())
                    .ok_or(bad!("rtpmap"))?;
                let encoding_params = parts
                    .next()
                    .map(|p| token(p).ok_or(bad!("rtpmap")))
                    .transpose()?;
                Self::Rtpmap(Rtpmap {
                    payload_type: pt.parse().map_err(|_| bad!("rtpmap"))?,
                    encoding,
                    clock_rate,
                    encoding_params,
                })
            }
            "fmtp" => {
                let (format, parameters) = v.split_once(' ').ok_or(bad!("fmtp"))?;
                Self::Fmtp {
                    format: token(format).ok_or(bad!("fmtp"))?,
                    parameters: parameters.to_owned(),
                }
            }
            "rtcp-fb" => {
                let (format, rest) = v.split_once(' ').ok_or(bad!("rtcp-fb"))?;
                let (kind, parameter) = split1(rest);
                Self::RtcpFb {
                    format: token(format).ok_or(bad!("rtcp-fb"))?,
                    kind: token(kind).ok_or(bad!("rtcp-fb"))?,
                    parameter: parameter.map(str::to_owned),
                }
            }
            "extmap" => {
                let (id_dir, rest) = v.split_once(' ').ok_or(bad!("extmap"))?;
                let (id, direction) = match id_dir.split_once('/') {
                    Some((id, d)) => (id, Some(Direction::from_name(d).ok_or(bad!("extmap"))?)),
                    None => (id_dir, None),
                };
                let (uri, attributes) = split1(rest);
                Self::Extmap(Extmap {
                    id: id.parse().map_err(|_| bad!("extmap"))?,
                    direction,
                    uri: token(uri).ok_or(bad!("extmap"))?,
                    attributes: attributes.map(str::to_owned),
                })
            }
            "ssrc" => {
                let (ssrc, rest) = v.split_once(' ').ok_or(bad!("ssrc"))?;
                let (attribute, value) = match rest.split_once(':') {
                    Some((a, v)) => (a, Some(v.to_owned())),
                    None => (rest, None),
                };
                Self::Ssrc {
                    ssrc: ssrc.parse().map_err(|_| bad!("ssrc"))?,
                    attribute: token(attribute).ok_or(bad!("ssrc"))?,
                    value,
                }
            }
            "ssrc-group" => {
                let mut it = v.split(' ');
                let semantics = token(it.next().unwrap_or_default()).ok_or(bad!("ssrc-group"))?;
                let ssrcs = it
                    .map(|s| s.parse().map_err(|_| bad!("ssrc-group")))
                    .collect::<Result<_, _>>()?;
                Self::SsrcGroup { semantics, ssrcs }
            }
            "rid" => {
                let (id, rest) = v.split_once(' ').ok_or(bad!("rid"))?;
                let (dir, restrictions) = split1(rest);
                Self::Rid {
                    id: token(id).ok_or(bad!("rid"))?,
                    direction: RidDirection::parse(dir).ok_or(bad!("rid"))?,
                    restrictions: restrictions.map(str::to_owned),
                }
            }
            "simulcast" => Self::Simulcast(parse_simulcast(v).ok_or(bad!("simulcast"))?),
            _ => Self::Other {
                name: name.to_owned(),
                value: Some(v.to_owned()),
            },
        })
    }

    /// The attribute name (what follows `a=`, up to the `:`).
    pub fn name(&self) -> &str {
        match self {
            Self::Group { .. } => "group",
            Self::Mid(_) => "mid",
            Self::IceUfrag(_) => "ice-ufrag",
            Self::IcePwd(_) => "ice-pwd",
            Self::IceOptions(_) => "ice-options",
            Self::IceLite => "ice-lite",
            Self::Candidate(_) => "candidate",
            Self::EndOfCandidates => "end-of-candidates",
            Self::Fingerprint(_) => "fingerprint",
            Self::Setup(_) => "setup",
            Self::SctpPort(_) => "sctp-port",
            Self::MaxMessageSize(_) => "max-message-size",
            Self::RtcpMux => "rtcp-mux",
            Self::RtcpMuxOnly => "rtcp-mux-only",
            Self::RtcpRsize => "rtcp-rsize",
            Self::Direction(d) => d.as_str(),
            Self::Msid { .. } => "msid",
            Self::Rtpmap(_) => "rtpmap",
            Self::Fmtp { .. } => "fmtp",
            Self::RtcpFb { .. } => "rtcp-fb",
            Self::Extmap(_) => "extmap",
            Self::Ssrc { .. } => "ssrc",
            Self::SsrcGroup { .. } => "ssrc-group",
            Self::Rid { .. } => "rid",
            Self::Simulcast(_) => "simulcast",
            Self::Other { name, .. } => name,
        }
    }

    /// For `a=fmtp`, the `key=value` parameters split at `;` (spaces around them trimmed).
    pub fn fmtp_params(&self) -> impl Iterator<Item = (&str, Option<&str>)> {
        let params = match self {
            Self::Fmtp { parameters, .. } => parameters.as_str(),
            _ => "",
        };
        params
            .split(';')
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .map(|p| match p.split_once('=') {
                Some((k, v)) => (k, Some(v)),
                None => (p, None),
            })
    }
}

fn parse_simulcast(v: &str) -> Option<Simulcast> {
    let mut words = v.split(' ');
    let mut directions = Vec::new();
    while let Some(dir) = words.next() {
        let dir = RidDirection::parse(dir)?;
        let list = words.next()?;
        let streams = list
            .split(';')
            .map(|alts| {
                alts.split(',')
                    .map(|r| {
                        let (paused, id) = match r.strip_prefix('~') {
                            Some(id) => (true, id),
                            None => (false, r),
                        };
                        Some(SimulcastRid {
                            id: token(id)?,
                            paused,
                        })
                    })
                    .collect::<Option<Vec<_>>>()
            })
            .collect::<Option<Vec<_>>>()?;
        directions.push((dir, streams));
    }
    (!directions.is_empty()).then_some(Simulcast { directions })
}

impl fmt::Display for SdpAttribute {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())?;
        match self {
            Self::IceLite
            | Self::EndOfCandidates
            | Self::RtcpMux
            | Self::RtcpMuxOnly
            | Self::RtcpRsize
            | Self::Direction(_)
            | Self::Other { value: None, .. } => Ok(()),
            Self::Group { semantics, mids } => {
                write!(f, ":{semantics}")?;
                mids.iter().try_for_each(|m| write!(f, " {m}"))
            }
            Self::Mid(s) | Self::IceUfrag(s) | Self::IcePwd(s) => write!(f, ":{s}"),
            Self::IceOptions(o) => write!(f, ":{}", o.join(" ")),
            Self::Candidate(c) => write!(f, ":{}", c.value()),
            Self::Fingerprint(fp) => {
                write!(f, ":{} ", fp.hash)?;
                for (i, b) in fp.bytes.iter().enumerate() {
                    if i > 0 {
                        f.write_str(":")?;
                    }
                    write!(f, "{b:02X}")?;
                }
                Ok(())
            }
            Self::Setup(s) => write!(f, ":{}", s.as_str()),
            Self::SctpPort(p) => write!(f, ":{p}"),
            Self::MaxMessageSize(m) => write!(f, ":{m}"),
            Self::Msid { stream, track } => {
                write!(f, ":{stream}")?;
                track.iter().try_for_each(|t| write!(f, " {t}"))
            }
            Self::Rtpmap(r) => {
                write!(f, ":{} {}/{}", r.payload_type, r.encoding, r.clock_rate)?;
                r.encoding_params.iter().try_for_each(|p| write!(f, "/{p}"))
            }
            Self::Fmtp { format, parameters } => write!(f, ":{format} {parameters}"),
            Self::RtcpFb {
                format,
                kind,
                parameter,
            } => {
                write!(f, ":{format} {kind}")?;
                parameter.iter().try_for_each(|p| write!(f, " {p}"))
            }
            Self::Extmap(e) => {
                write!(f, ":{}", e.id)?;
                e.direction
                    .iter()
                    .try_for_each(|d| write!(f, "/{}", d.as_str()))?;
                write!(f, " {}", e.uri)?;
                e.attributes.iter().try_for_each(|a| write!(f, " {a}"))
            }
            Self::Ssrc {
                ssrc,
                attribute,
                value,
            } => {
                write!(f, ":{ssrc} {attribute}")?;
                value.iter().try_for_each(|v| write!(f, ":{v}"))
            }
            Self::SsrcGroup { semantics, ssrcs } => {
                write!(f, ":{semantics}")?;
                ssrcs.iter().try_for_each(|s| write!(f, " {s}"))
            }
            Self::Rid {
                id,
                direction,
                restrictions,
            } => {
                write!(f, ":{id} {}", direction.as_str())?;
                restrictions.iter().try_for_each(|r| write!(f, " {r}"))
            }
            Self::Simulcast(s) => {
                f.write_str(":")?;
                for (i, (dir, streams)) in s.directions.iter().enumerate() {
                    if i > 0 {
                        f.write_str(" ")?;
                    }
                    write!(f, "{} ", dir.as_str())?;
                    for (j, alts) in streams.iter().enumerate() {
                        if j > 0 {
                            f.write_str(";")?;
                        }
                        for (k, r) in alts.iter().enumerate() {
                            if k > 0 {
                                f.write_str(",")?;
                            }
                            if r.paused {
                                f.write_str("~")?;
                            }
                            f.write_str(&r.id)?;
                        }
                    }
                }
                Ok(())
            }
            Self::Other { value: Some(v), .. } => write!(f, ":{v}"),
        }
    }
}
