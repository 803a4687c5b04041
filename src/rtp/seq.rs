//! Sequence numbers and timestamps: unwrapping 16-bit sequence numbers and 32-bit timestamps to
//! 64 bits, the source validation of RFC 3550 §A.1, and media clock conversions.

use std::time::Duration;

/// RFC 3550 §A.1: the largest forward jump still taken as in-order (packets lost).
pub const MAX_DROPOUT: u16 = 3000;
/// RFC 3550 §A.1: the largest backward step taken as reordering or duplication.
pub const MAX_MISORDER: u16 = 100;
/// RFC 3550 §A.1: sequential packets needed before a source is valid.
pub const MIN_SEQUENTIAL: u8 = 2;

/// Unwraps `value` (a `bits`-bit counter) next to the last unwrapped value: the result is the
/// one closest to `last`, ties going forward.
fn unwrap(last: Option<i64>, value: u64, bits: u32) -> i64 {
    let Some(last) = last else {
        return value as i64;
    };
    let modulus = 1i64 << bits;
    let half = modulus / 2;
    let mut diff = value as i64 - last.rem_euclid(modulus);
    if diff > half {
        diff -= modulus;
    } else if diff <= -half {
        diff += modulus;
    }
    last + diff
}

/// Extends 16-bit RTP sequence numbers to 64 bits across wraps and reordering.
///
/// The first number maps to itself; each later one to the value nearest the previous one (so
/// a late packet from before a wrap stays before it). A packet from before the first one
/// across a wrap maps below zero, hence `i64`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SeqExtender {
    last: Option<i64>,
}

impl SeqExtender {
    /// An extender that has seen nothing.
    pub const fn new() -> Self {
        SeqExtender { last: None }
    }

    /// Extends `seq` and remembers it.
    pub fn extend(&mut self, seq: u16) -> i64 {
        let v = self.peek(seq);
        self.last = Some(v);
        v
    }

    /// What `extend` would return, without remembering it.
    pub fn peek(&self, seq: u16) -> i64 {
        unwrap(self.last, u64::from(seq), 16)
    }

    /// The last extended value.
    pub fn last(&self) -> Option<i64> {
        self.last
    }
}

/// Extends 32-bit RTP timestamps to 64 bits, as [`SeqExtender`] does sequence numbers.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TimestampExtender {
    last: Option<i64>,
}

impl TimestampExtender {
    /// An extender that has seen nothing.
    pub const fn new() -> Self {
        TimestampExtender { last: None }
    }

    /// Extends `ts` and remembers it.
    pub fn extend(&mut self, ts: u32) -> i64 {
        let v = self.peek(ts);
        self.last = Some(v);
        v
    }

    /// What `extend` would return, without remembering it.
    pub fn peek(&self, ts: u32) -> i64 {
        unwrap(self.last, u64::from(ts), 32)
    }

    /// The last extended value.
    pub fn last(&self) -> Option<i64> {
        self.last
    }
}

/// `to - from` for 32-bit RTP timestamps, as a signed difference (wrap taken into account).
pub fn timestamp_diff(from: u32, to: u32) -> i32 {
    to.wrapping_sub(from) as i32
}

/// Media clock ticks as a duration at `clock_rate` Hz (zero for a zero rate).
pub fn ticks_to_duration(ticks: u64, clock_rate: u32) -> Duration {
    if clock_rate == 0 {
        return Duration::ZERO;
    }
    let rate = u64::from(clock_rate);
    let secs = ticks / rate;
    let nanos = (ticks % rate) * 1_000_000_000 / rate;
    Duration::new(secs, nanos as u32)
}

/// A duration as media clock ticks at `clock_rate` Hz, rounded down (saturating).
pub fn duration_to_ticks(d: Duration, clock_rate: u32) -> u64 {
    let ticks = d.as_nanos() * u128::from(clock_rate) / 1_000_000_000;
    u64::try_from(ticks).unwrap_or(u64::MAX)
}

/// RFC 3550 §A.1: the per-source sequence state that decides whether a source is valid (a run
/// of [`MIN_SEQUENTIAL`] in-order packets), counts wraps (`cycles`), and tells a restarted
/// sender (two packets in a row after a big jump) from a stray one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SourceSequence {
    max_seq: u16,
    cycles: u64,
    base_seq: u16,
    bad_seq: u32,
    probation: u8,
    received: u64,
}

impl SourceSequence {
    /// RFC 3550 §A.1: a source first heard with `seq` is on probation. Call [`Self::update`]
    /// with that same first packet, then with every later one.
    pub fn new(seq: u16) -> Self {
        let mut s = SourceSequence {
            max_seq: 0,
            cycles: 0,
            base_seq: 0,
            bad_seq: 0,
            probation: MIN_SEQUENTIAL,
            received: 0,
        };
        s.init(seq);
        s.max_seq = seq.wrapping_sub(1);
        s
    }

    /// RFC 3550 §A.1 `init_seq`.
    fn init(&mut self, seq: u16) {
        self.base_seq = seq;
        self.max_seq = seq;
        // An impossible value: no packet matches it.
        self.bad_seq = (1 << 16) + 1;
        self.cycles = 0;
        self.received = 0;
    }

    /// RFC 3550 §A.1 `update_seq`: whether the packet counts (the source is valid and the
    /// number is in order, a small reordering, or a confirmed restart).
    pub fn update(&mut self, seq: u16) -> bool {
        let udelta = seq.wrapping_sub(self.max_seq);
        if self.probation > 0 {
            // The source is valid after MIN_SEQUENTIAL packets in sequence. The RFC's C compares
            // `seq == max_seq + 1` in int arithmetic, which never matches across 65535 → 0; the
            // intent is the next 16-bit number.
            if seq == self.max_seq.wrapping_add(1) {
                self.probation -= 1;
                self.max_seq = seq;
                if self.probation == 0 {
                    self.init(seq);
                    self.received += 1;
                    return true;
                }
            } else {
                self.probation = MIN_SEQUENTIAL - 1;
                self.max_seq = seq;
            }
            return false;
        } else if udelta < MAX_DROPOUT {
            // In order, with a permissible gap; a wrap adds a cycle.
            if seq < self.max_seq {
                self.cycles += 1 << 16;
            }
            self.max_seq = seq;
        } else if u32::from(udelta) <= (1 << 16) - u32::from(MAX_MISORDER) {
            // A very large jump: if the next packet follows it, the sender restarted.
            if u32::from(seq) == self.bad_seq {
                self.init(seq);
            } else {
                self.bad_seq = u32::from(seq.wrapping_add(1));
                return false;
            }
        }
        // Otherwise a duplicate or a reordered packet: counted, state unchanged.
        self.received += 1;
        true
    }

    /// Whether the source has passed probation.
    pub fn is_valid(&self) -> bool {
        self.probation == 0
    }

    /// RFC 3550 §6.4.1: the extended highest sequence number received.
    pub fn extended_max(&self) -> u64 {
        self.cycles + u64::from(self.max_seq)
    }

    /// RFC 3550 §A.3: packets expected since the base (first valid) sequence number.
    pub fn expected(&self) -> u64 {
        (self.extended_max() + 1).saturating_sub(u64::from(self.base_seq))
    }

    /// Packets counted by [`Self::update`] since the source became valid (or restarted).
    pub fn received(&self) -> u64 {
        self.received
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seq_extender_wraps_both_ways() {
        let mut e = SeqExtender::new();
        assert_eq!(e.extend(65534), 65534);
        assert_eq!(e.extend(65535), 65535);
        assert_eq!(e.extend(0), 65536);
        assert_eq!(e.extend(65535), 65535, "a late packet from before the wrap");
        assert_eq!(e.extend(2), 65538);
        // A packet from before the first one, across a wrap, maps below zero.
        let mut e = SeqExtender::new();
        e.extend(1);
        assert_eq!(e.extend(65535), -1);
        // Exactly half the range away is taken as forward.
        let mut e = SeqExtender::new();
        e.extend(0);
        assert_eq!(e.peek(32768), 32768);
        assert_eq!(e.peek(32769), 32769 - 65536);
    }

    #[test]
    fn timestamp_extender_wraps() {
        let mut e = TimestampExtender::new();
        assert_eq!(e.extend(u32::MAX - 10), i64::from(u32::MAX) - 10);
        assert_eq!(e.extend(5), (1 << 32) + 5);
        assert_eq!(e.extend(u32::MAX), i64::from(u32::MAX));
        assert_eq!(timestamp_diff(u32::MAX - 1, 3), 5);
        assert_eq!(timestamp_diff(3, u32::MAX - 1), -5);
    }

    #[test]
    fn clock_conversions() {
        assert_eq!(ticks_to_duration(90_000, 90_000), Duration::from_secs(1));
        assert_eq!(ticks_to_duration(960, 48_000), Duration::from_millis(20));
        assert_eq!(
            ticks_to_duration(3000, 90_000),
            Duration::from_nanos(33_333_333)
        );
        assert_eq!(ticks_to_duration(5, 0), Duration::ZERO);
        assert_eq!(duration_to_ticks(Duration::from_millis(20), 48_000), 960);
        assert_eq!(duration_to_ticks(Duration::MAX, u32::MAX), u64::MAX);
    }

    #[test]
    fn rfc3550_a1_probation() {
        let mut s = SourceSequence::new(100);
        assert!(!s.update(100), "first packet: still on probation");
        assert!(s.update(101), "second in sequence: valid");
        assert!(s.is_valid());
        assert_eq!(s.received(), 1);
        // A stray packet far away is not counted; a second one in a row is a restart.
        assert!(!s.update(20_000));
        assert!(s.update(20_001));
        assert_eq!(s.extended_max(), 20_001);
        assert_eq!(s.received(), 1);
    }

    #[test]
    fn rfc3550_a1_probation_resets_on_a_gap() {
        let mut s = SourceSequence::new(10);
        assert!(!s.update(10));
        assert!(!s.update(12), "out of sequence: probation restarts");
        assert!(s.update(13));
    }

    #[test]
    fn rfc3550_a1_probation_across_the_wrap() {
        let mut s = SourceSequence::new(65535);
        assert!(!s.update(65535));
        assert!(s.update(0), "65535 → 0 is in sequence");
    }

    #[test]
    fn rfc3550_a1_cycles_and_misorder() {
        let mut s = SourceSequence::new(65530);
        s.update(65530);
        s.update(65531);
        for seq in [65532, 65535, 2, 1, 5] {
            assert!(s.update(seq), "{seq}");
        }
        assert_eq!(s.extended_max(), (1 << 16) + 5);
        assert_eq!(s.expected(), (1 << 16) + 5 + 1 - 65531);
        // A jump of MAX_DROPOUT or more is not in order.
        assert!(!s.update(5 + MAX_DROPOUT));
        // A step back within MAX_MISORDER is a reordering: counted.
        assert!(s.update(5 - 3));
        assert_eq!(s.extended_max(), (1 << 16) + 5);
    }
}
