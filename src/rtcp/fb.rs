//! Feedback messages: generic NACK (RFC 4585 §6.2.1), PLI (RFC 4585 §6.3.1), FIR (RFC 5104
//! §4.3.1) and REMB (draft-alvestrand-rmcat-remb-03 §2.2).
//!
//! All share RFC 4585 §6.1's common format: the header with FMT in the count field, the SSRC of
//! the packet sender, the SSRC of the media source, then the feedback control information.

use super::{
    Cursor, Encode, RtcpEncodeError, Sink, check_len, fmt, impl_encode_api, packet_len,
    packet_type, put_header, put_u8, put_u16, put_u24, put_u32, put_zeros,
};

/// One generic NACK FCI entry (RFC 4585 §6.2.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Hash)]
pub struct NackPair {
    /// PID: a lost packet's sequence number.
    pub pid: u16,
    /// BLP: bit i set means `pid + i + 1` is lost too.
    pub blp: u16,
}

/// RFC 4585 §6.2.1: a generic NACK.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Nack {
    /// SSRC of the packet sender.
    pub sender_ssrc: u32,
    /// SSRC of the media source whose packets are lost.
    pub media_ssrc: u32,
    /// The FCI entries, at least one.
    pub pairs: Vec<NackPair>,
}

impl Nack {
    /// A NACK for the given lost sequence numbers, in the order given (sending order, so each
    /// PID + BLP entry covers up to 17 consecutive numbers; wrap at 65535 is handled).
    pub fn from_lost(
        sender_ssrc: u32,
        media_ssrc: u32,
        lost: impl IntoIterator<Item = u16>,
    ) -> Self {
        let mut pairs: Vec<NackPair> = Vec::new();
        for seq in lost {
            if let Some(last) = pairs.last_mut() {
                let d = seq.wrapping_sub(last.pid);
                if d == 0 {
                    continue;
                }
                if d <= 16 {
                    last.blp |= 1 << (d - 1);
                    continue;
                }
            }
            pairs.push(NackPair { pid: seq, blp: 0 });
        }
        Self {
            sender_ssrc,
            media_ssrc,
            pairs,
        }
    }

    /// Every sequence number the NACK reports lost, entry by entry (wrapping past 65535).
    pub fn lost(&self) -> impl Iterator<Item = u16> + '_ {
        self.pairs.iter().flat_map(|p| {
            std::iter::once(p.pid).chain(
                (0..16u16)
                    .filter(move |i| p.blp & (1 << i) != 0)
                    .map(move |i| p.pid.wrapping_add(i + 1)),
            )
        })
    }

    pub(crate) fn parse_body(body: &[u8]) -> Option<Self> {
        let mut c = Cursor::new(body);
        let sender_ssrc = c.u32()?;
        let media_ssrc = c.u32()?;
        // RFC 4585 §6.2.1: the FCI "MUST contain at least one" generic NACK.
        if c.remaining() < 4 {
            return None;
        }
        let mut pairs = Vec::with_capacity(c.remaining() / 4);
        while c.remaining() >= 4 {
            pairs.push(NackPair {
                pid: c.u16()?,
                blp: c.u16()?,
            });
        }
        Some(Self {
            sender_ssrc,
            media_ssrc,
            pairs,
        })
    }
}

impl Encode for Nack {
    fn check(&self) -> Result<(), RtcpEncodeError> {
        if self.pairs.is_empty() {
            return Err(RtcpEncodeError::Inconsistent {
                field: "NACK needs at least one entry",
            });
        }
        check_len(self.len())
    }
    fn len(&self) -> usize {
        packet_len(8 + 4 * self.pairs.len())
    }
    fn write(&self, s: &mut dyn Sink) {
        put_header(s, fmt::NACK, packet_type::RTPFB, self.len());
        put_u32(s, self.sender_ssrc);
        put_u32(s, self.media_ssrc);
        for p in &self.pairs {
            put_u16(s, p.pid);
            put_u16(s, p.blp);
        }
    }
}
impl_encode_api!(Nack);

/// RFC 4585 §6.3.1: picture loss indication.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Hash)]
pub struct Pli {
    /// SSRC of the packet sender.
    pub sender_ssrc: u32,
    /// SSRC of the media source that should send a keyframe.
    pub media_ssrc: u32,
}

impl Pli {
    pub(crate) fn parse_body(body: &[u8]) -> Option<Self> {
        let mut c = Cursor::new(body);
        // RFC 4585 §6.3.1: no FCI, length 2. A longer packet is read up to its SSRCs, as
        // libwebrtc does.
        Some(Self {
            sender_ssrc: c.u32()?,
            media_ssrc: c.u32()?,
        })
    }
}

impl Encode for Pli {
    fn check(&self) -> Result<(), RtcpEncodeError> {
        Ok(())
    }
    fn len(&self) -> usize {
        packet_len(8)
    }
    fn write(&self, s: &mut dyn Sink) {
        put_header(s, fmt::PLI, packet_type::PSFB, self.len());
        put_u32(s, self.sender_ssrc);
        put_u32(s, self.media_ssrc);
    }
}
impl_encode_api!(Pli);

/// One FIR FCI entry (RFC 5104 §4.3.1.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Hash)]
pub struct FirEntry {
    /// SSRC of the media sender asked for a decoder refresh.
    pub ssrc: u32,
    /// Command sequence number: increased by one per new request to that sender.
    pub seq_nr: u8,
}

/// RFC 5104 §4.3.1: full intra request.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Fir {
    /// SSRC of the packet sender.
    pub sender_ssrc: u32,
    /// RFC 5104 §4.3.1.2: "not used", SHALL be 0; kept as received.
    pub media_ssrc: u32,
    /// The FCI entries, at least one.
    pub entries: Vec<FirEntry>,
}

impl Fir {
    pub(crate) fn parse_body(body: &[u8]) -> Option<Self> {
        let mut c = Cursor::new(body);
        let sender_ssrc = c.u32()?;
        let media_ssrc = c.u32()?;
        // RFC 5104 §4.3.1.2: the FCI holds one or more entries of 8 bytes.
        if c.remaining() < 8 || !c.remaining().is_multiple_of(8) {
            return None;
        }
        let mut entries = Vec::with_capacity(c.remaining() / 8);
        while c.remaining() >= 8 {
            let ssrc = c.u32()?;
            let seq_nr = c.u8()?;
            // The 24 reserved bits are ignored on receipt (RFC 5104 §4.3.1.1).
            c.u24()?;
            entries.push(FirEntry { ssrc, seq_nr });
        }
        Some(Self {
            sender_ssrc,
            media_ssrc,
            entries,
        })
    }
}

impl Encode for Fir {
    fn check(&self) -> Result<(), RtcpEncodeError> {
        if self.entries.is_empty() {
            return Err(RtcpEncodeError::Inconsistent {
                field: "FIR needs at least one entry",
            });
        }
        check_len(self.len())
    }
    fn len(&self) -> usize {
        packet_len(8 + 8 * self.entries.len())
    }
    fn write(&self, s: &mut dyn Sink) {
        put_header(s, fmt::FIR, packet_type::PSFB, self.len());
        put_u32(s, self.sender_ssrc);
        put_u32(s, self.media_ssrc);
        for e in &self.entries {
            put_u32(s, e.ssrc);
            put_u8(s, e.seq_nr);
            put_zeros(s, 3);
        }
    }
}
impl_encode_api!(Fir);

/// draft-alvestrand-rmcat-remb-03 §2.2: receiver estimated maximum bitrate.
///
/// The bitrate is `mantissa << exponent` bits per second. Both are kept as received so the
/// value re-encodes to the same bytes; [`Remb::new`] picks them as libwebrtc does.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Remb {
    /// SSRC of the packet sender.
    pub sender_ssrc: u32,
    /// SSRC of the media source: the draft says 0; kept as received.
    pub media_ssrc: u32,
    /// 6-bit exponent.
    pub exponent: u8,
    /// 18-bit mantissa.
    pub mantissa: u32,
    /// The SSRCs the estimate applies to (at most 255).
    pub ssrcs: Vec<u32>,
}

impl Remb {
    /// The largest 18-bit mantissa.
    pub const MAX_MANTISSA: u32 = 0x3_FFFF;

    /// A REMB for `bitrate_bps`: the smallest exponent whose mantissa fits 18 bits, the
    /// mantissa rounded down (libwebrtc's `Remb::Create`). Media source SSRC 0.
    pub fn new(sender_ssrc: u32, bitrate_bps: u64, ssrcs: Vec<u32>) -> Self {
        let mut mantissa = bitrate_bps;
        let mut exponent = 0u8;
        while mantissa > u64::from(Self::MAX_MANTISSA) {
            mantissa >>= 1;
            exponent += 1;
        }
        Self {
            sender_ssrc,
            media_ssrc: 0,
            exponent,
            // The loop above leaves at most 18 bits.
            mantissa: mantissa as u32,
            ssrcs,
        }
    }

    /// The bitrate in bits per second (saturating: 6 + 18 bits can exceed 64).
    pub fn bitrate_bps(&self) -> u64 {
        let m = u64::from(self.mantissa);
        if self.exponent >= 64 || m.leading_zeros() < u32::from(self.exponent) {
            return u64::MAX;
        }
        m << self.exponent
    }

    pub(crate) fn parse_body(body: &[u8]) -> Option<Self> {
        let mut c = Cursor::new(body);
        let sender_ssrc = c.u32()?;
        let media_ssrc = c.u32()?;
        if c.take(4)? != b"REMB" {
            return None;
        }
        let num = c.u8()?;
        let br = c.u24()?;
        if c.remaining() < 4 * usize::from(num) {
            return None;
        }
        let ssrcs = (0..num).map(|_| c.u32()).collect::<Option<Vec<_>>>()?;
        Some(Self {
            sender_ssrc,
            media_ssrc,
            exponent: (br >> 18) as u8,
            mantissa: br & Self::MAX_MANTISSA,
            ssrcs,
        })
    }
}

impl Encode for Remb {
    fn check(&self) -> Result<(), RtcpEncodeError> {
        if self.ssrcs.len() > 255 {
            return Err(RtcpEncodeError::TooManyItems { max: 255 });
        }
        if self.exponent > 63 || self.mantissa > Self::MAX_MANTISSA {
            return Err(RtcpEncodeError::Inconsistent {
                field: "REMB exponent has 6 bits, mantissa 18",
            });
        }
        check_len(self.len())
    }
    fn len(&self) -> usize {
        packet_len(16 + 4 * self.ssrcs.len())
    }
    fn write(&self, s: &mut dyn Sink) {
        put_header(s, fmt::AFB, packet_type::PSFB, self.len());
        put_u32(s, self.sender_ssrc);
        put_u32(s, self.media_ssrc);
        s.put(b"REMB");
        put_u8(s, self.ssrcs.len() as u8);
        put_u24(s, u32::from(self.exponent) << 18 | self.mantissa);
        self.ssrcs.iter().for_each(|&x| put_u32(s, x));
    }
}
impl_encode_api!(Remb);
