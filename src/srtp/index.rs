//! Packet indices and replay protection: the SRTP roll-over counter and its index estimation
//! (RFC 3711 §3.3.1), the SRTCP index (§3.4), and the sliding replay window (§3.3.2).

/// SRTP indices are 48 bits: a 32-bit roll-over counter and the 16-bit sequence number
/// (RFC 3711 §3.3.1). After 2^48 packets a master key must not be used again (§9.2).
pub(crate) const SRTP_INDEX_MAX: u64 = (1 << 48) - 1;

/// SRTCP indices are 31 bits (RFC 3711 §3.4); the E flag takes the top bit of the word.
pub(crate) const SRTCP_INDEX_MAX: u32 = (1 << 31) - 1;

/// The roll-over counter state of one SSRC (RFC 3711 §3.3.1): the ROC and the highest
/// sequence number `s_l` authenticated so far. `None` until the first packet: the first packet
/// may carry any sequence number, and its ROC is 0 (RFC 3711 §3.3.1: "the receiver SHOULD use
/// ROC = 0" for a DTLS-SRTP session's first packet, RFC 5764 §4.1.1).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct RocState {
    roc: u32,
    s_l: u16,
    started: bool,
}

impl RocState {
    /// The index a packet with sequence number `seq` most likely has (RFC 3711 §3.3.1's
    /// estimate of `v`, with `s_l` the highest sequence number seen): the candidate among
    /// ROC−1, ROC and ROC+1 whose index is nearest to the highest one. `None` when the estimate
    /// falls before the first roll-over (ROC−1 with ROC = 0) or past the last index: such a
    /// packet can only be a replay of nothing or an attack, and is dropped.
    #[inline]
    pub(crate) fn estimate(&self, seq: u16) -> Option<u64> {
        if !self.started {
            return Some(u64::from(seq));
        }
        let roc = i64::from(self.roc);
        // RFC 3711 §3.3.1, the pseudo-code of the index estimation.
        let v = if self.s_l < 0x8000 {
            if i32::from(seq) - i32::from(self.s_l) > 0x8000 {
                roc - 1
            } else {
                roc
            }
        } else if i32::from(self.s_l) - 0x8000 > i32::from(seq) {
            roc + 1
        } else {
            roc
        };
        if v < 0 || v > i64::from(u32::MAX) {
            return None;
        }
        Some(((v as u64) << 16) | u64::from(seq))
    }

    /// Records an authenticated packet's index (RFC 3711 §3.3.1: ROC and `s_l` are updated
    /// only after the packet is authenticated, so a forgery cannot move them).
    #[inline]
    pub(crate) fn update(&mut self, index: u64) {
        let roc = (index >> 16) as u32;
        let seq = index as u16;
        if !self.started {
            *self = Self {
                roc,
                s_l: seq,
                started: true,
            };
            return;
        }
        if roc > self.roc || (roc == self.roc && seq > self.s_l) {
            self.roc = roc;
            self.s_l = seq;
        }
    }

    /// The current roll-over counter.
    #[cfg(test)]
    pub(crate) fn roc(&self) -> u32 {
        self.roc
    }
}

/// Why the replay window refused an index.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ReplayRefusal {
    /// This index was accepted before (RFC 3711 §3.3.2).
    Replayed,
    /// The index lies behind the window: it cannot be told apart from a replay (§3.3.2).
    TooOld,
}

/// A sliding replay window over packet indices (RFC 3711 §3.3.2), `size` indices wide.
///
/// The bitmap is a ring indexed by `index % size` (a power of two, so a mask): moving the window
/// forward by one clears one bit, so the common case (in-order arrival) costs O(1) whatever the
/// size.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ReplayWindow {
    /// Highest accepted index; meaningful once `started`.
    top: u64,
    started: bool,
    /// `size / 64` words; bit `i % size` says whether index `i` (within the window) was seen.
    bits: Box<[u64]>,
    /// `size - 1`.
    mask: u64,
}

impl ReplayWindow {
    /// A window of `size` indices, rounded up to a power of two of at least 64 (and at most
    /// 2^20).
    pub(crate) fn new(size: usize) -> Self {
        let words = size.clamp(64, 1 << 20).div_ceil(64).next_power_of_two();
        Self {
            top: 0,
            started: false,
            bits: vec![0; words].into_boxed_slice(),
            mask: words as u64 * 64 - 1,
        }
    }

    fn size(&self) -> u64 {
        self.mask + 1
    }

    fn bit(&self, index: u64) -> bool {
        let pos = index & self.mask;
        self.bits[(pos / 64) as usize] & (1 << (pos % 64)) != 0
    }

    fn set(&mut self, index: u64, on: bool) {
        let pos = index & self.mask;
        let word = &mut self.bits[(pos / 64) as usize];
        if on {
            *word |= 1 << (pos % 64);
        } else {
            *word &= !(1 << (pos % 64));
        }
    }

    /// Whether `index` may be accepted (RFC 3711 §3.3.2), without recording it: the packet is
    /// authenticated first, and only then [`accept`](Self::accept)ed.
    #[inline]
    pub(crate) fn check(&self, index: u64) -> Result<(), ReplayRefusal> {
        if !self.started || index > self.top {
            return Ok(());
        }
        if self.top - index >= self.size() {
            return Err(ReplayRefusal::TooOld);
        }
        if self.bit(index) {
            return Err(ReplayRefusal::Replayed);
        }
        Ok(())
    }

    /// Records an authenticated index that [`check`](Self::check) allowed.
    #[inline]
    pub(crate) fn accept(&mut self, index: u64) {
        if !self.started {
            self.started = true;
            self.top = index;
            self.set(index, true);
            return;
        }
        if index > self.top {
            let advance = index - self.top;
            if advance >= self.size() {
                self.bits.fill(0);
            } else {
                // Clear the positions the window slides over (they held indices `size` older).
                for i in self.top + 1..index {
                    self.set(i, false);
                }
            }
            self.top = index;
        }
        self.set(index, true);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::BTreeSet;

    #[test]
    fn first_packet_anywhere_then_wrap() {
        let mut s = RocState::default();
        // The first packet sits just before a wrap.
        let i = s.estimate(65_534).unwrap();
        assert_eq!(i, 65_534);
        s.update(i);
        // The next packets wrap: ROC becomes 1.
        let i = s.estimate(1).unwrap();
        assert_eq!(i, (1 << 16) | 1);
        s.update(i);
        assert_eq!(s.roc(), 1);
        // A packet reordered from before the wrap is still placed in ROC 0.
        assert_eq!(s.estimate(65_535), Some(65_535));
        // A packet "before" the very first roll-over cannot exist.
        let mut fresh = RocState::default();
        fresh.update(fresh.estimate(10).unwrap());
        assert_eq!(fresh.estimate(40_000), None, "ROC would be -1");
    }

    #[test]
    fn a_forgery_does_not_move_the_roc() {
        // RFC 3711 §3.3.1: estimate does not update; only authenticated packets do.
        let mut s = RocState::default();
        s.update(s.estimate(40_000).unwrap());
        let far = s.estimate(1).unwrap();
        assert_eq!(far >> 16, 1);
        // Not updated (authentication failed): the next in-order packet is still ROC 0.
        assert_eq!(s.estimate(40_001), Some(40_001));
    }

    #[test]
    fn replay_window_edges() {
        let mut w = ReplayWindow::new(128);
        assert_eq!(w.check(1000), Ok(()));
        w.accept(1000);
        assert_eq!(w.check(1000), Err(ReplayRefusal::Replayed));
        assert_eq!(w.check(999), Ok(()));
        assert_eq!(w.check(1000 - 127), Ok(()));
        assert_eq!(w.check(1000 - 128), Err(ReplayRefusal::TooOld));
        w.accept(1000 + 127);
        assert_eq!(w.check(1000), Err(ReplayRefusal::Replayed));
        w.accept(1000 + 128);
        assert_eq!(w.check(1000), Err(ReplayRefusal::TooOld));
        // A jump wider than the window forgets everything but the new top.
        w.accept(5000);
        assert_eq!(w.check(1000 + 128), Err(ReplayRefusal::TooOld));
        assert_eq!(w.check(4999), Ok(()));
        assert_eq!(w.check(5000), Err(ReplayRefusal::Replayed));
    }

    /// The reference model of RFC 3711 §3.3.1: the index whose value is nearest to the highest
    /// index received (ties to the later roll-over), never negative.
    fn model_estimate(highest: Option<u64>, seq: u16) -> Option<u64> {
        let Some(h) = highest else {
            return Some(u64::from(seq));
        };
        let roc = (h >> 16) as i64;
        let mut best: Option<(u64, i64)> = None;
        for v in [roc - 1, roc, roc + 1] {
            if v < 0 {
                continue;
            }
            let i = ((v as u64) << 16) | u64::from(seq);
            let d = (i as i64 - h as i64).abs();
            if best.is_none_or(|(_, bd)| d < bd) {
                best = Some((i, d));
            }
        }
        best.map(|(i, _)| i)
    }

    proptest! {
        /// ROC estimation against the model: a sender's indices from any start, delivered with
        /// arbitrary loss and reordering (each packet displaced by up to ±`max_shift`
        /// positions, less than half the sequence space), across several wraps.
        #[test]
        fn roc_estimation_matches_the_model(
            start in any::<u16>(),
            len in 1usize..3000,
            step in 1u64..40,
            shifts in proptest::collection::vec(-2000i64..2000, 3000),
            drops in proptest::collection::vec(any::<bool>(), 3000),
        ) {
            // Indices advancing `step` per packet: several wraps for larger steps.
            let sent: Vec<u64> = (0..len as u64).map(|k| u64::from(start) + k * step).collect();
            let mut order: Vec<(i64, u64)> = sent
                .iter()
                .enumerate()
                .filter(|(k, _)| !drops[*k])
                .map(|(k, &i)| (k as i64 * step as i64 + shifts[k], i))
                .collect();
            order.sort();
            // RFC 3711 §3.3.1 assumes the receiver's first packet has ROC 0, so the sender's
            // first packet arrives first (a sender keeps its first packets inside ROC 0 by
            // starting below 2^15, as libwebrtc does); everything after it in any order.
            if let Some(first) = order.iter().position(|&(_, i)| i == sent[0]) {
                let f = order.remove(first);
                order.insert(0, f);
            } else {
                order.insert(0, (i64::MIN, sent[0]));
            }
            let mut state = RocState::default();
            let mut highest: Option<u64> = None;
            for (_, index) in order {
                let seq = index as u16;
                let model = model_estimate(highest, seq);
                let got = state.estimate(seq);
                // The model and RFC 3711's pseudo-code agree wherever the distance to the
                // highest index is not exactly half the space.
                if let Some(h) = highest
                    && (index as i64 - h as i64).abs() == 0x8000
                {
                    continue;
                }
                prop_assert_eq!(got, model);
                // Displacement stays below 2^15, so the estimate is the true index.
                if let Some(i) = got {
                    prop_assert_eq!(i, index);
                    state.update(i);
                    highest = Some(highest.map_or(i, |h| h.max(i)));
                }
            }
        }

        /// The replay window against a set of every accepted index.
        #[test]
        fn replay_window_matches_the_model(
            size in prop::sample::select(vec![64usize, 128, 1024]),
            ops in proptest::collection::vec(0u64..3000, 1..600),
        ) {
            let mut w = ReplayWindow::new(size);
            let mut seen = BTreeSet::new();
            let mut top: Option<u64> = None;
            for i in ops {
                let expect = match top {
                    None => Ok(()),
                    Some(t) if i > t => Ok(()),
                    Some(t) if t - i >= size as u64 => Err(ReplayRefusal::TooOld),
                    Some(_) if seen.contains(&i) => Err(ReplayRefusal::Replayed),
                    Some(_) => Ok(()),
                };
                prop_assert_eq!(w.check(i), expect);
                if expect.is_ok() {
                    w.accept(i);
                    seen.insert(i);
                    top = Some(top.map_or(i, |t| t.max(i)));
                }
            }
        }
    }
}
