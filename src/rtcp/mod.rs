//! RTCP (RFC 3550 §6, RFC 4585, RFC 5104, RFC 5506, RFC 3611, RFC 8888): compound and
//! reduced-size packets, reports and feedback.
//!
//! - [`CompoundReader`] walks a datagram's packets without allocating (RFC 3550 §6.1 framing,
//!   the §A.2 validity checks, RFC 5506 §3 reduced-size RTCP) and yields a checked
//!   [`PacketView`] per packet of a known kind; packets of unknown type or feedback type are
//!   skipped by their length and counted ([`CompoundReader::skipped`]).
//! - [`RtcpPacket`] is the decoded value, parsed on demand from a view ([`PacketView::parse`]):
//!   SR and RR with report blocks ([`SenderReport`], [`ReceiverReport`], [`ReportBlock`]), SDES
//!   ([`Sdes`]), BYE ([`Bye`]), APP ([`App`]), generic NACK ([`Nack`]), PLI ([`Pli`]), FIR
//!   ([`Fir`]), REMB ([`Remb`]), transport-wide congestion control feedback ([`TransportCc`],
//!   built by [`TransportCcBuilder`]), RFC 8888 congestion control feedback
//!   ([`CongestionControlFeedback`]) and extended reports ([`Xr`]).
//! - Every value has `encoded_len` and `encode` (appends to a `Vec<u8>`); [`encode_compound`]
//!   and [`write_compound`] (straight into a datagram buffer) write a list of packets.
//!
//! The writer never sets the padding bit: every body it writes is 32-bit aligned by its own
//! rules (SDES chunk padding, BYE reason padding, RFC 8888 block padding, transport-cc zero
//! padding), and values whose raw data is not a multiple of four bytes are refused.

mod app;
mod bye;
mod ccfb;
mod fb;
mod report;
mod sdes;
#[cfg(test)]
mod tests;
mod twcc;
mod xr;

pub use app::App;
pub use bye::Bye;
pub use ccfb::{CcfbBlock, CcfbReport, CongestionControlFeedback, Ecn};
pub use fb::{Fir, FirEntry, Nack, NackPair, Pli, Remb};
pub use report::{ReceiverReport, ReportBlock, SenderReport};
pub use sdes::{Sdes, SdesChunk, SdesItem, item as sdes_item};
pub use twcc::{PacketStatus, StatusChunk, TransportCc, TransportCcBuilder, TwccPacket};
pub use xr::{DlrrItem, Xr, XrBlock};

/// RTCP packet types (RFC 3550 §12.1, RFC 4585 §6.1, RFC 3611 §2).
pub mod packet_type {
    /// RFC 3550 §6.4.1: sender report.
    pub const SR: u8 = 200;
    /// RFC 3550 §6.4.2: receiver report.
    pub const RR: u8 = 201;
    /// RFC 3550 §6.5: source description.
    pub const SDES: u8 = 202;
    /// RFC 3550 §6.6: goodbye.
    pub const BYE: u8 = 203;
    /// RFC 3550 §6.7: application-defined.
    pub const APP: u8 = 204;
    /// RFC 4585 §6.1: transport-layer feedback.
    pub const RTPFB: u8 = 205;
    /// RFC 4585 §6.1: payload-specific feedback.
    pub const PSFB: u8 = 206;
    /// RFC 3611 §2: extended report.
    pub const XR: u8 = 207;
}

/// Feedback message types (the FMT in the count field of RTPFB and PSFB packets).
pub mod fmt {
    /// RFC 4585 §6.2.1: RTPFB generic NACK.
    pub const NACK: u8 = 1;
    /// RFC 8888 §3.1: RTPFB congestion control feedback.
    pub const CCFB: u8 = 11;
    /// draft-holmer-rmcat-transport-wide-cc-extensions-01 §3.1: RTPFB transport-wide feedback.
    pub const TWCC: u8 = 15;
    /// RFC 4585 §6.3.1: PSFB picture loss indication.
    pub const PLI: u8 = 1;
    /// RFC 5104 §4.3.1: PSFB full intra request.
    pub const FIR: u8 = 4;
    /// RFC 4585 §6.4: PSFB application layer feedback (REMB lives here).
    pub const AFB: u8 = 15;
}

/// RFC 3550 §6.4.1: the common header is four bytes.
pub const HEADER_LEN: usize = 4;
/// RFC 3550 §6.4.1: the 5-bit count field holds at most 31 report blocks (or chunks, SSRCs).
pub const MAX_COUNT: usize = 31;
/// RFC 3550 §6.4.1: the 16-bit length field counts 32-bit words minus one.
pub const MAX_PACKET_LEN: usize = (u16::MAX as usize + 1) * 4;

/// Why an RTCP datagram or packet did not parse.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RtcpError {
    /// Fewer than four bytes left for a header, or the length field runs past the datagram.
    #[error("RTCP packet truncated")]
    Truncated,
    /// RFC 3550 §A.2: the version must be 2.
    #[error("RTCP version {version} is not 2")]
    BadVersion {
        /// The version found.
        version: u8,
    },
    /// RFC 3550 §6.4.1: the padding count is zero or larger than the packet's body.
    #[error("RTCP padding count {count} is invalid")]
    BadPadding {
        /// The last octet of the packet.
        count: u8,
    },
    /// The packet is framed correctly but its body does not follow its type's format.
    #[error("RTCP packet type {packet_type} (count/FMT {count}) has a malformed body")]
    Malformed {
        /// The packet type.
        packet_type: u8,
        /// The count or FMT field.
        count: u8,
    },
    /// The packet type (or feedback type) is not one this module decodes.
    #[error("RTCP packet type {packet_type} (count/FMT {count}) is not supported")]
    Unsupported {
        /// The packet type.
        packet_type: u8,
        /// The count or FMT field.
        count: u8,
    },
    /// [`RtcpPacket::parse`] was given more than one packet.
    #[error("trailing bytes after the RTCP packet")]
    TrailingBytes,
}

/// Why a value could not be written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RtcpEncodeError {
    /// A list is longer than its count or length field can say.
    #[error("too many items: at most {max}")]
    TooManyItems {
        /// The largest number the field holds.
        max: usize,
    },
    /// The packet would be longer than the 16-bit length field allows.
    #[error("RTCP packet of {len_bytes} bytes is too long")]
    TooLong {
        /// The length the packet would have.
        len_bytes: usize,
    },
    /// Raw data that must be a whole number of 32-bit words is not.
    #[error("RTCP raw data of {len_bytes} bytes is not 32-bit aligned")]
    Unaligned {
        /// The length of the data.
        len_bytes: usize,
    },
    /// A field is out of its range, or fields contradict each other.
    #[error("RTCP value is inconsistent: {field}")]
    Inconsistent {
        /// Which field.
        field: &'static str,
    },
    /// The caller's buffer is too small.
    #[error("buffer too small: {needed} bytes needed")]
    BufferTooSmall {
        /// The bytes the packets need.
        needed: usize,
    },
}

/// The kinds of packet this module decodes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum PacketKind {
    /// SR.
    SenderReport,
    /// RR.
    ReceiverReport,
    /// SDES.
    Sdes,
    /// BYE.
    Bye,
    /// APP.
    App,
    /// RTPFB generic NACK.
    Nack,
    /// PSFB picture loss indication.
    Pli,
    /// PSFB full intra request.
    Fir,
    /// PSFB application layer feedback with the `REMB` identifier.
    Remb,
    /// RTPFB transport-wide congestion control feedback.
    TransportCc,
    /// RTPFB RFC 8888 congestion control feedback.
    CongestionControlFeedback,
    /// XR.
    Xr,
}

/// One checked RTCP packet inside a datagram: header fields, body, padding removed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PacketView<'a> {
    packet: &'a [u8],
    body: &'a [u8],
}

impl<'a> PacketView<'a> {
    /// Splits the first packet off `buf`: the view and what follows it.
    ///
    /// Checks the version, that the length fits, and the padding count; not the body.
    pub fn split(buf: &'a [u8]) -> Result<(Self, &'a [u8]), RtcpError> {
        let Some(&[b0, _, l0, l1]) = buf.get(..HEADER_LEN) else {
            return Err(RtcpError::Truncated);
        };
        // RFC 3550 §A.2: version 2 on every packet of the compound.
        let version = b0 >> 6;
        if version != 2 {
            return Err(RtcpError::BadVersion { version });
        }
        // RFC 3550 §6.4.1: length in 32-bit words minus one, header included.
        let len = (usize::from(u16::from_be_bytes([l0, l1])) + 1) * 4;
        let (packet, rest) = match (buf.get(..len), buf.get(len..)) {
            (Some(p), Some(r)) => (p, r),
            _ => return Err(RtcpError::Truncated),
        };
        let mut body = packet.get(HEADER_LEN..).unwrap_or_default();
        if b0 & 0x20 != 0 {
            // RFC 3550 §6.4.1: the last octet of the padding counts the padding octets,
            // itself included, so it is at least 1 and at most the bytes after the header.
            // DEVIATION(RFC 3550 §A.2): padding is accepted on any packet of a compound, not
            // only the last. libwebrtc pads every transport-cc feedback with the P bit and
            // sends several of them in one datagram; refusing those would drop its feedback.
            let count = *body.last().unwrap_or(&0);
            if count == 0 || usize::from(count) > body.len() {
                return Err(RtcpError::BadPadding { count });
            }
            body = body
                .get(..body.len() - usize::from(count))
                .unwrap_or_default();
        }
        Ok((Self { packet, body }, rest))
    }

    /// The whole packet as it appeared in the datagram (header and padding included).
    pub fn as_bytes(&self) -> &'a [u8] {
        self.packet
    }
    /// The bytes after the four-byte header, padding removed.
    pub fn body(&self) -> &'a [u8] {
        self.body
    }
    /// The padding bit.
    pub fn has_padding(&self) -> bool {
        self.packet.first().is_some_and(|b| b & 0x20 != 0)
    }
    /// The 5-bit count field (report count, source count, APP subtype or feedback FMT).
    pub fn count(&self) -> u8 {
        self.packet.first().map_or(0, |b| b & 0x1F)
    }
    /// The packet type.
    pub fn packet_type(&self) -> u8 {
        self.packet.get(1).copied().unwrap_or(0)
    }
    /// What this packet is, if it is a kind this module decodes.
    pub fn kind(&self) -> Option<PacketKind> {
        use packet_type as pt;
        Some(match (self.packet_type(), self.count()) {
            (pt::SR, _) => PacketKind::SenderReport,
            (pt::RR, _) => PacketKind::ReceiverReport,
            (pt::SDES, _) => PacketKind::Sdes,
            (pt::BYE, _) => PacketKind::Bye,
            (pt::APP, _) => PacketKind::App,
            (pt::RTPFB, fmt::NACK) => PacketKind::Nack,
            (pt::RTPFB, fmt::CCFB) => PacketKind::CongestionControlFeedback,
            (pt::RTPFB, fmt::TWCC) => PacketKind::TransportCc,
            (pt::PSFB, fmt::PLI) => PacketKind::Pli,
            (pt::PSFB, fmt::FIR) => PacketKind::Fir,
            // draft-alvestrand-rmcat-remb §2.2: AFB whose FCI starts with 'REMB'. Other AFB
            // messages are unknown to us.
            (pt::PSFB, fmt::AFB) if self.body.get(8..12) == Some(b"REMB") => PacketKind::Remb,
            (pt::XR, _) => PacketKind::Xr,
            _ => return None,
        })
    }

    /// Decodes the packet into a value.
    pub fn parse(&self) -> Result<RtcpPacket, RtcpError> {
        let count = self.count();
        let body = self.body;
        let Some(kind) = self.kind() else {
            return Err(RtcpError::Unsupported {
                packet_type: self.packet_type(),
                count,
            });
        };
        let bad = RtcpError::Malformed {
            packet_type: self.packet_type(),
            count,
        };
        let p = match kind {
            PacketKind::SenderReport => {
                RtcpPacket::SenderReport(SenderReport::parse_body(count, body).ok_or(bad)?)
            }
            PacketKind::ReceiverReport => {
                RtcpPacket::ReceiverReport(ReceiverReport::parse_body(count, body).ok_or(bad)?)
            }
            PacketKind::Sdes => RtcpPacket::Sdes(Sdes::parse_body(count, body).ok_or(bad)?),
            PacketKind::Bye => RtcpPacket::Bye(Bye::parse_body(count, body).ok_or(bad)?),
            PacketKind::App => RtcpPacket::App(App::parse_body(count, body).ok_or(bad)?),
            PacketKind::Nack => RtcpPacket::Nack(Nack::parse_body(body).ok_or(bad)?),
            PacketKind::Pli => RtcpPacket::Pli(Pli::parse_body(body).ok_or(bad)?),
            PacketKind::Fir => RtcpPacket::Fir(Fir::parse_body(body).ok_or(bad)?),
            PacketKind::Remb => RtcpPacket::Remb(Remb::parse_body(body).ok_or(bad)?),
            PacketKind::TransportCc => {
                RtcpPacket::TransportCc(TransportCc::parse_body(body).ok_or(bad)?)
            }
            PacketKind::CongestionControlFeedback => RtcpPacket::CongestionControlFeedback(
                CongestionControlFeedback::parse_body(body).ok_or(bad)?,
            ),
            PacketKind::Xr => RtcpPacket::Xr(Xr::parse_body(body).ok_or(bad)?),
        };
        Ok(p)
    }
}

/// The packets of one RTCP datagram, in order, as checked views. Allocates nothing.
///
/// RFC 5506 §3: reduced-size RTCP is accepted, so the first packet need not be an SR or RR and a
/// lone feedback packet is a valid datagram. Packets of an unknown type (or an unknown FMT of
/// RTPFB/PSFB, or an AFB that is not REMB) are skipped by their length and counted. A framing
/// error (bad version, length past the datagram, bad padding) ends the iteration: it is yielded
/// once, and nothing after it is read.
#[derive(Debug, Clone)]
pub struct CompoundReader<'a> {
    rest: &'a [u8],
    skipped: usize,
    failed: bool,
}

impl<'a> CompoundReader<'a> {
    /// A reader over one datagram's RTCP.
    pub fn new(datagram: &'a [u8]) -> Self {
        Self {
            rest: datagram,
            skipped: 0,
            failed: false,
        }
    }
    /// How many packets of unknown kind were skipped so far.
    pub fn skipped(&self) -> usize {
        self.skipped
    }
    /// Whether the iteration stopped on a framing error.
    pub fn has_failed(&self) -> bool {
        self.failed
    }
}

impl<'a> Iterator for CompoundReader<'a> {
    type Item = Result<PacketView<'a>, RtcpError>;

    fn next(&mut self) -> Option<Self::Item> {
        while !self.failed && !self.rest.is_empty() {
            match PacketView::split(self.rest) {
                Err(e) => {
                    self.failed = true;
                    return Some(Err(e));
                }
                Ok((view, rest)) => {
                    self.rest = rest;
                    if view.kind().is_some() {
                        return Some(Ok(view));
                    }
                    self.skipped += 1;
                }
            }
        }
        None
    }
}

/// A whole datagram decoded: its known packets and how many unknown ones were skipped.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Compound {
    /// The decoded packets, in order.
    pub packets: Vec<RtcpPacket>,
    /// Packets of unknown type or FMT, skipped.
    pub skipped: usize,
}

impl Compound {
    /// Decodes every packet of a datagram; the first framing or body error fails the whole.
    ///
    /// The list holds at most one entry per four input bytes.
    pub fn parse(datagram: &[u8]) -> Result<Self, RtcpError> {
        let mut reader = CompoundReader::new(datagram);
        let mut packets = Vec::new();
        for view in &mut reader {
            packets.push(view?.parse()?);
        }
        Ok(Self {
            packets,
            skipped: reader.skipped(),
        })
    }
}

/// A decoded RTCP packet.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum RtcpPacket {
    /// RFC 3550 §6.4.1.
    SenderReport(SenderReport),
    /// RFC 3550 §6.4.2.
    ReceiverReport(ReceiverReport),
    /// RFC 3550 §6.5.
    Sdes(Sdes),
    /// RFC 3550 §6.6.
    Bye(Bye),
    /// RFC 3550 §6.7.
    App(App),
    /// RFC 4585 §6.2.1.
    Nack(Nack),
    /// RFC 4585 §6.3.1.
    Pli(Pli),
    /// RFC 5104 §4.3.1.
    Fir(Fir),
    /// draft-alvestrand-rmcat-remb.
    Remb(Remb),
    /// draft-holmer-rmcat-transport-wide-cc-extensions-01 §3.1.
    TransportCc(TransportCc),
    /// RFC 8888 §3.1.
    CongestionControlFeedback(CongestionControlFeedback),
    /// RFC 3611.
    Xr(Xr),
}

impl RtcpPacket {
    /// Decodes exactly one packet (the whole of `buf`).
    pub fn parse(buf: &[u8]) -> Result<Self, RtcpError> {
        let (view, rest) = PacketView::split(buf)?;
        if !rest.is_empty() {
            return Err(RtcpError::TrailingBytes);
        }
        view.parse()
    }

    /// The kind of packet.
    pub fn kind(&self) -> PacketKind {
        match self {
            RtcpPacket::SenderReport(_) => PacketKind::SenderReport,
            RtcpPacket::ReceiverReport(_) => PacketKind::ReceiverReport,
            RtcpPacket::Sdes(_) => PacketKind::Sdes,
            RtcpPacket::Bye(_) => PacketKind::Bye,
            RtcpPacket::App(_) => PacketKind::App,
            RtcpPacket::Nack(_) => PacketKind::Nack,
            RtcpPacket::Pli(_) => PacketKind::Pli,
            RtcpPacket::Fir(_) => PacketKind::Fir,
            RtcpPacket::Remb(_) => PacketKind::Remb,
            RtcpPacket::TransportCc(_) => PacketKind::TransportCc,
            RtcpPacket::CongestionControlFeedback(_) => PacketKind::CongestionControlFeedback,
            RtcpPacket::Xr(_) => PacketKind::Xr,
        }
    }

    fn inner(&self) -> &dyn Encode {
        match self {
            RtcpPacket::SenderReport(p) => p,
            RtcpPacket::ReceiverReport(p) => p,
            RtcpPacket::Sdes(p) => p,
            RtcpPacket::Bye(p) => p,
            RtcpPacket::App(p) => p,
            RtcpPacket::Nack(p) => p,
            RtcpPacket::Pli(p) => p,
            RtcpPacket::Fir(p) => p,
            RtcpPacket::Remb(p) => p,
            RtcpPacket::TransportCc(p) => p,
            RtcpPacket::CongestionControlFeedback(p) => p,
            RtcpPacket::Xr(p) => p,
        }
    }

    /// The bytes `encode` appends (a report with more than 31 blocks is several packets).
    pub fn encoded_len(&self) -> usize {
        self.inner().len()
    }

    /// Appends the packet; on error `out` is unchanged.
    pub fn encode(&self, out: &mut Vec<u8>) -> Result<(), RtcpEncodeError> {
        encode_one(self.inner(), out)
    }
}

/// Appends a compound packet: the packets in order. On error `out` is unchanged.
///
/// RFC 3550 §6.1 wants a compound to start with an SR or RR and carry an SDES CNAME; RFC 5506
/// lifts that for reduced-size RTCP. The order given is the order written: the caller chooses.
pub fn encode_compound(packets: &[RtcpPacket], out: &mut Vec<u8>) -> Result<(), RtcpEncodeError> {
    for p in packets {
        p.inner().check()?;
    }
    out.reserve(packets.iter().map(RtcpPacket::encoded_len).sum());
    for p in packets {
        p.inner().write(out);
    }
    Ok(())
}

/// Writes a compound packet at the start of `buf` and returns its length; nothing is written
/// on error.
pub fn write_compound(packets: &[RtcpPacket], buf: &mut [u8]) -> Result<usize, RtcpEncodeError> {
    let mut needed = 0usize;
    for p in packets {
        p.inner().check()?;
        needed = needed.saturating_add(p.encoded_len());
    }
    if needed > buf.len() {
        return Err(RtcpEncodeError::BufferTooSmall { needed });
    }
    let mut sink = SliceSink { buf, pos: 0 };
    for p in packets {
        p.inner().write(&mut sink);
    }
    debug_assert_eq!(sink.pos, needed, "invariant: encoded_len agrees with write");
    Ok(sink.pos)
}

/// What each value implements: its checks, its length, its bytes.
pub(crate) trait Encode {
    /// Refuses what the wire cannot carry.
    fn check(&self) -> Result<(), RtcpEncodeError>;
    /// Bytes written by `write` (headers included).
    fn len(&self) -> usize;
    /// Writes; only called after `check` passed.
    fn write(&self, s: &mut dyn Sink);
}

fn encode_one(p: &dyn Encode, out: &mut Vec<u8>) -> Result<(), RtcpEncodeError> {
    p.check()?;
    out.reserve(p.len());
    p.write(out);
    Ok(())
}

/// Implements `encoded_len` and `encode` on a value type through [`Encode`].
macro_rules! impl_encode_api {
    ($t:ty) => {
        impl $t {
            /// The bytes `encode` appends.
            pub fn encoded_len(&self) -> usize {
                crate::rtcp::Encode::len(self)
            }
            /// Appends the packet to `out`; on error `out` is unchanged.
            pub fn encode(&self, out: &mut Vec<u8>) -> Result<(), crate::rtcp::RtcpEncodeError> {
                crate::rtcp::encode_one(self, out)
            }
        }
    };
}
pub(crate) use impl_encode_api;

/// Where encoders write: a growing `Vec` or a caller's slice.
pub(crate) trait Sink {
    fn put(&mut self, bytes: &[u8]);
}

impl Sink for Vec<u8> {
    fn put(&mut self, bytes: &[u8]) {
        self.extend_from_slice(bytes);
    }
}

struct SliceSink<'a> {
    buf: &'a mut [u8],
    pos: usize,
}

impl Sink for SliceSink<'_> {
    fn put(&mut self, bytes: &[u8]) {
        // The length was checked against `encoded_len` before writing; never panic regardless.
        let end = self.pos + bytes.len();
        if let Some(dst) = self.buf.get_mut(self.pos..end) {
            dst.copy_from_slice(bytes);
            self.pos = end;
        }
    }
}

pub(crate) fn put_u8(s: &mut dyn Sink, v: u8) {
    s.put(&[v]);
}
pub(crate) fn put_u16(s: &mut dyn Sink, v: u16) {
    s.put(&v.to_be_bytes());
}
pub(crate) fn put_u24(s: &mut dyn Sink, v: u32) {
    s.put(&v.to_be_bytes()[1..]);
}
pub(crate) fn put_u32(s: &mut dyn Sink, v: u32) {
    s.put(&v.to_be_bytes());
}
pub(crate) fn put_u64(s: &mut dyn Sink, v: u64) {
    s.put(&v.to_be_bytes());
}
pub(crate) fn put_zeros(s: &mut dyn Sink, n: usize) {
    for _ in 0..n {
        s.put(&[0]);
    }
}

/// The length of a packet whose body (after the header) is `body_len` bytes, padded.
pub(crate) fn packet_len(body_len: usize) -> usize {
    HEADER_LEN + pad4(body_len)
}

/// `n` rounded up to a multiple of four.
pub(crate) fn pad4(n: usize) -> usize {
    n.div_ceil(4) * 4
}

/// Refuses a packet whose length field would overflow.
pub(crate) fn check_len(len: usize) -> Result<(), RtcpEncodeError> {
    if len > MAX_PACKET_LEN {
        return Err(RtcpEncodeError::TooLong { len_bytes: len });
    }
    Ok(())
}

/// Writes the common header (RFC 3550 §6.4.1) of a packet `len` bytes long, padding bit clear.
pub(crate) fn put_header(s: &mut dyn Sink, count: u8, packet_type: u8, len: usize) {
    debug_assert!(len.is_multiple_of(4) && (HEADER_LEN..=MAX_PACKET_LEN).contains(&len));
    put_u8(s, 0x80 | (count & 0x1F));
    put_u8(s, packet_type);
    // The length was checked by `check_len`; the cast keeps the low 16 bits regardless.
    put_u16(s, (len / 4 - 1) as u16);
}

/// A bounds-checked big-endian reader over a body.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Cursor<'a> {
    b: &'a [u8],
}

impl<'a> Cursor<'a> {
    pub(crate) fn new(b: &'a [u8]) -> Self {
        Self { b }
    }
    pub(crate) fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let (head, tail) = (self.b.get(..n)?, self.b.get(n..)?);
        self.b = tail;
        Some(head)
    }
    pub(crate) fn rest(&self) -> &'a [u8] {
        self.b
    }
    pub(crate) fn remaining(&self) -> usize {
        self.b.len()
    }
    pub(crate) fn u8(&mut self) -> Option<u8> {
        Some(self.take(1)?[0])
    }
    pub(crate) fn u16(&mut self) -> Option<u16> {
        let b = self.take(2)?;
        Some(u16::from_be_bytes([b[0], b[1]]))
    }
    pub(crate) fn u24(&mut self) -> Option<u32> {
        let b = self.take(3)?;
        Some(u32::from_be_bytes([0, b[0], b[1], b[2]]))
    }
    pub(crate) fn u32(&mut self) -> Option<u32> {
        let b = self.take(4)?;
        Some(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }
    pub(crate) fn u64(&mut self) -> Option<u64> {
        let hi = self.u32()?;
        let lo = self.u32()?;
        Some(u64::from(hi) << 32 | u64::from(lo))
    }
}
