//! The one source of randomness: a seeded ChaCha20 CSPRNG split into named sub-streams.
//!
//! Every random value sansrtc draws (ICE credentials and tie-breakers, STUN transaction ids, SCTP
//! verification tags and initial TSNs, DTLS randoms and keys, simulator loss and jitter) comes
//! from a [`RngRoot`]. The root holds a 256-bit master seed and hands each layer its own
//! [`Rng`], derived as `SHA-256(domain ‖ master ‖ label ‖ index)`. The streams are independent:
//! an extra draw in ICE never shifts SCTP's numbers, so a change in one layer does not change the
//! bytes of another, and a replay with the same seed reproduces every byte.
//!
//! Without a seed the root is seeded once from the operating system ([`RngRoot::from_os`]); that
//! is the only place in `src/` that reads ambient randomness.

use rand_chacha::ChaCha20Rng;
use rand_core::{Rng as _, SeedableRng};
use sha2::{Digest, Sha256};
use std::time::Duration;

/// Domain separation for [`RngRoot`] derivations, so that our seeds never collide with a SHA-256
/// of anything else.
const DOMAIN: &[u8] = b"sansrtc rng v1\0";

/// The per-layer sub-streams of a peer's randomness.
///
/// Each variant names a consumer; their streams are disjoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum Stream {
    /// ICE: ufrag, pwd, tie-breaker, consent jitter.
    Ice,
    /// STUN transaction ids.
    Stun,
    /// TURN client: transaction ids, channel numbers.
    Turn,
    /// DTLS randoms, ephemeral keys, signatures.
    Dtls,
    /// The self-signed certificate's key pair.
    Certificate,
    /// SCTP verification tags, initial TSNs, the cookie secret.
    Sctp,
    /// SDP session ids and versions.
    Sdp,
    /// The network simulator (loss, jitter, NAT port choice, ...).
    Sim,
    /// Servers run in the simulator (STUN, TURN): nonces, relayed ports.
    Server,
    /// Free for the embedding application or test.
    Application,
    /// Media: SSRCs, initial sequence numbers and timestamps, CNAME, RTCP intervals.
    Media,
}

impl Stream {
    fn label(self) -> &'static str {
        match self {
            Stream::Ice => "ice",
            Stream::Stun => "stun",
            Stream::Turn => "turn",
            Stream::Dtls => "dtls",
            Stream::Media => "media",
            Stream::Certificate => "certificate",
            Stream::Sctp => "sctp",
            Stream::Sdp => "sdp",
            Stream::Sim => "sim",
            Stream::Server => "server",
            Stream::Application => "application",
        }
    }
}

/// A 256-bit master seed from which every sub-stream is derived.
#[derive(Clone, PartialEq, Eq)]
pub struct RngRoot {
    master: [u8; 32],
}

impl std::fmt::Debug for RngRoot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The master seed is a secret: it determines every key the peer will use.
        f.write_str("RngRoot(..)")
    }
}

impl RngRoot {
    /// A root determined entirely by `seed`: the same seed gives the same streams on every
    /// machine and every run.
    pub fn from_seed(seed: u64) -> Self {
        let mut h = Sha256::new();
        h.update(DOMAIN);
        h.update(b"seed");
        h.update(seed.to_be_bytes());
        Self {
            master: h.finalize().into(),
        }
    }

    /// A root from 32 bytes of key material, used as given.
    pub fn from_bytes(master: [u8; 32]) -> Self {
        Self { master }
    }

    /// A root seeded once from the operating system's randomness.
    ///
    /// # Panics
    /// When the operating system has no randomness to give (getrandom fails), which leaves no
    /// safe way to make keys.
    #[allow(
        clippy::disallowed_methods,
        reason = "the single sanctioned OS seeding point of the crate (DESIGN.md §4)"
    )]
    pub fn from_os() -> Self {
        let mut master = [0u8; 32];
        getrandom::fill(&mut master).expect("invariant: the OS provides randomness for seeding");
        Self { master }
    }

    /// The sub-stream for one layer.
    pub fn stream(&self, stream: Stream) -> Rng {
        self.derive(stream.label(), 0)
    }

    /// A sub-stream named by an arbitrary label and index, e.g. one per simulated link.
    pub fn derive(&self, label: &str, index: u64) -> Rng {
        Rng::from_seed_bytes(self.derive_bytes(label, index))
    }

    /// A derived root, for a component that owns sub-streams of its own (a simulated host's
    /// peer, a server).
    pub fn child(&self, label: &str, index: u64) -> RngRoot {
        RngRoot {
            master: self.derive_bytes(label, index),
        }
    }

    fn derive_bytes(&self, label: &str, index: u64) -> [u8; 32] {
        let mut h = Sha256::new();
        h.update(DOMAIN);
        h.update(self.master);
        // Length-prefix the label so ("ab", 1) and ("a", ...) can never produce the same input.
        h.update((label.len() as u64).to_be_bytes());
        h.update(label.as_bytes());
        h.update(index.to_be_bytes());
        h.finalize().into()
    }
}

/// A deterministic cryptographically secure generator (ChaCha20) for one consumer.
#[derive(Clone)]
pub struct Rng {
    inner: ChaCha20Rng,
}

impl std::fmt::Debug for Rng {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Rng(..)")
    }
}

impl Rng {
    fn from_seed_bytes(seed: [u8; 32]) -> Self {
        Self {
            inner: ChaCha20Rng::from_seed(seed),
        }
    }

    /// Uniform `u32`.
    pub fn next_u32(&mut self) -> u32 {
        self.inner.next_u32()
    }

    /// Uniform `u64`.
    pub fn next_u64(&mut self) -> u64 {
        self.inner.next_u64()
    }

    /// Fills `dst` with uniform bytes.
    pub fn fill_bytes(&mut self, dst: &mut [u8]) {
        self.inner.fill_bytes(dst)
    }

    /// An array of uniform bytes.
    pub fn bytes<const N: usize>(&mut self) -> [u8; N] {
        let mut out = [0u8; N];
        self.fill_bytes(&mut out);
        out
    }

    /// Uniform in `0..n` without modulo bias (Lemire's method). `n == 0` returns 0.
    pub fn below(&mut self, n: u64) -> u64 {
        if n == 0 {
            return 0;
        }
        let threshold = n.wrapping_neg() % n;
        loop {
            let m = u128::from(self.next_u64()) * u128::from(n);
            if (m as u64) >= threshold {
                return (m >> 64) as u64;
            }
        }
    }

    /// Uniform in `lo..=hi`. Returns `lo` when `hi < lo`.
    pub fn range_inclusive(&mut self, lo: u64, hi: u64) -> u64 {
        if hi <= lo {
            return lo;
        }
        match (hi - lo).checked_add(1) {
            Some(span) => lo + self.below(span),
            None => self.next_u64(),
        }
    }

    /// Uniform in `[0, 1)` with 53 bits of precision.
    pub fn unit_f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// `true` with probability `p` (clamped to `[0, 1]`; NaN counts as 0).
    pub fn chance(&mut self, p: f64) -> bool {
        if p.is_nan() || p <= 0.0 {
            return false;
        }
        if p >= 1.0 {
            return true;
        }
        self.unit_f64() < p
    }

    /// Uniform duration in `lo..=hi`, at nanosecond resolution.
    pub fn duration_between(&mut self, lo: Duration, hi: Duration) -> Duration {
        if hi <= lo {
            return lo;
        }
        let span = (hi - lo).as_nanos().min(u128::from(u64::MAX)) as u64;
        lo + Duration::from_nanos(self.range_inclusive(0, span))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_stream() {
        let a = RngRoot::from_seed(7).stream(Stream::Ice).next_u64();
        let b = RngRoot::from_seed(7).stream(Stream::Ice).next_u64();
        assert_eq!(a, b);
    }

    #[test]
    fn different_seed_or_stream_differs() {
        let root = RngRoot::from_seed(7);
        let ice = root.stream(Stream::Ice).next_u64();
        assert_ne!(ice, root.stream(Stream::Sctp).next_u64());
        assert_ne!(ice, RngRoot::from_seed(8).stream(Stream::Ice).next_u64());
        assert_ne!(
            root.derive("link", 0).next_u64(),
            root.derive("link", 1).next_u64()
        );
    }

    #[test]
    fn streams_are_independent_of_draws_elsewhere() {
        let root = RngRoot::from_seed(1);
        let mut ice = root.stream(Stream::Ice);
        let before = root.stream(Stream::Sctp).next_u64();
        for _ in 0..100 {
            ice.next_u64();
        }
        assert_eq!(before, root.stream(Stream::Sctp).next_u64());
    }

    #[test]
    fn known_answer_is_stable_across_versions() {
        // Pinning the derivation: a change here silently changes every recorded trace hash.
        let v = RngRoot::from_seed(0).stream(Stream::Sim).next_u64();
        assert_eq!(v, RngRoot::from_seed(0).derive("sim", 0).next_u64());
        assert_eq!(format!("{v:016x}"), KNOWN_SIM_STREAM_SEED0);
    }
    const KNOWN_SIM_STREAM_SEED0: &str = "be7e2cb251b0cef0";

    #[test]
    fn below_is_in_range_and_covers_it() {
        let mut r = RngRoot::from_seed(3).stream(Stream::Application);
        let mut seen = [false; 7];
        for _ in 0..1000 {
            let v = r.below(7);
            assert!(v < 7);
            seen[v as usize] = true;
        }
        assert!(seen.iter().all(|s| *s));
        assert_eq!(r.below(0), 0);
        assert_eq!(r.range_inclusive(5, 5), 5);
        assert_eq!(r.range_inclusive(9, 5), 9);
        let _ = r.range_inclusive(0, u64::MAX);
    }

    #[test]
    fn chance_edges() {
        let mut r = RngRoot::from_seed(3).stream(Stream::Application);
        assert!(!r.chance(0.0));
        assert!(!r.chance(f64::NAN));
        assert!(r.chance(1.0));
        let hits = (0..10_000).filter(|_| r.chance(0.25)).count();
        assert!((2300..2700).contains(&hits), "{hits}");
    }

    #[test]
    fn os_roots_differ() {
        assert_ne!(RngRoot::from_os(), RngRoot::from_os());
    }
}
