//! RFC 3550 statistics and reports: what a receiver measures about each remote SSRC, what a
//! sender says about each of ours, the round-trip time the two give together, and when the next
//! compound RTCP packet is due.
//!
//! - [`NtpClock`]: `Instant` → 64-bit NTP timestamps and the 32-bit compact form (RFC 3550 §4).
//! - [`InboundStream`]: one remote SSRC's receive statistics: RFC 3550 §A.1 sequence
//!   validation (`MAX_DROPOUT` / `MAX_MISORDER` resync), §A.3 loss, §A.8 interarrival jitter,
//!   the LSR / DLSR of §6.4.1, and the counters of W3C `inbound-rtp` / `remote-outbound-rtp`.
//! - [`OutboundStream`]: one of our SSRCs: the sender report of §6.4.1 and the round-trip time
//!   from the report blocks that answer it, with the counters of W3C `outbound-rtp` /
//!   `remote-inbound-rtp`.
//! - [`RtcpSchedule`]: when a regular compound packet is due (RFC 3550 §6.2, §6.3, §A.7; RFC 4585
//!   §3.4, §3.5 for AVPF; RFC 8108 §5 for several SSRCs in one session) and whether an early
//!   feedback packet may go out (RFC 4585 §3.5.2).
//!
//! Nothing here reads a clock or draws a random number: time comes in as `now`, the random
//! factor of the report interval as a `draw` the caller took from its seeded stream.

use std::time::{Duration, Instant};

use crate::rtcp::{ReportBlock, SenderReport};
use crate::rtp::{MAX_DROPOUT, MAX_MISORDER, duration_to_ticks, ticks_to_duration};

const NANOS_PER_SEC: u64 = 1_000_000_000;

// ---------------------------------------------------------------------------------------------
// NTP time
// ---------------------------------------------------------------------------------------------

/// Maps `Instant`s to 64-bit NTP timestamps (RFC 3550 §4: seconds since 1 January 1900 in the
/// high 32 bits, the fraction of a second in the low 32) from one base pair `(Instant, NTP)`.
///
/// The peer chooses the base: the application's wall clock when it gives one
/// ([`NtpClock::from_unix`]), otherwise a fixed value ([`NtpClock::fixed`]). Receivers use the
/// NTP timestamp only relative to itself (round-trip time, synchronising the streams of one
/// sender), so a fixed base keeps a seeded run reproducible without harming either. Like NTP,
/// the seconds wrap modulo 2^32 (the era boundary of 2036).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NtpClock {
    base: Instant,
    base_ntp: u64,
}

impl NtpClock {
    /// Seconds from the NTP epoch (1900-01-01) to the Unix epoch (1970-01-01).
    pub const UNIX_EPOCH_SECS: u64 = 2_208_988_800;

    /// The NTP time a fixed clock gives its base instant: 2000-01-01 00:00:00 UTC. Any value
    /// does; this one is plausible to a reader of a capture, and its middle 32 bits are not 0
    /// (which RFC 3550 §6.4.1 reserves for "no SR received").
    pub const FIXED_BASE_NTP: u64 = 3_155_673_600 << 32;

    /// A clock that reads `base_ntp` at `base`.
    pub fn new(base: Instant, base_ntp: u64) -> Self {
        NtpClock { base, base_ntp }
    }

    /// A clock from a wall-clock reading: at `base` it was `since_unix_epoch` after
    /// 1970-01-01 00:00:00 UTC.
    pub fn from_unix(base: Instant, since_unix_epoch: Duration) -> Self {
        let epoch = Self::UNIX_EPOCH_SECS << 32;
        NtpClock::new(
            base,
            epoch.wrapping_add(Self::duration_to_ntp(since_unix_epoch)),
        )
    }

    /// A clock with no wall time behind it: [`Self::FIXED_BASE_NTP`] at `base`.
    pub fn fixed(base: Instant) -> Self {
        NtpClock::new(base, Self::FIXED_BASE_NTP)
    }

    /// The 64-bit NTP timestamp of `now` (wrapping modulo 2^32 seconds, as NTP does). An
    /// instant before the base reads before the base NTP time.
    pub fn ntp(&self, now: Instant) -> u64 {
        match now.checked_duration_since(self.base) {
            Some(after) => self.base_ntp.wrapping_add(Self::duration_to_ntp(after)),
            None => self.base_ntp.wrapping_sub(Self::duration_to_ntp(
                self.base.saturating_duration_since(now),
            )),
        }
    }

    /// The compact (middle 32 bits) NTP timestamp of `now`: the unit of LSR and of the arrival
    /// time A in RFC 3550 §6.4.1's round-trip computation.
    pub fn compact(&self, now: Instant) -> u32 {
        Self::middle32(self.ntp(now))
    }

    /// RFC 3550 §4: the middle 32 bits of a 64-bit NTP timestamp (16 bits of seconds, 16 of
    /// fraction), in 1/65536 s.
    pub fn middle32(ntp: u64) -> u32 {
        (ntp >> 16) as u32
    }

    /// A duration in 64-bit NTP units (32.32 fixed point seconds, rounded to the nearest
    /// fraction; the seconds wrap modulo 2^32).
    pub fn duration_to_ntp(d: Duration) -> u64 {
        let secs = d.as_secs().wrapping_shl(32);
        let nanos = u64::from(d.subsec_nanos());
        // nanos < 10^9, so nanos · 2^32 < 2^62 and the rounded fraction stays below 2^32.
        let frac = ((nanos << 32) + NANOS_PER_SEC / 2) / NANOS_PER_SEC;
        secs.wrapping_add(frac)
    }

    /// A compact NTP duration (1/65536 s units, as DLSR and round-trip times are) as a
    /// `Duration`, rounded to the nearest nanosecond.
    pub fn compact_to_duration(units: u32) -> Duration {
        let secs = u64::from(units >> 16);
        let frac = u64::from(units & 0xFFFF);
        // frac ≤ 65535, so the rounded result stays below 10^9.
        let nanos = (frac * NANOS_PER_SEC + (1 << 15)) >> 16;
        Duration::new(secs, nanos as u32)
    }

    /// A duration in compact NTP units (1/65536 s), rounded to the nearest unit and saturating
    /// at `u32::MAX` (18.2 hours).
    pub fn duration_to_compact(d: Duration) -> u32 {
        let Ok(secs) = u32::try_from(d.as_secs()) else {
            return u32::MAX;
        };
        if secs > 0xFFFF {
            return u32::MAX;
        }
        let frac = (u64::from(d.subsec_nanos()) * 65536 + NANOS_PER_SEC / 2) / NANOS_PER_SEC;
        (secs << 16).saturating_add(frac as u32)
    }
}

// ---------------------------------------------------------------------------------------------
// Receive statistics
// ---------------------------------------------------------------------------------------------

/// What [`InboundStream::on_packet`] made of a packet's sequence number (RFC 3550 §A.1).
///
/// Extended sequence numbers carry the wrap count above the 16 bits. They are `i64` because a
/// packet reordered from before the first one received, across a wrap, sits below zero (the
/// same convention as [`crate::rtp::SeqExtender`]). A [`PacketOutcome::Restart`] starts a
/// new numbering (RFC 3550 §A.1 `init_seq`): its numbers do not continue the old ones.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PacketOutcome {
    /// The highest number so far: the first packet, the next one in order, or one after a gap
    /// of fewer than `MAX_DROPOUT` (the packets in the gap are lost, or late).
    New {
        /// The packet's extended sequence number.
        extended_seq: i64,
    },
    /// Behind the highest number by less than `MAX_MISORDER`, and not seen before: reordered
    /// on the way, or retransmitted.
    Late {
        /// The packet's extended sequence number.
        extended_seq: i64,
    },
    /// A number received before (remembered for the last 128 numbers). RFC 3550 §6.4.1 counts
    /// it as received, so the cumulative loss can go negative.
    Duplicate {
        /// The packet's extended sequence number.
        extended_seq: i64,
    },
    /// A jump of `MAX_DROPOUT` or more ahead, or of more than `MAX_MISORDER` back: not counted.
    /// If the next packet follows this one, the sender restarted its numbering there.
    Jump,
    /// The packet after a [`PacketOutcome::Jump`] followed it: the sender restarted, and the
    /// statistics go on from this packet (RFC 3550 §A.1).
    Restart {
        /// The packet's extended sequence number in the new numbering.
        extended_seq: i64,
    },
}

impl PacketOutcome {
    /// The packet's extended sequence number, unless it was a [`PacketOutcome::Jump`].
    pub fn extended_seq(&self) -> Option<i64> {
        match *self {
            Self::New { extended_seq }
            | Self::Late { extended_seq }
            | Self::Duplicate { extended_seq }
            | Self::Restart { extended_seq } => Some(extended_seq),
            Self::Jump => None,
        }
    }

    /// Whether the packet counts as received (everything but a [`PacketOutcome::Jump`]).
    pub fn is_counted(&self) -> bool {
        !matches!(self, Self::Jump)
    }
}

/// RFC 3550 §A.1 sequence state of the current numbering (since the first packet or the last
/// restart).
#[derive(Debug, Clone, Copy)]
struct SeqState {
    /// The extended number of the first packet of this numbering (A.1 `base_seq`).
    base: i64,
    /// The highest extended number (A.1 `cycles` + `max_seq`).
    max: i64,
    /// A.1 `bad_seq`: the number that would confirm a restart after a jump.
    bad_seq: Option<u16>,
    /// Which of the 128 numbers up to `max` were received: bit `i` is `max - i`.
    seen: u128,
}

impl SeqState {
    fn new(seq: u16) -> Self {
        SeqState {
            base: i64::from(seq),
            max: i64::from(seq),
            bad_seq: None,
            seen: 1,
        }
    }

    fn max_seq(&self) -> u16 {
        self.max as u16
    }

    /// Packets expected in this numbering (RFC 3550 §A.3: `extended_max - base_seq + 1`).
    fn expected(&self) -> u64 {
        (self.max - self.base + 1).max(0) as u64
    }
}

/// The last sender report received from the remote, for LSR / DLSR (RFC 3550 §6.4.1) and W3C
/// `remote-outbound-rtp`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RemoteOutboundRtpStats {
    /// The SR's NTP timestamp (W3C `remoteTimestamp`, in the sender's NTP time).
    pub ntp_timestamp: u64,
    /// The SR's RTP timestamp, the same instant as `ntp_timestamp` on the media clock.
    pub rtp_timestamp: u32,
    /// The sender's packet count (W3C `packetsSent`; RFC 3550 wraps it at 2^32).
    pub packets_sent: u32,
    /// The sender's payload octet count (W3C `bytesSent`; wraps at 2^32).
    pub bytes_sent: u32,
    /// When that SR arrived.
    pub received_at: Instant,
    /// Sender reports received from this SSRC (W3C `reportsSent`).
    pub reports_sent: u64,
}

/// Receive counters of one remote SSRC: W3C `inbound-rtp`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InboundRtpStats {
    /// The remote SSRC.
    pub ssrc: u32,
    /// Packets counted as received (W3C `packetsReceived`), duplicates included as RFC 3550
    /// §6.4.1 counts them; jumps not yet confirmed as a restart are not.
    pub packets_received: u64,
    /// Payload bytes of those packets (W3C `bytesReceived`, RFC 3550 §6.4.1 octets).
    pub bytes_received: u64,
    /// Expected minus received since the first packet (W3C `packetsLost`; negative when
    /// duplicates outnumber losses).
    pub packets_lost: i64,
    /// Packets that repeated a number received shortly before (diagnostic; W3C has no field).
    pub packets_duplicated: u64,
    /// Interarrival jitter (W3C `jitter`, RFC 3550 §6.4.1 / §A.8).
    pub jitter: Duration,
    /// Arrival of the last counted packet (W3C `lastPacketReceivedTimestamp`).
    pub last_packet_received: Option<Instant>,
}

/// Receive statistics of one remote SSRC (RFC 3550 §6.4.1, Appendix A.1, A.3, A.8), the report
/// block that carries them, and the counters of W3C `inbound-rtp` / `remote-outbound-rtp`.
///
/// Feed it every RTP packet that arrives on this SSRC, after SRTP authenticated it, with its
/// arrival time; a packet repaired from RTX belongs to the RTX stream's statistics, not here.
#[derive(Debug, Clone)]
pub struct InboundStream {
    ssrc: u32,
    clock_rate: u32,
    seq: Option<SeqState>,
    /// Expected packets of numberings before the last restart, so the cumulative loss runs
    /// "since the beginning of reception" (RFC 3550 §6.4.1) across restarts.
    expected_before: u64,
    /// Packets counted as received (RFC 3550 §A.3 `received`, duplicates included).
    received: u64,
    /// RFC 3550 §A.3 `expected_prior` / `received_prior`: the totals at the last report.
    expected_prior: u64,
    received_prior: u64,
    /// RFC 3550 §A.8: the last packet's relative transit time, in timestamp units (wrapping).
    transit: Option<u32>,
    /// RFC 3550 §A.8: the jitter estimate in timestamp units.
    jitter: f64,
    /// The arrival the media-clock arrival times are measured from (the first packet's).
    arrival_origin: Option<Instant>,
    last_sr: Option<RemoteOutboundRtpStats>,
    sender_reports: u64,
    bytes_received: u64,
    duplicates: u64,
    last_packet_at: Option<Instant>,
    received_since_report: bool,
}

impl InboundStream {
    /// Statistics for the remote `ssrc`, whose RTP timestamps run at `clock_rate` Hz.
    pub fn new(ssrc: u32, clock_rate: u32) -> Self {
        InboundStream {
            ssrc,
            clock_rate,
            seq: None,
            expected_before: 0,
            received: 0,
            expected_prior: 0,
            received_prior: 0,
            transit: None,
            jitter: 0.0,
            arrival_origin: None,
            last_sr: None,
            sender_reports: 0,
            bytes_received: 0,
            duplicates: 0,
            last_packet_at: None,
            received_since_report: false,
        }
    }

    /// The remote SSRC.
    pub fn ssrc(&self) -> u32 {
        self.ssrc
    }

    /// The media clock rate in Hz.
    pub fn clock_rate(&self) -> u32 {
        self.clock_rate
    }

    /// Takes one arriving RTP packet: `seq` and `rtp_timestamp` from its header, `bytes` its
    /// payload length (RFC 3550 §6.4.1 counts payload octets).
    ///
    /// DEVIATION(RFC 3550 §A.1): no probation. The RFC holds a new source back until
    /// `MIN_SEQUENTIAL` packets arrive in sequence, to keep stray packets from becoming
    /// sources; here SRTP has authenticated every packet and the SSRC table admitted the
    /// stream, and probation would only drop the first packet from the statistics (libwebrtc
    /// does not hold back either). The resync of A.1 (a jump confirmed by the packet after it)
    /// is kept.
    pub fn on_packet(
        &mut self,
        now: Instant,
        seq: u16,
        rtp_timestamp: u32,
        bytes: usize,
    ) -> PacketOutcome {
        let outcome = self.update_seq(seq);
        if !outcome.is_counted() {
            return outcome;
        }
        if matches!(outcome, PacketOutcome::Restart { .. }) {
            // DEVIATION(RFC 3550 §A.8): a restarted sender may have a new timestamp base too;
            // the transit time of the old numbering says nothing about the new one, so the
            // jitter estimate carries over but takes no difference across the restart.
            self.transit = None;
        }
        if matches!(outcome, PacketOutcome::Duplicate { .. }) {
            self.duplicates += 1;
        }
        self.received += 1;
        self.bytes_received = self.bytes_received.saturating_add(bytes as u64);
        self.last_packet_at = Some(now);
        self.received_since_report = true;
        self.update_jitter(now, rtp_timestamp);
        outcome
    }

    /// RFC 3550 §A.1 `update_seq`, extended to tell duplicates from late packets.
    fn update_seq(&mut self, seq: u16) -> PacketOutcome {
        let Some(s) = &mut self.seq else {
            self.seq = Some(SeqState::new(seq));
            return PacketOutcome::New {
                extended_seq: i64::from(seq),
            };
        };
        let udelta = seq.wrapping_sub(s.max_seq());
        if udelta == 0 {
            return PacketOutcome::Duplicate {
                extended_seq: s.max,
            };
        }
        if udelta < MAX_DROPOUT {
            // RFC 3550 §A.1: in order, with a permissible gap (a wrap adds a cycle: the extended
            // number simply grows by udelta).
            s.max += i64::from(udelta);
            s.seen = if u32::from(udelta) < u128::BITS {
                (s.seen << udelta) | 1
            } else {
                1
            };
            return PacketOutcome::New {
                extended_seq: s.max,
            };
        }
        if u32::from(udelta) <= (1 << 16) - u32::from(MAX_MISORDER) {
            // RFC 3550 §A.1: a very large jump. Two sequential packets mean the sender
            // restarted its numbering: start over at the second. One alone is dropped.
            if s.bad_seq == Some(seq) {
                self.expected_before = self.expected_before.saturating_add(s.expected());
                *s = SeqState::new(seq);
                return PacketOutcome::Restart {
                    extended_seq: i64::from(seq),
                };
            }
            s.bad_seq = Some(seq.wrapping_add(1));
            return PacketOutcome::Jump;
        }
        // RFC 3550 §A.1: behind by at most MAX_MISORDER: a duplicate or a reordered packet.
        let behind = s.max_seq().wrapping_sub(seq);
        let extended_seq = s.max - i64::from(behind);
        // MAX_MISORDER < 128: every late packet falls inside the window.
        let bit = 1u128 << behind;
        if s.seen & bit != 0 {
            PacketOutcome::Duplicate { extended_seq }
        } else {
            s.seen |= bit;
            PacketOutcome::Late { extended_seq }
        }
    }

    /// RFC 3550 §A.8: `J += (|D| - J) / 16`, with D the difference of the relative transit
    /// times (arrival on the media clock minus RTP timestamp) of this packet and the previous
    /// one, in arrival order. Every counted packet takes part, late and duplicate ones too, as
    /// §6.4.1 defines J over packets in the order they arrive.
    fn update_jitter(&mut self, now: Instant, rtp_timestamp: u32) {
        let origin = *self.arrival_origin.get_or_insert(now);
        // The arrival time on the media clock, wrapping as RTP timestamps do: only differences
        // of transit times matter.
        let arrival = duration_to_ticks(now.saturating_duration_since(origin), self.clock_rate);
        let transit = (arrival as u32).wrapping_sub(rtp_timestamp);
        if let Some(prev) = self.transit {
            let d = transit.wrapping_sub(prev) as i32;
            self.jitter += (f64::from(d.unsigned_abs()) - self.jitter) / 16.0;
        }
        self.transit = Some(transit);
    }

    /// Takes a sender report from this SSRC (RFC 3550 §6.4.1), arrived at `now`: its NTP and
    /// RTP timestamps and its packet and octet counts. The next report block's LSR is the
    /// middle of `ntp`, its DLSR the time since `now`.
    ///
    /// An SR whose NTP timestamp is older than the one held (reordered on the way) is ignored:
    /// LSR must name the most recent SR, and an older one with a later arrival time would make
    /// the sender's round-trip time too short.
    pub fn on_sender_report(
        &mut self,
        now: Instant,
        ntp: u64,
        rtp_timestamp: u32,
        packet_count: u32,
        octet_count: u32,
    ) {
        self.sender_reports += 1;
        if let Some(last) = &self.last_sr {
            // NTP wraps: compare as a signed difference.
            if (ntp.wrapping_sub(last.ntp_timestamp) as i64) < 0 {
                self.update_reports_sent();
                return;
            }
        }
        self.last_sr = Some(RemoteOutboundRtpStats {
            ntp_timestamp: ntp,
            rtp_timestamp,
            packets_sent: packet_count,
            bytes_sent: octet_count,
            received_at: now,
            reports_sent: self.sender_reports,
        });
    }

    fn update_reports_sent(&mut self) {
        if let Some(sr) = &mut self.last_sr {
            sr.reports_sent = self.sender_reports;
        }
    }

    /// Whether a packet was counted since the last [`Self::report_block`]: RFC 3550 §6.4 reports
    /// on the sources heard since the last report.
    pub fn has_received_since_report(&self) -> bool {
        self.received_since_report
    }

    /// The reception report block for this SSRC at `now` (RFC 3550 §6.4.1), closing the
    /// interval that its fraction lost covers (§A.3).
    pub fn report_block(&mut self, now: Instant) -> ReportBlock {
        let expected = self.expected();
        // RFC 3550 §A.3: the fraction lost over the interval since the last report. Both totals
        // only grow, so the differences are never negative.
        let expected_interval = expected.saturating_sub(self.expected_prior);
        let received_interval = self.received.saturating_sub(self.received_prior);
        self.expected_prior = expected;
        self.received_prior = self.received;
        self.received_since_report = false;
        let lost_interval = i128::from(expected_interval) - i128::from(received_interval);
        let fraction_lost = if expected_interval == 0 || lost_interval <= 0 {
            0
        } else {
            // lost ≤ expected, so this is at most 256: a whole interval lost reads 255.
            ((lost_interval << 8) / i128::from(expected_interval)).min(255) as u8
        };
        // RFC 3550 §A.3: the cumulative loss is clamped to the 24-bit signed field.
        let cumulative_lost = self.packets_lost().clamp(
            i64::from(ReportBlock::MIN_CUMULATIVE_LOST),
            i64::from(ReportBlock::MAX_CUMULATIVE_LOST),
        ) as i32;
        let (last_sr, delay_since_last_sr) = match &self.last_sr {
            // RFC 3550 §6.4.1: LSR is the middle of the last SR's NTP timestamp, DLSR the time
            // since it arrived in 1/65536 s; both 0 before any SR.
            Some(sr) => (
                NtpClock::middle32(sr.ntp_timestamp),
                NtpClock::duration_to_compact(now.saturating_duration_since(sr.received_at)),
            ),
            None => (0, 0),
        };
        ReportBlock {
            ssrc: self.ssrc,
            fraction_lost,
            cumulative_lost,
            // RFC 3550 §6.4.1: cycles in the high 16 bits, which wrap like any counter.
            extended_highest_seq: self.seq.map_or(0, |s| s.max as u32),
            // RFC 3550 §6.4.1: the jitter field is an unsigned integer (`as` saturates).
            jitter: self.jitter as u32,
            last_sr,
            delay_since_last_sr,
        }
    }

    /// RFC 3550 §A.3 `expected`, over every numbering since the first packet.
    fn expected(&self) -> u64 {
        self.expected_before
            .saturating_add(self.seq.map_or(0, |s| s.expected()))
    }

    /// The cumulative loss: expected minus received since the first packet (RFC 3550 §A.3),
    /// unclamped; negative when duplicates outnumber losses.
    pub fn packets_lost(&self) -> i64 {
        let lost = i128::from(self.expected()) - i128::from(self.received);
        lost.clamp(i128::from(i64::MIN), i128::from(i64::MAX)) as i64
    }

    /// The extended highest sequence number received in the current numbering, if any.
    pub fn extended_highest_seq(&self) -> Option<i64> {
        self.seq.map(|s| s.max)
    }

    /// The interarrival jitter in timestamp units (RFC 3550 §A.8, before truncation).
    pub fn jitter_units(&self) -> f64 {
        self.jitter
    }

    /// The interarrival jitter as a duration (W3C `jitter`); zero for a zero clock rate.
    pub fn jitter(&self) -> Duration {
        if self.clock_rate == 0 {
            return Duration::ZERO;
        }
        Duration::try_from_secs_f64(self.jitter / f64::from(self.clock_rate))
            .unwrap_or(Duration::ZERO)
    }

    /// The W3C `inbound-rtp` counters.
    pub fn stats(&self) -> InboundRtpStats {
        InboundRtpStats {
            ssrc: self.ssrc,
            packets_received: self.received,
            bytes_received: self.bytes_received,
            packets_lost: self.packets_lost(),
            packets_duplicated: self.duplicates,
            jitter: self.jitter(),
            last_packet_received: self.last_packet_at,
        }
    }

    /// The last sender report from this SSRC (W3C `remote-outbound-rtp`), if one arrived.
    pub fn remote_outbound(&self) -> Option<RemoteOutboundRtpStats> {
        self.last_sr
    }
}

// ---------------------------------------------------------------------------------------------
// Send statistics
// ---------------------------------------------------------------------------------------------

/// Send counters of one of our SSRCs: W3C `outbound-rtp`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OutboundRtpStats {
    /// Our SSRC.
    pub ssrc: u32,
    /// RTP packets sent (W3C `packetsSent`).
    pub packets_sent: u64,
    /// Payload bytes sent (W3C `bytesSent`, RFC 3550 §6.4.1 octets).
    pub bytes_sent: u64,
    /// When the last packet was sent.
    pub last_packet_sent: Option<Instant>,
}

/// What the remote reports about one of our SSRCs: W3C `remote-inbound-rtp`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RemoteInboundRtpStats {
    /// The last report's fraction lost, in 1/256 (W3C `fractionLost` is this / 256).
    pub fraction_lost: u8,
    /// The last report's cumulative loss (W3C `packetsLost`; may be negative).
    pub packets_lost: i32,
    /// The last report's extended highest sequence number.
    pub extended_highest_seq: u32,
    /// The last report's interarrival jitter (W3C `jitter`).
    pub jitter: Duration,
    /// The last round-trip time measured (W3C `roundTripTime`), if any.
    pub round_trip_time: Option<Duration>,
    /// The sum of all round-trip times measured (W3C `totalRoundTripTime`).
    pub total_round_trip_time: Duration,
    /// Round-trip times measured (W3C `roundTripTimeMeasurements`).
    pub round_trip_time_measurements: u64,
    /// Report blocks received about this SSRC (W3C `reportsReceived`).
    pub reports_received: u64,
    /// When the last one arrived.
    pub last_report_at: Instant,
}

/// One of our SSRCs: what it sent, the sender reports that say so (RFC 3550 §6.4.1), and the
/// round-trip time from the report blocks that answer them, with the counters of W3C
/// `outbound-rtp` / `remote-inbound-rtp`.
#[derive(Debug, Clone)]
pub struct OutboundStream {
    ssrc: u32,
    clock_rate: u32,
    packets_sent: u64,
    bytes_sent: u64,
    /// The RTP timestamp the SR extrapolates from and when a packet carrying it was sent.
    anchor: Option<(u32, Instant)>,
    last_sent_at: Option<Instant>,
    remote: Option<RemoteInboundRtpStats>,
}

impl OutboundStream {
    /// A timestamp this far behind the anchor is a new timeline, not a retransmission
    /// (retransmission buffers hold far less than this).
    const MAX_RETRANSMIT_AGE: Duration = Duration::from_secs(10);

    /// Statistics for our `ssrc`, whose RTP timestamps run at `clock_rate` Hz.
    pub fn new(ssrc: u32, clock_rate: u32) -> Self {
        OutboundStream {
            ssrc,
            clock_rate,
            packets_sent: 0,
            bytes_sent: 0,
            anchor: None,
            last_sent_at: None,
            remote: None,
        }
    }

    /// Our SSRC.
    pub fn ssrc(&self) -> u32 {
        self.ssrc
    }

    /// Takes one RTP packet sent on this SSRC at `now`: its RTP timestamp and its payload
    /// length (RFC 3550 §6.4.1 counts payload octets, not headers or padding).
    ///
    /// The SR's timestamp is extrapolated from the first packet of the newest timestamp seen,
    /// the one sent closest to its capture: later packets of the same frame and
    /// retransmissions (an older timestamp) leave it where it is. A timestamp more than
    /// `MAX_RETRANSMIT_AGE` behind is a new timeline and becomes the anchor.
    pub fn on_sent(&mut self, now: Instant, rtp_timestamp: u32, payload_bytes: usize) {
        self.packets_sent += 1;
        self.bytes_sent = self.bytes_sent.saturating_add(payload_bytes as u64);
        self.last_sent_at = Some(now);
        let move_anchor = match self.anchor {
            None => true,
            Some((ts, _)) => {
                let ahead = rtp_timestamp.wrapping_sub(ts) as i32;
                let max_age = duration_to_ticks(Self::MAX_RETRANSMIT_AGE, self.clock_rate);
                ahead > 0 || i64::from(ahead).unsigned_abs() > max_age
            }
        };
        if move_anchor {
            self.anchor = Some((rtp_timestamp, now));
        }
    }

    /// Whether anything was sent: RFC 3550 §6.4 sends an SR only for a source that sent data
    /// (otherwise an RR).
    pub fn has_sent(&self) -> bool {
        self.packets_sent > 0
    }

    /// When the last packet was sent (RFC 3550 §6.3.8: a source that has not sent for two
    /// report intervals is no longer a sender).
    pub fn last_sent_at(&self) -> Option<Instant> {
        self.last_sent_at
    }

    /// The sender report for this SSRC at `now` (RFC 3550 §6.4.1), without report blocks (the
    /// peer adds those of the streams it receives). The RTP timestamp is the last sent packet's
    /// timestamp advanced by the time since, at the clock rate, "the same time as the NTP
    /// timestamp"; the counts wrap at 2^32 as the fields do. Before anything was sent the RTP
    /// timestamp is 0 (and an SR should not be sent: see [`Self::has_sent`]).
    pub fn sender_report(&self, now: Instant, clock: &NtpClock) -> SenderReport {
        SenderReport {
            ssrc: self.ssrc,
            ntp_timestamp: clock.ntp(now),
            rtp_timestamp: self.rtp_timestamp_at(now),
            packet_count: self.packets_sent as u32,
            octet_count: self.bytes_sent as u32,
            reports: Vec::new(),
            profile_extensions: Vec::new(),
        }
    }

    /// The RTP timestamp of `now`, extrapolated from the anchor at the clock rate.
    fn rtp_timestamp_at(&self, now: Instant) -> u32 {
        let Some((ts, at)) = self.anchor else {
            return 0;
        };
        match now.checked_duration_since(at) {
            Some(after) => ts.wrapping_add(duration_to_ticks(after, self.clock_rate) as u32),
            None => ts
                .wrapping_sub(
                    duration_to_ticks(at.saturating_duration_since(now), self.clock_rate) as u32,
                ),
        }
    }

    /// Takes a report block about this SSRC that arrived at `now` and returns the round-trip
    /// time it measures, if it measures one.
    ///
    /// RFC 3550 §6.4.1: RTT = A − LSR − DLSR, all in compact NTP units, A being the arrival
    /// time on our NTP clock. No RTT when LSR is 0 (the remote has no SR from us), when LSR is
    /// ahead of A (not one of our SRs), or when the result is negative (a DLSR longer than the
    /// time since the SR: a wrong or hostile report). A block about another SSRC is ignored.
    pub fn on_report_block(
        &mut self,
        now: Instant,
        clock: &NtpClock,
        block: &ReportBlock,
    ) -> Option<Duration> {
        if block.ssrc != self.ssrc {
            return None;
        }
        let rtt = if block.last_sr == 0 {
            None
        } else {
            let arrival = clock.compact(now);
            // The compact clock wraps every 18.2 hours: the time since the SR is the wrapped
            // difference, and "negative" (over half the range) means LSR is not ours.
            let since_sr = arrival.wrapping_sub(block.last_sr);
            if (since_sr as i32) < 0 || block.delay_since_last_sr > since_sr {
                None
            } else {
                Some(NtpClock::compact_to_duration(
                    since_sr - block.delay_since_last_sr,
                ))
            }
        };
        let prior = self.remote;
        let (total, measurements, reports) = prior.map_or((Duration::ZERO, 0, 0), |r| {
            (
                r.total_round_trip_time,
                r.round_trip_time_measurements,
                r.reports_received,
            )
        });
        self.remote = Some(RemoteInboundRtpStats {
            fraction_lost: block.fraction_lost,
            packets_lost: block.cumulative_lost,
            extended_highest_seq: block.extended_highest_seq,
            jitter: ticks_to_duration(u64::from(block.jitter), self.clock_rate),
            round_trip_time: rtt.or(prior.and_then(|r| r.round_trip_time)),
            total_round_trip_time: total.saturating_add(rtt.unwrap_or(Duration::ZERO)),
            round_trip_time_measurements: measurements + u64::from(rtt.is_some()),
            reports_received: reports + 1,
            last_report_at: now,
        });
        rtt
    }

    /// The W3C `outbound-rtp` counters.
    pub fn stats(&self) -> OutboundRtpStats {
        OutboundRtpStats {
            ssrc: self.ssrc,
            packets_sent: self.packets_sent,
            bytes_sent: self.bytes_sent,
            last_packet_sent: self.last_sent_at,
        }
    }

    /// What the remote reported about this SSRC (W3C `remote-inbound-rtp`), once it has.
    pub fn remote_inbound(&self) -> Option<RemoteInboundRtpStats> {
        self.remote
    }
}

// ---------------------------------------------------------------------------------------------
// Report schedule
// ---------------------------------------------------------------------------------------------

/// What the report interval is computed from (RFC 3550 §6.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RtcpScheduleConfig {
    /// The floor of the deterministic interval (RFC 3550 §6.2 `Tmin`), halved before the first
    /// report. RFC 3550 says 5 s; RFC 4585 §3.4 lets an AVPF session drop it to 0 after the first
    /// report and leave the interval to the bandwidth; libwebrtc keeps 1 s for a session with
    /// video and 5 s for audio only, and so do [`Self::VIDEO`] and [`Self::AUDIO`].
    pub min_interval: Duration,
    /// The session bandwidth in bit/s when known (SDP `b=AS` / `b=TIAS`, or the estimate);
    /// RTCP takes 5% of it (RFC 3550 §6.2). `None` or 0: only `min_interval` bounds the rate.
    pub session_bandwidth_bps: Option<u64>,
}

impl RtcpScheduleConfig {
    /// A session with video (libwebrtc's 1 s report interval).
    pub const VIDEO: Self = RtcpScheduleConfig {
        min_interval: Duration::from_secs(1),
        session_bandwidth_bps: None,
    };
    /// An audio-only session (libwebrtc's and RFC 3550's 5 s).
    pub const AUDIO: Self = RtcpScheduleConfig {
        min_interval: Duration::from_secs(5),
        session_bandwidth_bps: None,
    };
}

impl Default for RtcpScheduleConfig {
    fn default() -> Self {
        Self::VIDEO
    }
}

/// When the next regular compound RTCP packet is due, and whether an early one may go out.
///
/// RFC 3550 §6.2 / §A.7 `rtcp_interval`: a deterministic interval
/// `Td = max(Tmin, avg_rtcp_size · n / rtcp_bw)` (Tmin halved before the first report), then
/// randomized to `Td · f / 1.21828` with `f` uniform in [0.5, 1.5) taken from the caller's
/// `draw`. RFC 4585 §3.5.2 adds early feedback: one early packet (a PLI, a NACK) between two
/// regular ones.
///
/// Not done: timer reconsideration (§6.3.6; a new interval takes effect at the next report),
/// reverse reconsideration and BYE scheduling (§6.3.4, §6.3.7; a WebRTC session has two
/// participants and ends with its transport), RFC 4585's `trr-int` and the dither of early
/// packets for sessions of more than two members (`T_dither_max` is 0 point to point), and
/// paying an early packet back by delaying the next regular one (libwebrtc does not either).
#[derive(Debug, Clone)]
pub struct RtcpSchedule {
    config: RtcpScheduleConfig,
    members: u32,
    senders: u32,
    we_sent: bool,
    /// RFC 3550 §6.3.2 `avg_rtcp_size` in bytes, lower-layer headers included.
    avg_rtcp_size: f64,
    /// RFC 3550 §A.7 `initial`: no regular report sent yet.
    initial: bool,
    /// RFC 3550 §6.3 `tp`: when the last regular report went out.
    last_sent: Option<Instant>,
    /// RFC 3550 §6.3 `tn`: when the next one is due.
    next: Option<Instant>,
    /// RFC 4585 §3.5.2 `allow_early`.
    allow_early: bool,
}

impl RtcpSchedule {
    /// RFC 3550 §A.7 `COMPENSATION` (e − 3/2): timer reconsideration settles below the intended
    /// average rate, and dividing by this brings it back. As a ratio, 100000 / 121828.
    pub const COMPENSATION: f64 = 1.21828;
    /// RFC 3550 §6.3.2: `avg_rtcp_size` starts at "the probable size of the first RTCP
    /// packet": an RR with one block, SDES CNAME, the SRTCP trailer and UDP/IPv4 headers.
    pub const INITIAL_AVG_RTCP_SIZE: usize = 100;
    /// RFC 3550 §6.2: the fraction of the session bandwidth RTCP takes, in percent.
    pub const RTCP_BANDWIDTH_PERCENT: u64 = 5;
    /// Not from an RFC: a floor under the deterministic interval so that a zero `min_interval`
    /// with no bandwidth known cannot make the schedule spin.
    pub const MIN_DETERMINISTIC_INTERVAL: Duration = Duration::from_millis(10);
    /// Not from an RFC: a ceiling on the deterministic interval so that extreme inputs (a tiny
    /// bandwidth, huge packets or membership) never overflow an `Instant`.
    pub const MAX_DETERMINISTIC_INTERVAL: Duration = Duration::from_secs(3600);
    /// RFC 3550 §6.2: the share of the RTCP bandwidth for senders, in percent.
    const SENDER_BANDWIDTH_PERCENT: u64 = 25;

    /// A schedule that has not started (no timer until [`Self::start`]), for a session of two
    /// members (us and the remote) in which nobody sends yet.
    pub fn new(config: RtcpScheduleConfig) -> Self {
        RtcpSchedule {
            config,
            members: 2,
            senders: 0,
            we_sent: false,
            avg_rtcp_size: Self::INITIAL_AVG_RTCP_SIZE as f64,
            initial: true,
            last_sent: None,
            next: None,
            allow_early: true,
        }
    }

    /// The configuration.
    pub fn config(&self) -> RtcpScheduleConfig {
        self.config
    }

    /// Changes the configuration (a video track added, a new bandwidth). The report already
    /// scheduled keeps its time; the next interval uses the new values.
    pub fn set_config(&mut self, config: RtcpScheduleConfig) {
        self.config = config;
    }

    /// The session's membership (RFC 3550 §6.3 `members`, `senders`, `we_sent`). With several
    /// SSRCs per endpoint, RFC 8108 §5 counts each SSRC as a member. Counts are taken as at
    /// least 1 member and at most `members` senders.
    pub fn set_members(&mut self, members: u32, senders: u32, we_sent: bool) {
        self.members = members.max(1);
        self.senders = senders.min(self.members);
        self.we_sent = we_sent;
    }

    /// Takes the size of a compound RTCP packet sent or received, lower-layer (UDP and IP)
    /// headers included, carrying reports from `reporting_ssrcs` SSRCs (RFC 3550 §6.3.3:
    /// `avg_rtcp_size = size / 16 + avg_rtcp_size · 15 / 16`; RFC 8108 §5, on aggregated reports: a packet that
    /// aggregates several SSRCs' reports counts as its size divided among them).
    pub fn on_packet_size(&mut self, size_bytes: usize, reporting_ssrcs: usize) {
        let size = size_bytes as f64 / reporting_ssrcs.max(1) as f64;
        self.avg_rtcp_size += (size - self.avg_rtcp_size) / 16.0;
    }

    /// The average compound packet size the interval is computed from.
    pub fn avg_rtcp_size(&self) -> f64 {
        self.avg_rtcp_size
    }

    /// Starts the schedule at `now`: the first report is due after the randomized interval
    /// with half the minimum (RFC 3550 §6.2, §A.7 `initial`). Starting again restarts it.
    pub fn start(&mut self, now: Instant, draw: u32) {
        self.initial = true;
        self.last_sent = None;
        self.allow_early = true;
        self.next = now.checked_add(self.interval(draw));
    }

    /// Whether the schedule was started.
    pub fn is_started(&self) -> bool {
        self.next.is_some()
    }

    /// When the next regular compound packet is due; `None` before [`Self::start`].
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.next
    }

    /// Whether the regular report is due at `now`.
    pub fn is_due(&self, now: Instant) -> bool {
        self.next.is_some_and(|next| now >= next)
    }

    /// A regular compound packet went out at `now`: the next is due one randomized interval
    /// later (RFC 3550 §6.3.6 `tp = tc`, `tn = tc + T`), and an early packet is allowed again
    /// (RFC 4585 §3.5.3).
    pub fn on_sent(&mut self, now: Instant, draw: u32) {
        self.initial = false;
        self.last_sent = Some(now);
        self.allow_early = true;
        self.next = now.checked_add(self.interval(draw));
    }

    /// When the last regular report went out.
    pub fn last_sent(&self) -> Option<Instant> {
        self.last_sent
    }

    /// Whether feedback (a PLI, a NACK) may go out now in an early RTCP packet (RFC 4585
    /// §3.5.2): yes unless an early packet already went out since the last regular one. With
    /// two members `T_dither_max` is 0, so "early" means at once. `false` means: put it in the
    /// next regular report. That one may be due already, and then it is the better carrier
    /// (§3.5.2: feedback waits for a regular report due within the dither time), so this is
    /// `false` as well when [`Self::is_due`].
    pub fn is_early_allowed(&self, now: Instant) -> bool {
        self.allow_early && self.next.is_some() && !self.is_due(now)
    }

    /// An early RTCP packet went out: no other until the next regular report (RFC 4585 §3.5.2
    /// `allow_early = FALSE`). The regular schedule is unchanged.
    pub fn on_early_sent(&mut self, _now: Instant) {
        self.allow_early = false;
    }

    /// The deterministic interval `Td` now (RFC 3550 §6.2, §A.7 before randomization), within
    /// [`Self::MIN_DETERMINISTIC_INTERVAL`, `Self::MAX_DETERMINISTIC_INTERVAL`].
    pub fn deterministic_interval(&self) -> Duration {
        // RFC 3550 §A.7: "if (initial) rtcp_min_time /= 2".
        let t_min = if self.initial {
            self.config.min_interval / 2
        } else {
            self.config.min_interval
        };
        let t = t_min
            .max(self.bandwidth_interval())
            .max(Self::MIN_DETERMINISTIC_INTERVAL);
        t.min(Self::MAX_DETERMINISTIC_INTERVAL)
    }

    /// RFC 3550 §A.7: `avg_rtcp_size · n / rtcp_bw`, senders and receivers sharing the RTCP
    /// bandwidth 1:3 when senders are at most a quarter of the members; zero when the bandwidth
    /// is unknown.
    fn bandwidth_interval(&self) -> Duration {
        let Some(bps) = self.config.session_bandwidth_bps.filter(|&b| b > 0) else {
            return Duration::ZERO;
        };
        // RFC 3550 §6.2: RTCP gets 5% of the session bandwidth; bytes per second.
        let mut rtcp_bw = bps as f64 * (Self::RTCP_BANDWIDTH_PERCENT as f64 / 100.0) / 8.0;
        let mut n = self.members;
        if u64::from(self.senders) * 100 <= u64::from(self.members) * Self::SENDER_BANDWIDTH_PERCENT
        {
            if self.we_sent {
                rtcp_bw *= Self::SENDER_BANDWIDTH_PERCENT as f64 / 100.0;
                n = self.senders;
            } else {
                rtcp_bw *= (100 - Self::SENDER_BANDWIDTH_PERCENT) as f64 / 100.0;
                n -= self.senders;
            }
        }
        let secs = self.avg_rtcp_size * f64::from(n.max(1)) / rtcp_bw;
        Duration::try_from_secs_f64(secs).unwrap_or(Self::MAX_DETERMINISTIC_INTERVAL)
    }

    /// The randomized interval for `draw` (RFC 3550 §A.7): `Td · (0.5 + draw / 2^32) / 1.21828`,
    /// in [0.5, 1.5) · `Td` / 1.21828. Integer arithmetic: the same draw gives the same
    /// nanosecond on every platform.
    pub fn interval(&self, draw: u32) -> Duration {
        let td = self.deterministic_interval().as_nanos();
        // Td ≤ 3600 s < 2^42 ns, so every product stays far inside u128.
        let scaled = (td * ((1u128 << 31) + u128::from(draw))) >> 32;
        let t = scaled * 100_000 / 121_828;
        Duration::from_nanos(t as u64)
    }
}

#[cfg(test)]
#[path = "report_tests.rs"]
mod tests;
