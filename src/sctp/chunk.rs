//! Typed SCTP chunks and their parameters: RFC 9260 §3.3 (DATA, INIT, INIT ACK, SACK, HEARTBEAT,
//! HEARTBEAT ACK, ABORT, SHUTDOWN, SHUTDOWN ACK, ERROR, COOKIE ECHO, COOKIE ACK, SHUTDOWN
//! COMPLETE), RFC 3758 (FORWARD TSN), RFC 6525 (RE-CONFIG), RFC 8260 (I-DATA, I-FORWARD-TSN),
//! RFC 4820 (PAD), RFC 5061 §4.2.7 (Supported Extensions), RFC 9653 (Zero Checksum Acceptable).
//!
//! Parsing borrows from the packet and never allocates: variable lists (gap blocks, duplicate
//! TSNs, stream lists, FORWARD-TSN entries, parameters, error causes) are views with iterators.
//! Encoding writes straight into the outgoing packet buffer.

use super::packet::ChunkView;
use bytes::BytesMut;

/// Chunk type numbers (RFC 9260 §3.2 and the extensions).
pub mod typ {
    /// Payload data.
    pub const DATA: u8 = 0;
    /// Initiation.
    pub const INIT: u8 = 1;
    /// Initiation acknowledgement.
    pub const INIT_ACK: u8 = 2;
    /// Selective acknowledgement.
    pub const SACK: u8 = 3;
    /// Heartbeat request.
    pub const HEARTBEAT: u8 = 4;
    /// Heartbeat acknowledgement.
    pub const HEARTBEAT_ACK: u8 = 5;
    /// Abort.
    pub const ABORT: u8 = 6;
    /// Shutdown.
    pub const SHUTDOWN: u8 = 7;
    /// Shutdown acknowledgement.
    pub const SHUTDOWN_ACK: u8 = 8;
    /// Operation error.
    pub const ERROR: u8 = 9;
    /// State cookie.
    pub const COOKIE_ECHO: u8 = 10;
    /// Cookie acknowledgement.
    pub const COOKIE_ACK: u8 = 11;
    /// Shutdown complete.
    pub const SHUTDOWN_COMPLETE: u8 = 14;
    /// RFC 8260 I-DATA.
    pub const I_DATA: u8 = 64;
    /// RFC 6525 re-configuration.
    pub const RE_CONFIG: u8 = 130;
    /// RFC 4820 padding.
    pub const PAD: u8 = 132;
    /// RFC 3758 FORWARD TSN.
    pub const FORWARD_TSN: u8 = 192;
    /// RFC 8260 I-FORWARD-TSN.
    pub const I_FORWARD_TSN: u8 = 194;
}

/// Parameter type numbers used in INIT / INIT ACK and RE-CONFIG.
pub mod param {
    /// RFC 9260 §3.3.3.1: Heartbeat Info.
    pub const HEARTBEAT_INFO: u16 = 1;
    /// RFC 9260 §3.3.3.1: State Cookie.
    pub const STATE_COOKIE: u16 = 7;
    /// RFC 9260 §3.3.3.1: Unrecognized Parameter.
    pub const UNRECOGNIZED: u16 = 8;
    /// RFC 6525 §4.1: Outgoing SSN Reset Request.
    pub const OUTGOING_RESET: u16 = 13;
    /// RFC 6525 §4.2: Incoming SSN Reset Request.
    pub const INCOMING_RESET: u16 = 14;
    /// RFC 6525 §4.3: SSN/TSN Reset Request.
    pub const SSN_TSN_RESET: u16 = 15;
    /// RFC 6525 §4.4: Re-configuration Response.
    pub const RECONFIG_RESPONSE: u16 = 16;
    /// RFC 6525 §4.5: Add Outgoing Streams Request.
    pub const ADD_OUTGOING: u16 = 17;
    /// RFC 6525 §4.6: Add Incoming Streams Request.
    pub const ADD_INCOMING: u16 = 18;
    /// RFC 9653 §4: Zero Checksum Acceptable.
    pub const ZERO_CHECKSUM: u16 = 0x8001;
    /// RFC 5061 §4.2.7: Supported Extensions.
    pub const SUPPORTED_EXTENSIONS: u16 = 0x8008;
    /// RFC 3758 §3.1: Forward-TSN-Supported.
    pub const FORWARD_TSN_SUPPORTED: u16 = 0xC000;
}

/// Error cause codes (RFC 9260 §3.3.10).
pub mod cause {
    /// Invalid Stream Identifier.
    pub const INVALID_STREAM: u16 = 1;
    /// Missing Mandatory Parameter.
    pub const MISSING_PARAMETER: u16 = 2;
    /// Stale Cookie.
    pub const STALE_COOKIE: u16 = 3;
    /// Out of Resource.
    pub const OUT_OF_RESOURCE: u16 = 4;
    /// Unrecognized Chunk Type.
    pub const UNRECOGNIZED_CHUNK: u16 = 6;
    /// Invalid Mandatory Parameter.
    pub const INVALID_PARAMETER: u16 = 7;
    /// Unrecognized Parameters.
    pub const UNRECOGNIZED_PARAMETERS: u16 = 8;
    /// No User Data.
    pub const NO_USER_DATA: u16 = 9;
    /// Cookie Received While Shutting Down.
    pub const COOKIE_WHILE_SHUTTING_DOWN: u16 = 10;
    /// User-Initiated Abort.
    pub const USER_ABORT: u16 = 12;
    /// Protocol Violation.
    pub const PROTOCOL_VIOLATION: u16 = 13;
}

/// RFC 9653 §4: the Error Detection Method Identifier of DTLS (RFC 8261).
pub const EDMID_DTLS: u32 = 1;

/// DATA / I-DATA flags (RFC 9260 §3.3.1, RFC 7053 I bit).
pub mod flags {
    /// Last fragment.
    pub const END: u8 = 0x01;
    /// First fragment.
    pub const BEGIN: u8 = 0x02;
    /// Unordered.
    pub const UNORDERED: u8 = 0x04;
    /// RFC 7053: the receiver should SACK immediately.
    pub const IMMEDIATE: u8 = 0x08;
    /// ABORT / SHUTDOWN COMPLETE: the verification tag is reflected.
    pub const T: u8 = 0x01;
}

/// Why a chunk's value did not parse.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ChunkError {
    /// The value is shorter than the chunk's fixed part, or a list does not fit.
    #[error("SCTP chunk {typ} has a bad length")]
    BadLength {
        /// The chunk type.
        typ: u8,
    },
    /// A DATA or I-DATA chunk without user data (RFC 9260 §3.3.1: the length is at least 17).
    #[error("SCTP DATA chunk without user data")]
    NoUserData,
    /// A parameter's length field is below 4 or past the chunk.
    #[error("malformed SCTP parameter")]
    BadParameter,
}

/// A DATA (RFC 9260 §3.3.1) or I-DATA (RFC 8260 §2.1) chunk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Data<'a> {
    /// The flags (U, B, E, I).
    pub flags: u8,
    /// Transmission sequence number.
    pub tsn: u32,
    /// Stream identifier.
    pub stream: u16,
    /// DATA: the stream sequence number; I-DATA: the low 16 bits are not used (see `mid`).
    pub ssn: u16,
    /// I-DATA message identifier (for DATA, equal to `ssn`).
    pub mid: u32,
    /// The payload protocol identifier (I-DATA: only on the first fragment, else 0).
    pub ppid: u32,
    /// I-DATA fragment sequence number (0 on the first fragment; always 0 for DATA).
    pub fsn: u32,
    /// The user data.
    pub payload: &'a [u8],
}

impl Data<'_> {
    /// First fragment.
    pub fn is_begin(&self) -> bool {
        self.flags & flags::BEGIN != 0
    }
    /// Last fragment.
    pub fn is_end(&self) -> bool {
        self.flags & flags::END != 0
    }
    /// Unordered delivery.
    pub fn is_unordered(&self) -> bool {
        self.flags & flags::UNORDERED != 0
    }

    /// Header length of a DATA chunk (chunk header + fixed part).
    pub const DATA_HEADER: usize = 16;
    /// Header length of an I-DATA chunk.
    pub const I_DATA_HEADER: usize = 20;

    fn parse(v: ChunkView<'_>, i_data: bool) -> Result<Data<'_>, ChunkError> {
        let b = v.value;
        let fixed = if i_data { 16 } else { 12 };
        if b.len() < fixed {
            return Err(ChunkError::BadLength { typ: v.typ });
        }
        if b.len() == fixed {
            return Err(ChunkError::NoUserData);
        }
        let tsn = be32(&b[0..]);
        let stream = be16(&b[4..]);
        if i_data {
            let mid = be32(&b[8..]);
            let x = be32(&b[12..]);
            let begin = v.flags & flags::BEGIN != 0;
            Ok(Data {
                flags: v.flags,
                tsn,
                stream,
                ssn: 0,
                mid,
                ppid: if begin { x } else { 0 },
                fsn: if begin { 0 } else { x },
                payload: &b[16..],
            })
        } else {
            let ssn = be16(&b[6..]);
            Ok(Data {
                flags: v.flags,
                tsn,
                stream,
                ssn,
                mid: u32::from(ssn),
                ppid: be32(&b[8..]),
                fsn: 0,
                payload: &b[12..],
            })
        }
    }

    /// Writes a DATA (or, with `i_data`, I-DATA) chunk header for a payload of `payload_len`
    /// bytes; the caller appends the payload and then pads the chunk to a multiple of 4.
    #[allow(clippy::too_many_arguments)]
    pub fn write_header(
        out: &mut BytesMut,
        i_data: bool,
        flags: u8,
        tsn: u32,
        stream: u16,
        mid: u32,
        ppid: u32,
        fsn: u32,
        payload_len: usize,
    ) {
        let header = if i_data {
            Self::I_DATA_HEADER
        } else {
            Self::DATA_HEADER
        };
        let len = u16::try_from(header + payload_len).expect("invariant: DATA fits a packet");
        // Built on the stack and appended at once (one capacity check, one copy).
        let mut h = [0u8; Self::I_DATA_HEADER];
        h[0] = if i_data { typ::I_DATA } else { typ::DATA };
        h[1] = flags;
        h[2..4].copy_from_slice(&len.to_be_bytes());
        h[4..8].copy_from_slice(&tsn.to_be_bytes());
        h[8..10].copy_from_slice(&stream.to_be_bytes());
        if i_data {
            h[12..16].copy_from_slice(&mid.to_be_bytes());
            let x = if flags & flags::BEGIN != 0 { ppid } else { fsn };
            h[16..20].copy_from_slice(&x.to_be_bytes());
        } else {
            h[10..12].copy_from_slice(&(mid as u16).to_be_bytes());
            h[12..16].copy_from_slice(&ppid.to_be_bytes());
        }
        out.extend_from_slice(&h[..header]);
    }
}

/// The fixed part and parameters of INIT (RFC 9260 §3.3.2) and INIT ACK (§3.3.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Init<'a> {
    /// Initiate tag (never zero in a valid INIT).
    pub initiate_tag: u32,
    /// Advertised receiver window credit.
    pub a_rwnd: u32,
    /// Number of outbound streams.
    pub outbound_streams: u16,
    /// Number of inbound streams.
    pub inbound_streams: u16,
    /// Initial TSN.
    pub initial_tsn: u32,
    /// The optional / variable-length parameters.
    pub params: Params<'a>,
}

impl<'a> Init<'a> {
    fn parse(v: ChunkView<'a>) -> Result<Self, ChunkError> {
        let b = v.value;
        if b.len() < 16 {
            return Err(ChunkError::BadLength { typ: v.typ });
        }
        Ok(Init {
            initiate_tag: be32(b),
            a_rwnd: be32(&b[4..]),
            outbound_streams: be16(&b[8..]),
            inbound_streams: be16(&b[10..]),
            initial_tsn: be32(&b[12..]),
            params: Params::parse(&b[16..])?,
        })
    }

    /// Writes the fixed part; the caller then writes the parameters (RFC 9260 §3.2.1 TLVs).
    pub fn write_fixed(&self, out: &mut BytesMut) {
        out.extend_from_slice(&self.initiate_tag.to_be_bytes());
        out.extend_from_slice(&self.a_rwnd.to_be_bytes());
        out.extend_from_slice(&self.outbound_streams.to_be_bytes());
        out.extend_from_slice(&self.inbound_streams.to_be_bytes());
        out.extend_from_slice(&self.initial_tsn.to_be_bytes());
    }
}

/// One parameter (type, value) of an INIT, INIT ACK or RE-CONFIG chunk, or one error cause.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Param<'a> {
    /// Type (or cause code).
    pub typ: u16,
    /// Value, without padding.
    pub value: &'a [u8],
}

/// A validated list of TLV parameters (RFC 9260 §3.2.1) or error causes (§3.3.10), 4-byte padded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Params<'a>(&'a [u8]);

impl<'a> Params<'a> {
    /// Validates the framing. The last parameter's padding may be missing.
    pub fn parse(mut b: &'a [u8]) -> Result<Self, ChunkError> {
        let all = b;
        while !b.is_empty() {
            b = split_param(b)?.1;
        }
        Ok(Params(all))
    }

    /// The parameters in order.
    pub fn iter(&self) -> impl Iterator<Item = Param<'a>> + 'a + use<'a> {
        let mut rest = self.0;
        std::iter::from_fn(move || {
            if rest.is_empty() {
                return None;
            }
            let (p, r) = split_param(rest).ok()?;
            rest = r;
            Some(p)
        })
    }

    /// The first parameter of type `typ`.
    pub fn find(&self, typ: u16) -> Option<&'a [u8]> {
        self.iter().find(|p| p.typ == typ).map(|p| p.value)
    }

    /// The raw bytes.
    pub fn as_bytes(&self) -> &'a [u8] {
        self.0
    }
}

fn split_param(b: &[u8]) -> Result<(Param<'_>, &[u8]), ChunkError> {
    if b.len() < 4 {
        return Err(ChunkError::BadParameter);
    }
    let len = usize::from(be16(&b[2..]));
    if len < 4 || len > b.len() {
        return Err(ChunkError::BadParameter);
    }
    let padded = (len + 3) & !3;
    Ok((
        Param {
            typ: be16(b),
            value: &b[4..len],
        },
        b.get(padded..).unwrap_or_default(),
    ))
}

/// Writes one parameter (or error cause) with its padding.
pub(crate) fn write_param(out: &mut BytesMut, typ: u16, value: &[u8]) {
    let len = u16::try_from(4 + value.len()).expect("invariant: parameter fits a packet");
    out.extend_from_slice(&typ.to_be_bytes());
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(value);
    pad(out, value.len());
}

/// Zero-pads the item of `len` bytes just written to `out` (a chunk, a parameter, or a DATA
/// payload after its 4-aligned header) to a multiple of 4 bytes (RFC 9260 §3.2). Relative to the
/// item, not to `out`: a packet may be written after a prefix of any length (the DTLS record
/// header).
pub(crate) fn pad(out: &mut BytesMut, len: usize) {
    let n = len.next_multiple_of(4) - len;
    if n > 0 {
        out.extend_from_slice(&[0; 3][..n]);
    }
}

/// RFC 9260 §3.3.4: SACK.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sack<'a> {
    /// Cumulative TSN ack.
    pub cum_tsn: u32,
    /// Advertised receiver window credit.
    pub a_rwnd: u32,
    gaps: &'a [u8],
    dups: &'a [u8],
}

impl<'a> Sack<'a> {
    fn parse(v: ChunkView<'a>) -> Result<Self, ChunkError> {
        let b = v.value;
        let bad = ChunkError::BadLength { typ: v.typ };
        if b.len() < 12 {
            return Err(bad);
        }
        let ngaps = usize::from(be16(&b[8..]));
        let ndups = usize::from(be16(&b[10..]));
        if b.len() != 12 + 4 * ngaps + 4 * ndups {
            return Err(bad);
        }
        Ok(Sack {
            cum_tsn: be32(b),
            a_rwnd: be32(&b[4..]),
            gaps: &b[12..12 + 4 * ngaps],
            dups: &b[12 + 4 * ngaps..],
        })
    }

    /// Gap ack blocks as (start, end) offsets from the cumulative TSN ack, inclusive.
    pub fn gap_blocks(&self) -> impl ExactSizeIterator<Item = (u16, u16)> + 'a {
        self.gaps.chunks_exact(4).map(|c| (be16(c), be16(&c[2..])))
    }

    /// Duplicate TSNs.
    pub fn duplicates(&self) -> impl ExactSizeIterator<Item = u32> + 'a {
        self.dups.chunks_exact(4).map(be32)
    }

    /// Writes a whole SACK chunk.
    pub fn write(
        out: &mut BytesMut,
        cum_tsn: u32,
        a_rwnd: u32,
        gaps: impl ExactSizeIterator<Item = (u16, u16)>,
        dups: impl ExactSizeIterator<Item = u32>,
    ) {
        let (ng, nd) = (gaps.len(), dups.len());
        let len = u16::try_from(16 + 4 * ng + 4 * nd).expect("invariant: SACK fits a packet");
        out.extend_from_slice(&[typ::SACK, 0]);
        out.extend_from_slice(&len.to_be_bytes());
        out.extend_from_slice(&cum_tsn.to_be_bytes());
        out.extend_from_slice(&a_rwnd.to_be_bytes());
        out.extend_from_slice(&(ng as u16).to_be_bytes());
        out.extend_from_slice(&(nd as u16).to_be_bytes());
        for (s, e) in gaps {
            out.extend_from_slice(&s.to_be_bytes());
            out.extend_from_slice(&e.to_be_bytes());
        }
        for d in dups {
            out.extend_from_slice(&d.to_be_bytes());
        }
    }
}

/// RFC 3758 §3.2 FORWARD TSN and RFC 8260 §2.3 I-FORWARD-TSN.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ForwardTsn<'a> {
    /// The new cumulative TSN.
    pub new_cum_tsn: u32,
    i_forward: bool,
    entries: &'a [u8],
}

/// One skipped message in a (I-)FORWARD-TSN.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Skipped {
    /// Stream identifier.
    pub stream: u16,
    /// I-FORWARD-TSN: the U flag (the message was unordered).
    pub unordered: bool,
    /// FORWARD TSN: the SSN; I-FORWARD-TSN: the MID.
    pub mid: u32,
}

impl<'a> ForwardTsn<'a> {
    fn parse(v: ChunkView<'a>, i_forward: bool) -> Result<Self, ChunkError> {
        let b = v.value;
        let entry = if i_forward { 8 } else { 4 };
        if b.len() < 4 || !(b.len() - 4).is_multiple_of(entry) {
            return Err(ChunkError::BadLength { typ: v.typ });
        }
        Ok(ForwardTsn {
            new_cum_tsn: be32(b),
            i_forward,
            entries: &b[4..],
        })
    }

    /// The skipped messages.
    pub fn skipped(&self) -> impl Iterator<Item = Skipped> + 'a {
        let i = self.i_forward;
        self.entries
            .chunks_exact(if i { 8 } else { 4 })
            .map(move |c| Skipped {
                stream: be16(c),
                unordered: i && c[3] & 1 != 0,
                mid: if i {
                    be32(&c[4..])
                } else {
                    u32::from(be16(&c[2..]))
                },
            })
    }

    /// Writes a whole FORWARD TSN (or I-FORWARD-TSN) chunk.
    pub fn write(
        out: &mut BytesMut,
        i_forward: bool,
        new_cum_tsn: u32,
        skipped: impl ExactSizeIterator<Item = Skipped>,
    ) {
        let entry = if i_forward { 8 } else { 4 };
        let len = u16::try_from(8 + entry * skipped.len()).expect("invariant: fits a packet");
        let t = if i_forward {
            typ::I_FORWARD_TSN
        } else {
            typ::FORWARD_TSN
        };
        out.extend_from_slice(&[t, 0]);
        out.extend_from_slice(&len.to_be_bytes());
        out.extend_from_slice(&new_cum_tsn.to_be_bytes());
        for s in skipped {
            out.extend_from_slice(&s.stream.to_be_bytes());
            if i_forward {
                out.extend_from_slice(&[0, u8::from(s.unordered)]);
                out.extend_from_slice(&s.mid.to_be_bytes());
            } else {
                out.extend_from_slice(&(s.mid as u16).to_be_bytes());
            }
        }
    }
}

/// One RE-CONFIG parameter (RFC 6525 §4).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReconfigParam<'a> {
    /// §4.1 Outgoing SSN Reset Request.
    OutgoingReset {
        /// Re-configuration request sequence number.
        request_seq: u32,
        /// The request this one answers (or the last response sent).
        response_seq: u32,
        /// The sender's last assigned TSN.
        last_tsn: u32,
        /// Streams to reset (empty: all).
        streams: StreamList<'a>,
    },
    /// §4.2 Incoming SSN Reset Request.
    IncomingReset {
        /// Re-configuration request sequence number.
        request_seq: u32,
        /// Streams to reset (empty: all).
        streams: StreamList<'a>,
    },
    /// §4.4 Re-configuration Response.
    Response {
        /// The request this answers.
        response_seq: u32,
        /// The result.
        result: u32,
    },
    /// Any other request type (§4.3, §4.5, §4.6, or unknown): answered as not supported.
    Other {
        /// Parameter type.
        typ: u16,
        /// The request sequence number, when the value has one.
        request_seq: Option<u32>,
    },
}

/// RFC 6525 §4.4 result codes.
pub mod reconfig_result {
    /// Success - Nothing to do.
    pub const NOTHING_TO_DO: u32 = 0;
    /// Success - Performed.
    pub const PERFORMED: u32 = 1;
    /// Denied.
    pub const DENIED: u32 = 2;
    /// Error - Wrong SSN.
    pub const WRONG_SSN: u32 = 3;
    /// Error - Request already in progress.
    pub const ALREADY_IN_PROGRESS: u32 = 4;
    /// Error - Bad Sequence Number.
    pub const BAD_SEQUENCE_NUMBER: u32 = 5;
    /// In progress.
    pub const IN_PROGRESS: u32 = 6;
}

/// A list of 16-bit stream identifiers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct StreamList<'a>(&'a [u8]);

impl<'a> StreamList<'a> {
    /// The stream identifiers.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = u16> + 'a {
        self.0.chunks_exact(2).map(be16)
    }
    /// True when the list is empty (RFC 6525: all streams).
    pub fn is_empty(&self) -> bool {
        self.0.len() < 2
    }
}

impl<'a> ReconfigParam<'a> {
    fn parse(p: Param<'a>) -> Result<Self, ChunkError> {
        let b = p.value;
        let bad = ChunkError::BadParameter;
        Ok(match p.typ {
            param::OUTGOING_RESET => {
                if b.len() < 12 || !(b.len() - 12).is_multiple_of(2) {
                    return Err(bad);
                }
                ReconfigParam::OutgoingReset {
                    request_seq: be32(b),
                    response_seq: be32(&b[4..]),
                    last_tsn: be32(&b[8..]),
                    streams: StreamList(&b[12..]),
                }
            }
            param::INCOMING_RESET => {
                if b.len() < 4 || !(b.len() - 4).is_multiple_of(2) {
                    return Err(bad);
                }
                ReconfigParam::IncomingReset {
                    request_seq: be32(b),
                    streams: StreamList(&b[4..]),
                }
            }
            param::RECONFIG_RESPONSE => {
                if b.len() != 8 && b.len() != 16 {
                    return Err(bad);
                }
                ReconfigParam::Response {
                    response_seq: be32(b),
                    result: be32(&b[4..]),
                }
            }
            typ => ReconfigParam::Other {
                typ,
                request_seq: (b.len() >= 4).then(|| be32(b)),
            },
        })
    }

    /// Writes this parameter.
    pub fn write(&self, out: &mut BytesMut) {
        let start = out.len();
        let typ = match *self {
            ReconfigParam::OutgoingReset {
                request_seq,
                response_seq,
                last_tsn,
                streams,
            } => {
                out.extend_from_slice(&[0; 4]);
                out.extend_from_slice(&request_seq.to_be_bytes());
                out.extend_from_slice(&response_seq.to_be_bytes());
                out.extend_from_slice(&last_tsn.to_be_bytes());
                out.extend_from_slice(streams.0);
                param::OUTGOING_RESET
            }
            ReconfigParam::IncomingReset {
                request_seq,
                streams,
            } => {
                out.extend_from_slice(&[0; 4]);
                out.extend_from_slice(&request_seq.to_be_bytes());
                out.extend_from_slice(streams.0);
                param::INCOMING_RESET
            }
            ReconfigParam::Response {
                response_seq,
                result,
            } => {
                out.extend_from_slice(&[0; 4]);
                out.extend_from_slice(&response_seq.to_be_bytes());
                out.extend_from_slice(&result.to_be_bytes());
                param::RECONFIG_RESPONSE
            }
            ReconfigParam::Other { typ, request_seq } => {
                out.extend_from_slice(&[0; 4]);
                if let Some(s) = request_seq {
                    out.extend_from_slice(&s.to_be_bytes());
                }
                typ
            }
        };
        let len = u16::try_from(out.len() - start).expect("invariant: parameter fits a packet");
        out[start..start + 2].copy_from_slice(&typ.to_be_bytes());
        out[start + 2..start + 4].copy_from_slice(&len.to_be_bytes());
        pad(out, usize::from(len));
    }

    /// Encodes a stream list for [`ReconfigParam`] values built by the caller.
    pub fn stream_bytes(streams: &[u16]) -> Vec<u8> {
        streams.iter().flat_map(|s| s.to_be_bytes()).collect()
    }
}

impl<'a> StreamList<'a> {
    /// A list over already encoded big-endian stream ids (see [`ReconfigParam::stream_bytes`]).
    pub fn from_bytes(b: &'a [u8]) -> Self {
        StreamList(b)
    }
}

/// A parsed chunk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Chunk<'a> {
    /// DATA or I-DATA.
    Data(Data<'a>),
    /// INIT.
    Init(Init<'a>),
    /// INIT ACK.
    InitAck(Init<'a>),
    /// SACK.
    Sack(Sack<'a>),
    /// HEARTBEAT with its Heartbeat Info value.
    Heartbeat(&'a [u8]),
    /// HEARTBEAT ACK with the echoed Heartbeat Info value.
    HeartbeatAck(&'a [u8]),
    /// ABORT: T bit and error causes.
    Abort {
        /// The verification tag is reflected.
        t: bool,
        /// Error causes.
        causes: Params<'a>,
    },
    /// SHUTDOWN with the cumulative TSN ack.
    Shutdown {
        /// Cumulative TSN ack.
        cum_tsn: u32,
    },
    /// SHUTDOWN ACK.
    ShutdownAck,
    /// ERROR with causes.
    Error(Params<'a>),
    /// COOKIE ECHO with the cookie.
    CookieEcho(&'a [u8]),
    /// COOKIE ACK.
    CookieAck,
    /// SHUTDOWN COMPLETE.
    ShutdownComplete {
        /// The verification tag is reflected.
        t: bool,
    },
    /// RE-CONFIG with one or two parameters.
    ReConfig(Params<'a>),
    /// PAD (RFC 4820): ignored.
    Pad,
    /// FORWARD TSN or I-FORWARD-TSN.
    ForwardTsn(ForwardTsn<'a>),
    /// A chunk type this implementation does not know.
    Unknown(ChunkView<'a>),
}

impl<'a> Chunk<'a> {
    /// Types the value of a framed chunk.
    pub fn parse(v: ChunkView<'a>) -> Result<Self, ChunkError> {
        let empty = |c: Chunk<'a>| {
            // Chunks without a value: trailing bytes are tolerated (a future extension may add
            // fields), as RFC 9260 §3.2 asks receivers to be liberal.
            Ok(c)
        };
        match v.typ {
            typ::DATA => Data::parse(v, false).map(Chunk::Data),
            typ::I_DATA => Data::parse(v, true).map(Chunk::Data),
            typ::INIT => Init::parse(v).map(Chunk::Init),
            typ::INIT_ACK => Init::parse(v).map(Chunk::InitAck),
            typ::SACK => Sack::parse(v).map(Chunk::Sack),
            typ::HEARTBEAT | typ::HEARTBEAT_ACK => {
                // §3.3.5: the value is one Heartbeat Info parameter; it is echoed whole.
                let p = Params::parse(v.value)?;
                if p.find(param::HEARTBEAT_INFO).is_none() {
                    return Err(ChunkError::BadLength { typ: v.typ });
                }
                Ok(if v.typ == typ::HEARTBEAT {
                    Chunk::Heartbeat(v.value)
                } else {
                    Chunk::HeartbeatAck(v.value)
                })
            }
            typ::ABORT => Ok(Chunk::Abort {
                t: v.flags & flags::T != 0,
                causes: Params::parse(v.value)?,
            }),
            typ::SHUTDOWN => {
                if v.value.len() != 4 {
                    return Err(ChunkError::BadLength { typ: v.typ });
                }
                Ok(Chunk::Shutdown {
                    cum_tsn: be32(v.value),
                })
            }
            typ::SHUTDOWN_ACK => empty(Chunk::ShutdownAck),
            typ::ERROR => Ok(Chunk::Error(Params::parse(v.value)?)),
            typ::COOKIE_ECHO => Ok(Chunk::CookieEcho(v.value)),
            typ::COOKIE_ACK => empty(Chunk::CookieAck),
            typ::SHUTDOWN_COMPLETE => empty(Chunk::ShutdownComplete {
                t: v.flags & flags::T != 0,
            }),
            typ::RE_CONFIG => {
                let p = Params::parse(v.value)?;
                // RFC 6525 §3.1: one or two parameters, each well formed.
                let n = p.iter().count();
                if n == 0 || n > 2 {
                    return Err(ChunkError::BadLength { typ: v.typ });
                }
                for q in p.iter() {
                    ReconfigParam::parse(q)?;
                }
                Ok(Chunk::ReConfig(p))
            }
            typ::PAD => Ok(Chunk::Pad),
            typ::FORWARD_TSN => ForwardTsn::parse(v, false).map(Chunk::ForwardTsn),
            typ::I_FORWARD_TSN => ForwardTsn::parse(v, true).map(Chunk::ForwardTsn),
            _ => Ok(Chunk::Unknown(v)),
        }
    }

    /// The RE-CONFIG parameters, typed (only for [`Chunk::ReConfig`]).
    pub fn reconfig_params(params: Params<'a>) -> impl Iterator<Item = ReconfigParam<'a>> + 'a {
        let Params(raw) = params;
        Params(raw)
            .iter()
            .filter_map(|p| ReconfigParam::parse(p).ok())
    }
}

/// Writes a chunk header for a value of `value_len` bytes.
pub(crate) fn write_chunk_header(out: &mut BytesMut, typ: u8, flags: u8, value_len: usize) {
    let len = u16::try_from(4 + value_len).expect("invariant: chunk fits a packet");
    out.extend_from_slice(&[typ, flags]);
    out.extend_from_slice(&len.to_be_bytes());
}

/// Writes a chunk whose value is produced by `f`, fixing up the length afterwards and padding.
pub(crate) fn write_chunk(out: &mut BytesMut, typ: u8, flags: u8, f: impl FnOnce(&mut BytesMut)) {
    let start = out.len();
    out.extend_from_slice(&[typ, flags, 0, 0]);
    f(out);
    let len = u16::try_from(out.len() - start).expect("invariant: chunk fits a packet");
    out[start + 2..start + 4].copy_from_slice(&len.to_be_bytes());
    pad(out, usize::from(len));
}

pub(crate) fn be16(b: &[u8]) -> u16 {
    u16::from_be_bytes([b[0], b[1]])
}

pub(crate) fn be32(b: &[u8]) -> u32 {
    u32::from_be_bytes([b[0], b[1], b[2], b[3]])
}
