//! Sender and receiver reports (RFC 3550 §6.4.1, §6.4.2) and their report blocks.

use super::{
    Cursor, Encode, MAX_COUNT, RtcpEncodeError, Sink, check_len, impl_encode_api, packet_len,
    packet_type, put_header, put_u8, put_u24, put_u32, put_u64,
};

/// RFC 3550 §6.4.1: a reception report block, 24 bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Hash)]
pub struct ReportBlock {
    /// SSRC of the source this block reports on.
    pub ssrc: u32,
    /// Fraction of packets lost since the last report, in 1/256.
    pub fraction_lost: u8,
    /// Cumulative packets lost, a 24-bit signed value (duplicates can make it negative).
    pub cumulative_lost: i32,
    /// Extended highest sequence number received (cycles in the high 16 bits).
    pub extended_highest_seq: u32,
    /// Interarrival jitter in timestamp units.
    pub jitter: u32,
    /// LSR: the middle 32 bits of the last SR's NTP timestamp, 0 if none.
    pub last_sr: u32,
    /// DLSR: delay since that SR, in 1/65536 s.
    pub delay_since_last_sr: u32,
}

impl ReportBlock {
    /// The encoded length of one block.
    pub const LEN: usize = 24;
    /// RFC 3550 §6.4.1: the largest cumulative loss the 24-bit field holds.
    pub const MAX_CUMULATIVE_LOST: i32 = 0x7F_FFFF;
    /// RFC 3550 §6.4.1: the most negative cumulative loss the field holds.
    pub const MIN_CUMULATIVE_LOST: i32 = -0x80_0000;

    pub(crate) fn parse(c: &mut Cursor<'_>) -> Option<Self> {
        let ssrc = c.u32()?;
        let fraction_lost = c.u8()?;
        let lost = c.u24()?;
        // RFC 3550 §6.4.1: "cumulative number of packets lost" is a signed 24-bit integer.
        let cumulative_lost = ((lost << 8) as i32) >> 8;
        Some(Self {
            ssrc,
            fraction_lost,
            cumulative_lost,
            extended_highest_seq: c.u32()?,
            jitter: c.u32()?,
            last_sr: c.u32()?,
            delay_since_last_sr: c.u32()?,
        })
    }

    pub(crate) fn write(&self, s: &mut dyn Sink) {
        put_u32(s, self.ssrc);
        put_u8(s, self.fraction_lost);
        // RFC 3550 §A.3: the loss is clamped to what 24 signed bits hold.
        let lost = self
            .cumulative_lost
            .clamp(Self::MIN_CUMULATIVE_LOST, Self::MAX_CUMULATIVE_LOST);
        put_u24(s, (lost as u32) & 0xFF_FFFF);
        put_u32(s, self.extended_highest_seq);
        put_u32(s, self.jitter);
        put_u32(s, self.last_sr);
        put_u32(s, self.delay_since_last_sr);
    }
}

/// RFC 3550 §6.4.1: a sender report.
///
/// Encoding more than 31 report blocks writes this SR with the first 31 and follows it with
/// receiver reports from the same SSRC carrying the rest (RFC 3550 §6.4.2: "additional RR
/// packets can be stacked after the initial SR or RR").
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SenderReport {
    /// SSRC of the sender.
    pub ssrc: u32,
    /// NTP timestamp (64-bit fixed point, seconds since 1900).
    pub ntp_timestamp: u64,
    /// RTP timestamp of the same instant.
    pub rtp_timestamp: u32,
    /// Packets sent since the start.
    pub packet_count: u32,
    /// Payload octets sent since the start.
    pub octet_count: u32,
    /// Reception report blocks.
    pub reports: Vec<ReportBlock>,
    /// Profile-specific extensions, kept raw (a whole number of 32-bit words).
    pub profile_extensions: Vec<u8>,
}

impl SenderReport {
    pub(crate) fn parse_body(count: u8, body: &[u8]) -> Option<Self> {
        let mut c = Cursor::new(body);
        let ssrc = c.u32()?;
        let ntp_timestamp = c.u64()?;
        let rtp_timestamp = c.u32()?;
        let packet_count = c.u32()?;
        let octet_count = c.u32()?;
        let reports = parse_blocks(&mut c, count)?;
        let profile_extensions = parse_extensions(&c)?;
        Some(Self {
            ssrc,
            ntp_timestamp,
            rtp_timestamp,
            packet_count,
            octet_count,
            reports,
            profile_extensions,
        })
    }
}

fn parse_blocks(c: &mut Cursor<'_>, count: u8) -> Option<Vec<ReportBlock>> {
    // The count is at most 31 and each block is checked against the body before it is kept.
    if c.remaining() < usize::from(count) * ReportBlock::LEN {
        return None;
    }
    (0..count).map(|_| ReportBlock::parse(c)).collect()
}

fn parse_extensions(c: &Cursor<'_>) -> Option<Vec<u8>> {
    // RFC 3550 §6.4.1: profile-specific extensions are whole 32-bit words (the padding bit may
    // have left a body that is not).
    (c.remaining().is_multiple_of(4)).then(|| c.rest().to_vec())
}

/// Blocks past the first 31, in groups of 31: the stacked RRs.
fn overflow_groups(reports: &[ReportBlock]) -> impl Iterator<Item = &[ReportBlock]> {
    reports
        .get(MAX_COUNT..)
        .unwrap_or_default()
        .chunks(MAX_COUNT)
}

fn check_report(fixed: usize, reports: &[ReportBlock], ext: &[u8]) -> Result<(), RtcpEncodeError> {
    if !ext.len().is_multiple_of(4) {
        return Err(RtcpEncodeError::Unaligned {
            len_bytes: ext.len(),
        });
    }
    let first = reports.len().min(MAX_COUNT);
    check_len(packet_len(fixed + first * ReportBlock::LEN + ext.len()))
}

fn overflow_len(ssrc_len: usize, reports: &[ReportBlock]) -> usize {
    overflow_groups(reports)
        .map(|g| packet_len(ssrc_len + g.len() * ReportBlock::LEN))
        .sum()
}

fn write_overflow(s: &mut dyn Sink, ssrc: u32, reports: &[ReportBlock]) {
    for group in overflow_groups(reports) {
        put_header(
            s,
            group.len() as u8,
            packet_type::RR,
            packet_len(4 + group.len() * ReportBlock::LEN),
        );
        put_u32(s, ssrc);
        group.iter().for_each(|b| b.write(s));
    }
}

impl Encode for SenderReport {
    fn check(&self) -> Result<(), RtcpEncodeError> {
        check_report(24, &self.reports, &self.profile_extensions)
    }
    fn len(&self) -> usize {
        let first = self.reports.len().min(MAX_COUNT);
        packet_len(24 + first * ReportBlock::LEN + self.profile_extensions.len())
            + overflow_len(4, &self.reports)
    }
    fn write(&self, s: &mut dyn Sink) {
        let first = &self.reports[..self.reports.len().min(MAX_COUNT)];
        let len = packet_len(24 + first.len() * ReportBlock::LEN + self.profile_extensions.len());
        put_header(s, first.len() as u8, packet_type::SR, len);
        put_u32(s, self.ssrc);
        put_u64(s, self.ntp_timestamp);
        put_u32(s, self.rtp_timestamp);
        put_u32(s, self.packet_count);
        put_u32(s, self.octet_count);
        first.iter().for_each(|b| b.write(s));
        s.put(&self.profile_extensions);
        write_overflow(s, self.ssrc, &self.reports);
    }
}
impl_encode_api!(SenderReport);

/// RFC 3550 §6.4.2: a receiver report. More than 31 blocks are written as stacked RRs.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ReceiverReport {
    /// SSRC of the packet's sender.
    pub ssrc: u32,
    /// Reception report blocks.
    pub reports: Vec<ReportBlock>,
    /// Profile-specific extensions, kept raw (a whole number of 32-bit words).
    pub profile_extensions: Vec<u8>,
}

impl ReceiverReport {
    pub(crate) fn parse_body(count: u8, body: &[u8]) -> Option<Self> {
        let mut c = Cursor::new(body);
        let ssrc = c.u32()?;
        let reports = parse_blocks(&mut c, count)?;
        let profile_extensions = parse_extensions(&c)?;
        Some(Self {
            ssrc,
            reports,
            profile_extensions,
        })
    }
}

impl Encode for ReceiverReport {
    fn check(&self) -> Result<(), RtcpEncodeError> {
        check_report(4, &self.reports, &self.profile_extensions)
    }
    fn len(&self) -> usize {
        let first = self.reports.len().min(MAX_COUNT);
        packet_len(4 + first * ReportBlock::LEN + self.profile_extensions.len())
            + overflow_len(4, &self.reports)
    }
    fn write(&self, s: &mut dyn Sink) {
        let first = &self.reports[..self.reports.len().min(MAX_COUNT)];
        let len = packet_len(4 + first.len() * ReportBlock::LEN + self.profile_extensions.len());
        put_header(s, first.len() as u8, packet_type::RR, len);
        put_u32(s, self.ssrc);
        first.iter().for_each(|b| b.write(s));
        s.put(&self.profile_extensions);
        write_overflow(s, self.ssrc, &self.reports);
    }
}
impl_encode_api!(ReceiverReport);
