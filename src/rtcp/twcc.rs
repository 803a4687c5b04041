//! Transport-wide congestion control feedback (draft-holmer-rmcat-transport-wide-cc-extensions-01
//! §3.1): RTPFB FMT 15.
//!
//! The value keeps the chunks as they were on the wire so it re-encodes to the same bytes;
//! [`TransportCc::packets`] lists per-packet status and delta. [`TransportCcBuilder`] builds
//! feedback from arrival times, choosing chunks exactly as libwebrtc's `TransportFeedback`
//! does.

use super::{
    Cursor, Encode, RtcpEncodeError, Sink, check_len, fmt, impl_encode_api, packet_len,
    packet_type, pad4, put_header, put_u8, put_u16, put_u24, put_u32, put_zeros,
};
use std::time::Duration;

/// §3.1.1: a packet status symbol.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum PacketStatus {
    /// 00: not received (not necessarily lost: it may still arrive).
    #[default]
    NotReceived,
    /// 01: received, with an 8-bit unsigned delta.
    SmallDelta,
    /// 10: received, with a 16-bit signed delta.
    LargeDelta,
    /// 11: reserved by §3.1.1, but the examples of §3.1.3 and §3.1.4 use it for "packet
    /// received, w/o recv delta". Read as that (no delta bytes) and kept; never built.
    ReceivedNoDelta,
}

impl PacketStatus {
    fn from_bits(b: u16) -> Self {
        match b & 3 {
            0 => PacketStatus::NotReceived,
            1 => PacketStatus::SmallDelta,
            2 => PacketStatus::LargeDelta,
            _ => PacketStatus::ReceivedNoDelta,
        }
    }
    fn bits(self) -> u16 {
        match self {
            PacketStatus::NotReceived => 0,
            PacketStatus::SmallDelta => 1,
            PacketStatus::LargeDelta => 2,
            PacketStatus::ReceivedNoDelta => 3,
        }
    }
    /// Whether the packet arrived.
    pub fn is_received(self) -> bool {
        self != PacketStatus::NotReceived
    }
    /// §3.1.5: the receive delta bytes that follow for this status.
    pub fn delta_bytes(self) -> usize {
        match self {
            PacketStatus::SmallDelta => 1,
            PacketStatus::LargeDelta => 2,
            PacketStatus::NotReceived | PacketStatus::ReceivedNoDelta => 0,
        }
    }
}

/// §3.1.2: a 16-bit packet status chunk.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StatusChunk {
    /// §3.1.3: `T=0`, one symbol repeated `length` (13 bits) times.
    RunLength {
        /// The repeated status.
        status: PacketStatus,
        /// The run length, at most 8191.
        length: u16,
    },
    /// §3.1.4: `T=1, S=0`, 14 one-bit symbols: `NotReceived` (0) or `SmallDelta` (1).
    ///
    /// §3.1.4's field text says 0 is "received", but its Example 1 and libwebrtc use 1 for
    /// received; this follows them.
    OneBit([PacketStatus; 14]),
    /// §3.1.4: `T=1, S=1`, 7 two-bit symbols.
    TwoBit([PacketStatus; 7]),
}

impl StatusChunk {
    /// The largest run length.
    pub const MAX_RUN_LENGTH: u16 = 0x1FFF;

    /// Decodes a chunk.
    pub fn from_u16(v: u16) -> Self {
        if v & 0x8000 == 0 {
            StatusChunk::RunLength {
                status: PacketStatus::from_bits(v >> 13),
                length: v & 0x1FFF,
            }
        } else if v & 0x4000 == 0 {
            StatusChunk::OneBit(std::array::from_fn(|i| {
                if v >> (13 - i) & 1 == 1 {
                    PacketStatus::SmallDelta
                } else {
                    PacketStatus::NotReceived
                }
            }))
        } else {
            StatusChunk::TwoBit(std::array::from_fn(|i| {
                PacketStatus::from_bits(v >> (2 * (6 - i)))
            }))
        }
    }

    /// Encodes the chunk (a one-bit vector writes any received status as 1).
    pub fn to_u16(&self) -> u16 {
        match self {
            StatusChunk::RunLength { status, length } => status.bits() << 13 | (length & 0x1FFF),
            StatusChunk::OneBit(s) => s.iter().enumerate().fold(0x8000, |acc, (i, st)| {
                acc | u16::from(st.is_received()) << (13 - i)
            }),
            StatusChunk::TwoBit(s) => s
                .iter()
                .enumerate()
                .fold(0xC000, |acc, (i, st)| acc | st.bits() << (2 * (6 - i))),
        }
    }

    /// How many packets the chunk describes.
    pub fn capacity(&self) -> usize {
        match self {
            StatusChunk::RunLength { length, .. } => usize::from(*length),
            StatusChunk::OneBit(_) => 14,
            StatusChunk::TwoBit(_) => 7,
        }
    }

    /// The status of the chunk's `i`-th packet (`i < capacity()`).
    pub fn status(&self, i: usize) -> PacketStatus {
        match self {
            StatusChunk::RunLength { status, .. } => *status,
            StatusChunk::OneBit(s) => s.get(i).copied().unwrap_or_default(),
            StatusChunk::TwoBit(s) => s.get(i).copied().unwrap_or_default(),
        }
    }
}

/// One packet of a feedback, as listed by [`TransportCc::packets`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TwccPacket {
    /// Its transport-wide sequence number.
    pub seq: u16,
    /// Its status.
    pub status: PacketStatus,
    /// §3.1.5: its arrival relative to the previous received packet (the first: to the
    /// reference time), in microseconds; `None` when there is no delta.
    pub delta_us: Option<i32>,
}

/// draft-holmer-rmcat-transport-wide-cc-extensions-01 §3.1: a transport-wide feedback.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TransportCc {
    /// SSRC of the packet sender.
    pub sender_ssrc: u32,
    /// SSRC of the media source (libwebrtc writes the first media SSRC; unused).
    pub media_ssrc: u32,
    /// Transport-wide sequence number of the first packet reported.
    pub base_seq: u16,
    /// How many packets this feedback reports, from `base_seq` on.
    pub status_count: u16,
    /// 24-bit reference time in multiples of 64 ms, wrapping.
    pub reference_time: u32,
    /// Feedback packet counter, wrapping, to detect lost feedback.
    pub fb_pkt_count: u8,
    /// The status chunks: just enough to cover `status_count` packets.
    pub chunks: Vec<StatusChunk>,
    /// §3.1.5: one receive delta per packet whose status carries one, in 250 µs units (a
    /// `SmallDelta` one is in 0..=255).
    pub deltas: Vec<i16>,
}

/// §3.1: the 64 ms unit of the reference time.
const REFERENCE_TICK_US: i64 = 64_000;
/// §3.1.5: the 250 µs unit of receive deltas.
const DELTA_TICK_US: i64 = 250;
/// §3.1: the reference time has 24 bits.
const REFERENCE_WRAP: u32 = 1 << 24;
/// Header (4), SSRCs (8), base seq, count, reference time, fb count (8).
const FIXED_LEN: usize = 20;

impl TransportCc {
    /// The statuses of the `status_count` packets, in order.
    pub fn statuses(&self) -> impl Iterator<Item = PacketStatus> + '_ {
        self.chunks
            .iter()
            .flat_map(|c| (0..c.capacity()).map(move |i| c.status(i)))
            .take(usize::from(self.status_count))
    }

    /// Every reported packet: sequence number, status and delta.
    pub fn packets(&self) -> impl Iterator<Item = TwccPacket> + '_ {
        let mut deltas = self.deltas.iter();
        self.statuses().enumerate().map(move |(i, status)| {
            let delta_us = if status.delta_bytes() > 0 {
                deltas.next().map(|&d| i32::from(d) * DELTA_TICK_US as i32)
            } else {
                None
            };
            TwccPacket {
                seq: self.base_seq.wrapping_add(i as u16),
                status,
                delta_us,
            }
        })
    }

    /// The reference time in microseconds (of the sender's unknown time base, wrapping every
    /// 2^24 × 64 ms).
    pub fn reference_time_us(&self) -> i64 {
        i64::from(self.reference_time & (REFERENCE_WRAP - 1)) * REFERENCE_TICK_US
    }

    /// The time from `earlier`'s reference time to this one's, across the 24-bit wrap (the
    /// shorter way round).
    pub fn reference_delta_us(&self, earlier: &TransportCc) -> i64 {
        let d = self.reference_time.wrapping_sub(earlier.reference_time) & (REFERENCE_WRAP - 1);
        let d = if d >= REFERENCE_WRAP / 2 {
            i64::from(d) - i64::from(REFERENCE_WRAP)
        } else {
            i64::from(d)
        };
        d * REFERENCE_TICK_US
    }

    pub(crate) fn parse_body(body: &[u8]) -> Option<Self> {
        let mut c = Cursor::new(body);
        let sender_ssrc = c.u32()?;
        let media_ssrc = c.u32()?;
        let base_seq = c.u16()?;
        let status_count = c.u16()?;
        let reference_time = c.u24()?;
        let fb_pkt_count = c.u8()?;
        let count = usize::from(status_count);
        // §3.1: chunks until every reported packet has a status. Each chunk is two bytes of
        // the body, so the list is bounded by it.
        let mut chunks = Vec::new();
        let mut covered = 0usize;
        while covered < count {
            let chunk = StatusChunk::from_u16(c.u16()?);
            covered += chunk.capacity();
            chunks.push(chunk);
        }
        let mut tc = Self {
            sender_ssrc,
            media_ssrc,
            base_seq,
            status_count,
            reference_time,
            fb_pkt_count,
            chunks,
            deltas: Vec::new(),
        };
        // §3.1.5: a delta for each status that carries one; what follows is zero padding.
        let mut deltas = Vec::with_capacity(count.min(c.remaining()));
        for status in tc.statuses() {
            match status {
                PacketStatus::SmallDelta => deltas.push(i16::from(c.u8()?)),
                PacketStatus::LargeDelta => deltas.push(c.u16()? as i16),
                PacketStatus::NotReceived | PacketStatus::ReceivedNoDelta => {}
            }
        }
        tc.deltas = deltas;
        Some(tc)
    }

    fn body_len(&self) -> usize {
        let delta_bytes: usize = self.statuses().map(PacketStatus::delta_bytes).sum();
        16 + 2 * self.chunks.len() + delta_bytes
    }
}

impl Encode for TransportCc {
    fn check(&self) -> Result<(), RtcpEncodeError> {
        let count = usize::from(self.status_count);
        let total: usize = self.chunks.iter().map(StatusChunk::capacity).sum();
        let last = self.chunks.last().map_or(0, StatusChunk::capacity);
        // Canonical: the chunks cover the count, and the last one is needed.
        if total < count || (!self.chunks.is_empty() && total - last >= count) {
            return Err(RtcpEncodeError::Inconsistent {
                field: "transport-cc chunks must just cover status_count",
            });
        }
        for ch in &self.chunks {
            let ok = match ch {
                StatusChunk::RunLength { length, .. } => *length <= StatusChunk::MAX_RUN_LENGTH,
                StatusChunk::OneBit(s) => s
                    .iter()
                    .all(|st| matches!(st, PacketStatus::NotReceived | PacketStatus::SmallDelta)),
                StatusChunk::TwoBit(_) => true,
            };
            if !ok {
                return Err(RtcpEncodeError::Inconsistent {
                    field: "transport-cc chunk",
                });
            }
        }
        let mut deltas = self.deltas.iter();
        for st in self.statuses() {
            let ok = match st {
                PacketStatus::SmallDelta => deltas.next().is_some_and(|d| (0..=255).contains(d)),
                PacketStatus::LargeDelta => deltas.next().is_some(),
                _ => true,
            };
            if !ok {
                return Err(RtcpEncodeError::Inconsistent {
                    field: "transport-cc deltas do not match the statuses",
                });
            }
        }
        if deltas.next().is_some() {
            return Err(RtcpEncodeError::Inconsistent {
                field: "transport-cc has more deltas than statuses",
            });
        }
        if self.reference_time >= REFERENCE_WRAP {
            return Err(RtcpEncodeError::Inconsistent {
                field: "transport-cc reference time has 24 bits",
            });
        }
        check_len(self.len())
    }
    fn len(&self) -> usize {
        packet_len(self.body_len())
    }
    fn write(&self, s: &mut dyn Sink) {
        put_header(s, fmt::TWCC, packet_type::RTPFB, self.len());
        put_u32(s, self.sender_ssrc);
        put_u32(s, self.media_ssrc);
        put_u16(s, self.base_seq);
        put_u16(s, self.status_count);
        put_u24(s, self.reference_time);
        put_u8(s, self.fb_pkt_count);
        self.chunks.iter().for_each(|c| put_u16(s, c.to_u16()));
        let mut deltas = self.deltas.iter();
        for st in self.statuses() {
            match st {
                PacketStatus::SmallDelta => put_u8(s, deltas.next().map_or(0, |&d| d as u8)),
                PacketStatus::LargeDelta => put_u16(s, deltas.next().map_or(0, |&d| d as u16)),
                _ => {}
            }
        }
        // §3.1: zero padding to the 32-bit boundary (not the RTCP padding bit).
        let body = self.body_len();
        put_zeros(s, pad4(body) - body);
    }
}
impl_encode_api!(TransportCc);

/// libwebrtc's `TransportFeedback::LastChunk`: the symbols not yet written as a chunk.
#[derive(Debug, Clone, Copy)]
struct LastChunk {
    statuses: [PacketStatus; 14],
    size: usize,
    all_same: bool,
    has_large: bool,
}

impl LastChunk {
    const ONE_BIT: usize = 14;
    const TWO_BIT: usize = 7;

    fn new() -> Self {
        Self {
            statuses: [PacketStatus::NotReceived; 14],
            size: 0,
            all_same: true,
            has_large: false,
        }
    }
    fn can_add(&self, st: PacketStatus) -> bool {
        self.size < Self::TWO_BIT
            || (self.size < Self::ONE_BIT && !self.has_large && st != PacketStatus::LargeDelta)
            || (self.size < usize::from(StatusChunk::MAX_RUN_LENGTH)
                && self.all_same
                && self.statuses[0] == st)
    }
    fn add(&mut self, st: PacketStatus) {
        if let Some(slot) = self.statuses.get_mut(self.size) {
            *slot = st;
        }
        self.size += 1;
        self.all_same = self.all_same && st == self.statuses[0];
        self.has_large = self.has_large || st == PacketStatus::LargeDelta;
    }
    fn run(&self) -> StatusChunk {
        StatusChunk::RunLength {
            status: self.statuses[0],
            // A run is emitted before it passes 8191 (`can_add`).
            length: self.size as u16,
        }
    }
    fn one_bit(&self) -> StatusChunk {
        let mut s = [PacketStatus::NotReceived; 14];
        s[..self.size.min(14)].copy_from_slice(&self.statuses[..self.size.min(14)]);
        StatusChunk::OneBit(s)
    }
    fn two_bit(&self, n: usize) -> StatusChunk {
        let mut s = [PacketStatus::NotReceived; 7];
        s[..n].copy_from_slice(&self.statuses[..n]);
        StatusChunk::TwoBit(s)
    }
    /// A full chunk, when the next symbol does not fit (`LastChunk::Emit`).
    fn emit(&mut self) -> StatusChunk {
        if self.all_same {
            let c = self.run();
            *self = Self::new();
            return c;
        }
        if self.size == Self::ONE_BIT {
            let c = self.one_bit();
            *self = Self::new();
            return c;
        }
        // Seven two-bit symbols out; the rest stay.
        let c = self.two_bit(Self::TWO_BIT);
        let (all, size) = (self.statuses, self.size.min(Self::ONE_BIT));
        *self = Self::new();
        all[Self::TWO_BIT..size].iter().for_each(|&st| self.add(st));
        c
    }
    /// The chunk for what is left at the end (`LastChunk::EncodeLast`).
    fn encode_last(&self) -> StatusChunk {
        if self.all_same {
            self.run()
        } else if self.size <= Self::TWO_BIT {
            self.two_bit(self.size)
        } else {
            self.one_bit()
        }
    }
}

/// Builds transport-wide feedback from arrival times as libwebrtc's `TransportFeedback` does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TransportCcBuilder {
    /// SSRC of the packet sender.
    pub sender_ssrc: u32,
    /// SSRC of the media source.
    pub media_ssrc: u32,
    /// The feedback packet counter to write.
    pub fb_pkt_count: u8,
    /// The largest packet to build, in bytes (header and padding included).
    pub max_len_bytes: usize,
}

impl TransportCcBuilder {
    /// A builder with a 1200-byte limit.
    pub fn new(sender_ssrc: u32, media_ssrc: u32, fb_pkt_count: u8) -> Self {
        Self {
            sender_ssrc,
            media_ssrc,
            fb_pkt_count,
            max_len_bytes: 1200,
        }
    }

    /// Builds one feedback from `packets`: (transport-wide sequence number, arrival time since
    /// the receiver's own epoch, `None` if not received), in increasing sequence order (gaps
    /// are reported as not received).
    ///
    /// Returns the feedback and how many entries it covers: `packets[n..]` did not fit (the
    /// size limit, a delta beyond ±8191.75 ms, or a sequence number not newer than the
    /// previous one) and go into the next feedback. The reference time is the first received
    /// packet's arrival rounded down to 64 ms; deltas are rounded to the nearest 250 µs and
    /// accumulate from the rounded time, so rounding errors do not add up.
    pub fn build(&self, packets: &[(u16, Option<Duration>)]) -> (TransportCc, usize) {
        let mut tc = TransportCc {
            sender_ssrc: self.sender_ssrc,
            media_ssrc: self.media_ssrc,
            fb_pkt_count: self.fb_pkt_count,
            base_seq: packets.first().map_or(0, |p| p.0),
            ..TransportCc::default()
        };
        let mut last = LastChunk::new();
        let mut count = 0usize;
        let mut delta_bytes = 0usize;
        let mut last_time_us: Option<i64> = None;
        let mut taken = 0;
        for &(seq, arrival) in packets {
            let snapshot = (
                last,
                tc.chunks.len(),
                tc.deltas.len(),
                count,
                tc.reference_time,
            );
            let ok = self.add(
                &mut tc,
                &mut last,
                &mut count,
                &mut delta_bytes,
                &mut last_time_us,
                seq,
                arrival,
            );
            if !ok {
                // Undo the partial entry (its gap) and stop: the rest goes in the next feedback.
                (last, _, _, count, tc.reference_time) = snapshot;
                tc.chunks.truncate(snapshot.1);
                tc.deltas.truncate(snapshot.2);
                break;
            }
            taken += 1;
        }
        if last.size > 0 {
            tc.chunks.push(last.encode_last());
        }
        // At most 0xFFFF: `add` refuses more.
        tc.status_count = count as u16;
        (tc, taken)
    }

    #[allow(
        clippy::too_many_arguments,
        reason = "the builder's running state, kept local"
    )]
    fn add(
        &self,
        tc: &mut TransportCc,
        last: &mut LastChunk,
        count: &mut usize,
        delta_bytes: &mut usize,
        last_time_us: &mut Option<i64>,
        seq: u16,
        arrival: Option<Duration>,
    ) -> bool {
        // Missing sequence numbers before this one are "not received" (libwebrtc's
        // AddMissingPackets); an older or repeated number cannot be reported here.
        if *count > 0 {
            let next = tc.base_seq.wrapping_add(*count as u16);
            let gap = seq.wrapping_sub(next);
            if gap >= 0x8000 {
                return false;
            }
            for _ in 0..gap {
                if !self.add_status(tc, last, count, delta_bytes, PacketStatus::NotReceived) {
                    return false;
                }
            }
        }
        let Some(arrival) = arrival else {
            return self.add_status(tc, last, count, delta_bytes, PacketStatus::NotReceived);
        };
        let t = i64::try_from(arrival.as_micros()).unwrap_or(i64::MAX);
        let base = match *last_time_us {
            Some(b) => b,
            None => {
                // §3.1: the reference time, in 64 ms units, 24 bits wrapping.
                let ticks = t / REFERENCE_TICK_US;
                tc.reference_time = (ticks % i64::from(REFERENCE_WRAP)) as u32;
                ticks * REFERENCE_TICK_US
            }
        };
        // §3.1.5: deltas in 250 µs, rounded to nearest (half away from zero, as libwebrtc).
        let d = t - base;
        let ticks = if d >= 0 {
            (d + DELTA_TICK_US / 2) / DELTA_TICK_US
        } else {
            (d - DELTA_TICK_US / 2) / DELTA_TICK_US
        };
        let Ok(delta) = i16::try_from(ticks) else {
            return false;
        };
        let status = if (0..=255).contains(&delta) {
            PacketStatus::SmallDelta
        } else {
            PacketStatus::LargeDelta
        };
        if !self.add_status(tc, last, count, delta_bytes, status) {
            return false;
        }
        tc.deltas.push(delta);
        *last_time_us = Some(base + i64::from(delta) * DELTA_TICK_US);
        true
    }

    fn add_status(
        &self,
        tc: &mut TransportCc,
        last: &mut LastChunk,
        count: &mut usize,
        delta_bytes: &mut usize,
        status: PacketStatus,
    ) -> bool {
        if *count >= usize::from(u16::MAX) {
            return false;
        }
        let mut next = *last;
        let mut emitted = None;
        if !next.can_add(status) {
            emitted = Some(next.emit());
        }
        next.add(status);
        let chunks = tc.chunks.len() + usize::from(emitted.is_some()) + 1;
        let bytes = *delta_bytes + status.delta_bytes();
        if packet_len(FIXED_LEN - 4 + 2 * chunks + bytes) > self.max_len_bytes {
            return false;
        }
        tc.chunks.extend(emitted);
        *last = next;
        *count += 1;
        *delta_bytes = bytes;
        true
    }
}
