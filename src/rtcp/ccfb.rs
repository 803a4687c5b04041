//! RTP Control Protocol (RTCP) Feedback for Congestion Control (RFC 8888 §3.1): RTPFB FMT 11.

use super::{
    Cursor, Encode, RtcpEncodeError, Sink, check_len, fmt, impl_encode_api, packet_len,
    packet_type, put_header, put_u16, put_u32,
};
use std::time::Duration;

/// The ECN codepoint of a received packet (RFC 3168 §5), as RFC 8888 §3.1 reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Ecn {
    /// 00: not ECN-capable transport.
    #[default]
    NotEct,
    /// 01: ECT(1).
    Ect1,
    /// 10: ECT(0).
    Ect0,
    /// 11: congestion experienced.
    Ce,
}

impl Ecn {
    fn from_bits(b: u16) -> Self {
        match b & 3 {
            0 => Ecn::NotEct,
            1 => Ecn::Ect1,
            2 => Ecn::Ect0,
            _ => Ecn::Ce,
        }
    }
    fn bits(self) -> u16 {
        match self {
            Ecn::NotEct => 0,
            Ecn::Ect1 => 1,
            Ecn::Ect0 => 2,
            Ecn::Ce => 3,
        }
    }
}

/// RFC 8888 §3.1: one packet's report (`R|ECN|ATO`, 16 bits).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct CcfbReport {
    /// R: the packet arrived. When false, `ecn` and `arrival_time_offset` are zero (RFC 8888
    /// §3.1 has them set to 0; a received report with other bits is read as zeros).
    pub received: bool,
    /// The ECN marking it arrived with.
    pub ecn: Ecn,
    /// ATO: 13 bits, how long before the report timestamp it arrived, in 1/1024 s;
    /// [`CcfbReport::ATO_OVER_RANGE`] and [`CcfbReport::ATO_UNAVAILABLE`] are special.
    pub arrival_time_offset: u16,
}

impl CcfbReport {
    /// RFC 8888 §3.1: the measurement is larger than 0x1FFD/1024 s.
    pub const ATO_OVER_RANGE: u16 = 0x1FFE;
    /// RFC 8888 §3.1: unavailable, or the packet arrived after the report timestamp.
    pub const ATO_UNAVAILABLE: u16 = 0x1FFF;

    /// A lost (not yet received) packet.
    pub const LOST: CcfbReport = CcfbReport {
        received: false,
        ecn: Ecn::NotEct,
        arrival_time_offset: 0,
    };

    /// A received packet that arrived `offset` before the report timestamp (`None`: the time
    /// is unknown or after the report timestamp). The offset is rounded to the nearest
    /// 1/1024 s; past 0x1FFD it is reported as over range.
    pub fn received(ecn: Ecn, offset: Option<Duration>) -> Self {
        let arrival_time_offset = match offset {
            None => Self::ATO_UNAVAILABLE,
            Some(d) => {
                let ticks = (d.as_micros() * 1024 + 500_000) / 1_000_000;
                // RFC 8888 §3.1: "greater than 8189/1024 seconds ... 0x1FFE".
                u16::try_from(ticks)
                    .ok()
                    .filter(|&t| t < Self::ATO_OVER_RANGE)
                    .unwrap_or(Self::ATO_OVER_RANGE)
            }
        };
        Self {
            received: true,
            ecn,
            arrival_time_offset,
        }
    }

    /// The arrival time before the report timestamp, if received and within range.
    pub fn offset(&self) -> Option<Duration> {
        (self.received && self.arrival_time_offset < Self::ATO_OVER_RANGE).then(|| {
            Duration::from_nanos(u64::from(self.arrival_time_offset) * 1_000_000_000 / 1024)
        })
    }

    fn from_u16(v: u16) -> Self {
        if v & 0x8000 == 0 {
            return Self::LOST;
        }
        Self {
            received: true,
            ecn: Ecn::from_bits(v >> 13),
            arrival_time_offset: v & 0x1FFF,
        }
    }
    fn to_u16(self) -> u16 {
        if !self.received {
            return 0;
        }
        0x8000 | self.ecn.bits() << 13 | (self.arrival_time_offset & 0x1FFF)
    }
}

/// RFC 8888 §3.1: the reports on one RTP stream, for consecutive sequence numbers.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CcfbBlock {
    /// SSRC of the stream.
    pub ssrc: u32,
    /// The sequence number of the first report.
    pub begin_seq: u16,
    /// One report per sequence number from `begin_seq` (at most 16384).
    pub reports: Vec<CcfbReport>,
}

impl CcfbBlock {
    /// RFC 8888 §3.1: a block reports on at most 16384 packets.
    pub const MAX_REPORTS: usize = 16384;

    fn encoded_len(&self) -> usize {
        // RFC 8888 §3.1: an odd number of reports is followed by 16 bits of zero padding.
        8 + 2 * (self.reports.len() + self.reports.len() % 2)
    }
}

/// RFC 8888 §3.1: a congestion control feedback packet.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CongestionControlFeedback {
    /// SSRC of the packet sender.
    pub sender_ssrc: u32,
    /// One block per reported stream.
    pub blocks: Vec<CcfbBlock>,
    /// The middle 32 bits of the NTP time the report was made (RFC 8888 §3.1).
    pub report_timestamp: u32,
}

impl CongestionControlFeedback {
    pub(crate) fn parse_body(body: &[u8]) -> Option<Self> {
        let mut c = Cursor::new(body);
        let sender_ssrc = c.u32()?;
        // The report timestamp is the last word; blocks fill what is between.
        let blocks_len = c.remaining().checked_sub(4)?;
        let mut b = Cursor::new(c.take(blocks_len)?);
        let report_timestamp = c.u32()?;
        let mut blocks = Vec::new();
        while b.remaining() > 0 {
            let ssrc = b.u32()?;
            let begin_seq = b.u16()?;
            let num = usize::from(b.u16()?);
            if num > CcfbBlock::MAX_REPORTS || b.remaining() < 2 * (num + num % 2) {
                return None;
            }
            let reports = (0..num)
                .map(|_| b.u16().map(CcfbReport::from_u16))
                .collect::<Option<Vec<_>>>()?;
            if num % 2 == 1 {
                b.u16()?;
            }
            blocks.push(CcfbBlock {
                ssrc,
                begin_seq,
                reports,
            });
        }
        Some(Self {
            sender_ssrc,
            blocks,
            report_timestamp,
        })
    }

    fn body_len(&self) -> usize {
        8 + self
            .blocks
            .iter()
            .map(CcfbBlock::encoded_len)
            .sum::<usize>()
    }
}

impl Encode for CongestionControlFeedback {
    fn check(&self) -> Result<(), RtcpEncodeError> {
        if self
            .blocks
            .iter()
            .any(|b| b.reports.len() > CcfbBlock::MAX_REPORTS)
        {
            return Err(RtcpEncodeError::TooManyItems {
                max: CcfbBlock::MAX_REPORTS,
            });
        }
        check_len(self.len())
    }
    fn len(&self) -> usize {
        packet_len(self.body_len())
    }
    fn write(&self, s: &mut dyn Sink) {
        put_header(s, fmt::CCFB, packet_type::RTPFB, self.len());
        put_u32(s, self.sender_ssrc);
        for b in &self.blocks {
            put_u32(s, b.ssrc);
            put_u16(s, b.begin_seq);
            put_u16(s, b.reports.len() as u16);
            b.reports.iter().for_each(|r| put_u16(s, r.to_u16()));
            if b.reports.len() % 2 == 1 {
                put_u16(s, 0);
            }
        }
        put_u32(s, self.report_timestamp);
    }
}
impl_encode_api!(CongestionControlFeedback);
