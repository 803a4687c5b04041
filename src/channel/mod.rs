//! Data channels: the Data Channel Establishment Protocol (DCEP, RFC 8832) codec, the channel
//! types and options of RFC 8831 / W3C `RTCDataChannelInit`, and the payload protocol
//! identifiers of RFC 8831 §8 that tell text from binary.
//!
//! The channel registry and its state machine live in the [`crate::peer`] (it is the only place
//! that routes between layers); this module is the part that needs no other layer.

use std::time::Duration;

/// A data channel, as the [`crate::Peer`] knows it.
///
/// A local handle, not the SCTP stream id: a channel created before the DTLS role is known has
/// no stream id yet (W3C: `id` is null until then). The stream id is
/// [`crate::Peer::channel_stream_id`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ChannelId(pub(crate) u32);

impl std::fmt::Display for ChannelId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "channel#{}", self.0)
    }
}

/// Payload protocol identifiers (RFC 8831 §8, IANA "SCTP Payload Protocol Identifiers").
pub mod ppid {
    /// WebRTC DCEP (RFC 8832 §8.1).
    pub const DCEP: u32 = 50;
    /// WebRTC String.
    pub const STRING: u32 = 51;
    /// WebRTC String Partial (deprecated; accepted on receive).
    pub const STRING_PARTIAL: u32 = 52;
    /// WebRTC Binary.
    pub const BINARY: u32 = 53;
    /// WebRTC Binary Partial (deprecated; accepted on receive).
    pub const BINARY_PARTIAL: u32 = 54;
    /// WebRTC String Empty: an empty string, sent as one byte (RFC 8831 §6.6).
    pub const STRING_EMPTY: u32 = 56;
    /// WebRTC Binary Empty: an empty binary message, sent as one byte.
    pub const BINARY_EMPTY: u32 = 57;
}

/// Reliability of a channel (RFC 8831 §6.1 / RFC 8832 §5.1 channel types).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Reliability {
    /// Every message is retransmitted until it arrives.
    #[default]
    Reliable,
    /// A message is abandoned after this many retransmissions (W3C `maxRetransmits`).
    MaxRetransmits(u16),
    /// A message is abandoned when not delivered this long after `send` (W3C
    /// `maxPacketLifeTime`, milliseconds on the wire).
    MaxPacketLifeTime(Duration),
}

impl Reliability {
    /// As the two W3C limits: (`maxRetransmits`, `maxPacketLifeTime`).
    pub fn limits(self) -> (Option<u16>, Option<Duration>) {
        match self {
            Self::Reliable => (None, None),
            Self::MaxRetransmits(n) => (Some(n), None),
            Self::MaxPacketLifeTime(t) => (None, Some(t)),
        }
    }
}

/// What `create_data_channel` takes (W3C `RTCDataChannelInit`).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ChannelOptions {
    /// Deliver in order (default true).
    pub ordered: bool,
    /// W3C `maxRetransmits`. At most one of this and `max_packet_life_time`.
    pub max_retransmits: Option<u16>,
    /// W3C `maxPacketLifeTime`.
    pub max_packet_life_time: Option<Duration>,
    /// Subprotocol name, carried in DATA_CHANNEL_OPEN.
    pub protocol: String,
    /// W3C `negotiated` + `id`: both sides create the channel with this stream id out of band;
    /// no DCEP messages are exchanged.
    pub negotiated: Option<u16>,
    /// RFC 8831 §6.4 priority (W3C `priority`): 128 very-low, 256 low (default), 512 medium,
    /// 1024 high.
    pub priority: u16,
}

impl Default for ChannelOptions {
    fn default() -> Self {
        Self {
            ordered: true,
            max_retransmits: None,
            max_packet_life_time: None,
            protocol: String::new(),
            negotiated: None,
            priority: 256,
        }
    }
}

impl ChannelOptions {
    /// The defaults: ordered, reliable, no subprotocol, announced with DCEP, priority low.
    pub fn new() -> Self {
        Self::default()
    }

    /// W3C `ordered`.
    #[must_use]
    pub fn ordered(mut self, ordered: bool) -> Self {
        self.ordered = ordered;
        self
    }

    /// W3C `maxRetransmits`: partial reliability by count.
    #[must_use]
    pub fn max_retransmits(mut self, n: u16) -> Self {
        self.max_retransmits = Some(n);
        self
    }

    /// W3C `maxPacketLifeTime`: partial reliability by time.
    #[must_use]
    pub fn max_packet_life_time(mut self, lifetime: Duration) -> Self {
        self.max_packet_life_time = Some(lifetime);
        self
    }

    /// W3C `protocol`: the subprotocol name.
    #[must_use]
    pub fn protocol(mut self, protocol: impl Into<String>) -> Self {
        self.protocol = protocol.into();
        self
    }

    /// W3C `negotiated: true` with `id`: created on both sides out of band on stream `id`.
    #[must_use]
    pub fn negotiated(mut self, id: u16) -> Self {
        self.negotiated = Some(id);
        self
    }

    /// W3C `priority` (RFC 8831 §6.4): 128 very-low, 256 low, 512 medium, 1024 high.
    #[must_use]
    pub fn priority(mut self, priority: u16) -> Self {
        self.priority = priority;
        self
    }

    /// The reliability these options ask for, or `None` when both limits are set (W3C: a
    /// `TypeError`).
    pub fn reliability(&self) -> Option<Reliability> {
        match (self.max_retransmits, self.max_packet_life_time) {
            (None, None) => Some(Reliability::Reliable),
            (Some(n), None) => Some(Reliability::MaxRetransmits(n)),
            (None, Some(t)) => Some(Reliability::MaxPacketLifeTime(t)),
            (Some(_), Some(_)) => None,
        }
    }
}

/// Why a DCEP message did not parse.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DcepError {
    /// Shorter than its fixed part or its declared label and protocol.
    #[error("DCEP message truncated")]
    Truncated,
    /// A message type other than OPEN (0x03) and ACK (0x02).
    #[error("unknown DCEP message type {0:#04x}")]
    UnknownType(u8),
    /// A channel type RFC 8832 §5.1 does not define.
    #[error("unknown DCEP channel type {0:#04x}")]
    UnknownChannelType(u8),
    /// Label or protocol is not UTF-8 (RFC 8832 §5.1).
    #[error("DCEP label or protocol is not UTF-8")]
    NotUtf8,
    /// Bytes after the ACK or after the protocol field.
    #[error("trailing bytes after the DCEP message")]
    Trailing,
}

/// A DCEP message (RFC 8832 §5).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DcepMessage {
    /// DATA_CHANNEL_OPEN (§5.1).
    Open(DcepOpen),
    /// DATA_CHANNEL_ACK (§5.2).
    Ack,
}

/// The contents of DATA_CHANNEL_OPEN.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DcepOpen {
    /// Ordered delivery (channel type without the 0x80 bit).
    pub ordered: bool,
    /// Reliability (channel type low bits and the reliability parameter).
    pub reliability: Reliability,
    /// RFC 8831 §6.4 priority.
    pub priority: u16,
    /// The channel's label.
    pub label: String,
    /// The subprotocol.
    pub protocol: String,
}

const TYPE_OPEN: u8 = 0x03;
const TYPE_ACK: u8 = 0x02;
/// RFC 8832 §5.1: the "unordered" bit of the channel type.
const UNORDERED: u8 = 0x80;
const RELIABLE: u8 = 0x00;
const PARTIAL_REXMIT: u8 = 0x01;
const PARTIAL_TIMED: u8 = 0x02;
const OPEN_FIXED_LEN: usize = 12;

impl DcepMessage {
    /// Parses a message carried with PPID 50.
    pub fn parse(b: &[u8]) -> Result<Self, DcepError> {
        match *b.first().ok_or(DcepError::Truncated)? {
            TYPE_ACK if b.len() == 1 => Ok(Self::Ack),
            TYPE_ACK => Err(DcepError::Trailing),
            TYPE_OPEN => {
                if b.len() < OPEN_FIXED_LEN {
                    return Err(DcepError::Truncated);
                }
                let channel_type = b[1];
                let priority = u16::from_be_bytes([b[2], b[3]]);
                let param = u32::from_be_bytes([b[4], b[5], b[6], b[7]]);
                let label_len = usize::from(u16::from_be_bytes([b[8], b[9]]));
                let protocol_len = usize::from(u16::from_be_bytes([b[10], b[11]]));
                let rest = &b[OPEN_FIXED_LEN..];
                if rest.len() < label_len + protocol_len {
                    return Err(DcepError::Truncated);
                }
                if rest.len() > label_len + protocol_len {
                    return Err(DcepError::Trailing);
                }
                let text = |s: &[u8]| {
                    std::str::from_utf8(s)
                        .map(str::to_owned)
                        .map_err(|_| DcepError::NotUtf8)
                };
                let label = text(&rest[..label_len])?;
                let protocol = text(&rest[label_len..])?;
                // RFC 8832 §5.1: the reliability parameter is ignored for reliable channels.
                let reliability = match channel_type & !UNORDERED {
                    RELIABLE => Reliability::Reliable,
                    PARTIAL_REXMIT => {
                        Reliability::MaxRetransmits(u16::try_from(param).unwrap_or(u16::MAX))
                    }
                    PARTIAL_TIMED => {
                        Reliability::MaxPacketLifeTime(Duration::from_millis(u64::from(param)))
                    }
                    _ => return Err(DcepError::UnknownChannelType(channel_type)),
                };
                Ok(Self::Open(DcepOpen {
                    ordered: channel_type & UNORDERED == 0,
                    reliability,
                    priority,
                    label,
                    protocol,
                }))
            }
            t => Err(DcepError::UnknownType(t)),
        }
    }

    /// Bytes [`encode`](Self::encode) writes. Labels and protocols longer than 65535 bytes are
    /// cut at a character boundary below that (W3C refuses them before this point).
    pub fn encoded_len(&self) -> usize {
        match self {
            Self::Ack => 1,
            Self::Open(o) => OPEN_FIXED_LEN + clip(&o.label).len() + clip(&o.protocol).len(),
        }
    }

    /// Appends the wire form.
    pub fn encode(&self, out: &mut Vec<u8>) {
        match self {
            Self::Ack => out.push(TYPE_ACK),
            Self::Open(o) => {
                let (kind, param) = match o.reliability {
                    Reliability::Reliable => (RELIABLE, 0),
                    Reliability::MaxRetransmits(n) => (PARTIAL_REXMIT, u32::from(n)),
                    Reliability::MaxPacketLifeTime(t) => (
                        PARTIAL_TIMED,
                        u32::try_from(t.as_millis()).unwrap_or(u32::MAX),
                    ),
                };
                let (label, protocol) = (clip(&o.label), clip(&o.protocol));
                out.push(TYPE_OPEN);
                out.push(if o.ordered { kind } else { kind | UNORDERED });
                out.extend_from_slice(&o.priority.to_be_bytes());
                out.extend_from_slice(&param.to_be_bytes());
                let len16 =
                    |s: &str| u16::try_from(s.len()).expect("invariant: clipped to 16 bits");
                out.extend_from_slice(&len16(label).to_be_bytes());
                out.extend_from_slice(&len16(protocol).to_be_bytes());
                out.extend_from_slice(label.as_bytes());
                out.extend_from_slice(protocol.as_bytes());
            }
        }
    }

    /// The wire form as a new vector.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut v = Vec::with_capacity(self.encoded_len());
        self.encode(&mut v);
        v
    }
}

/// The longest prefix of `s` that fits a 16-bit length, on a character boundary.
fn clip(s: &str) -> &str {
    let mut end = s.len().min(usize::from(u16::MAX));
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

#[cfg(test)]
mod tests;
